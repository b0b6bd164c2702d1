// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: capabilities, no_new_privs and the seccomp allowlist. See
 * sandbox.h for the stages. The capability calls are made directly
 * (capget/capset/prctl) so that berth-dns does not need libcap.
 */
#include "sandbox.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The allowlist. Every entry names who needs it; the "#syscalls" comments
 * next to the calls in the server files (server.c, udp.c, tcp.c, reload.c, ...)
 * and upstream.c point back here.
 */
static const struct {
	const char *name;
	const char *why;
} allowlist[] = {
	/* the loop (server.c) */
	{ "epoll_wait", "server_run(): waiting for events" },
	{ "epoll_pwait", "server_run(): glibc may implement epoll_wait with it" },
	{ "epoll_ctl", "registering connections and c-ares sockets" },
	{ "read", "signalfd, inotify, TCP connections, config files, c-ares TCP" },
	{ "readv", "c-ares TCP reads" },
	{ "recvfrom", "c-ares UDP answers" },
	{ "recvmmsg", "UDP queries, in batches (udp.c udp_readable)" },
	{ "sendmmsg", "UDP answers, in batches (udp.c udp_readable)" },
	{ "recvmsg", "c-ares UDP answers (some builds)" },
	{ "sendto", "forwarded UDP answers, TCP send(), c-ares queries, syslog" },
	{ "sendmsg", "c-ares (some builds), syslog" },
	{ "write", "TCP answers, stderr before the switch to syslog" },
	{ "writev", "c-ares TCP queries (length prefix + message)" },
	{ "accept4", "TCP clients" },
	{ "close", "connections, c-ares sockets, files" },
	{ "shutdown", "c-ares closing TCP connections" },
	/* sockets: new listeners after a reload, c-ares upstream sockets, syslog */
	{ "socket", "listeners (reload), c-ares upstream sockets, syslog (AF_UNIX)" },
	{ "bind", "listeners added by a reload" },
	{ "listen", "TCP listeners added by a reload" },
	{ "setsockopt", "IPV6_V6ONLY/SO_REUSEADDR on listeners; c-ares socket options" },
	{ "getsockopt", "c-ares: SO_ERROR after a non-blocking TCP connect" },
	{ "getsockname", "c-ares: checks the local address of its UDP sockets" },
	{ "getpeername", "c-ares: compares the answer's source with the server" },
	{ "connect", "c-ares upstream sockets, syslog /dev/log" },
	{ "fcntl", "c-ares: O_NONBLOCK and FD_CLOEXEC on its sockets" },
	{ "ioctl", "c-ares: FIONBIO/FIONREAD on its sockets" },
	/* reloads: resolv.conf and the config directory (dns_tables_build) */
	{ "openat", "config files, resolv.conf, c-ares channel init, /etc/localtime" },
	{ "getdents64", "listing the config directory" },
	{ "newfstatat", "fstat()/stat() of config files" },
	{ "fstat", "stdio buffers (c-ares reads files with stdio)" },
	{ "statx", "stat() on newer glibc" },
	{ "lseek", "stdio" },
	{ "unlink", "removing the pid file after the last network is gone" },
	{ "unlinkat", "the same, as newer glibc issues it" },
	{ "getrandom", "c-ares query ids, malloc tcache randomisation" },
	{ "inotify_add_watch", "re-watching resolv.conf after it changed or was replaced" },
	{ "inotify_rm_watch", "dropping the watch on a replaced resolv.conf" },
	/* memory */
	{ "brk", "malloc" },
	{ "mmap", "malloc of large blocks" },
	{ "munmap", "free of large blocks" },
	{ "mremap", "realloc of large blocks" },
	{ "madvise", "free() trimming" },
	{ "mprotect", "malloc growing a non-main heap" },
	/* time, process, signals */
	{ "clock_gettime", "deadlines (when the vDSO is unavailable)" },
	{ "gettimeofday", "c-ares timeouts (when the vDSO is unavailable)" },
	{ "getpid", "syslog lines carry the pid" },
	{ "rt_sigprocmask", "glibc internals (abort, syslog)" },
	{ "rt_sigreturn", "returning from a signal handler (sanitizers, SIGPIPE ignored)" },
	{ "futex", "glibc locks (stdio, syslog)" },
	{ "restart_syscall", "restarting an interrupted call" },
	{ "exit", "thread exit" },
	{ "exit_group", "process exit" },
};

unsigned sandbox_allowlist_size(void)
{
	return (unsigned)ARRAY_SIZE(allowlist);
}

static int cap_last(void)
{
	/* Probe instead of reading /proc: PR_CAPBSET_READ fails past the last one. */
	int c = 0;
	while (c < 64 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

static void drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	const unsigned keep = CAP_NET_BIND_SERVICE; /* < 32: lives in data[0] */
	int last = cap_last();
	unsigned dropped_bset = 0;

	for (int c = 0; c <= last; c++) {
		if ((unsigned)c == keep)
			continue;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
			dropped_bset++;
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0) {
		log_warn("capget: %m, keeping capabilities");
		return;
	}
	uint32_t bit = 1u << keep;
	data[0].permitted &= bit;
	data[0].effective = data[0].permitted;
	data[0].inheritable = 0;
	data[1].permitted = data[1].effective = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) < 0) {
		log_warn("capset: %m, keeping capabilities");
		return;
	}
	log_debug("capabilities dropped (bounding set: %u removed), kept: %s", dropped_bset,
		  data[0].permitted ? "CAP_NET_BIND_SERVICE" : "none");
}

/* The allowlist as a libseccomp filter (default action: EPERM). */
static int seccomp_build(scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx;
	int r;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(allowlist); i++) {
		int nr = seccomp_syscall_resolve_name(allowlist[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture (e.g. no "unlink" on arm64) */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			log_debug("seccomp_rule_add(%s): %s", allowlist[i].name, strerror(-r));
			seccomp_release(ctx);
			return r;
		}
	}
	*ret = ctx;
	return 0;
}

int sandbox_seccomp_install(void)
{
	scmp_filter_ctx ctx;
	int r = seccomp_build(&ctx);

	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int sandbox_seccomp_export_bpf(int fd)
{
	scmp_filter_ctx ctx;
	int r = seccomp_build(&ctx);

	if (r < 0)
		return r;
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	return r;
}

int sandbox_apply(bool seccomp)
{
	drop_capabilities();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		log_warn("PR_SET_NO_NEW_PRIVS: %m, ignoring");
	if (!seccomp) {
		log_info("seccomp filter disabled");
		return 0;
	}
	int r = sandbox_seccomp_install();
	if (r < 0)
		log_warn("cannot install the seccomp filter: %s, continuing without it", strerror(-r));
	else
		log_debug("seccomp allowlist of %u syscalls installed", sandbox_allowlist_size());
	return 0;
}
