// SPDX-License-Identifier: Apache-2.0
/*
 * berth's nftables table (docs/firewall.md).
 *
 * Theory of operation. The table holds a fixed set of rules that never
 * changes with the number of networks; what changes is the content of the
 * sets and maps the rules look up:
 *
 *   bridges, iso_nets, internal_br   ifname sets
 *   br_pairs                         "bridge . bridge": traffic that stays on one bridge
 *   nat4, nat6                       interval sets of non-internal subnets
 *   same4, same6                     "subnet . subnet" concatenated ranges
 *   fwd_iso                          ifname -> jump iso-<bridge> (isolation)
 *   pf4_any, pf6_any                 "proto . port" -> "addr . port" (port forwards, any host address)
 *   pf4_addr, pf6_addr               "addr . proto . port" -> "addr . port" (one host address,
 *                                    and the DNS port redirection gateway:53 -> gateway:port)
 *
 * The only per-network chain is iso-<bridge>, one rule, for isolated networks.
 * Port forwards are reached through the regular chain portfwd, jumped to from
 * the nat prerouting and output hooks for packets to a local address.
 * Each public operation appends commands to a batch; berth_fw_commit() sends
 * the batch as one transaction (batch.c).
 *
 * Encodings follow what nft 1.0.6 sends for the same ruleset (verified with
 * `nft --debug=netlink`): ifname keys are 16 bytes NUL padded; plain interval
 * sets get a start element and an end element (last address + 1, flagged
 * NFT_SET_ELEM_INTERVAL_END, omitted when the range reaches the top of the
 * address space); concatenated ranges get one element with KEY and KEY_END,
 * every field padded to 4-byte registers.
 */
#include "nft/firewall.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <libnftnl/udata.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/log.h"
#include "nft/batch.h"

/* nftables datatype ids (nft's enum datatypes), used as set key types. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_PROTO 12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_IFNAME 41
#define NFT_TYPE_CONCAT2(a, b) (((a) << 6) | (b))
#define NFT_TYPE_CONCAT3(a, b, c) (((a) << 12) | ((b) << 6) | (c))

/* nft's byte order values kept in set userdata, so `nft list` prints keys right. */
#define NFT_BYTEORDER_MIXED 0
#define NFT_BYTEORDER_HOST 1
#define NFT_BYTEORDER_BIG 2

#define NFT_PRIO_DSTNAT (-100)
#define NFT_PRIO_FILTER 0
#define NFT_PRIO_SRCNAT 100

/* Most elements of one port-forward map in one NEWSETELEM (see fw_elems_per_cmd). */
#define FW_ELEM_LIST_BYTES (48 * 1024)

/* ct state bits (NF_CT_STATE_*_BIT) */
#define CT_STATE_INVALID 1u
#define CT_STATE_ESTABLISHED 2u
#define CT_STATE_RELATED 4u

struct berth_fw_batch {
	char *table;
	struct nft_batch nb;
	size_t n_pf_elems; /* port-forward / DNS elements queued (BERTH_FW_MAX_PORTMAP_ELEMS) */
};

/* ---- the layout ---- */

struct fw_set_def {
	const char *name;
	uint32_t flags;
	uint32_t key_type;
	uint32_t key_len;
	uint8_t concat[2]; /* field lengths of a concatenation, else 0 */
	uint32_t byteorder;
	bool verdict_map;
	uint32_t data_type; /* value maps: nft datatype id of the data, else 0 */
	uint32_t data_len;
};

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
};

/* Rule builder: remembers the first failure so that call sites stay flat. */
struct fw_rule {
	struct nftnl_rule *r;
	int err;
};

typedef void (*fw_rules_fn)(struct berth_fw_batch *b, const char *chain, int *err);

/* A chain with fixed rules: a base chain when type != NULL, else a regular one. */
struct fw_base_chain {
	const char *name;
	const char *type;
	uint32_t hook;
	int32_t prio;
	fw_rules_fn rules;
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

/* ---- small helpers ---- */

static char *fw_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fw_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void fw_ifname_key(const char *name, uint8_t key[BERTH_IFNAMSIZ])
{
	memset(key, 0, BERTH_IFNAMSIZ);
	memcpy(key, name, strnlen(name, BERTH_IFNAMSIZ - 1));
}

static char *fw_iso_chain_name(const char *bridge)
{
	return fw_strf("iso-%s", bridge);
}

/* ---- commands ---- */

static int fw_push(struct berth_fw_batch *b, uint16_t msg, uint16_t flags, bool missing_ok,
		   enum nft_obj_kind kind, void *obj, char *what, char *detail)
{
	return nft_batch_push(&b->nb, msg, flags, missing_ok, kind, obj, what, detail);
}

static int fw_cmd_table(struct berth_fw_batch *b, uint16_t msg)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
		if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, b->table) < 0) {
			nftnl_table_free(t);
			t = NULL;
		}
	}
	return fw_push(b, msg, msg == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0,
		       msg == NFT_MSG_DELTABLE, NFT_OBJ_TABLE, t,
		       fw_strf("%s table inet %s", msg == NFT_MSG_NEWTABLE ? "add" : "delete",
			       b->table),
		       NULL);
}

static struct nftnl_chain *fw_chain_alloc(struct berth_fw_batch *b, const char *name)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return NULL;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		return NULL;
	return TAKE_PTR(c);
}

/* NEWCHAIN (base chain when def != NULL) or DELCHAIN. */
static int fw_cmd_chain(struct berth_fw_batch *b, uint16_t msg, const char *name,
			const struct fw_base_chain *def)
{
	struct nftnl_chain *c = fw_chain_alloc(b, name);

	if (c && def && def->type) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, def->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, def->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, def->type) < 0) {
			nftnl_chain_free(c);
			c = NULL;
		}
	}
	if (msg == NFT_MSG_NEWCHAIN)
		return fw_push(b, msg, NLM_F_CREATE, false, NFT_OBJ_CHAIN, c,
			       fw_strf("add chain %s in table inet %s", name, b->table), NULL);
	return fw_push(b, msg, 0, true, NFT_OBJ_CHAIN, c,
		       fw_strf("delete chain %s in table inet %s", name, b->table), NULL);
}

static struct nftnl_rule *fw_rule_alloc(struct berth_fw_batch *b, const char *chain)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, b->table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0)
		return NULL;
	return TAKE_PTR(r);
}

/* DELRULE with only table and chain: removes every rule of the chain. */
static int fw_cmd_flush_chain(struct berth_fw_batch *b, const char *chain)
{
	return fw_push(b, NFT_MSG_DELRULE, 0, false, NFT_OBJ_RULE, fw_rule_alloc(b, chain),
		       fw_strf("flush chain %s in table inet %s", chain, b->table), NULL);
}

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

static void ex_payload_nh(struct fw_rule *rb, uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = fw_expr(rb, "payload");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	fw_expr_add(rb, e);
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

/* Set lookup on reg1; a verdict map when `map` (result into the verdict register). */
static void ex_lookup(struct fw_rule *rb, const char *set, bool map)
{
	struct nftnl_expr *e = fw_expr(rb, "lookup");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (map)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
	fw_expr_add(rb, e);
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

/* ct state & bits != 0 */
static void ex_ct_state(struct fw_rule *rb, uint32_t bits)
{
	static const uint32_t zero = 0;
	struct nftnl_expr *e = fw_expr(rb, "ct");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	fw_expr_add(rb, e);
	ex_and(rb, &bits, sizeof(bits));
	ex_cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* ct status & bits != 0 */
static void ex_ct_status(struct fw_rule *rb, uint32_t bits)
{
	static const uint32_t zero = 0;
	struct nftnl_expr *e = fw_expr(rb, "ct");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
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

/* Value map lookup: key from reg1, data into reg1. */
static void ex_lookup_data(struct fw_rule *rb, const char *set)
{
	struct nftnl_expr *e = fw_expr(rb, "lookup");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
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
			    fw_strf("add rule to chain %s in table inet %s", chain, b->table),
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
	struct fw_rule rb;

	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET, true);
	ex_meta(&rb, NFT_META_L4PROTO, NFT_REG32_01);
	ex_th_dport(&rb, NFT_REG32_02);
	ex_lookup_data(&rb, "pf4_addr");
	ex_dnat(&rb, NFPROTO_IPV4, NFT_REG32_01);
	fw_rule_push(b, &rb, chain, "dnat ip to ip daddr . meta l4proto . th dport map @pf4_addr",
		     err);

	rb = fw_rule_start(b, chain);
	ex_nfproto(&rb, NFPROTO_IPV4);
	ex_meta(&rb, NFT_META_L4PROTO, NFT_REG_1);
	ex_th_dport(&rb, NFT_REG32_01);
	ex_lookup_data(&rb, "pf4_any");
	ex_dnat(&rb, NFPROTO_IPV4, NFT_REG32_01);
	fw_rule_push(b, &rb, chain,
		     "meta nfproto ipv4 dnat ip to meta l4proto . th dport map @pf4_any", err);

	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET6, true);
	ex_meta(&rb, NFT_META_L4PROTO, NFT_REG_2);
	ex_th_dport(&rb, NFT_REG32_05);
	ex_lookup_data(&rb, "pf6_addr");
	ex_dnat(&rb, NFPROTO_IPV6, NFT_REG_2);
	fw_rule_push(b, &rb, chain,
		     "dnat ip6 to ip6 daddr . meta l4proto . th dport map @pf6_addr", err);

	rb = fw_rule_start(b, chain);
	ex_nfproto(&rb, NFPROTO_IPV6);
	ex_meta(&rb, NFT_META_L4PROTO, NFT_REG_1);
	ex_th_dport(&rb, NFT_REG32_01);
	ex_lookup_data(&rb, "pf6_any");
	ex_dnat(&rb, NFPROTO_IPV6, NFT_REG_2);
	fw_rule_push(b, &rb, chain,
		     "meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @pf6_any", err);
}

/* prerouting and output: only packets to a local address can be port forwards. */
static void fw_dnat_hook_rules(struct berth_fw_batch *b, const char *chain, int *err)
{
	struct fw_rule rb = fw_rule_start(b, chain);

	ex_fib_daddr_local(&rb);
	ex_jump(&rb, "portfwd");
	fw_rule_push(b, &rb, chain, "fib daddr type local jump portfwd", err);
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
	rb = fw_rule_start(b, chain);
	ex_ct_status(&rb, IPS_DST_NAT);
	ex_addr(&rb, AF_INET, false);
	ex_payload_nh(&rb, 16, 4, NFT_REG32_01);
	ex_lookup(&rb, "same4", false);
	ex_masq(&rb);
	fw_rule_push(b, &rb, chain, "ct status dnat ip saddr . ip daddr @same4 masquerade", err);

	rb = fw_rule_start(b, chain);
	ex_ct_status(&rb, IPS_DST_NAT);
	ex_addr(&rb, AF_INET6, false);
	ex_payload_nh(&rb, 24, 16, NFT_REG_2);
	ex_lookup(&rb, "same6", false);
	ex_masq(&rb);
	fw_rule_push(b, &rb, chain, "ct status dnat ip6 saddr . ip6 daddr @same6 masquerade",
		     err);

	/* Host processes to 127.0.0.1:<port> (needs route_localnet on the bridge). */
	{
		static const uint8_t lo = 127;
		rb = fw_rule_start(b, chain);
		ex_ct_status(&rb, IPS_DST_NAT);
		ex_nfproto(&rb, NFPROTO_IPV4);
		ex_payload_nh(&rb, 12, 1, NFT_REG_1);
		ex_cmp(&rb, NFT_CMP_EQ, &lo, 1);
		ex_masq(&rb);
		fw_rule_push(b, &rb, chain, "ct status dnat ip saddr 127.0.0.0/8 masquerade", err);
	}

	/* saddr . daddr: the second field goes right after the first (32-bit registers) */
	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET, false);
	ex_payload_nh(&rb, 16, 4, NFT_REG32_01);
	ex_lookup(&rb, "same4", false);
	ex_verdict(&rb, NFT_RETURN);
	fw_rule_push(b, &rb, chain, "ip saddr . ip daddr @same4 return", err);

	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET6, false);
	ex_payload_nh(&rb, 24, 16, NFT_REG_2);
	ex_lookup(&rb, "same6", false);
	ex_verdict(&rb, NFT_RETURN);
	fw_rule_push(b, &rb, chain, "ip6 saddr . ip6 daddr @same6 return", err);

	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET, false);
	ex_lookup(&rb, "nat4", false);
	ex_masq(&rb);
	fw_rule_push(b, &rb, chain, "ip saddr @nat4 masquerade", err);

	rb = fw_rule_start(b, chain);
	ex_addr(&rb, AF_INET6, false);
	ex_lookup(&rb, "nat6", false);
	ex_masq(&rb);
	fw_rule_push(b, &rb, chain, "ip6 saddr @nat6 masquerade", err);
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
	ex_lookup(&rb, "br_pairs", false);
	ex_verdict(&rb, NF_ACCEPT);
	fw_rule_push(b, &rb, chain, "iifname . oifname @br_pairs accept", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_lookup(&rb, "internal_br", false);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "iifname @internal_br drop", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_OIFNAME, NFT_REG_1);
	ex_lookup(&rb, "internal_br", false);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "oifname @internal_br drop", err);

	rb = fw_rule_start(b, chain);
	ex_ct_state(&rb, CT_STATE_INVALID);
	ex_verdict(&rb, NF_DROP);
	fw_rule_push(b, &rb, chain, "ct state invalid drop", err);

	/* Port-forwarded connections pass isolation (netavark >= 2.1). */
	rb = fw_rule_start(b, chain);
	ex_ct_status(&rb, IPS_DST_NAT);
	ex_verdict(&rb, NF_ACCEPT);
	fw_rule_push(b, &rb, chain, "ct status dnat accept", err);

	rb = fw_rule_start(b, chain);
	ex_meta(&rb, NFT_META_IIFNAME, NFT_REG_1);
	ex_lookup(&rb, "fwd_iso", true);
	fw_rule_push(b, &rb, chain, "iifname vmap @fwd_iso", err);

	for (int fam = 0; fam < 2; fam++) {
		int af = fam ? AF_INET6 : AF_INET;
		const char *set = fam ? "nat6" : "nat4", *ip = fam ? "ip6" : "ip";
		char text[96];

		rb = fw_rule_start(b, chain);
		ex_addr(&rb, af, true);
		ex_lookup(&rb, set, false);
		ex_ct_state(&rb, CT_STATE_ESTABLISHED | CT_STATE_RELATED);
		ex_verdict(&rb, NF_ACCEPT);
		snprintf(text, sizeof(text), "%s daddr @%s ct state established,related accept",
			 ip, set);
		fw_rule_push(b, &rb, chain, text, err);

		rb = fw_rule_start(b, chain);
		ex_addr(&rb, af, false);
		ex_lookup(&rb, set, false);
		ex_verdict(&rb, NF_ACCEPT);
		snprintf(text, sizeof(text), "%s saddr @%s accept", ip, set);
		fw_rule_push(b, &rb, chain, text, err);
	}
}

/* The one rule of iso-<bridge>: leaving towards another (isolated) berth bridge is dropped. */
static void fw_iso_rule(struct berth_fw_batch *b, const char *chain, const char *bridge,
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
	ex_lookup(&rb, set, false);
	ex_verdict(&rb, NF_DROP);
	snprintf(text, sizeof(text), "oifname != \"%s\" oifname @%s drop", bridge, set);
	fw_rule_push(b, &rb, chain, text, err);
}

/* ---- sets and elements ---- */

static int fw_cmd_newset(struct berth_fw_batch *b, const struct fw_set_def *d, uint32_t id)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *ud;
	int r = -ENOMEM;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, b->table) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, d->name) < 0)
		return -ENOMEM;
	/* The kernel wants a transaction-local id on every NEWSET. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	if (d->verdict_map) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
	} else if (d->data_type) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
	}
	if (d->concat[0] &&
	    nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, d->concat, sizeof(d->concat)) < 0)
		return -ENOMEM;

	ud = nftnl_udata_buf_alloc(64);
	if (!ud)
		return -ENOMEM;
	if (nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, d->byteorder) &&
	    (!(d->verdict_map || d->data_type) ||
	     nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, NFT_BYTEORDER_MIXED)) &&
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) >= 0)
		r = 0;
	nftnl_udata_buf_free(ud);
	if (r < 0)
		return r;

	return fw_push(b, NFT_MSG_NEWSET, NLM_F_CREATE, false, NFT_OBJ_SET, TAKE_PTR(s),
		       fw_strf("add %s %s in table inet %s",
			       d->verdict_map || d->data_type ? "map" : "set",
			       d->name, b->table),
		       NULL);
}

/* One element, built from up to two parts (start/end of a plain interval). */
struct fw_elem {
	const void *key, *key_end;
	uint32_t key_len;
	uint32_t flags;
	const char *jump; /* verdict map: chain to jump to */
	const void *data; /* value map: the element's data (added only) */
	uint32_t data_len;
};

static int fw_cmd_elems_flags(struct berth_fw_batch *b, bool add, uint16_t extra_flags,
			      const char *set, const struct fw_elem *elems, size_t n,
			      const char *detail)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, b->table) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		_cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		const struct fw_elem *fe = &elems[i];

		if (!e)
			return -ENOMEM;
		if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, fe->key, fe->key_len) < 0)
			return -ENOMEM;
		if (fe->key_end &&
		    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, fe->key_end, fe->key_len) < 0)
			return -ENOMEM;
		if (fe->flags)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, fe->flags);
		if (fe->data && add &&
		    nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, fe->data, fe->data_len) < 0)
			return -ENOMEM;
		if (fe->jump && add) {
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
			if (nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, fe->jump) < 0)
				return -ENOMEM;
		}
		nftnl_set_elem_add(s, TAKE_PTR(e));
	}

	return fw_push(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
		       add ? NLM_F_CREATE | extra_flags : 0, !add, NFT_OBJ_SET, TAKE_PTR(s),
		       add ? fw_strf("add element to set %s in table inet %s", set, b->table)
			   : fw_strf("delete element from set %s in table inet %s", set, b->table),
		       strdup(detail));
}

static int fw_cmd_elems(struct berth_fw_batch *b, bool add, const char *set,
			const struct fw_elem *elems, size_t n, const char *detail)
{
	return fw_cmd_elems_flags(b, add, 0, set, elems, n, detail);
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
	struct fw_elem start_e = { .key = net.ip.b, .key_len = alen };
	struct fw_elem end_e = { .key = end, .key_len = alen, .flags = NFT_SET_ELEM_INTERVAL_END };
	if (add) {
		struct fw_elem pair[2] = { start_e, end_e };
		r = fw_cmd_elems(b, true, plain, pair, has_end ? 2 : 1, text);
	} else {
		r = fw_cmd_elems(b, false, plain, &start_e, 1, text);
		if (r >= 0 && has_end) {
			char d[BERTH_IPNET_STRLEN + 16];
			snprintf(d, sizeof(d), "%s (interval end)", text);
			r = fw_cmd_elems(b, false, plain, &end_e, 1, d);
		}
	}
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

/* ---- port forwards and DNS redirection ---- */

static bool fw_ip_family_ok(const struct berth_ip *ip)
{
	return ip->family == AF_INET || ip->family == AF_INET6;
}

static int fw_portmap_check(const struct berth_fw_portmap *pm)
{
	if (!fw_ip_family_ok(&pm->host_ip) || pm->container_ip.family != pm->host_ip.family)
		return -EINVAL;
	if (berth_ip_is_unspecified(&pm->container_ip) || berth_ip_is_multicast(&pm->container_ip) ||
	    berth_ip_is_multicast(&pm->host_ip))
		return -EINVAL;
	if (!berth_l4proto_name(pm->protocol))
		return -EINVAL;
	if (pm->range < 1 || pm->host_port < 1 || pm->container_port < 1)
		return -EINVAL;
	if ((uint32_t)pm->host_port + pm->range - 1 > UINT16_MAX ||
	    (uint32_t)pm->container_port + pm->range - 1 > UINT16_MAX)
		return -EINVAL;
	return 0;
}

/* "[fd00::1]:8080" / "10.0.0.1:8080-8089" */
static void fw_fmt_endpoint(const struct berth_ip *ip, uint16_t port, uint16_t range, char *buf,
			    size_t size)
{
	char a[BERTH_IP_STRLEN];
	bool v6 = ip->family == AF_INET6;

	berth_ip_fmt(ip, a);
	if (range > 1)
		snprintf(buf, size, "%s%s%s:%u-%u", v6 ? "[" : "", a, v6 ? "]" : "", port,
			 (unsigned)port + range - 1);
	else
		snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", port);
}

/* Elements of one NEWSETELEM: keep the nested element list well below 64 KiB (u16 nla_len). */
static size_t fw_elems_per_cmd(uint32_t key_len, uint32_t data_len)
{
	/* element nest, key nest + value, data nest + value (all 4-byte aligned already) */
	size_t one = 4 + (4 + 4 + key_len) + (4 + 4 + data_len);
	return FW_ELEM_LIST_BYTES / one;
}

/* Key of a port-forward element: [addr .] proto . port, each field in a 4-byte register. */
static uint32_t fw_pf_key(uint8_t *key, const struct berth_ip *host, bool any, uint8_t proto,
			  uint16_t port)
{
	uint32_t off = 0;

	if (!any) {
		size_t alen = berth_ip_len(host->family);
		memcpy(key, host->b, alen);
		off = (uint32_t)alen;
	}
	memset(key + off, 0, 8);
	key[off] = proto;
	key[off + 4] = (uint8_t)(port >> 8);
	key[off + 5] = (uint8_t)port;
	return off + 8;
}

/* Data: addr . port */
static uint32_t fw_pf_data(uint8_t *data, const struct berth_ip *ip, uint16_t port)
{
	size_t alen = berth_ip_len(ip->family);

	memcpy(data, ip->b, alen);
	memset(data + alen, 0, 4);
	data[alen] = (uint8_t)(port >> 8);
	data[alen + 1] = (uint8_t)port;
	return (uint32_t)alen + 4;
}

static const char *fw_pf_map(int family, bool any)
{
	if (family == AF_INET)
		return any ? "pf4_any" : "pf4_addr";
	return any ? "pf6_any" : "pf6_addr";
}

/*
 * Queue one mapping: all its elements in as few NEWSETELEM commands as the
 * message size allows (one for ranges up to ~750 ports) when adding, one
 * DELSETELEM per element when deleting (a multi-element delete fails as a
 * whole with ENOENT if any one element is missing, and "missing is fine"
 * drops the whole command, which would leave the other elements behind).
 */
static int fw_portmap_queue(struct berth_fw_batch *b, bool add, const struct berth_fw_portmap *pm)
{
	bool any = berth_ip_is_unspecified(&pm->host_ip);
	const char *map = fw_pf_map(pm->host_ip.family, any);
	_cleanup_free_ uint8_t *keys = NULL, *datas = NULL;
	_cleanup_free_ struct fw_elem *elems = NULL;
	char h[BERTH_IP_STRLEN + 16], c[BERTH_IP_STRLEN + 16], detail[2 * sizeof(h) + 16];
	uint32_t key_len = 0, data_len = 0;
	size_t per_cmd;
	int r = 0;

	keys = calloc(pm->range, 24);
	datas = calloc(pm->range, 20);
	elems = calloc(pm->range, sizeof(*elems));
	if (!keys || !datas || !elems)
		return -ENOMEM;

	for (uint32_t i = 0; i < pm->range; i++) {
		key_len = fw_pf_key(keys + 24 * i, &pm->host_ip, any, pm->protocol,
				    (uint16_t)(pm->host_port + i));
		data_len = fw_pf_data(datas + 20 * i, &pm->container_ip,
				      (uint16_t)(pm->container_port + i));
		elems[i] = (struct fw_elem){ .key = keys + 24 * i,
					     .key_len = key_len,
					     .data = datas + 20 * i,
					     .data_len = data_len };
	}

	fw_fmt_endpoint(&pm->host_ip, pm->host_port, pm->range, h, sizeof(h));
	fw_fmt_endpoint(&pm->container_ip, pm->container_port, pm->range, c, sizeof(c));
	snprintf(detail, sizeof(detail), "%s %s -> %s", berth_l4proto_name(pm->protocol), h, c);

	per_cmd = add ? fw_elems_per_cmd(key_len, data_len) : 1;
	for (size_t i = 0; r >= 0 && i < pm->range; i += per_cmd) {
		size_t n = pm->range - i < per_cmd ? pm->range - i : per_cmd;
		r = fw_cmd_elems_flags(b, add, NLM_F_EXCL, map, elems + i, n, detail);
	}
	return r;
}

static int fw_portmaps(struct berth_fw_batch *b, bool add, const struct berth_fw_portmap *pm,
		       size_t n)
{
	size_t total = 0;
	int r;

	if (!b || (n > 0 && !pm))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		r = fw_portmap_check(&pm[i]);
		if (r < 0)
			return r;
		total += pm[i].range;
		if (total > BERTH_FW_MAX_PORTMAP_ELEMS)
			return -E2BIG;
	}
	if (b->n_pf_elems + total > BERTH_FW_MAX_PORTMAP_ELEMS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		r = fw_portmap_queue(b, add, &pm[i]);
		if (r < 0)
			return r;
	}
	b->n_pf_elems += total;
	return 0;
}

int berth_fw_batch_add_portmaps(struct berth_fw_batch *b, const struct berth_fw_portmap *pm,
				size_t n)
{
	return fw_portmaps(b, true, pm, n);
}

int berth_fw_batch_del_portmaps(struct berth_fw_batch *b, const struct berth_fw_portmap *pm,
				size_t n)
{
	return fw_portmaps(b, false, pm, n);
}

static int fw_dns_redirect(struct berth_fw_batch *b, bool add, const struct berth_ip *gw,
			   uint16_t port)
{
	static const uint8_t protos[2] = { IPPROTO_UDP, IPPROTO_TCP };
	const char *map;
	uint8_t keys[2][24], data[20];
	struct fw_elem e[2];
	char g[BERTH_IP_STRLEN + 16], detail[2 * sizeof(g) + 32];
	int r;

	if (!b || !gw || !fw_ip_family_ok(gw) || berth_ip_is_unspecified(gw) ||
	    berth_ip_is_multicast(gw) || port == 0)
		return -EINVAL;
	if (port == 53)
		return 0; /* nothing to redirect */
	if (b->n_pf_elems + 2 > BERTH_FW_MAX_PORTMAP_ELEMS)
		return -E2BIG;

	map = fw_pf_map(gw->family, false);
	uint32_t dlen = fw_pf_data(data, gw, port);
	for (int i = 0; i < 2; i++)
		e[i] = (struct fw_elem){ .key = keys[i],
					 .key_len = fw_pf_key(keys[i], gw, false, protos[i], 53),
					 .data = data,
					 .data_len = dlen };

	fw_fmt_endpoint(gw, 53, 1, g, sizeof(g));
	snprintf(detail, sizeof(detail), "dns udp+tcp %s -> port %u", g, port);
	if (add)
		r = fw_cmd_elems(b, true, map, e, 2, detail);
	else {
		r = fw_cmd_elems(b, false, map, &e[0], 1, detail);
		if (r >= 0)
			r = fw_cmd_elems(b, false, map, &e[1], 1, detail);
	}
	if (r >= 0)
		b->n_pf_elems += 2;
	return r;
}

int berth_fw_batch_add_dns_redirect(struct berth_fw_batch *b, const struct berth_ip *gateway,
				    uint16_t port)
{
	return fw_dns_redirect(b, true, gateway, port);
}

int berth_fw_batch_del_dns_redirect(struct berth_fw_batch *b, const struct berth_ip *gateway,
				    uint16_t port)
{
	return fw_dns_redirect(b, false, gateway, port);
}

void berth_fw_batch_set_tag(struct berth_fw_batch *b, int tag)
{
	if (b)
		b->nb.tag = tag;
}

/* ---- public API ---- */

int berth_fw_batch_new(const char *table, struct berth_fw_batch **ret)
{
	struct berth_fw_batch *b;

	if (!ret)
		return -EINVAL;
	if (!table)
		table = BERTH_FW_TABLE_DEFAULT;
	if (table[0] == '\0' || strlen(table) >= NFT_TABLE_MAXNAMELEN)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->table = strdup(table);
	if (!b->table) {
		free(b);
		return -ENOMEM;
	}
	nft_batch_init(&b->nb, NFPROTO_INET);
	*ret = b;
	return 0;
}

void berth_fw_batch_free(struct berth_fw_batch *b)
{
	if (!b)
		return;
	nft_batch_done(&b->nb);
	free(b->table);
	free(b);
}

size_t berth_fw_batch_size(const struct berth_fw_batch *b)
{
	return b ? b->nb.n_cmds : 0;
}

int berth_fw_batch_ensure_table(struct berth_fw_batch *b)
{
	int r = 0;

	if (!b)
		return -EINVAL;
	r = fw_cmd_table(b, NFT_MSG_NEWTABLE);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(fw_sets); i++)
		r = fw_cmd_newset(b, &fw_sets[i], (uint32_t)i + 1);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(fw_base_chains); i++) {
		const struct fw_base_chain *c = &fw_base_chains[i];
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

static int fw_network_check(const struct berth_fw_network *n)
{
	if (!n || !n->bridge || !berth_ifname_valid(n->bridge))
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
	int r;

	if (!b)
		return -EINVAL;
	r = fw_network_check(n);
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
	int r;

	if (!b)
		return -EINVAL;
	r = fw_network_check(n);
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

int berth_fw_batch_del_table(struct berth_fw_batch *b)
{
	if (!b)
		return -EINVAL;
	return fw_cmd_table(b, NFT_MSG_DELTABLE);
}

int berth_fw_commit(struct berth_fw_batch *b, char **ret_msg)
{
	return berth_fw_commit_tagged(b, ret_msg, NULL, NULL);
}

int berth_fw_commit_tagged(struct berth_fw_batch *b, char **ret_msg, int *ret_failed_tag,
			   int *ret_failed_errno)
{
	if (ret_failed_tag)
		*ret_failed_tag = -1;
	if (ret_failed_errno)
		*ret_failed_errno = 0;
	if (!b)
		return -EINVAL;
	return nft_batch_commit_tagged(&b->nb, ret_msg, ret_failed_tag, ret_failed_errno);
}

int berth_fw_batch_dump(const struct berth_fw_batch *b, FILE *f)
{
	if (!b || !f)
		return -EINVAL;
	return nft_batch_dump(&b->nb, f);
}

void berth_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

struct fw_list_ctx {
	struct nftnl_set *set;
};

static int fw_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fw_list_ctx *ctx = data;

	if (nftnl_set_elems_nlmsg_parse(nlh, ctx->set) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static int fw_collect_name(struct nftnl_set_elem *e, void *data)
{
	char ***v = data;
	uint32_t len = 0;
	const char *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	size_t n = 0;

	if (!key || len == 0)
		return 0;
	while ((*v)[n])
		n++;
	char **p = reallocarray(*v, n + 2, sizeof(char *));
	if (!p)
		return -ENOMEM;
	*v = p;
	p[n] = strndup(key, len < BERTH_IFNAMSIZ ? len : BERTH_IFNAMSIZ);
	if (!p[n])
		return -ENOMEM;
	p[n + 1] = NULL;
	return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, berth_strv_free)

static int fw_table_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(bool *)data = true;
	return MNL_CB_OK;
}

int berth_fw_table_exists(const char *table)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	char buf[256];
	bool found = false;
	int r;

	if (!table)
		table = BERTH_FW_TABLE_DEFAULT;
	if (table[0] == '\0' || strlen(table) >= NFT_TABLE_MAXNAMELEN)
		return -EINVAL;
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0)
		return -ENOMEM;
	r = nft_socket_open(&nl);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh =
		nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, 1);
	nftnl_table_nlmsg_build_payload(nlh, t);
	r = nft_dump(nl, nlh, fw_table_cb, &found);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return found ? 1 : 0;
}

int berth_fw_list_bridges(const char *table, char ***ret)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	_cleanup_(berth_strv_freep) char **names = NULL;
	int r;

	if (!table)
		table = BERTH_FW_TABLE_DEFAULT;
	if (table[0] == '\0' || strlen(table) >= NFT_TABLE_MAXNAMELEN)
		return -EINVAL;

	r = nft_socket_open(&nl);
	if (r < 0)
		return r;

	for (int attempt = 0;; attempt++) {
		_cleanup_(nftnl_set_freep) struct nftnl_set *req = nftnl_set_alloc();
		_cleanup_(nftnl_set_freep) struct nftnl_set *got = nftnl_set_alloc();
		_cleanup_free_ char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
		struct fw_list_ctx ctx = { .set = got };
		struct nlmsghdr *nlh;

		if (!req || !got || !buf)
			return -ENOMEM;
		if (nftnl_set_set_str(req, NFTNL_SET_TABLE, table) < 0 ||
		    nftnl_set_set_str(req, NFTNL_SET_NAME, "bridges") < 0)
			return -ENOMEM;
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP,
					    (uint32_t)attempt + 1);
		nftnl_set_elems_nlmsg_build_payload(nlh, req);

		r = nft_dump(nl, nlh, fw_list_cb, &ctx);
		if (r == -EINTR && attempt < 3)
			continue;
		if (r == -ENOENT) {
			r = 0;
			break;
		}
		if (r < 0)
			return r;

		berth_strv_free(names);
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
		r = nftnl_set_elem_foreach(got, fw_collect_name, &names);
		if (r < 0)
			return -ENOMEM;
		break;
	}

	if (!names) {
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
	}
	size_t n = 0;
	while (names[n])
		n++;
	if (ret)
		*ret = TAKE_PTR(names);
	return (int)n;
}
