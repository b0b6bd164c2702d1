// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: command line, start-up handshake and daemonisation.
 *
 *   berth-dns [-c|--config DIR] [-p|--port PORT] [-f|--filter-search-domain D] run
 *   berth-dns version | --version | -V
 *
 * `run` forks. The child reads the configuration, binds every listener,
 * writes <config>/aardvark.pid, detaches (setsid, stdio to /dev/null, logs to
 * syslog when /dev/log exists), sandboxes itself and writes one byte into a
 * pipe. The parent exits 0 when it reads that byte and 1 ("Error from child
 * process") when the pipe closes first or nothing arrives within 10 s; the
 * child's own error text has reached the same stderr by then.
 */
#include "sandbox.h"
#include "resolve.h"
#include "server.h"

#include "berth-config.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "dnsconf/aardvark.h"
#include "net/ipaddr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000
#define DEFAULT_PORT 5533

static const char *arg_config;
static uint16_t arg_port = DEFAULT_PORT;
static char *arg_search;

static void close_inherited_fds(void)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	/* Kernels before 5.9: walk /proc/self/fd (collect first, then close). */
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		for (int fd = 3; fd < 1024; fd++)
			(void)close(fd);
		return;
	}
	int dfd = dirfd(d), fds[256];
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d)) && n < ARRAY_SIZE(fds);) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end == '\0' && end != de->d_name && fd >= 3 && fd != dfd)
			fds[n++] = (int)fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		(void)close(fds[i]);
}

/* ---- syslog sink: log.c writes whole lines to stderr; we re-point stderr. */

static ssize_t syslog_write(void *cookie, const char *buf, size_t size)
{
	size_t off = 0;

	while (off < size) {
		const char *line = buf + off, *nl = memchr(line, '\n', size - off);
		size_t len = nl ? (size_t)(nl - line) : size - off;
		int prio = LOG_INFO;

		off += len + (nl ? 1 : 0);
		if (len >= 6 && line[0] == '[') {
			if (!strncmp(line + 1, "ERROR", 5))
				prio = LOG_ERR;
			else if (!strncmp(line + 1, "WARN", 4))
				prio = LOG_WARNING;
			else if (!strncmp(line + 1, "DEBUG", 5) || !strncmp(line + 1, "TRACE", 5))
				prio = LOG_DEBUG;
			/* drop "[LEVEL target] ": syslog has its own ident and priority */
			const char *end = memchr(line, ']', len);
			if (end && (size_t)(end - line) + 2 <= len) {
				len -= (size_t)(end - line) + 2;
				line = end + 2;
			}
		}
		if (len > 0)
			syslog(prio, "%.*s", (int)len, line);
	}
	return (ssize_t)size;
}

static void log_to_syslog(void)
{
	struct stat st;
	FILE *f;

	if (stat("/dev/log", &st) < 0 || !S_ISSOCK(st.st_mode))
		return; /* stderr is /dev/null now: as aardvark without syslog */
	f = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = syslog_write });
	if (!f)
		return;
	setvbuf(f, NULL, _IOLBF, 0);
	openlog("berth-dns", LOG_PID | LOG_NDELAY, LOG_USER);
	stderr = f;
}

/* ---- the handshake */

static int daemon_main(int ready_fd)
{
	_cleanup_free_ char *pid_file = NULL;
	struct server *s = NULL;
	const char *resolv = getenv("BERTH_DNS_RESOLV_CONF");
	struct server_config cfg = {
		.config_dir = arg_config,
		.port = arg_port,
		.search_domain = arg_search,
		.no_proxy = getenv("AARDVARK_NO_PROXY") != NULL,
		.resolv_conf = resolv && *resolv ? resolv : "/etc/resolv.conf",
	};
	bool seccomp = !getenv("BERTH_DNS_NO_SECCOMP");
	int r, devnull;

#if defined(__SANITIZE_ADDRESS__)
	seccomp = false; /* the sanitizer runtime needs syscalls of its own */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	seccomp = false;
#endif
#endif
	if (asprintf(&pid_file, "%s/%s", arg_config, ADV_PID_FILE) < 0)
		return log_error("out of memory"), 1;
	cfg.pid_file = pid_file;

	r = server_new(&cfg, &s);
	if (r < 0)
		return 1;
	if (server_n_listeners(s) == 0) {
		/* As aardvark-dns: nothing to serve is a successful start and an exit. */
		log_info("no network with a listen address in '%s', exiting", arg_config);
		(void)unlink(pid_file);
		server_free(s);
		(void)!write(ready_fd, "1", 1);
		return 0;
	}
	if (server_write_pid_file(s) < 0) {
		server_free(s);
		return 1;
	}
	if (setsid() < 0)
		log_warn("setsid: %m, ignoring");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		fflush(stderr);
		(void)dup2(devnull, STDIN_FILENO);
		(void)dup2(devnull, STDOUT_FILENO);
		(void)dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	log_to_syslog();
	(void)sandbox_apply(seccomp);
	if (write(ready_fd, "1", 1) != 1)
		log_warn("telling the parent we are ready: %m");
	close(ready_fd);

	r = server_run(s);
	server_free(s);
	return r < 0 ? 1 : r;
}

static int cmd_run(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_error("pipe: %m");
		return 1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_error("fork: %m");
		return 1;
	}
	if (pid == 0) {
		close(p[0]);
		_exit(daemon_main(p[1]));
	}
	close(p[1]);

	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	char byte;
	ssize_t n = 0;
	int r;
	do
		r = poll(&pfd, 1, START_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		do
			n = read(p[0], &byte, 1);
		while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 1)
		return 0;
	if (r == 0) {
		log_error("child process did not become ready within %d s", START_TIMEOUT_MS / 1000);
		(void)kill(pid, SIGKILL);
	}
	(void)waitpid(pid, NULL, 0);
	fprintf(stderr, "Error from child process\n");
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: berth-dns [OPTIONS] <COMMAND>\n"
		   "\n"
		   "Commands:\n"
		   "  run      start the DNS server (forks; exits 0 once it serves)\n"
		   "  version  print version information as JSON\n"
		   "\n"
		   "Options:\n"
		   "  -c, --config <DIR>                  aardvark-dns config directory\n"
		   "  -p, --port <PORT>                   listen port, UDP and TCP [default: %u]\n"
		   "  -f, --filter-search-domain <DOMAIN> search domain [default: .dns.podman]\n"
		   "  -h, --help                          this text\n"
		   "  -V, --version                       print the version\n",
		DEFAULT_PORT);
}

/* ".dns.podman." -> "dns.podman" */
static char *normalise_domain(const char *d)
{
	size_t len;
	while (*d == '.')
		d++;
	len = strlen(d);
	while (len > 0 && d[len - 1] == '.')
		len--;
	char *s = strndup(d, len);
	for (char *p = s; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "filter-search-domain", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	static const char *const targets[] = { "aardvark_dns", "berth_dns", NULL };
	const char *search = "." DNS_DEFAULT_SEARCH;
	const char *spec;
	int c, r;

	close_inherited_fds();
	signal(SIGPIPE, SIG_IGN);
	log_set_target("berth_dns");
	spec = getenv("BERTH_LOG");
	if (!spec || !*spec)
		spec = getenv("RUST_LOG");
	if (spec && *spec) {
		r = log_level_parse(spec, targets);
		if (r >= 0)
			log_set_level((enum log_level)r);
	}

	while ((c = getopt_long(argc, argv, "c:p:f:hV", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			break;
		case 'p': {
			uint32_t v;
			if (berth_parse_u32(optarg, &v) < 0 || v == 0 || v > 65535) {
				fprintf(stderr, "error: invalid port '%s'\n", optarg);
				return 2;
			}
			arg_port = (uint16_t)v;
			break;
		}
		case 'f':
			search = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("berth-dns %s (aardvark-dns compatible)\n", BERTH_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (streq(argv[optind], "version")) {
		printf("{\n  \"version\": \"%s\",\n  \"commit\": \"\",\n  \"build_time\": \"\",\n"
		       "  \"target\": \"berth-dns (aardvark-dns compatible)\"\n}\n",
		       BERTH_VERSION);
		return 0;
	}
	if (!streq(argv[optind], "run")) {
		fprintf(stderr, "error: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!arg_config) {
		fprintf(stderr, "error: --config <DIR> is required\n");
		return 2;
	}
	arg_search = normalise_domain(search);
	if (!arg_search) {
		log_error("out of memory");
		return 1;
	}
	r = cmd_run();
	free(arg_search);
	return r;
}
