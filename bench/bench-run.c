// SPDX-License-Identifier: Apache-2.0
/*
 * bench-run: run a command many times in a row and time each run, including
 * fork and exec, with CLOCK_MONOTONIC. Shell timing adds several ms of noise;
 * this adds a few tens of microseconds.
 *
 *   bench-run [-n NETNS] [-t SECONDS] [-e ERRLOG] -p PLAN -o OUT -- PROGRAM [FIXED ARGS...]
 *
 * -n NETNS   enter the network namespace NETNS (a path such as
 *            /run/netns/NAME) once, before the first run, the way
 *            `ip netns exec` does (setns, then a private mount namespace
 *            with /sys remounted so sysfs shows NETNS's devices). Every run
 *            is then a plain fork + exec inside NETNS: the ~5 ms of an
 *            `ip netns exec` per call are never measured. Without -n the
 *            runs happen in bench-run's own namespace.
 * -t SECONDS kill a run (SIGKILL) that takes longer; it is recorded with
 *            exit status 124 (default 60).
 * -e ERRLOG  append every run's stderr to ERRLOG (default /dev/null).
 *
 * PLAN has one run per line, fields separated by tabs:
 *   LABEL <tab> STDIN-FILE <tab> ARG [<tab> ARG ...]
 * Each run executes PROGRAM FIXED-ARGS... ARG... with STDIN-FILE on stdin and
 * stdout on /dev/null. OUT gets one line per run:
 *   LABEL <tab> SEQ <tab> MICROSECONDS <tab> EXIT-STATUS
 * Exit status: 0 when every run exited 0, 1 otherwise, 2 on usage or setup
 * errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-run [-n NETNS] [-t SECONDS] [-e ERRLOG] -p PLAN -o OUT -- "
			"PROGRAM [ARGS...]\n");
	exit(2);
}

/* what `ip netns exec` does once, so that the runs need nothing per call */
static int enter_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "bench-run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench-run: setns %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		fprintf(stderr, "bench-run: private mount namespace: %s\n", strerror(errno));
		return -1;
	}
	/* sysfs follows the netns of whoever mounts it; ignore a missing /sys */
	if (umount2("/sys", MNT_DETACH) == 0 && mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		fprintf(stderr, "bench-run: mount /sys: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* wait for PID for at most TIMEOUT_MS; kill it after that (status 124) */
static int wait_bounded(pid_t pid, int timeout_ms)
{
	int status = 0, pfd = (int) syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int r;

		while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
			;
		close(pfd);
		if (r == 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return 124;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	const char *plan_path = NULL, *out_path = NULL, *netns = NULL, *errlog = "/dev/null";
	char *args[MAX_ARGS + 1];
	int nfixed = 0, opt, failures = 0, timeout_s = 60;
	unsigned long seq = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *plan, *out;

	while ((opt = getopt(argc, argv, "+p:o:n:t:e:")) != -1) {
		switch (opt) {
		case 'p':
			plan_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'n':
			netns = optarg;
			break;
		case 't':
			timeout_s = atoi(optarg);
			if (timeout_s <= 0 || timeout_s > 3600)
				usage();
			break;
		case 'e':
			errlog = optarg;
			break;
		default:
			usage();
		}
	}
	if (!plan_path || !out_path || optind >= argc)
		usage();
	for (int i = optind; i < argc; i++) {
		if (nfixed >= MAX_ARGS / 2)
			usage();
		args[nfixed++] = argv[i];
	}

	plan = fopen(plan_path, "re");
	if (!plan) {
		fprintf(stderr, "bench-run: %s: %s\n", plan_path, strerror(errno));
		return 2;
	}
	out = fopen(out_path, "we");
	if (!out) {
		fprintf(stderr, "bench-run: %s: %s\n", out_path, strerror(errno));
		fclose(plan);
		return 2;
	}
	if (netns && enter_netns(netns) < 0) {
		fclose(plan);
		fclose(out);
		return 2;
	}

	while (getline(&line, &cap, plan) > 0) {
		char *save = NULL, *label, *input, *tok;
		int nargs = nfixed, status, in;
		long long t0, t1;
		pid_t pid;

		line[strcspn(line, "\n")] = '\0';
		label = strtok_r(line, "\t", &save);
		input = strtok_r(NULL, "\t", &save);
		if (!label || !input)
			continue;
		while ((tok = strtok_r(NULL, "\t", &save)) && nargs < MAX_ARGS)
			args[nargs++] = tok;
		args[nargs] = NULL;

		in = open(input, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			fprintf(stderr, "bench-run: %s: %s\n", input, strerror(errno));
			failures++;
			continue;
		}

		t0 = now_us();
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, "bench-run: fork: %s\n", strerror(errno));
			close(in);
			failures++;
			break;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			int err = open(errlog, O_WRONLY | O_APPEND | O_CREAT, 0644);

			if (null < 0 || err < 0 || dup2(in, 0) < 0 || dup2(null, 1) < 0 ||
			    dup2(err, 2) < 0)
				_exit(126);
			execv(args[0], args);
			_exit(127);
		}
		status = wait_bounded(pid, timeout_s * 1000);
		t1 = now_us();
		close(in);

		if (status != 0)
			failures++;
		fprintf(out, "%s\t%lu\t%lld\t%d\n", label, ++seq, t1 - t0, status);
	}

	free(line);
	fclose(plan);
	if (fclose(out) != 0) {
		fprintf(stderr, "bench-run: %s: %s\n", out_path, strerror(errno));
		return 2;
	}
	return failures ? 1 : 0;
}
