// SPDX-License-Identifier: Apache-2.0
/* See brport.h. */
#include "netlink/brport.h"

#include "nl-util.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>

int berth_bridge_port_set_flags(struct berth_netns *ns, int ifindex, int hairpin, int isolated)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *pi;

	if (ifindex <= 0 || (hairpin < 0 && isolated < 0))
		return -EINVAL;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
	if (!pi)
		return -ENOMEM;
	if (hairpin >= 0 && nla_put_u8(msg, IFLA_BRPORT_MODE, hairpin ? 1 : 0) < 0)
		return -ENOMEM;
	if (isolated >= 0 && nla_put_u8(msg, IFLA_BRPORT_ISOLATED, isolated ? 1 : 0) < 0)
		return -ENOMEM;
	nla_nest_end(msg, pi);
	return nlu_transact(ns, msg, NULL, NULL);
}

struct flags_reply {
	int ifindex;
	int hairpin, isolated;
	bool got;
};

static int flags_cb(const struct nlmsghdr *h, void *userdata)
{
	struct flags_reply *fr = userdata;
	struct nlattr *tb[IFLA_MAX + 1], *pt[IFLA_BRPORT_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return 0;
	const struct ifinfomsg *ifi = nlmsg_data((struct nlmsghdr *)h);
	if (ifi->ifi_index != fr->ifindex || !tb[IFLA_PROTINFO])
		return 0;
	if (nla_parse_nested(pt, IFLA_BRPORT_MAX, tb[IFLA_PROTINFO], NULL) < 0)
		return 0;
	if (pt[IFLA_BRPORT_MODE] && nla_len(pt[IFLA_BRPORT_MODE]) >= 1)
		fr->hairpin = nla_get_u8(pt[IFLA_BRPORT_MODE]) != 0;
	if (pt[IFLA_BRPORT_ISOLATED] && nla_len(pt[IFLA_BRPORT_ISOLATED]) >= 1)
		fr->isolated = nla_get_u8(pt[IFLA_BRPORT_ISOLATED]) != 0;
	fr->got = true;
	return 0;
}

int berth_bridge_port_get_flags(struct berth_netns *ns, int ifindex, int *ret_hairpin,
				int *ret_isolated)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct flags_reply fr = {.ifindex = ifindex};

	if (ifindex <= 0)
		return -EINVAL;
	/* AF_BRIDGE GETLINK answers only with a dump; filter by index. */
	int r = nlu_msg_new(RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_BRIDGE;
	r = nlu_transact(ns, msg, flags_cb, &fr);
	if (r < 0)
		return r;
	if (!fr.got)
		return -ENODATA;
	if (ret_hairpin)
		*ret_hairpin = fr.hairpin;
	if (ret_isolated)
		*ret_isolated = fr.isolated;
	return 0;
}

int berth_link_set_promisc(struct berth_netns *ns, int ifindex, bool on)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;

	if (ifindex <= 0)
		return -EINVAL;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = on ? IFF_PROMISC : 0;
	ifi->ifi_change = IFF_PROMISC;
	return nlu_transact(ns, msg, NULL, NULL);
}
