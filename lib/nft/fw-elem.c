// SPDX-License-Identifier: Apache-2.0
/*
 * The CNI plugins' per-attachment elements (struct berth_fw_elem): hairpin
 * sources of port forwards, masquerade of single addresses, forward accepts
 * and ingress policies, each one or two set elements.
 */
#include "nft/fw-internal.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"

static const char *const kind_names[_BERTH_FW_ELEM_MAX] = {
	[BERTH_FW_ELEM_HAIRPIN] = "hairpin",
	[BERTH_FW_ELEM_MASQ] = "masq",
	[BERTH_FW_ELEM_ALLOW] = "allow",
	[BERTH_FW_ELEM_SAME_BRIDGE] = "same-bridge",
	[BERTH_FW_ELEM_ISOLATED] = "isolated",
	[BERTH_FW_ELEM_MACSPOOF] = "macspoof",
};

const char *berth_fw_elem_kind_to_string(enum berth_fw_elem_kind k)
{
	return k >= 0 && k < _BERTH_FW_ELEM_MAX ? kind_names[k] : NULL;
}

int berth_fw_elem_kind_from_string(const char *s)
{
	for (int i = 0; s && i < _BERTH_FW_ELEM_MAX; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -EINVAL;
}

static bool kind_has_addr(enum berth_fw_elem_kind k)
{
	return k == BERTH_FW_ELEM_HAIRPIN || k == BERTH_FW_ELEM_MASQ || k == BERTH_FW_ELEM_ALLOW;
}

bool berth_fw_elem_equal(const struct berth_fw_elem *a, const struct berth_fw_elem *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == BERTH_FW_ELEM_MACSPOOF)
		return strcmp(a->ifname, b->ifname) == 0 && memcmp(a->mac, b->mac, 6) == 0;
	if (!kind_has_addr(a->kind))
		return strcmp(a->ifname, b->ifname) == 0;
	if (!berth_ip_equal(&a->addr, &b->addr))
		return false;
	if (a->kind == BERTH_FW_ELEM_ALLOW)
		return true;
	struct berth_ipnet na, nb;
	berth_ipnet_network(&a->net, &na);
	berth_ipnet_network(&b->net, &nb);
	return na.prefixlen == nb.prefixlen && berth_ip_equal(&na.ip, &nb.ip);
}

static int elem_check(const struct berth_fw_elem *e)
{
	int af = e->addr.family;

	switch (e->kind) {
	case BERTH_FW_ELEM_HAIRPIN:
	case BERTH_FW_ELEM_MASQ:
		if (e->net.ip.family != af || e->net.prefixlen > (af == AF_INET ? 32u : 128u))
			return -EINVAL;
		__attribute__((fallthrough));
	case BERTH_FW_ELEM_ALLOW:
		if (af != AF_INET && af != AF_INET6)
			return -EINVAL;
		if (berth_ip_is_unspecified(&e->addr) || berth_ip_is_multicast(&e->addr))
			return -EINVAL;
		return 0;
	case BERTH_FW_ELEM_MACSPOOF:
		/* a unicast MAC: not all zeros, group bit clear */
		if ((e->mac[0] & 1) || !(e->mac[0] | e->mac[1] | e->mac[2] | e->mac[3] |
					 e->mac[4] | e->mac[5]))
			return -EINVAL;
		__attribute__((fallthrough));
	case BERTH_FW_ELEM_SAME_BRIDGE:
	case BERTH_FW_ELEM_ISOLATED:
		return memchr(e->ifname, 0, sizeof(e->ifname)) && berth_ifname_valid(e->ifname)
			       ? 0
			       : -EINVAL;
	default:
		return -EINVAL;
	}
}

/*
 * A concatenated-range element: first . second, where the `net` field covers
 * its subnet and the address field is a single address.
 */
static int elem_pair(struct berth_fw_batch *b, bool add, const char *set, bool net_first,
		     const struct berth_ipnet *subnet, const struct berth_ip *addr)
{
	size_t alen = berth_ip_len(addr->family);
	struct berth_ipnet net;
	struct berth_ip last;
	uint8_t k[32], k_end[32];
	char nt[BERTH_IPNET_STRLEN], at[BERTH_IP_STRLEN], detail[2 * BERTH_IPNET_STRLEN + 4];

	berth_ipnet_network(subnet, &net);
	berth_ipnet_last(subnet, &last);
	berth_ipnet_fmt(&net, nt);
	berth_ip_fmt(addr, at);
	uint8_t *ka = net_first ? k + alen : k, *kn = net_first ? k : k + alen;
	uint8_t *ea = net_first ? k_end + alen : k_end, *en = net_first ? k_end : k_end + alen;
	memcpy(kn, net.ip.b, alen);
	memcpy(en, last.b, alen);
	memcpy(ka, addr->b, alen);
	memcpy(ea, addr->b, alen);
	struct fw_elem el = { .key = k, .key_end = k_end, .key_len = 2 * alen };
	snprintf(detail, sizeof(detail), "%s . %s", net_first ? nt : at, net_first ? at : nt);
	return fw_cmd_elems(b, add, set, &el, 1, detail);
}

static int elem_addr(struct berth_fw_batch *b, bool add, const char *set,
		     const struct berth_ip *addr)
{
	char at[BERTH_IP_STRLEN];
	struct fw_elem el = { .key = addr->b, .key_len = berth_ip_len(addr->family) };
	return fw_cmd_elems(b, add, set, &el, 1, berth_ip_fmt(addr, at));
}

static int elem_ifname(struct berth_fw_batch *b, bool add, const char *set, const char *ifname,
		       bool pair)
{
	uint8_t key[2 * BERTH_IFNAMSIZ];
	char detail[2 * BERTH_IFNAMSIZ + 8];
	struct fw_elem el = { .key = key, .key_len = pair ? 2 * BERTH_IFNAMSIZ : BERTH_IFNAMSIZ };

	fw_ifname_key(ifname, key);
	fw_ifname_key(ifname, key + BERTH_IFNAMSIZ);
	if (pair)
		snprintf(detail, sizeof(detail), "\"%s\" . \"%s\"", ifname, ifname);
	else
		snprintf(detail, sizeof(detail), "\"%s\"", ifname);
	return fw_cmd_elems(b, add, set, &el, 1, detail);
}

/* The two elements of a guarded port, in table bridge <table>. */
static int elem_macspoof(struct berth_fw_batch *b, bool add, const struct berth_fw_elem *e)
{
	uint8_t port[BERTH_IFNAMSIZ], pair[BERTH_IFNAMSIZ + 8] = { 0 };
	char detail[BERTH_IFNAMSIZ + 32];
	uint16_t family = b->nb.family;
	int r;

	fw_ifname_key(e->ifname, port);
	memcpy(pair, port, BERTH_IFNAMSIZ);
	memcpy(pair + BERTH_IFNAMSIZ, e->mac, 6); /* padded to 8: the register's width */
	struct fw_elem ep = { .key = port, .key_len = BERTH_IFNAMSIZ };
	struct fw_elem eo = { .key = pair, .key_len = sizeof(pair) };
	snprintf(detail, sizeof(detail), "\"%s\" . %02x:%02x:%02x:%02x:%02x:%02x", e->ifname,
		 e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
	b->nb.family = NFPROTO_BRIDGE;
	/* allowed pair first on add, guard first on delete: never guarded without its MAC */
	r = fw_cmd_elems(b, add, add ? "spoof_ok" : "spoof_ports", add ? &eo : &ep, 1,
			 add ? detail : e->ifname);
	if (r >= 0)
		r = fw_cmd_elems(b, add, add ? "spoof_ports" : "spoof_ok", add ? &ep : &eo, 1,
				 add ? e->ifname : detail);
	b->nb.family = family;
	return r;
}

static int elem_queue(struct berth_fw_batch *b, bool add, const struct berth_fw_elem *e)
{
	bool v4 = e->addr.family == AF_INET;
	char set[24];
	int r;

	switch (e->kind) {
	case BERTH_FW_ELEM_HAIRPIN:
		snprintf(set, sizeof(set), "cni_hp%c", v4 ? '4' : '6');
		return elem_pair(b, add, set, true, &e->net, &e->addr);
	case BERTH_FW_ELEM_MASQ:
		snprintf(set, sizeof(set), "cni_local%c", v4 ? '4' : '6');
		r = elem_pair(b, add, set, false, &e->net, &e->addr);
		if (r < 0)
			return r;
		snprintf(set, sizeof(set), "cni_masq%c", v4 ? '4' : '6');
		return elem_addr(b, add, set, &e->addr);
	case BERTH_FW_ELEM_ALLOW:
		snprintf(set, sizeof(set), "cni_allow%c", v4 ? '4' : '6');
		return elem_addr(b, add, set, &e->addr);
	case BERTH_FW_ELEM_SAME_BRIDGE:
		if (add) {
			r = elem_ifname(b, add, "cni_iso_br", e->ifname, false);
			return r < 0 ? r : elem_ifname(b, add, "cni_own_br", e->ifname, true);
		}
		r = elem_ifname(b, add, "cni_own_br", e->ifname, true);
		return r < 0 ? r : elem_ifname(b, add, "cni_iso_br", e->ifname, false);
	case BERTH_FW_ELEM_ISOLATED:
		return elem_ifname(b, add, "cni_iso_br", e->ifname, false);
	case BERTH_FW_ELEM_MACSPOOF:
		if (add && !b->bridge_table_queued && (r = fw_ensure_bridge_table(b)) < 0)
			return r;
		return elem_macspoof(b, add, e);
	default:
		return -EINVAL;
	}
}

static int elems_op(struct berth_fw_batch *b, bool add, const struct berth_fw_elem *e, size_t n)
{
	int r;

	if (!b || (n && !e))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((r = elem_check(&e[i])) < 0)
			return r;
	if (n > BERTH_FW_MAX_ELEMS || b->n_cni_elems + n > BERTH_FW_MAX_ELEMS)
		return -E2BIG;
	b->n_cni_elems += n;
	for (size_t i = 0; i < n; i++)
		if ((r = elem_queue(b, add, &e[i])) < 0)
			return r;
	return 0;
}

int berth_fw_batch_add_elems(struct berth_fw_batch *b, const struct berth_fw_elem *e, size_t n)
{
	return elems_op(b, true, e, n);
}

int berth_fw_batch_del_elems(struct berth_fw_batch *b, const struct berth_fw_elem *e, size_t n)
{
	return elems_op(b, false, e, n);
}

bool berth_fw_elem_kind_ranged(enum berth_fw_elem_kind k)
{
	return k == BERTH_FW_ELEM_HAIRPIN || k == BERTH_FW_ELEM_MASQ;
}

int berth_fw_batch_rebuild_elems(struct berth_fw_batch *b, enum berth_fw_elem_kind k,
				 const struct berth_fw_elem *keep, size_t n_keep)
{
	static const char *const hairpin[] = { "cni_hp4", "cni_hp6" };
	static const char *const masq[] = { "cni_local4", "cni_local6", "cni_masq4", "cni_masq6" };
	const char *const *sets = k == BERTH_FW_ELEM_HAIRPIN ? hairpin : masq;
	size_t n_sets = k == BERTH_FW_ELEM_HAIRPIN ? 2 : 4;
	int r;

	if (!b || !berth_fw_elem_kind_ranged(k) || (n_keep && !keep))
		return -EINVAL;
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i].kind != k || (r = elem_check(&keep[i])) < 0)
			return -EINVAL;
	/* a DELSETELEM without elements flushes the set */
	for (size_t i = 0; i < n_sets; i++)
		if ((r = fw_cmd_elems(b, false, sets[i], NULL, 0, "(all elements)")) < 0)
			return r;
	return elems_op(b, true, keep, n_keep);
}
