/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth error objects (see docs/error-handling.md).
 *
 * Library primitives return >= 0 on success and -errno on failure, and never
 * allocate an error object. Code that crosses a component boundary (the front
 * ends and their drivers) also takes `struct berth_error **reterr` last: the
 * errno of the root cause plus a message chain, built from the root cause
 * outwards with berth_error_wrap(). main() prints it once, in the protocol's
 * own format (netavark: {"error":"outer: inner: root"}).
 *
 * All functions below return the negative errno stored in the error, so that
 *	return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "create bridge %s", name);
 * both records the error and propagates it.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct berth_error {
	int errnum; /* positive errno of the root cause, EINVAL for validation errors */
	int kind;   /* enum berth_err_kind: how a front end shows the root errno */
	char *msg;  /* the context chain "outer: inner: root", without the errno's text */
};

/*
 * Where the root errno came from. lib/ only records it; the protocol's
 * wording ("Netlink error: ... (os error N)" for netavark, the CNI error
 * object's `details`) is rendered by the front end.
 */
enum berth_err_kind {
	BERTH_ERR_NONE,    /* msg says it all (validation errors) */
	BERTH_ERR_PLAIN,   /* the root cause is errnum */
	BERTH_ERR_IO,      /* errnum from a file or system call */
	BERTH_ERR_NETLINK, /* errnum from the kernel over netlink */
};

/* Set a new error whose message is the formatted text; errnum is positive or negative. */
int berth_error_set(struct berth_error **reterr, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set a new error from a system errno of the given kind. fmt (the context) may be NULL. */
int berth_error_errno(struct berth_error **reterr, int errnum, enum berth_err_kind kind,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefix context to an existing error ("<ctx>: <old>"). With no error set, sets EIO. */
int berth_error_wrap(struct berth_error **reterr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The whole text, "<msg>: <strerror>" for an error with an errno kind and
 * just msg otherwise: what a log line shows. Malloc'd; NULL on ENOMEM.
 */
char *berth_error_text(const struct berth_error *e);

void berth_error_free(struct berth_error *e);
static inline void berth_error_freep(struct berth_error **e)
{
	berth_error_free(*e);
	*e = NULL;
}
#define _cleanup_berth_error_ __attribute__((cleanup(berth_error_freep)))

/*
 * Errors collected by a best-effort operation (teardown goes on after a
 * failure and reports all of them). The front end renders the list.
 */
struct berth_error_list {
	struct berth_error **v;
	size_t n, cap;
};
/* Move *e (may be NULL: nothing happens) into the list; *e is NULL afterwards. */
void berth_error_list_take(struct berth_error_list *l, struct berth_error **e);
void berth_error_list_done(struct berth_error_list *l);

/* Append formatted text to a malloc'd string; returns the new string or NULL on ENOMEM. */
char *berth_strappendf(char *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
