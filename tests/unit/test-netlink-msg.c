// SPDX-License-Identifier: Apache-2.0
/*
 * The RTM_NEWLINK / RTM_NEWROUTE messages lib/netlink sends, checked attribute
 * by attribute without a kernel (so also for link kinds this kernel lacks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>

#include "net/ipaddr.h"
#include "netlink/netlink.h"

/* --- a small attribute table built with libmnl ------------------------------------ */

#define MAX_ATTRS 64

struct attrs {
	const struct nlattr *tb[MAX_ATTRS];
};

static int collect_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(a);
	assert_true(type < MAX_ATTRS);
	assert_null(t->tb[type]); /* no attribute twice */
	t->tb[type] = a;
	return MNL_CB_OK;
}

static void parse_msg(const void *buf, size_t len, uint16_t type, size_t hdrlen, struct attrs *t)
{
	const struct nlmsghdr *h = buf;
	assert_true(len >= sizeof(*h));
	assert_int_equal(h->nlmsg_len, len);
	assert_int_equal(h->nlmsg_type, type);
	assert_true(h->nlmsg_flags & NLM_F_REQUEST);
	assert_true(h->nlmsg_flags & NLM_F_ACK);
	memset(t, 0, sizeof(*t));
	assert_int_equal(mnl_attr_parse(h, (unsigned)hdrlen, collect_cb, t), MNL_CB_OK);
}

static void parse_nested(const struct nlattr *nest, struct attrs *t)
{
	assert_non_null(nest);
	memset(t, 0, sizeof(*t));
	assert_int_equal(mnl_attr_parse_nested(nest, collect_cb, t), MNL_CB_OK);
}

static void assert_u32(const struct nlattr *a, uint32_t v)
{
	assert_non_null(a);
	assert_int_equal(mnl_attr_validate(a, MNL_TYPE_U32), 0);
	assert_int_equal(mnl_attr_get_u32(a), v);
}

static void assert_u16(const struct nlattr *a, uint16_t v)
{
	assert_non_null(a);
	assert_int_equal(mnl_attr_validate(a, MNL_TYPE_U16), 0);
	assert_int_equal(mnl_attr_get_u16(a), v);
}

static void assert_str(const struct nlattr *a, const char *s)
{
	assert_non_null(a);
	assert_int_equal(mnl_attr_validate(a, MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(a), s);
}

/* Returns IFLA_INFO_DATA's attributes after checking the kind. */
static void linkinfo(const struct attrs *msg, const char *kind, struct attrs *data)
{
	struct attrs li;
	parse_nested(msg->tb[IFLA_LINKINFO], &li);
	assert_str(li.tb[IFLA_INFO_KIND], kind);
	if (data)
		parse_nested(li.tb[IFLA_INFO_DATA], data);
	else
		assert_null(li.tb[IFLA_INFO_DATA]);
}

static const struct ifinfomsg *newlink_hdr(const void *buf)
{
	const struct nlmsghdr *h = buf;
	assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
	return mnl_nlmsg_get_payload(h);
}

/* --- links --------------------------------------------------------------------------- */

static void test_macvlan_modes(void **state)
{
	static const struct {
		const char *name;
		uint32_t kernel;
	} modes[] = {
		{ "bridge", MACVLAN_MODE_BRIDGE }, { "private", MACVLAN_MODE_PRIVATE },
		{ "vepa", MACVLAN_MODE_VEPA },     { "passthru", MACVLAN_MODE_PASSTHRU },
		{ "source", MACVLAN_MODE_SOURCE },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int mode = berth_macvlan_mode_from_string(modes[i].name);
		assert_true(mode >= 0);
		struct berth_sublink_spec spec = {
			.name = "eth0", .parent_ifindex = 7, .mode = mode,
		};
		void *buf = NULL;
		size_t len = 0;
		struct attrs a, d;
		assert_int_equal(berth_link_build_macvlan(&spec, &buf, &len), 0);
		parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
		assert_int_equal(newlink_hdr(buf)->ifi_family, AF_UNSPEC);
		assert_str(a.tb[IFLA_IFNAME], "eth0");
		assert_u32(a.tb[IFLA_LINK], 7);
		assert_null(a.tb[IFLA_NET_NS_FD]); /* no target namespace given */
		assert_null(a.tb[IFLA_MTU]);
		assert_null(a.tb[IFLA_ADDRESS]);
		linkinfo(&a, "macvlan", &d);
		assert_u32(d.tb[IFLA_MACVLAN_MODE], modes[i].kernel);
		assert_null(d.tb[BERTH_IFLA_MACVLAN_BC_CUTOFF]);
		free(buf);
	}
}

static void test_macvlan_bclim_mac_mtu(void **state)
{
	const uint8_t mac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
	struct berth_sublink_spec spec = {
		.name = "mv0", .parent_ifindex = 3, .mtu = 1400, .mac = mac,
		.mode = BERTH_MACVLAN_VEPA, .bclim = 1000, .has_bclim = true,
	};
	void *buf = NULL;
	size_t len;
	struct attrs a, d;
	assert_int_equal(berth_link_build_macvlan(&spec, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	assert_u32(a.tb[IFLA_MTU], 1400);
	assert_non_null(a.tb[IFLA_ADDRESS]);
	assert_int_equal(mnl_attr_get_payload_len(a.tb[IFLA_ADDRESS]), 6);
	assert_memory_equal(mnl_attr_get_payload(a.tb[IFLA_ADDRESS]), mac, 6);
	linkinfo(&a, "macvlan", &d);
	assert_u32(d.tb[IFLA_MACVLAN_MODE], MACVLAN_MODE_VEPA);
	assert_u32(d.tb[BERTH_IFLA_MACVLAN_BC_CUTOFF], 1000);
	free(buf);

	/* bclim 0 is a real value when has_bclim is set */
	spec.bclim = 0;
	assert_int_equal(berth_link_build_macvlan(&spec, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	linkinfo(&a, "macvlan", &d);
	assert_u32(d.tb[BERTH_IFLA_MACVLAN_BC_CUTOFF], 0);
	free(buf);

	spec.mode = 17;
	assert_int_equal(berth_link_build_macvlan(&spec, &buf, &len), -EINVAL);
	spec.mode = BERTH_MACVLAN_BRIDGE;
	spec.name = "this-name-is-too-long";
	assert_int_equal(berth_link_build_macvlan(&spec, &buf, &len), -EINVAL);
	spec.name = "ok";
	spec.parent_ifindex = 0;
	assert_int_equal(berth_link_build_macvlan(&spec, &buf, &len), -EINVAL);
}

static void test_mode_strings(void **state)
{
	assert_int_equal(berth_macvlan_mode_from_string("bridge"), BERTH_MACVLAN_BRIDGE);
	assert_int_equal(berth_macvlan_mode_from_string("private"), BERTH_MACVLAN_PRIVATE);
	assert_int_equal(berth_macvlan_mode_from_string("vepa"), BERTH_MACVLAN_VEPA);
	assert_int_equal(berth_macvlan_mode_from_string("passthru"), BERTH_MACVLAN_PASSTHRU);
	assert_int_equal(berth_macvlan_mode_from_string("source"), BERTH_MACVLAN_SOURCE);
	assert_int_equal(berth_macvlan_mode_from_string("Bridge"), -EINVAL);
	assert_int_equal(berth_macvlan_mode_from_string(""), -EINVAL);
	assert_int_equal(berth_macvlan_mode_from_string("l2"), -EINVAL);
	assert_int_equal(berth_macvlan_mode_from_string(NULL), -EINVAL);

	assert_int_equal(berth_ipvlan_mode_from_string("l2"), BERTH_IPVLAN_L2);
	assert_int_equal(berth_ipvlan_mode_from_string("l3"), BERTH_IPVLAN_L3);
	assert_int_equal(berth_ipvlan_mode_from_string("l3s"), BERTH_IPVLAN_L3S);
	assert_int_equal(berth_ipvlan_mode_from_string("L3"), -EINVAL);
	assert_int_equal(berth_ipvlan_mode_from_string("bridge"), -EINVAL);
	assert_int_equal(berth_ipvlan_mode_from_string(NULL), -EINVAL);

	assert_int_equal(berth_route_type_from_string("unicast"), BERTH_ROUTE_UNICAST);
	assert_int_equal(berth_route_type_from_string("blackhole"), BERTH_ROUTE_BLACKHOLE);
	assert_int_equal(berth_route_type_from_string("unreachable"), BERTH_ROUTE_UNREACHABLE);
	assert_int_equal(berth_route_type_from_string("prohibit"), BERTH_ROUTE_PROHIBIT);
	assert_int_equal(berth_route_type_from_string("local"), -EINVAL);
	assert_int_equal(berth_route_type_from_string(""), -EINVAL);
	assert_int_equal(berth_route_type_from_string(NULL), -EINVAL);
}

static void test_ipvlan_modes(void **state)
{
	static const uint16_t kernel[] = { IPVLAN_MODE_L2, IPVLAN_MODE_L3, IPVLAN_MODE_L3S };
	static const char *const names[] = { "l2", "l3", "l3s" };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	for (size_t i = 0; i < 3; i++) {
		struct berth_sublink_spec spec = {
			.name = "ipv0", .parent_ifindex = 12, .mtu = 9000, .mac = mac,
			.mode = berth_ipvlan_mode_from_string(names[i]),
		};
		void *buf = NULL;
		size_t len;
		struct attrs a, d;
		assert_int_equal(berth_link_build_ipvlan(&spec, &buf, &len), 0);
		parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
		newlink_hdr(buf);
		assert_str(a.tb[IFLA_IFNAME], "ipv0");
		assert_u32(a.tb[IFLA_LINK], 12);
		assert_u32(a.tb[IFLA_MTU], 9000);
		assert_null(a.tb[IFLA_ADDRESS]); /* ipvlan shares the parent's MAC */
		linkinfo(&a, "ipvlan", &d);
		assert_u16(d.tb[IFLA_IPVLAN_MODE], kernel[i]);
		free(buf);
	}
	struct berth_sublink_spec bad = { .name = "x", .parent_ifindex = 1, .mode = 3 };
	void *buf;
	size_t len;
	assert_int_equal(berth_link_build_ipvlan(&bad, &buf, &len), -EINVAL);
}

static void test_vlan(void **state)
{
	void *buf = NULL;
	size_t len;
	struct attrs a, d;
	assert_int_equal(berth_link_build_vlan("eth0.42", 5, 42, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	newlink_hdr(buf);
	assert_str(a.tb[IFLA_IFNAME], "eth0.42");
	assert_u32(a.tb[IFLA_LINK], 5);
	linkinfo(&a, "vlan", &d);
	assert_u16(d.tb[IFLA_VLAN_ID], 42);
	free(buf);

	assert_int_equal(berth_link_build_vlan("v", 5, 0, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_vlan("v", 5, 4095, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_vlan("v", 0, 10, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_vlan(NULL, 5, 10, &buf, &len), -EINVAL);
}

static void test_vrf(void **state)
{
	void *buf = NULL;
	size_t len;
	struct attrs a, d;
	assert_int_equal(berth_link_build_vrf("vrf-blue", 1001, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	newlink_hdr(buf);
	assert_str(a.tb[IFLA_IFNAME], "vrf-blue");
	assert_null(a.tb[IFLA_LINK]);
	linkinfo(&a, "vrf", &d);
	assert_u32(d.tb[IFLA_VRF_TABLE], 1001);
	free(buf);
	assert_int_equal(berth_link_build_vrf("vrf0", 0, &buf, &len), -EINVAL);
}

static void test_bridge(void **state)
{
	void *buf = NULL;
	size_t len;
	struct attrs a, d;
	struct berth_bridge_spec spec = { .name = "podman1" };

	assert_int_equal(berth_link_build_bridge(&spec, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	const struct ifinfomsg *ifi = newlink_hdr(buf);
	assert_true(ifi->ifi_flags & IFF_UP);
	assert_true(ifi->ifi_change & IFF_UP);
	assert_str(a.tb[IFLA_IFNAME], "podman1");
	assert_null(a.tb[IFLA_MTU]);
	assert_null(a.tb[IFLA_MASTER]);
	linkinfo(&a, "bridge", NULL);
	free(buf);

	spec.mtu = 1500;
	spec.vlan_filtering = true;
	spec.vrf_ifindex = 9;
	assert_int_equal(berth_link_build_bridge(&spec, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	assert_u32(a.tb[IFLA_MTU], 1500);
	assert_u32(a.tb[IFLA_MASTER], 9);
	linkinfo(&a, "bridge", &d);
	assert_non_null(d.tb[IFLA_BR_VLAN_FILTERING]);
	assert_int_equal(mnl_attr_validate(d.tb[IFLA_BR_VLAN_FILTERING], MNL_TYPE_U8), 0);
	assert_int_equal(mnl_attr_get_u8(d.tb[IFLA_BR_VLAN_FILTERING]), 1);
	free(buf);
}

static void test_veth(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0xbe, 0xef };
	struct berth_veth_spec spec = {
		.host_name = "veth0", .peer_name = "eth0", .mtu = 1280, .peer_mac = mac,
		.master_ifindex = 4,
	};
	void *buf = NULL;
	size_t len;
	struct attrs a, d, p;

	assert_int_equal(berth_link_build_veth(&spec, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	const struct ifinfomsg *ifi = newlink_hdr(buf);
	assert_true(ifi->ifi_flags & IFF_UP);
	assert_str(a.tb[IFLA_IFNAME], "veth0");
	assert_u32(a.tb[IFLA_MTU], 1280);
	assert_u32(a.tb[IFLA_MASTER], 4);
	assert_null(a.tb[IFLA_ADDRESS]);
	linkinfo(&a, "veth", &d);

	/* VETH_INFO_PEER: an ifinfomsg, then the peer's attributes */
	const struct nlattr *peer = d.tb[VETH_INFO_PEER];
	assert_non_null(peer);
	assert_true(mnl_attr_get_payload_len(peer) >= sizeof(struct ifinfomsg));
	const struct ifinfomsg *pifi = mnl_attr_get_payload(peer);
	assert_int_equal(pifi->ifi_flags, 0); /* the container end stays down */
	memset(&p, 0, sizeof(p));
	const char *pay = mnl_attr_get_payload(peer);
	const char *end = pay + mnl_attr_get_payload_len(peer);
	for (const struct nlattr *x = (const void *)(pay + NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	     mnl_attr_ok(x, (int)(end - (const char *)x)); x = mnl_attr_next(x)) {
		assert_true(mnl_attr_get_type(x) < MAX_ATTRS);
		p.tb[mnl_attr_get_type(x)] = x;
	}
	assert_str(p.tb[IFLA_IFNAME], "eth0");
	assert_u32(p.tb[IFLA_MTU], 1280);
	assert_non_null(p.tb[IFLA_ADDRESS]);
	assert_memory_equal(mnl_attr_get_payload(p.tb[IFLA_ADDRESS]), mac, 6);
	assert_null(p.tb[IFLA_NET_NS_FD]); /* no peer namespace in this test */
	assert_null(p.tb[IFLA_MASTER]);
	free(buf);

	/* generated host name */
	spec.host_name = NULL;
	assert_int_equal(berth_link_build_veth(&spec, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &a);
	const char *name = mnl_attr_get_str(a.tb[IFLA_IFNAME]);
	assert_int_equal(strlen(name), 12);
	assert_memory_equal(name, "veth", 4);
	assert_int_equal(strspn(name + 4, "0123456789abcdef"), 8);
	free(buf);

	spec.peer_name = NULL;
	assert_int_equal(berth_link_build_veth(&spec, &buf, &len), -EINVAL);
}

/* --- routes -------------------------------------------------------------------------- */

static const struct rtmsg *route_hdr(const void *buf)
{
	return mnl_nlmsg_get_payload(buf);
}

static void test_route_default_v4(void **state)
{
	struct berth_route_spec r = { .has_metric = true, .metric = 100 };
	void *buf = NULL;
	size_t len;
	struct attrs a;

	assert_int_equal(berth_ipnet_parse("0.0.0.0/0", &r.dst), 0);
	assert_int_equal(berth_ip_parse("10.89.0.1", &r.gateway), 0);
	assert_int_equal(berth_route_build(&r, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), &a);
	const struct rtmsg *rtm = route_hdr(buf);
	/* as netavark: create, not exclusive (a second default route may sit beside) */
	assert_int_equal(((const struct nlmsghdr *)buf)->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL),
			 NLM_F_CREATE);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 0);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_int_equal(rtm->rtm_protocol, RTPROT_STATIC);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_u32(a.tb[RTA_TABLE], RT_TABLE_MAIN);
	assert_null(a.tb[RTA_DST]);
	assert_non_null(a.tb[RTA_GATEWAY]);
	assert_int_equal(mnl_attr_get_payload_len(a.tb[RTA_GATEWAY]), 4);
	assert_memory_equal(mnl_attr_get_payload(a.tb[RTA_GATEWAY]), r.gateway.b, 4);
	assert_u32(a.tb[RTA_PRIORITY], 100);
	assert_null(a.tb[RTA_OIF]);
	free(buf);

	/* no metric -> no RTA_PRIORITY; oif -> RTA_OIF; no gateway -> link scope */
	r.has_metric = false;
	r.metric = 0;
	r.oif = 3;
	r.gateway.family = 0;
	assert_int_equal(berth_ipnet_parse("10.90.0.7/16", &r.dst), 0);
	assert_int_equal(berth_route_build(&r, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), &a);
	rtm = route_hdr(buf);
	assert_int_equal(rtm->rtm_dst_len, 16);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_null(a.tb[RTA_PRIORITY]);
	assert_null(a.tb[RTA_GATEWAY]);
	assert_u32(a.tb[RTA_OIF], 3);
	const uint8_t net[4] = { 10, 90, 0, 0 }; /* host bits cleared */
	assert_memory_equal(mnl_attr_get_payload(a.tb[RTA_DST]), net, 4);
	free(buf);

	/* a table beyond 255 only fits RTA_TABLE */
	r.table = 1000;
	assert_int_equal(berth_route_build(&r, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), &a);
	assert_int_equal(route_hdr(buf)->rtm_table, RT_TABLE_UNSPEC);
	assert_u32(a.tb[RTA_TABLE], 1000);
	free(buf);
}

static void test_route_v6(void **state)
{
	struct berth_route_spec r = { .has_metric = true, .metric = 0 };
	void *buf = NULL;
	size_t len;
	struct attrs a;

	assert_int_equal(berth_ipnet_parse("::/0", &r.dst), 0);
	assert_int_equal(berth_ip_parse("fd10::1", &r.gateway), 0);
	assert_int_equal(berth_route_build(&r, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), &a);
	const struct rtmsg *rtm = route_hdr(buf);
	assert_int_equal(rtm->rtm_family, AF_INET6);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(mnl_attr_get_payload_len(a.tb[RTA_GATEWAY]), 16);
	assert_memory_equal(mnl_attr_get_payload(a.tb[RTA_GATEWAY]), r.gateway.b, 16);
	assert_u32(a.tb[RTA_PRIORITY], 0); /* has_metric with 0 is sent */
	free(buf);

	/* v6 without gateway stays universe scope */
	r.gateway.family = 0;
	r.oif = 2;
	assert_int_equal(berth_ipnet_parse("fd20::/64", &r.dst), 0);
	assert_int_equal(berth_route_build(&r, &buf, &len), 0);
	parse_msg(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), &a);
	assert_int_equal(route_hdr(buf)->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(route_hdr(buf)->rtm_dst_len, 64);
	assert_int_equal(mnl_attr_get_payload_len(a.tb[RTA_DST]), 16);
	free(buf);

	/* family mismatch */
	assert_int_equal(berth_ip_parse("10.0.0.1", &r.gateway), 0);
	assert_int_equal(berth_route_build(&r, &buf, &len), -EINVAL);
}

static void test_route_types(void **state)
{
	static const struct {
		enum berth_route_type t;
		uint8_t rtn;
	} types[] = {
		{ BERTH_ROUTE_BLACKHOLE, RTN_BLACKHOLE },
		{ BERTH_ROUTE_UNREACHABLE, RTN_UNREACHABLE },
		{ BERTH_ROUTE_PROHIBIT, RTN_PROHIBIT },
	};
	for (size_t i = 0; i < 3; i++) {
		struct berth_route_spec r = { .type = types[i].t, .oif = 5 };
		void *buf = NULL;
		size_t len;
		struct attrs a;
		assert_int_equal(berth_ipnet_parse("10.99.0.0/16", &r.dst), 0);
		assert_int_equal(berth_ip_parse("10.99.0.1", &r.gateway), 0);
		assert_int_equal(berth_route_build(&r, &buf, &len), 0);
		parse_msg(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), &a);
		const struct rtmsg *rtm = route_hdr(buf);
		assert_int_equal(rtm->rtm_type, types[i].rtn);
		assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
		assert_int_equal(rtm->rtm_protocol, RTPROT_STATIC);
		assert_null(a.tb[RTA_OIF]);
		assert_null(a.tb[RTA_GATEWAY]);
		assert_non_null(a.tb[RTA_DST]);
		free(buf);
	}
	struct berth_route_spec bad = { .type = _BERTH_ROUTE_TYPE_MAX };
	void *buf;
	size_t len;
	assert_int_equal(berth_ipnet_parse("10.0.0.0/8", &bad.dst), 0);
	assert_int_equal(berth_route_build(&bad, &buf, &len), -EINVAL);
	struct berth_route_spec nofamily = {};
	assert_int_equal(berth_route_build(&nofamily, &buf, &len), -EINVAL);
}

/*
 * Every create asks for NLM_F_ECHO, so that the kernel's answer carries the
 * new link's ifindex (lib/netlink/link-create.c), beside CREATE|EXCL.
 */
static void assert_create_flags(void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	assert_true(len >= sizeof(*h));
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h->nlmsg_flags,
			 NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
	free(buf);
}

static void test_create_flags_echo(void **state)
{
	(void)state;
	void *buf;
	size_t len;

	struct berth_bridge_spec br = { .name = "br0" };
	assert_int_equal(berth_link_build_bridge(&br, &buf, &len), 0);
	assert_create_flags(buf, len);

	struct berth_veth_spec vs = { .host_name = "veth0", .peer_name = "eth0" };
	assert_int_equal(berth_link_build_veth(&vs, &buf, &len), 0);
	assert_create_flags(buf, len);

	struct berth_sublink_spec mv = { .name = "mv0", .parent_ifindex = 2 };
	assert_int_equal(berth_link_build_macvlan(&mv, &buf, &len), 0);
	assert_create_flags(buf, len);
	assert_int_equal(berth_link_build_ipvlan(&mv, &buf, &len), 0);
	assert_create_flags(buf, len);

	assert_int_equal(berth_link_build_vlan("eth0.5", 2, 5, &buf, &len), 0);
	assert_create_flags(buf, len);
	assert_int_equal(berth_link_build_vrf("vrf0", 10, &buf, &len), 0);
	assert_create_flags(buf, len);
}

/* RTM_SETLINK ifindex, IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { key: u32 ... } } } */
static void test_inet_conf(void **state)
{
	(void)state;
	const struct berth_inet_conf_kv kv[] = {
		{ IPV4_DEVCONF_ARP_NOTIFY, 1 },
		{ IPV4_DEVCONF_RP_FILTER, 2 },
		{ IPV4_DEVCONF_FORWARDING, 1 },
		{ IPV4_DEVCONF_ROUTE_LOCALNET, 1 },
	};
	struct attrs msg, af, inet, conf;
	void *buf;
	size_t len;

	assert_int_equal(berth_link_build_inet_conf(7, kv, 4, &buf, &len), 0);
	parse_msg(buf, len, RTM_SETLINK, sizeof(struct ifinfomsg), &msg);
	const struct nlmsghdr *h = buf;
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, 7);
	assert_int_equal(ifi->ifi_change, 0);
	parse_nested(msg.tb[IFLA_AF_SPEC], &af);
	parse_nested(af.tb[AF_INET], &inet);
	assert_null(af.tb[AF_INET6]);
	parse_nested(inet.tb[IFLA_INET_CONF], &conf);
	assert_u32(conf.tb[IPV4_DEVCONF_ARP_NOTIFY], 1);
	assert_u32(conf.tb[IPV4_DEVCONF_RP_FILTER], 2);
	assert_u32(conf.tb[IPV4_DEVCONF_FORWARDING], 1);
	assert_u32(conf.tb[IPV4_DEVCONF_ROUTE_LOCALNET], 1);
	free(buf);

	/* limits and bad input */
	const struct berth_inet_conf_kv bad0 = { 0, 1 }, bad_max = { IPV4_DEVCONF_MAX + 1, 1 };
	assert_int_equal(berth_link_build_inet_conf(7, &bad0, 1, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_inet_conf(7, &bad_max, 1, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_inet_conf(0, kv, 1, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_inet_conf(7, NULL, 1, &buf, &len), -EINVAL);
	assert_int_equal(berth_link_build_inet_conf(7, kv, BERTH_INET_CONF_MAX + 1, &buf, &len),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_strings),
		cmocka_unit_test(test_macvlan_modes),
		cmocka_unit_test(test_macvlan_bclim_mac_mtu),
		cmocka_unit_test(test_ipvlan_modes),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_vrf),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_veth),
		cmocka_unit_test(test_create_flags_echo),
		cmocka_unit_test(test_inet_conf),
		cmocka_unit_test(test_route_default_v4),
		cmocka_unit_test(test_route_v6),
		cmocka_unit_test(test_route_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
