// SPDX-License-Identifier: Apache-2.0
/*
 * CNI errors and type-checked, case-insensitive access to config objects.
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- errors ------------------------------------------------------------------------ */

void cni_error_free(struct cni_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e->details);
	free(e);
}

int cni_error_from_berth(struct cni_error **reterr, const struct berth_error *e, unsigned code,
			 const char *msg)
{
	_cleanup_free_ char *text = e ? berth_error_text(e) : NULL;
	return cni_error_set(reterr, e ? e->errnum : EIO, code, msg, "%s",
			     text ? text : "unknown error");
}

int cni_error_set(struct cni_error **reterr, int errnum, unsigned code, const char *msg,
		  const char *details_fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EINVAL;
	if (!reterr)
		return -errnum;

	struct cni_error *e = calloc(1, sizeof(*e));
	if (!e)
		return -errnum;
	e->code = code;
	e->errnum = errnum;
	e->msg = strdup(msg ? msg : "");
	if (details_fmt) {
		va_list ap;
		va_start(ap, details_fmt);
		if (vasprintf(&e->details, details_fmt, ap) < 0)
			e->details = NULL;
		va_end(ap);
	}
	cni_error_free(*reterr);
	*reterr = e;
	return -errnum;
}

int cni_error_wrap(struct cni_error **reterr, const char *fmt, ...)
{
	if (!reterr)
		return -EIO;
	if (!*reterr)
		cni_error_set(reterr, EIO, CNI_ERR_BERTH_INTERNAL, "unknown error", NULL);
	struct cni_error *e = *reterr;
	if (!e)
		return -EIO;

	_cleanup_free_ char *ctx = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	char *m = NULL;
	if (ctx && asprintf(&m, "%s: %s", ctx, e->msg ? e->msg : "") >= 0) {
		free(e->msg);
		e->msg = m;
	}
	return -e->errnum;
}

json_t *cni_error_to_json(const struct cni_error *e, const char *cni_version)
{
	json_t *j = json_object();
	if (!j)
		return NULL;
	if (cni_version)
		json_object_set_new(j, "cniVersion", json_string(cni_version));
	json_object_set_new(j, "code", json_integer(e ? e->code : CNI_ERR_BERTH_INTERNAL));
	json_object_set_new(j, "msg", json_string(e && e->msg ? e->msg : "unknown error"));
	if (e && e->details && *e->details)
		json_object_set_new(j, "details", json_string(e->details));
	return j;
}

/* --- lookups --------------------------------------------------------------------------- */

/* The value and the key as it is written in obj. */
static json_t *lookup(const json_t *obj, const char *key, const char **ret_key)
{
	const char *k;
	json_t *v;

	*ret_key = key;
	if (!json_is_object(obj) || !key)
		return NULL;
	v = json_object_get(obj, key);
	if (v)
		return v;
	json_object_foreach ((json_t *)obj, k, v)
		if (strcasecmp(k, key) == 0) {
			*ret_key = k;
			return v;
		}
	return NULL;
}

json_t *cni_json_get(const json_t *obj, const char *key)
{
	const char *k;
	return lookup(obj, key, &k);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static int field_error(struct cni_error **reterr, const char *where, const char *key,
		       const char *expected, const json_t *got)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "invalid configuration field '%s%s%s'",
		 where && *where ? where : "", where && *where ? "." : "", key);
	if (got)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, msg,
				     "expected %s, got %s", expected, type_name(got));
	return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, msg, "%s", expected);
}

/* The value, or NULL for absent and JSON null; *key becomes the key as written. */
static json_t *present(const json_t *obj, const char **key)
{
	json_t *v = lookup(obj, *key, key);
	return json_is_null(v) ? NULL : v;
}

int cni_json_string(const json_t *obj, const char *where, const char *key, size_t max_len,
		    const char **ret, struct cni_error **reterr)
{
	json_t *v = present(obj, &key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return field_error(reterr, where, key, "a string", v);
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len > max_len)
		return field_error(reterr, where, key, "a shorter string", NULL);
	if (strlen(s) != len)
		return field_error(reterr, where, key, "a string without NUL bytes", NULL);
	*ret = s;
	return 1;
}

int cni_json_bool(const json_t *obj, const char *where, const char *key, bool *ret,
		  struct cni_error **reterr)
{
	json_t *v = present(obj, &key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return field_error(reterr, where, key, "a boolean", v);
	*ret = json_is_true(v);
	return 1;
}

int cni_json_boolish(const json_t *obj, const char *where, const char *key, bool *ret,
		     struct cni_error **reterr)
{
	json_t *v = present(obj, &key);
	if (!v)
		return 0;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcasecmp(s, "true") == 0) {
			*ret = true;
			return 1;
		}
		if (strcasecmp(s, "false") == 0) {
			*ret = false;
			return 1;
		}
		return field_error(reterr, where, key, "a boolean or \"true\"/\"false\"", v);
	}
	if (!json_is_boolean(v))
		return field_error(reterr, where, key, "a boolean", v);
	*ret = json_is_true(v);
	return 1;
}

int cni_json_int(const json_t *obj, const char *where, const char *key, long long min,
		 long long max, long long *ret, struct cni_error **reterr)
{
	json_t *v = present(obj, &key);
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return field_error(reterr, where, key, "an integer", v);
	json_int_t i = json_integer_value(v);
	if (i < min || i > max) {
		char exp[96];
		snprintf(exp, sizeof(exp), "an integer in [%lld, %lld], got %lld", min, max,
			 (long long)i);
		return field_error(reterr, where, key, exp, NULL);
	}
	*ret = i;
	return 1;
}

int cni_json_object(const json_t *obj, const char *where, const char *key, size_t max_size,
		    json_t **ret, struct cni_error **reterr)
{
	json_t *v = present(obj, &key);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return field_error(reterr, where, key, "an object", v);
	if (json_object_size(v) > max_size)
		return field_error(reterr, where, key, "an object with fewer members", NULL);
	*ret = v;
	return 1;
}

int cni_json_array(const json_t *obj, const char *where, const char *key, size_t max_size,
		   json_t **ret, struct cni_error **reterr)
{
	json_t *v = present(obj, &key);
	if (!v)
		return 0;
	if (!json_is_array(v))
		return field_error(reterr, where, key, "an array", v);
	if (json_array_size(v) > max_size)
		return field_error(reterr, where, key, "an array with fewer elements", NULL);
	*ret = v;
	return 1;
}
