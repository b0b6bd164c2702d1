// SPDX-License-Identifier: Apache-2.0
/* Interface addresses: add, delete, list. */
#include "nl-util.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

static bool family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

static int addr_msg(int type, int flags, int ifindex, const struct berth_ipnet *addr, bool nodad,
		    struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifaddrmsg *ifa;
	int r;

	if (ifindex <= 0 || !addr || !family_ok(addr->ip.family) ||
	    addr->prefixlen > berth_ip_len(addr->ip.family) * 8)
		return -EINVAL;
	r = nlu_msg_new(type, flags, sizeof(*ifa), &msg, (void **)&ifa);
	if (r < 0)
		return r;
	ifa->ifa_family = (uint8_t)addr->ip.family;
	ifa->ifa_prefixlen = (uint8_t)addr->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (nodad && addr->ip.family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;

	size_t len = berth_ip_len(addr->ip.family);
	r = nlu_put(msg, IFA_LOCAL, addr->ip.b, len);
	if (r < 0)
		return r;
	r = nlu_put(msg, IFA_ADDRESS, addr->ip.b, len);
	if (r < 0)
		return r;
	/* IPv4 gets the subnet's broadcast address, as `ip addr add ... brd +` and netavark do. */
	if (type == RTM_NEWADDR && addr->ip.family == AF_INET && addr->prefixlen < 31) {
		struct berth_ip brd;
		berth_ipnet_last(addr, &brd);
		r = nlu_put(msg, IFA_BROADCAST, brd.b, 4);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(msg);
	return 0;
}

int berth_addr_add(struct berth_netns *ns, int ifindex, const struct berth_ipnet *addr, bool nodad)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr, nodad, &msg);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_addr_del(struct berth_netns *ns, int ifindex, const struct berth_ipnet *addr)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = addr_msg(RTM_DELADDR, 0, ifindex, addr, false, &msg);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

struct addr_list_ctx {
	uint32_t ifindex;
	struct berth_ipnet *out;
	size_t max, n;
};

static bool is_link_local(const struct berth_ip *ip)
{
	if (ip->family == AF_INET)
		return ip->b[0] == 169 && ip->b[1] == 254;
	return ip->b[0] == 0xfe && (ip->b[1] & 0xc0) == 0x80;
}

static int addr_list_cb(const struct nlmsghdr *h, void *userdata)
{
	struct addr_list_ctx *c = userdata;
	struct nlattr *tb[IFA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (ifa->ifa_index != c->ifindex || !family_ok(ifa->ifa_family))
		return 0;
	if (ifa->ifa_scope == RT_SCOPE_LINK || ifa->ifa_scope == RT_SCOPE_HOST)
		return 0;

	nlu_parse_attrs(h, sizeof(*ifa), tb, IFA_MAX);
	/* IFA_LOCAL is the address for v4 (IFA_ADDRESS is the peer on point-to-point links). */
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t len = berth_ip_len(ifa->ifa_family);
	if (!a || (size_t)nla_len(a) != len)
		return 0;

	struct berth_ipnet net = { .ip.family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen };
	memcpy(net.ip.b, nla_data(a), len);
	if (is_link_local(&net.ip))
		return 0;
	if (c->n >= c->max)
		return 0; /* "up to max" */
	c->out[c->n++] = net;
	return 0;
}

static int addr_dump(struct berth_netns *ns, int family, struct addr_list_ctx *c)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifaddrmsg *ifa;
	int r = nlu_msg_new(RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa), &msg, (void **)&ifa);
	if (r < 0)
		return r;
	ifa->ifa_family = (uint8_t)family;
	/* Strict sockets let the kernel filter by index; the callback checks again. */
	if (ns->strict)
		ifa->ifa_index = c->ifindex;
	return nlu_transact(ns, msg, addr_list_cb, c);
}

int berth_addr_list(struct berth_netns *ns, int ifindex, int family, struct berth_ipnet *ret,
		    size_t max)
{
	struct addr_list_ctx c = { .ifindex = (uint32_t)ifindex, .out = ret, .max = max };
	int r;

	if (ifindex <= 0 || (family != AF_UNSPEC && !family_ok(family)) || (max > 0 && !ret))
		return -EINVAL;
	if (family != AF_INET6) {
		r = addr_dump(ns, AF_INET, &c);
		if (r < 0)
			return r;
	}
	if (family != AF_INET) {
		r = addr_dump(ns, AF_INET6, &c);
		if (r < 0)
			return r;
	}
	return (int)c.n;
}
