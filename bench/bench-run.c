// SPDX-License-Identifier: Apache-2.0
/*
 * bench-run: run a command many times in a row and time each run, including
 * fork and exec, with CLOCK_MONOTONIC. Shell timing adds several ms of noise;
 * this adds a few tens of microseconds.
 *
 *   bench-run -p PLAN -o OUT -- PROGRAM [FIXED ARGS...]
 *
 * PLAN has one run per line, fields separated by tabs:
 *   LABEL <tab> STDIN-FILE <tab> ARG [<tab> ARG ...]
 * Each run executes PROGRAM FIXED-ARGS... ARG... with STDIN-FILE on stdin and
 * stdout/stderr on /dev/null. OUT gets one line per run:
 *   LABEL <tab> SEQ <tab> MICROSECONDS <tab> EXIT-STATUS
 * Exit status: 0 when every run exited 0, 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	fprintf(stderr, "usage: bench-run -p PLAN -o OUT -- PROGRAM [ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *plan_path = NULL, *out_path = NULL;
	char *args[MAX_ARGS + 1];
	int nfixed = 0, opt, failures = 0;
	unsigned long seq = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *plan, *out;

	while ((opt = getopt(argc, argv, "p:o:")) != -1) {
		switch (opt) {
		case 'p':
			plan_path = optarg;
			break;
		case 'o':
			out_path = optarg;
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

	while (getline(&line, &cap, plan) > 0) {
		char *save = NULL, *label, *input, *tok;
		int nargs = nfixed, status = 0, in;
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

			if (null < 0 || dup2(in, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
				_exit(126);
			execv(args[0], args);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		t1 = now_us();
		close(in);

		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
