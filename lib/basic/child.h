/* SPDX-License-Identifier: Apache-2.0 */
/* Reaping a child process within a deadline, without sleeping in slices. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* A pidfd for pid (close-on-exec), or -1 when the kernel has none (< 5.3). */
int berth_pidfd_open(pid_t pid);

/*
 * Reap the child pid, waiting until deadline (berth_now_ms()'s clock): with a
 * pidfd (>= 0, from berth_pidfd_open) by poll() on it, so the wait ends the
 * moment the child exits; without one by 1 ms retries. 0 with *status set,
 * -ETIMEDOUT when it still runs at the deadline (it is neither killed nor
 * reaped: the caller decides), or -errno from waitpid.
 */
int berth_child_wait(pid_t pid, int pidfd, int64_t deadline, int *status);
