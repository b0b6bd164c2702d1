// SPDX-License-Identifier: Apache-2.0
/* See engine.h. */
#include "engine.h"
#include "container.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

char *eng_path(const char *base, const char *fmt, ...)
{
	_cleanup_free_ char *rel = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&rel, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = NULL;
	if (asprintf(&s, "%s/%s", base, rel) < 0)
		return NULL;
	return s;
}

int eng_lock(struct eng_ctx *ctx, struct berth_error **reterr)
{
	if (ctx->lock_fd >= 0)
		return 0;
	int r = mkdir_p(ctx->root, 0700);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "create %s", ctx->root);
	_cleanup_free_ char *p = eng_path(ctx->root, "lock");
	if (!p)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int fd = lock_file_timeout(p, ENG_LOCK_TIMEOUT_MS);
	if (fd == -ETIMEDOUT)
		return berth_error_set(reterr, ETIMEDOUT,
				       "the engine lock %s is held by another berth command "
				       "(waited %d s)",
				       p, ENG_LOCK_TIMEOUT_MS / 1000);
	if (fd < 0)
		return berth_error_errno(reterr, fd, BERTH_ERR_IO, "lock %s", p);
	ctx->lock_fd = fd;
	/* what a killed command left half done is finished or undone first */
	eng_journal_recover(ctx);
	return 0;
}

void eng_unlock(struct eng_ctx *ctx)
{
	if (ctx->lock_fd >= 0)
		(void)close(ctx->lock_fd);
	ctx->lock_fd = -1;
}

int eng_fail(const struct berth_error *e)
{
	_cleanup_free_ char *t = e ? berth_error_text(e) : NULL;
	fprintf(stderr, "Error: %s\n", t ? t : "unknown error");
	return ENG_EXIT_ERROR;
}

int eng_usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "Error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'berth %s --help'.\n", cmd);
	return ENG_EXIT_ERROR;
}

int eng_random_id(char buf[65])
{
	unsigned char b[32];
	size_t got = 0;
	for (int tries = 0; got < sizeof(b) && tries < 16; tries++) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			got += (size_t)n;
	}
	if (got < sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(buf + 2 * i, "%02x", b[i]);
	return 0;
}

/* Deeper than any tree berth makes (image layers: IMG_MAX_DEPTH 128). */
#define ENG_MAX_RM_DEPTH 256

static int rm_rf_fd(int dfd, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > ENG_MAX_RM_DEPTH)
		return -ELOOP;
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		(void)close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			r = -errno;
			continue;
		}
		int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			r = -errno;
			continue;
		}
		int k = rm_rf_fd(sub, depth + 1);
		(void)close(sub);
		if (k < 0)
			r = k;
		else if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

int eng_rm_rf_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = rm_rf_fd(fd, 0);
	(void)close(fd);
	if (r < 0)
		return r;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void eng_now_rfc3339(char buf[64])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 64 - n, ".%09ldZ", ts.tv_nsec);
}
