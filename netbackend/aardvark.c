// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net and the DNS server: aardvark-dns config entries, and starting,
 * reloading and (indirectly) stopping the server.
 *
 * Theory of operation. Setup computes, per DNS-enabled bridge network, the
 * addresses the server listens on (they are also the StatusBlock's
 * dns_server_ips, whether or not a server exists). When all networks are up
 * and the server binary exists, the entries are written under the flock
 * <config>/aardvark.lock, and the server named by aardvark.pid gets a SIGHUP
 * to re-read the directory; without a live server one is started and waited
 * for: its foreground process exits 0 once the daemon has bound every
 * listener, or non-zero with the reason on stderr. Teardown removes the
 * container's lines and sends a SIGHUP; the server exits by itself when no
 * network is left. We never kill the server.
 *
 * A pid file can outlive its server (SIGKILL, OOM) and the pid be reused: we
 * only signal a process whose --config is our directory (same inode), since
 * SIGHUP's default action would kill an unrelated process.
 */
#include "aardvark.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/time-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *const nv_dns_search_domains[1] = { NV_DNS_SEARCH_DOMAIN };

static int close_fd(int fd)
{
	if (fd >= 0)
		(void)close(fd);
	return -1;
}

/* ---- paths and the lock ------------------------------------------------------ */

/* "<config>/<leaf>" without doubled slashes. */
static int config_path(const struct nv_ctx *ctx, const char *leaf, char buf[PATH_MAX])
{
	size_t n = strlen(ctx->config_dir);
	while (n > 1 && ctx->config_dir[n - 1] == '/')
		n--;
	int w = snprintf(buf, PATH_MAX, "%.*s/%s", (int)n, ctx->config_dir, leaf);
	return w < 0 || w >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int dns_lock(const struct nv_ctx *ctx, struct berth_error **reterr)
{
	char path[PATH_MAX];
	int r = config_path(ctx, "aardvark.lock", path);
	if (r < 0)
		return berth_error_set(reterr, ENAMETOOLONG, "config directory path too long");
	r = lock_file_timeout(path, NV_DNS_LOCK_TIMEOUT_MS);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to lock %s", path);
	return r;
}

/* Open <config>/aardvark-dns; -ENOENT when it does not exist. */
static int dns_dir_open(const struct nv_ctx *ctx, char path[PATH_MAX])
{
	int r = config_path(ctx, "aardvark-dns", path);
	if (r < 0)
		return r;
	r = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

static bool binary_exists(const struct nv_ctx *ctx)
{
	struct stat st;
	return ctx->aardvark_binary && *ctx->aardvark_binary && stat(ctx->aardvark_binary, &st) == 0;
}

/* ---- the running server ------------------------------------------------------ */

/* The value of --config/-c in a NUL-separated argv, or NULL. */
static const char *cmdline_config(const char *buf, size_t len)
{
	const char *end = buf + len;
	for (const char *p = buf; p < end; p += strlen(p) + 1) {
		const char *next = p + strlen(p) + 1;
		if ((streq(p, "--config") || streq(p, "-c")) && next < end)
			return next;
		if (!strncmp(p, "--config=", 9))
			return p + 9;
		if (!strncmp(p, "-c", 2) && p[2] && p[2] != '-')
			return p + 2;
	}
	return NULL;
}

/* Is pid a server for the directory dirfd? 1 yes, 0 no (gone, zombie, another process). */
static int pid_is_our_server(pid_t pid, int dirfd)
{
	char path[64], cfg[PATH_MAX + 64];
	_cleanup_free_ char *cmd = NULL;
	size_t len = 0;
	struct stat want, have;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int r = read_file_limited(path, 16384, &cmd, &len);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0) {
		/* Cannot look (hidepid?): trust the pid file, as netavark does. */
		log_debug("cannot read %s: %s; trusting the pid file", path, strerror(-r));
		return 1;
	}
	const char *c = cmdline_config(cmd, len);
	if (!c || !*c || fstat(dirfd, &want) < 0)
		return 0;
	if (c[0] == '/')
		snprintf(cfg, sizeof(cfg), "%s", c);
	else
		snprintf(cfg, sizeof(cfg), "/proc/%d/cwd/%s", (int)pid, c);
	if (stat(cfg, &have) < 0)
		return 0;
	return have.st_dev == want.st_dev && have.st_ino == want.st_ino;
}

/*
 * SIGHUP the server named by aardvark.pid. Returns 1 when it was signalled,
 * 0 when there is no live server for this directory.
 */
static int server_reload(int dirfd)
{
	char buf[32];
	_cleanup_close_ int fd = openat(dirfd, ADV_PID_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_debug("no %s: %s", ADV_PID_FILE, strerror(errno));
		return 0;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		log_debug("%s is empty or unreadable", ADV_PID_FILE);
		return 0;
	}
	buf[n] = '\0';
	char *end;
	errno = 0;
	long v = strtol(buf, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (errno || end == buf || *end || v <= 1 || v > INT_MAX || v == (long)getpid()) {
		log_debug("%s does not hold a usable pid, ignoring it", ADV_PID_FILE);
		return 0;
	}
	pid_t pid = (pid_t)v;
	if (!pid_is_our_server(pid, dirfd)) {
		log_debug("process %d of %s is not a DNS server for this directory, ignoring it",
			  (int)pid, ADV_PID_FILE);
		return 0;
	}
	if (kill(pid, SIGHUP) < 0) {
		log_debug("SIGHUP to DNS server %d: %s", (int)pid, strerror(errno));
		return 0;
	}
	log_debug("sent SIGHUP to DNS server %d", (int)pid);
	return 1;
}

static const char *level_name(void)
{
	switch (log_get_level()) {
	case LOG_LEVEL_OFF:
		return "off";
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warn";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	default:
		return "trace";
	}
}

/* The environment with RUST_LOG set to our level (as netavark does). NULL on ENOMEM. */
static char **child_env(char *rust_log)
{
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "RUST_LOG=", 9) != 0)
			env[k++] = *e;
	env[k++] = rust_log;
	env[k] = NULL;
	return env;
}

/* Read what is there now (non-blocking fd); 0 = EOF seen, 1 = more may come. */
static int drain(int fd, char *buf, size_t *len)
{
	char tmp[4096];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EINTR ? 1 : (errno == EAGAIN ? 1 : 0);
		size_t room = NV_DNS_STDERR_MAX - *len;
		size_t take = (size_t)n < room ? (size_t)n : room; /* the rest is dropped */
		memcpy(buf + *len, tmp, take);
		*len += take;
	}
}

/*
 * Start `<binary> --config <dir> -p <port> run`, stdin and stdout /dev/null,
 * stderr captured, and wait for its foreground process.
 */
static int server_start(const struct nv_ctx *ctx, const char *dir, struct berth_error **reterr)
{
	char port[8], rust_log[32];
	char *const argv[] = { (char *)ctx->aardvark_binary, (char *)"--config", (char *)dir,
			       (char *)"-p", port, (char *)"run", NULL };
	_cleanup_free_ char **env = NULL;
	_cleanup_free_ char *errbuf = NULL;
	_cleanup_close_ int rfd = -1, wfd = -1, pidfd = -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	size_t errlen = 0;
	pid_t pid;
	int pfd[2], r, status = 0;

	snprintf(port, sizeof(port), "%u", (unsigned)ctx->dns_port);
	snprintf(rust_log, sizeof(rust_log), "RUST_LOG=%s", level_name());
	env = child_env(rust_log);
	errbuf = malloc(NV_DNS_STDERR_MAX + 1);
	if (!env || !errbuf)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return berth_error_errno(reterr, errno, BERTH_ERR_IO,
					 "error while applying dns entries: pipe");
	rfd = pfd[0];
	wfd = pfd[1];

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, wfd, 2);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!r)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (!r)
		r = posix_spawnattr_setsigdefault(&attr, &dfl);
	if (!r)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!r)
		r = posix_spawn(&pid, ctx->aardvark_binary, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r)
		return berth_error_errno(reterr, r, BERTH_ERR_IO,
					 "error while applying dns entries: failed to start %s",
					 ctx->aardvark_binary);
	log_debug("started %s --config %s -p %s run (pid %d)", ctx->aardvark_binary, dir, port,
		  (int)pid);
	wfd = close_fd(wfd);
	(void)fcntl(rfd, F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	/*
	 * Read stderr until the foreground process exits. The daemon it leaves
	 * behind may keep the pipe open: stop at its parent's exit, not at EOF.
	 */
	long long deadline = berth_now_ms() + NV_DNS_START_TIMEOUT_MS;
	bool exited = false, eof = false;
	for (;;) {
		if (!exited) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				exited = true;
		}
		if (exited) {
			if (!eof)
				(void)drain(rfd, errbuf, &errlen);
			break;
		}
		long long left = deadline - berth_now_ms();
		if (left <= 0) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			return berth_error_set(reterr, ETIMEDOUT,
					       "error while applying dns entries: aardvark-dns did not "
					       "start within %d s",
					       NV_DNS_START_TIMEOUT_MS / 1000);
		}
		struct pollfd p[2] = { { .fd = eof ? -1 : rfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		int timeout = pidfd >= 0 ? (int)left : (left < 10 ? (int)left : 10);
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return berth_error_errno(reterr, errno, BERTH_ERR_IO,
						 "error while applying dns entries: poll");
		if (!eof && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			eof = drain(rfd, errbuf, &errlen) == 0;
	}
	errbuf[errlen] = '\0';
	while (errlen > 0 && strchr(" \t\r\n", errbuf[errlen - 1]))
		errbuf[--errlen] = '\0';

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (errlen)
			log_debug("aardvark-dns said: %s", errbuf);
		log_info("started the DNS server %s on port %s", ctx->aardvark_binary, port);
		return 0;
	}
	if (WIFSIGNALED(status))
		log_debug("aardvark-dns was killed by signal %d", WTERMSIG(status));
	if (errlen)
		return berth_error_set(reterr, EIO,
				       "error while applying dns entries: aardvark-dns failed to start: %s",
				       errbuf);
	return berth_error_set(reterr, EIO,
			       "error while applying dns entries: aardvark-dns exited unexpectedly "
			       "without error message");
}

/* ---- setup ------------------------------------------------------------------- */

static int listen_addresses(struct nv_setup *s, const struct nv_network *n, struct nv_dns_net *e,
			    struct berth_error **reterr)
{
	e->n_listen = 0;
	if (!n->unmanaged) {
		for (size_t i = 0; i < n->n_subnets && e->n_listen < ARRAY_SIZE(e->listen); i++)
			if (n->subnets[i].gateway.family)
				e->listen[e->n_listen++] = n->subnets[i].gateway;
		if (e->n_listen == 0)
			return berth_error_set(reterr, EINVAL,
					       "network %s: DNS is enabled but no subnet has a "
					       "gateway for the DNS server to listen on",
					       n->name);
		return 0;
	}

	/* Unmanaged: the bridge's own addresses (v4 then v6), link-local excluded. */
	struct berth_link_info li;
	struct berth_ipnet addrs[NV_MAX_SUBNETS];
	int r = berth_link_get(s->host, n->network_interface, &li);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "get bridge %s",
					 n->network_interface);
	r = berth_addr_list(s->host, li.ifindex, AF_UNSPEC, addrs, ARRAY_SIZE(addrs));
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "list addresses of bridge %s",
					 n->network_interface);
	for (int i = 0; i < r; i++)
		e->listen[e->n_listen++] = addrs[i].ip;
	if (e->n_listen == 0)
		return berth_error_set(reterr, EADDRNOTAVAIL,
				       "bridge '%s' in unmanaged mode has no usable IP addresses. "
				       "Aardvark-dns requires at least one address (should not be "
				       "an IPv6 link-local address) to bind to. Please add an IP "
				       "address or disable DNS for this network (--disable-dns).",
				       n->network_interface);
	return 0;
}

static bool name_ok(const char *s)
{
	return *s && strlen(s) <= ADV_MAX_NAME && !strpbrk(s, ", \t\r\n");
}

int nv_dns_prepare(struct nv_setup *s, struct nv_dns *d, const struct nv_per_network *pn,
		   struct nv_dns_net **ret, struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	int r;

	if (!name_ok(s->opts->container_name))
		return berth_error_set(reterr, EINVAL,
				       "container name \"%s\" cannot be a DNS name (network %s has "
				       "DNS enabled)",
				       s->opts->container_name, n->name);
	if (d->n_nets == d->cap_nets) {
		size_t cap = d->cap_nets ? d->cap_nets * 2 : 4;
		struct nv_dns_net *nn = realloc(d->nets, cap * sizeof(*nn));
		if (!nn)
			return berth_error_set(reterr, ENOMEM, "out of memory");
		d->nets = nn;
		d->cap_nets = cap;
	}
	struct nv_dns_net *e = &d->nets[d->n_nets];
	memset(e, 0, sizeof(*e));
	e->pn = pn;
	snprintf(e->filename, sizeof(e->filename), "%s%s", n->name,
		 n->internal ? ADV_INTERNAL_SUFFIX : "");
	r = listen_addresses(s, n, e, reterr);
	if (r < 0)
		return r;
	d->n_nets++;
	*ret = e;
	return 0;
}

static int split_ips(const struct nv_per_network *pn, struct berth_ip *v4, size_t *n4,
		     struct berth_ip *v6, size_t *n6)
{
	*n4 = *n6 = 0;
	for (size_t i = 0; i < pn->n_static_ips; i++) {
		if (pn->static_ips[i].family == AF_INET)
			v4[(*n4)++] = pn->static_ips[i];
		else
			v6[(*n6)++] = pn->static_ips[i];
	}
	return 0;
}

/* An upstream server that is one of the listen addresses: the server would ask itself. */
static int check_loops(const struct nv_options *o, const struct nv_dns *d,
		       struct berth_error **reterr)
{
	for (size_t i = 0; i < d->n_nets; i++) {
		const struct nv_network *n = d->nets[i].pn->network;
		for (size_t j = 0; j < d->n_nets; j++) {
			const struct nv_dns_net *e = &d->nets[j];
			for (size_t k = 0; k < e->n_listen; k++) {
				char b[BERTH_IP_STRLEN];
				for (size_t m = 0; m < n->n_dns_servers; m++)
					if (berth_ip_equal(&n->dns_servers[m], &e->listen[k]))
						return berth_error_set(
							reterr, ELOOP,
							"error while applying dns entries: network %s "
							"has dns server %s, an address the DNS server "
							"itself listens on: this would cause "
							"aardvark-dns to forward queries to itself",
							n->name, berth_ip_fmt(&e->listen[k], b));
				for (size_t m = 0; m < o->n_dns_servers; m++)
					if (berth_ip_equal(&o->dns_servers[m], &e->listen[k]))
						return berth_error_set(
							reterr, ELOOP,
							"error while applying dns entries: container "
							"dns server %s is an address the DNS server "
							"itself listens on: this would cause "
							"aardvark-dns to forward queries to itself",
							berth_ip_fmt(&e->listen[k], b));
			}
		}
	}
	return 0;
}

static int write_entry(const struct nv_options *o, int dirfd, struct nv_dns_net *e,
		       struct berth_error **reterr)
{
	const struct nv_per_network *pn = e->pn;
	const struct nv_network *n = pn->network;
	struct berth_ip v4[NV_MAX_STATIC_IPS], v6[NV_MAX_STATIC_IPS];
	size_t n4, n6;
	_cleanup_free_ const char **names = calloc(pn->n_aliases + 1, sizeof(char *));
	if (!names)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	names[0] = o->container_name;
	for (size_t i = 0; i < pn->n_aliases; i++)
		names[i + 1] = pn->aliases[i];
	split_ips(pn, v4, &n4, v6, &n6);

	_cleanup_free_ char *header = adv_format_header(e->listen, e->n_listen, n->dns_servers,
							n->n_dns_servers);
	_cleanup_free_ char *line = adv_format_container(o->container_id, v4, n4, v6, n6, names,
							 pn->n_aliases + 1, o->dns_servers,
							 o->n_dns_servers);
	if (!header || !line)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = adv_file_add(dirfd, e->filename, header, line);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO,
					 "error while applying dns entries: failed to write "
					 "aardvark-dns config %s",
					 e->filename);
	e->written = true;
	return 0;
}

void nv_dns_rollback(const struct nv_ctx *ctx, const struct nv_options *o, struct nv_dns *d)
{
	bool any = false;
	(void)ctx;
	if (d->dirfd < 0)
		return;
	for (size_t i = 0; i < d->n_nets; i++) {
		struct nv_dns_net *e = &d->nets[i];
		if (!e->written)
			continue;
		int r = adv_file_remove(d->dirfd, e->filename, o->container_id);
		if (r < 0)
			log_warn("rollback: failed to remove the DNS entry from %s: %s", e->filename,
				 strerror(-r));
		else
			log_debug("rollback: removed the DNS entry from %s", e->filename);
		e->written = false;
		any = true;
	}
	if (any)
		(void)server_reload(d->dirfd);
}

int nv_dns_commit(const struct nv_ctx *ctx, const struct nv_options *o, struct nv_dns *d,
		  struct berth_error **reterr)
{
	char dir[PATH_MAX];
	int r;

	if (d->n_nets == 0)
		return 0;
	if (!binary_exists(ctx)) {
		log_info("aardvark-dns binary %s not found: DNS entries not written, no DNS server",
			 ctx->aardvark_binary ? ctx->aardvark_binary : "(none)");
		return 0;
	}
	r = check_loops(o, d, reterr);
	if (r < 0)
		return r;

	if (d->lockfd < 0) {
		d->lockfd = dns_lock(ctx, reterr);
		if (d->lockfd < 0)
			return d->lockfd;
	}
	r = config_path(ctx, "aardvark-dns", dir);
	if (r < 0)
		return berth_error_set(reterr, ENAMETOOLONG, "config directory path too long");
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return berth_error_set(reterr, -r,
				       "IO error: failed to create aardvark-dns directory: %s (os "
				       "error %d)",
				       strerror(-r), -r);
	if (d->dirfd < 0) {
		d->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->dirfd < 0)
			return berth_error_errno(reterr, errno, BERTH_ERR_IO,
						 "failed to open aardvark-dns directory %s", dir);
	}

	for (size_t i = 0; i < d->n_nets; i++) {
		r = write_entry(o, d->dirfd, &d->nets[i], reterr);
		if (r < 0)
			goto fail;
	}

	if (server_reload(d->dirfd) > 0)
		return 0;
	r = server_start(ctx, dir, reterr);
	if (r < 0)
		goto fail;
	return 0;

fail:
	nv_dns_rollback(ctx, o, d);
	return r;
}

void nv_dns_done(struct nv_dns *d)
{
	d->dirfd = close_fd(d->dirfd);
	d->lockfd = close_fd(d->lockfd);
	free(d->nets);
	d->nets = NULL;
	d->n_nets = d->cap_nets = 0;
}

/* ---- teardown ---------------------------------------------------------------- */

void nv_dns_teardown(struct nv_teardown *t)
{
	const struct nv_options *o = t->opts;
	struct berth_error *e = NULL;
	char dir[PATH_MAX];
	bool any = false, changed = false;

	for (size_t i = 0; i < o->n_networks; i++)
		if (o->networks[i].network->driver == NV_DRIVER_BRIDGE &&
		    o->networks[i].network->dns_enabled)
			any = true;
	if (!any)
		return;

	_cleanup_close_ int lockfd = -1;
	_cleanup_close_ int dirfd = dns_dir_open(t->ctx, dir);
	if (dirfd == -ENOENT) {
		log_debug("no %s: no DNS entries to remove", dir);
		return;
	}
	if (dirfd < 0) {
		berth_error_errno(&e, dirfd, BERTH_ERR_IO, "failed to open aardvark-dns directory");
		goto out;
	}
	lockfd = dns_lock(t->ctx, &e);
	if (lockfd < 0)
		goto out;

	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_network *n = o->networks[i].network;
		if (n->driver != NV_DRIVER_BRIDGE || !n->dns_enabled)
			continue;
		/* Both spellings: a file written before %int existed is removed too. */
		for (int internal = 0; internal < 2; internal++) {
			char fn[NV_MAX_NAME + sizeof(ADV_INTERNAL_SUFFIX)];
			snprintf(fn, sizeof(fn), "%s%s", n->name, internal ? ADV_INTERNAL_SUFFIX : "");
			int r = adv_file_remove(dirfd, fn, o->container_id);
			if (r < 0) {
				berth_error_errno(&e, r, BERTH_ERR_IO,
						  "failed to remove the dns entries of network %s",
						  n->name);
				nv_teardown_error(t, e);
				berth_error_freep(&e);
				continue;
			}
			changed = true;
		}
	}
	if (changed && server_reload(dirfd) == 0)
		log_debug("no DNS server running for %s, nothing to reload", dir);
out:
	if (e) {
		nv_teardown_error(t, e);
		berth_error_freep(&e);
	}
}

/* ---- update ------------------------------------------------------------------ */

int nv_cmd_update(const struct nv_ctx *ctx, const char *network, const struct berth_ip *dns,
		  size_t n_dns, struct berth_error **reterr)
{
	char dir[PATH_MAX];

	/* It names a file in the directory: no path tricks. */
	if (!*network || network[0] == '.' || strchr(network, '/') || strlen(network) > NV_MAX_NAME)
		return berth_error_set(reterr, EINVAL, "invalid network name \"%s\"", network);
	if (!binary_exists(ctx)) {
		log_debug("aardvark-dns binary %s not found: nothing to update",
			  ctx->aardvark_binary ? ctx->aardvark_binary : "(none)");
		return 0;
	}
	_cleanup_close_ int dirfd = dns_dir_open(ctx, dir);
	if (dirfd == -ENOENT) {
		log_debug("no %s: nothing to update", dir);
		return 0;
	}
	if (dirfd < 0)
		return berth_error_errno(reterr, dirfd, BERTH_ERR_IO,
					 "failed to open aardvark-dns directory");
	_cleanup_close_ int lockfd = dns_lock(ctx, reterr);
	if (lockfd < 0)
		return lockfd;

	char fn[NV_MAX_NAME + sizeof(ADV_INTERNAL_SUFFIX)];
	int r = -ENOENT;
	for (int internal = 0; internal < 2 && r == -ENOENT; internal++) {
		if (snprintf(fn, sizeof(fn), "%s%s", network, internal ? ADV_INTERNAL_SUFFIX : "") >=
		    (int)sizeof(fn))
			return berth_error_set(reterr, ENAMETOOLONG, "network name too long");
		r = adv_file_set_dns(dirfd, fn, dns, n_dns);
	}
	if (r == -ENOENT) {
		log_debug("network %s has no DNS entries: nothing to update", network);
		return 0;
	}
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO,
					 "failed to update the dns servers of network %s", network);
	log_debug("network %s: %zu dns server(s) written to %s", network, n_dns, fn);
	if (server_reload(dirfd) == 0)
		log_debug("no DNS server running for %s, nothing to reload", dir);
	return 0;
}
