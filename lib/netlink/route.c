// SPDX-License-Identifier: Apache-2.0
/* Routes: add, delete, and the default route's interface. */
#include "nl-util.h"

#include <linux/rtnetlink.h>
#include <string.h>

static const char *const route_type_names[_BERTH_ROUTE_TYPE_MAX] = {
	[BERTH_ROUTE_UNICAST] = "unicast",
	[BERTH_ROUTE_BLACKHOLE] = "blackhole",
	[BERTH_ROUTE_UNREACHABLE] = "unreachable",
	[BERTH_ROUTE_PROHIBIT] = "prohibit",
};

static const uint8_t route_rtn[_BERTH_ROUTE_TYPE_MAX] = {
	[BERTH_ROUTE_UNICAST] = RTN_UNICAST,
	[BERTH_ROUTE_BLACKHOLE] = RTN_BLACKHOLE,
	[BERTH_ROUTE_UNREACHABLE] = RTN_UNREACHABLE,
	[BERTH_ROUTE_PROHIBIT] = RTN_PROHIBIT,
};

int berth_route_type_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(route_type_names); i++)
		if (streq(route_type_names[i], s))
			return (int)i;
	return -EINVAL;
}

static int route_msg(int type, int flags, const struct berth_route_spec *r, struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct rtmsg *rtm;
	int k;

	if (!r || (r->dst.ip.family != AF_INET && r->dst.ip.family != AF_INET6))
		return -EINVAL;
	int family = r->dst.ip.family;
	size_t alen = berth_ip_len(family);
	if (r->dst.prefixlen > alen * 8 || r->type < 0 || r->type >= _BERTH_ROUTE_TYPE_MAX)
		return -EINVAL;
	bool unicast = r->type == BERTH_ROUTE_UNICAST;
	bool has_gw = unicast && r->gateway.family != 0;
	if (has_gw && r->gateway.family != family)
		return -EINVAL;
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;

	k = nlu_msg_new(type, flags, sizeof(*rtm), &msg, (void **)&rtm);
	if (k < 0)
		return k;
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)r->dst.prefixlen;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_type = route_rtn[r->type];
	if (type == RTM_DELROUTE) {
		/* Match whatever scope and protocol the route was given. */
		rtm->rtm_protocol = RTPROT_UNSPEC;
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	} else {
		rtm->rtm_protocol = RTPROT_STATIC;
		/* As ip-route does: an IPv4 unicast route without a gateway is on-link. */
		rtm->rtm_scope = (family == AF_INET && unicast && !has_gw) ? RT_SCOPE_LINK
									    : RT_SCOPE_UNIVERSE;
	}

	k = nlu_put_u32(msg, RTA_TABLE, table);
	if (k < 0)
		return k;
	if (r->dst.prefixlen > 0) {
		struct berth_ipnet net;
		berth_ipnet_network(&r->dst, &net);
		k = nlu_put(msg, RTA_DST, net.ip.b, alen);
		if (k < 0)
			return k;
	}
	if (has_gw) {
		k = nlu_put(msg, RTA_GATEWAY, r->gateway.b, alen);
		if (k < 0)
			return k;
	}
	/* blackhole/unreachable/prohibit take neither device nor gateway. */
	if (unicast && r->oif > 0) {
		k = nlu_put_u32(msg, RTA_OIF, (uint32_t)r->oif);
		if (k < 0)
			return k;
	}
	if (r->has_metric) {
		k = nlu_put_u32(msg, RTA_PRIORITY, r->metric);
		if (k < 0)
			return k;
	}
	*ret = TAKE_PTR(msg);
	return 0;
}

int berth_route_build(const struct berth_route_spec *r, void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int k = route_msg(RTM_NEWROUTE, NLM_F_CREATE, r, &msg);
	if (k < 0)
		return k;
	return nlu_msg_copy(msg, ret_buf, ret_len);
}

int berth_route_add(struct berth_netns *ns, const struct berth_route_spec *r)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int k = route_msg(RTM_NEWROUTE, NLM_F_CREATE, r, &msg);
	if (k < 0)
		return k;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_route_del(struct berth_netns *ns, const struct berth_route_spec *r)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int k = route_msg(RTM_DELROUTE, 0, r, &msg);
	if (k < 0)
		return k;
	return nlu_transact(ns, msg, NULL, NULL);
}

struct default_ctx {
	int ifindex;
	uint32_t best_metric;
	bool found;
};

static int default_route_cb(const struct nlmsghdr *h, void *userdata)
{
	struct default_ctx *c = userdata;
	struct nlattr *tb[RTA_MAX + 1];
	uint32_t table, oif = 0, metric = 0;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return 0;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	if (rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
		return 0;
	nlu_parse_attrs(h, sizeof(*rtm), tb, RTA_MAX);
	if (!nlu_attr_u32(tb[RTA_TABLE], &table))
		table = rtm->rtm_table;
	if (table != RT_TABLE_MAIN)
		return 0;
	(void)nlu_attr_u32(tb[RTA_PRIORITY], &metric);
	if (!nlu_attr_u32(tb[RTA_OIF], &oif) && tb[RTA_MULTIPATH]) {
		/* A multipath default: take the first hop's device. */
		const struct nlattr *mp = tb[RTA_MULTIPATH];
		if ((size_t)nla_len(mp) >= sizeof(struct rtnexthop)) {
			struct rtnexthop nh;
			memcpy(&nh, nla_data(mp), sizeof(nh));
			oif = (uint32_t)nh.rtnh_ifindex;
		}
	}
	if (oif == 0)
		return 0;
	if (!c->found || metric < c->best_metric) {
		c->found = true;
		c->best_metric = metric;
		c->ifindex = (int)oif;
	}
	return 0;
}

static int default_ifindex(struct berth_netns *ns, int family, int *ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct rtmsg *rtm;
	struct default_ctx c = {};

	/* A dump of the main table (filtered by the kernel on strict sockets). */
	int k = nlu_msg_new(RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm), &msg, (void **)&rtm);
	if (k < 0)
		return k;
	rtm->rtm_family = (uint8_t)family;
	if (ns->strict) {
		rtm->rtm_table = RT_TABLE_MAIN;
		rtm->rtm_type = RTN_UNICAST;
		k = nlu_put_u32(msg, RTA_TABLE, RT_TABLE_MAIN);
		if (k < 0)
			return k;
	}
	k = nlu_transact(ns, msg, default_route_cb, &c);
	if (k < 0)
		return k;
	if (!c.found)
		return -ENOENT;
	*ret = c.ifindex;
	return 0;
}

int berth_route_default_ifindex(struct berth_netns *ns, int family, int *ret_ifindex)
{
	int r;

	if (!ret_ifindex)
		return -EINVAL;
	if (family == AF_INET || family == AF_INET6)
		return default_ifindex(ns, family, ret_ifindex);
	if (family != AF_UNSPEC)
		return -EINVAL;
	r = default_ifindex(ns, AF_INET, ret_ifindex);
	if (r != -ENOENT)
		return r;
	return default_ifindex(ns, AF_INET6, ret_ifindex);
}
