// SPDX-License-Identifier: Apache-2.0
/*
 * dns-seccomp-compare PID: is the seccomp filter of the running berth-dns
 * PID the filter dns/sandbox.c builds (and test-dns-sandbox exercises)?
 *
 * Reads the process's first filter with PTRACE_SECCOMP_GET_FILTER (root:
 * CAP_SYS_ADMIN and CAP_SYS_PTRACE), after PTRACE_SEIZE + PTRACE_INTERRUPT
 * (the tracee must be stopped; it is detached again at once; berth-dns
 * restarts an interrupted epoll_wait), and compares it byte by byte with
 * sandbox_seccomp_export_bpf(). Prints "identical: N instructions" and exits
 * 0, or says what differs and exits 1; 77 when ptrace is not permitted.
 */
#include "sandbox.h"

#include "basic/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

#define MAX_INSNS 4096 /* BPF_MAXINSNS */

static int read_expected(struct sock_filter *buf, size_t *ret_n)
{
	char path[] = "/tmp/berth-seccomp-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	unlink(path);
	if (sandbox_seccomp_export_bpf(fd) < 0 || fstat(fd, &st) < 0 ||
	    st.st_size % (off_t)sizeof(*buf) != 0 || st.st_size > (off_t)(MAX_INSNS * sizeof(*buf)) ||
	    pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		close(fd);
		return -EIO;
	}
	close(fd);
	*ret_n = (size_t)st.st_size / sizeof(*buf);
	return 0;
}

/* Stop the tracee (bounded wait), read filter 0, detach. */
static int read_running(pid_t pid, struct sock_filter *buf, size_t *ret_n)
{
	long n;
	int st, r = 0;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
		r = -errno;
		goto out;
	}
	for (int i = 0;; i++) {
		pid_t w = waitpid(pid, &st, __WALL | WNOHANG);
		if (w == pid && WIFSTOPPED(st))
			break;
		if (w < 0 || i >= 500) {
			r = w < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		struct timespec d = { 0, 10 * 1000 * 1000 };
		nanosleep(&d, NULL);
	}
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
	if (n < 0 || n > MAX_INSNS) {
		r = n < 0 ? -errno : -E2BIG;
		goto out;
	}
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, buf) != n) {
		r = -EIO;
		goto out;
	}
	*ret_n = (size_t)n;
out:
	(void)ptrace(PTRACE_DETACH, pid, 0, 0);
	return r;
}

int main(int argc, char **argv)
{
	static struct sock_filter want[MAX_INSNS], got[MAX_INSNS];
	size_t n_want = 0, n_got = 0;
	int r;

	log_set_level(LOG_LEVEL_OFF);
	if (argc != 2 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: %s PID\n", argv[0]);
		return 2;
	}
	r = read_expected(want, &n_want);
	if (r < 0) {
		fprintf(stderr, "building the expected filter: %s\n", strerror(-r));
		return 1;
	}
	r = read_running((pid_t)atoi(argv[1]), got, &n_got);
	if (r == -EPERM) {
		printf("ptrace not permitted: %s\n", strerror(-r));
		return 77;
	}
	if (r < 0) {
		fprintf(stderr, "reading the filter of %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	if (n_got != n_want || memcmp(got, want, n_want * sizeof(*want)) != 0) {
		printf("different: running %zu instructions, expected %zu\n", n_got, n_want);
		return 1;
	}
	printf("identical: %zu instructions\n", n_got);
	return 0;
}
