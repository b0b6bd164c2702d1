// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: the listeners, one UDP socket and one TCP listener per listen
 * address, registered in the loop's epoll set.
 */
#include "server-internal.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct listener *listener_by_id(struct server *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_ls; i++)
		if (s->ls[i].id == id)
			return &s->ls[i];
	return NULL;
}

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

void fmt_hostport(const struct berth_ip *ip, uint16_t port, char *buf, size_t size)
{
	char a[BERTH_IP_STRLEN];
	berth_ip_fmt(ip, a);
	if (ip->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
}

void listener_close(struct server *s, struct listener *l)
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

int listener_add(struct server *s, const struct dns_listener *dl)
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
