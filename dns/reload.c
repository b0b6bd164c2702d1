// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: resolv.conf (reading it, watching it) and the reload that
 * SIGHUP or a resolv.conf change triggers. See server.h.
 */
#include "server-internal.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

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

int server_build_tables(struct server *s, bool startup, struct dns_tables **ret)
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

void server_reload(struct server *s, const char *why)
{
	struct dns_tables *nt = NULL;
	const struct dns_listener *dl;
	size_t n_dl;
	int r;

	log_info("reloading (%s)", why);
	/* Watch the file as it is now before reading it: a later change is seen. */
	resolv_watch_file(s);
	s->resolv_settle_at = 0;
	r = server_build_tables(s, false, &nt);
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

void inotify_readable(struct server *s)
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

int resolv_watch_setup(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	const char *slash;

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
