// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: upstream forwarding through c-ares channels registered in the
 * server's epoll set. See upstream.h for the theory of operation.
 */
#include "upstream.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define UPSTREAM_MAX_INFLIGHT 1024
#define UPSTREAM_MAX_SOCKS 256 /* 32 channels x 3 servers x (UDP + TCP) = 192 */

struct channel {
	struct upstream_pool *pool;
	ares_channel ares; /* NULL: free slot */
	bool tcp;
	size_t n;
	struct berth_ip servers[UPSTREAM_MAX_SERVERS];
	uint32_t scopes[UPSTREAM_MAX_SERVERS]; /* IPv6 scope ids; 0 = none */
	uint64_t last_used;
	size_t pending;
};

struct pending {
	upstream_done_fn cb;
	void *userdata;
	struct channel *ch;
	int next_free; /* -1 = end of free list; only meaningful while free */
};

struct sock_entry {
	int fd; /* -1: free */
	struct channel *ch;
};

struct upstream_pool {
	int epfd;
	uint64_t clock;
	size_t in_flight;
	struct channel channels[UPSTREAM_MAX_CHANNELS];
	struct pending pend[UPSTREAM_MAX_INFLIGHT];
	int free_head;
	struct sock_entry socks[UPSTREAM_MAX_SOCKS];
};

static uint64_t sock_tag(int fd)
{
	return ((uint64_t)UPSTREAM_EPOLL_TAG << 56) | (uint32_t)fd;
}

static struct sock_entry *sock_find(struct upstream_pool *p, int fd)
{
	for (size_t i = 0; i < UPSTREAM_MAX_SOCKS; i++)
		if (p->socks[i].fd == fd)
			return &p->socks[i];
	return NULL;
}

/*
 * c-ares tells us which of its sockets to watch. readable = writable = 0 means
 * the socket is about to be closed.
 */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct channel *ch = data;
	struct upstream_pool *p = ch->pool;
	struct sock_entry *e = sock_find(p, fd);
	struct epoll_event ev = {
		.events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u),
		.data.u64 = sock_tag(fd),
	};

	if (!readable && !writable) {
		if (e) {
			/* #syscalls epoll_ctl */
			(void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
			e->fd = -1;
			e->ch = NULL;
		}
		return;
	}
	if (e) {
		if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
			log_warn("epoll_ctl(MOD) on upstream socket %d: %m", fd);
		return;
	}
	e = sock_find(p, -1);
	if (!e) {
		/* Cannot happen with the channel cap; the query then times out. */
		log_warn("too many upstream sockets, not watching fd %d", fd);
		return;
	}
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("epoll_ctl(ADD) on upstream socket %d: %m", fd);
		return;
	}
	e->fd = fd;
	e->ch = ch;
}

int upstream_pool_new(int epfd, struct upstream_pool **ret)
{
	struct upstream_pool *p;
	int r;

	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS) {
		log_debug("ares_library_init: %s", ares_strerror(r));
		return -EIO;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->epfd = epfd;
	for (size_t i = 0; i < UPSTREAM_MAX_CHANNELS; i++)
		p->channels[i].pool = p;
	for (int i = 0; i < UPSTREAM_MAX_INFLIGHT; i++)
		p->pend[i].next_free = i + 1 < UPSTREAM_MAX_INFLIGHT ? i + 1 : -1;
	p->free_head = 0;
	for (size_t i = 0; i < UPSTREAM_MAX_SOCKS; i++)
		p->socks[i].fd = -1;
	*ret = p;
	return 0;
}

static void channel_destroy(struct channel *ch)
{
	if (!ch->ares)
		return;
	/* Runs the pending callbacks with ARES_EDESTRUCTION and closes the sockets. */
	ares_destroy(ch->ares);
	ch->ares = NULL;
	ch->n = 0;
	ch->pending = 0;
}

struct upstream_pool *upstream_pool_free(struct upstream_pool *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < UPSTREAM_MAX_CHANNELS; i++)
		channel_destroy(&p->channels[i]);
	free(p);
	ares_library_cleanup();
	return NULL;
}

static uint32_t scope_of(const uint32_t *scopes, size_t i)
{
	return scopes ? scopes[i] : 0;
}

static bool channel_matches(const struct channel *ch, const struct berth_ip *servers,
			    const uint32_t *scopes, size_t n, bool tcp)
{
	if (!ch->ares || ch->tcp != tcp || ch->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!berth_ip_equal(&ch->servers[i], &servers[i]) ||
		    ch->scopes[i] != scope_of(scopes, i))
			return false;
	return true;
}

/*
 * c-ares socket functions (its sockets are "user managed" then: c-ares sets
 * no options of its own on them).
 */
static ares_socket_t sock_open(int family, int type, int protocol, void *data)
{
	int one = 1;
	/* #syscalls socket setsockopt (c-ares upstream sockets) */
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);

	if (fd < 0)
		return ARES_SOCKET_BAD;
	/* As c-ares does for its own TCP sockets: one query, one answer, no batching. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int sock_close(ares_socket_t fd, void *data)
{
	return close(fd);
}

/* connect() with the scope id of a link-local server filled in. */
static int sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
			void *data)
{
	const struct channel *ch = data;
	struct sockaddr_in6 in6;

	if (sa->sa_family == AF_INET6 && len >= (ares_socklen_t)sizeof(in6)) {
		memcpy(&in6, sa, sizeof(in6));
		for (size_t i = 0; i < ch->n && in6.sin6_scope_id == 0; i++)
			if (ch->servers[i].family == AF_INET6 && ch->scopes[i] &&
			    memcmp(&ch->servers[i].v6, &in6.sin6_addr, 16) == 0)
				in6.sin6_scope_id = ch->scopes[i];
		/* #syscalls connect */
		return connect(fd, (const struct sockaddr *)&in6, sizeof(in6));
	}
	return connect(fd, sa, len);
}

static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				  struct sockaddr *from, ares_socklen_t *from_len, void *data)
{
	/* #syscalls recvfrom */
	return recvfrom(fd, buf, len, flags, from, from_len);
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *data)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };

	/* #syscalls sendmsg (MSG_NOSIGNAL: a reset TCP upstream is an error, not a SIGPIPE) */
	return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static const struct ares_socket_functions sock_funcs = {
	.asocket = sock_open,
	.aclose = sock_close,
	.aconnect = sock_connect,
	.arecvfrom = sock_recvfrom,
	.asendv = sock_sendv,
};

static int channel_init(struct channel *ch, const struct berth_ip *servers, const uint32_t *scopes,
			size_t n, bool tcp)
{
	struct ares_options opts = { 0 };
	struct ares_addr_port_node nodes[UPSTREAM_MAX_SERVERS];
	char lookups[] = "b";
	int mask, r;

	memset(nodes, 0, sizeof(nodes));
	opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES |
		     (tcp ? ARES_FLAG_USEVC : ARES_FLAG_IGNTC);
	opts.timeout = (int)(UPSTREAM_TOTAL_TIMEOUT_MS / n);
	opts.tries = 1;
	opts.sock_state_cb = sock_state_cb;
	opts.sock_state_cb_data = ch;
	opts.lookups = lookups;
	opts.ndomains = 0;
	opts.domains = NULL;
	opts.ndots = 1;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
	       ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS | ARES_OPT_NDOTS | ARES_OPT_NOROTATE;

	r = ares_init_options(&ch->ares, &opts, mask);
	if (r != ARES_SUCCESS) {
		log_debug("ares_init_options: %s", ares_strerror(r));
		ch->ares = NULL;
		return r == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	/* Before any socket exists; ch outlives the channel (it owns it). */
	ares_set_socket_functions(ch->ares, &sock_funcs, ch);
	for (size_t i = 0; i < n; i++) {
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		nodes[i].family = servers[i].family;
		if (servers[i].family == AF_INET)
			memcpy(&nodes[i].addr.addr4, &servers[i].v4, 4);
		else
			memcpy(&nodes[i].addr.addr6, &servers[i].v6, 16);
		nodes[i].udp_port = 53;
		nodes[i].tcp_port = 53;
	}
	r = ares_set_servers_ports(ch->ares, nodes);
	if (r != ARES_SUCCESS) {
		log_debug("ares_set_servers_ports: %s", ares_strerror(r));
		ares_destroy(ch->ares);
		ch->ares = NULL;
		return -EIO;
	}
	ch->tcp = tcp;
	ch->n = n;
	memcpy(ch->servers, servers, n * sizeof(*servers));
	for (size_t i = 0; i < n; i++)
		ch->scopes[i] = scope_of(scopes, i);
	ch->pending = 0;
	return 0;
}

static int channel_get(struct upstream_pool *p, const struct berth_ip *servers,
		       const uint32_t *scopes, size_t n, bool tcp, struct channel **ret)
{
	struct channel *victim = NULL;
	int r;

	for (size_t i = 0; i < UPSTREAM_MAX_CHANNELS; i++) {
		struct channel *ch = &p->channels[i];
		if (channel_matches(ch, servers, scopes, n, tcp)) {
			ch->last_used = ++p->clock;
			*ret = ch;
			return 0;
		}
	}
	/* A free slot, else the least recently used idle one, else the least recently used. */
	for (size_t i = 0; i < UPSTREAM_MAX_CHANNELS; i++) {
		struct channel *ch = &p->channels[i];
		if (!ch->ares) {
			victim = ch;
			break;
		}
		if (!victim || (ch->pending == 0 && victim->pending > 0) ||
		    ((ch->pending == 0) == (victim->pending == 0) &&
		     ch->last_used < victim->last_used))
			victim = ch;
	}
	if (victim->ares) {
		log_debug("evicting upstream channel (%zu pending)", victim->pending);
		channel_destroy(victim);
	}
	r = channel_init(victim, servers, scopes, n, tcp);
	if (r < 0)
		return r;
	victim->last_used = ++p->clock;
	*ret = victim;
	return 0;
}

static void send_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *pe = arg;
	struct upstream_pool *p = pe->ch->pool;
	upstream_done_fn cb = pe->cb;
	void *userdata = pe->userdata;

	if (pe->ch->pending > 0)
		pe->ch->pending--;
	p->in_flight--;
	pe->cb = NULL;
	pe->next_free = p->free_head;
	p->free_head = (int)(pe - p->pend);

	if (status == ARES_SUCCESS && abuf && alen >= 12)
		cb(userdata, status, abuf, (size_t)alen);
	else
		cb(userdata, status, NULL, 0);
}

int upstream_forward(struct upstream_pool *p, const struct berth_ip *servers,
		     const uint32_t *scopes, size_t n, bool tcp, const uint8_t *query, size_t len,
		     upstream_done_fn cb, void *userdata)
{
	struct channel *ch;
	struct pending *pe;
	int r;

	if (n == 0)
		return -EINVAL;
	if (n > UPSTREAM_MAX_SERVERS)
		n = UPSTREAM_MAX_SERVERS;
	if (len < 12 || len > 65535)
		return -EINVAL;
	if (p->free_head < 0)
		return -EBUSY;
	r = channel_get(p, servers, scopes, n, tcp, &ch);
	if (r < 0)
		return r;

	pe = &p->pend[p->free_head];
	p->free_head = pe->next_free;
	pe->cb = cb;
	pe->userdata = userdata;
	pe->ch = ch;
	ch->pending++;
	p->in_flight++;
	/* c-ares copies the buffer and replaces the id; errors call send_done right away. */
	ares_send(ch->ares, query, (int)len, send_done, pe);
	return 0;
}

void upstream_handle_event(struct upstream_pool *p, uint64_t data, uint32_t events)
{
	int fd = (int)(uint32_t)data;
	struct sock_entry *e = sock_find(p, fd);

	if (!e || !e->ch || !e->ch->ares)
		return; /* closed earlier in this batch of events */
	ares_process_fd(e->ch->ares,
			 (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD,
			 (events & (EPOLLOUT | EPOLLERR)) ? fd : ARES_SOCKET_BAD);
}

int upstream_timeout_ms(struct upstream_pool *p)
{
	long best = -1;

	for (size_t i = 0; i < UPSTREAM_MAX_CHANNELS; i++) {
		struct channel *ch = &p->channels[i];
		struct timeval tv, *t;
		if (!ch->ares || ch->pending == 0)
			continue;
		t = ares_timeout(ch->ares, NULL, &tv);
		if (!t)
			continue;
		long ms = (long)t->tv_sec * 1000 + (t->tv_usec + 999) / 1000;
		if (best < 0 || ms < best)
			best = ms;
	}
	if (best > 60000)
		best = 60000;
	return (int)best;
}

void upstream_process_timeouts(struct upstream_pool *p)
{
	for (size_t i = 0; i < UPSTREAM_MAX_CHANNELS; i++) {
		struct channel *ch = &p->channels[i];
		if (ch->ares && ch->pending > 0)
			ares_process_fd(ch->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
}

size_t upstream_in_flight(const struct upstream_pool *p)
{
	return p->in_flight;
}
