/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* Read a whole file of at most max bytes (NUL-terminated). -EFBIG when larger. */
int read_file_limited(const char *path, size_t max, char **ret, size_t *ret_len);
/* Read all of a file descriptor (stdin) up to max bytes. -EFBIG when larger. */
int read_fd_limited(int fd, size_t max, char **ret, size_t *ret_len);
/*
 * Wait until fd is readable, at most timeout_ms (0 = just look), retrying on
 * EINTR. 0 when readable, -ETIMEDOUT when the time ran out, or -errno.
 */
int fd_wait_readable(int fd, int timeout_ms);

/*
 * Take an exclusive flock() on path (created 0600 if missing, close-on-exec),
 * waiting at most timeout_ms. Returns the fd holding the lock, -ETIMEDOUT when
 * the wait runs out, or another -errno.
 */
int lock_file_timeout(const char *path, unsigned timeout_ms);

/* mkdir -p with the given mode (existing directories are fine). */
int mkdir_p(const char *path, unsigned mode);

/*
 * Replace the file `name` in the directory dirfd (AT_FDCWD for the current
 * one) with data, atomically: a temporary ".<name>.<8 hex digits>" is created
 * O_EXCL in the same directory with exactly `mode`, written and renamed
 * over `name`, so a reader sees the old or the new content, never half of it
 * (readers of such directories skip dot files). Not fsync'ed: what berth
 * writes (state records, aardvark-dns entries, saved tuning values)
 * describes kernel state that does not survive a reboot either, and an
 * fsync costs a setup milliseconds where /run is on disk. On failure the
 * temporary is removed and the old file is untouched. name must not be
 * empty, start with '.' or contain '/' (-EINVAL).
 */
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
			 unsigned mode);
/* write_file_atomic_at() on the directory and last component of path. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
