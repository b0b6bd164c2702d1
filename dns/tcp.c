// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: TCP connections. A fixed table of SERVER_MAX_CONNS slots; the
 * least recently active connection is closed when it is full. Deadlines form
 * a list in order (the delay is constant). Bytes are framed by
 * tcp-framing.c; a connection whose answers are not read stops being read.
 */
#include "server-internal.h"

#include "basic/log.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

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

void conn_close(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	if (!c->used)
		return;
	dl_unlink(s, i);
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	dns_tcp_rbuf_done(&c->rb);
	dns_tcp_wbuf_done(&c->wb);
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
	if (dns_tcp_wbuf_pending(&c->wb) > 0)
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

	while (dns_tcp_wbuf_pending(&c->wb) > 0) {
		/* #syscalls sendto (send on a TCP connection) */
		ssize_t n = send(c->fd, c->wb.buf + c->wb.off, dns_tcp_wbuf_pending(&c->wb),
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(s, i);
			return -1;
		}
		dns_tcp_wbuf_written(&c->wb, (size_t)n);
		conn_touch(s, i);
	}
	return 0;
}

void conn_queue(struct server *s, int i, const uint8_t *msg, size_t len)
{
	int r = dns_tcp_wbuf_queue(&s->conns[i].wb, msg, len, SERVER_WBUF_MAX);

	if (r == -ENOBUFS)
		log_debug("tcp client does not read its answers, dropping one");
	else if (r < 0)
		log_warn("out of memory for a tcp answer, dropping it");
}

void conn_mark_resume(struct server *s, int i)
{
	if (!s->conns[i].resume) {
		s->conns[i].resume = true;
		s->n_resume++;
	}
}

void tcp_accept(struct server *s, struct listener *l)
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
	const uint8_t *q;
	size_t off = 0, mlen;
	int n;

	while ((n = dns_tcp_rbuf_next(&c->rb, off, &q, &mlen)) != 0) {
		if (n < 0) { /* a zero-length message */
			conn_close(s, i);
			return -1;
		}
		if (dns_tcp_wbuf_pending(&c->wb) > SERVER_WBUF_MAX - (2 + DNS_MAX_UDP) ||
		    c->pending >= SERVER_CONN_MAX_FORWARDS) {
			c->paused = true;
			break;
		}
		struct listener *l = listener_by_id(s, c->listener_id);
		struct dns_upstreams ups = { 0 };
		size_t olen = 0;
		if (!l) { /* the listener went away in a reload */
			conn_close(s, i);
			return -1;
		}
		switch (server_answer(s, &c->peer, l->network, true, q, mlen, &olen, &ups)) {
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
			conn_queue(s, i, s->resp, olen);
		off += (size_t)n;
		conn_touch(s, i);
	}
	/* An incomplete message is left at the front, with room for all of it. */
	if (dns_tcp_rbuf_consume(&c->rb, off, !c->paused) < 0) {
		conn_close(s, i);
		return -1;
	}
	return 0;
}

void conn_work(struct server *s, int i)
{
	struct conn *c = &s->conns[i];

	if (c->paused && dns_tcp_wbuf_pending(&c->wb) <= SERVER_WBUF_MAX - (2 + DNS_MAX_UDP) &&
	    c->pending < SERVER_CONN_MAX_FORWARDS)
		c->paused = false;
	if (!c->paused && conn_process(s, i) < 0)
		return;
	if (conn_flush(s, i) < 0)
		return;
	if (c->eof && c->pending == 0 && dns_tcp_wbuf_pending(&c->wb) == 0) {
		conn_close(s, i);
		return;
	}
	conn_update_events(s, i);
}

static void conn_readable(struct server *s, int i)
{
	struct conn *c = &s->conns[i];
	uint8_t *p;
	size_t room;

	if (dns_tcp_rbuf_space(&c->rb, &p, &room) < 0) {
		conn_close(s, i);
		return;
	}
	if (room > 0 && !c->paused && !c->eof) {
		/* #syscalls read */
		ssize_t n = read(c->fd, p, room);
		if (n == 0) {
			c->eof = true;
		} else if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				conn_close(s, i);
				return;
			}
		} else {
			dns_tcp_rbuf_filled(&c->rb, (size_t)n);
		}
	}
	conn_work(s, i);
}

void conn_event(struct server *s, uint64_t data, uint32_t events)
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

void expire_conns(struct server *s)
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
