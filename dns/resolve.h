/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: the name tables and the answer logic, without sockets.
 *
 * Theory of operation. A struct dns_tables is built from the config directory
 * (every file but aardvark.pid) and never changes afterwards; a reload builds a
 * new one and the server swaps the pointer in one step. Answering a query is a
 * pure function of (tables, source address, receiving listener, query bytes):
 * it either writes a complete response into a caller-provided buffer, or tells
 * the caller to forward the query to a list of upstream servers, or to drop it.
 * The answer path allocates nothing.
 */
#pragma once

#include "net/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAX_UDP 65535
#define DNS_DEFAULT_SEARCH "dns.podman"
#define DNS_MAX_UPSTREAMS 3 /* resolv.conf: the first three nameservers */

struct dns_tables;

/* One listen address of one network (the server binds UDP + TCP on each). */
struct dns_listener {
	struct berth_ip ip;
	const char *network; /* points into the tables */
};

/* A host upstream server from resolv.conf; IPv6 may carry a zone ("fe80::1%eth0"). */
struct dns_nameserver {
	struct berth_ip ip;
	uint32_t scope_id;         /* the zone as an interface index; 0 = none (yet) */
	char zone[BERTH_IFNAMSIZ]; /* the zone as written; "" = none */
};

/*
 * Build the tables from every network file in config_dir (see
 * lib/dnsconf/aardvark.h). Unreadable or malformed files are logged and
 * skipped, as are dot files (the writer's temporary files), files beyond the
 * 4096th and a second file for the same network name. `resolv` holds the host's upstream servers (from resolv.conf,
 * at most DNS_MAX_UPSTREAMS), copied into the tables.
 */
int dns_tables_build(const char *config_dir, const struct berth_ip *resolv, size_t n_resolv,
		     struct dns_tables **ret);
/* The same with resolv.conf's servers as parsed, zones (scope ids) included. */
int dns_tables_build_ns(const char *config_dir, const struct dns_nameserver *resolv,
			size_t n_resolv, struct dns_tables **ret);
void dns_tables_free(struct dns_tables *t);
/* Every (listen ip, network) pair, deduplicated by ip; valid while t lives. */
size_t dns_tables_listeners(const struct dns_tables *t, const struct dns_listener **ret);
/* Counts for logs and tests. */
size_t dns_tables_n_networks(const struct dns_tables *t);
size_t dns_tables_n_names(const struct dns_tables *t);

enum dns_verdict {
	DNS_REPLY,   /* *ret_len bytes of response are in out */
	DNS_FORWARD, /* forward the query as it came to *ret_upstreams */
	DNS_DROP,    /* malformed beyond answering: send nothing */
};

struct dns_query_ctx {
	struct berth_ip source;     /* the client's address */
	const char *listener_network; /* network of the socket that received the query */
	const char *search_domain;  /* "dns.podman" (no dots around) */
	bool no_proxy;              /* AARDVARK_NO_PROXY: never forward */
	bool tcp;                   /* came over TCP (no truncation) */
};

struct dns_upstreams {
	const struct berth_ip *servers; /* points into the tables */
	const uint32_t *scopes; /* IPv6 scope ids per server (zones), NULL: none */
	size_t n;
};

/*
 * Answer one query. out must hold at least DNS_MAX_UDP bytes (responses for
 * UDP are cut to the client's advertised size, 512 without EDNS, with TC set).
 * Malformed queries with a readable header get FORMERR; unreadable ones
 * DNS_DROP. Names are matched case-insensitively, with and without the search
 * domain; A/AAAA answers carry TTL 0; PTR answers come from the requester's
 * networks; names under the search domain that are not found, and clients on
 * only internal networks, get NXDOMAIN instead of forwarding.
 */
enum dns_verdict dns_answer(const struct dns_tables *t, const struct dns_query_ctx *ctx,
			    const uint8_t *query, size_t len, uint8_t *out, size_t *ret_len,
			    struct dns_upstreams *ret_upstreams);

/*
 * Parse resolv.conf content: `nameserver` lines, comments stripped, the first
 * DNS_MAX_UPSTREAMS kept. An IPv6 address may carry a zone: a number is taken
 * as the interface index (scope_id), a name is kept in `zone` for
 * dns_nameserver_resolve_zone(). Returns the count, or -EINVAL for a
 * malformed nameserver line (a zone on IPv4, an empty or over-long zone, zone 0).
 */
int dns_parse_nameservers(const char *buf, size_t len, struct dns_nameserver *ret, size_t max);
/* The same, addresses only (zones are checked and dropped). */
int dns_parse_resolv_conf(const char *buf, size_t len, struct berth_ip *ret, size_t max);
/*
 * Turn a zone given as an interface name into its index (if_nametoindex, in
 * the caller's network namespace). No zone, or a numeric one: nothing to do.
 * Returns 0, or -ENODEV when no such interface exists.
 */
int dns_nameserver_resolve_zone(struct dns_nameserver *ns);
