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

static char *__attribute__((format(printf, 1, 0))) vformat(const char *fmt, va_list ap)
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
	if (!e->msg) {
		free(e);
		return -errnum;
	}
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

static int error_store_kind(struct berth_error **reterr, int errnum, int kind, char *msg)
{
	int r = error_store(reterr, errnum, msg);
	if (reterr && *reterr)
		(*reterr)->kind = kind;
	return r;
}

int berth_error_errno(struct berth_error **reterr, int errnum, enum berth_err_kind kind,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* NULL when out of memory: error_store() then says so */
	char *ctx = fmt ? vformat(fmt, ap) : strdup("");
	va_end(ap);
	return error_store_kind(reterr, errnum, kind, ctx);
}

char *berth_error_text(const struct berth_error *e)
{
	char *s = NULL;
	if (!e)
		return strdup("unknown error");
	if (e->kind == BERTH_ERR_NONE)
		return strdup(e->msg);
	if (asprintf(&s, "%s%s%s", e->msg, e->msg[0] ? ": " : "", strerror(e->errnum)) < 0)
		return NULL;
	return s;
}

void berth_error_list_take(struct berth_error_list *l, struct berth_error **e)
{
	if (!e || !*e)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct berth_error **v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			berth_error_freep(e); /* out of memory: the list says less */
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	*e = NULL;
}

void berth_error_list_done(struct berth_error_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		berth_error_free(l->v[i]);
	free(l->v);
	*l = (struct berth_error_list){ 0 };
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
	const char *old = (*reterr)->msg ? (*reterr)->msg : "";
	if (ctx && asprintf(&msg, "%s%s%s", ctx, old[0] ? ": " : "", old) >= 0) {
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
