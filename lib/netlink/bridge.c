// SPDX-License-Identifier: Apache-2.0
/* Bridges: creation, VLAN filtering, port VLANs. */
#include "nl-util.h"
#include "link-internal.h"

#include "basic/log.h"

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

int berth_bridge_create(struct berth_netns *ns, const struct berth_bridge_spec *spec,
			int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct link_created c;
	int r = link_build_bridge(spec, &msg);
	if (r < 0)
		return r;
	r = link_create(ns, msg, spec->name, &c);
	if (r < 0)
		return r;
	log_debug("created bridge '%s'", spec->name);
	return ret_ifindex ? link_created_ifindex(ns, spec->name, &c, ret_ifindex) : 0;
}

int berth_bridge_ensure(struct berth_netns *ns, const struct berth_bridge_spec *spec,
			struct berth_link_info *ret_info, bool *ret_created)
{
	struct berth_link_info info;
	int r;

	if (!spec)
		return -EINVAL;
	/*
	 * Create, or find what holds the name. A link found by name and gone
	 * before we look (deleted by someone else) means: try creating again.
	 * Bounded: each round needs a concurrent create and delete to repeat.
	 */
	for (unsigned attempt = 0; attempt < 8; attempt++) {
		_cleanup_nl_msg_ struct nl_msg *msg = NULL;
		struct link_created c;

		r = link_build_bridge(spec, &msg);
		if (r < 0)
			return r;
		r = link_create(ns, msg, spec->name, &c);
		if (r >= 0) {
			log_debug("created bridge '%s'", spec->name);
			if (c.echoed)
				info = c.info;
			else {
				r = berth_link_get(ns, spec->name, &info);
				if (r < 0)
					return link_undo_create(ns, spec->name, r);
			}
			if (ret_info)
				*ret_info = info;
			if (ret_created)
				*ret_created = true;
			return 0;
		}
		if (r != -EEXIST)
			return r;

		r = berth_link_get(ns, spec->name, &info);
		if (r == -ENODEV)
			continue; /* gone again: create it ourselves */
		if (r < 0)
			return r;
		if (!streq(info.kind, "bridge")) {
			log_debug("'%s' exists and is not a bridge (kind '%s')", spec->name, info.kind);
			if (ret_info)
				*ret_info = info;
			return -EEXIST;
		}
		if (ret_info)
			*ret_info = info;
		if (ret_created)
			*ret_created = false;
		return 0;
	}
	return -EAGAIN;
}

/* vlan_filtering on an existing bridge (on, or off again: the undo). */
static int set_vlan_filtering(struct berth_netns *ns, int ifindex, bool on)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *info, *data;

	if (ifindex <= 0)
		return -EINVAL;
	/* RTM_NEWLINK on an existing device reaches the kind's changelink; RTM_SETLINK does not. */
	int r = nlu_msg_new(RTM_NEWLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if ((r = link_linkinfo_begin(msg, "bridge", &info, &data)) < 0 ||
	    (r = nlu_put_u8(msg, IFLA_BR_VLAN_FILTERING, on ? 1 : 0)) < 0 ||
	    (r = link_linkinfo_end(msg, info, data)) < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_bridge_enable_vlan_filtering(struct berth_netns *ns, int ifindex)
{
	return set_vlan_filtering(ns, ifindex, true);
}

int berth_bridge_disable_vlan_filtering(struct berth_netns *ns, int ifindex)
{
	return set_vlan_filtering(ns, ifindex, false);
}

/*
 * One RTM_SETLINK (add) or RTM_DELLINK (delete) of AF_BRIDGE on port ifindex
 * carrying the VLAN entries v[0..n). No IFLA_BRIDGE_FLAGS: the default target
 * is the master bridge (not "self").
 */
static int port_vlan_request(struct berth_netns *ns, int ifindex, bool add,
			     const struct bridge_vlan_info *v, size_t n)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *spec;
	int r = nlu_msg_new(add ? RTM_SETLINK : RTM_DELLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);

	if (r < 0)
		return r;
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	spec = nlu_nest_start(msg, IFLA_AF_SPEC);
	if (!spec)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((r = nlu_put(msg, IFLA_BRIDGE_VLAN_INFO, &v[i], sizeof(v[i]))) < 0)
			return r;
	if ((r = nlu_nest_end(msg, spec)) < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_bridge_port_set_vlan(struct berth_netns *ns, int ifindex, uint16_t vid)
{
	if (ifindex <= 0 || vid == 0 || vid >= 4095)
		return -EINVAL;
	const struct bridge_vlan_info v = {
		.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
		.vid = vid,
	};
	return port_vlan_request(ns, ifindex, true, &v, 1);
}

int berth_bridge_port_vlans(struct berth_netns *ns, int ifindex, bool add,
			    const struct berth_vlan_range *ranges, size_t n)
{
	if (ifindex <= 0 || !ranges || n == 0 || n > BERTH_VLAN_MAX_RANGES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (ranges[i].min == 0 || ranges[i].max >= 4095 || ranges[i].min > ranges[i].max)
			return -EINVAL;
	_cleanup_free_ struct bridge_vlan_info *v = calloc(2 * n, sizeof(*v));
	size_t k = 0;
	if (!v)
		return -ENOMEM;
	/* tagged (no PVID, no UNTAGGED); a range as a BEGIN/END pair of entries */
	for (size_t i = 0; i < n; i++) {
		if (ranges[i].min == ranges[i].max) {
			v[k++] = (struct bridge_vlan_info){ .vid = ranges[i].min };
			continue;
		}
		v[k++] = (struct bridge_vlan_info){ .flags = BRIDGE_VLAN_INFO_RANGE_BEGIN,
						    .vid = ranges[i].min };
		v[k++] = (struct bridge_vlan_info){ .flags = BRIDGE_VLAN_INFO_RANGE_END,
						    .vid = ranges[i].max };
	}
	return port_vlan_request(ns, ifindex, add, v, k);
}
