/* SPDX-License-Identifier: Apache-2.0 */
/* Monotonic time for deadlines: every wait in berth has one. */
#pragma once

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC (the vDSO serves it: no syscall, no seccomp entry needed). */
static inline int64_t berth_now_ms(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
