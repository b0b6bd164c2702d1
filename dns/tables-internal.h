/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: the name tables' layout, shared by the files that build them
 * (tables-load.c, tables-build.c), look things up in them (tables-lookup.c)
 * and answer from them (answer.c). Internal to dns/; resolve.h is the
 * interface.
 *
 * Tables. Built once from the parsed network files, which the tables keep and
 * point into (names, ids and upstream lists are not copied again):
 *
 *   nets[]      name, internal, upstreams (empty for internal networks)
 *   names[]     one per distinct lowercased name: its unique addresses uips[],
 *               each with the networks (net_pool) that hold it; a name present
 *               without any address gets one family-0 entry so that it "exists"
 *   ips[]       one per distinct address: its (network, line) entries for PTR,
 *               the owning container, and that container's own upstreams
 *   ctrs[]      one per container id: its networks (net_pool), whether all are
 *               internal, and the union of their upstreams (ip_pool)
 *
 * Two open-addressing hash tables (FNV-1a, linear probing, load <= 1/2) map
 * a name and an address to its index; a third maps network names. Every
 * lookup on the answer path is O(1) on average plus a scan of the short
 * per-name and per-container lists. The answer path allocates nothing: it
 * converts the question to text in a stack buffer and writes records straight
 * into the caller's buffer.
 */
#pragma once

#include "resolve.h"

#include "basic/hash.h"
#include "dnsconf/aardvark.h"

#include <string.h>

#define DNS_MAX_FILES 4096            /* network files read from the directory */
#define DNS_MAX_TOTAL (64u << 20)     /* bytes read from the directory in total */

struct hslot {
	uint32_t hash;
	uint32_t idx1; /* index + 1; 0 = empty */
};

struct htab {
	struct hslot *s;
	uint32_t mask;
};

struct dns_net {
	const char *name;
	size_t name_len;
	bool internal;
	const struct berth_ip *dns; /* network upstreams; NULL/0 for internal */
	size_t n_dns;
};

struct dns_name {
	const char *key;
	uint32_t klen;
	uint32_t first_uip, n_uip;
};

struct dns_uip {
	struct berth_ip ip; /* family 0: the name exists there without an address */
	uint32_t first_net, n_net; /* into net_pool */
};

struct dns_ipent {
	uint32_t net;
	const struct adv_container *line;
};

struct dns_ipinfo {
	struct berth_ip ip;
	uint32_t first_ent, n_ent; /* into ipents */
	uint32_t ctr;
	const struct berth_ip *own_dns; /* the container's own servers (field 5) */
	size_t n_own_dns;
};

struct dns_ctr {
	uint32_t first_net, n_net; /* into net_pool */
	bool all_internal;
	uint32_t first_up, n_up; /* into up_pool */
};

struct dns_tables {
	struct adv_network **parsed;
	size_t n_parsed;

	struct dns_net *nets;
	size_t n_nets;
	struct htab net_index;

	struct dns_name *names;
	size_t n_names;
	struct htab name_index;
	struct dns_uip *uips;
	size_t n_uips;
	uint32_t *net_pool;
	size_t n_net_pool;

	struct dns_ipinfo *ips;
	size_t n_ips;
	struct htab ip_index;
	struct dns_ipent *ipents;
	size_t n_ipents;

	struct dns_ctr *ctrs;
	size_t n_ctrs;
	struct berth_ip *up_pool;
	size_t n_up_pool;

	struct dns_listener *listeners;
	size_t n_listeners;

	struct berth_ip resolv[DNS_MAX_UPSTREAMS];
	uint32_t resolv_scope[DNS_MAX_UPSTREAMS]; /* zones of link-local servers */
	bool resolv_scoped;                       /* any of them non-zero */
	size_t n_resolv;
};

static inline uint32_t fnv1a(const void *p, size_t n)
{
	return berth_fnv1a32(p, n);
}

static inline uint32_t ip_hash(const struct berth_ip *ip)
{
	uint32_t h = fnv1a(ip->b, berth_ip_len(ip->family));
	return h ^ (uint32_t)ip->family;
}

static inline bool ip_same(const struct berth_ip *a, const struct berth_ip *b)
{
	return a->family == b->family && memcmp(a->b, b->b, berth_ip_len(a->family)) == 0;
}

#define HTAB_FIND(h, hv, EQ)                                                                       \
	({                                                                                         \
		uint32_t _i = (hv) & (h)->mask, _r = UINT32_MAX;                                   \
		while ((h)->s[_i].idx1) {                                                          \
			uint32_t idx = (h)->s[_i].idx1 - 1;                                        \
			if ((h)->s[_i].hash == (hv) && (EQ)) {                                     \
				_r = idx;                                                          \
				break;                                                             \
			}                                                                          \
			_i = (_i + 1) & (h)->mask;                                                 \
		}                                                                                  \
		_r;                                                                                \
	})

/* tables-lookup.c: the hash tables (capacity >= 2n, so the load stays <= 1/2). */
int htab_init(struct htab *h, size_t n);
/* Insert (the key must be absent); the table never fills (load <= 1/2). */
void htab_put(struct htab *h, uint32_t hv, uint32_t idx);
/* Index of a name, a network, an address; UINT32_MAX when absent. */
uint32_t name_find(const struct dns_tables *t, const char *s, size_t n);
uint32_t net_find(const struct dns_tables *t, const char *s);
uint32_t ip_find(const struct dns_tables *t, const struct berth_ip *ip);

/* tables-build.c: grow *pp (elements of `elem` bytes) to hold `need`, doubling. */
int tables_grow(void *pp, size_t *cap, size_t need, size_t elem);

/* tables-load.c: read and parse every network file into t->parsed (sorted by file name). */
int tables_load_dir(const char *config_dir, struct dns_tables *t);
