// SPDX-License-Identifier: Apache-2.0
/*
 * The RTM_NEWLINK transaction shared by every create function, and how the
 * new link's ifindex is learnt.
 *
 * The request carries NLM_F_ECHO (set by link_newlink_new). Kernels >= 6.2
 * ("rtnetlink: Honour NLM_F_ECHO flag in rtnl_newlink_create") then unicast
 * the new link's RTM_NEWLINK to the requesting socket, with the request's
 * sequence number, before the ACK: the ifindex comes from the kernel's own
 * answer and cannot be lost between creation and a lookup. For a veth pair
 * the echo describes the end named at the top level (the host end); its
 * IFLA_LINK is the peer's ifindex, in the peer's namespace (IFLA_LINK_NETNSID
 * says which, when it differs), so one answer gives both indexes.
 *
 * The echo is absent on kernels up to 6.1 (Debian 12's), which ignore
 * NLM_F_ECHO for RTM_NEWLINK, and for a link born in another namespace
 * (IFLA_NET_NS_FD at the top level: macvlan/ipvlan into a container): the
 * kernel sends the report in the link's namespace, where the requesting
 * socket does not live. Then the index is looked up by name in the namespace
 * the link was created in. Choosing the ifindex ourselves (ifi_index in the
 * request, honoured for new links and, for a veth peer, in its nested
 * ifinfomsg when the host end's index is chosen too) would avoid the lookup,
 * but collisions come back as EEXIST (the same errno as a taken name) or
 * EBUSY, and the indexes would look nothing like the kernel's own; the lookup
 * is kept instead, with a safety net: if it fails, the link just created is
 * deleted by name, so that no link is left that the caller does not know of.
 * Only if that deletion fails too does the function return
 * -ENOTRECOVERABLE: the link then exists under the name it was created with,
 * and the caller must record it by that name (netlink.h).
 */
#include "nl-util.h"
#include "link-internal.h"

#include "basic/log.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct echo_ctx {
	const char *name;
	struct link_created *out;
};

static int echo_cb(const struct nlmsghdr *h, void *userdata)
{
	struct echo_ctx *c = userdata;
	struct berth_link_info info;
	struct nlattr *tb[IFLA_MAX + 1];
	uint32_t v;

	if (c->out->echoed || link_parse(h, &info) < 0 || !streq(info.name, c->name))
		return 0;
	c->out->info = info;
	c->out->echoed = true;
	nlu_parse_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	if (nlu_attr_u32(tb[IFLA_LINK], &v))
		c->out->link = (int)v;
	return 0;
}

int link_create(struct berth_netns *ns, struct nl_msg *msg, const char *name,
		struct link_created *ret)
{
	struct link_created out = {};
	struct echo_ctx c = { .name = name, .out = &out };
	int r = nlu_transact(ns, msg, echo_cb, &c);
	if (r < 0)
		return r;
	*ret = out;
	return 0;
}

int link_created_ifindex(struct berth_netns *where, const char *name,
			 const struct link_created *created, int *ret_ifindex)
{
	if (created->echoed && created->info.ifindex > 0) {
		*ret_ifindex = created->info.ifindex;
		return 0;
	}
	int r = link_ifindex(where, name, ret_ifindex);
	if (r >= 0)
		return 0;
	log_debug("link '%s' created, but its ifindex lookup failed: %s", name, strerror(-r));
	return link_undo_create(where, name, r);
}

int link_undo_create(struct berth_netns *where, const char *name, int err)
{
	int k = berth_link_delete_by_name(where, name);
	if (k >= 0 || k == -ENODEV)
		return err;
	log_debug("link '%s': removing it failed too: %s", name, strerror(-k));
	return -ENOTRECOVERABLE;
}
