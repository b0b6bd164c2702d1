// SPDX-License-Identifier: Apache-2.0
/*
 * Links: lookups, state changes, and creation of bridge, veth, macvlan,
 * ipvlan, vlan and vrf devices. Every create is one RTM_NEWLINK; the
 * berth_link_build_* functions return the very message the create sends.
 */
#include "nl-util.h"

#include "basic/log.h"

#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/random.h>

/* --- parsing ------------------------------------------------------------------- */

static bool attr_u32(const struct nlattr *a, uint32_t *ret)
{
	if (!a || nla_len(a) < (int)sizeof(uint32_t))
		return false;
	memcpy(ret, nla_data(a), sizeof(*ret));
	return true;
}

/* Copy a NUL-terminated string attribute; false when absent, unterminated or too long. */
static bool attr_str(const struct nlattr *a, char *buf, size_t size)
{
	if (!a || nla_len(a) <= 0)
		return false;
	const char *s = nla_data(a);
	size_t max = (size_t)nla_len(a);
	size_t len = strnlen(s, max);
	if (len == max || len >= size)
		return false;
	memcpy(buf, s, len + 1);
	return true;
}

static int parse_link(const struct nlmsghdr *h, struct berth_link_info *ret)
{
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	uint32_t v;

	nlu_parse_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	memset(ret, 0, sizeof(*ret));
	ret->ifindex = ifi->ifi_index;
	ret->flags = ifi->ifi_flags;
	if (!attr_str(tb[IFLA_IFNAME], ret->name, sizeof(ret->name)))
		return -EBADMSG;
	if (attr_u32(tb[IFLA_MTU], &v))
		ret->mtu = v;
	if (attr_u32(tb[IFLA_MASTER], &v))
		ret->master = (int)v;
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == (int)sizeof(ret->mac))
		memcpy(ret->mac, nla_data(tb[IFLA_ADDRESS]), sizeof(ret->mac));
	nlu_parse_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
	(void)attr_str(li[IFLA_INFO_KIND], ret->kind, sizeof(ret->kind));
	if (strcmp(ret->kind, "bridge") == 0 && li[IFLA_INFO_DATA]) {
		struct nlattr *br[IFLA_BR_MAX + 1];
		nlu_parse_nested(li[IFLA_INFO_DATA], br, IFLA_BR_MAX);
		ret->vlan_filtering = br[IFLA_BR_VLAN_FILTERING] &&
				      nla_len(br[IFLA_BR_VLAN_FILTERING]) >= 1 &&
				      *(const uint8_t *)nla_data(br[IFLA_BR_VLAN_FILTERING]);
	}
	return 0;
}

static int get_link_cb(const struct nlmsghdr *h, void *userdata)
{
	return parse_link(h, userdata);
}

/* One RTM_GETLINK by name (ifindex 0) or by index. */
static int link_get(struct berth_netns *ns, const char *name, int ifindex,
		    struct berth_link_info *ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct berth_link_info info = { .ifindex = -1 };
	int r;

	if (name && (!*name || strlen(name) >= IFNAMSIZ))
		return -EINVAL;
	r = nlu_msg_new(RTM_GETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (name) {
		r = nlu_put_string(msg, IFLA_IFNAME, name);
		if (r < 0)
			return r;
	}
	r = nlu_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (r < 0)
		return r;
	r = nlu_transact(ns, msg, get_link_cb, &info);
	if (r < 0)
		return r;
	if (info.ifindex < 0)
		return -EBADMSG; /* ACK without a reply */
	if (ret)
		*ret = info;
	return 0;
}

int berth_link_get(struct berth_netns *ns, const char *name, struct berth_link_info *ret)
{
	if (!name)
		return -EINVAL;
	return link_get(ns, name, 0, ret);
}

int berth_link_get_by_index(struct berth_netns *ns, int ifindex, struct berth_link_info *ret)
{
	if (ifindex <= 0)
		return -EINVAL;
	return link_get(ns, NULL, ifindex, ret);
}

static int link_ifindex(struct berth_netns *ns, const char *name, int *ret)
{
	struct berth_link_info info;
	int r = link_get(ns, name, 0, &info);
	if (r < 0)
		return r;
	*ret = info.ifindex;
	return 0;
}

/* --- simple changes ------------------------------------------------------------ */

static int setlink_new(int ifindex, struct nl_msg **ret, struct ifinfomsg **ret_ifi)
{
	if (ifindex <= 0)
		return -EINVAL;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(**ret_ifi), ret, (void **)ret_ifi);
	if (r < 0)
		return r;
	(*ret_ifi)->ifi_family = AF_UNSPEC;
	(*ret_ifi)->ifi_index = ifindex;
	return 0;
}

int berth_link_set_up(struct berth_netns *ns, int ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_set_mtu(struct berth_netns *ns, int ifindex, unsigned mtu)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	r = nlu_put_u32(msg, IFLA_MTU, mtu);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_rename(struct berth_netns *ns, int ifindex, const char *name)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	int r = setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	r = nlu_put_string(msg, IFLA_IFNAME, name);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_delete(struct berth_netns *ns, int ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	if (ifindex <= 0)
		return -EINVAL;
	int r = nlu_msg_new(RTM_DELLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlu_transact(ns, msg, NULL, NULL);
}

struct link_dump_ctx {
	void (*cb)(struct nlattr **tb, void *ud);
	void *ud;
};

static int link_dump_cb(const struct nlmsghdr *h, void *userdata)
{
	struct link_dump_ctx *c = userdata;
	struct nlattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 0;
	nlu_parse_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	c->cb(tb, c->ud);
	return 0;
}

/*
 * Dump the links of ns (only the ports of `master` when it is > 0; the kernel
 * filters on strict sockets) and call cb for each RTM_NEWLINK. Retried, after
 * reset(ud), when the link table changed during the dump.
 */
static int link_dump(struct berth_netns *ns, int master, void (*cb)(struct nlattr **tb, void *ud),
		     void (*reset)(void *ud), void *ud)
{
	for (unsigned attempt = 0;; attempt++) {
		_cleanup_nl_msg_ struct nl_msg *msg = NULL;
		struct ifinfomsg *ifi;
		struct link_dump_ctx c = { .cb = cb, .ud = ud };
		int r = nlu_msg_new(RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi), &msg, (void **)&ifi);
		if (r < 0)
			return r;
		ifi->ifi_family = AF_UNSPEC;
		if (master > 0) {
			r = nlu_put_u32(msg, IFLA_MASTER, (uint32_t)master);
			if (r < 0)
				return r;
		}
		r = nlu_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		if (r < 0)
			return r;
		reset(ud);
		r = nlu_transact(ns, msg, link_dump_cb, &c);
		if (r == -EAGAIN && attempt < 3)
			continue; /* the link table changed during the dump */
		return r < 0 ? r : 0;
	}
}

struct count_ports_ctx {
	uint32_t master;
	int count;
};

static void count_ports_reset(void *ud)
{
	((struct count_ports_ctx *)ud)->count = 0;
}

static void count_ports_cb(struct nlattr **tb, void *ud)
{
	struct count_ports_ctx *c = ud;
	uint32_t master;

	/* The kernel filters by master on strict sockets; check anyway. */
	if (attr_u32(tb[IFLA_MASTER], &master) && master == c->master)
		c->count++;
}

int berth_link_count_ports(struct berth_netns *ns, int master_ifindex)
{
	struct count_ports_ctx c = { .master = (uint32_t)master_ifindex };
	if (master_ifindex <= 0)
		return -EINVAL;
	int r = link_dump(ns, master_ifindex, count_ports_cb, count_ports_reset, &c);
	return r < 0 ? r : c.count;
}

static int count_ports_max_once(struct berth_netns *ns, int master_ifindex, int max)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	struct ifinfomsg *ifi;
	int count = 0, r;

	if (master_ifindex <= 0 || max <= 0)
		return -EINVAL;
	r = nlu_private_socket(ns, &fd);
	if (r < 0)
		return r;
	r = nlu_msg_new(RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	if ((r = nlu_put_u32(msg, IFLA_MASTER, (uint32_t)master_ifindex)) < 0 ||
	    (r = nlu_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)) < 0)
		return r;
	struct nlmsghdr *req = nlmsg_hdr(msg);
	req->nlmsg_flags |= NLM_F_REQUEST;
	req->nlmsg_seq = 1;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;

	buf = malloc(NLU_RECV_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	/* Bounded: every round trip either ends the dump or brings at least one message. */
	for (unsigned rounds = 0; rounds < 100000; rounds++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		r = poll(&p, 1, 5000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, buf, NLU_RECV_BUF_SIZE, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		int rem = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, rem);
		     h = NLMSG_NEXT(h, rem)) {
			if (h->nlmsg_seq != 1)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return count;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				return e->error ? (e->error < 0 ? e->error : -e->error) : count;
			}
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				return -EAGAIN;
			if (h->nlmsg_type != RTM_NEWLINK ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				continue;
			struct nlattr *tb[IFLA_MAX + 1];
			uint32_t master;
			nlu_parse_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX);
			if (attr_u32(tb[IFLA_MASTER], &master) && master == (uint32_t)master_ifindex &&
			    ++count >= max)
				return count; /* enough: closing the socket ends the dump */
		}
	}
	return -E2BIG;
}

int berth_link_count_ports_max(struct berth_netns *ns, int master_ifindex, int max)
{
	int r = -EAGAIN;
	for (unsigned attempt = 0; attempt < 4 && r == -EAGAIN; attempt++)
		r = count_ports_max_once(ns, master_ifindex, max);
	return r;
}

struct group_ctx {
	uint32_t group;
	bool used;
};

static void group_reset(void *ud)
{
	((struct group_ctx *)ud)->used = false;
}

static void group_cb(struct nlattr **tb, void *ud)
{
	struct group_ctx *c = ud;
	uint32_t group;

	if (attr_u32(tb[IFLA_GROUP], &group) && group == c->group)
		c->used = true;
}

/* Is any link of ns in this group? One dump of the link table. */
static int group_in_use(struct berth_netns *ns, uint32_t group)
{
	struct group_ctx c = { .group = group };
	int r = link_dump(ns, 0, group_cb, group_reset, &c);
	return r < 0 ? r : c.used;
}

static int link_set_group(struct berth_netns *ns, int ifindex, uint32_t group)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	r = nlu_put_u32(msg, IFLA_GROUP, group);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_delete_many(struct berth_netns *ns, const int *ifindexes, size_t n)
{
	uint32_t group = 0;
	int r;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ifindexes[i] <= 0)
			return -EINVAL;
	if (n == 1)
		return berth_link_delete(ns, ifindexes[0]);

	/* A group number no link of this namespace uses (bounded attempts). */
	for (int attempt = 0; attempt < 4 && !group; attempt++) {
		uint32_t g;
		if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g))
			break;
		g |= 0x40000000u; /* never 0, the default group, nor a small hand-picked one */
		r = group_in_use(ns, g);
		if (r < 0)
			return r;
		if (r == 0)
			group = g;
	}
	if (!group)
		goto one_by_one;

	size_t tagged = 0;
	for (size_t i = 0; i < n; i++) {
		r = link_set_group(ns, ifindexes[i], group);
		if (r == -ENODEV)
			continue; /* already gone */
		if (r < 0)
			goto one_by_one;
		tagged++;
	}
	if (tagged == 0)
		return -ENODEV;
	{
		_cleanup_nl_msg_ struct nl_msg *msg = NULL;
		struct ifinfomsg *ifi;
		r = nlu_msg_new(RTM_DELLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
		if (r < 0)
			goto one_by_one;
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = 0;
		r = nlu_put_u32(msg, IFLA_GROUP, group);
		if (r >= 0)
			r = nlu_transact(ns, msg, NULL, NULL);
		if (r >= 0)
			return 0;
	}
one_by_one:
	/* Whatever is left (a link moved back to its group keeps the number; harmless). */
	r = 0;
	for (size_t i = 0; i < n; i++) {
		int k = berth_link_delete(ns, ifindexes[i]);
		if (k < 0 && k != -ENODEV && r == 0)
			r = k;
	}
	return r;
}

/* --- message builders ------------------------------------------------------------- */

static int newlink_new(const char *name, struct nl_msg **ret, struct ifinfomsg **ret_ifi)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	int r = nlu_msg_new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	r = nlu_put_string(msg, IFLA_IFNAME, name);
	if (r < 0)
		return r;
	if (ret_ifi)
		*ret_ifi = ifi;
	*ret = TAKE_PTR(msg);
	return 0;
}

static int put_mtu_mac(struct nl_msg *msg, unsigned mtu, const uint8_t *mac)
{
	int r;
	if (mtu > 0) {
		r = nlu_put_u32(msg, IFLA_MTU, mtu);
		if (r < 0)
			return r;
	}
	if (mac) {
		r = nlu_put(msg, IFLA_ADDRESS, mac, 6);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Open IFLA_LINKINFO with IFLA_INFO_KIND and, when ret_data is non-NULL, an
 * open IFLA_INFO_DATA. Close with linkinfo_end().
 */
static int linkinfo_begin(struct nl_msg *msg, const char *kind, struct nlattr **ret_info,
			  struct nlattr **ret_data)
{
	struct nlattr *info = nlu_nest_start(msg, IFLA_LINKINFO);
	if (!info)
		return -ENOMEM;
	int r = nlu_put_string(msg, IFLA_INFO_KIND, kind);
	if (r < 0)
		return r;
	if (ret_data) {
		*ret_data = nlu_nest_start(msg, IFLA_INFO_DATA);
		if (!*ret_data)
			return -ENOMEM;
	}
	*ret_info = info;
	return 0;
}

static int linkinfo_end(struct nl_msg *msg, struct nlattr *info, struct nlattr *data)
{
	int r;
	if (data) {
		r = nlu_nest_end(msg, data);
		if (r < 0)
			return r;
	}
	return nlu_nest_end(msg, info);
}

static int build_bridge(const struct berth_bridge_spec *spec, struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *info, *data = NULL;
	int r;

	if (!spec)
		return -EINVAL;
	r = newlink_new(spec->name, &msg, &ifi);
	if (r < 0)
		return r;
	if (!spec->down) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	r = put_mtu_mac(msg, spec->mtu, NULL);
	if (r < 0)
		return r;
	if (spec->vrf_ifindex > 0) {
		r = nlu_put_u32(msg, IFLA_MASTER, (uint32_t)spec->vrf_ifindex);
		if (r < 0)
			return r;
	}
	r = linkinfo_begin(msg, "bridge", &info, spec->vlan_filtering ? &data : NULL);
	if (r < 0)
		return r;
	if (spec->vlan_filtering) {
		r = nlu_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1);
		if (r < 0)
			return r;
	}
	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

static int gen_veth_name(char buf[IFNAMSIZ])
{
	uint8_t rnd[4];
	ssize_t n = getrandom(rnd, sizeof(rnd), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(rnd))
		return -EIO;
	snprintf(buf, IFNAMSIZ, "veth%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	return 0;
}

/* host_name: the final host-end name (generated by the caller when the spec has none). */
static int build_veth(const struct berth_veth_spec *spec, const char *host_name,
		      struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi, *peer_ifi;
	struct nlattr *info, *data, *peer;
	int r;

	if (!spec || !spec->peer_name || !*spec->peer_name || strlen(spec->peer_name) >= IFNAMSIZ)
		return -EINVAL;
	r = newlink_new(host_name, &msg, &ifi);
	if (r < 0)
		return r;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	r = put_mtu_mac(msg, spec->mtu, NULL);
	if (r < 0)
		return r;
	if (spec->master_ifindex > 0) {
		r = nlu_put_u32(msg, IFLA_MASTER, (uint32_t)spec->master_ifindex);
		if (r < 0)
			return r;
	}
	r = linkinfo_begin(msg, "veth", &info, &data);
	if (r < 0)
		return r;

	/* VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's IFLA_* attributes. */
	peer = nlu_nest_start(msg, VETH_INFO_PEER);
	if (!peer)
		return -ENOMEM;
	peer_ifi = nlmsg_reserve(msg, sizeof(*peer_ifi), NLMSG_ALIGNTO);
	if (!peer_ifi)
		return -ENOMEM;
	memset(peer_ifi, 0, sizeof(*peer_ifi));
	peer_ifi->ifi_family = AF_UNSPEC;
	r = nlu_put_string(msg, IFLA_IFNAME, spec->peer_name);
	if (r < 0)
		return r;
	if (spec->peer_ns) {
		r = nlu_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)berth_netns_fd(spec->peer_ns));
		if (r < 0)
			return r;
	}
	r = put_mtu_mac(msg, spec->mtu, spec->peer_mac);
	if (r < 0)
		return r;
	r = nlu_nest_end(msg, peer);
	if (r < 0)
		return r;

	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

static const uint32_t macvlan_modes[_BERTH_MACVLAN_MAX] = {
	[BERTH_MACVLAN_BRIDGE] = MACVLAN_MODE_BRIDGE,
	[BERTH_MACVLAN_PRIVATE] = MACVLAN_MODE_PRIVATE,
	[BERTH_MACVLAN_VEPA] = MACVLAN_MODE_VEPA,
	[BERTH_MACVLAN_PASSTHRU] = MACVLAN_MODE_PASSTHRU,
	[BERTH_MACVLAN_SOURCE] = MACVLAN_MODE_SOURCE,
};

static const uint16_t ipvlan_modes[_BERTH_IPVLAN_MAX] = {
	[BERTH_IPVLAN_L2] = IPVLAN_MODE_L2,
	[BERTH_IPVLAN_L3] = IPVLAN_MODE_L3,
	[BERTH_IPVLAN_L3S] = IPVLAN_MODE_L3S,
};

static int sublink_begin(const struct berth_sublink_spec *spec, const uint8_t *mac,
			 struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r;

	if (!spec || spec->parent_ifindex <= 0)
		return -EINVAL;
	r = newlink_new(spec->name, &msg, NULL);
	if (r < 0)
		return r;
	r = nlu_put_u32(msg, IFLA_LINK, (uint32_t)spec->parent_ifindex);
	if (r < 0)
		return r;
	if (spec->target_ns) {
		/* Born in the target namespace; IFLA_LINK is still resolved in the sender's. */
		r = nlu_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)berth_netns_fd(spec->target_ns));
		if (r < 0)
			return r;
	}
	r = put_mtu_mac(msg, spec->mtu, mac);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

static int build_macvlan(const struct berth_sublink_spec *spec, struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct nlattr *info, *data;
	int r;

	if (!spec || spec->mode < 0 || spec->mode >= _BERTH_MACVLAN_MAX)
		return -EINVAL;
	r = sublink_begin(spec, spec->mac, &msg);
	if (r < 0)
		return r;
	r = linkinfo_begin(msg, "macvlan", &info, &data);
	if (r < 0)
		return r;
	r = nlu_put_u32(msg, IFLA_MACVLAN_MODE, macvlan_modes[spec->mode]);
	if (r < 0)
		return r;
	if (spec->has_bclim) {
		/* As netavark: bclim is the broadcast cutoff, not the queue length. */
		r = nlu_put_u32(msg, BERTH_IFLA_MACVLAN_BC_CUTOFF, spec->bclim);
		if (r < 0)
			return r;
	}
	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

static int build_ipvlan(const struct berth_sublink_spec *spec, struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct nlattr *info, *data;
	int r;

	if (!spec || spec->mode < 0 || spec->mode >= _BERTH_IPVLAN_MAX)
		return -EINVAL;
	/* ipvlan devices share the parent's MAC: spec->mac is not sent. */
	r = sublink_begin(spec, NULL, &msg);
	if (r < 0)
		return r;
	r = linkinfo_begin(msg, "ipvlan", &info, &data);
	if (r < 0)
		return r;
	r = nlu_put_u16(msg, IFLA_IPVLAN_MODE, ipvlan_modes[spec->mode]);
	if (r < 0)
		return r;
	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

static int build_vlan(const char *name, int parent_ifindex, uint16_t vid, struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct nlattr *info, *data;
	int r;

	if (parent_ifindex <= 0 || vid == 0 || vid >= 4095)
		return -EINVAL;
	r = newlink_new(name, &msg, NULL);
	if (r < 0)
		return r;
	r = nlu_put_u32(msg, IFLA_LINK, (uint32_t)parent_ifindex);
	if (r < 0)
		return r;
	r = linkinfo_begin(msg, "vlan", &info, &data);
	if (r < 0)
		return r;
	r = nlu_put_u16(msg, IFLA_VLAN_ID, vid);
	if (r < 0)
		return r;
	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

static int build_vrf(const char *name, uint32_t table, struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct nlattr *info, *data;
	int r;

	if (table == 0)
		return -EINVAL;
	r = newlink_new(name, &msg, NULL);
	if (r < 0)
		return r;
	r = linkinfo_begin(msg, "vrf", &info, &data);
	if (r < 0)
		return r;
	r = nlu_put_u32(msg, IFLA_VRF_TABLE, table);
	if (r < 0)
		return r;
	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

/* Copy out a built message (r: the builder's result; msg read only after it ran). */
static int build_copy(int r, struct nl_msg **msg, void **ret_buf, size_t *ret_len)
{
	if (r < 0)
		return r;
	return nlu_msg_copy(*msg, ret_buf, ret_len);
}

int berth_link_build_macvlan(const struct berth_sublink_spec *spec, void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_macvlan(spec, &msg);
	return build_copy(r, &msg, ret_buf, ret_len);
}

int berth_link_build_ipvlan(const struct berth_sublink_spec *spec, void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_ipvlan(spec, &msg);
	return build_copy(r, &msg, ret_buf, ret_len);
}

int berth_link_build_vlan(const char *name, int parent_ifindex, uint16_t vid, void **ret_buf,
			  size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_vlan(name, parent_ifindex, vid, &msg);
	return build_copy(r, &msg, ret_buf, ret_len);
}

int berth_link_build_vrf(const char *name, uint32_t table, void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_vrf(name, table, &msg);
	return build_copy(r, &msg, ret_buf, ret_len);
}

int berth_link_build_bridge(const struct berth_bridge_spec *spec, void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_bridge(spec, &msg);
	return build_copy(r, &msg, ret_buf, ret_len);
}

int berth_link_build_veth(const struct berth_veth_spec *spec, void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	char name[IFNAMSIZ];
	const char *host = spec ? spec->host_name : NULL;
	if (!host) {
		int r = gen_veth_name(name);
		if (r < 0)
			return r;
		host = name;
	}
	int r = build_veth(spec, host, &msg);
	return build_copy(r, &msg, ret_buf, ret_len);
}

/* --- creation ---------------------------------------------------------------------- */

int berth_bridge_create(struct berth_netns *ns, const struct berth_bridge_spec *spec,
			int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_bridge(spec, &msg);
	if (r < 0)
		return r;
	r = nlu_transact(ns, msg, NULL, NULL);
	if (r < 0)
		return r;
	log_debug("created bridge '%s'", spec->name);
	return ret_ifindex ? link_ifindex(ns, spec->name, ret_ifindex) : 0;
}

int berth_bridge_enable_vlan_filtering(struct berth_netns *ns, int ifindex)
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
	r = linkinfo_begin(msg, "bridge", &info, &data);
	if (r < 0)
		return r;
	r = nlu_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1);
	if (r < 0)
		return r;
	r = linkinfo_end(msg, info, data);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_bridge_port_set_vlan(struct berth_netns *ns, int ifindex, uint16_t vid)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *spec;

	if (ifindex <= 0 || vid == 0 || vid >= 4095)
		return -EINVAL;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	spec = nlu_nest_start(msg, IFLA_AF_SPEC);
	if (!spec)
		return -ENOMEM;
	/* No IFLA_BRIDGE_FLAGS: the default target is the master bridge (not "self"). */
	struct bridge_vlan_info vinfo = {
		.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
		.vid = vid,
	};
	r = nlu_put(msg, IFLA_BRIDGE_VLAN_INFO, &vinfo, sizeof(vinfo));
	if (r < 0)
		return r;
	r = nlu_nest_end(msg, spec);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_veth_create(struct berth_netns *ns, const struct berth_veth_spec *spec,
		      int *ret_host_ifindex, char *ret_host_name, int *ret_peer_ifindex,
		      bool *ret_conflict_peer)
{
	char name[IFNAMSIZ];
	int r;

	if (!spec || !spec->peer_ns)
		return -EINVAL;
	if (spec->host_name && (!*spec->host_name || strlen(spec->host_name) >= IFNAMSIZ))
		return -EINVAL;

	/* A generated name that happens to exist gets a few more draws. */
	for (unsigned attempt = 0;; attempt++) {
		_cleanup_nl_msg_ struct nl_msg *msg = NULL;

		if (spec->host_name)
			snprintf(name, sizeof(name), "%s", spec->host_name);
		else {
			r = gen_veth_name(name);
			if (r < 0)
				return r;
		}
		r = build_veth(spec, name, &msg);
		if (r < 0)
			return r;
		r = nlu_transact(ns, msg, NULL, NULL);
		if (r != -EEXIST)
			break;

		/* Which name is taken? The peer is created first, so look there. */
		bool peer_taken = berth_link_get(spec->peer_ns, spec->peer_name, NULL) >= 0;
		if (!peer_taken && !spec->host_name && attempt < 3)
			continue;
		if (ret_conflict_peer)
			*ret_conflict_peer = peer_taken;
		return -EEXIST;
	}
	if (r < 0)
		return r;
	log_debug("created veth '%s' with peer '%s'", name, spec->peer_name);

	int host_ifindex = 0, peer_ifindex = 0;
	if (ret_host_ifindex) {
		r = link_ifindex(ns, name, &host_ifindex);
		if (r < 0)
			return r;
	}
	if (ret_peer_ifindex) {
		r = link_ifindex(spec->peer_ns, spec->peer_name, &peer_ifindex);
		if (r < 0)
			return r;
	}
	if (ret_host_ifindex)
		*ret_host_ifindex = host_ifindex;
	if (ret_host_name)
		memcpy(ret_host_name, name, strlen(name) + 1);
	if (ret_peer_ifindex)
		*ret_peer_ifindex = peer_ifindex;
	if (ret_conflict_peer)
		*ret_conflict_peer = false;
	return 0;
}

static int create_sublink(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			  int (*build)(const struct berth_sublink_spec *, struct nl_msg **),
			  int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build(spec, &msg);
	if (r < 0)
		return r;
	r = nlu_transact(ns, msg, NULL, NULL);
	if (r < 0)
		return r;
	if (!ret_ifindex)
		return 0;
	return link_ifindex(spec->target_ns ? spec->target_ns : ns, spec->name, ret_ifindex);
}

int berth_macvlan_create(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			 int *ret_ifindex)
{
	return create_sublink(ns, spec, build_macvlan, ret_ifindex);
}

int berth_ipvlan_create(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			int *ret_ifindex)
{
	return create_sublink(ns, spec, build_ipvlan, ret_ifindex);
}

int berth_vlan_create(struct berth_netns *ns, const char *name, int parent_ifindex, uint16_t vid,
		      int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_vlan(name, parent_ifindex, vid, &msg);
	if (r < 0)
		return r;
	r = nlu_transact(ns, msg, NULL, NULL);
	if (r < 0)
		return r;
	return ret_ifindex ? link_ifindex(ns, name, ret_ifindex) : 0;
}

int berth_vrf_create(struct berth_netns *ns, const char *name, uint32_t table, int *ret_ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = build_vrf(name, table, &msg);
	if (r < 0)
		return r;
	r = nlu_transact(ns, msg, NULL, NULL);
	if (r < 0)
		return r;
	return ret_ifindex ? link_ifindex(ns, name, ret_ifindex) : 0;
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

/* ---- undo helpers: the inverse of set_up and of enabling VLAN filtering ---- */

int berth_link_set_down(struct berth_netns *ns, int ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	ifi->ifi_flags = 0;
	ifi->ifi_change = IFF_UP;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_bridge_disable_vlan_filtering(struct berth_netns *ns, int ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	struct nlattr *info, *data;

	if (ifindex <= 0)
		return -EINVAL;
	int r = nlu_msg_new(RTM_NEWLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if ((r = linkinfo_begin(msg, "bridge", &info, &data)) < 0 ||
	    (r = nlu_put_u8(msg, IFLA_BR_VLAN_FILTERING, 0)) < 0 ||
	    (r = linkinfo_end(msg, info, data)) < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}
