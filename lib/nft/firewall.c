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
 * This file: the batch object, commit, dump, and the queries; the layout
 * lives in fw-rules.c, fw-network.c and fw-portmap.c (see fw-internal.h).
 *
 * Encodings follow what nft 1.0.6 sends for the same ruleset (verified with
 * `nft --debug=netlink`): ifname keys are 16 bytes NUL padded; plain interval
 * sets get a start element and an end element (last address + 1, flagged
 * NFT_SET_ELEM_INTERVAL_END, omitted when the range reaches the top of the
 * address space); concatenated ranges get one element with KEY and KEY_END,
 * every field padded to 4-byte registers.
 */
#include "nft/fw-internal.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"

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

/* ---- probe: are the queued elements there? ---------------------------------- */

struct fw_probe_ctx {
	struct nftnl_set *got;
};

static int fw_probe_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fw_probe_ctx *ctx = data;

	if (nftnl_set_elems_nlmsg_parse(nlh, ctx->got) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

struct fw_probe_walk {
	struct mnl_socket *nl;
	const char *table, *set;
	uint16_t family;
	uint32_t seq;
	int err; /* first failure: -ENOENT missing, -EILSEQ other data */
};

static int fw_probe_data_cb(struct nftnl_set_elem *e, void *data)
{
	const void **want = data;
	uint32_t len = 0;
	const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (want[0] && (!d || len != *(const uint32_t *)want[1] || memcmp(d, want[0], len) != 0))
		return -EILSEQ;
	return 0;
}

/* GETSETELEM for one element, compare its data (value maps) with what was queued. */
static int fw_probe_elem(struct nftnl_set_elem *e, void *data)
{
	struct fw_probe_walk *w = data;
	_cleanup_(nftnl_set_freep) struct nftnl_set *req = nftnl_set_alloc();
	_cleanup_(nftnl_set_freep) struct nftnl_set *got = nftnl_set_alloc();
	_cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *q = nftnl_set_elem_alloc();
	_cleanup_free_ char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	uint32_t klen = 0, kelen = 0, dlen = 0;
	const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	const void *key_end = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &kelen);
	const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dlen);
	int r;

	if (w->err)
		return 0;
	if (!req || !got || !q || !buf || !key)
		return -ENOMEM;
	if (nftnl_set_set_str(req, NFTNL_SET_TABLE, w->table) < 0 ||
	    nftnl_set_set_str(req, NFTNL_SET_NAME, w->set) < 0 ||
	    nftnl_set_elem_set(q, NFTNL_SET_ELEM_KEY, key, klen) < 0 ||
	    (key_end && nftnl_set_elem_set(q, NFTNL_SET_ELEM_KEY_END, key_end, kelen) < 0))
		return -ENOMEM;
	nftnl_set_elem_add(req, TAKE_PTR(q));
	struct nlmsghdr *nlh =
		nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, w->family, NLM_F_ACK, ++w->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, req);
	struct fw_probe_ctx ctx = { .got = got };
	r = nft_dump(w->nl, nlh, fw_probe_cb, &ctx);
	if (r < 0) {
		w->err = r;
		return 0;
	}
	const void *want[2] = { d, &dlen };
	if (nftnl_set_elem_foreach(got, fw_probe_data_cb, want) < 0)
		w->err = -EILSEQ;
	return 0;
}

int berth_fw_batch_probe(struct berth_fw_batch *b, char **ret_msg)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	int r;

	if (!b)
		return -EINVAL;
	/* the bridge table's setup queued with a macspoof element is not probed */
	for (size_t i = 0; i < b->nb.n_cmds; i++)
		if (b->nb.cmds[i].msg_type != NFT_MSG_NEWSETELEM &&
		    b->nb.cmds[i].family != NFPROTO_BRIDGE)
			return -EINVAL;
	r = nft_socket_open(&nl);
	if (r < 0)
		return r;
	struct fw_probe_walk w = { .nl = nl, .table = b->table };
	for (size_t i = 0; i < b->nb.n_cmds; i++) {
		const struct nft_cmd *c = &b->nb.cmds[i];
		if (c->msg_type != NFT_MSG_NEWSETELEM)
			continue;
		w.family = c->family;
		w.set = nftnl_set_get_str(c->obj, NFTNL_SET_NAME);
		if (!w.set)
			return -EINVAL;
		r = nftnl_set_elem_foreach(c->obj, fw_probe_elem, &w);
		if (r < 0)
			return -ENOMEM;
		if (w.err) {
			if (ret_msg)
				*ret_msg = fw_strf("element %s of set %s in table %s %s: %s",
						   c->detail ? c->detail : "?", w.set,
						   fw_family_name(c->family), b->table,
						   w.err == -EILSEQ ? "maps to something else"
								    : strerror(-w.err));
			return w.err;
		}
	}
	return 0;
}
