// SPDX-License-Identifier: Apache-2.0
/*
 * Link attributes beyond the flags, MTU and name (link.c): the MAC address,
 * txqueuelen, and reading txqlen and promiscuity. One RTM_SETLINK or
 * RTM_GETLINK each, through nlu_transact, so the kernel's errno comes back
 * unchanged.
 */
#include "nl-util.h"
#include "link-internal.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>

int berth_link_set_mac(struct berth_netns *ns, int ifindex, const uint8_t mac[6])
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	if (!mac)
		return -EINVAL;
	int r = link_setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	r = nlu_put(msg, IFLA_ADDRESS, mac, 6);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_set_txqlen(struct berth_netns *ns, int ifindex, uint32_t txqlen)
{
	return link_setlink_u32(ns, ifindex, IFLA_TXQLEN, txqlen);
}

struct attrs_reply {
	struct berth_link_attrs *attrs;
	bool got;
};

static int attrs_cb(const struct nlmsghdr *h, void *userdata)
{
	struct attrs_reply *rep = userdata;
	struct nlattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	nlu_parse_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	memset(rep->attrs, 0, sizeof(*rep->attrs));
	rep->attrs->flags = ifi->ifi_flags;
	(void)nlu_attr_u32(tb[IFLA_TXQLEN], &rep->attrs->txqlen);
	(void)nlu_attr_u32(tb[IFLA_PROMISCUITY], &rep->attrs->promiscuity);
	rep->got = true;
	return 0;
}

int berth_link_get_attrs(struct berth_netns *ns, int ifindex, struct berth_link_attrs *ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct berth_link_attrs a;
	struct attrs_reply rep = {.attrs = &a};
	int r;

	if (ifindex <= 0 || !ret)
		return -EINVAL;
	r = nlu_msg_new(RTM_GETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	r = nlu_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (r < 0)
		return r;
	r = nlu_transact(ns, msg, attrs_cb, &rep);
	if (r < 0)
		return r;
	if (!rep.got)
		return -EBADMSG; /* ACK without a reply */
	*ret = a;
	return 0;
}
