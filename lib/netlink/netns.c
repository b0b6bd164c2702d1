// SPDX-License-Identifier: Apache-2.0
/*
 * Network namespace handles, the request/ACK transaction shared by link.c,
 * addr.c and route.c, and per-namespace sysctls.
 */
#include "nl-util.h"

#include "basic/fileio.h"
#include "basic/log.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CURRENT_NETNS_PATH "/proc/thread-self/ns/net"

/* --- libnl errors ------------------------------------------------------------- */

static const int nle_to_errno[] = {
	[NLE_FAILURE] = EIO,
	[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,
	[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,
	[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,
	[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,
	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
	[NLE_OBJ_NOTFOUND] = ENODEV,
	[NLE_NOATTR] = ENODATA,
	[NLE_MISSING_ATTR] = EINVAL,
	[NLE_AF_MISMATCH] = EINVAL,
	[NLE_SEQ_MISMATCH] = EIO,
	[NLE_MSG_OVERFLOW] = EOVERFLOW,
	[NLE_MSG_TRUNC] = EMSGSIZE,
	[NLE_NOADDR] = EADDRNOTAVAIL,
	[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
	[NLE_MSG_TOOSHORT] = EBADMSG,
	[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
	[NLE_OBJ_MISMATCH] = EINVAL,
	[NLE_NOCACHE] = EIO,
	[NLE_BUSY] = EBUSY,
	[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,
	[NLE_PERM] = EPERM,
	[NLE_PKTLOC_FILE] = EIO,
	[NLE_PARSE_ERR] = EINVAL,
	[NLE_NODEV] = ENODEV,
	[NLE_IMMUTABLE] = EROFS,
	[NLE_DUMP_INTR] = EAGAIN,
	[NLE_ATTRSIZE] = EINVAL,
};

int nlu_errno(int nle)
{
	if (nle == 0)
		return 0;
	if (nle < 0)
		nle = -nle;
	if ((size_t)nle < ARRAY_SIZE(nle_to_errno) && nle_to_errno[nle] != 0)
		return -nle_to_errno[nle];
	return -EIO;
}

/* --- message helpers ------------------------------------------------------------ */

int nlu_msg_new(int type, int flags, size_t hdrlen, struct nl_msg **ret, void **ret_hdr)
{
	_cleanup_nl_msg_ struct nl_msg *msg = nlmsg_alloc_simple(type, flags | NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	void *hdr = nlmsg_reserve(msg, hdrlen, NLMSG_ALIGNTO);
	if (!hdr)
		return -ENOMEM;
	memset(hdr, 0, hdrlen);
	if (ret_hdr)
		*ret_hdr = hdr;
	*ret = TAKE_PTR(msg);
	return 0;
}

int nlu_msg_copy(struct nl_msg *msg, void **ret_buf, size_t *ret_len)
{
	const struct nlmsghdr *h = nlmsg_hdr(msg);
	/* What nlu_transact() adds; seq and port stay 0 here. */
	uint16_t flags = h->nlmsg_flags | NLM_F_REQUEST | NLM_F_ACK;
	void *buf = malloc(h->nlmsg_len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, h, h->nlmsg_len);
	((struct nlmsghdr *)buf)->nlmsg_flags = flags;
	*ret_buf = buf;
	*ret_len = h->nlmsg_len;
	return 0;
}

int nlu_put(struct nl_msg *msg, int type, const void *data, size_t len)
{
	return nlu_errno(nla_put(msg, type, (int)len, data));
}

int nlu_put_u8(struct nl_msg *msg, int type, uint8_t v)
{
	return nlu_errno(nla_put_u8(msg, type, v));
}

int nlu_put_u16(struct nl_msg *msg, int type, uint16_t v)
{
	return nlu_errno(nla_put_u16(msg, type, v));
}

int nlu_put_u32(struct nl_msg *msg, int type, uint32_t v)
{
	return nlu_errno(nla_put_u32(msg, type, v));
}

int nlu_put_string(struct nl_msg *msg, int type, const char *s)
{
	return nlu_errno(nla_put_string(msg, type, s));
}

struct nlattr *nlu_nest_start(struct nl_msg *msg, int type)
{
	return nla_nest_start(msg, type);
}

int nlu_nest_end(struct nl_msg *msg, struct nlattr *nest)
{
	return nlu_errno(nla_nest_end(msg, nest));
}

static void parse_attr_stream(const struct nlattr *head, int len, struct nlattr **tb, int maxtype)
{
	const struct nlattr *a;
	int rem = len;

	memset(tb, 0, sizeof(struct nlattr *) * (size_t)(maxtype + 1));
	for (a = head; nla_ok(a, rem); a = nla_next(a, &rem)) {
		int type = nla_type(a);
		if (type > 0 && type <= maxtype)
			tb[type] = (struct nlattr *)a;
	}
}

void nlu_parse_attrs(const struct nlmsghdr *h, size_t hdrlen, struct nlattr **tb, int maxtype)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen);
	if (h->nlmsg_len < off) {
		memset(tb, 0, sizeof(struct nlattr *) * (size_t)(maxtype + 1));
		return;
	}
	parse_attr_stream((const struct nlattr *)((const uint8_t *)h + off), (int)(h->nlmsg_len - off),
			  tb, maxtype);
}

void nlu_parse_nested(const struct nlattr *nest, struct nlattr **tb, int maxtype)
{
	if (!nest) {
		memset(tb, 0, sizeof(struct nlattr *) * (size_t)(maxtype + 1));
		return;
	}
	parse_attr_stream(nla_data(nest), nla_len(nest), tb, maxtype);
}

bool nlu_attr_u32(const struct nlattr *a, uint32_t *ret)
{
	if (!a || nla_len(a) < (int)sizeof(uint32_t))
		return false;
	memcpy(ret, nla_data(a), sizeof(*ret));
	return true;
}

bool nlu_attr_str(const struct nlattr *a, char *buf, size_t size)
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

/* --- the transaction ------------------------------------------------------------ */

static void log_ext_ack(const struct nlmsghdr *h, const struct nlmsgerr *e)
{
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	size_t off = NLMSG_HDRLEN + sizeof(int);
	off += (h->nlmsg_flags & NLM_F_CAPPED) ? sizeof(struct nlmsghdr) : e->msg.nlmsg_len;
	off = NLMSG_ALIGN(off);
	if (off >= h->nlmsg_len)
		return;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	parse_attr_stream((const struct nlattr *)((const uint8_t *)h + off), (int)(h->nlmsg_len - off),
			  tb, NLMSGERR_ATTR_MAX);
	const struct nlattr *m = tb[NLMSGERR_ATTR_MSG];
	if (m && nla_len(m) > 0 && memchr(nla_data(m), '\0', (size_t)nla_len(m)))
		log_debug("netlink: kernel says: %s", (const char *)nla_data(m));
}

int nlu_transact(struct berth_netns *ns, struct nl_msg *msg, nlu_reply_cb cb, void *userdata)
{
	struct nlmsghdr *req = nlmsg_hdr(msg);
	int fd = nl_socket_get_fd(ns->sk);
	uint32_t port = nl_socket_get_local_port(ns->sk);
	uint32_t seq = ++ns->seq;
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	int cb_err = 0;
	ssize_t n;

	if (seq == 0)
		seq = ++ns->seq;
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = seq;
	req->nlmsg_pid = port;

	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	do
		n = sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != req->nlmsg_len)
		return -EIO;

	for (;;) {
		struct sockaddr_nl from = {};
		struct iovec iov = { .iov_base = ns->rbuf, .iov_len = NLU_RECV_BUF_SIZE };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};

		n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (mh.msg_namelen != sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue; /* not from the kernel */

		unsigned int rem = (unsigned int)n; /* unsigned: NLMSG_OK compares it with nlmsg_len */
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)ns->rbuf; NLMSG_OK(h, rem);
		     h = NLMSG_NEXT(h, rem)) {
			if (h->nlmsg_pid != port || h->nlmsg_seq != seq) {
				log_debug("netlink: ignoring stale message (seq %u, expected %u)",
					  h->nlmsg_seq, seq);
				continue;
			}
			switch (h->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return -EOVERFLOW;
			case NLMSG_ERROR: {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					return -EBADMSG;
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error != 0) {
					log_debug("netlink: request type %u: %s", req->nlmsg_type,
						  strerror(-e->error));
					log_ext_ack(h, e);
					/* Keep the kernel's errno exactly as sent. */
					return e->error < 0 ? e->error : -e->error;
				}
				return cb_err;
			}
			case NLMSG_DONE:
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int err;
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
					if (err < 0)
						return err;
				}
				return cb_err;
			default:
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					cb_err = cb_err < 0 ? cb_err : -EAGAIN;
				if (cb && cb_err >= 0) {
					int r = cb(h, userdata);
					if (r < 0)
						cb_err = r;
				}
				if (!dump && !(h->nlmsg_flags & NLM_F_MULTI))
					continue; /* the ACK follows */
			}
		}
		if (rem != 0)
			return -EBADMSG;
	}
}

/* --- namespaces ----------------------------------------------------------------- */

static int open_route_socket(struct nl_sock **ret, bool *ret_strict)
{
	_cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;

	/* Our own socket() so that it is close-on-exec from birth; libnl adopts it. */
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -errno;

	int one = 1;
	/* Best effort: older kernels lack them, nothing depends on them for correctness. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	bool strict = setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) == 0;

	int r = nl_socket_set_fd(sk, NETLINK_ROUTE, fd);
	if (r < 0)
		return nlu_errno(r);
	TAKE_FD(fd); /* owned by sk now */

	r = nl_socket_set_buffer_size(sk, 256 * 1024, 64 * 1024);
	if (r < 0)
		return nlu_errno(r);

	*ret_strict = strict;
	*ret = TAKE_PTR(sk);
	return 0;
}

static int current_netns_stat(struct stat *ret)
{
	if (stat(CURRENT_NETNS_PATH, ret) < 0)
		return -errno;
	return 0;
}

bool nlu_netns_is_current(const struct berth_netns *ns)
{
	struct stat st;
	if (current_netns_stat(&st) < 0)
		return false;
	return st.st_dev == ns->dev && st.st_ino == ns->ino;
}

int nlu_netns_run(const struct berth_netns *ns, int (*fn)(void *userdata), void *userdata)
{
	if (nlu_netns_is_current(ns))
		return fn(userdata);

	_cleanup_close_ int orig = open(CURRENT_NETNS_PATH, O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (setns(ns->fd, CLONE_NEWNET) < 0)
		return -errno;

	int r = fn(userdata);

	/*
	 * We hold a reference to the namespace we came from and had the
	 * privileges to leave it; failing to return means the process can no
	 * longer tell which network it configures. Stop rather than go on.
	 */
	if (setns(orig, CLONE_NEWNET) < 0)
		abort();
	return r;
}

struct open_sock_args {
	struct nl_sock *sk;
	bool strict;
};

static int open_sock_fn(void *userdata)
{
	struct open_sock_args *a = userdata;
	return open_route_socket(&a->sk, &a->strict);
}

static int raw_sock_fn(void *userdata)
{
	int *fd = userdata;
	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	return *fd < 0 ? -errno : 0;
}

int nlu_private_socket(const struct berth_netns *ns, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	int r = nlu_netns_run(ns, raw_sock_fn, &fd);
	if (r < 0)
		return r;
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void berth_netns_free(struct berth_netns *ns)
{
	if (!ns)
		return;
	if (ns->sk)
		nl_socket_free(ns->sk);
	if (ns->fd >= 0)
		close(ns->fd);
	free(ns->rbuf);
	free(ns);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_netns *, berth_netns_free)

/* Takes ownership of fd (closed on failure). */
static int netns_new(int fd, struct berth_netns **ret)
{
	_cleanup_(berth_netns_freep) struct berth_netns *ns = calloc(1, sizeof(*ns));
	if (!ns) {
		close(fd);
		return -ENOMEM;
	}
	ns->fd = fd;

	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;

	ns->rbuf = malloc(NLU_RECV_BUF_SIZE);
	if (!ns->rbuf)
		return -ENOMEM;

	uint32_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint32_t)getpid();
	ns->seq = seed & 0x7fffffffu;

	struct open_sock_args a = {};
	int r = nlu_netns_run(ns, open_sock_fn, &a);
	if (r < 0)
		return r;
	ns->sk = a.sk;
	ns->strict = a.strict;

	*ret = TAKE_PTR(ns);
	return 0;
}

int berth_netns_open_current(struct berth_netns **ret)
{
	int fd = open(CURRENT_NETNS_PATH, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return netns_new(fd, ret);
}

int berth_netns_open_path(const char *path, struct berth_netns **ret)
{
	if (!path || !*path)
		return -EINVAL;

	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != (unsigned long)NSFS_MAGIC)
		return -EINVAL;

	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type >= 0) {
		if (type != CLONE_NEWNET)
			return -EINVAL;
	} else if (errno != ENOTTY && errno != EINVAL) {
		return -errno;
	}
	/* Without NS_GET_NSTYPE (kernel < 4.11), setns(CLONE_NEWNET) still rejects other types. */

	return netns_new(TAKE_FD(fd), ret);
}

int berth_netns_fd(const struct berth_netns *ns)
{
	return ns->fd;
}

struct nl_sock *berth_netns_sock(struct berth_netns *ns)
{
	return ns->sk;
}

bool berth_netns_same(const struct berth_netns *a, const struct berth_netns *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

/* --- sysctls --------------------------------------------------------------------- */

#define SYSCTL_MAX_VALUE 4096

static int sysctl_path(const char *key, char *buf, size_t size)
{
	if (!key || !*key || key[0] == '/' || strstr(key, ".."))
		return -EINVAL;
	int n = snprintf(buf, size, "/proc/sys/%s", key);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

struct sysctl_open_args {
	const char *path;
	bool want_write;
	int rfd, wfd, werr;
};

/*
 * /proc/sys/net resolves to the network namespace of the task that opens the
 * file; the open file keeps referring to it afterwards, so only the opens
 * happen inside the namespace.
 */
static int sysctl_open_fn(void *userdata)
{
	struct sysctl_open_args *a = userdata;
	a->rfd = open(a->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (a->rfd < 0)
		return -errno;
	if (a->want_write) {
		a->wfd = open(a->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (a->wfd < 0)
			a->werr = errno;
	}
	return 0;
}

/* The whole value (< SYSCTL_MAX_VALUE bytes), trailing newlines removed. */
static int read_value(int fd, char **ret, size_t *ret_len)
{
	char *buf;
	size_t len;
	int r = read_fd_limited(fd, SYSCTL_MAX_VALUE - 2, &buf, &len);
	if (r < 0)
		return r;
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int sysctl_open(struct berth_netns *ns, const char *key, bool want_write, int *ret_rfd,
		       int *ret_wfd, int *ret_werr)
{
	char path[512];
	int r = sysctl_path(key, path, sizeof(path));
	if (r < 0)
		return r;
	struct sysctl_open_args a = { .path = path, .want_write = want_write, .rfd = -1, .wfd = -1 };
	r = nlu_netns_run(ns, sysctl_open_fn, &a);
	if (r < 0) {
		if (a.rfd >= 0)
			close(a.rfd);
		if (a.wfd >= 0)
			close(a.wfd);
		return r;
	}
	*ret_rfd = a.rfd;
	*ret_wfd = a.wfd;
	*ret_werr = a.werr;
	return 0;
}

int berth_sysctl_get(struct berth_netns *ns, const char *key, char *buf, size_t size)
{
	_cleanup_close_ int rfd = -1, wfd = -1;
	int werr, r;
	_cleanup_free_ char *val = NULL;
	size_t len;

	r = sysctl_open(ns, key, false, &rfd, &wfd, &werr);
	if (r < 0)
		return r;
	r = read_value(rfd, &val, &len);
	if (r < 0)
		return r;
	if (len + 1 > size)
		return -ENOBUFS;
	memcpy(buf, val, len + 1);
	return 0;
}

int berth_sysctl_set(struct berth_netns *ns, const char *key, const char *value, char *ret_old,
		     size_t old_size, bool *ret_changed)
{
	_cleanup_close_ int rfd = -1, wfd = -1;
	int werr = 0, r;
	_cleanup_free_ char *cur = NULL;
	size_t len, vlen;

	if (!value)
		return -EINVAL;
	vlen = strlen(value);
	while (vlen > 0 && value[vlen - 1] == '\n')
		vlen--;

	r = sysctl_open(ns, key, true, &rfd, &wfd, &werr);
	if (r < 0)
		return r;
	r = read_value(rfd, &cur, &len);
	if (r < 0)
		return r;

	bool differs = len != vlen || memcmp(cur, value, vlen) != 0;
	if (differs) {
		if (wfd < 0)
			return -(werr ?: EIO);
		ssize_t k;
		do
			k = write(wfd, value, vlen);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return -errno;
		if ((size_t)k != vlen)
			return -EIO;
		log_debug("sysctl %s: '%s' -> '%.*s'", key, cur, (int)vlen, value);
	}

	if (ret_old && old_size > 0)
		snprintf(ret_old, old_size, "%s", cur);
	if (ret_changed)
		*ret_changed = differs;
	return 0;
}

/* ---- several sysctls of one namespace: one enter and leave for all ---- */

struct sysctl_many_args {
	struct berth_sysctl_op *ops;
	size_t n;
	int *rfd, *wfd, *werr;
};

static int sysctl_many_open_fn(void *userdata)
{
	struct sysctl_many_args *a = userdata;
	for (size_t i = 0; i < a->n; i++) {
		char path[512];
		a->ops[i].result = sysctl_path(a->ops[i].key, path, sizeof(path));
		if (a->ops[i].result < 0)
			continue;
		a->rfd[i] = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (a->rfd[i] < 0) {
			a->ops[i].result = -errno;
			continue;
		}
		a->wfd[i] = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (a->wfd[i] < 0)
			a->werr[i] = errno;
	}
	return 0;
}

int berth_sysctl_set_many(struct berth_netns *ns, struct berth_sysctl_op *ops, size_t n)
{
	if (n == 0)
		return 0;
	if (n > BERTH_SYSCTL_MAX_OPS)
		return -E2BIG;
	int rfd[BERTH_SYSCTL_MAX_OPS], wfd[BERTH_SYSCTL_MAX_OPS], werr[BERTH_SYSCTL_MAX_OPS];
	struct sysctl_many_args a = { .ops = ops, .n = n, .rfd = rfd, .wfd = wfd, .werr = werr };
	int r;

	for (size_t i = 0; i < n; i++) {
		rfd[i] = wfd[i] = -1;
		werr[i] = 0;
		ops[i].changed = false;
		ops[i].old[0] = '\0';
		ops[i].result = 0;
	}
	r = nlu_netns_run(ns, sysctl_many_open_fn, &a);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct berth_sysctl_op *op = &ops[i];
		_cleanup_free_ char *cur = NULL;
		size_t len = 0, vlen = op->value ? strlen(op->value) : 0;

		if (op->result >= 0 && !op->value)
			op->result = -EINVAL;
		if (op->result >= 0)
			op->result = read_value(rfd[i], &cur, &len);
		if (op->result >= 0 && len >= sizeof(op->old))
			op->result = -EFBIG; /* an old value we could not restore: do not touch it */
		if (op->result >= 0) {
			memcpy(op->old, cur, len + 1);
			while (vlen > 0 && op->value[vlen - 1] == '\n')
				vlen--;
			if (len != vlen || memcmp(cur, op->value, vlen) != 0) {
				ssize_t k = -1;
				if (wfd[i] < 0) {
					op->result = -(werr[i] ?: EIO);
				} else {
					do
						k = write(wfd[i], op->value, vlen);
					while (k < 0 && errno == EINTR);
					op->result = k < 0 ? -errno : (size_t)k != vlen ? -EIO : 0;
				}
				op->changed = op->result >= 0;
			}
		}
		if (op->result < 0 &&
		    !(op->tolerant && (op->result == -ENOENT || op->result == -EROFS)))
			r = op->result; /* stop here: later ones are left untouched */
	}
	for (size_t i = 0; i < n; i++) {
		if (rfd[i] >= 0)
			close(rfd[i]);
		if (wfd[i] >= 0)
			close(wfd[i]);
	}
	return r;
}
