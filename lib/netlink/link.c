// SPDX-License-Identifier: Apache-2.0
/*
 * Links: lookups by name or index, simple state changes (up, MTU, name, IPv4
 * settings), and dumps of the link table (port counts). Creation lives in
 * bridge.c, veth.c and sublink.c, the RTM_NEWLINK builders in link-msg.c,
 * deletion in link-delete.c.
 */
#include "nl-util.h"
#include "link-internal.h"

#include "basic/fileio.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int link_parse(const struct nlmsghdr *h, struct berth_link_info *ret)
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
	if (!nlu_attr_str(tb[IFLA_IFNAME], ret->name, sizeof(ret->name)))
		return -EBADMSG;
	if (nlu_attr_u32(tb[IFLA_MTU], &v))
		ret->mtu = v;
	if (nlu_attr_u32(tb[IFLA_MASTER], &v))
		ret->master = (int)v;
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == (int)sizeof(ret->mac))
		memcpy(ret->mac, nla_data(tb[IFLA_ADDRESS]), sizeof(ret->mac));
	nlu_parse_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
	(void)nlu_attr_str(li[IFLA_INFO_KIND], ret->kind, sizeof(ret->kind));
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
	return link_parse(h, userdata);
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

int link_ifindex(struct berth_netns *ns, const char *name, int *ret)
{
	struct berth_link_info info;
	int r = link_get(ns, name, 0, &info);
	if (r < 0)
		return r;
	*ret = info.ifindex;
	return 0;
}

/* --- simple changes ------------------------------------------------------------ */

int link_setlink_new(int ifindex, struct nl_msg **ret, struct ifinfomsg **ret_ifi)
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

int berth_link_set_flags(struct berth_netns *ns, int ifindex, unsigned flags, unsigned change)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = link_setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	ifi->ifi_flags = flags & change;
	ifi->ifi_change = change;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_set_up(struct berth_netns *ns, int ifindex)
{
	return berth_link_set_flags(ns, ifindex, IFF_UP, IFF_UP);
}

int berth_link_set_down(struct berth_netns *ns, int ifindex)
{
	return berth_link_set_flags(ns, ifindex, 0, IFF_UP);
}

int link_setlink_u32(struct berth_netns *ns, int ifindex, int type, uint32_t v)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = link_setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	r = nlu_put_u32(msg, type, v);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_set_mtu(struct berth_netns *ns, int ifindex, unsigned mtu)
{
	return link_setlink_u32(ns, ifindex, IFLA_MTU, mtu);
}

int berth_link_rename(struct berth_netns *ns, int ifindex, const char *name)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	int r = link_setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	r = nlu_put_string(msg, IFLA_IFNAME, name);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

static int inet_conf_msg(int ifindex, const struct berth_inet_conf_kv *kv, size_t n,
			 struct nl_msg **ret)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct nlattr *af_spec, *inet, *conf;
	struct ifinfomsg *ifi;

	if ((n > 0 && !kv) || n > BERTH_INET_CONF_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (kv[i].key < 1 || kv[i].key > IPV4_DEVCONF_MAX)
			return -EINVAL;
	int r = link_setlink_new(ifindex, &msg, &ifi);
	if (r < 0)
		return r;
	af_spec = nlu_nest_start(msg, IFLA_AF_SPEC);
	inet = af_spec ? nlu_nest_start(msg, AF_INET) : NULL;
	conf = inet ? nlu_nest_start(msg, IFLA_INET_CONF) : NULL;
	if (!conf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = nlu_put_u32(msg, kv[i].key, kv[i].value);
		if (r < 0)
			return r;
	}
	if ((r = nlu_nest_end(msg, conf)) < 0 || (r = nlu_nest_end(msg, inet)) < 0 ||
	    (r = nlu_nest_end(msg, af_spec)) < 0)
		return r;
	*ret = TAKE_PTR(msg);
	return 0;
}

int berth_link_set_inet_conf(struct berth_netns *ns, int ifindex,
			     const struct berth_inet_conf_kv *kv, size_t n)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = inet_conf_msg(ifindex, kv, n, &msg);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_build_inet_conf(int ifindex, const struct berth_inet_conf_kv *kv, size_t n,
			       void **ret_buf, size_t *ret_len)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = inet_conf_msg(ifindex, kv, n, &msg);
	if (r < 0)
		return r;
	return nlu_msg_copy(msg, ret_buf, ret_len);
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
int link_dump(struct berth_netns *ns, int master, void (*cb)(struct nlattr **tb, void *ud),
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
	if (nlu_attr_u32(tb[IFLA_MASTER], &master) && master == c->master)
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
		r = fd_wait_readable(fd, 5000);
		if (r < 0)
			return r;
		ssize_t n = recv(fd, buf, NLU_RECV_BUF_SIZE, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		unsigned int rem = (unsigned int)n; /* unsigned: NLMSG_OK compares it with nlmsg_len */
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
			if (nlu_attr_u32(tb[IFLA_MASTER], &master) &&
			    master == (uint32_t)master_ifindex && ++count >= max)
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
