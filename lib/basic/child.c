// SPDX-License-Identifier: Apache-2.0
#include "child.h"

#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "time-util.h"

int berth_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	/* pidfds are close-on-exec by definition */
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

int berth_child_wait(pid_t pid, int pidfd, int64_t deadline, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		int64_t left = deadline - berth_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			(void)poll(&p, 1, left > 60000 ? 60000 : (int)left);
		} else {
			(void)poll(NULL, 0, 1);
		}
	}
}
