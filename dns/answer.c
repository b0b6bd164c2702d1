// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: answering a query from the tables (dns_answer(), see
 * resolve.h): local names, PTR, NXDOMAIN rules and the forward decision.
 * Allocates nothing: the question is converted to text in a stack buffer and
 * records are written straight into the caller's buffer.
 */
#include "tables-internal.h"
#include "packet.h"

#include <string.h>

struct visible {
	const uint32_t *nets;
	size_t n;
	uint32_t one; /* storage for the unknown-source case */
};

static bool is_visible(const struct visible *v, uint32_t net)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->nets[i] == net)
			return true;
	return false;
}

static bool uip_visible(const struct dns_tables *t, const struct dns_uip *u,
			const struct visible *v)
{
	for (uint32_t k = 0; k < u->n_net; k++)
		if (is_visible(v, t->net_pool[u->first_net + k]))
			return true;
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool has_suffix(const char *s, size_t n, const char *suf, size_t sn)
{
	return n >= sn && memcmp(s + n - sn, suf, sn) == 0;
}

/* "4.3.2.1.in-addr.arpa" / 32 nibbles + ".ip6.arpa" (lowercase text) to an address. */
static bool reverse_to_ip(const char *s, size_t n, struct berth_ip *ret)
{
	static const char v4s[] = ".in-addr.arpa", v6s[] = ".ip6.arpa";

	memset(ret, 0, sizeof(*ret));
	if (has_suffix(s, n, v4s, sizeof(v4s) - 1)) {
		size_t end = n - (sizeof(v4s) - 1), i = 0;
		for (int k = 3; k >= 0; k--) {
			unsigned v = 0, digits = 0;
			while (i < end && s[i] >= '0' && s[i] <= '9' && digits < 4) {
				v = v * 10 + (unsigned)(s[i++] - '0');
				digits++;
			}
			if (digits == 0 || digits > 3 || v > 255)
				return false;
			ret->b[k] = (uint8_t)v;
			if (k > 0) {
				if (i >= end || s[i] != '.')
					return false;
				i++;
			}
		}
		if (i != end)
			return false;
		ret->family = AF_INET;
		return true;
	}
	if (has_suffix(s, n, v6s, sizeof(v6s) - 1) && n - (sizeof(v6s) - 1) == 63) {
		for (int k = 0; k < 32; k++) {
			int h = hexval(s[2 * k]);
			if (h < 0 || (k < 31 && s[2 * k + 1] != '.'))
				return false;
			/* first label = lowest nibble */
			int byte = 15 - k / 2;
			if (k % 2 == 0)
				ret->b[byte] = (uint8_t)h;
			else
				ret->b[byte] |= (uint8_t)(h << 4);
		}
		ret->family = AF_INET6;
		return true;
	}
	return false;
}

static enum dns_verdict reply_rcode(const struct dns_query *q, const struct dns_query_ctx *ctx,
				    unsigned rcode, uint8_t *out, size_t *ret_len)
{
	struct dns_writer w;

	if (dns_writer_begin(&w, out, DNS_MAX_UDP, q, rcode, ctx->tcp) < 0)
		return DNS_DROP;
	*ret_len = dns_writer_finish(&w);
	return DNS_REPLY;
}

static void search_domain(const struct dns_query_ctx *ctx, const char **ret, size_t *ret_len)
{
	const char *sd = ctx->search_domain ? ctx->search_domain : "";
	size_t n = strlen(sd);
	while (n && *sd == '.') {
		sd++;
		n--;
	}
	while (n && sd[n - 1] == '.')
		n--;
	*ret = sd;
	*ret_len = n;
}

enum dns_verdict dns_answer(const struct dns_tables *t, const struct dns_query_ctx *ctx,
			    const uint8_t *query, size_t len, uint8_t *out, size_t *ret_len,
			    struct dns_upstreams *ret_upstreams)
{
	struct dns_query q;
	struct dns_writer w;
	struct visible vis = { 0 };
	char text[DNS_MAX_NAME_WIRE + 1];
	const char *sd;
	size_t sdn;
	int tl;

	if (!t || !ctx || !out || !ret_len)
		return DNS_DROP;
	switch (dns_parse_query(query, len, &q)) {
	case DNS_PARSE_OK:
		break;
	case DNS_PARSE_FORMERR:
		return reply_rcode(&q, ctx, DNS_RCODE_FORMERR, out, ret_len);
	case DNS_PARSE_NOTIMP:
		return reply_rcode(&q, ctx, DNS_RCODE_NOTIMP, out, ret_len);
	case DNS_PARSE_BADVERS:
		return reply_rcode(&q, ctx, DNS_RCODE_BADVERS, out, ret_len);
	case DNS_PARSE_DROP:
	default:
		return DNS_DROP;
	}

	/* Who is asking: the container owning the source address, else the listener's network. */
	const struct dns_ipinfo *src = NULL;
	const struct dns_ctr *ctr = NULL;
	uint32_t x = ip_find(t, &ctx->source);
	if (x != UINT32_MAX) {
		src = &t->ips[x];
		ctr = &t->ctrs[src->ctr];
		vis.nets = t->net_pool + ctr->first_net;
		vis.n = ctr->n_net;
	}
	uint32_t lnet = ctx->listener_network ? net_find(t, ctx->listener_network) : UINT32_MAX;
	if (!ctr && lnet != UINT32_MAX) {
		vis.one = lnet;
		vis.nets = &vis.one;
		vis.n = 1;
	}

	search_domain(ctx, &sd, &sdn);
	tl = dns_name_to_text(q.qname, q.qname_len, text, sizeof(text));
	bool under_sd = false;
	if (tl >= 0 && sdn) {
		size_t n = (size_t)tl;
		if (n == sdn && memcmp(text, sd, sdn) == 0)
			under_sd = true;
		else if (n > sdn && text[n - sdn - 1] == '.' && memcmp(text + n - sdn, sd, sdn) == 0)
			under_sd = true;
	}

	if (tl >= 0 && q.qclass == DNS_CLASS_IN &&
	    (q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_AAAA)) {
		size_t n = (size_t)tl;
		if (under_sd)
			n = n > sdn ? n - sdn - 1 : 0;
		uint32_t ni = n ? name_find(t, text, n) : UINT32_MAX;
		if (ni != UINT32_MAX) {
			const struct dns_name *nm = &t->names[ni];
			int fam = q.qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
			bool exists = false;
			if (dns_writer_begin(&w, out, DNS_MAX_UDP, &q, DNS_RCODE_NOERROR, ctx->tcp) < 0)
				return DNS_DROP;
			for (uint32_t k = 0; k < nm->n_uip; k++) {
				const struct dns_uip *u = &t->uips[nm->first_uip + k];
				if (!uip_visible(t, u, &vis))
					continue;
				exists = true;
				if (u->ip.family == fam)
					(void)dns_writer_add_answer(&w, q.qtype, 0, u->ip.b,
								    berth_ip_len(fam));
			}
			if (exists) {
				*ret_len = dns_writer_finish(&w);
				return DNS_REPLY;
			}
		}
	}

	if (tl >= 0 && ctr && q.qclass == DNS_CLASS_IN && q.qtype == DNS_TYPE_PTR) {
		struct berth_ip ip;
		uint32_t pi = reverse_to_ip(text, (size_t)tl, &ip) ? ip_find(t, &ip) : UINT32_MAX;
		if (pi != UINT32_MAX) {
			const struct dns_ipinfo *info = &t->ips[pi];
			for (size_t v = 0; v < vis.n; v++) {
				bool found = false;
				for (uint32_t e = 0; e < info->n_ent; e++) {
					const struct dns_ipent *ent = &t->ipents[info->first_ent + e];
					if (ent->net != vis.nets[v])
						continue;
					if (!found && dns_writer_begin(&w, out, DNS_MAX_UDP, &q,
								       DNS_RCODE_NOERROR,
								       ctx->tcp) < 0)
						return DNS_DROP;
					found = true;
					for (size_t m = 0; m < ent->line->n_names; m++) {
						uint8_t rd[DNS_MAX_NAME_WIRE];
						const char *nm = ent->line->names[m];
						int rl = dns_name_from_text(nm, strlen(nm), rd,
									    sizeof(rd));
						if (rl > 0)
							(void)dns_writer_add_answer(
								&w, DNS_TYPE_PTR, 0, rd, (size_t)rl);
					}
				}
				if (found) {
					*ret_len = dns_writer_finish(&w);
					return DNS_REPLY;
				}
			}
		}
	}

	/* Not ours: NXDOMAIN, or forward. */
	if (ctx->no_proxy || (ctr && ctr->all_internal) || under_sd)
		return reply_rcode(&q, ctx, DNS_RCODE_NXDOMAIN, out, ret_len);

	struct dns_upstreams up = { 0 };
	if (src && src->n_own_dns) {
		up.servers = src->own_dns;
		up.n = src->n_own_dns;
	} else if (ctr && ctr->n_up) {
		up.servers = t->up_pool + ctr->first_up;
		up.n = ctr->n_up;
	} else if (!ctr && lnet != UINT32_MAX && t->nets[lnet].n_dns) {
		up.servers = t->nets[lnet].dns;
		up.n = t->nets[lnet].n_dns;
	} else if (t->n_resolv) {
		up.servers = t->resolv;
		up.scopes = t->resolv_scoped ? t->resolv_scope : NULL;
		up.n = t->n_resolv;
	}
	if (!up.n)
		return reply_rcode(&q, ctx, DNS_RCODE_SERVFAIL, out, ret_len);
	if (ret_upstreams)
		*ret_upstreams = up;
	*ret_len = 0;
	return DNS_FORWARD;
}
