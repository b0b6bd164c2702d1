// SPDX-License-Identifier: Apache-2.0
/*
 * JSON access for the NetworkOptions parser, with the texts serde gives in
 * netavark: every failure here is a decode error, "failed to load network
 * options: IO error: " plus what was wrong and the path of the field.
 */
#include "options-internal.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* path.key in messages ("key" at the top level). */
#define FIELD_FMT "%s%s%s"
#define FIELD_ARGS(path, key) (path), *(path) ? "." : "", (key)

/* --- error helpers ---------------------------------------------------------- */

int nv_load_error(struct berth_error **reterr, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return nv_oom(reterr);
	r = berth_error_set(reterr, EINVAL, NV_LOAD_PREFIX "%s", msg);
	free(msg);
	return r;
}

const char *nv_json_type_name(const json_t *v)
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
		return "a floating point number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

int nv_json_type_error(struct berth_error **reterr, const char *path, const char *key,
		       const char *expected, const json_t *v)
{
	return nv_load_error(reterr, "invalid type at `" FIELD_FMT "`: expected %s, got %s",
			     FIELD_ARGS(path, key), expected, nv_json_type_name(v));
}

int nv_json_missing(struct berth_error **reterr, const char *path, const char *key)
{
	if (*path)
		return nv_load_error(reterr, "missing field `%s` in `%s`", key, path);
	return nv_load_error(reterr, "missing field `%s`", key);
}

/* Truncation is harmless (paths only appear in messages). */
void nv_pathf(char *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(p, NV_PATH_MAX, fmt, ap);
	va_end(ap);
}

/* --- typed getters ------------------------------------------------------------ */

/*
 * key in obj, of the JSON type named expected ("a string", as nv_json_type_name()
 * says): 1 with *ret set when present, 0 when an optional key is absent or
 * null, < 0 when a required one is absent (null counts as present then, and
 * is a type error) or the type is wrong.
 */
static int field(const json_t *obj, const char *key, const char *path, bool required,
		 const char *expected, const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return nv_json_missing(reterr, path, key);
		return 0;
	}
	if (!streq(nv_json_type_name(v), expected))
		return nv_json_type_error(reterr, path, key, expected, v);
	*ret = v;
	return 1;
}

int nv_json_get_string(const json_t *obj, const char *key, const char *path, bool required,
		       const char **ret, struct berth_error **reterr)
{
	const json_t *v = NULL;
	int r = field(obj, key, path, required, "a string", &v, reterr);
	if (r <= 0)
		return r;
	/* Embedded NULs would silently truncate names: refuse them. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return nv_load_error(reterr, "invalid value at `" FIELD_FMT
				     "`: string contains a NUL byte", FIELD_ARGS(path, key));
	*ret = json_string_value(v);
	return 0;
}

int nv_json_get_bool(const json_t *obj, const char *key, const char *path, bool *ret,
		     struct berth_error **reterr)
{
	const json_t *v = NULL;
	int r = field(obj, key, path, true, "a boolean", &v, reterr);
	if (r <= 0)
		return r;
	*ret = json_is_true(v);
	return 0;
}

int nv_json_get_uint(const json_t *obj, const char *key, const char *path, bool required,
		     json_int_t max, json_int_t *ret, bool *has, struct berth_error **reterr)
{
	const json_t *v = NULL;
	int r = field(obj, key, path, required, "an integer", &v, reterr);
	if (r <= 0)
		return r;
	json_int_t i = json_integer_value(v);
	if (i < 0 || i > max)
		return nv_load_error(
			reterr, "invalid value at `" FIELD_FMT "`: %lld is out of range (0..%lld)",
			FIELD_ARGS(path, key), (long long)i, (long long)max);
	*ret = i;
	if (has)
		*has = true;
	return 0;
}

int nv_json_too_many(struct berth_error **reterr, const char *path, const char *key, size_t n,
		     size_t max)
{
	return nv_load_error(reterr, "too many entries in `" FIELD_FMT "`: %zu (limit %zu)",
			     FIELD_ARGS(path, key), n, max);
}

int nv_json_get_array(const json_t *obj, const char *key, const char *path, size_t max,
		      const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = NULL;
	int r = field(obj, key, path, false, "an array", &v, reterr);
	*ret = NULL;
	if (r <= 0)
		return r;
	if (json_array_size(v) > max)
		return nv_json_too_many(reterr, path, key, json_array_size(v), max);
	*ret = v;
	return 0;
}

int nv_json_get_array_alloc(const json_t *obj, const char *key, const char *path, size_t max,
			    size_t size, const json_t **ret_arr, void **ret_mem, size_t *ret_n,
			    struct berth_error **reterr)
{
	const json_t *arr;
	void *mem = NULL;
	int r = nv_json_get_array(obj, key, path, max, &arr, reterr);
	if (r < 0)
		return r;
	if (arr && json_array_size(arr) > 0 && !(mem = calloc(json_array_size(arr), size)))
		return nv_oom(reterr);
	*ret_arr = arr;
	*ret_mem = mem;
	*ret_n = mem ? json_array_size(arr) : 0;
	return 0;
}

int nv_json_get_string_map(const json_t *obj, const char *key, const char *path, size_t max,
			   const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = NULL;
	const char *k;
	json_t *val;
	int r = field(obj, key, path, false, "an object", &v, reterr);

	*ret = NULL;
	if (r <= 0)
		return r;
	if (max && json_object_size(v) > max)
		return nv_json_too_many(reterr, path, key, json_object_size(v), max);
	json_object_foreach((json_t *)v, k, val) {
		if (!json_is_string(val))
			return nv_load_error(
				reterr,
				"invalid type at `" FIELD_FMT ".%s`: expected a string, got %s",
				FIELD_ARGS(path, key), k, nv_json_type_name(val));
	}
	*ret = v;
	return 0;
}

int nv_json_expect_object(const json_t *v, const char *path, struct berth_error **reterr)
{
	if (json_is_object(v))
		return 0;
	return nv_load_error(reterr, "invalid type at `%s`: expected an object, got %s", path,
			     nv_json_type_name(v));
}

int nv_json_expect_string_at(const json_t *v, const char *path, size_t idx,
			     struct berth_error **reterr)
{
	if (json_is_string(v))
		return 0;
	return nv_load_error(reterr, "invalid type at `%s[%zu]`: expected a string, got %s", path,
			     idx, nv_json_type_name(v));
}

int nv_json_ip_syntax_error(struct berth_error **reterr, const char *value, const char *path,
			    const char *key)
{
	return nv_load_error(reterr, "invalid IP address syntax \"%s\" at `%s.%s`", value, path,
			     key);
}

const char *nv_json_map_get(const json_t *map, const char *key)
{
	const json_t *v = map ? json_object_get(map, key) : NULL;
	return v ? json_string_value(v) : NULL;
}

int nv_strdup(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int nv_oom(struct berth_error **reterr)
{
	return berth_error_set(reterr, ENOMEM, "out of memory");
}

int nv_json_get_ip_list(const json_t *obj, const char *key, const char *path, size_t max,
			struct berth_ip **ret, size_t *ret_n, struct berth_error **reterr)
{
	const json_t *arr;
	void *mem;
	size_t n;
	char p[NV_PATH_MAX];
	int r = nv_json_get_array_alloc(obj, key, path, max, sizeof(struct berth_ip), &arr, &mem,
					&n, reterr);
	if (r < 0 || !n)
		return r;
	_cleanup_free_ struct berth_ip *ips = mem;
	nv_pathf(p, FIELD_FMT, FIELD_ARGS(path, key));
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(arr, i);
		if ((r = nv_json_expect_string_at(v, p, i, reterr)) < 0)
			return r;
		if (berth_ip_parse(json_string_value(v), &ips[i]) < 0)
			return nv_load_error(reterr,
					     "invalid IP address syntax \"%s\" at `%s[%zu]`",
					     json_string_value(v), p, i);
	}
	*ret = TAKE_PTR(ips);
	*ret_n = n;
	return 0;
}
