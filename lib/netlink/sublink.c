// SPDX-License-Identifier: Apache-2.0
/* Sub-links of a parent (macvlan, ipvlan, vlan) and VRF devices; mode names. */
#include "nl-util.h"
#include "link-internal.h"

#include <string.h>

/*
 * Send msg creating link `name` in `where` and learn its ifindex. A link born
 * in another namespace is never echoed to us (link-create.c): looked up there.
 */
static int create_and_index(struct berth_netns *ns, struct nl_msg *msg, struct berth_netns *where,
			    const char *name, int *ret_ifindex)
{
	struct link_created c;
	int r = link_create(ns, msg, name, &c);
	if (r < 0)
		return r;
	if (!berth_netns_same(ns, where))
		c.echoed = false;
	return ret_ifindex ? link_created_ifindex(where, name, &c, ret_ifindex) : 0;
}

static int create_sublink(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			  enum link_sublink_kind kind, int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = link_build_sublink(kind, spec, &msg);
	if (r < 0)
		return r;
	return create_and_index(ns, msg, spec->target_ns ? spec->target_ns : ns, spec->name,
				ret_ifindex);
}

int berth_macvlan_create(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			 int *ret_ifindex)
{
	return create_sublink(ns, spec, LINK_SUBLINK_MACVLAN, ret_ifindex);
}

int berth_ipvlan_create(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			int *ret_ifindex)
{
	return create_sublink(ns, spec, LINK_SUBLINK_IPVLAN, ret_ifindex);
}

int berth_vlan_create(struct berth_netns *ns, const char *name, int parent_ifindex, uint16_t vid,
		      int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = link_build_vlan(name, parent_ifindex, vid, &msg);
	if (r < 0)
		return r;
	return create_and_index(ns, msg, ns, name, ret_ifindex);
}

int berth_vrf_create(struct berth_netns *ns, const char *name, uint32_t table, int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = link_build_vrf(name, table, &msg);
	if (r < 0)
		return r;
	return create_and_index(ns, msg, ns, name, ret_ifindex);
}

/* --- mode strings ------------------------------------------------------------------- */

static const char *const macvlan_mode_names[_BERTH_MACVLAN_MAX] = {
	[BERTH_MACVLAN_BRIDGE] = "bridge",     [BERTH_MACVLAN_PRIVATE] = "private",
	[BERTH_MACVLAN_VEPA] = "vepa",         [BERTH_MACVLAN_PASSTHRU] = "passthru",
	[BERTH_MACVLAN_SOURCE] = "source",
};

static const char *const ipvlan_mode_names[_BERTH_IPVLAN_MAX] = {
	[BERTH_IPVLAN_L2] = "l2",
	[BERTH_IPVLAN_L3] = "l3",
	[BERTH_IPVLAN_L3S] = "l3s",
};

static int lookup(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] && streq(names[i], s))
			return (int)i;
	return -EINVAL;
}

int berth_macvlan_mode_from_string(const char *s)
{
	return lookup(macvlan_mode_names, ARRAY_SIZE(macvlan_mode_names), s);
}

int berth_ipvlan_mode_from_string(const char *s)
{
	return lookup(ipvlan_mode_names, ARRAY_SIZE(ipvlan_mode_names), s);
}
