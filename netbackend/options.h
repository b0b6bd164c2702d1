/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The netavark protocol's input (NetworkOptions) as typed, validated C structs.
 * Only the front end (netbackend/) sees these types; the drivers translate
 * them into lib/ primitives.
 *
 * nv_options_parse() validates *everything* before anything is changed on the
 * system: a setup either starts with a fully valid document or does nothing.
 */
#pragma once

#include "basic/error.h"
#include "net/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what input controls. */
#define NV_MAX_INPUT (4u << 20)   /* bytes of JSON on stdin or in --file */
#define NV_MAX_NETWORKS 64
#define NV_MAX_SUBNETS 16
#define NV_MAX_STATIC_IPS 32
#define NV_MAX_ALIASES 256
#define NV_MAX_ROUTES 256
#define NV_MAX_DNS_SERVERS 16
#define NV_MAX_PORT_MAPPINGS 4096
#define NV_MAX_OPTIONS 64
#define NV_MAX_NAME 253         /* DNS names, network names */

enum nv_driver {
	NV_DRIVER_BRIDGE,
	NV_DRIVER_MACVLAN,
	NV_DRIVER_IPVLAN,
};

enum nv_ipam {
	NV_IPAM_HOST_LOCAL,
	NV_IPAM_NONE,
};

enum nv_isolate {
	NV_ISOLATE_FALSE,
	NV_ISOLATE_TRUE,
	NV_ISOLATE_STRICT,
};

struct nv_subnet {
	struct berth_ipnet subnet;   /* as given (masked to the network address) */
	struct berth_ip gateway;     /* family 0 = none */
	struct berth_ip lease_start; /* family 0 = none (accepted, unused) */
	struct berth_ip lease_end;
};

struct nv_route {
	struct berth_ipnet destination;
	struct berth_ip gateway; /* family 0 = none */
	uint32_t metric;
	bool has_metric;
	int route_type; /* enum berth_route_type */
};

struct nv_port_mapping {
	struct berth_ip host_ip; /* family 0 = "" (both families) */
	bool host_ip_any;        /* "0.0.0.0" or "::": any address of that family */
	uint16_t container_port;
	uint16_t host_port;
	uint16_t range;          /* >= 1 */
	int protocol;            /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
};

/* network_info.<name>: the Podman network (network config file). */
struct nv_network {
	char *name;
	char *id;
	enum nv_driver driver;
	char *network_interface; /* bridge name / macvlan parent; NULL = none given */
	struct nv_subnet *subnets;
	size_t n_subnets;
	struct nv_route *routes;
	size_t n_routes;
	bool ipv6_enabled;
	bool internal;
	bool dns_enabled;
	struct berth_ip *dns_servers; /* network_dns_servers */
	size_t n_dns_servers;
	enum nv_ipam ipam;

	/* options, validated per driver */
	uint32_t mtu;          /* 0 = not set */
	uint32_t metric;       /* default 100 (bridge) / 99 (macvlan, ipvlan) */
	bool no_default_route;
	enum nv_isolate isolate;
	bool unmanaged;        /* bridge mode=unmanaged */
	int vlan;              /* -1 = none, else 0..4094 */
	char *vrf;             /* NULL = none */
	int mode;              /* macvlan/ipvlan mode (enum berth_macvlan_mode / ipvlan) */
	uint32_t bclim;
	bool has_bclim;
};

/* networks.<name>: this container's options on that network. */
struct nv_per_network {
	char *name;               /* network name (key) */
	const struct nv_network *network; /* points into nv_options.network_info */
	char *interface_name;
	struct berth_ip *static_ips;
	size_t n_static_ips;
	char **aliases;           /* invalid aliases dropped with a warning */
	size_t n_aliases;
	uint8_t static_mac[6];
	bool has_static_mac;
	char *host_interface_name; /* options.host_interface_name, NULL = none */
};

struct nv_options {
	char *container_id;
	char *container_name;
	char *container_hostname; /* NULL = not given */
	struct nv_port_mapping *port_mappings;
	size_t n_port_mappings;
	struct nv_per_network *networks; /* input order = setup order */
	size_t n_networks;
	struct nv_network *network_info; /* only those named in networks, same order */
	size_t n_network_info;
	struct berth_ip *dns_servers;
	size_t n_dns_servers;
};

/*
 * Parse and validate a NetworkOptions document. On failure returns -errno and
 * sets *reterr with netavark-style text naming the field, e.g.
 *   "failed to load network options: JSON Decoding error: ... at line 1 column 5"
 *   "networks.mynet.interface_name: name \"averyveryverylongname\" is longer than 15 bytes"
 *   "not all static IPs matched a subnet: expected 2, got 1"
 */
int nv_options_parse(const char *buf, size_t len, struct nv_options **ret,
		     struct berth_error **reterr);
void nv_options_free(struct nv_options *o);
