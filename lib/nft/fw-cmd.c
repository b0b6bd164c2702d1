// SPDX-License-Identifier: Apache-2.0
/* One nf_tables command each: table, chain, flush, set, set elements (docs/firewall.md). */
#include "nft/fw-internal.h"

#include <errno.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"

/* ---- small helpers ---- */

char *fw_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void fw_ifname_key(const char *name, uint8_t key[BERTH_IFNAMSIZ])
{
	memset(key, 0, BERTH_IFNAMSIZ);
	memcpy(key, name, strnlen(name, BERTH_IFNAMSIZ - 1));
}

const char *fw_family_name(uint16_t family)
{
	return family == NFPROTO_BRIDGE ? "bridge" : "inet";
}

/* ---- commands ---- */

int fw_push(struct berth_fw_batch *b, uint16_t msg, uint16_t flags, bool missing_ok,
	    enum nft_obj_kind kind, void *obj, char *what, char *detail)
{
	return nft_batch_push(&b->nb, msg, flags, missing_ok, kind, obj, what, detail);
}

int fw_cmd_table(struct berth_fw_batch *b, uint16_t msg)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, b->nb.family);
		if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, b->table) < 0) {
			nftnl_table_free(t);
			t = NULL;
		}
	}
	return fw_push(b, msg, msg == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0,
		       msg == NFT_MSG_DELTABLE, NFT_OBJ_TABLE, t,
		       fw_strf("%s table %s %s", msg == NFT_MSG_NEWTABLE ? "add" : "delete",
			       fw_family_name(b->nb.family), b->table),
		       NULL);
}

static struct nftnl_chain *fw_chain_alloc(struct berth_fw_batch *b, const char *name)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return NULL;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, b->nb.family);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		return NULL;
	return TAKE_PTR(c);
}

int fw_cmd_chain(struct berth_fw_batch *b, uint16_t msg, const char *name,
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
			       fw_strf("add chain %s in table %s %s", name,
				       fw_family_name(b->nb.family), b->table),
			       NULL);
	return fw_push(b, msg, 0, true, NFT_OBJ_CHAIN, c,
		       fw_strf("delete chain %s in table %s %s", name,
			       fw_family_name(b->nb.family), b->table),
		       NULL);
}

struct nftnl_rule *fw_rule_alloc(struct berth_fw_batch *b, const char *chain)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, b->nb.family);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, b->table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0)
		return NULL;
	return TAKE_PTR(r);
}

int fw_cmd_flush_chain(struct berth_fw_batch *b, const char *chain)
{
	return fw_push(b, NFT_MSG_DELRULE, 0, false, NFT_OBJ_RULE, fw_rule_alloc(b, chain),
		       fw_strf("flush chain %s in table %s %s", chain,
			       fw_family_name(b->nb.family), b->table),
		       NULL);
}

/* ---- sets and elements ---- */

int fw_cmd_newset(struct berth_fw_batch *b, const struct fw_set_def *d, uint32_t id)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *ud;
	int r = -ENOMEM;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, b->nb.family);
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
		       fw_strf("add %s %s in table %s %s",
			       d->verdict_map || d->data_type ? "map" : "set", d->name,
			       fw_family_name(b->nb.family), b->table),
		       NULL);
}

int fw_cmd_elems_flags(struct berth_fw_batch *b, bool add, uint16_t extra_flags,
		       const char *set, const struct fw_elem *elems, size_t n,
		       const char *detail)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, b->nb.family);
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
		       add ? fw_strf("add element to set %s in table %s %s", set,
				     fw_family_name(b->nb.family), b->table)
			   : fw_strf("delete element from set %s in table %s %s", set,
				     fw_family_name(b->nb.family), b->table),
		       strdup(detail));
}

int fw_cmd_elems(struct berth_fw_batch *b, bool add, const char *set,
		 const struct fw_elem *elems, size_t n, const char *detail)
{
	return fw_cmd_elems_flags(b, add, 0, set, elems, n, detail);
}

int fw_cmd_elems_each(struct berth_fw_batch *b, bool add, uint16_t extra_flags, const char *set,
		      const struct fw_elem *elems, size_t n, size_t per_add, const char *detail)
{
	size_t per_cmd = add ? (per_add ? per_add : 1) : 1;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i += per_cmd) {
		size_t k = n - i < per_cmd ? n - i : per_cmd;
		_cleanup_free_ char *d = NULL;

		if (!add && elems[i].note) {
			d = fw_strf("%s (%s)", detail, elems[i].note);
			if (!d)
				return -ENOMEM;
		}
		r = fw_cmd_elems_flags(b, add, extra_flags, set, elems + i, k, d ? d : detail);
	}
	return r;
}
