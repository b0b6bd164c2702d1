// SPDX-License-Identifier: Apache-2.0
/*
 * dns/sandbox.c: the seccomp allowlist at work. A forked child installs the
 * filter berth-dns installs (sandbox_seccomp_install()) and tries calls off
 * the list, which must fail with EPERM (not kill the process), and calls on
 * it, which must keep working. The results come back over a pipe (write is
 * on the list); the child leaves by exit_group (on the list too).
 */
#include "sandbox.h"

#include "basic/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum check {
	C_INSTALL,   /* sandbox_seccomp_install() */
	/* off the list: -1 / EPERM */
	C_GETUID,
	C_UNAME,
	C_MKDIRAT,   /* would be ENOENT without the filter */
	C_KILL,      /* kill(self, 0): would succeed */
	C_CHDIR,
	C_SETSID,
	/* on the list: work */
	C_GETPID,
	C_OPENAT,
	C_CLOSE,
	C_SOCKET,
	C_CLOCK,
	C_N,
};

/* errno of a call that failed, 0 for one that worked. */
static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

static void child(int wfd, pid_t pid)
{
	int res[C_N];
	char ubuf[512];
	struct timespec ts;

	memset(res, 0xff, sizeof(res));
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	res[C_INSTALL] = -sandbox_seccomp_install();
	/* raw syscalls: no libc caching or emulation in between */
	res[C_GETUID] = err_of(syscall(SYS_getuid));
	res[C_UNAME] = err_of(syscall(SYS_uname, ubuf));
	res[C_MKDIRAT] = err_of(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-berth-test/x", 0700));
	res[C_KILL] = err_of(syscall(SYS_kill, pid, 0));
	res[C_CHDIR] = err_of(syscall(SYS_chdir, "/"));
	res[C_SETSID] = err_of(syscall(SYS_setsid));
	long p = syscall(SYS_getpid);
	res[C_GETPID] = p == pid ? 0 : p < 0 ? errno : -1;
	long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
	res[C_OPENAT] = err_of(fd);
	res[C_CLOSE] = fd >= 0 ? err_of(syscall(SYS_close, fd)) : -1;
	long s = syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	res[C_SOCKET] = err_of(s);
	if (s >= 0)
		(void)syscall(SYS_close, s);
	res[C_CLOCK] = err_of(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
	/*
	 * Leave by raw exit_group: _exit() is noreturn, and a sanitizer build
	 * runs its own code (sigaltstack, off the list) before noreturn calls.
	 */
	long w = syscall(SYS_write, wfd, res, sizeof(res));
	for (;;)
		(void)syscall(SYS_exit_group, w == (long)sizeof(res) ? 0 : 3);
}

/* Wait for the child with a bound (it cannot block, but a test never waits forever). */
static int reap(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		struct timespec d = { 0, 10 * 1000 * 1000 };
		nanosleep(&d, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fail_msg("child did not finish within 5 s");
	return -1;
}

static void test_filter_in_child(void **state)
{
	int p[2], res[C_N];
	pid_t me, pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(p[1], getpid());
	}
	me = pid;
	close(p[1]);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	n = read(p[0], res, sizeof(res));
	close(p[0]);
	int st = reap(me);
	assert_int_equal(n, (ssize_t)sizeof(res));
	/* The filter loaded, and the process lived to report (EPERM, not kill). */
	assert_int_equal(res[C_INSTALL], 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	assert_int_equal(res[C_GETUID], EPERM);
	assert_int_equal(res[C_UNAME], EPERM);
	assert_int_equal(res[C_MKDIRAT], EPERM);
	assert_int_equal(res[C_KILL], EPERM);
	assert_int_equal(res[C_CHDIR], EPERM);
	assert_int_equal(res[C_SETSID], EPERM);

	assert_int_equal(res[C_GETPID], 0);
	assert_int_equal(res[C_OPENAT], 0);
	assert_int_equal(res[C_CLOSE], 0);
	assert_int_equal(res[C_SOCKET], 0);
	assert_int_equal(res[C_CLOCK], 0);
}

/* The same calls without the filter: the "off the list" ones are not EPERM by themselves. */
static void test_control_without_filter(void **state)
{
	char ubuf[512];

	assert_true(syscall(SYS_getuid) >= 0);
	assert_int_equal(syscall(SYS_uname, ubuf), 0);
	assert_int_equal(err_of(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-berth-test/x", 0700)),
			 ENOENT);
	assert_int_equal(syscall(SYS_kill, getpid(), 0), 0);
}

static void test_export(void **state)
{
	char path[] = "/tmp/berth-sandbox-bpf-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);
	struct stat st;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(sandbox_seccomp_export_bpf(fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	/* Classic BPF: whole instructions, at least one per allowed syscall. */
	assert_int_equal(st.st_size % sizeof(struct sock_filter), 0);
	assert_true((size_t)st.st_size / sizeof(struct sock_filter) > sandbox_allowlist_size());
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_without_filter),
		cmocka_unit_test(test_filter_in_child),
		cmocka_unit_test(test_export),
	};
	log_set_level(LOG_LEVEL_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
