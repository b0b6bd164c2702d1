// SPDX-License-Identifier: Apache-2.0
/*
 * berth's table model (the sets, maps and chains of docs/firewall.md) and the
 * fixed rules written into its chains, plus the one rule of an isolation chain.
 */
#include "nft/fw-internal.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"

/* nftables datatype ids (nft's enum datatypes), used as set key types. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_PROTO 12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_IFNAME 41
#define NFT_TYPE_ETHERADDR 9
#define NFT_TYPE_CONCAT2(a, b) (((a) << 6) | (b))
#define NFT_TYPE_CONCAT3(a, b, c) (((a) << 12) | ((b) << 6) | (c))

#define NFT_PRIO_DSTNAT (-100)
#define NFT_PRIO_FILTER 0
#define NFT_PRIO_SRCNAT 100

/* ct state bits (NF_CT_STATE_*_BIT) */
#define CT_STATE_INVALID 1u
#define CT_STATE_ESTABLISHED 2u
#define CT_STATE_RELATED 4u

/* ---- the layout ---- */

#define PF_KEY_ANY NFT_TYPE_CONCAT2(NFT_TYPE_INET_PROTO, NFT_TYPE_INET_SERVICE)
#define PF_KEY_ADDR(t) NFT_TYPE_CONCAT3((t), NFT_TYPE_INET_PROTO, NFT_TYPE_INET_SERVICE)
#define PF_DATA(t) NFT_TYPE_CONCAT2((t), NFT_TYPE_INET_SERVICE)

static const struct fw_set_def fw_sets[] = {
	{ "bridges", 0, NFT_TYPE_IFNAME, 16, { 0 }, NFT_BYTEORDER_HOST, false },
	{ "iso_nets", 0, NFT_TYPE_IFNAME, 16, { 0 }, NFT_BYTEORDER_HOST, false },
	{ "internal_br", 0, NFT_TYPE_IFNAME, 16, { 0 }, NFT_BYTEORDER_HOST, false },
	{ "nat4", NFT_SET_INTERVAL, NFT_TYPE_IPADDR, 4, { 0 }, NFT_BYTEORDER_BIG, false },
	{ "nat6", NFT_SET_INTERVAL, NFT_TYPE_IP6ADDR, 16, { 0 }, NFT_BYTEORDER_BIG, false },
	{ "same4", NFT_SET_INTERVAL | NFT_SET_CONCAT,
	  NFT_TYPE_CONCAT2(NFT_TYPE_IPADDR, NFT_TYPE_IPADDR), 8, { 4, 4 }, NFT_BYTEORDER_MIXED,
	  false },
	{ "same6", NFT_SET_INTERVAL | NFT_SET_CONCAT,
	  NFT_TYPE_CONCAT2(NFT_TYPE_IP6ADDR, NFT_TYPE_IP6ADDR), 32, { 16, 16 },
	  NFT_BYTEORDER_MIXED, false },
	{ "fwd_iso", NFT_SET_MAP, NFT_TYPE_IFNAME, 16, { 0 }, NFT_BYTEORDER_HOST, true },
	/* Appended last so that set ids of the older sets stay as they were. */
	{ "br_pairs", NFT_SET_CONCAT, NFT_TYPE_CONCAT2(NFT_TYPE_IFNAME, NFT_TYPE_IFNAME), 32,
	  { 16, 16 }, NFT_BYTEORDER_HOST, false },
	/*
	 * Port forwards (issue #3). Every field is padded to a 4-byte register:
	 * proto 1 -> 4, port 2 -> 4. Hash maps without NFT_SET_CONCAT or a
	 * concat description, as nft sends them for non-interval concatenations.
	 */
	{ .name = "pf4_any", .flags = NFT_SET_MAP, .key_type = PF_KEY_ANY, .key_len = 8,
	  .byteorder = NFT_BYTEORDER_MIXED, .data_type = PF_DATA(NFT_TYPE_IPADDR), .data_len = 8 },
	{ .name = "pf4_addr", .flags = NFT_SET_MAP, .key_type = PF_KEY_ADDR(NFT_TYPE_IPADDR),
	  .key_len = 12, .byteorder = NFT_BYTEORDER_MIXED, .data_type = PF_DATA(NFT_TYPE_IPADDR),
	  .data_len = 8 },
	{ .name = "pf6_any", .flags = NFT_SET_MAP, .key_type = PF_KEY_ANY, .key_len = 8,
	  .byteorder = NFT_BYTEORDER_MIXED, .data_type = PF_DATA(NFT_TYPE_IP6ADDR), .data_len = 20 },
	{ .name = "pf6_addr", .flags = NFT_SET_MAP, .key_type = PF_KEY_ADDR(NFT_TYPE_IP6ADDR),
	  .key_len = 24, .byteorder = NFT_BYTEORDER_MIXED, .data_type = PF_DATA(NFT_TYPE_IP6ADDR),
	  .data_len = 20 },
	/*
	 * Per-attachment elements of the CNI plugins (struct berth_fw_elem):
	 * hairpin/masqAll sources of port forwards, masquerade of single
	 * addresses (nat), forward accepts (firewall), ingress policies.
	 */
	{ "cni_hp4", NFT_SET_INTERVAL | NFT_SET_CONCAT,
	  NFT_TYPE_CONCAT2(NFT_TYPE_IPADDR, NFT_TYPE_IPADDR), 8, { 4, 4 }, NFT_BYTEORDER_MIXED,
	  false },
	{ "cni_hp6", NFT_SET_INTERVAL | NFT_SET_CONCAT,
	  NFT_TYPE_CONCAT2(NFT_TYPE_IP6ADDR, NFT_TYPE_IP6ADDR), 32, { 16, 16 },
	  NFT_BYTEORDER_MIXED, false },
	{ "cni_local4", NFT_SET_INTERVAL | NFT_SET_CONCAT,
	  NFT_TYPE_CONCAT2(NFT_TYPE_IPADDR, NFT_TYPE_IPADDR), 8, { 4, 4 }, NFT_BYTEORDER_MIXED,
	  false },
	{ "cni_local6", NFT_SET_INTERVAL | NFT_SET_CONCAT,
	  NFT_TYPE_CONCAT2(NFT_TYPE_IP6ADDR, NFT_TYPE_IP6ADDR), 32, { 16, 16 },
	  NFT_BYTEORDER_MIXED, false },
	{ "cni_masq4", 0, NFT_TYPE_IPADDR, 4, { 0 }, NFT_BYTEORDER_BIG, false },
	{ "cni_masq6", 0, NFT_TYPE_IP6ADDR, 16, { 0 }, NFT_BYTEORDER_BIG, false },
	{ "cni_allow4", 0, NFT_TYPE_IPADDR, 4, { 0 }, NFT_BYTEORDER_BIG, false },
	{ "cni_allow6", 0, NFT_TYPE_IP6ADDR, 16, { 0 }, NFT_BYTEORDER_BIG, false },
	{ "cni_iso_br", 0, NFT_TYPE_IFNAME, 16, { 0 }, NFT_BYTEORDER_HOST, false },
	{ "cni_own_br", NFT_SET_CONCAT, NFT_TYPE_CONCAT2(NFT_TYPE_IFNAME, NFT_TYPE_IFNAME), 32,
	  { 16, 16 }, NFT_BYTEORDER_HOST, false },
};

/* Rule builder: remembers the first failure so that call sites stay flat. */
struct fw_rule {
	struct nftnl_rule *r;
	int err;
};


static void fw_portfwd_rules(struct berth_fw_batch *b, const char *chain, int *err);
static void fw_dnat_hook_rules(struct berth_fw_batch *b, const char *chain, int *err);
static void fw_postrouting_rules(struct berth_fw_batch *b, const char *chain, int *err);
static void fw_forward_rules(struct berth_fw_batch *b, const char *chain, int *err);

/*
 * Chains with their fixed rules, in creation order: a regular chain must exist
 * before a rule jumping to it is added, so portfwd comes first.
 */
static const struct fw_base_chain fw_base_chains[] = {
	{ "portfwd", NULL, 0, 0, fw_portfwd_rules },
	{ "prerouting", "nat", NF_INET_PRE_ROUTING, NFT_PRIO_DSTNAT, fw_dnat_hook_rules },
	{ "output", "nat", NF_INET_LOCAL_OUT, NFT_PRIO_DSTNAT, fw_dnat_hook_rules },
	{ "postrouting", "nat", NF_INET_POST_ROUTING, NFT_PRIO_SRCNAT, fw_postrouting_rules },
	{ "forward", "filter", NF_INET_FORWARD, NFT_PRIO_FILTER, fw_forward_rules },
};

static void fw_expr_add(struct fw_rule *rb, struct nftnl_expr *e)
{
	if (!e) {
		rb->err = -ENOMEM;
		return;
	}
	nftnl_rule_add_expr(rb->r, e);
}

static struct nftnl_expr *fw_expr(struct fw_rule *rb, const char *name)
{
	if (rb->err)
		return NULL;
	struct nftnl_expr *e = nftnl_expr_alloc(name);
	if (!e)
		rb->err = -ENOMEM;
	return e;
}

static void ex_meta(struct fw_rule *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = fw_expr(rb, "meta");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	fw_expr_add(rb, e);
}

static void ex_cmp(struct fw_rule *rb, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = fw_expr(rb, "cmp");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
	fw_expr_add(rb, e);
}

static void ex_payload(struct fw_rule *rb, uint32_t base, uint32_t offset, uint32_t len,
		       uint32_t dreg)
{
	struct nftnl_expr *e = fw_expr(rb, "payload");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	fw_expr_add(rb, e);
}

static void ex_payload_nh(struct fw_rule *rb, uint32_t offset, uint32_t len, uint32_t dreg)
{
	ex_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, offset, len, dreg);
}

/* reg1 = (reg1 & mask) ^ 0 */
static void ex_and(struct fw_rule *rb, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = fw_expr(rb, "bitwise");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
	fw_expr_add(rb, e);
}

/* No destination register: a plain set lookup. */
#define FW_NO_DREG UINT32_MAX

/*
 * Set lookup on reg1. dreg: FW_NO_DREG for a plain set, NFT_REG_VERDICT for a
 * verdict map, NFT_REG_1 for a value map (its data into reg1). flags:
 * NFT_LOOKUP_F_INV matches what is not in the set.
 */
static void ex_lookup_flags(struct fw_rule *rb, const char *set, uint32_t dreg, uint32_t flags)
{
	struct nftnl_expr *e = fw_expr(rb, "lookup");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (dreg != FW_NO_DREG)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	if (flags)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
	fw_expr_add(rb, e);
}

static void ex_lookup(struct fw_rule *rb, const char *set, uint32_t dreg)
{
	ex_lookup_flags(rb, set, dreg, 0);
}

static void ex_verdict(struct fw_rule *rb, int verdict)
{
	struct nftnl_expr *e = fw_expr(rb, "immediate");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	fw_expr_add(rb, e);
}

static void ex_masq(struct fw_rule *rb)
{
	fw_expr_add(rb, fw_expr(rb, "masq"));
}

/* meta nfproto == proto (the inet family's "ip"/"ip6" dependency) */
static void ex_nfproto(struct fw_rule *rb, uint8_t proto)
{
	ex_meta(rb, NFT_META_NFPROTO, NFT_REG_1);
	ex_cmp(rb, NFT_CMP_EQ, &proto, sizeof(proto));
}

/* ip/ip6 saddr or daddr into reg1 (with the family check) */
static void ex_addr(struct fw_rule *rb, int family, bool daddr)
{
	if (family == AF_INET) {
		ex_nfproto(rb, NFPROTO_IPV4);
		ex_payload_nh(rb, daddr ? 16 : 12, 4, NFT_REG_1);
	} else {
		ex_nfproto(rb, NFPROTO_IPV6);
		ex_payload_nh(rb, daddr ? 24 : 8, 16, NFT_REG_1);
	}
}

/* ct <key> & bits != 0, for key NFT_CT_STATE or NFT_CT_STATUS */
static void ex_ct_bits(struct fw_rule *rb, uint32_t key, uint32_t bits)
{
	static const uint32_t zero = 0;
	struct nftnl_expr *e = fw_expr(rb, "ct");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	fw_expr_add(rb, e);
	ex_and(rb, &bits, sizeof(bits));
	ex_cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* th dport (2 bytes at transport header + 2) into dreg */
static void ex_th_dport(struct fw_rule *rb, uint32_t dreg)
{
	struct nftnl_expr *e = fw_expr(rb, "payload");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	fw_expr_add(rb, e);
}

/*
 * dnat to the address in reg1 and the port in proto_reg. As nft, no
 * NFTA_NAT_FLAGS: the kernel sets NF_NAT_RANGE_MAP_IPS and
 * NF_NAT_RANGE_PROTO_SPECIFIED itself from the registers present.
 */
static void ex_dnat(struct fw_rule *rb, uint32_t nfproto, uint32_t proto_reg)
{
	struct nftnl_expr *e = fw_expr(rb, "nat");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nfproto);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg);
	fw_expr_add(rb, e);
}

/* fib daddr type local */
static void ex_fib_daddr_local(struct fw_rule *rb)
{
	static const uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = fw_expr(rb, "fib");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	fw_expr_add(rb, e);
	ex_cmp(rb, NFT_CMP_EQ, &local, sizeof(local));
}

static void ex_jump(struct fw_rule *rb, const char *chain)
{
	struct nftnl_expr *e = fw_expr(rb, "immediate");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
	fw_expr_add(rb, e);
}

/* Queue the finished rule (append). */
static void fw_rule_push(struct berth_fw_batch *b, struct fw_rule *rb, const char *chain,
			 const char *text, int *err)
{
	struct nftnl_rule *r = TAKE_PTR(rb->r);
	int k;

	if (rb->err) {
		nftnl_rule_free(r);
		k = rb->err;
	} else {
		k = fw_push(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, false, NFT_OBJ_RULE, r,
			    fw_strf("add rule to chain %s in table %s %s", chain,
				    fw_family_name(b->nb.family), b->table),
			    strdup(text));
	}
	if (k < 0 && !*err)
		*err = k;
}

static struct fw_rule fw_rule_start(struct berth_fw_batch *b, const char *chain)
{
	struct fw_rule rb = { .r = fw_rule_alloc(b, chain) };
	if (!rb.r)
		rb.err = -ENOMEM;
	return rb;
}

/* ---- fixed rules ---- */

/* One portfwd rule: the address form ("ip daddr . proto . port") or the any-address form. */
static void fw_portfwd_rule(struct berth_fw_batch *b, const char *chain, int af, bool any,
			    int *err)
{
	bool v4 = af == AF_INET;
	const char *ip = v4 ? "ip" : "ip6";
	/* The register right after an address: where the next concatenated field goes. */
	uint32_t after_addr = v4 ? NFT_REG32_01 : NFT_REG_2;
	char map[16], text[96];
	struct fw_rule rb = fw_rule_start(b, chain);

	snprintf(map, sizeof(map), "pf%c_%s", v4 ? '4' : '6', any ? "any" : "addr");
	if (any) {
		ex_nfproto(&rb, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		ex_meta(&rb, NFT_META_L4PROTO, NFT_REG_1);
		ex_th_dport(&rb, NFT_REG32_01);
		snprintf(text, sizeof(text),
			 "meta nfproto ipv%c dnat %s to meta l4proto . th dport map @%s", v4 ? '4' : '6',
			 ip, map);
	} else {
		ex_addr(&rb, af, true);
		ex_meta(&rb, NFT_META_L4PROTO, after_addr);
		ex_th_dport(&rb, v4 ? NFT_REG32_02 : NFT_REG32_05);
		snprintf(text, sizeof(text), "dnat %s to %s daddr . meta l4proto . th dport map @%s",
			 ip, ip, map);
	}
	ex_lookup(&rb, map, NFT_REG_1);
	ex_dnat(&rb, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6, after_addr);
	fw_rule_push(b, &rb, chain, text, err);
}

/*
 * Port forwards, most specific first: "host address . proto . port", then
 * "proto . port" for any local address. The map's data is "address . port";
 * the port lands in the register after the address (reg 9 after a 4-byte
 * address, reg 2 after a 16-byte one), where the nat expression reads it.
 * The DNS redirection (gateway . udp/tcp . 53) lives in pf4_addr/pf6_addr and
 * therefore also comes before port forwards for any address.
 *
 * Every rule starts with its meta nfproto check; nft emits it only for the
 * "ip daddr" forms, berth also for the "any" forms so that a packet of the
 * other family costs no lookup (the nat expression would skip it anyway).
 */
static void fw_portfwd_rules(struct berth_fw_batch *b, const char *chain, int *err)
{
	fw_portfwd_rule(b, chain, AF_INET, false, err);
	fw_portfwd_rule(b, chain, AF_INET, true, err);
	fw_portfwd_rule(b, chain, AF_INET6, false, err);
	fw_portfwd_rule(b, chain, AF_INET6, true, err);
}

/* prerouting and output: only packets to a local address can be port forwards. */
static void fw_dnat_hook_rules(struct berth_fw_batch *b, const char *chain, int *err)
{
	struct fw_rule rb = fw_rule_start(b, chain);

	ex_fib_daddr_local(&rb);
	ex_jump(&rb, "portfwd");
	fw_rule_push(b, &rb, chain, "fib daddr type local jump portfwd", err);
}

/*
 * [ct status dnat] ip saddr . ip daddr @same4 masquerade|return (and ip6/same6):
 * the second field goes right after the first (32-bit registers).
 */
static void fw_pair_rule(struct berth_fw_batch *b, const char *chain, const char *base, int af,
			 bool dnat_only, bool masq, int *err)
{
	bool v4 = af == AF_INET;
	const char *ip = v4 ? "ip" : "ip6";
	char text[96], set[24];

	snprintf(set, sizeof(set), "%s%c", base, v4 ? '4' : '6');
	struct fw_rule rb = fw_rule_start(b, chain);

	if (dnat_only)
		ex_ct_bits(&rb, NFT_CT_STATUS, IPS_DST_NAT);
	ex_addr(&rb, af, false);
	if (v4)
		ex_payload_nh(&rb, 16, 4, NFT_REG32_01);
	else
		ex_payload_nh(&rb, 24, 16, NFT_REG_2);
	ex_lookup(&rb, set, FW_NO_DREG);
	if (masq)
		ex_masq(&rb);
	else
		ex_verdict(&rb, NFT_RETURN);
	snprintf(text, sizeof(text), "%s%s saddr . %s daddr @%s %s",
		 dnat_only ? "ct status dnat " : "", ip, ip, set, masq ? "masquerade" : "return");
	fw_rule_push(b, &rb, chain, text, err);
}

static void fw_same_rule(struct berth_fw_batch *b, const char *chain, int af, bool dnat_only,
			 bool masq, int *err)
{
	fw_pair_rule(b, chain, "same", af, dnat_only, masq, err);
}

/* <ip> saddr|daddr @<base>4|6 [ct state established,related] accept|masquerade */
static void fw_addr_rule(struct berth_fw_batch *b, const char *chain, const char *base, int af,
			 bool daddr, bool established, bool masq, int *err)
{
	bool v4 = af == AF_INET;
	const char *ip = v4 ? "ip" : "ip6";
	char text[96], set[24];
	struct fw_rule rb = fw_rule_start(b, chain);

	snprintf(set, sizeof(set), "%s%c", base, v4 ? '4' : '6');
	ex_addr(&rb, af, daddr);
	ex_lookup(&rb, set, FW_NO_DREG);
	if (established)
		ex_ct_bits(&rb, NFT_CT_STATE, CT_STATE_ESTABLISHED | CT_STATE_RELATED);
	if (masq)
		ex_masq(&rb);
	else
		ex_verdict(&rb, NF_ACCEPT);
	snprintf(text, sizeof(text), "%s %s @%s%s %s", ip, daddr ? "daddr" : "saddr", set,
		 established ? " ct state established,related" : "", masq ? "masquerade" : "accept");
	fw_rule_push(b, &rb, chain, text, err);
}

static void fw_postrouting_rules(struct berth_fw_batch *b, const char *chain, int *err)
{
	static const uint8_t mc4_mask[4] = { 0xf0, 0, 0, 0 }, mc4[4] = { 0xe0, 0, 0, 0 };
	static const uint8_t mc6 = 0xff;
	struct fw_rule rb;

	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET, true);
	ex_and(&rb, mc4_mask, 4);
	ex_cmp(&rb, NFT_CMP_EQ, mc4, 4);
	ex_verdict(&rb, NFT_RETURN);
	fw_rule_push(b, &rb, chain, "ip daddr 224.0.0.0/4 return", err);

	/* ff00::/8: the first byte alone */
	rb = fw_rule_start(b, chain);
	ex_nfproto(&rb, NFPROTO_IPV6);
	ex_payload_nh(&rb, 24, 1, NFT_REG_1);
	ex_cmp(&rb, NFT_CMP_EQ, &mc6, 1);
	ex_verdict(&rb, NFT_RETURN);
	fw_rule_push(b, &rb, chain, "ip6 daddr ff00::/8 return", err);

	/*
	 * Hairpin: a container reaching a forwarded port whose target is on its
	 * own subnet would get replies straight from the target; masquerade so
	 * they come back through the host. Must precede the same4/6 returns.
	 */
	fw_same_rule(b, chain, AF_INET, true, true, err);
	fw_same_rule(b, chain, AF_INET6, true, true, err);
	/* CNI portmap: snat (source subnet . container) and masqAll (any . container). */
	fw_pair_rule(b, chain, "cni_hp", AF_INET, true, true, err);
	fw_pair_rule(b, chain, "cni_hp", AF_INET6, true, true, err);

	/* Host processes to 127.0.0.1:<port> (needs route_localnet on the bridge). */
	{
		static const uint8_t lo = 127;
		rb = fw_rule_start(b, chain);
		ex_ct_bits(&rb, NFT_CT_STATUS, IPS_DST_NAT);
		ex_nfproto(&rb, NFPROTO_IPV4);
		ex_payload_nh(&rb, 12, 1, NFT_REG_1);
		ex_cmp(&rb, NFT_CMP_EQ, &lo, 1);
		ex_masq(&rb);
		fw_rule_push(b, &rb, chain, "ct status dnat ip saddr 127.0.0.0/8 masquerade", err);
	}

	fw_same_rule(b, chain, AF_INET, false, false, err);
	fw_same_rule(b, chain, AF_INET6, false, false, err);
	/* CNI nat: an address's traffic within its own subnet stays, the rest is masqueraded. */
	fw_pair_rule(b, chain, "cni_local", AF_INET, false, false, err);
	fw_pair_rule(b, chain, "cni_local", AF_INET6, false, false, err);
	fw_addr_rule(b, chain, "cni_masq", AF_INET, false, false, true, err);
	fw_addr_rule(b, chain, "cni_masq", AF_INET6, false, false, true, err);

	for (int fam = 0; fam < 2; fam++) {
		const char *set = fam ? "nat6" : "nat4";
		char text[64];

		rb = fw_rule_start(b, chain);
		ex_addr(&rb, fam ? AF_INET6 : AF_INET, false);
		ex_lookup(&rb, set, FW_NO_DREG);
		ex_masq(&rb);
		snprintf(text, sizeof(text), "%s saddr @%s masquerade", fam ? "ip6" : "ip", set);
		fw_rule_push(b, &rb, chain, text, err);
	}
}

static void fw_forward_rules(struct berth_fw_batch *b, const char *chain, int *err)
{
	struct fw_rule rb;

	/*
	 * With br_netfilter (bridge-nf-call-iptables=1, common on Kubernetes
	 * nodes) traffic between two ports of one bridge passes this hook with
	 * iifname == oifname == the bridge. It never leaves the network, so
	 * neither internal nor isolation rules apply to it.
	 */
	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_2);
	ex_lookup(&rb, "br_pairs", FW_NO_DREG);
	ex_verdict(&rb, NF_ACCEPT);
	fw_rule_push(b, &rb, chain, "iifname . oifname @br_pairs accept", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_lookup(&rb, "internal_br", FW_NO_DREG);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "iifname @internal_br drop", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
	ex_lookup(&rb, "internal_br", FW_NO_DREG);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "oifname @internal_br drop", err);

	rb = fw_rule_start(b, chain);
	ex_ct_bits(&rb, NFT_CT_STATE, CT_STATE_INVALID);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "ct state invalid drop", err);

	/* Port-forwarded connections pass isolation (netavark >= 2.1). */
	rb = fw_rule_start(b, chain);
	ex_ct_bits(&rb, NFT_CT_STATUS, IPS_DST_NAT);
	ex_verdict(&rb, NF_ACCEPT);
	fw_rule_push(b, &rb, chain, "ct status dnat accept", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_lookup(&rb, "fwd_iso", NFT_REG_VERDICT);
	fw_rule_push(b, &rb, chain, "iifname vmap @fwd_iso", err);

	/*
	 * CNI firewall ingressPolicy: same-bridge bridges accept their own
	 * traffic, then anything between two bridges with a policy (or, for
	 * isolated ones, within one) is dropped.
	 */
	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_2);
	ex_lookup(&rb, "cni_own_br", FW_NO_DREG);
	ex_verdict(&rb, NF_ACCEPT);
	fw_rule_push(b, &rb, chain, "iifname . oifname @cni_own_br accept", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_lookup(&rb, "cni_iso_br", FW_NO_DREG);
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
	ex_lookup(&rb, "cni_iso_br", FW_NO_DREG);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "iifname @cni_iso_br oifname @cni_iso_br drop", err);

	for (int fam = 0; fam < 2; fam++) {
		int af = fam ? AF_INET6 : AF_INET;
		const char *set = fam ? "nat6" : "nat4", *ip = fam ? "ip6" : "ip";
		char text[96];

		rb = fw_rule_start(b, chain);
		ex_addr(&rb, af, true);
		ex_lookup(&rb, set, FW_NO_DREG);
		ex_ct_bits(&rb, NFT_CT_STATE, CT_STATE_ESTABLISHED | CT_STATE_RELATED);
		ex_verdict(&rb, NF_ACCEPT);
		snprintf(text, sizeof(text), "%s daddr @%s ct state established,related accept",
			 ip, set);
		fw_rule_push(b, &rb, chain, text, err);

		rb = fw_rule_start(b, chain);
		ex_addr(&rb, af, false);
		ex_lookup(&rb, set, FW_NO_DREG);
		ex_verdict(&rb, NF_ACCEPT);
		snprintf(text, sizeof(text), "%s saddr @%s accept", ip, set);
		fw_rule_push(b, &rb, chain, text, err);
	}
	/* CNI firewall: what the reference plugin accepts, per container address. */
	for (int fam = 0; fam < 2; fam++) {
		int af = fam ? AF_INET6 : AF_INET;
		fw_addr_rule(b, chain, "cni_allow", af, true, true, false, err);
		fw_addr_rule(b, chain, "cni_allow", af, false, false, false, err);
	}
}

void fw_iso_rule(struct berth_fw_batch *b, const char *chain, const char *bridge,
		 enum berth_fw_isolate iso, int *err)
{
	const char *set = iso == BERTH_FW_ISOLATE_STRICT ? "bridges" : "iso_nets";
	uint8_t key[BERTH_IFNAMSIZ];
	char text[96];
	struct fw_rule rb;

	fw_ifname_key(bridge, key);
	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
	ex_cmp(&rb, NFT_CMP_NEQ, key, sizeof(key));
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
	ex_lookup(&rb, set, FW_NO_DREG);
	ex_verdict(&rb, NF_DROP);
	snprintf(text, sizeof(text), "oifname != \"%s\" oifname @%s drop", bridge, set);
	fw_rule_push(b, &rb, chain, text, err);
}

/*
 * A table of b's current family: the table, its sets (transaction-local ids
 * from id_base), its chains each flushed and given its fixed rules again, so
 * that repeating it is harmless.
 */
static int fw_ensure_layout(struct berth_fw_batch *b, const struct fw_set_def *sets, size_t n_sets,
			    uint32_t id_base, const struct fw_base_chain *chains, size_t n_chains)
{
	int r = fw_cmd_table(b, NFT_MSG_NEWTABLE);

	for (size_t i = 0; r >= 0 && i < n_sets; i++)
		r = fw_cmd_newset(b, &sets[i], id_base + (uint32_t)i);
	for (size_t i = 0; r >= 0 && i < n_chains; i++) {
		const struct fw_base_chain *c = &chains[i];
		int err = 0;

		r = fw_cmd_chain(b, NFT_MSG_NEWCHAIN, c->name, c);
		if (r >= 0)
			r = fw_cmd_flush_chain(b, c->name);
		if (r >= 0) {
			c->rules(b, c->name, &err);
			r = err;
		}
	}
	return r;
}

int berth_fw_batch_ensure_table(struct berth_fw_batch *b)
{
	if (!b)
		return -EINVAL;
	return fw_ensure_layout(b, fw_sets, ARRAY_SIZE(fw_sets), 1, fw_base_chains,
				ARRAY_SIZE(fw_base_chains));
}

/* ---- table bridge <name>: the CNI bridge plugin's macspoofchk ---------------- */

/*
 * Frames entering the bridge from a guarded port (spoof_ports: the host end
 * of a container's veth) pass only with the source MAC the container was
 * given (spoof_ok: port . MAC). One fixed rule for every container; the
 * per-container state is two elements (BERTH_FW_ELEM_MACSPOOF).
 */
static const struct fw_set_def fw_spoof_sets[] = {
	{ "spoof_ports", 0, NFT_TYPE_IFNAME, 16, { 0 }, NFT_BYTEORDER_HOST, false },
	{ "spoof_ok", 0, NFT_TYPE_CONCAT2(NFT_TYPE_IFNAME, NFT_TYPE_ETHERADDR), 24, { 0 },
	  NFT_BYTEORDER_MIXED, false },
};

static void fw_spoof_rules(struct berth_fw_batch *b, const char *chain, int *err)
{
	struct fw_rule rb = fw_rule_start(b, chain);

	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_lookup(&rb, "spoof_ports", FW_NO_DREG);
	/* iifname stays in reg32 0-3; ether saddr (link layer offset 6) into reg32 4-5 */
	ex_payload(&rb, NFT_PAYLOAD_LL_HEADER, 6, 6, NFT_REG32_04);
	ex_lookup_flags(&rb, "spoof_ok", FW_NO_DREG, NFT_LOOKUP_F_INV);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "iifname @spoof_ports iifname . ether saddr != @spoof_ok drop",
		     err);
}

/* the bridge family's prerouting hook before anything else of the bridge (NF_BR_PRI_FIRST + 1) */
static const struct fw_base_chain fw_spoof_chain = { "macspoof", "filter", NF_BR_PRE_ROUTING,
						      -300, fw_spoof_rules };

int fw_ensure_bridge_table(struct berth_fw_batch *b)
{
	uint16_t family = b->nb.family;

	b->nb.family = NFPROTO_BRIDGE;
	int r = fw_ensure_layout(b, fw_spoof_sets, ARRAY_SIZE(fw_spoof_sets), 1000,
				 &fw_spoof_chain, 1);
	b->nb.family = family;
	if (r >= 0)
		b->bridge_table_queued = true;
	return r;
}
