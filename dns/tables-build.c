// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: building the name tables from the parsed network files (see
 * tables-internal.h for the layout).
 */
#include "tables-internal.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tables_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

void dns_tables_free(struct dns_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_parsed; i++)
		adv_network_free(t->parsed[i]);
	free(t->parsed);
	free(t->nets);
	free(t->net_index.s);
	free(t->names);
	free(t->name_index.s);
	free(t->uips);
	free(t->net_pool);
	free(t->ips);
	free(t->ip_index.s);
	free(t->ipents);
	free(t->ctrs);
	free(t->up_pool);
	free(t->listeners);
	free(t);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct dns_tables *, dns_tables_free)

struct name_tuple {
	uint32_t name, net, seq;
	struct berth_ip ip;
};

struct ip_tuple {
	uint32_t ip, net, ctr;
	const struct adv_container *line;
};

static int ip_cmp(const struct berth_ip *a, const struct berth_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, berth_ip_len(a->family ? a->family : AF_INET));
}

static int cmp_name_tuple(const void *pa, const void *pb)
{
	const struct name_tuple *a = pa, *b = pb;
	int c = ip_cmp(&a->ip, &b->ip);
	if (c)
		return c;
	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct uip_order {
	uint32_t first_seq;
	struct dns_uip u;
};

static int cmp_uip_order(const void *pa, const void *pb)
{
	const struct uip_order *a = pa, *b = pb;
	return a->first_seq < b->first_seq ? -1 : a->first_seq > b->first_seq;
}

/* Stable counting sort of n items of `elem` bytes by key (< n_keys); first[] gets n_keys + 1 offsets. */
static int bucket_sort(const void *items, size_t n, size_t elem, const uint32_t *keys,
		       size_t n_keys, void **ret_sorted, uint32_t **ret_first)
{
	_cleanup_free_ uint32_t *first = calloc(n_keys + 1, sizeof(*first));
	_cleanup_free_ uint32_t *fill = calloc(n_keys + 1, sizeof(*fill));
	_cleanup_free_ uint8_t *out = malloc(n ? n * elem : 1);

	if (!first || !fill || !out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		first[keys[i] + 1]++;
	for (size_t k = 0; k < n_keys; k++)
		first[k + 1] += first[k];
	memcpy(fill, first, (n_keys + 1) * sizeof(*fill));
	for (size_t i = 0; i < n; i++)
		memcpy(out + (size_t)fill[keys[i]]++ * elem, (const uint8_t *)items + i * elem, elem);
	*ret_sorted = TAKE_PTR(out);
	*ret_first = TAKE_PTR(first);
	return 0;
}

static int pool_net(struct dns_tables *t, size_t *cap, uint32_t net)
{
	int r = tables_grow(&t->net_pool, cap, t->n_net_pool + 1, sizeof(*t->net_pool));
	if (r < 0)
		return r;
	t->net_pool[t->n_net_pool++] = net;
	return 0;
}

static int build_nets(struct dns_tables *t)
{
	int r;

	t->n_nets = t->n_parsed;
	t->nets = calloc(t->n_nets ? t->n_nets : 1, sizeof(*t->nets));
	if (!t->nets)
		return -ENOMEM;
	if ((r = htab_init(&t->net_index, t->n_nets)) < 0)
		return r;
	for (size_t i = 0; i < t->n_nets; i++) {
		const struct adv_network *p = t->parsed[i];
		struct dns_net *n = &t->nets[i];
		n->name = p->name;
		n->name_len = strlen(p->name);
		n->internal = p->internal;
		if (!p->internal) {
			n->dns = p->dns;
			n->n_dns = p->n_dns;
		}
		htab_put(&t->net_index, fnv1a(n->name, n->name_len), (uint32_t)i);
	}
	return 0;
}

/* Containers (by id) and their networks; line_ctr[] gets each line's container. */
static int build_ctrs(struct dns_tables *t, size_t *pool_cap, uint32_t **ret_line_ctr)
{
	size_t n_lines = 0, cap_up = 0;
	for (size_t i = 0; i < t->n_parsed; i++)
		n_lines += t->parsed[i]->n_containers;

	_cleanup_free_ uint32_t *line_ctr = malloc((n_lines ? n_lines : 1) * sizeof(uint32_t));
	_cleanup_free_ uint32_t *line_net = malloc((n_lines ? n_lines : 1) * sizeof(uint32_t));
	_cleanup_free_ const char **ids = malloc((n_lines ? n_lines : 1) * sizeof(char *));
	_cleanup_free_ struct hslot *slots = NULL;
	_cleanup_free_ uint32_t *order = NULL;
	_cleanup_free_ uint32_t *first = NULL;
	struct htab cidx;
	size_t n_ctrs = 0, l = 0;
	int r;

	if (!line_ctr || !line_net || !ids)
		return -ENOMEM;
	if ((r = htab_init(&cidx, n_lines)) < 0)
		return r;
	slots = cidx.s;
	for (size_t i = 0; i < t->n_parsed; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_containers; k++, l++) {
			const char *id = p->containers[k].id;
			uint32_t hv = fnv1a(id, strlen(id));
			uint32_t c = HTAB_FIND(&cidx, hv, streq(ids[idx], id));
			if (c == UINT32_MAX) {
				c = (uint32_t)n_ctrs++;
				ids[c] = id;
				htab_put(&cidx, hv, c);
			}
			line_ctr[l] = c;
			line_net[l] = (uint32_t)i;
		}
	}
	t->n_ctrs = n_ctrs;
	t->ctrs = calloc(n_ctrs ? n_ctrs : 1, sizeof(*t->ctrs));
	if (!t->ctrs)
		return -ENOMEM;
	if ((r = bucket_sort(line_net, n_lines, sizeof(uint32_t), line_ctr, n_ctrs,
			     (void **)&order, &first)) < 0)
		return r;
	for (size_t c = 0; c < n_ctrs; c++) {
		struct dns_ctr *ct = &t->ctrs[c];
		ct->first_net = (uint32_t)t->n_net_pool;
		ct->all_internal = true;
		ct->first_up = (uint32_t)t->n_up_pool;
		for (uint32_t j = first[c]; j < first[c + 1]; j++) {
			uint32_t net = order[j];
			bool seen = false;
			/* Lines are in network order, so a repeated network is the last one. */
			if (ct->n_net && t->net_pool[t->n_net_pool - 1] == net)
				seen = true;
			if (seen)
				continue;
			if ((r = pool_net(t, pool_cap, net)) < 0)
				return r;
			ct->n_net++;
			const struct dns_net *n = &t->nets[net];
			if (!n->internal)
				ct->all_internal = false;
			for (size_t s = 0; s < n->n_dns; s++) {
				bool dup = false;
				for (uint32_t u = ct->first_up; u < t->n_up_pool && !dup; u++)
					dup = ip_same(&t->up_pool[u], &n->dns[s]);
				if (dup)
					continue;
				if ((r = tables_grow(&t->up_pool, &cap_up, t->n_up_pool + 1,
					      sizeof(*t->up_pool))) < 0)
					return r;
				t->up_pool[t->n_up_pool++] = n->dns[s];
				ct->n_up++;
			}
		}
	}
	*ret_line_ctr = TAKE_PTR(line_ctr);
	return 0;
}

static int add_ip_tuple(struct dns_tables *t, struct ip_tuple *tu, size_t *n_tu,
			const struct berth_ip *ip, uint32_t net, uint32_t ctr,
			const struct adv_container *line)
{
	uint32_t hv = ip_hash(ip);
	uint32_t x = HTAB_FIND(&t->ip_index, hv, ip_same(&t->ips[idx].ip, ip));
	if (x == UINT32_MAX) {
		x = (uint32_t)t->n_ips++;
		memset(&t->ips[x], 0, sizeof(t->ips[x]));
		t->ips[x].ip = *ip;
		htab_put(&t->ip_index, hv, x);
	}
	tu[*n_tu] = (struct ip_tuple){ .ip = x, .net = net, .ctr = ctr, .line = line };
	(*n_tu)++;
	return 0;
}

static int build_ips(struct dns_tables *t, const uint32_t *line_ctr)
{
	size_t n_tu = 0, total = 0, l = 0;
	int r;

	for (size_t i = 0; i < t->n_parsed; i++)
		for (size_t k = 0; k < t->parsed[i]->n_containers; k++)
			total += t->parsed[i]->containers[k].n_v4 + t->parsed[i]->containers[k].n_v6;
	_cleanup_free_ struct ip_tuple *tu = malloc((total ? total : 1) * sizeof(*tu));
	_cleanup_free_ uint32_t *keys = malloc((total ? total : 1) * sizeof(*keys));
	_cleanup_free_ struct ip_tuple *sorted = NULL;
	_cleanup_free_ uint32_t *first = NULL;
	if (!tu || !keys)
		return -ENOMEM;
	t->ips = malloc((total ? total : 1) * sizeof(*t->ips));
	if (!t->ips)
		return -ENOMEM;
	if ((r = htab_init(&t->ip_index, total)) < 0)
		return r;
	for (size_t i = 0; i < t->n_parsed; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_containers; k++, l++) {
			const struct adv_container *c = &p->containers[k];
			for (size_t a = 0; a < c->n_v4; a++)
				add_ip_tuple(t, tu, &n_tu, &c->v4[a], (uint32_t)i, line_ctr[l], c);
			for (size_t a = 0; a < c->n_v6; a++)
				add_ip_tuple(t, tu, &n_tu, &c->v6[a], (uint32_t)i, line_ctr[l], c);
		}
	}
	for (size_t i = 0; i < n_tu; i++)
		keys[i] = tu[i].ip;
	if ((r = bucket_sort(tu, n_tu, sizeof(*tu), keys, t->n_ips, (void **)&sorted, &first)) < 0)
		return r;
	t->ipents = malloc((n_tu ? n_tu : 1) * sizeof(*t->ipents));
	if (!t->ipents)
		return -ENOMEM;
	t->n_ipents = n_tu;
	for (size_t i = 0; i < n_tu; i++)
		t->ipents[i] = (struct dns_ipent){ .net = sorted[i].net, .line = sorted[i].line };
	for (size_t x = 0; x < t->n_ips; x++) {
		struct dns_ipinfo *info = &t->ips[x];
		info->first_ent = first[x];
		info->n_ent = first[x + 1] - first[x];
		info->ctr = sorted[first[x]].ctr;
		for (uint32_t j = first[x]; j < first[x + 1]; j++) {
			const struct ip_tuple *s = &sorted[j];
			/* Own servers only from lines of non-internal networks. */
			if (s->ctr == info->ctr && !t->nets[s->net].internal && s->line->n_dns) {
				info->own_dns = s->line->dns;
				info->n_own_dns = s->line->n_dns;
				break;
			}
		}
	}
	return 0;
}

static int build_names(struct dns_tables *t, size_t *pool_cap)
{
	size_t total = 0, n_tu = 0, cap_uips = 0;
	uint32_t seq = 0;
	int r;

	for (size_t i = 0; i < t->n_parsed; i++)
		for (size_t k = 0; k < t->parsed[i]->n_containers; k++) {
			const struct adv_container *c = &t->parsed[i]->containers[k];
			size_t n_ip = c->n_v4 + c->n_v6;
			total += c->n_names * (n_ip ? n_ip : 1);
		}
	_cleanup_free_ struct name_tuple *tu = malloc((total ? total : 1) * sizeof(*tu));
	_cleanup_free_ uint32_t *keys = malloc((total ? total : 1) * sizeof(*keys));
	_cleanup_free_ struct name_tuple *sorted = NULL;
	_cleanup_free_ uint32_t *first = NULL;
	_cleanup_free_ struct uip_order *ord = NULL;
	size_t cap_ord = 0;
	if (!tu || !keys)
		return -ENOMEM;
	t->names = malloc((total ? total : 1) * sizeof(*t->names));
	if (!t->names)
		return -ENOMEM;
	if ((r = htab_init(&t->name_index, total)) < 0)
		return r;

	for (size_t i = 0; i < t->n_parsed; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_containers; k++) {
			const struct adv_container *c = &p->containers[k];
			for (size_t m = 0; m < c->n_names; m++) {
				const char *nm = c->names[m];
				size_t len = strlen(nm);
				uint32_t hv = fnv1a(nm, len);
				uint32_t x = HTAB_FIND(&t->name_index, hv,
						       t->names[idx].klen == len &&
							       memcmp(t->names[idx].key, nm, len) == 0);
				if (x == UINT32_MAX) {
					x = (uint32_t)t->n_names++;
					t->names[x] = (struct dns_name){ .key = nm,
									 .klen = (uint32_t)len };
					htab_put(&t->name_index, hv, x);
				}
				struct name_tuple base = { .name = x, .net = (uint32_t)i };
				if (c->n_v4 + c->n_v6 == 0) {
					base.seq = seq++;
					tu[n_tu++] = base;
				}
				for (size_t a = 0; a < c->n_v4; a++) {
					base.seq = seq++;
					base.ip = c->v4[a];
					tu[n_tu++] = base;
				}
				for (size_t a = 0; a < c->n_v6; a++) {
					base.seq = seq++;
					base.ip = c->v6[a];
					tu[n_tu++] = base;
				}
			}
		}
	}
	for (size_t i = 0; i < n_tu; i++)
		keys[i] = tu[i].name;
	if ((r = bucket_sort(tu, n_tu, sizeof(*tu), keys, t->n_names, (void **)&sorted, &first)) <
	    0)
		return r;

	for (size_t x = 0; x < t->n_names; x++) {
		struct name_tuple *g = sorted + first[x];
		size_t n = first[x + 1] - first[x], n_ord = 0;
		/* Group by address (then network) to deduplicate, then restore file order. */
		qsort(g, n, sizeof(*g), cmp_name_tuple);
		for (size_t j = 0; j < n;) {
			size_t e = j;
			uint32_t min_seq = UINT32_MAX;
			while (e < n && ip_cmp(&g[e].ip, &g[j].ip) == 0)
				e++;
			if ((r = tables_grow(&ord, &cap_ord, n_ord + 1, sizeof(*ord))) < 0)
				return r;
			struct uip_order *o = &ord[n_ord++];
			o->u.ip = g[j].ip;
			o->u.first_net = (uint32_t)t->n_net_pool;
			o->u.n_net = 0;
			for (size_t k = j; k < e; k++) {
				if (g[k].seq < min_seq)
					min_seq = g[k].seq;
				if (k > j && g[k].net == g[k - 1].net)
					continue;
				if ((r = pool_net(t, pool_cap, g[k].net)) < 0)
					return r;
				o->u.n_net++;
			}
			o->first_seq = min_seq;
			j = e;
		}
		qsort(ord, n_ord, sizeof(*ord), cmp_uip_order);
		if ((r = tables_grow(&t->uips, &cap_uips, t->n_uips + n_ord, sizeof(*t->uips))) < 0)
			return r;
		t->names[x].first_uip = (uint32_t)t->n_uips;
		t->names[x].n_uip = (uint32_t)n_ord;
		for (size_t j = 0; j < n_ord; j++)
			t->uips[t->n_uips++] = ord[j].u;
	}
	return 0;
}

static int build_listeners(struct dns_tables *t)
{
	size_t total = 0;
	struct htab seen;
	int r;

	for (size_t i = 0; i < t->n_nets; i++)
		total += t->parsed[i]->n_listen;
	t->listeners = calloc(total ? total : 1, sizeof(*t->listeners));
	if (!t->listeners)
		return -ENOMEM;
	if ((r = htab_init(&seen, total)) < 0)
		return r;
	for (size_t i = 0; i < t->n_nets; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_listen; k++) {
			const struct berth_ip *ip = &p->listen[k];
			uint32_t hv = ip_hash(ip);
			if (HTAB_FIND(&seen, hv, ip_same(&t->listeners[idx].ip, ip)) != UINT32_MAX)
				continue;
			htab_put(&seen, hv, (uint32_t)t->n_listeners);
			t->listeners[t->n_listeners++] =
				(struct dns_listener){ .ip = *ip, .network = t->nets[i].name };
		}
	}
	free(seen.s);
	return 0;
}

static int tables_build(const char *config_dir, const struct dns_nameserver *resolv,
			size_t n_resolv, struct dns_tables **ret)
{
	_cleanup_(dns_tables_freep) struct dns_tables *t = NULL;
	_cleanup_free_ uint32_t *line_ctr = NULL;
	size_t pool_cap = 0;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (n_resolv > DNS_MAX_UPSTREAMS)
		n_resolv = DNS_MAX_UPSTREAMS;
	for (size_t i = 0; i < n_resolv; i++) {
		t->resolv[i] = resolv[i].ip;
		t->resolv_scope[i] = resolv[i].scope_id;
		if (resolv[i].scope_id)
			t->resolv_scoped = true;
	}
	t->n_resolv = n_resolv;

	if ((r = tables_load_dir(config_dir, t)) < 0)
		return r;
	if ((r = build_nets(t)) < 0 || (r = build_ctrs(t, &pool_cap, &line_ctr)) < 0 ||
	    (r = build_ips(t, line_ctr)) < 0 || (r = build_names(t, &pool_cap)) < 0 ||
	    (r = build_listeners(t)) < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

int dns_tables_build_ns(const char *config_dir, const struct dns_nameserver *resolv,
			size_t n_resolv, struct dns_tables **ret)
{
	if (!config_dir || !ret || (n_resolv && !resolv))
		return -EINVAL;
	return tables_build(config_dir, resolv, n_resolv, ret);
}

int dns_tables_build(const char *config_dir, const struct berth_ip *resolv, size_t n_resolv,
		     struct dns_tables **ret)
{
	struct dns_nameserver ns[DNS_MAX_UPSTREAMS];

	if (!config_dir || !ret || (n_resolv && !resolv))
		return -EINVAL;
	if (n_resolv > DNS_MAX_UPSTREAMS)
		n_resolv = DNS_MAX_UPSTREAMS;
	memset(ns, 0, sizeof(ns));
	for (size_t i = 0; i < n_resolv; i++)
		ns[i].ip = resolv[i];
	return tables_build(config_dir, ns, n_resolv, ret);
}

size_t dns_tables_listeners(const struct dns_tables *t, const struct dns_listener **ret)
{
	if (ret)
		*ret = t ? t->listeners : NULL;
	return t ? t->n_listeners : 0;
}

size_t dns_tables_n_networks(const struct dns_tables *t)
{
	return t ? t->n_nets : 0;
}

size_t dns_tables_n_names(const struct dns_tables *t)
{
	return t ? t->n_names : 0;
}
