/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-net's side of the aardvark-dns protocol (netavark-protocol.md §6, §7):
 * the entries of DNS-enabled bridge networks in <config>/aardvark-dns/, and
 * starting or reloading the server that reads them (aardvark-dns or
 * berth-dns, whichever --aardvark-binary names; lib/dnsconf/server.h).
 *
 * Every read-modify-write of the directory happens under the flock
 * <config>/aardvark.lock, as netavark does, so berth-net and a real netavark
 * can share a config directory. The file format itself is lib/dnsconf.
 */
#pragma once

#include "op.h"

#include "dnsconf/aardvark.h"

#include <stdbool.h>
#include <stddef.h>

#define NV_DNS_SEARCH_DOMAIN "dns.podman"

/* One DNS-enabled bridge network of the container being set up. */
struct nv_dns_net {
	const struct nv_per_network *pn;
	char filename[NV_MAX_NAME + sizeof(ADV_INTERNAL_SUFFIX)]; /* "<net>" or "<net>%int" */
	struct berth_ip listen[NV_MAX_SUBNETS]; /* the server's addresses on this network */
	size_t n_listen;
};

struct nv_dns {
	struct nv_dns_net *nets;
	size_t n_nets, cap_nets;
	int lockfd; /* <config>/aardvark.lock, held from commit until nv_dns_done(); -1 */
	int dirfd;  /* <config>/aardvark-dns; -1 */
};

#define NV_DNS_INIT { .lockfd = -1, .dirfd = -1 }

/* The search domains a DNS-enabled network reports in its StatusBlock entry. */
extern const char *const nv_dns_search_domains[1];

/*
 * After the network's bridge is set up: compute the server's listen
 * addresses (the gateways; for an unmanaged bridge its own non-link-local
 * addresses) and remember the network. Returns the entry's index in d->nets.
 */
int nv_dns_prepare(struct nv_op *op, struct nv_dns *d, const struct nv_per_network *pn,
		   struct berth_error **reterr);

/*
 * After all networks: when there are entries and the aardvark binary exists,
 * take the lock, write the entries (each recorded in op->undo), then SIGHUP
 * the running server or start it. The lock stays held until nv_dns_done(),
 * so that a later failure can undo before anyone else sees the entries.
 */
int nv_dns_commit(struct nv_op *op, struct nv_dns *d, struct berth_error **reterr);
/* Release the lock and free d. */
void nv_dns_done(struct nv_dns *d);

/*
 * Teardown: remove the container's lines from the files of its DNS-enabled
 * bridge networks and SIGHUP the server (which exits when no network is
 * left). A missing directory, pid file or server is fine. Errors go to
 * op->errors.
 */
void nv_dns_teardown(struct nv_op *op);

/* `update`: rewrite line 1's upstream servers of a network's file, SIGHUP the server. */
int nv_dns_update(const struct nv_ctx *ctx, const char *network, const struct berth_ip *dns,
		  size_t n_dns, struct berth_error **reterr);
