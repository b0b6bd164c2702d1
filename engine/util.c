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
#include <sys/random.h>

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
