// SPDX-License-Identifier: Apache-2.0
/*
 * JSON access for the NetworkOptions parser, with the texts serde gives in
 * netavark: every failure here is a decode error, "failed to load network
 * options: IO error: " plus what was wrong and the path of the field.
 */
#include "options-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- error helpers ---------------------------------------------------------- */

int nv_load_error(struct berth_error **reterr, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
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
	return nv_load_error(reterr, "invalid type at `%s%s%s`: expected %s, got %s", path,
			     *path ? "." : "", key, expected, nv_json_type_name(v));
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

int nv_json_get_string(const json_t *obj, const char *key, const char *path, bool required,
		       const char **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return nv_json_missing(reterr, path, key);
		return 0;
	}
	if (!json_is_string(v))
		return nv_json_type_error(reterr, path, key, "a string", v);
	/* Embedded NULs would silently truncate names: refuse them. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return nv_load_error(reterr,
				     "invalid value at `%s%s%s`: string contains a NUL byte", path,
				     *path ? "." : "", key);
	*ret = json_string_value(v);
	return 0;
}

int nv_json_get_bool(const json_t *obj, const char *key, const char *path, bool *ret,
		     struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return nv_json_missing(reterr, path, key);
	if (!json_is_boolean(v))
		return nv_json_type_error(reterr, path, key, "a boolean", v);
	*ret = json_is_true(v);
	return 0;
}

int nv_json_get_uint(const json_t *obj, const char *key, const char *path, bool required,
		     json_int_t max, json_int_t *ret, bool *has, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return nv_json_missing(reterr, path, key);
		return 0;
	}
	if (!json_is_integer(v))
		return nv_json_type_error(reterr, path, key, "an integer", v);
	json_int_t i = json_integer_value(v);
	if (i < 0 || i > max)
		return nv_load_error(reterr,
				     "invalid value at `%s%s%s`: %lld is out of range (0..%lld)",
				     path, *path ? "." : "", key, (long long)i, (long long)max);
	*ret = i;
	if (has)
		*has = true;
	return 0;
}

int nv_json_get_array(const json_t *obj, const char *key, const char *path, size_t max,
		      const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return nv_json_type_error(reterr, path, key, "an array", v);
	if (json_array_size(v) > max)
		return nv_load_error(reterr, "too many entries in `%s%s%s`: %zu (limit %zu)", path,
				     *path ? "." : "", key, json_array_size(v), max);
	*ret = v;
	return 0;
}

int nv_json_get_string_map(const json_t *obj, const char *key, const char *path, size_t max,
			   const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	const char *k;
	json_t *val;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return nv_json_type_error(reterr, path, key, "an object", v);
	if (max && json_object_size(v) > max)
		return nv_load_error(reterr, "too many entries in `%s%s%s`: %zu (limit %zu)", path,
				     *path ? "." : "", key, json_object_size(v), max);
	json_object_foreach((json_t *)v, k, val) {
		if (!json_is_string(val))
			return nv_load_error(
				reterr, "invalid type at `%s%s%s.%s`: expected a string, got %s",
				path, *path ? "." : "", key, k, nv_json_type_name(val));
	}
	*ret = v;
	return 0;
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

/* An IP address string at path[idx]. */
static int parse_ip_value(const json_t *v, const char *path, size_t idx, struct berth_ip *ret,
			  struct berth_error **reterr)
{
	if (!json_is_string(v))
		return nv_load_error(reterr, "invalid type at `%s[%zu]`: expected a string, got %s",
				     path, idx, nv_json_type_name(v));
	if (berth_ip_parse(json_string_value(v), ret) < 0)
		return nv_load_error(reterr, "invalid IP address syntax \"%s\" at `%s[%zu]`",
				     json_string_value(v), path, idx);
	return 0;
}

int nv_json_get_ip_list(const json_t *obj, const char *key, const char *path, size_t max,
			struct berth_ip **ret, size_t *ret_n, struct berth_error **reterr)
{
	const json_t *arr;
	char p[NV_PATH_MAX];
	int r = nv_json_get_array(obj, key, path, max, &arr, reterr);
	if (r < 0 || !arr || json_array_size(arr) == 0)
		return r;
	nv_pathf(p, "%s%s%s", path, *path ? "." : "", key);
	struct berth_ip *ips = calloc(json_array_size(arr), sizeof(*ips));
	if (!ips)
		return nv_oom(reterr);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		r = parse_ip_value(json_array_get(arr, i), p, i, &ips[i], reterr);
		if (r < 0) {
			free(ips);
			return r;
		}
	}
	*ret = ips;
	*ret_n = json_array_size(arr);
	return 0;
}
