// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: the epoll loop, listeners, TCP connections, forwarding records
 * and reloads. See server.h for the theory of operation.
 */
#include "server.h"

#include "resolve.h"
#include "upstream.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/time-util.h"
#include "dnsconf/aardvark.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESOLV_CONF_MAX (1u << 20)
#define EPOLL_BATCH 64
#define UDP_BURST 64      /* datagrams read per wakeup per socket, for fairness */
#define ACCEPT_BURST 64
#define RBUF_INITIAL 514  /* 2 + 512: most queries fit without growing */
#define FAIL_LOG_INTERVAL_MS 10000
/*
 * resolv.conf watches. The directory: a file replaced by rename (MOVED_TO),
 * created, or written through its name there (CLOSE_WRITE). The file itself
 * (re-added after every change, so it follows a replacement and a symlink's
 * target): writes through any other name, e.g. the source of a bind mount
 * (MODIFY, CLOSE_WRITE), and its own removal or replacement (ATTRIB for the
 * link count, DELETE_SELF, MOVE_SELF).
 */
#define RESOLV_DIR_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
#define RESOLV_FILE_MASK \
	(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
/* A MODIFY without CLOSE_WRITE (a writer keeping the file open) is read once it is quiet. */
#define RESOLV_SETTLE_MS 100

/* Top byte of epoll_data.u64: what the low bits name. */
enum watch_kind {
	W_UDP = 1,    /* low 32 bits: listener id */
	W_TCP_LISTEN, /* low 32 bits: listener id */
	W_CONN,       /* bits 32..55: generation, low 32: slot */
	W_SIGNAL,
	W_INOTIFY,
};

static uint64_t tag(enum watch_kind k, uint32_t hi24, uint32_t lo)
{
	return ((uint64_t)k << 56) | ((uint64_t)(hi24 & 0xffffffu) << 32) | lo;
}

struct listener {
	uint32_t id;
	struct berth_ip ip;
	char *network;
	int udp_fd;
	int tcp_fd;
	bool keep; /* reload mark */
};

struct conn {
	bool used;
	bool paused; /* not reading: output backlog or too many forwards */
	bool eof;    /* the client closed its side */
	bool resume; /* needs a pass of conn_work() from the loop */
	uint32_t gen;
	int fd;
	uint32_t listener_id;
	struct berth_ip peer;
	uint32_t events; /* registered epoll events */
	uint64_t deadline;
	int prev, next; /* deadline list (slot indices, -1 = none) */
	unsigned pending;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *wbuf;
	size_t woff, wlen, wcap;
};

struct fwd {
	bool used;
	bool tcp;
	uint16_t client_id;
	uint32_t listener_id; /* UDP */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint32_t slot, gen; /* TCP */
	int next_free;
};

struct server {
	struct server_config cfg;
	int epfd;
	int sigfd;
	int inofd;
	int wd_dir, wd_file; /* inotify watches on resolv.conf's directory and on the file */
	uint64_t resolv_settle_at; /* reload then (after an IN_MODIFY); 0 = none */
	char *resolv_dir;
	char *resolv_name;
	struct dns_tables *tables;
	struct upstream_pool *up;

	struct listener *ls;
	size_t n_ls;
	uint32_t next_listener_id;

	struct conn conns[SERVER_MAX_CONNS];
	size_t n_conns;
	int free_conn_hint;
	int dl_head, dl_tail;
	size_t n_resume;

	struct fwd fwds[SERVER_MAX_FORWARDS];
	int fwd_free;

	bool reload_pending;
	bool stop;
	int exit_code;
	uint64_t last_fail_log;
	unsigned fail_suppressed;
};

/* One static buffer for incoming UDP queries and one for every response. */
static uint8_t resp[DNS_MAX_UDP];

/* #syscalls clock_gettime (normally served by the vDSO) */
static uint64_t now_ms(void)
{
	return (uint64_t)berth_now_ms();
}

static void ip_from_sa(const struct sockaddr_storage *sa, struct berth_ip *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (sa->ss_family == AF_INET) {
		ret->family = AF_INET;
		ret->v4 = ((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->ss_family == AF_INET6) {
		ret->family = AF_INET6;
		ret->v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
}

static struct listener *listener_by_id(struct server *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_ls; i++)
		if (s->ls[i].id == id)
			return &s->ls[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* responses built here: SERVFAIL when forwarding is impossible */

/*
 * Header + first question of `q` with QR, RA and rcode SERVFAIL. Returns the
 * length, 0 when even the header is missing.
 */
static size_t build_servfail(const uint8_t *q, size_t len, uint8_t *out)
{
	size_t pos = 12;
	uint16_t qd;

	if (len < 12)
		return 0;
	memcpy(out, q, 12);
	qd = (uint16_t)(q[4] << 8 | q[5]);
	if (qd >= 1) {
		bool ok = false;
		/* Labels only (no compression pointers in a question), bounded by len. */
		while (pos < len) {
			uint8_t l = q[pos];
			if (l == 0) {
				ok = len - pos - 1 >= 4;
				pos += 1 + 4;
				break;
			}
			if (l > 63 || (size_t)l >= len - pos - 1)
				break;
			pos += 1 + (size_t)l;
		}
		if (ok && pos - 12 <= 255 + 4) {
			memcpy(out + 12, q + 12, pos - 12);
		} else {
			pos = 12;
			qd = 0;
		}
	} else {
		pos = 12;
	}
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD; AA/TC cleared */
	out[3] = 0x80 | 2;                        /* RA, SERVFAIL */
	out[4] = 0;
	out[5] = qd ? 1 : 0;
	memset(out + 6, 0, 6);
	return pos;
}

/* ------------------------------------------------------------------------ */
/* listeners */

static int sa_of(const struct berth_ip *ip, uint16_t port, struct sockaddr_storage *sa,
		 socklen_t *salen)
{
	memset(sa, 0, sizeof(*sa));
	if (ip->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr = ip->v4;
		*salen = sizeof(*in);
		return 0;
	}
	if (ip->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = ip->v6;
		*salen = sizeof(*in6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int bind_one(const struct berth_ip *ip, uint16_t port, int type)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int one = 1, r;
	_cleanup_close_ int fd = -1;

	r = sa_of(ip, port, &sa, &salen);
	if (r < 0)
		return r;
	/* #syscalls socket setsockopt bind listen (listeners added by a reload) */
	fd = socket(ip->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ip->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -errno;
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		return -errno;
	if (type == SOCK_STREAM && listen(fd, 128) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static void fmt_hostport(const struct berth_ip *ip, uint16_t port, char *buf, size_t size)
{
	char a[BERTH_IP_STRLEN];
	berth_ip_fmt(ip, a);
	if (ip->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
}

static void listener_close(struct server *s, struct listener *l)
{
	if (l->udp_fd >= 0) {
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->udp_fd, NULL);
		close(l->udp_fd);
	}
	if (l->tcp_fd >= 0) {
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->tcp_fd, NULL);
		close(l->tcp_fd);
	}
	free(l->network);
	l->udp_fd = l->tcp_fd = -1;
	l->network = NULL;
}

/* Bind UDP + TCP on one address and register both; logs failures. */
static int listener_add(struct server *s, const struct dns_listener *dl)
{
	struct listener l = { .ip = dl->ip, .udp_fd = -1, .tcp_fd = -1, .keep = true };
	char where[BERTH_IP_STRLEN + 10];
	struct epoll_event ev = { .events = EPOLLIN };
	struct listener *n;

	fmt_hostport(&dl->ip, s->cfg.port, where, sizeof(where));
	l.id = ++s->next_listener_id;
	l.network = strdup(dl->network ? dl->network : "");
	if (!l.network)
		return log_error("out of memory"), -ENOMEM;
	l.udp_fd = bind_one(&dl->ip, s->cfg.port, SOCK_DGRAM);
	if (l.udp_fd < 0) {
		int r = l.udp_fd;
		log_error("failed to bind udp listener on %s: %s (os error %d)", where, strerror(-r),
			  -r);
		listener_close(s, &l);
		return r;
	}
	l.tcp_fd = bind_one(&dl->ip, s->cfg.port, SOCK_STREAM);
	if (l.tcp_fd < 0) {
		int r = l.tcp_fd;
		log_error("failed to bind tcp listener on %s: %s (os error %d)", where, strerror(-r),
			  -r);
		listener_close(s, &l);
		return r;
	}
	ev.data.u64 = tag(W_UDP, 0, l.id);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, l.udp_fd, &ev) < 0)
		goto fail;
	ev.data.u64 = tag(W_TCP_LISTEN, 0, l.id);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, l.tcp_fd, &ev) < 0)
		goto fail;
	n = realloc(s->ls, (s->n_ls + 1) * sizeof(*s->ls));
	if (!n) {
		errno = ENOMEM;
		goto fail;
	}
	s->ls = n;
	s->ls[s->n_ls++] = l;
	log_info("listening on %s (udp, tcp) for network '%s'", where, l.network);
	return 0;
fail:;
	int r = -errno;
	log_error("registering listener on %s: %m", where);
	listener_close(s, &l);
	return r;
}

/* ------------------------------------------------------------------------ */
/* TCP connections */

static void dl_unlink(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	if (c->prev >= 0)
		s->conns[c->prev].next = c->next;
	else if (s->dl_head == i)
		s->dl_head = c->next;
	if (c->next >= 0)
		s->conns[c->next].prev = c->prev;
	else if (s->dl_tail == i)
		s->dl_tail = c->prev;
	c->prev = c->next = -1;
}

static void dl_append(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	c->prev = s->dl_tail;
	c->next = -1;
	if (s->dl_tail >= 0)
		s->conns[s->dl_tail].next = i;
	else
		s->dl_head = i;
	s->dl_tail = i;
}

/* Push the deadline out: the list stays sorted because the delay is constant. */
static void conn_touch(struct server *s, int i)
{
	s->conns[i].deadline = now_ms() + SERVER_TCP_TIMEOUT_MS;
	dl_unlink(s, i);
	dl_append(s, i);
}

static void conn_close(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	if (!c->used)
		return;
	dl_unlink(s, i);
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	if (c->resume)
		s->n_resume--;
	uint32_t gen = c->gen + 1;
	memset(c, 0, sizeof(*c));
	c->gen = gen; /* late forward answers for the old connection no longer match */
	c->fd = -1;
	c->prev = c->next = -1;
	s->n_conns--;
}

static void conn_update_events(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	uint32_t ev = 0;
	struct epoll_event e;

	if (!c->paused && !c->eof)
		ev |= EPOLLIN;
	if (c->wlen > c->woff)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	e.events = ev;
	e.data.u64 = tag(W_CONN, c->gen, (uint32_t)i);
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		log_debug("epoll_ctl(MOD) on tcp connection: %m");
	c->events = ev;
}

/* Write what is buffered. Returns -1 when the connection was closed. */
static int conn_flush(struct server *s, int i)
{
	struct conn *c = &s->conns[i];

	while (c->wlen > c->woff) {
		/* #syscalls sendto (send on a TCP connection) */
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(s, i);
			return -1;
		}
		c->woff += (size_t)n;
		conn_touch(s, i);
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	return 0;
}

/* Append one length-prefixed message; dropped (logged) when the buffer is full. */
static void conn_queue(struct server *s, int i, const uint8_t *msg, size_t len)
{
	struct conn *c = &s->conns[i];
	size_t need;

	if (c->woff > 0) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	need = c->wlen + 2 + len;
	if (need > SERVER_WBUF_MAX) {
		log_debug("tcp client does not read its answers, dropping one");
		return;
	}
	if (need > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 1024;
		while (cap < need)
			cap *= 2;
		if (cap > SERVER_WBUF_MAX)
			cap = SERVER_WBUF_MAX;
		uint8_t *nb = realloc(c->wbuf, cap);
		if (!nb) {
			log_warn("out of memory for a tcp answer, dropping it");
			return;
		}
		c->wbuf = nb;
		c->wcap = cap;
	}
	c->wbuf[c->wlen] = (uint8_t)(len >> 8);
	c->wbuf[c->wlen + 1] = (uint8_t)len;
	memcpy(c->wbuf + c->wlen + 2, msg, len);
	c->wlen += 2 + len;
}

static void conn_mark_resume(struct server *s, int i)
{
	if (!s->conns[i].resume) {
		s->conns[i].resume = true;
		s->n_resume++;
	}
}

/* ------------------------------------------------------------------------ */
/* forwarding */

static void log_forward_failure(struct server *s, int status)
{
	uint64_t now = now_ms();

	if (s->last_fail_log && now - s->last_fail_log < FAIL_LOG_INTERVAL_MS) {
		s->fail_suppressed++;
		return;
	}
	if (s->fail_suppressed)
		log_info("dns request failed: %s (%u similar messages suppressed)",
			 ares_strerror(status), s->fail_suppressed);
	else
		log_info("dns request failed: %s", ares_strerror(status));
	s->last_fail_log = now;
	s->fail_suppressed = 0;
}

static struct server *cb_server; /* the one server: forwarding callbacks find it here */

static void fwd_release(struct server *s, struct fwd *f)
{
	f->used = false;
	f->next_free = s->fwd_free;
	s->fwd_free = (int)(f - s->fwds);
}

static void forward_done(void *userdata, int status, const uint8_t *answer, size_t len)
{
	struct server *s = cb_server;
	struct fwd *f = userdata;

	if (f->tcp) {
		struct conn *c = &s->conns[f->slot];
		bool alive = c->used && c->gen == f->gen;
		if (alive && c->pending > 0)
			c->pending--;
		if (alive && answer) {
			memcpy(resp, answer, len);
			resp[0] = (uint8_t)(f->client_id >> 8);
			resp[1] = (uint8_t)f->client_id;
			conn_queue(s, (int)f->slot, resp, len);
		}
		if (alive)
			conn_mark_resume(s, (int)f->slot); /* flushed from the loop */
	} else if (answer) {
		struct listener *l = listener_by_id(s, f->listener_id);
		if (l && l->udp_fd >= 0) {
			memcpy(resp, answer, len);
			resp[0] = (uint8_t)(f->client_id >> 8);
			resp[1] = (uint8_t)f->client_id;
			(void)sendto(l->udp_fd, resp, len, MSG_DONTWAIT, (struct sockaddr *)&f->sa,
				     f->salen);
		}
	}
	if (!answer && status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
		log_forward_failure(s, status);
	fwd_release(s, f);
}

/*
 * Forward a query. Returns true when the forward was accepted: its callback
 * runs exactly once, perhaps already before this returns. Otherwise a
 * SERVFAIL is in resp and *ret_len holds its length (0: nothing to send).
 */
static bool forward_start(struct server *s, struct fwd *tmpl, const struct dns_upstreams *ups,
			  const uint8_t *q, size_t len, size_t *ret_len)
{
	struct fwd *f;
	int r;

	*ret_len = 0;
	if (s->fwd_free < 0) {
		log_forward_failure(s, ARES_ENOMEM);
		*ret_len = build_servfail(q, len, resp);
		return false;
	}
	f = &s->fwds[s->fwd_free];
	s->fwd_free = f->next_free;
	*f = *tmpl;
	f->used = true;
	f->client_id = (uint16_t)(q[0] << 8 | q[1]);
	r = upstream_forward(s->up, ups->servers, ups->scopes, ups->n, f->tcp, q, len, forward_done,
			     f);
	if (r < 0) {
		fwd_release(s, f);
		log_debug("cannot forward: %s", strerror(-r));
		*ret_len = build_servfail(q, len, resp);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* queries */

static enum dns_verdict answer(struct server *s, const struct berth_ip *src, const char *network,
			       bool tcp, const uint8_t *q, size_t len, size_t *ret_len,
			       struct dns_upstreams *ups)
{
	struct dns_query_ctx ctx = {
		.source = *src,
		.listener_network = network,
		.search_domain = s->cfg.search_domain,
		.no_proxy = s->cfg.no_proxy,
		.tcp = tcp,
	};
	*ret_len = 0;
	return dns_answer(s->tables, &ctx, q, len, resp, ret_len, ups);
}

/*
 * UDP queries are read and answered in batches: one recvmmsg() takes up to
 * UDP_BATCH queued queries and one sendmmsg() sends their answers, instead of
 * two syscalls per query. The buffers are static; only the bytes a datagram
 * really uses are ever touched.
 */
#define UDP_BATCH 16
static uint8_t udp_in_batch[UDP_BATCH][DNS_MAX_UDP];
static uint8_t udp_out_batch[UDP_BATCH][DNS_MAX_UDP];

static void udp_readable(struct server *s, struct listener *l)
{
	for (int round = 0; round < UDP_BURST / UDP_BATCH && l->udp_fd >= 0; round++) {
		struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
		struct iovec iin[UDP_BATCH], iout[UDP_BATCH];
		struct sockaddr_storage sa[UDP_BATCH];
		int n, n_out = 0;

		for (int i = 0; i < UDP_BATCH; i++) {
			iin[i] = (struct iovec){ .iov_base = udp_in_batch[i], .iov_len = DNS_MAX_UDP };
			in[i] = (struct mmsghdr){ .msg_hdr = {
							  .msg_name = &sa[i],
							  .msg_namelen = sizeof(sa[i]),
							  .msg_iov = &iin[i],
							  .msg_iovlen = 1,
						  } };
		}
		/* #syscalls recvmmsg */
		n = recvmmsg(l->udp_fd, in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_debug("recvmmsg: %m");
			return;
		}
		for (int i = 0; i < n; i++) {
			struct fwd tmpl = { .tcp = false, .listener_id = l->id };
			struct dns_upstreams ups = { 0 };
			struct berth_ip src;
			size_t olen = 0, len = in[i].msg_len;
			const uint8_t *q = udp_in_batch[i];

			if (in[i].msg_hdr.msg_namelen > sizeof(tmpl.sa))
				continue;
			memcpy(&tmpl.sa, &sa[i], in[i].msg_hdr.msg_namelen);
			tmpl.salen = in[i].msg_hdr.msg_namelen;
			ip_from_sa(&tmpl.sa, &src);
			switch (answer(s, &src, l->network, false, q, len, &olen, &ups)) {
			case DNS_REPLY:
				break;
			case DNS_FORWARD:
				(void)forward_start(s, &tmpl, &ups, q, len, &olen);
				break;
			case DNS_DROP:
				olen = 0;
				break;
			}
			if (olen == 0 || olen > DNS_MAX_UDP)
				continue;
			memcpy(udp_out_batch[n_out], resp, olen);
			iout[n_out] = (struct iovec){ .iov_base = udp_out_batch[n_out], .iov_len = olen };
			out[n_out] = (struct mmsghdr){ .msg_hdr = {
							       .msg_name = &sa[i],
							       .msg_namelen = tmpl.salen,
							       .msg_iov = &iout[n_out],
							       .msg_iovlen = 1,
						       } };
			n_out++;
		}
		/* UDP: a reply the socket cannot take now is lost, as with sendto(). */
		if (n_out > 0)
			/* #syscalls sendmmsg */
			(void)sendmmsg(l->udp_fd, out, (unsigned)n_out, MSG_DONTWAIT);
		if (n < UDP_BATCH)
			return; /* the socket is drained */
	}
}

static void tcp_accept(struct server *s, struct listener *l)
{
	for (int burst = 0; burst < ACCEPT_BURST; burst++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		struct epoll_event ev = { .events = EPOLLIN };
		int fd, i;

		/* #syscalls accept4 */
		fd = accept4(l->tcp_fd, (struct sockaddr *)&sa, &salen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_debug("accept: %m");
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of fds: make room by closing the oldest connection. */
				if (s->dl_head >= 0)
					conn_close(s, s->dl_head);
			}
			return;
		}
		if (s->n_conns >= SERVER_MAX_CONNS) {
			log_debug("too many tcp connections, closing the oldest");
			conn_close(s, s->dl_head);
		}
		i = -1;
		for (int k = 0; k < SERVER_MAX_CONNS; k++) {
			int j = (s->free_conn_hint + k) % SERVER_MAX_CONNS;
			if (!s->conns[j].used) {
				i = j;
				break;
			}
		}
		if (i < 0) {
			close(fd);
			return;
		}
		s->free_conn_hint = (i + 1) % SERVER_MAX_CONNS;
		struct conn *c = &s->conns[i];
		c->used = true;
		c->fd = fd;
		c->listener_id = l->id;
		ip_from_sa(&sa, &c->peer);
		c->events = EPOLLIN;
		c->prev = c->next = -1;
		ev.data.u64 = tag(W_CONN, c->gen, (uint32_t)i);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_debug("epoll_ctl(ADD) tcp connection: %m");
			close(fd);
			c->used = false;
			c->fd = -1;
			continue;
		}
		s->n_conns++;
		c->deadline = now_ms() + SERVER_TCP_TIMEOUT_MS;
		dl_append(s, i);
	}
}

/*
 * Answer the complete messages at the start of the read buffer while there is
 * room for their answers. Returns -1 when the connection was closed.
 */
static int conn_process(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	size_t off = 0;

	while (c->rlen - off >= 2) {
		size_t mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
		if (mlen == 0) {
			conn_close(s, i);
			return -1;
		}
		if (c->rlen - off - 2 < mlen)
			break;
		if (c->wlen - c->woff > SERVER_WBUF_MAX - (2 + DNS_MAX_UDP) ||
		    c->pending >= SERVER_CONN_MAX_FORWARDS) {
			c->paused = true;
			break;
		}
		const uint8_t *q = c->rbuf + off + 2;
		struct listener *l = listener_by_id(s, c->listener_id);
		struct dns_upstreams ups = { 0 };
		size_t olen = 0;
		if (!l) { /* the listener went away in a reload */
			conn_close(s, i);
			return -1;
		}
		switch (answer(s, &c->peer, l->network, true, q, mlen, &olen, &ups)) {
		case DNS_REPLY:
			break;
		case DNS_FORWARD: {
			struct fwd tmpl = { .tcp = true, .slot = (uint32_t)i, .gen = c->gen };
			/* Counted first: the callback may run (and count down) right away. */
			c->pending++;
			if (!forward_start(s, &tmpl, &ups, q, mlen, &olen))
				c->pending--;
			break;
		}
		case DNS_DROP:
			olen = 0;
			break;
		}
		if (olen > 0)
			conn_queue(s, i, resp, olen);
		off += 2 + mlen;
		conn_touch(s, i);
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	if (c->rlen < 2 || c->paused)
		return 0;
	/* An incomplete message: make room for all of it. */
	size_t need = 2 + ((size_t)c->rbuf[0] << 8 | c->rbuf[1]);
	if (need > c->rcap) {
		uint8_t *nb = realloc(c->rbuf, need);
		if (!nb) {
			conn_close(s, i);
			return -1;
		}
		c->rbuf = nb;
		c->rcap = need;
	}
	return 0;
}

/* Process, flush, decide whether to keep reading or close. */
static void conn_work(struct server *s, int i)
{
	struct conn *c = &s->conns[i];

	if (c->paused && c->wlen - c->woff <= SERVER_WBUF_MAX - (2 + DNS_MAX_UDP) &&
	    c->pending < SERVER_CONN_MAX_FORWARDS)
		c->paused = false;
	if (!c->paused && conn_process(s, i) < 0)
		return;
	if (conn_flush(s, i) < 0)
		return;
	if (c->eof && c->pending == 0 && c->wlen == c->woff) {
		conn_close(s, i);
		return;
	}
	conn_update_events(s, i);
}

static void conn_readable(struct server *s, int i)
{
	struct conn *c = &s->conns[i];

	if (!c->rbuf) {
		c->rbuf = malloc(RBUF_INITIAL);
		if (!c->rbuf) {
			conn_close(s, i);
			return;
		}
		c->rcap = RBUF_INITIAL;
	}
	if (c->rlen < c->rcap && !c->paused && !c->eof) {
		/* #syscalls read */
		ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == 0) {
			c->eof = true;
		} else if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				conn_close(s, i);
				return;
			}
		} else {
			c->rlen += (size_t)n;
		}
	}
	conn_work(s, i);
}

static void conn_event(struct server *s, uint64_t data, uint32_t events)
{
	uint32_t slot = (uint32_t)data;
	uint32_t gen = (uint32_t)(data >> 32) & 0xffffffu;
	struct conn *c;

	if (slot >= SERVER_MAX_CONNS)
		return;
	c = &s->conns[slot];
	if (!c->used || (c->gen & 0xffffffu) != gen)
		return; /* closed earlier in this batch */
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* reset or shut down both ways: no answer can reach the client */
		conn_close(s, (int)slot);
		return;
	}
	if (events & EPOLLIN)
		conn_readable(s, (int)slot);
	else
		conn_work(s, (int)slot);
}

static void expire_conns(struct server *s)
{
	uint64_t now = now_ms();

	while (s->dl_head >= 0 && s->conns[s->dl_head].deadline <= now) {
		int i = s->dl_head;
		if (s->conns[i].pending > 0)
			conn_touch(s, i); /* an upstream answer is on its way (bounded by c-ares) */
		else
			conn_close(s, i);
	}
}

/* ------------------------------------------------------------------------ */
/* resolv.conf, tables, reload */

static int read_resolv(struct server *s, struct dns_nameserver *ret, size_t max, size_t *ret_n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_file_limited(s->cfg.resolv_conf, RESOLV_CONF_MAX, &buf, &len);
	if (r == -ENOENT) {
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return log_warn("reading '%s': %s", s->cfg.resolv_conf, strerror(-r)), r;
	r = dns_parse_nameservers(buf, len, ret, max);
	if (r < 0)
		return log_warn("parsing '%s': %s", s->cfg.resolv_conf, strerror(-r)), r;
	*ret_n = (size_t)r;
	for (size_t i = 0; i < *ret_n; i++) {
		r = dns_nameserver_resolve_zone(&ret[i]);
		if (r < 0)
			return log_warn("parsing '%s': zone '%s': %s", s->cfg.resolv_conf,
					ret[i].zone, strerror(-r)),
			       r;
	}
	return 0;
}

static int build_tables(struct server *s, bool startup, struct dns_tables **ret)
{
	struct dns_nameserver up[DNS_MAX_UPSTREAMS];
	size_t n_up = 0;
	int r;

	r = read_resolv(s, up, DNS_MAX_UPSTREAMS, &n_up);
	if (r < 0) {
		if (!startup)
			return r; /* keep the current tables and upstreams */
		n_up = 0;
	}
	r = dns_tables_build_ns(s->cfg.config_dir, up, n_up, ret);
	if (r < 0)
		return log_error("reading config directory '%s': %s", s->cfg.config_dir,
				 strerror(-r)),
		       r;
	if (startup)
		(void)malloc_trim(0); /* the file buffers of the parse are garbage now */
	return 0;
}

/*
 * (Re)watch resolv.conf itself: after a replacement the path names a new
 * inode, and the watch on the old one is removed. A missing file is fine:
 * the directory watch sees it appear.
 */
static void resolv_watch_file(struct server *s)
{
	int wd;

	if (s->inofd < 0)
		return;
	/* #syscalls inotify_add_watch inotify_rm_watch (after every resolv.conf change) */
	wd = inotify_add_watch(s->inofd, s->cfg.resolv_conf, RESOLV_FILE_MASK);
	if (wd < 0 && errno != ENOENT && errno != ENOTDIR)
		log_debug("watching '%s': %m", s->cfg.resolv_conf);
	if (s->wd_file >= 0 && wd != s->wd_file)
		(void)inotify_rm_watch(s->inofd, s->wd_file); /* EINVAL when already gone */
	s->wd_file = wd < 0 ? -1 : wd;
}

static int remove_pid_file(struct server *s)
{
	/* #syscalls unlink (unlinkat) */
	if (unlink(s->cfg.pid_file) < 0 && errno != ENOENT)
		return log_error("removing pid file '%s': %m", s->cfg.pid_file), -errno;
	return 0;
}

static void reload(struct server *s, const char *why)
{
	struct dns_tables *nt = NULL;
	const struct dns_listener *dl;
	size_t n_dl;
	int r;

	log_info("reloading (%s)", why);
	/* Watch the file as it is now before reading it: a later change is seen. */
	resolv_watch_file(s);
	s->resolv_settle_at = 0;
	r = build_tables(s, false, &nt);
	if (r < 0) {
		log_warn("reload failed, keeping the current configuration");
		return;
	}
	n_dl = dns_tables_listeners(nt, &dl);

	/* Keep the sockets of addresses still listed, close the others. */
	for (size_t i = 0; i < s->n_ls; i++)
		s->ls[i].keep = false;
	for (size_t j = 0; j < n_dl; j++) {
		for (size_t i = 0; i < s->n_ls; i++) {
			if (berth_ip_equal(&s->ls[i].ip, &dl[j].ip)) {
				char *name = strdup(dl[j].network ? dl[j].network : "");
				if (name) {
					free(s->ls[i].network);
					s->ls[i].network = name;
				}
				s->ls[i].keep = true;
			}
		}
	}
	for (size_t i = 0; i < s->n_ls;) {
		if (s->ls[i].keep) {
			i++;
			continue;
		}
		char where[BERTH_IP_STRLEN + 10];
		fmt_hostport(&s->ls[i].ip, s->cfg.port, where, sizeof(where));
		log_info("closing listener on %s", where);
		listener_close(s, &s->ls[i]);
		s->ls[i] = s->ls[--s->n_ls];
	}
	dns_tables_free(s->tables);
	s->tables = nt;
	/*
	 * The old tables were as large as the new ones: give their pages back
	 * rather than let the heap keep both generations (RSS otherwise settles
	 * at about twice the tables' size after a few reloads).
	 */
	(void)malloc_trim(0);
	for (size_t j = 0; j < n_dl; j++) {
		bool have = false;
		for (size_t i = 0; i < s->n_ls && !have; i++)
			have = berth_ip_equal(&s->ls[i].ip, &dl[j].ip);
		if (!have)
			(void)listener_add(s, &dl[j]); /* logged; the others keep running */
	}
	log_info("loaded %zu networks, %zu names, %zu listen addresses",
		 dns_tables_n_networks(nt), dns_tables_n_names(nt), n_dl);
	if (n_dl == 0) {
		log_info("no listen address left, exiting");
		s->stop = true;
		s->exit_code = remove_pid_file(s) < 0 ? 1 : 0;
	}
}

static void signal_readable(struct server *s)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(s->sigfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si))
			return;
		if (si.ssi_signo == SIGHUP) {
			s->reload_pending = true;
		} else {
			log_info("received signal %u, exiting", si.ssi_signo);
			s->stop = true;
			s->exit_code = 0;
		}
	}
}

static void inotify_readable(struct server *s)
{
	/* Aligned for struct inotify_event, as inotify(7) shows. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(s->inofd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if ((size_t)(buf + n - p) < sizeof(*ev) + ev->len)
				break;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				s->reload_pending = true;
			} else if (ev->wd == s->wd_dir) {
				if (ev->len > 0 && strcmp(ev->name, s->resolv_name) == 0)
					s->reload_pending = true;
			} else if (ev->wd == s->wd_file) {
				if (ev->mask & IN_IGNORED)
					s->wd_file = -1; /* the watched inode is gone */
				if (ev->mask == IN_MODIFY)
					s->resolv_settle_at = now_ms() + RESOLV_SETTLE_MS;
				else
					s->reload_pending = true;
			}
			/* Anything else: a watch removed earlier (IN_IGNORED of an old inode). */
		}
	}
}

/* ------------------------------------------------------------------------ */
/* setup and loop */

static int setup_fds(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	const char *slash;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return log_error("epoll_create1: %m"), -errno;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error("sigprocmask: %m"), -errno;
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return log_error("signalfd: %m"), -errno;
	ev.data.u64 = tag(W_SIGNAL, 0, 0);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
		return log_error("epoll_ctl: %m"), -errno;

	slash = strrchr(s->cfg.resolv_conf, '/');
	if (!slash)
		s->resolv_dir = strdup(".");
	else if (slash == s->cfg.resolv_conf)
		s->resolv_dir = strdup("/");
	else
		s->resolv_dir = strndup(s->cfg.resolv_conf, (size_t)(slash - s->cfg.resolv_conf));
	s->resolv_name = strdup(slash ? slash + 1 : s->cfg.resolv_conf);
	if (!s->resolv_dir || !s->resolv_name)
		return log_error("out of memory"), -ENOMEM;
	s->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inofd < 0) {
		log_warn("inotify_init1: %m, resolv.conf changes need a SIGHUP");
	} else if ((s->wd_dir = inotify_add_watch(s->inofd, s->resolv_dir, RESOLV_DIR_MASK)) < 0) {
		log_warn("watching '%s': %m, resolv.conf changes need a SIGHUP", s->resolv_dir);
		close(s->inofd);
		s->inofd = -1;
	} else {
		resolv_watch_file(s); /* before the first read: no change slips through */
		ev.data.u64 = tag(W_INOTIFY, 0, 0);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->inofd, &ev) < 0)
			return log_error("epoll_ctl: %m"), -errno;
	}
	return 0;
}

int server_new(const struct server_config *cfg, struct server **ret)
{
	struct server *s;
	const struct dns_listener *dl;
	size_t n_dl;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_error("out of memory"), -ENOMEM;
	s->cfg = *cfg;
	s->epfd = s->sigfd = s->inofd = -1;
	s->wd_dir = s->wd_file = -1;
	s->dl_head = s->dl_tail = -1;
	for (int i = 0; i < SERVER_MAX_CONNS; i++) {
		s->conns[i].fd = -1;
		s->conns[i].prev = s->conns[i].next = -1;
	}
	for (int i = 0; i < SERVER_MAX_FORWARDS; i++)
		s->fwds[i].next_free = i + 1 < SERVER_MAX_FORWARDS ? i + 1 : -1;
	s->fwd_free = 0;
	cb_server = s;

	r = setup_fds(s);
	if (r < 0)
		goto fail;
	r = upstream_pool_new(s->epfd, &s->up);
	if (r < 0) {
		log_error("initialising c-ares: %s", strerror(-r));
		goto fail;
	}
	r = build_tables(s, true, &s->tables);
	if (r < 0)
		goto fail;
	n_dl = dns_tables_listeners(s->tables, &dl);
	for (size_t j = 0; j < n_dl; j++) {
		r = listener_add(s, &dl[j]);
		if (r < 0)
			goto fail;
	}
	log_info("loaded %zu networks, %zu names, %zu listen addresses",
		 dns_tables_n_networks(s->tables), dns_tables_n_names(s->tables), n_dl);
	*ret = s;
	return 0;
fail:
	server_free(s);
	return r;
}

struct server *server_free(struct server *s)
{
	if (!s)
		return NULL;
	for (int i = 0; i < SERVER_MAX_CONNS; i++)
		conn_close(s, i);
	/* Before the listeners: pending UDP callbacks look listeners up. */
	s->up = upstream_pool_free(s->up);
	for (size_t i = 0; i < s->n_ls; i++)
		listener_close(s, &s->ls[i]);
	free(s->ls);
	dns_tables_free(s->tables);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->inofd >= 0)
		close(s->inofd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->resolv_name);
	free(s->resolv_dir);
	if (cb_server == s)
		cb_server = NULL;
	free(s);
	return NULL;
}

size_t server_n_listeners(const struct server *s)
{
	return s->n_ls;
}

int server_write_pid_file(const struct server *s)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)getpid());
	_cleanup_close_ int fd = -1;

	fd = open(s->cfg.pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error("writing pid file '%s': %m", s->cfg.pid_file), -errno;
	if (write(fd, buf, (size_t)n) != n)
		return log_error("writing pid file '%s': %m", s->cfg.pid_file), -EIO;
	return 0;
}

static int loop_timeout(struct server *s)
{
	int t = upstream_timeout_ms(s->up);

	if (s->n_resume > 0 || s->reload_pending)
		return 0;
	if (s->resolv_settle_at) {
		uint64_t now = now_ms();
		int rt = s->resolv_settle_at <= now ? 0 : (int)(s->resolv_settle_at - now);
		if (t < 0 || rt < t)
			t = rt;
	}
	if (s->dl_head >= 0) {
		uint64_t now = now_ms(), dl = s->conns[s->dl_head].deadline;
		int ct = dl <= now ? 0 : (int)(dl - now);
		if (t < 0 || ct < t)
			t = ct;
	}
	return t;
}

int server_run(struct server *s)
{
	struct epoll_event evs[EPOLL_BATCH];

	while (!s->stop) {
		/* #syscalls epoll_wait (epoll_pwait) */
		int n = epoll_wait(s->epfd, evs, EPOLL_BATCH, loop_timeout(s));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return log_error("epoll_wait: %m"), -errno;
		}
		for (int k = 0; k < n; k++) {
			uint64_t d = evs[k].data.u64;
			uint32_t e = evs[k].events;
			struct listener *l;

			switch ((unsigned)(d >> 56)) {
			case W_UDP:
				l = listener_by_id(s, (uint32_t)d);
				if (l)
					udp_readable(s, l);
				break;
			case W_TCP_LISTEN:
				l = listener_by_id(s, (uint32_t)d);
				if (l)
					tcp_accept(s, l);
				break;
			case W_CONN:
				conn_event(s, d, e);
				break;
			case W_SIGNAL:
				signal_readable(s);
				break;
			case W_INOTIFY:
				inotify_readable(s);
				break;
			case UPSTREAM_EPOLL_TAG:
				upstream_handle_event(s->up, d, e);
				break;
			default:
				break;
			}
		}
		upstream_process_timeouts(s->up);
		if (s->n_resume > 0) {
			for (int i = 0; i < SERVER_MAX_CONNS && s->n_resume > 0; i++) {
				if (!s->conns[i].used || !s->conns[i].resume)
					continue;
				s->conns[i].resume = false;
				s->n_resume--;
				conn_work(s, i);
			}
		}
		expire_conns(s);
		if (s->resolv_settle_at && s->resolv_settle_at <= now_ms()) {
			s->resolv_settle_at = 0;
			s->reload_pending = true;
		}
		if (s->reload_pending && !s->stop) {
			s->reload_pending = false;
			reload(s, "configuration or resolv.conf changed");
		}
	}
	return s->exit_code;
}
