// SPDX-License-Identifier: Apache-2.0
#include "fileio.h"

#include "cleanup.h"
#include "time-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int read_fd_limited(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > max)
				return -EFBIG;
			cap *= 2;
			char *n = realloc(buf, cap + 1);
			if (!n)
				return -ENOMEM;
			buf = n;
		}
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_file_limited(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_fd_limited(fd, max, ret, ret_len);
}

int fd_wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int lock_file_timeout(const char *path, unsigned timeout_ms)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;

	/*
	 * No signal handler (a library must not own SIGALRM): try without
	 * blocking, and between tries wait 1 ms doubling up to 16 ms, until
	 * the deadline. The holders are short operations, so the wait after
	 * a release is short too.
	 */
	int64_t deadline = berth_now_ms() + timeout_ms;
	unsigned wait_us = 1000;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return TAKE_FD(fd);
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		int64_t left = deadline - berth_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		unsigned us = (int64_t)wait_us > left * 1000 ? (unsigned)(left * 1000) : wait_us;
		struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
		(void)nanosleep(&ts, NULL);
		if (wait_us < 16000)
			wait_us *= 2;
	}
}

int mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

#define ATOMIC_TMP_TRIES 16

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
			 unsigned mode)
{
	char tmp[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	int r;

	if (!name || !*name || name[0] == '.' || strchr(name, '/') || (!data && len))
		return -EINVAL;
	if (strlen(name) + 11 > NAME_MAX)
		return -ENAMETOOLONG;
	for (unsigned attempt = 0;; attempt++) {
		struct timespec ts;
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned long v = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
				  (attempt * 2654435761u);
		snprintf(tmp, sizeof(tmp), ".%s.%08lx", name, v & 0xffffffffUL);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    mode & 07777);
		if (fd >= 0)
			break;
		if (errno != EEXIST || attempt + 1 >= ATOMIC_TMP_TRIES)
			return -errno;
	}
	r = write_all(fd, data, len);
	/* exactly `mode`, whatever the umask */
	if (r >= 0 && fchmod(fd, mode & 07777) < 0)
		r = -errno;
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return r;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char dir[PATH_MAX];
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (!path || !*path)
		return -EINVAL;
	if (!slash)
		return write_file_atomic_at(AT_FDCWD, path, data, len, mode);
	size_t n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	if (n == 0)
		n = 1; /* "/name" */
	memcpy(dir, path, n);
	dir[n] = '\0';
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return write_file_atomic_at(dfd, slash + 1, data, len, mode);
}
