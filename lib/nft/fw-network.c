// SPDX-License-Identifier: Apache-2.0
/*
 * A network's elements (bridges, br_pairs, internal_br, nat4/6, same4/6) and,
 * for an isolated network, its iso-<bridge> chain and fwd_iso element.
 */
#include "nft/fw-internal.h"

#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"

static char *fw_iso_chain_name(const char *bridge)
{
	return fw_strf("iso-%s", bridge);
}

static int fw_elem_ifname(struct berth_fw_batch *b, bool add, const char *set, const char *ifname,
			  const char *jump)
{
	uint8_t key[BERTH_IFNAMSIZ];
	struct fw_elem e = { .key = key, .key_len = sizeof(key), .jump = jump };
	_cleanup_free_ char *detail = NULL;

	fw_ifname_key(ifname, key);
	detail = jump ? fw_strf("\"%s\" : jump %s", ifname, jump) : fw_strf("\"%s\"", ifname);
	if (!detail)
		return -ENOMEM;
	return fw_cmd_elems(b, add, set, &e, 1, detail);
}

/* "bridge . bridge" in br_pairs. */
static int fw_elem_br_pair(struct berth_fw_batch *b, bool add, const char *ifname)
{
	uint8_t key[2 * BERTH_IFNAMSIZ];
	struct fw_elem e = { .key = key, .key_len = sizeof(key) };
	_cleanup_free_ char *detail = fw_strf("\"%s\" . \"%s\"", ifname, ifname);

	if (!detail)
		return -ENOMEM;
	fw_ifname_key(ifname, key);
	fw_ifname_key(ifname, key + BERTH_IFNAMSIZ);
	return fw_cmd_elems(b, add, "br_pairs", &e, 1, detail);
}

/* a := a + 1 (big endian); false on overflow. */
static bool fw_addr_inc(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i] != 0)
			return true;
	return false;
}

static int fw_elems_subnet(struct berth_fw_batch *b, bool add, const struct berth_ipnet *subnet)
{
	bool v4 = subnet->ip.family == AF_INET;
	size_t alen = berth_ip_len(subnet->ip.family);
	const char *plain = v4 ? "nat4" : "nat6", *same = v4 ? "same4" : "same6";
	char text[BERTH_IPNET_STRLEN], detail[2 * BERTH_IPNET_STRLEN + 4];
	struct berth_ipnet net;
	struct berth_ip last;
	uint8_t end[16], k2[32], k2_end[32];
	bool has_end;
	int r;

	berth_ipnet_network(subnet, &net);
	berth_ipnet_last(subnet, &last);
	berth_ipnet_fmt(&net, text);

	/* Plain interval: [start, last + 1) as two elements; no end when last is all ones. */
	memcpy(end, last.b, alen);
	has_end = fw_addr_inc(end, alen);
	struct fw_elem pair[2] = {
		{ .key = net.ip.b, .key_len = alen },
		{ .key = end, .key_len = alen, .flags = NFT_SET_ELEM_INTERVAL_END,
		  .note = "interval end" },
	};
	r = fw_cmd_elems_each(b, add, 0, plain, pair, has_end ? 2 : 1, 2, text);
	if (r < 0)
		return r;

	/* Concatenated range: subnet . subnet, fields padded to 4 bytes (already are). */
	memcpy(k2, net.ip.b, alen);
	memcpy(k2 + alen, net.ip.b, alen);
	memcpy(k2_end, last.b, alen);
	memcpy(k2_end + alen, last.b, alen);
	struct fw_elem cat = { .key = k2, .key_end = k2_end, .key_len = 2 * alen };
	snprintf(detail, sizeof(detail), "%s . %s", text, text);
	return fw_cmd_elems(b, add, same, &cat, 1, detail);
}

static int fw_network_check(const struct berth_fw_batch *b, const struct berth_fw_network *n)
{
	if (!b || !n || !n->bridge || !berth_ifname_valid(n->bridge))
		return -EINVAL;
	if (n->n_subnets > BERTH_FW_MAX_SUBNETS)
		return -E2BIG;
	if (n->n_subnets > 0 && !n->subnets)
		return -EINVAL;
	switch (n->isolate) {
	case BERTH_FW_ISOLATE_NONE:
	case BERTH_FW_ISOLATE_TRUE:
	case BERTH_FW_ISOLATE_STRICT:
		break;
	default:
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n_subnets; i++) {
		const struct berth_ipnet *s = &n->subnets[i];
		if (s->ip.family != AF_INET && s->ip.family != AF_INET6)
			return -EINVAL;
		if (s->prefixlen > (s->ip.family == AF_INET ? 32u : 128u))
			return -EINVAL;
	}
	return 0;
}

int berth_fw_batch_add_network(struct berth_fw_batch *b, const struct berth_fw_network *n)
{
	int r = fw_network_check(b, n);
	if (r < 0)
		return r;

	r = fw_elem_ifname(b, true, "bridges", n->bridge, NULL);
	if (r >= 0)
		r = fw_elem_br_pair(b, true, n->bridge);
	if (r >= 0 && n->internal)
		r = fw_elem_ifname(b, true, "internal_br", n->bridge, NULL);
	for (size_t i = 0; r >= 0 && !n->internal && i < n->n_subnets; i++)
		r = fw_elems_subnet(b, true, &n->subnets[i]);
	if (r < 0 || n->isolate == BERTH_FW_ISOLATE_NONE)
		return r;

	_cleanup_free_ char *chain = fw_iso_chain_name(n->bridge);
	int err = 0;
	if (!chain)
		return -ENOMEM;
	r = fw_elem_ifname(b, true, "iso_nets", n->bridge, NULL);
	if (r >= 0)
		r = fw_cmd_chain(b, NFT_MSG_NEWCHAIN, chain, NULL);
	if (r >= 0)
		r = fw_cmd_flush_chain(b, chain);
	if (r >= 0) {
		fw_iso_rule(b, chain, n->bridge, n->isolate, &err);
		r = err;
	}
	if (r >= 0)
		r = fw_elem_ifname(b, true, "fwd_iso", n->bridge, chain);
	return r;
}

int berth_fw_batch_del_network(struct berth_fw_batch *b, const struct berth_fw_network *n)
{
	int r = fw_network_check(b, n);
	if (r < 0)
		return r;

	if (n->isolate != BERTH_FW_ISOLATE_NONE) {
		_cleanup_free_ char *chain = fw_iso_chain_name(n->bridge);
		if (!chain)
			return -ENOMEM;
		/* The map element references the chain: it goes first. */
		r = fw_elem_ifname(b, false, "fwd_iso", n->bridge, NULL);
		if (r >= 0)
			r = fw_cmd_chain(b, NFT_MSG_DELCHAIN, chain, NULL);
		if (r >= 0)
			r = fw_elem_ifname(b, false, "iso_nets", n->bridge, NULL);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; r >= 0 && !n->internal && i < n->n_subnets; i++)
		r = fw_elems_subnet(b, false, &n->subnets[i]);
	if (r >= 0 && n->internal)
		r = fw_elem_ifname(b, false, "internal_br", n->bridge, NULL);
	if (r >= 0)
		r = fw_elem_br_pair(b, false, n->bridge);
	if (r >= 0)
		r = fw_elem_ifname(b, false, "bridges", n->bridge, NULL);
	return r;
}
