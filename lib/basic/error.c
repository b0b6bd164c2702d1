// SPDX-License-Identifier: Apache-2.0
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int errnum_abs(int e)
{
	if (e < 0)
		e = -e;
	return e ? e : EIO;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (!fmt)
		return NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static int error_store(struct berth_error **reterr, int errnum, char *msg)
{
	errnum = errnum_abs(errnum);
	if (!reterr) {
		free(msg);
		return -errnum;
	}
	berth_error_free(*reterr);
	*reterr = NULL;
	struct berth_error *e = calloc(1, sizeof(*e));
	if (!e) {
		free(msg);
		return -errnum;
	}
	e->errnum = errnum;
	e->msg = msg ? msg : strdup("out of memory");
	*reterr = e;
	return -errnum;
}

int berth_error_set(struct berth_error **reterr, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	return error_store(reterr, errnum, msg);
}

int berth_error_errno(struct berth_error **reterr, int errnum, enum berth_err_kind kind,
		      const char *fmt, ...)
{
	va_list ap;
	errnum = errnum_abs(errnum);
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);

	const char *sep = ctx ? ": " : "";
	const char *c = ctx ? ctx : "";
	char *msg = NULL;
	int r;
	switch (kind) {
	case BERTH_ERR_IO:
		r = asprintf(&msg, "%s%sIO error: %s (os error %d)", c, sep, strerror(errnum),
			     errnum);
		break;
	case BERTH_ERR_NETLINK:
		r = asprintf(&msg, "%s%sNetlink error: %s (os error %d)", c, sep,
			     strerror(errnum), errnum);
		break;
	case BERTH_ERR_PLAIN:
	default:
		r = asprintf(&msg, "%s%s%s", c, sep, strerror(errnum));
		break;
	}
	free(ctx);
	if (r < 0)
		msg = NULL;
	return error_store(reterr, errnum, msg);
}

int berth_error_wrap(struct berth_error **reterr, const char *fmt, ...)
{
	va_list ap;
	if (!reterr)
		return -EIO;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	if (!*reterr)
		return error_store(reterr, EIO, ctx);
	char *msg = NULL;
	if (ctx && asprintf(&msg, "%s: %s", ctx, (*reterr)->msg) >= 0) {
		free((*reterr)->msg);
		(*reterr)->msg = msg;
	}
	free(ctx);
	return -(*reterr)->errnum;
}

void berth_error_free(struct berth_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

char *berth_strappendf(char *s, const char *fmt, ...)
{
	va_list ap;
	char *add = NULL, *out = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (r < 0) {
		free(s);
		return NULL;
	}
	if (!s)
		return add;
	r = asprintf(&out, "%s%s", s, add);
	free(s);
	free(add);
	return r < 0 ? NULL : out;
}
