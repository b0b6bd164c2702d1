// SPDX-License-Identifier: Apache-2.0
/*
 * veth-floor: the kernel's floor for what berth-net does per container, with
 * nothing else: raw rtnetlink (libmnl), one request per step, each waited for.
 * Timed by bench-run including fork and exec, like berth-net.
 *
 *   veth-floor add NETNS HOSTIF BRIDGE CTRIF ADDR/PLEN GATEWAY
 *       create a veth pair: HOSTIF up in BRIDGE in the current netns, CTRIF
 *       in NETNS; then, inside NETNS, add ADDR/PLEN to CTRIF, set it up and
 *       add a default route via GATEWAY (4 requests).
 *   veth-floor first NETNS HOSTIF BRIDGE CTRIF ADDR/PLEN GATEWAY BRADDR/PLEN
 *       the first container: create BRIDGE (down), add BRADDR/PLEN to it, set
 *       it up (3 requests), then the same as add.
 *   veth-floor del NETNS CTRIF
 *       delete CTRIF inside NETNS (which deletes the pair).
 *   veth-floor last HOSTIF BRIDGE
 *       the last container: put HOSTIF and BRIDGE (both in the current netns)
 *       in one link group and delete the group with one RTM_DELLINK, so the
 *       kernel unregisters both in one batch (3 requests).
 *
 * Exit 0 on success, 1 with a message on stderr otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct mnl_socket *nl;
static unsigned int portid;
static char buf[32768];

static void die(const char *what, int err)
{
	fprintf(stderr, "veth-floor: %s: %s\n", what, strerror(err));
	exit(1);
}

static void nl_open(void)
{
	if (nl)
		mnl_socket_close(nl);
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket", errno);
	portid = mnl_socket_get_portid(nl);
}

static struct nlmsghdr *msg_new(uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	return nlh;
}

static void talk(struct nlmsghdr *nlh, const char *what)
{
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die(what, errno);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		die(what, errno);
	if (mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL) < 0)
		die(what, errno);
}

static void enter_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(path, errno);
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns", errno);
	close(fd);
	nl_open();
}

static int cmd_add(char **argv)
{
	const char *nspath = argv[0], *hostif = argv[1], *bridge = argv[2];
	const char *ctrif = argv[3], *gw = argv[5];
	char addr[64];
	struct in_addr a, g;
	unsigned int br, ifindex;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;
	struct nlattr *linkinfo, *data, *peer;
	char *slash;
	int nsfd, plen;

	snprintf(addr, sizeof(addr), "%s", argv[4]);
	slash = strchr(addr, '/');
	if (!slash)
		die("address needs /prefix", EINVAL);
	*slash = '\0';
	plen = atoi(slash + 1);
	if (inet_pton(AF_INET, addr, &a) != 1 || inet_pton(AF_INET, gw, &g) != 1)
		die("bad address", EINVAL);

	br = if_nametoindex(bridge);
	if (!br)
		die(bridge, errno);
	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		die(nspath, errno);

	nl_open();

	/* 1. the pair: host end up in the bridge, peer up in the netns */
	nlh = msg_new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, hostif);
	mnl_attr_put_u32(nlh, IFLA_MASTER, br);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* not IFF_UP here: a veth end cannot open before its peer exists */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ctrif);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	talk(nlh, "create veth pair");

	/* 2. inside the container: address and default route */
	enter_netns(nspath);
	close(nsfd);
	ifindex = if_nametoindex(ctrif);
	if (!ifindex)
		die(ctrif, errno);

	nlh = msg_new(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	talk(nlh, "add address");

	nlh = msg_new(RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	talk(nlh, "set link up");

	nlh = msg_new(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(g), &g);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 100);
	talk(nlh, "add default route");
	return 0;
}

static void set_group(const char *ifname, uint32_t group)
{
	struct nlmsghdr *nlh = msg_new(RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	talk(nlh, "set link group");
}

static int cmd_first(char **argv)
{
	const char *bridge = argv[2];
	char addr[64];
	struct in_addr a;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct nlattr *linkinfo;
	unsigned int br;
	char *slash;

	snprintf(addr, sizeof(addr), "%s", argv[6]);
	slash = strchr(addr, '/');
	if (!slash)
		die("bridge address needs /prefix", EINVAL);
	*slash = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		die("bad bridge address", EINVAL);

	nl_open();
	nlh = msg_new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, bridge);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, linkinfo);
	talk(nlh, "create bridge");
	br = if_nametoindex(bridge);
	if (!br)
		die(bridge, errno);

	nlh = msg_new(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)atoi(slash + 1);
	ifa->ifa_index = br;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	talk(nlh, "add bridge address");

	nlh = msg_new(RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)br;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	talk(nlh, "set bridge up");
	return cmd_add(argv);
}

static int cmd_last(char **argv)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	const uint32_t group = 4242;

	nl_open();
	set_group(argv[0], group);
	set_group(argv[1], group);
	nlh = msg_new(RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	talk(nlh, "delete link group");
	return 0;
}

static int cmd_del(char **argv)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	enter_netns(argv[0]);
	nlh = msg_new(RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, argv[1]);
	talk(nlh, "delete veth");
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc == 8 && strcmp(argv[1], "add") == 0)
		r = cmd_add(argv + 2);
	else if (argc == 9 && strcmp(argv[1], "first") == 0)
		r = cmd_first(argv + 2);
	else if (argc == 4 && strcmp(argv[1], "del") == 0)
		r = cmd_del(argv + 2);
	else if (argc == 4 && strcmp(argv[1], "last") == 0)
		r = cmd_last(argv + 2);
	else {
		fprintf(stderr, "usage: veth-floor add NETNS HOSTIF BRIDGE CTRIF ADDR/PLEN GATEWAY\n"
				"       veth-floor first NETNS HOSTIF BRIDGE CTRIF ADDR/PLEN GATEWAY BRADDR/PLEN\n"
				"       veth-floor del NETNS CTRIF\n"
				"       veth-floor last HOSTIF BRIDGE\n");
		return 2;
	}
	if (nl)
		mnl_socket_close(nl);
	return r;
}
