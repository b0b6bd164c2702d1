// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: setup, the epoll loop, signals and the pid file. See server.h
 * for the theory of operation and server-internal.h for the other files.
 */
#include "server-internal.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

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

static int setup_fds(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

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

	return resolv_watch_setup(s);
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
	forward_init(s);

	r = setup_fds(s);
	if (r < 0)
		goto fail;
	r = upstream_pool_new(s->epfd, &s->up);
	if (r < 0) {
		log_error("initialising c-ares: %s", strerror(-r));
		goto fail;
	}
	r = server_build_tables(s, true, &s->tables);
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
	forward_detach(s);
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
			server_reload(s, "configuration or resolv.conf changed");
		}
	}
	return s->exit_code;
}
