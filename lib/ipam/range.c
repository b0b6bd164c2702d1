// SPDX-License-Identifier: Apache-2.0
/*
 * Range sets: validation and defaults (host-local's canonicalisation), the
 * file-name form of an address, and the subnet chooser.
 */
#include "ipam.h"
#include "ipam-internal.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool ipam_ip_is_net_or_bcast(const struct berth_ipnet *net, const struct berth_ip *ip)
{
	struct berth_ipnet n;
	struct berth_ip last;

	berth_ipnet_network(net, &n);
	if (berth_ip_equal(&n.ip, ip))
		return true;
	if (ip->family != AF_INET)
		return false;
	berth_ipnet_last(net, &last);
	return berth_ip_equal(&last, ip);
}

static bool range_contains(const struct berth_ipam_range *r, const struct berth_ip *ip)
{
	return ip->family == r->subnet.ip.family && ipam_ip_cmp(ip, &r->start) >= 0 &&
	       ipam_ip_cmp(ip, &r->end) <= 0;
}

bool berth_ipam_rangeset_contains(const struct berth_ipam_rangeset *s, const struct berth_ip *ip,
				  size_t *ret_range)
{
	for (size_t i = 0; i < s->n_ranges; i++)
		if (range_contains(&s->ranges[i], ip)) {
			if (ret_range)
				*ret_range = i;
			return true;
		}
	return false;
}

static bool ranges_overlap(const struct berth_ipam_range *a, const struct berth_ipam_range *b)
{
	if (a->subnet.ip.family != b->subnet.ip.family)
		return false;
	return ipam_ip_cmp(&a->start, &b->end) <= 0 && ipam_ip_cmp(&b->start, &a->end) <= 0;
}

static int range_canonicalize(struct berth_ipam_range *r, size_t set, size_t idx,
			      struct berth_error **reterr)
{
	char sn[BERTH_IPNET_STRLEN], a[BERTH_IP_STRLEN];
	struct berth_ipnet net;
	int fam = r->subnet.ip.family;

	if (fam != AF_INET && fam != AF_INET6)
		return berth_error_set(reterr, EINVAL, "range set %zu, range %zu: no subnet", set,
				       idx);
	berth_ipam_ip_name(&r->subnet.ip, a);
	snprintf(sn, sizeof(sn), "%s/%u", a, r->subnet.prefixlen);
	if (r->subnet.prefixlen > berth_ip_len(fam) * 8 - 2)
		return berth_error_set(reterr, EINVAL, "Network %s too small to allocate from", sn);
	/*
	 * The reference turns ::a.b.c.d subnets into IPv4 ones and rejects
	 * ::ffff:a.b.c.d ones: neither has a file name both agree on.
	 */
	static const struct berth_ipnet v4_in_v6[] = {
	    {{AF_INET6, .b = {0}}, 96},
	    {{AF_INET6, .b = {[10] = 0xff, [11] = 0xff}}, 96},
	};
	for (size_t i = 0; fam == AF_INET6 && i < ARRAY_SIZE(v4_in_v6); i++)
		if (berth_ipnet_overlaps(&r->subnet, &v4_in_v6[i]))
			return berth_error_set(reterr, EINVAL,
					       "Network %s holds IPv4-compatible or IPv4-mapped "
					       "addresses",
					       sn);
	berth_ipnet_network(&r->subnet, &net);
	if (!berth_ip_equal(&net.ip, &r->subnet.ip))
		return berth_error_set(reterr, EINVAL,
				       "Network %s has host bits set (network address %s)", sn,
				       berth_ipam_ip_name(&net.ip, a));

	struct berth_ip first = net.ip, last;
	(void)berth_ip_inc(&first);
	berth_ipnet_last(&r->subnet, &last);
	if (fam == AF_INET)
		(void)berth_ip_dec(&last);

	struct {
		struct berth_ip *ip;
		const char *what;
		const struct berth_ip *def;
	} fields[] = {
	    {&r->gateway, "gateway", &first},
	    {&r->start, "rangeStart", &first},
	    {&r->end, "rangeEnd", &last},
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		struct berth_ip *ip = fields[i].ip;
		if (ip->family == 0) {
			*ip = *fields[i].def;
			continue;
		}
		if (ip->family != fam || !berth_ipnet_contains(&r->subnet, ip))
			return berth_error_set(reterr, EINVAL, "%s %s not in network %s",
					       fields[i].what, berth_ipam_ip_name(ip, a), sn);
	}
	if (ipam_ip_cmp(&r->start, &r->end) > 0)
		return berth_error_set(reterr, EINVAL,
				       "rangeStart %s is after rangeEnd in network %s",
				       berth_ipam_ip_name(&r->start, a), sn);
	return 0;
}

int berth_ipam_config_canonicalize(struct berth_ipam_config *c, struct berth_error **reterr)
{
	int r;

	if (c->n_sets == 0)
		return berth_error_set(reterr, EINVAL, "no IP ranges specified");
	if (c->n_sets > BERTH_IPAM_MAX_SETS)
		return berth_error_set(reterr, E2BIG, "too many range sets (%zu, at most %d)",
				       c->n_sets, BERTH_IPAM_MAX_SETS);
	if (c->n_exclude > BERTH_IPAM_MAX_EXCLUDE)
		return berth_error_set(reterr, E2BIG, "too many exclusions (%zu, at most %d)",
				       c->n_exclude, BERTH_IPAM_MAX_EXCLUDE);
	for (size_t i = 0; i < c->n_exclude; i++) {
		const struct berth_ipnet *x = &c->exclude[i];
		if ((x->ip.family != AF_INET && x->ip.family != AF_INET6) ||
		    x->prefixlen > berth_ip_len(x->ip.family) * 8)
			return berth_error_set(reterr, EINVAL, "exclusion %zu is not a prefix", i);
	}

	for (size_t si = 0; si < c->n_sets; si++) {
		struct berth_ipam_rangeset *s = &c->sets[si];
		if (s->n_ranges == 0)
			return berth_error_set(reterr, EINVAL, "range set %zu is empty", si);
		if (s->n_ranges > BERTH_IPAM_MAX_RANGES)
			return berth_error_set(reterr, E2BIG,
					       "range set %zu: too many ranges (%zu, at most %d)",
					       si, s->n_ranges, BERTH_IPAM_MAX_RANGES);
		for (size_t ri = 0; ri < s->n_ranges; ri++) {
			r = range_canonicalize(&s->ranges[ri], si, ri, reterr);
			if (r < 0)
				return r;
			if (s->ranges[ri].subnet.ip.family != s->ranges[0].subnet.ip.family)
				return berth_error_set(reterr, EINVAL,
						       "range set %zu: mixed address families", si);
			for (size_t rj = 0; rj < ri; rj++)
				if (ranges_overlap(&s->ranges[ri], &s->ranges[rj]))
					return berth_error_set(
					    reterr, EINVAL,
					    "range set %zu: ranges %zu and %zu overlap", si, rj,
					    ri);
		}
		for (size_t sj = 0; sj < si; sj++)
			for (size_t ri = 0; ri < s->n_ranges; ri++)
				for (size_t rj = 0; rj < c->sets[sj].n_ranges; rj++)
					if (ranges_overlap(&s->ranges[ri], &c->sets[sj].ranges[rj]))
						return berth_error_set(
						    reterr, EINVAL,
						    "range set %zu overlaps range set %zu", si, sj);
	}
	return 0;
}

/*
 * Go's net.IP.String(): the longest run (first of equal ones) of two or more
 * zero groups becomes "::", groups in lower-case hex without leading zeros,
 * and no dotted-quad tail (glibc's inet_ntop writes "::1.2.3.4" for ::/96).
 */
const char *berth_ipam_ip_name(const struct berth_ip *ip, char *buf)
{
	if (ip->family != AF_INET6)
		return berth_ip_fmt(ip, buf);

	unsigned g[8];
	int best = -1, best_len = 0;
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)ip->b[2 * i] << 8 | ip->b[2 * i + 1];
	for (int i = 0; i < 8;) {
		if (g[i] != 0) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	if (best_len < 2)
		best = -1;

	char *p = buf;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			*p++ = ':';
		p += sprintf(p, "%x", g[i]);
	}
	*p = '\0';
	return buf;
}

/* ---- subnet chooser ---- */

static const struct berth_ipam_pool default_pools[] = {
    {{{AF_INET, .b = {10, 89}}, 16}, 24}, {{{AF_INET, .b = {10, 90}}, 15}, 24},
    {{{AF_INET, .b = {10, 92}}, 14}, 24}, {{{AF_INET, .b = {10, 96}}, 11}, 24},
    {{{AF_INET, .b = {10, 128}}, 9}, 24},
};

const struct berth_ipam_pool *berth_ipam_default_pools(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(default_pools);
	return default_pools;
}

/* ip += 2^bit (bit counted from the least significant end); false on overflow. */
static bool ip_add_pow2(struct berth_ip *ip, unsigned bit)
{
	size_t len = berth_ip_len(ip->family);
	size_t i = len - 1 - bit / 8;
	unsigned carry = 1u << (bit % 8);
	for (;; i--) {
		unsigned v = ip->b[i] + carry;
		ip->b[i] = (uint8_t)v;
		carry = v >> 8;
		if (!carry)
			return true;
		if (i == 0)
			return false;
	}
}

int berth_ipam_pick_subnet(const struct berth_ipam_pool *pools, size_t n_pools,
			   const struct berth_ipnet *used, size_t n_used, struct berth_ipnet *ret)
{
	if (n_pools > BERTH_IPAM_MAX_POOLS || n_used > BERTH_IPAM_MAX_USED)
		return -E2BIG;
	for (size_t p = 0; p < n_pools; p++) {
		const struct berth_ipam_pool *pool = &pools[p];
		int fam = pool->base.ip.family;
		if ((fam != AF_INET && fam != AF_INET6) || pool->size < pool->base.prefixlen ||
		    pool->size > berth_ip_len(fam) * 8)
			return -EINVAL;
	}

	for (size_t p = 0; p < n_pools; p++) {
		const struct berth_ipam_pool *pool = &pools[p];
		unsigned bits = (unsigned)berth_ip_len(pool->base.ip.family) * 8;
		struct berth_ipnet cand;
		berth_ipnet_network(&pool->base, &cand);
		cand.prefixlen = pool->size;

		/*
		 * Every candidate rejected is covered by a used subnet, and a
		 * used subnet larger than the candidate is skipped in one step,
		 * so this loop runs at most n_used + 1 times per pool.
		 */
		for (;;) {
			const struct berth_ipnet *hit = NULL;
			for (size_t u = 0; u < n_used && !hit; u++)
				if (berth_ipnet_overlaps(&cand, &used[u]))
					hit = &used[u];
			if (!hit) {
				*ret = cand;
				return 0;
			}
			if (hit->prefixlen < cand.prefixlen) {
				/* Jump to the last candidate inside hit, then step once. */
				struct berth_ip last;
				berth_ipnet_last(hit, &last);
				struct berth_ipnet l = {last, cand.prefixlen};
				berth_ipnet_network(&l, &cand);
			}
			if (pool->size == 0 || !ip_add_pow2(&cand.ip, bits - pool->size) ||
			    !berth_ipnet_contains(&pool->base, &cand.ip))
				break;
		}
	}
	return -ENOSPC;
}
