/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel networking primitives over rtnetlink (libnl-3 route), front-end neutral.
 *
 * Every function returns >= 0 on success and -errno on failure (libnl NLE_*
 * codes are converted here, at the wrapper). Nothing here logs above debug,
 * nothing exits, nothing runs a program.
 *
 * A struct berth_netns is one network namespace: an O_CLOEXEC fd on it and a
 * connected NETLINK_ROUTE socket opened *inside* it, so that callers never
 * have to switch the thread's namespace to talk to its kernel objects.
 */
#pragma once

#include "net/ipaddr.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock;
struct berth_netns;

/*
 * The macvlan broadcast cutoff (netavark's `bclim`): kernel 6.3 and newer.
 * Debian 12's kernel headers predate it.
 */
#define BERTH_IFLA_MACVLAN_BC_CUTOFF 9

/* --- namespaces ------------------------------------------------------------ */

/* The namespace the process is in (the "host" namespace of berth-net). */
int berth_netns_open_current(struct berth_netns **ret);
/*
 * A namespace given by path (/run/netns/x, /proc/PID/ns/net). -ENOENT when
 * missing, -EINVAL when the path is not a network namespace (checked with
 * fstatfs NSFS_MAGIC and the ioctl NS_GET_NSTYPE where available).
 */
int berth_netns_open_path(const char *path, struct berth_netns **ret);
void berth_netns_free(struct berth_netns *ns);
int berth_netns_fd(const struct berth_netns *ns);
/*
 * The namespace's libnl socket (close-on-exec, NETLINK_EXT_ACK and, where the
 * kernel has it, NETLINK_GET_STRICT_CHK set). lib/netlink reads its own
 * replies with its own sequence numbers, so libnl's counters on this socket
 * stay consistent for callers that also use it through libnl.
 *
 * Note for code that includes libnl headers: lib/ precedes /usr/include/libnl3
 * on the include path, so <netlink/netlink.h> is this file; include
 * <libnl3/netlink/netlink.h> before any other libnl header.
 */
struct nl_sock *berth_netns_sock(struct berth_netns *ns);
/* True when both refer to the same namespace (same nsfs inode). */
bool berth_netns_same(const struct berth_netns *a, const struct berth_netns *b);

/*
 * Write /proc/sys/<key> as seen from namespace ns (key like
 * "net/ipv4/conf/podman1/route_localnet"). Reads first and writes only when the
 * value differs. With ret_old (>= 16 bytes, may be NULL) returns the previous
 * value, and *ret_changed tells whether a write happened (may be NULL).
 */
int berth_sysctl_set(struct berth_netns *ns, const char *key, const char *value, char *ret_old,
		     size_t old_size, bool *ret_changed);
int berth_sysctl_get(struct berth_netns *ns, const char *key, char *buf, size_t size);

/*
 * Several sysctls of one namespace, entering it once for all of them (the
 * files are opened inside, read and written from here). In order; each op
 * gets its result, its old value, and whether it was written. Processing
 * stops at the first failure, except where `tolerant` and the key is
 * missing (-ENOENT) or /proc/sys is read-only (-EROFS); that failure is
 * returned, later ops are untouched (result 0, changed false).
 */
#define BERTH_SYSCTL_MAX_OPS 32
struct berth_sysctl_op {
	const char *key;   /* "net/ipv4/conf/eth0/rp_filter" */
	const char *value;
	bool tolerant;
	int result;        /* out */
	bool changed;      /* out */
	char old[32];      /* out */
};
int berth_sysctl_set_many(struct berth_netns *ns, struct berth_sysctl_op *ops, size_t n);

/* --- links ------------------------------------------------------------------ */

struct berth_link_info {
	int ifindex;
	char name[16];
	char kind[16];  /* "bridge", "veth", "macvlan", ... ("" for a plain device) */
	unsigned mtu;
	uint8_t mac[6];
	int master;     /* ifindex of the master, 0 if none */
	unsigned flags; /* IFF_* */
	bool vlan_filtering; /* bridges: IFLA_BR_VLAN_FILTERING is on */
};

/* -ENODEV when no such link. */
int berth_link_get(struct berth_netns *ns, const char *name, struct berth_link_info *ret);
int berth_link_get_by_index(struct berth_netns *ns, int ifindex, struct berth_link_info *ret);
int berth_link_set_up(struct berth_netns *ns, int ifindex);
int berth_link_set_down(struct berth_netns *ns, int ifindex);
int berth_link_set_mtu(struct berth_netns *ns, int ifindex, unsigned mtu);
int berth_link_rename(struct berth_netns *ns, int ifindex, const char *name);
/*
 * Link attributes beyond up/down and MTU (set_flags in link.c, the rest in
 * link-attr.c). set_flags sends
 * ifi_flags = flags & change, ifi_change = change (IFF_PROMISC, IFF_ALLMULTI,
 * IFF_UP, ...). get_attrs reads what berth_link_info lacks.
 */
int berth_link_set_flags(struct berth_netns *ns, int ifindex, unsigned flags, unsigned change);
int berth_link_set_mac(struct berth_netns *ns, int ifindex, const uint8_t mac[6]);
int berth_link_set_txqlen(struct berth_netns *ns, int ifindex, uint32_t txqlen);
struct berth_link_attrs {
	uint32_t txqlen;
	uint32_t promiscuity; /* IFLA_PROMISCUITY: > 0 while promiscuous (a count) */
	unsigned flags;       /* IFF_* as the kernel reports them */
};
int berth_link_get_attrs(struct berth_netns *ns, int ifindex, struct berth_link_attrs *ret);
/* Delete a link; -ENODEV when it is already gone. Errors are the kernel's errno, unchanged. */
int berth_link_delete(struct berth_netns *ns, int ifindex);
/*
 * Per-interface IPv4 settings (the net/ipv4/conf/<ifname>/ sysctls) over
 * netlink: one RTM_SETLINK with IFLA_AF_SPEC -> AF_INET -> IFLA_INET_CONF,
 * so no namespace switch and no /proc/sys file. key is an IPV4_DEVCONF_*
 * value of <linux/ip.h> (IPV4_DEVCONF_FORWARDING, _RP_FILTER, _ARP_NOTIFY,
 * _ROUTE_LOCALNET, ...), which is the attribute type; the kernel stores it at
 * index key - 1. At most BERTH_INET_CONF_MAX entries; -EINVAL for a key
 * outside 1..IPV4_DEVCONF_MAX. Unlike a write to /proc/sys, it skips the side
 * effects the sysctl handler adds (netconf notifications, the route cache
 * flush when route_localnet or accept_local is turned off, LRO disabled when
 * forwarding is turned on): meant for links berth has just created.
 */
struct berth_inet_conf_kv {
	int key;        /* IPV4_DEVCONF_* */
	uint32_t value;
};
#define BERTH_INET_CONF_MAX 64
int berth_link_set_inet_conf(struct berth_netns *ns, int ifindex,
			     const struct berth_inet_conf_kv *kv, size_t n);
/* The message berth_link_set_inet_conf sends (unit tests). */
int berth_link_build_inet_conf(int ifindex, const struct berth_inet_conf_kv *kv, size_t n,
			       void **ret_buf, size_t *ret_len);
/* The same by name (RTM_DELLINK with IFLA_IFNAME): -ENODEV when there is no such link. */
int berth_link_delete_by_name(struct berth_netns *ns, const char *name);
/*
 * Like berth_link_count_ports(), but stops counting at `max` (returns at most
 * max): the dump runs on a private socket that is closed once the answer is
 * known, so asking "is there more than our own port?" costs the same with 2
 * or 2000 ports on the bridge. Retried when the link table changed meanwhile.
 */
int berth_link_count_ports_max(struct berth_netns *ns, int master_ifindex, int max);
/*
 * Delete several links as one batch of the kernel (the cost of one RCU grace
 * period instead of one per link): the links are put into a link group whose
 * number no other link of ns uses (checked with a dump), and the group is
 * deleted with one RTM_DELLINK. Links already gone are skipped. Falls back to
 * deleting one by one if any step fails.
 */
int berth_link_delete_many(struct berth_netns *ns, const int *ifindexes, size_t n);
/*
 * Number of links whose master is `master_ifindex` (a filtered dump, so the
 * cost does not depend on unrelated links where the kernel supports it).
 */
int berth_link_count_ports(struct berth_netns *ns, int master_ifindex);

/*
 * Creating links (berth_bridge_create, berth_veth_create, berth_*vlan_create,
 * berth_vrf_create): one RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL|NLM_F_ECHO.
 *
 * - An error from the kernel's answer to it (-EEXIST, -ENODEV for a missing
 *   parent, -EOPNOTSUPP for a missing kind, ...) means nothing was created.
 * - Success means the link exists, and the ifindexes asked for are the ones
 *   the kernel gave it. They come from the kernel's echo of the new link
 *   where the kernel sends one (>= 6.2, link created in the namespace of the
 *   request), else from a lookup by name in the link's namespace
 *   (lib/netlink/link-create.c has the details).
 * - If that lookup fails, the link is deleted again by name and the lookup's
 *   error is returned: nothing is left behind. Only when that deletion fails
 *   as well the function returns -ENOTRECOVERABLE: the link then exists
 *   under the name it was created with (spec->name in spec->target_ns, or in
 *   ns when there is none; for a veth, the host end's name in ns, which is
 *   then written to ret_host_name as well), and the caller records it by that
 *   name for its undo log (berth_link_delete_by_name).
 * - Without an ifindex asked for (ret_ifindex NULL) no lookup is made.
 */

struct berth_bridge_spec {
	const char *name;
	unsigned mtu;         /* 0 = kernel default */
	bool vlan_filtering;  /* IFLA_BR_VLAN_FILTERING=1 */
	int vrf_ifindex;      /* enslave to this VRF, 0 = none */
	bool down;            /* leave it down (sysctls such as accept_dad first, then up) */
};
/* Create (and unless spec->down, set up) a bridge; -EEXIST when the name is taken. */
int berth_bridge_create(struct berth_netns *ns, const struct berth_bridge_spec *spec,
			int *ret_ifindex);
/*
 * Make sure bridge spec->name exists in ns, without a check-then-create race:
 * create it (as berth_bridge_create) or, when the name is taken (-EEXIST,
 * e.g. another process created it at the same moment), adopt the existing
 * link if it is a bridge. The adopted bridge is left as it is (spec's mtu,
 * down, vlan_filtering, vrf are applied only to a bridge created here).
 * *ret_info (may be NULL) describes the bridge, *ret_created (may be NULL)
 * says whether this call created it. -EEXIST when the name belongs to a
 * link that is not a bridge: then *ret_info describes that link (its kind
 * in ret_info->kind, "" for a plain device). -EAGAIN if the name kept
 * appearing and vanishing (8 rounds). Otherwise as berth_bridge_create
 * ("Creating links" above).
 */
int berth_bridge_ensure(struct berth_netns *ns, const struct berth_bridge_spec *spec,
			struct berth_link_info *ret_info, bool *ret_created);
/* Set vlan_filtering=1 on an existing bridge (and back to 0: the undo). */
int berth_bridge_enable_vlan_filtering(struct berth_netns *ns, int ifindex);
int berth_bridge_disable_vlan_filtering(struct berth_netns *ns, int ifindex);
/* Bridge port VLAN: PVID + untagged `vid` on port ifindex (self=false). */
int berth_bridge_port_set_vlan(struct berth_netns *ns, int ifindex, uint16_t vid);
/* VLANs 1..4094, min..max inclusive (min == max: one VLAN). */
struct berth_vlan_range {
	uint16_t min, max;
};
#define BERTH_VLAN_MAX_RANGES 2048
/*
 * Add (tagged: neither PVID nor untagged) or delete the VLANs of ranges[] on
 * bridge port ifindex, in one request. -EINVAL for a bad range or count.
 */
int berth_bridge_port_vlans(struct berth_netns *ns, int ifindex, bool add,
			    const struct berth_vlan_range *ranges, size_t n);

struct berth_veth_spec {
	const char *host_name;       /* NULL = generate "veth" + 8 random hex */
	const char *peer_name;       /* container-side name */
	struct berth_netns *peer_ns; /* where the peer is created */
	unsigned mtu;                /* 0 = default; applied to both ends */
	const uint8_t *peer_mac;     /* NULL = kernel random */
	int master_ifindex;          /* bridge to enslave the host end to, 0 = none */
};
/*
 * One RTM_NEWLINK request: host end (enslaved, up) in ns, the peer created
 * directly in peer_ns. -EEXIST when either name is taken; which one is
 * reported in *ret_conflict_peer (true = the peer's name) when non-NULL.
 * ret_host_name receives the host end's name (>= 16 bytes), on success and
 * on -ENOTRECOVERABLE (see "Creating links" above). The peer's ifindex is the
 * echo's IFLA_LINK where there is an echo.
 */
int berth_veth_create(struct berth_netns *ns, const struct berth_veth_spec *spec,
		      int *ret_host_ifindex, char *ret_host_name, int *ret_peer_ifindex,
		      bool *ret_conflict_peer);

enum berth_macvlan_mode {
	BERTH_MACVLAN_BRIDGE,
	BERTH_MACVLAN_PRIVATE,
	BERTH_MACVLAN_VEPA,
	BERTH_MACVLAN_PASSTHRU,
	BERTH_MACVLAN_SOURCE,
	_BERTH_MACVLAN_MAX,
	_BERTH_MACVLAN_INVALID = -EINVAL,
};
enum berth_ipvlan_mode {
	BERTH_IPVLAN_L2,
	BERTH_IPVLAN_L3,
	BERTH_IPVLAN_L3S,
	_BERTH_IPVLAN_MAX,
	_BERTH_IPVLAN_INVALID = -EINVAL,
};
int berth_macvlan_mode_from_string(const char *s); /* "bridge", ... ; -EINVAL */
int berth_ipvlan_mode_from_string(const char *s);  /* "l2", "l3", "l3s"; -EINVAL */

struct berth_sublink_spec {
	const char *name;          /* name in target_ns */
	int parent_ifindex;        /* in ns */
	struct berth_netns *target_ns;
	unsigned mtu;              /* 0 = parent's */
	const uint8_t *mac;        /* macvlan only; NULL = random */
	int mode;                  /* enum berth_macvlan_mode / berth_ipvlan_mode */
	uint32_t bclim;            /* macvlan bclim: IFLA_MACVLAN_BC_CUTOFF (an s32, as raw bits) */
	bool has_bclim;
};
int berth_macvlan_create(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			 int *ret_ifindex);
int berth_ipvlan_create(struct berth_netns *ns, const struct berth_sublink_spec *spec,
			int *ret_ifindex);
/* 802.1q VLAN link `name` on parent with id vid, in ns. */
int berth_vlan_create(struct berth_netns *ns, const char *name, int parent_ifindex, uint16_t vid,
		      int *ret_ifindex);
/* A VRF device bound to routing table `table` (created down; see berth_link_set_up). */
int berth_vrf_create(struct berth_netns *ns, const char *name, uint32_t table, int *ret_ifindex);

/*
 * Build (without sending) the RTM_NEWLINK message the create functions above
 * send, for unit tests of netlink messages on kernels that lack the link kind.
 * The message is returned as a malloc'd copy of its bytes.
 */
int berth_link_build_macvlan(const struct berth_sublink_spec *spec, void **ret_buf, size_t *ret_len);
int berth_link_build_ipvlan(const struct berth_sublink_spec *spec, void **ret_buf, size_t *ret_len);
int berth_link_build_vlan(const char *name, int parent_ifindex, uint16_t vid, void **ret_buf,
			  size_t *ret_len);
int berth_link_build_vrf(const char *name, uint32_t table, void **ret_buf, size_t *ret_len);
int berth_link_build_bridge(const struct berth_bridge_spec *spec, void **ret_buf, size_t *ret_len);
/*
 * The RTM_NEWLINK berth_veth_create sends (a host_name of NULL gets a fresh
 * random name; peer_ns may be NULL here, then IFLA_NET_NS_FD is left out).
 */
int berth_link_build_veth(const struct berth_veth_spec *spec, void **ret_buf, size_t *ret_len);

/* --- addresses and routes --------------------------------------------------- */

/*
 * Add address (with its prefix length) to ifindex; IPv4 addresses get the
 * prefix's broadcast address (below /31). nodad: IFA_F_NODAD for v6. EEXIST
 * is an error.
 */
int berth_addr_add(struct berth_netns *ns, int ifindex, const struct berth_ipnet *addr, bool nodad);
int berth_addr_del(struct berth_netns *ns, int ifindex, const struct berth_ipnet *addr);
/*
 * Non-link-local addresses (neither link/host scope nor 169.254/16, fe80::/10)
 * of ifindex of the given family (AF_UNSPEC = v4 then v6); stores up to max
 * and returns how many it stored.
 */
int berth_addr_list(struct berth_netns *ns, int ifindex, int family, struct berth_ipnet *ret,
		    size_t max);

enum berth_route_type {
	BERTH_ROUTE_UNICAST,
	BERTH_ROUTE_BLACKHOLE,
	BERTH_ROUTE_UNREACHABLE,
	BERTH_ROUTE_PROHIBIT,
	_BERTH_ROUTE_TYPE_MAX,
	_BERTH_ROUTE_TYPE_INVALID = -EINVAL,
};
int berth_route_type_from_string(const char *s);

struct berth_route_spec {
	struct berth_ipnet dst;  /* prefixlen 0 = default route; family from dst.ip.family */
	struct berth_ip gateway; /* family 0 = no gateway */
	int oif;                 /* 0 = none */
	uint32_t metric;         /* 0 = none */
	bool has_metric;
	enum berth_route_type type;
	uint32_t table;          /* 0 = main */
};
/*
 * RTPROT_STATIC, NLM_F_CREATE without NLM_F_EXCL (as netavark): a second
 * default route via another gateway with the same metric is added beside the
 * first; only an identical route is -EEXIST.
 */
int berth_route_add(struct berth_netns *ns, const struct berth_route_spec *r);
int berth_route_del(struct berth_netns *ns, const struct berth_route_spec *r);
/*
 * The interface of the default route of `family` (AF_INET, then AF_INET6 when
 * AF_UNSPEC) in ns: -ENOENT when there is none.
 */
int berth_route_default_ifindex(struct berth_netns *ns, int family, int *ret_ifindex);

/* Build the RTM_NEWROUTE message berth_route_add would send (unit tests). */
int berth_route_build(const struct berth_route_spec *r, void **ret_buf, size_t *ret_len);

/* --- conntrack ---------------------------------------------------------------- */

/*
 * Delete the conntrack entries of ns (NULL = the current namespace) whose
 * ORIGINAL direction has L4 protocol `protocol` (IPPROTO_TCP, _UDP, _SCTP,
 * _UDPLITE or _DCCP) and a destination port in [port_first, port_last], for
 * one family (AF_INET or AF_INET6). Used after a port mapping changes, so
 * that a long-lived UDP flow to the host port is NATed anew. Over ctnetlink
 * (NETLINK_NETFILTER): a dump, filtered by the kernel where it can (>= 5.8,
 * CTA_FILTER) and always again here, then one delete per match by tuple and
 * id; entries that vanish meanwhile are skipped. Returns the number of
 * entries deleted, -EINVAL for bad arguments, or the kernel's -errno
 * (-ETIMEDOUT when it does not answer within 2 s).
 */
int berth_conntrack_flush_dport(struct berth_netns *ns, int family, uint8_t protocol,
				uint16_t port_first, uint16_t port_last);
