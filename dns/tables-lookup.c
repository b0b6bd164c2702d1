// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: lookups in the name tables (open addressing, FNV-1a, linear
 * probing). See tables-internal.h.
 */
#include "tables-internal.h"

#include <errno.h>
#include <stdlib.h>

int htab_init(struct htab *h, size_t n)
{
	size_t cap = 8;
	while (cap < 2 * n)
		cap *= 2;
	if (cap > UINT32_MAX / 2)
		return -E2BIG;
	h->s = calloc(cap, sizeof(*h->s));
	if (!h->s)
		return -ENOMEM;
	h->mask = (uint32_t)cap - 1;
	return 0;
}

void htab_put(struct htab *h, uint32_t hv, uint32_t idx)
{
	uint32_t i = hv & h->mask;
	while (h->s[i].idx1)
		i = (i + 1) & h->mask;
	h->s[i].hash = hv;
	h->s[i].idx1 = idx + 1;
}

uint32_t name_find(const struct dns_tables *t, const char *s, size_t n)
{
	uint32_t hv = fnv1a(s, n);
	return HTAB_FIND(&t->name_index, hv,
			 t->names[idx].klen == n && memcmp(t->names[idx].key, s, n) == 0);
}

uint32_t net_find(const struct dns_tables *t, const char *s)
{
	size_t n = strlen(s);
	uint32_t hv = fnv1a(s, n);
	return HTAB_FIND(&t->net_index, hv,
			 t->nets[idx].name_len == n && memcmp(t->nets[idx].name, s, n) == 0);
}

uint32_t ip_find(const struct dns_tables *t, const struct berth_ip *ip)
{
	uint32_t hv = ip_hash(ip);
	return HTAB_FIND(&t->ip_index, hv, ip_same(&t->ips[idx].ip, ip));
}
