/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a helper program: fork + exec with the bytes for its stdin, its
 * stdout collected up to a bound (the rest read and dropped, so it never
 * blocks on a full pipe), its stderr passed through or redirected, a
 * deadline after which it is killed, and the child always reaped.
 *
 * Used by every front end that calls another program over a protocol on
 * stdin/stdout: the bridge plugin's IPAM delegate, the engine's calls to
 * its network backends (netavark protocol, CNI plugins) and its OCI
 * runtime. Every descriptor the parent holds is close-on-exec, so the
 * child gets exactly fds 0, 1 and 2.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_proc_spec {
	const char *path;	/* contains '/': run as is; otherwise looked up in $PATH */
	char *const *argv;	/* argv[0] included */
	char *const *set_env;	/* "K=V" entries set on top of the environment; may be NULL */
	const void *input;	/* stdin bytes (copied by reference: valid until finish) */
	size_t input_len;
	bool inherit_stdin;	/* input NULL: inherit stdin instead of /dev/null */
	size_t max_output;	/* bytes of stdout kept; 0: stdout inherited, not collected */
	int stdout_fd;		/* with max_output 0: > 0 redirects stdout there; 0 inherits */
	int stderr_fd;		/* > 0: stderr goes there; 0: inherited */
	int timeout_ms;		/* > 0 */
};

struct berth_proc;

/* Fork and exec. -errno (-ENOENT when path is not found or not executable). */
int berth_proc_start(const struct berth_proc_spec *s, struct berth_proc **ret);
pid_t berth_proc_pid(const struct berth_proc *p);

/*
 * Feed stdin, collect stdout until it closes, reap. On 0, *ret_status is
 * the wait status, *ret_out (may be NULL) the NUL-terminated output, which
 * the caller frees, *ret_len (may be NULL) its length. -ETIMEDOUT when the
 * deadline ran out (the child was killed and reaped). p is freed.
 */
int berth_proc_finish(struct berth_proc *p, char **ret_out, size_t *ret_len, int *ret_status);

/* Kill (SIGKILL) and reap a started child that will not be finished; NULL is fine. */
void berth_proc_free(struct berth_proc *p);

/* start + finish. */
int berth_proc_run(const struct berth_proc_spec *s, char **ret_out, size_t *ret_len,
		   int *ret_status);

/* Exit code of a wait status: WEXITSTATUS, or 128 + signal. */
int berth_proc_exit_code(int status);
