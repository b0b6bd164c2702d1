// SPDX-License-Identifier: Apache-2.0
/*
 * See link-extra.h. One request, then the reply read with libnl's own
 * sequence check; the ACK's errno is taken from the error callback so that
 * it is not squeezed through libnl's NLE_* codes.
 */
#include <libnl3/netlink/netlink.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "link-extra.h"

#include "basic/cleanup.h"
#include "netlink/netlink.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cb *, nl_cb_put)

#define MAX_RECV_ROUNDS 64 /* one reply and one ACK expected; bound the loop anyway */

struct tx_state {
	int err;   /* kernel errno (negative), 0 */
	bool done; /* ACK or error seen */
	struct cni_link_extra *extra;
	bool got;
};

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct tx_state *st = arg;
	st->err = e->error < 0 ? e->error : -e->error;
	st->done = true;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct tx_state *st = arg;
	st->done = true;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct tx_state *st = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];

	if (!st->extra || h->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return NL_SKIP;
	const struct ifinfomsg *ifi = nlmsg_data(h);
	memset(st->extra, 0, sizeof(*st->extra));
	st->extra->flags = ifi->ifi_flags;
	if (tb[IFLA_TXQLEN] && nla_len(tb[IFLA_TXQLEN]) >= 4)
		st->extra->txqlen = nla_get_u32(tb[IFLA_TXQLEN]);
	if (tb[IFLA_PROMISCUITY] && nla_len(tb[IFLA_PROMISCUITY]) >= 4)
		st->extra->promiscuity = nla_get_u32(tb[IFLA_PROMISCUITY]);
	st->got = true;
	return NL_OK;
}

static int transact(struct berth_netns *ns, struct nl_msg *msg, struct cni_link_extra *extra)
{
	struct nl_sock *sk = berth_netns_sock(ns);
	struct tx_state st = {.extra = extra};
	/* nl_socket_get_cb() takes a reference: drop it once cloned. */
	_cleanup_(nl_cb_putp) struct nl_cb *sk_cb = nl_socket_get_cb(sk);
	_cleanup_(nl_cb_putp) struct nl_cb *cb = sk_cb ? nl_cb_clone(sk_cb) : NULL;
	int r;

	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &st);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &st);

	r = nl_send_auto(sk, msg);
	if (r < 0)
		return -EIO;
	for (int i = 0; i < MAX_RECV_ROUNDS && !st.done; i++) {
		r = nl_recvmsgs(sk, cb);
		if (st.done)
			break;
		if (r < 0)
			return r == -NLE_INTR ? -EINTR : -EIO;
	}
	if (!st.done)
		return -EIO;
	if (st.err < 0)
		return st.err;
	if (extra && !st.got)
		return -EBADMSG;
	return 0;
}

static int msg_new(int type, int ifindex, unsigned flags, unsigned change, struct nl_msg **ret)
{
	if (ifindex <= 0)
		return -EINVAL;
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
	    nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK);
	struct ifinfomsg ifi = {
	    .ifi_family = AF_UNSPEC,
	    .ifi_index = ifindex,
	    .ifi_flags = flags,
	    .ifi_change = change,
	};
	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

int cni_link_set_flags(struct berth_netns *ns, int ifindex, unsigned flags, unsigned change)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	int r = msg_new(RTM_SETLINK, ifindex, flags & change, change, &msg);
	if (r < 0)
		return r;
	return transact(ns, msg, NULL);
}

int cni_link_set_mac(struct berth_netns *ns, int ifindex, const uint8_t mac[6])
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	int r = msg_new(RTM_SETLINK, ifindex, 0, 0, &msg);
	if (r < 0)
		return r;
	if (nla_put(msg, IFLA_ADDRESS, 6, mac) < 0)
		return -ENOMEM;
	return transact(ns, msg, NULL);
}

int cni_link_set_txqlen(struct berth_netns *ns, int ifindex, uint32_t txqlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	int r = msg_new(RTM_SETLINK, ifindex, 0, 0, &msg);
	if (r < 0)
		return r;
	if (nla_put_u32(msg, IFLA_TXQLEN, txqlen) < 0)
		return -ENOMEM;
	return transact(ns, msg, NULL);
}

int cni_link_get_extra(struct berth_netns *ns, int ifindex, struct cni_link_extra *ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	int r = msg_new(RTM_GETLINK, ifindex, 0, 0, &msg);
	if (r < 0)
		return r;
	if (nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	return transact(ns, msg, ret);
}
