/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Skipped subtests of the live tests, in TAP that meson counts as skipped.
 *
 * cmocka 1.1.5 (Debian 12) prints a skip() as "not ok N # SKIP name", which
 * TAP consumers (meson among them) count as a failure, and it has no place for
 * the reason. live_tap_run() therefore runs the cmocka group in a child whose
 * stdout is a pipe, and rewrites each such line as "ok N - name # SKIP reason"
 * (the reason given to live_skip()); every other line passes unchanged. Outside
 * TAP mode it just runs the group.
 *
 * Include after <cmocka.h>.
 */
#ifndef BERTH_TESTS_LIVE_TAP_H
#define BERTH_TESTS_LIVE_TAP_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE_TAP_REASON "# live-skip-reason: "

/* live_skip(fmt, ...): skip the running subtest, saying why. */
#define live_skip(...)                                                                             \
	do {                                                                                       \
		char reason_[256];                                                                 \
		snprintf(reason_, sizeof(reason_), __VA_ARGS__);                                   \
		print_message(LIVE_TAP_REASON "%s\n", reason_);                                    \
		skip();                                                                            \
	} while (0)

static inline bool live_tap_mode(void)
{
	const char *out = getenv("CMOCKA_MESSAGE_OUTPUT");
	return out && strcasecmp(out, "TAP") == 0;
}

/* Copy the child's TAP from @in to stdout, rewriting cmocka's skip lines. */
static inline void live_tap_filter(FILE *in)
{
	char *line = NULL, reason[256] = "";
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, in)) > 0) {
		unsigned int num;
		int name_at = 0;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (strncmp(line, LIVE_TAP_REASON, strlen(LIVE_TAP_REASON)) == 0) {
			snprintf(reason, sizeof(reason), "%s", line + strlen(LIVE_TAP_REASON));
			continue;
		}
		if (sscanf(line, "not ok %u # SKIP %n", &num, &name_at) == 1 && name_at > 0) {
			printf("ok %u - %s # SKIP %s\n", num, line + name_at,
			       reason[0] ? reason : "(no reason given)");
			reason[0] = '\0';
		} else {
			if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0)
				reason[0] = '\0';
			printf("%s\n", line);
		}
		fflush(stdout);
	}
	free(line);
}

/*
 * live_tap_run(tests, setup, teardown): cmocka_run_group_tests() with skips
 * rewritten as above. Returns the group's exit status (128 + signal when the
 * child died of one).
 */
#define live_tap_run(tests, setup, teardown)                                                       \
	live_tap_run_((tests), sizeof(tests) / sizeof((tests)[0]), (setup), (teardown))

static inline int live_tap_run_(const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
				CMFixtureFunction teardown)
{
	int p[2], status;
	pid_t pid;

	if (!live_tap_mode())
		return _cmocka_run_group_tests("tests", tests, n, setup, teardown);
	fflush(stdout);
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "pipe2: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		/* dup2() leaves the new stdout without FD_CLOEXEC */
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(1);
		close(p[0]);
		close(p[1]);
		_exit(_cmocka_run_group_tests("tests", tests, n, setup, teardown));
	}
	close(p[1]);
	FILE *in = fdopen(p[0], "r");
	if (!in) {
		close(p[0]);
	} else {
		live_tap_filter(in);
		fclose(in);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif
