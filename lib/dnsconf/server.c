// SPDX-License-Identifier: Apache-2.0
/* The DNS server of an aardvark-dns config directory (server.h). */
#include "dnsconf/server.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/time-util.h"
#include "dnsconf/aardvark.h"

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
#include <unistd.h>

extern char **environ;

/* "<dir>/<leaf>" without doubled slashes. */
static int join(const char *dir, const char *leaf, char *buf, size_t size)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	int w = snprintf(buf, size, "%.*s/%s", (int)n, dir, leaf);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

int adv_lock(const char *config_dir)
{
	char path[PATH_MAX];
	int r = join(config_dir, "aardvark.lock", path, sizeof(path));
	if (r < 0)
		return r;
	return lock_file_timeout(path, ADV_LOCK_TIMEOUT_MS);
}

int adv_dir_path(const char *config_dir, char *buf, size_t size)
{
	return join(config_dir, "aardvark-dns", buf, size);
}

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
int adv_server_reload(int dirfd)
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
		size_t room = ADV_STDERR_MAX - *len;
		size_t take = (size_t)n < room ? (size_t)n : room; /* the rest is dropped */
		memcpy(buf + *len, tmp, take);
		*len += take;
	}
}

/*
 * Start `<binary> --config <dir> -p <port> run`, stdin and stdout /dev/null,
 * stderr captured, and wait for its foreground process.
 */
int adv_server_start(const struct adv_server_spec *spec, struct berth_error **reterr)
{
	char port[8], rust_log[32];
	const char *dir = spec->dir;
	char *argv[9] = { (char *)spec->binary, (char *)"--config", (char *)dir, (char *)"-p", port };
	size_t argc = 5;
	if (spec->filter_domain) {
		argv[argc++] = (char *)"-f";
		argv[argc++] = (char *)spec->filter_domain;
	}
	argv[argc++] = (char *)"run";
	argv[argc] = NULL;
	_cleanup_free_ char **env = NULL;
	_cleanup_free_ char *errbuf = NULL;
	_cleanup_close_ int rfd = -1, wfd = -1, pidfd = -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	size_t errlen = 0;
	pid_t pid;
	int pfd[2], r, status = 0;

	snprintf(port, sizeof(port), "%u", (unsigned)spec->port);
	snprintf(rust_log, sizeof(rust_log), "RUST_LOG=%s", spec->log_level ? spec->log_level : "info");
	env = child_env(rust_log);
	errbuf = malloc(ADV_STDERR_MAX + 1);
	if (!env || !errbuf)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return berth_error_errno(reterr, errno, BERTH_ERR_IO,
					 "pipe");
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
		r = posix_spawn(&pid, spec->binary, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r)
		return berth_error_errno(reterr, r, BERTH_ERR_IO,
					 "failed to start %s",
					 spec->binary);
	log_debug("started %s --config %s -p %s run (pid %d)", spec->binary, dir, port,
		  (int)pid);
	(void)close(TAKE_FD(wfd));
	(void)fcntl(rfd, F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	/*
	 * Read stderr until the foreground process exits. The daemon it leaves
	 * behind may keep the pipe open: stop at its parent's exit, not at EOF.
	 */
	long long deadline = berth_now_ms() + ADV_START_TIMEOUT_MS;
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
					       "aardvark-dns did not "
					       "start within %d s",
					       ADV_START_TIMEOUT_MS / 1000);
		}
		struct pollfd p[2] = { { .fd = eof ? -1 : rfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		int timeout = pidfd >= 0 ? (int)left : (left < 10 ? (int)left : 10);
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return berth_error_errno(reterr, errno, BERTH_ERR_IO,
						 "poll");
		if (!eof && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			eof = drain(rfd, errbuf, &errlen) == 0;
	}
	errbuf[errlen] = '\0';
	while (errlen > 0 && strchr(" \t\r\n", errbuf[errlen - 1]))
		errbuf[--errlen] = '\0';

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (errlen)
			log_debug("aardvark-dns said: %s", errbuf);
		log_debug("started the DNS server %s on port %s", spec->binary, port);
		return 0;
	}
	if (WIFSIGNALED(status))
		log_debug("aardvark-dns was killed by signal %d", WTERMSIG(status));
	if (errlen)
		return berth_error_set(reterr, EIO,
				       "aardvark-dns failed to start: %s",
				       errbuf);
	return berth_error_set(reterr, EIO,
			       "aardvark-dns exited unexpectedly "
			       "without error message");
}

