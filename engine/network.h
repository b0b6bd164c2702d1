/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Networks: one JSON file per network in Podman's format (the same schema
 * Podman 4 keeps in /etc/containers/networks), so that one file serves
 * Podman and berth. The default network `podman` exists without a file,
 * as in Podman, until a file of that name overrides it.
 *
 * Which backend runs a network is said by a label, which Podman keeps and
 * ignores: "berth.backend": "netavark" (the default: berth-net, or the
 * binary given by --network-backend) or "cni" (a CNI chain: the conflist
 * named by the label "berth.cni.conflist", else one the engine derives
 * from the network as Podman's CNI backend does).
 */
#pragma once

#include "engine.h"
#include "net/ipaddr.h"

#include <jansson.h>
#include <stdbool.h>

#define ENG_MAX_NETWORKS 1024	  /* network files read */
#define ENG_MAX_NETWORK_FILE (1u << 20)
#define ENG_MAX_SUBNETS 16
#define ENG_DEFAULT_NETWORK "podman"
#define ENG_DEFAULT_NETWORK_ID "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9"

enum eng_backend {
	ENG_BACKEND_NETAVARK,
	ENG_BACKEND_CNI,
};

struct eng_network {
	json_t *j;	/* the Podman network object (owned) */
	char *path;	/* its file; NULL for the built-in default */
	const char *name, *id, *driver; /* point into j */
	enum eng_backend backend;
};

void eng_network_free(struct eng_network *n);


/* All networks, sorted by name, the default one included. */
int eng_network_list(struct eng_ctx *ctx, struct eng_network ***ret, size_t *ret_n,
		     struct berth_error **reterr);
void eng_network_list_free(struct eng_network **v, size_t n);

/* By name, full id or unique id prefix. -ENOENT: "unable to find network with name or ID X: network not found". */
int eng_network_get(struct eng_ctx *ctx, const char *ref, struct eng_network **ret,
		    struct berth_error **reterr);

struct eng_network_create {
	const char *name;	/* NULL: the next free "podmanN" name Podman would pick */
	const char *driver;	/* bridge (default), macvlan, ipvlan */
	const char *interface;	/* bridge name / parent; NULL: picked (bridge) */
	const char *subnets[ENG_MAX_SUBNETS];
	const char *gateways[ENG_MAX_SUBNETS];
	const char *ip_ranges[ENG_MAX_SUBNETS];
	size_t n_subnets, n_gateways, n_ip_ranges;
	bool ipv6, internal, disable_dns;
	const char *ipam_driver; /* host-local (default), none, dhcp */
	json_t *options;	/* -o k=v (strings) */
	json_t *labels;		/* --label k=v */
	const char *dns_servers[16];
	size_t n_dns_servers;
	bool ignore;		/* --ignore: an existing network of that name is fine */
};

/* Create a network file as `podman network create` does; prints nothing. */
int eng_network_create(struct eng_ctx *ctx, const struct eng_network_create *o,
		       struct eng_network **ret, struct berth_error **reterr);

/* Remove its file (the default network cannot be removed). */
int eng_network_remove_file(struct eng_ctx *ctx, const struct eng_network *n,
			    struct berth_error **reterr);

/* Subnets of a network ("subnets"[].subnet), for IPAM and overlap checks. */
size_t eng_network_subnets(const struct eng_network *n, struct berth_ipnet *ret, struct berth_ip *ret_gw,
			   size_t max);
bool eng_network_dns_enabled(const struct eng_network *n);
bool eng_network_ipam_host_local(const struct eng_network *n);
const char *eng_network_label(const struct eng_network *n, const char *key);

static inline void eng_network_freep(struct eng_network **n)
{
	eng_network_free(*n);
}
