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

/* RTM_SETLINK for ifindex in address family `family`. */
static int setlink(int family, int ifindex, struct nl_msg **ret, struct ifinfomsg **ret_ifi)
{
	if (ifindex <= 0)
		return -EINVAL;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(**ret_ifi), ret, (void **)ret_ifi);
	if (r < 0)
		return r;
	(*ret_ifi)->ifi_family = (unsigned char)family;
	(*ret_ifi)->ifi_index = ifindex;
	return 0;
}

int berth_bridge_port_set_flags(struct berth_netns *ns, int ifindex, int hairpin, int isolated)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *pi;

	if (hairpin < 0 && isolated < 0)
		return -EINVAL;
	int r = setlink(AF_BRIDGE, ifindex, &msg, &ifi);
	if (r < 0)
		return r;
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
