// SPDX-License-Identifier: Apache-2.0
/*
 * Conntrack flush by destination port, over ctnetlink with libmnl.
 *
 * Theory of operation. A UDP "connection" to a host port that was forwarded
 * (or not) before a port mapping changed keeps its conntrack entry, and with
 * it the old NAT decision, for as long as packets keep flowing. Deleting the
 * entries whose original direction goes to the port makes the next packet
 * create a new entry that passes the nat hooks again.
 *
 * 1. Dump (IPCTNL_MSG_CT_GET, NLM_F_DUMP) the table of one family. Kernels
 *    >= 5.8 filter the dump themselves when asked with CTA_FILTER (protocol,
 *    and the destination port when the range is one port); older kernels
 *    ignore the attribute. Every entry is checked again here in any case.
 * 2. Delete (IPCTNL_MSG_CT_DELETE) each match by its original tuple, its id
 *    (so a new entry that reuses the tuple is left alone) and its zone.
 *    ENOENT means the entry went away by itself: fine, not counted.
 *
 * Matches are collected during the dump and deleted afterwards, at most
 * CT_MAX_PER_ROUND per round; more rounds dump again (bounded). Every read
 * waits at most CT_POLL_MS.
 */
#include "netlink/nl-util.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#define CT_POLL_MS 2000
#define CT_BUFSIZE (64 * 1024)
#define CT_MAX_PER_ROUND 1024
#define CT_MAX_ROUNDS 16
/* Reads of one dump; a dump of a million entries needs far fewer. */
#define CT_MAX_READS (1 << 20)
#define CT_TUPLE_MAX 256

/*
 * Filter flags of CTA_FILTER_ORIG_FLAGS. The kernel defines them in
 * net/netfilter/nf_internals.h, not in the uapi headers; the values are ABI
 * since 5.8.
 */
#define CT_FILTER_F_PROTO_NUM (1u << 3)
#define CT_FILTER_F_PROTO_DST_PORT (1u << 5)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct mnl_socket *, mnl_socket_close)

struct ct_entry {
	uint8_t tuple[CT_TUPLE_MAX]; /* payload of CTA_TUPLE_ORIG */
	uint16_t tuple_len;
	bool has_id, has_zone;
	uint32_t id;   /* network order, as received */
	uint16_t zone; /* network order */
};

struct ct_dump {
	int family;
	uint8_t proto;
	uint16_t first, last;
	struct ct_entry *entries;
	size_t n;
	bool more; /* matches beyond CT_MAX_PER_ROUND: dump again */
};

static int ct_open_fn(void *userdata)
{
	struct mnl_socket **ret = userdata;
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	*ret = TAKE_PTR(nl);
	return 0;
}

static struct nlmsghdr *ct_msg(char *buf, uint16_t type, uint16_t flags, int family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Protocol number and destination port of a tuple (payload of CTA_TUPLE_*). */
static bool ct_tuple_proto_port(const struct nlattr *tuple, uint8_t *proto, uint16_t *dport)
{
	const struct nlattr *a, *p;
	bool have_proto = false, have_port = false;

	mnl_attr_for_each_nested(a, tuple) {
		if (mnl_attr_get_type(a) != CTA_TUPLE_PROTO)
			continue;
		mnl_attr_for_each_nested(p, a) {
			switch (mnl_attr_get_type(p)) {
			case CTA_PROTO_NUM:
				if (mnl_attr_validate(p, MNL_TYPE_U8) < 0)
					return false;
				*proto = mnl_attr_get_u8(p);
				have_proto = true;
				break;
			case CTA_PROTO_DST_PORT:
				if (mnl_attr_validate(p, MNL_TYPE_U16) < 0)
					return false;
				*dport = ntohs(mnl_attr_get_u16(p));
				have_port = true;
				break;
			default:
				break;
			}
		}
	}
	return have_proto && have_port;
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump *d = data;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *orig = NULL;
	struct ct_entry e = { 0 };
	uint8_t proto = 0;
	uint16_t dport = 0;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return MNL_CB_OK;
	if (nfg->nfgen_family != d->family)
		return MNL_CB_OK;

	mnl_attr_for_each(a, nlh, sizeof(*nfg)) {
		switch (mnl_attr_get_type(a)) {
		case CTA_TUPLE_ORIG:
			orig = a;
			break;
		case CTA_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
				e.id = mnl_attr_get_u32(a);
				e.has_id = true;
			}
			break;
		case CTA_ZONE:
			if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0) {
				e.zone = mnl_attr_get_u16(a);
				e.has_zone = true;
			}
			break;
		default:
			break;
		}
	}
	if (!orig || !ct_tuple_proto_port(orig, &proto, &dport))
		return MNL_CB_OK;
	if (proto != d->proto || dport < d->first || dport > d->last)
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(orig) > CT_TUPLE_MAX)
		return MNL_CB_OK;
	if (d->n == CT_MAX_PER_ROUND) {
		d->more = true;
		return MNL_CB_OK;
	}
	e.tuple_len = (uint16_t)mnl_attr_get_payload_len(orig);
	memcpy(e.tuple, mnl_attr_get_payload(orig), e.tuple_len);
	d->entries[d->n++] = e;
	return MNL_CB_OK;
}

/* Read answers to seq until NLMSG_DONE / the ACK / an error. Returns 0 or -errno. */
static int ct_read(struct mnl_socket *nl, char *buf, uint32_t seq, mnl_cb_t cb, void *data)
{
	int fd = mnl_socket_get_fd(nl);
	unsigned portid = mnl_socket_get_portid(nl);

	for (unsigned i = 0; i < CT_MAX_READS; i++) {
		int r = fd_wait_readable(fd, CT_POLL_MS);
		if (r < 0)
			return r;
		ssize_t len = recv(fd, buf, CT_BUFSIZE, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		r = mnl_cb_run(buf, (size_t)len, seq, portid, cb, data);
		if (r < 0)
			return errno > 0 ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
	return -E2BIG;
}

static int ct_dump(struct mnl_socket *nl, char *buf, uint32_t seq, bool filter, struct ct_dump *d)
{
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, d->family, seq);

	if (filter) {
		uint32_t flags = CT_FILTER_F_PROTO_NUM;
		struct nlattr *t, *p, *f;

		t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, d->proto);
		if (d->first == d->last) {
			mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(d->first));
			flags |= CT_FILTER_F_PROTO_DST_PORT;
		}
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, t);
		f = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, flags);
		mnl_attr_nest_end(nlh, f);
	}
	d->n = 0;
	d->more = false;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return ct_read(nl, buf, seq, ct_dump_cb, d);
}

static int ct_delete(struct mnl_socket *nl, char *buf, uint32_t seq, int family,
		     const struct ct_entry *e)
{
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, family, seq);

	mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, e->tuple_len, e->tuple);
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, e->zone);
	if (e->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, e->id);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* mnl_cb_run turns the ACK into MNL_CB_STOP and an error into -1/errno */
	return ct_read(nl, buf, seq, NULL, NULL);
}

static bool ct_proto_has_ports(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	default:
		return false;
	}
}

int berth_conntrack_flush_dport(struct berth_netns *ns, int family, uint8_t protocol,
				uint16_t port_first, uint16_t port_last)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ struct ct_entry *entries = NULL;
	struct ct_dump d = {
		.family = family, .proto = protocol, .first = port_first, .last = port_last
	};
	uint32_t seq = (uint32_t)time(NULL);
	bool filter = true;
	int deleted = 0, r;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if (!ct_proto_has_ports(protocol) || port_first == 0 || port_first > port_last)
		return -EINVAL;

	buf = malloc(CT_BUFSIZE);
	entries = calloc(CT_MAX_PER_ROUND, sizeof(*entries));
	if (!buf || !entries)
		return -ENOMEM;
	d.entries = entries;

	r = ns ? nlu_netns_run(ns, ct_open_fn, &nl) : ct_open_fn(&nl);
	if (r < 0)
		return r;

	for (unsigned round = 0; round < CT_MAX_ROUNDS; round++) {
		r = ct_dump(nl, buf, ++seq, filter, &d);
		if (r < 0 && filter && r != -ETIMEDOUT && r != -ENOMEM) {
			/* A kernel that knows CTA_FILTER but refuses this one: filter here only. */
			log_debug("conntrack: filtered dump refused (%s), dumping everything",
				  strerror(-r));
			filter = false;
			r = ct_dump(nl, buf, ++seq, filter, &d);
		}
		if (r < 0)
			return r;

		for (size_t i = 0; i < d.n; i++) {
			r = ct_delete(nl, buf, ++seq, family, &d.entries[i]);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				return r;
			deleted++;
		}
		log_debug("conntrack: family %d proto %u dport %u-%u: %zu matched, %d deleted so far",
			  family, protocol, port_first, port_last, d.n, deleted);
		if (!d.more)
			return deleted;
	}
	return deleted;
}
