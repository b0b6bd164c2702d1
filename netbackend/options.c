// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkOptions (netavark's setup/teardown input) -> struct nv_options.
 *
 * Theory of operation: the document is loaded with jansson, then walked in two
 * passes. The first pass *decodes*: it checks that every known key has the
 * right JSON type, that required keys exist, that addresses parse and that no
 * array exceeds its limit. Those failures are what serde reports in netavark,
 * so they get its prefix, "failed to load network options: IO error: ", plus
 * the path of the offending field. The second pass *validates* what a driver
 * would check before touching the system (subnets, static IPs, driver options)
 * and uses netavark's own texts where it has one.
 *
 * Unknown keys are ignored everywhere. Object order is kept (jansson >= 2.8
 * iterates objects in insertion order), so `networks` keeps the setup order.
 */
#include "options.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "netlink/netlink.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_PREFIX "failed to load network options: IO error: "
#define PATH_MAX_LEN 512

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_options *, nv_options_free)

/* --- error helpers ---------------------------------------------------------- */

static int __attribute__((format(printf, 2, 3))) load_error(struct berth_error **reterr,
							     const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	r = berth_error_set(reterr, EINVAL, LOAD_PREFIX "%s", msg);
	free(msg);
	return r;
}

static const char *jtype_name(const json_t *v)
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

static int type_error(struct berth_error **reterr, const char *path, const char *key,
		      const char *expected, const json_t *v)
{
	return load_error(reterr, "invalid type at `%s%s%s`: expected %s, got %s", path,
			  *path && key ? "." : "", key ? key : "", expected, jtype_name(v));
}

static int missing_field(struct berth_error **reterr, const char *path, const char *key)
{
	if (*path)
		return load_error(reterr, "missing field `%s` in `%s`", key, path);
	return load_error(reterr, "missing field `%s`", key);
}

/* Format a field path; truncation is harmless (paths only appear in messages). */
static void __attribute__((format(printf, 2, 3))) pathf(char *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(p, PATH_MAX_LEN, fmt, ap);
	va_end(ap);
}

/* --- typed getters ------------------------------------------------------------ */

/*
 * Each getter looks up key in obj (a JSON object). Optional keys may be absent
 * or null; required ones must be present and non-null. *ret is untouched when
 * an optional key is absent.
 */
static int get_string(const json_t *obj, const char *key, const char *path, bool required,
		      const char **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return missing_field(reterr, path, key);
		return 0;
	}
	if (!json_is_string(v))
		return type_error(reterr, path, key, "a string", v);
	/* Embedded NULs would silently truncate names: refuse them. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return load_error(reterr, "invalid value at `%s%s%s`: string contains a NUL byte",
				  path, *path ? "." : "", key);
	*ret = json_string_value(v);
	return 0;
}

static int get_bool(const json_t *obj, const char *key, const char *path, bool *ret,
		    struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return missing_field(reterr, path, key);
	if (!json_is_boolean(v))
		return type_error(reterr, path, key, "a boolean", v);
	*ret = json_is_true(v);
	return 0;
}

/* An integer in [0, max]. has is set when present (optional keys). */
static int get_uint(const json_t *obj, const char *key, const char *path, bool required,
		    json_int_t max, json_int_t *ret, bool *has, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return missing_field(reterr, path, key);
		return 0;
	}
	if (!json_is_integer(v))
		return type_error(reterr, path, key, "an integer", v);
	json_int_t i = json_integer_value(v);
	if (i < 0 || i > max)
		return load_error(reterr,
				  "invalid value at `%s%s%s`: %lld is out of range (0..%lld)", path,
				  *path ? "." : "", key, (long long)i, (long long)max);
	*ret = i;
	if (has)
		*has = true;
	return 0;
}

/* An optional array of at most max entries; *ret = NULL when absent or null. */
static int get_array(const json_t *obj, const char *key, const char *path, size_t max,
		     const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return type_error(reterr, path, key, "an array", v);
	if (json_array_size(v) > max)
		return load_error(reterr, "too many entries in `%s%s%s`: %zu (limit %zu)", path,
				  *path ? "." : "", key, json_array_size(v), max);
	*ret = v;
	return 0;
}

/* An optional {string: string} map of at most max entries. */
static int get_string_map(const json_t *obj, const char *key, const char *path, size_t max,
			  const json_t **ret, struct berth_error **reterr)
{
	const json_t *v = json_object_get(obj, key);
	const char *k;
	json_t *val;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return type_error(reterr, path, key, "an object", v);
	if (max && json_object_size(v) > max)
		return load_error(reterr, "too many entries in `%s%s%s`: %zu (limit %zu)", path,
				  *path ? "." : "", key, json_object_size(v), max);
	json_object_foreach((json_t *)v, k, val) {
		if (!json_is_string(val))
			return load_error(reterr,
					  "invalid type at `%s%s%s.%s`: expected a string, got %s",
					  path, *path ? "." : "", key, k, jtype_name(val));
	}
	*ret = v;
	return 0;
}

static const char *map_get(const json_t *map, const char *key)
{
	const json_t *v = map ? json_object_get(map, key) : NULL;
	return v ? json_string_value(v) : NULL;
}

static int dup_string(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int oom(struct berth_error **reterr)
{
	return berth_error_set(reterr, ENOMEM, "out of memory");
}

/* An IP address string at path[idx]. */
static int parse_ip_value(const json_t *v, const char *path, size_t idx, struct berth_ip *ret,
			  struct berth_error **reterr)
{
	if (!json_is_string(v))
		return load_error(reterr, "invalid type at `%s[%zu]`: expected a string, got %s",
				  path, idx, jtype_name(v));
	if (berth_ip_parse(json_string_value(v), ret) < 0)
		return load_error(reterr, "invalid IP address syntax \"%s\" at `%s[%zu]`",
				  json_string_value(v), path, idx);
	return 0;
}

static int parse_ip_list(const json_t *obj, const char *key, const char *path, size_t max,
			 struct berth_ip **ret, size_t *ret_n, struct berth_error **reterr)
{
	const json_t *arr;
	char p[PATH_MAX_LEN];
	int r = get_array(obj, key, path, max, &arr, reterr);
	if (r < 0 || !arr || json_array_size(arr) == 0)
		return r;
	pathf(p, "%s%s%s", path, *path ? "." : "", key);
	struct berth_ip *ips = calloc(json_array_size(arr), sizeof(*ips));
	if (!ips)
		return oom(reterr);
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

/* --- small parsers with Rust's error texts ----------------------------------- */

/* str::parse::<u64-ish>() for an unsigned type with the given max. */
static const char *parse_rust_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v = 0;
	if (*s == '+')
		s++;
	if (!*s)
		return "cannot parse integer from empty string";
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return "invalid digit found in string";
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return "number too large to fit in target type";
		v = v * 10 + d;
	}
	*ret = v;
	return NULL;
}

static const char *parse_rust_i32(const char *s, int32_t *ret)
{
	unsigned long long v;
	bool neg = *s == '-';
	if (neg) {
		s++;
		if (*s == '+' || !*s)
			return "invalid digit found in string";
	}
	const char *e = parse_rust_uint(s, neg ? 2147483648ULL : 2147483647ULL, &v);
	if (e)
		return neg && strstr(e, "too large") ? "number too small to fit in target type" : e;
	*ret = neg ? (int32_t)(-(long long)v) : (int32_t)v;
	return NULL;
}

/* options.<name> as u32 / u16 / bool: "unable to parse \"<name>\": <why>". */
static int opt_u32(const json_t *opts, const char *name, unsigned long long max, uint32_t *ret,
		   bool *has, struct berth_error **reterr)
{
	const char *s = map_get(opts, name);
	unsigned long long v;
	if (!s)
		return 0;
	const char *e = parse_rust_uint(s, max, &v);
	if (e)
		return berth_error_set(reterr, EINVAL, "unable to parse \"%s\": %s", name, e);
	*ret = (uint32_t)v;
	if (has)
		*has = true;
	return 0;
}

static int opt_bool(const json_t *opts, const char *name, bool *ret, struct berth_error **reterr)
{
	const char *s = map_get(opts, name);
	if (!s)
		return 0;
	if (streq(s, "true"))
		*ret = true;
	else if (streq(s, "false"))
		*ret = false;
	else
		return berth_error_set(reterr, EINVAL,
				       "unable to parse \"%s\": provided string was not `true` or `false`",
				       name);
	return 0;
}

/* Local copies of the netlink string tables (same enum values as lib/netlink). */
static int macvlan_mode_from_string(const char *s)
{
	static const char *const names[] = {
		[BERTH_MACVLAN_BRIDGE] = "bridge", [BERTH_MACVLAN_PRIVATE] = "private",
		[BERTH_MACVLAN_VEPA] = "vepa",     [BERTH_MACVLAN_PASSTHRU] = "passthru",
		[BERTH_MACVLAN_SOURCE] = "source",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(s, names[i]))
			return (int)i;
	return -EINVAL;
}

static int ipvlan_mode_from_string(const char *s)
{
	static const char *const names[] = {
		[BERTH_IPVLAN_L2] = "l2",
		[BERTH_IPVLAN_L3] = "l3",
		[BERTH_IPVLAN_L3S] = "l3s",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(s, names[i]))
			return (int)i;
	return -EINVAL;
}

static const char *const route_type_names[] = {
	[BERTH_ROUTE_UNICAST] = "unicast",
	[BERTH_ROUTE_BLACKHOLE] = "blackhole",
	[BERTH_ROUTE_UNREACHABLE] = "unreachable",
	[BERTH_ROUTE_PROHIBIT] = "prohibit",
};

static int route_type_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(route_type_names); i++)
		if (streq(s, route_type_names[i]))
			return (int)i;
	return -EINVAL;
}

/* netavark's MAC decoding (berth_mac_parse_groups) with netavark's messages. */
static int parse_mac(const char *s, uint8_t ret[6], struct berth_error **reterr)
{
	enum berth_mac_error why;

	if (berth_mac_parse_groups(s, ret, &why) >= 0)
		return 0;
	switch (why) {
	case BERTH_MAC_EMPTY_GROUP:
		return berth_error_set(
			reterr, EINVAL,
			"unable to parse mac address %s: cannot parse integer from empty string", s);
	case BERTH_MAC_BAD_DIGIT:
		return berth_error_set(reterr, EINVAL,
				       "unable to parse mac address %s: invalid digit found in string",
				       s);
	case BERTH_MAC_GROUP_TOO_LARGE:
		return berth_error_set(
			reterr, EINVAL,
			"unable to parse mac address %s: number too large to fit in target type", s);
	case BERTH_MAC_LENGTH:
		break;
	}
	return berth_error_set(reterr, EINVAL, "invalid mac length for address: %s", s);
}

static bool has_control_chars(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* Podman's network name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most NV_MAX_NAME bytes. */
static bool network_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NV_MAX_NAME || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static int check_ifname(const char *what, const char *name, struct berth_error **reterr)
{
	if (strlen(name) >= BERTH_IFNAMSIZ)
		return berth_error_set(reterr, EINVAL, "%s \"%s\" is longer than 15 bytes", what,
				       name);
	if (!berth_ifname_valid(name))
		return berth_error_set(reterr, EINVAL, "invalid %s \"%s\"", what, name);
	return 0;
}

/* --- pass 1: decode ---------------------------------------------------------- */

static int decode_port_mappings(const json_t *root, struct nv_options *o,
				struct berth_error **reterr)
{
	const json_t *arr;
	char p[PATH_MAX_LEN];
	int r = get_array(root, "port_mappings", "", NV_MAX_PORT_MAPPINGS, &arr, reterr);
	if (r < 0 || !arr || json_array_size(arr) == 0)
		return r;

	o->port_mappings = calloc(json_array_size(arr), sizeof(*o->port_mappings));
	if (!o->port_mappings)
		return oom(reterr);
	o->n_port_mappings = json_array_size(arr);

	for (size_t i = 0; i < o->n_port_mappings; i++) {
		const json_t *pm = json_array_get(arr, i);
		struct nv_port_mapping *m = &o->port_mappings[i];
		const char *host_ip = NULL, *proto = NULL;
		json_int_t cport = 0, hport = 0, range = 0;

		pathf(p, "port_mappings[%zu]", i);
		if (!json_is_object(pm))
			return load_error(reterr, "invalid type at `%s`: expected an object, got %s",
					  p, jtype_name(pm));
		if ((r = get_uint(pm, "container_port", p, true, UINT16_MAX, &cport, NULL,
				  reterr)) < 0 ||
		    (r = get_string(pm, "host_ip", p, true, &host_ip, reterr)) < 0 ||
		    (r = get_uint(pm, "host_port", p, true, UINT16_MAX, &hport, NULL, reterr)) < 0 ||
		    (r = get_string(pm, "protocol", p, true, &proto, reterr)) < 0 ||
		    (r = get_uint(pm, "range", p, true, UINT16_MAX, &range, NULL, reterr)) < 0)
			return r;
		m->container_port = (uint16_t)cport;
		m->host_port = (uint16_t)hport;
		m->range = range == 0 ? 1 : (uint16_t)range;
	}
	return 0;
}

/* Port mappings, semantically (after decoding, with the netavark texts). */
static int validate_port_mappings(const json_t *root, struct nv_options *o,
				  struct berth_error **reterr)
{
	const json_t *arr = json_object_get(root, "port_mappings");
	for (size_t i = 0; i < o->n_port_mappings; i++) {
		const json_t *pm = json_array_get(arr, i);
		struct nv_port_mapping *m = &o->port_mappings[i];
		const char *host_ip = json_string_value(json_object_get(pm, "host_ip"));
		const char *proto = json_string_value(json_object_get(pm, "protocol"));

		if (streq(host_ip, "")) {
			m->host_ip.family = 0;
		} else if (berth_ip_parse(host_ip, &m->host_ip) < 0) {
			return berth_error_set(reterr, EINVAL,
					       "invalid host ip \"%s\" provided for port %u", host_ip,
					       m->host_port);
		} else {
			m->host_ip_any = berth_ip_is_unspecified(&m->host_ip);
		}

		if (streq(proto, "tcp"))
			m->protocol = IPPROTO_TCP;
		else if (streq(proto, "udp"))
			m->protocol = IPPROTO_UDP;
		else if (streq(proto, "sctp"))
			m->protocol = IPPROTO_SCTP;
		else
			return berth_error_set(reterr, EINVAL,
					       "invalid protocol \"%s\" provided for port %u", proto,
					       m->host_port);

		if ((unsigned)m->host_port + m->range > 65536u)
			return berth_error_set(reterr, EINVAL,
					       "invalid port range for port %u: host port %u + range %u exceeds 65535",
					       m->host_port, m->host_port, m->range - 1u);
		if ((unsigned)m->container_port + m->range > 65536u)
			return berth_error_set(reterr, EINVAL,
					       "invalid port range for port %u: container port %u + range %u exceeds 65535",
					       m->host_port, m->container_port, m->range - 1u);
	}
	return 0;
}

static int decode_per_network(const char *name, const json_t *v, const char *path,
			      struct nv_per_network *pn, struct berth_error **reterr)
{
	const char *ifname = NULL, *mac = NULL;
	const json_t *aliases, *opts;
	char p[PATH_MAX_LEN];
	int r;

	if (!json_is_object(v))
		return load_error(reterr, "invalid type at `%s`: expected an object, got %s", path,
				  jtype_name(v));
	if (dup_string(name, &pn->name) < 0)
		return oom(reterr);
	if ((r = get_string(v, "interface_name", path, true, &ifname, reterr)) < 0)
		return r;
	if (dup_string(ifname, &pn->interface_name) < 0)
		return oom(reterr);
	if ((r = parse_ip_list(v, "static_ips", path, NV_MAX_STATIC_IPS, &pn->static_ips,
			       &pn->n_static_ips, reterr)) < 0)
		return r;
	if ((r = get_string(v, "static_mac", path, false, &mac, reterr)) < 0)
		return r;
	if (mac) {
		if ((r = parse_mac(mac, pn->static_mac, reterr)) < 0)
			return r;
		pn->has_static_mac = true;
	}
	if ((r = get_string_map(v, "options", path, NV_MAX_OPTIONS, &opts, reterr)) < 0)
		return r;
	if (dup_string(map_get(opts, "host_interface_name"), &pn->host_interface_name) < 0)
		return oom(reterr);

	if ((r = get_array(v, "aliases", path, NV_MAX_ALIASES, &aliases, reterr)) < 0)
		return r;
	if (aliases && json_array_size(aliases) > 0) {
		pathf(p, "%s.aliases", path);
		pn->aliases = calloc(json_array_size(aliases), sizeof(char *));
		if (!pn->aliases)
			return oom(reterr);
		for (size_t i = 0; i < json_array_size(aliases); i++) {
			const json_t *a = json_array_get(aliases, i);
			if (!json_is_string(a))
				return load_error(reterr,
						  "invalid type at `%s[%zu]`: expected a string, got %s",
						  p, i, jtype_name(a));
			const char *s = json_string_value(a);
			const char *why = NULL;
			if (!*s)
				why = "name is empty";
			else if (strpbrk(s, ", \n") || strlen(s) != json_string_length(a))
				why = "name contains invalid chars";
			else if (strlen(s) > NV_MAX_NAME)
				why = "name is too long";
			if (why) {
				log_warn("invalid network alias \"%s\": %s, ignoring this name", s, why);
				continue;
			}
			if (!(pn->aliases[pn->n_aliases] = strdup(s)))
				return oom(reterr);
			pn->n_aliases++;
		}
	}
	return 0;
}

static int decode_networks(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const json_t *nets = json_object_get(root, "networks");
	char p[PATH_MAX_LEN];
	int r;

	if (!nets)
		return missing_field(reterr, "", "networks");
	if (!json_is_object(nets) && !json_is_array(nets))
		return load_error(reterr,
				  "invalid type at `networks`: expected array of network options or map, got %s",
				  jtype_name(nets));
	size_t n = json_is_object(nets) ? json_object_size(nets) : json_array_size(nets);
	if (n > NV_MAX_NETWORKS)
		return load_error(reterr, "too many entries in `networks`: %zu (limit %u)", n,
				  NV_MAX_NETWORKS);
	if (n == 0)
		return 0;
	o->networks = calloc(n, sizeof(*o->networks));
	if (!o->networks)
		return oom(reterr);

	if (json_is_object(nets)) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)nets, key, v) {
			pathf(p, "networks.%s", key);
			r = decode_per_network(key, v, p, &o->networks[o->n_networks++], reterr);
			if (r < 0)
				return r;
		}
		return 0;
	}

	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(nets, i);
		const char *name = NULL;
		pathf(p, "networks[%zu]", i);
		if (!json_is_object(v))
			return load_error(reterr, "invalid type at `%s`: expected an object, got %s",
					  p, jtype_name(v));
		if ((r = get_string(v, "name", p, true, &name, reterr)) < 0)
			return r;
		for (size_t j = 0; j < o->n_networks; j++)
			if (streq(o->networks[j].name, name))
				return load_error(reterr, "duplicate network name `%s` in `networks`",
						  name);
		r = decode_per_network(name, v, p, &o->networks[o->n_networks++], reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

static int decode_subnets(const json_t *v, const char *path, struct nv_network *net,
			  bool *has_subnets, struct berth_error **reterr)
{
	const json_t *arr;
	char p[PATH_MAX_LEN];
	int r = get_array(v, "subnets", path, NV_MAX_SUBNETS, &arr, reterr);
	if (r < 0 || !arr)
		return r;
	*has_subnets = true;
	if (json_array_size(arr) == 0)
		return 0;
	net->subnets = calloc(json_array_size(arr), sizeof(*net->subnets));
	if (!net->subnets)
		return oom(reterr);
	net->n_subnets = json_array_size(arr);
	for (size_t i = 0; i < net->n_subnets; i++) {
		const json_t *s = json_array_get(arr, i);
		struct nv_subnet *sn = &net->subnets[i];
		const char *cidr = NULL, *gw = NULL, *start = NULL, *end = NULL;
		const json_t *lease;

		pathf(p, "%s.subnets[%zu]", path, i);
		if (!json_is_object(s))
			return load_error(reterr, "invalid type at `%s`: expected an object, got %s",
					  p, jtype_name(s));
		if ((r = get_string(s, "subnet", p, true, &cidr, reterr)) < 0 ||
		    (r = get_string(s, "gateway", p, false, &gw, reterr)) < 0)
			return r;
		if (berth_ipnet_parse(cidr, &sn->subnet) < 0)
			return load_error(reterr, "invalid IP address syntax \"%s\" at `%s.subnet`",
					  cidr, p);
		berth_ipnet_network(&sn->subnet, &sn->subnet);
		if (gw && berth_ip_parse(gw, &sn->gateway) < 0)
			return load_error(reterr, "invalid IP address syntax \"%s\" at `%s.gateway`",
					  gw, p);
		lease = json_object_get(s, "lease_range");
		if (lease && !json_is_null(lease)) {
			char lp[PATH_MAX_LEN];
			pathf(lp, "%s.lease_range", p);
			if (!json_is_object(lease))
				return load_error(reterr,
						  "invalid type at `%s`: expected an object, got %s", lp,
						  jtype_name(lease));
			if ((r = get_string(lease, "start_ip", lp, false, &start, reterr)) < 0 ||
			    (r = get_string(lease, "end_ip", lp, false, &end, reterr)) < 0)
				return r;
			if (start && *start && berth_ip_parse(start, &sn->lease_start) < 0)
				return load_error(reterr,
						  "invalid IP address syntax \"%s\" at `%s.start_ip`",
						  start, lp);
			if (end && *end && berth_ip_parse(end, &sn->lease_end) < 0)
				return load_error(reterr,
						  "invalid IP address syntax \"%s\" at `%s.end_ip`", end,
						  lp);
		}
	}
	return 0;
}

static int decode_routes(const json_t *v, const char *path, struct nv_network *net,
			 const char ***ret_types, struct berth_error **reterr)
{
	const json_t *arr;
	char p[PATH_MAX_LEN];
	int r = get_array(v, "routes", path, NV_MAX_ROUTES, &arr, reterr);
	if (r < 0 || !arr || json_array_size(arr) == 0)
		return r;
	net->routes = calloc(json_array_size(arr), sizeof(*net->routes));
	*ret_types = calloc(json_array_size(arr), sizeof(char *));
	if (!net->routes || !*ret_types)
		return oom(reterr);
	net->n_routes = json_array_size(arr);
	for (size_t i = 0; i < net->n_routes; i++) {
		const json_t *rt = json_array_get(arr, i);
		struct nv_route *route = &net->routes[i];
		const char *dst = NULL, *gw = NULL;
		json_int_t metric = 0;

		pathf(p, "%s.routes[%zu]", path, i);
		if (!json_is_object(rt))
			return load_error(reterr, "invalid type at `%s`: expected an object, got %s",
					  p, jtype_name(rt));
		if ((r = get_string(rt, "destination", p, true, &dst, reterr)) < 0 ||
		    (r = get_string(rt, "gateway", p, false, &gw, reterr)) < 0 ||
		    (r = get_uint(rt, "metric", p, false, UINT32_MAX, &metric, &route->has_metric,
				  reterr)) < 0 ||
		    (r = get_string(rt, "route_type", p, false, &(*ret_types)[i], reterr)) < 0)
			return r;
		if (berth_ipnet_parse(dst, &route->destination) < 0)
			return load_error(reterr,
					  "invalid IP address syntax \"%s\" at `%s.destination`", dst,
					  p);
		if (gw && berth_ip_parse(gw, &route->gateway) < 0)
			return load_error(reterr, "invalid IP address syntax \"%s\" at `%s.gateway`",
					  gw, p);
		route->metric = (uint32_t)metric;
	}
	return 0;
}

/* Decoded but not yet validated pieces of one Network, kept for pass 2. */
struct raw_network {
	const char *driver;
	const json_t *options;
	const json_t *ipam_options;
	const char **route_types;
	bool has_subnets;
};

static int decode_network(const json_t *v, const char *path, struct nv_network *net,
			  struct raw_network *raw, struct berth_error **reterr)
{
	const char *name = NULL, *id = NULL, *ifname = NULL, *created = NULL;
	const json_t *labels;
	int r;

	if (!json_is_object(v))
		return load_error(reterr, "invalid type at `%s`: expected an object, got %s", path,
				  jtype_name(v));
	if ((r = get_string(v, "name", path, true, &name, reterr)) < 0 ||
	    (r = get_string(v, "id", path, true, &id, reterr)) < 0 ||
	    (r = get_string(v, "driver", path, true, &raw->driver, reterr)) < 0 ||
	    (r = get_string(v, "network_interface", path, false, &ifname, reterr)) < 0 ||
	    (r = get_string(v, "created", path, false, &created, reterr)) < 0 ||
	    (r = get_bool(v, "ipv6_enabled", path, &net->ipv6_enabled, reterr)) < 0 ||
	    (r = get_bool(v, "internal", path, &net->internal, reterr)) < 0 ||
	    (r = get_bool(v, "dns_enabled", path, &net->dns_enabled, reterr)) < 0)
		return r;
	if (dup_string(name, &net->name) < 0 || dup_string(id, &net->id) < 0 ||
	    dup_string(ifname, &net->network_interface) < 0)
		return oom(reterr);
	if ((r = decode_subnets(v, path, net, &raw->has_subnets, reterr)) < 0 ||
	    (r = decode_routes(v, path, net, &raw->route_types, reterr)) < 0 ||
	    (r = parse_ip_list(v, "network_dns_servers", path, NV_MAX_DNS_SERVERS,
			       &net->dns_servers, &net->n_dns_servers, reterr)) < 0 ||
	    (r = get_string_map(v, "options", path, NV_MAX_OPTIONS, &raw->options, reterr)) < 0 ||
	    (r = get_string_map(v, "ipam_options", path, NV_MAX_OPTIONS, &raw->ipam_options,
				reterr)) < 0 ||
	    (r = get_string_map(v, "labels", path, 0, &labels, reterr)) < 0)
		return r;
	return 0;
}

/* --- pass 2: validate -------------------------------------------------------- */

static int validate_subnets(const struct nv_network *net, struct berth_error **reterr)
{
	char a[BERTH_IPNET_STRLEN], b[BERTH_IPNET_STRLEN], g[BERTH_IP_STRLEN];

	for (size_t i = 0; i < net->n_subnets; i++) {
		const struct nv_subnet *s = &net->subnets[i];
		if (s->gateway.family && !berth_ipnet_contains(&s->subnet, &s->gateway))
			return berth_error_set(reterr, EINVAL, "gateway %s not in subnet %s",
					       berth_ip_fmt(&s->gateway, g),
					       berth_ipnet_fmt(&s->subnet, a));
		if (s->lease_start.family && !berth_ipnet_contains(&s->subnet, &s->lease_start))
			return berth_error_set(reterr, EINVAL,
					       "lease range start_ip %s not in subnet %s",
					       berth_ip_fmt(&s->lease_start, g),
					       berth_ipnet_fmt(&s->subnet, a));
		if (s->lease_end.family && !berth_ipnet_contains(&s->subnet, &s->lease_end))
			return berth_error_set(reterr, EINVAL,
					       "lease range end_ip %s not in subnet %s",
					       berth_ip_fmt(&s->lease_end, g),
					       berth_ipnet_fmt(&s->subnet, a));
		for (size_t j = i + 1; j < net->n_subnets; j++) {
			const struct nv_subnet *t = &net->subnets[j];
			if (s->subnet.prefixlen == t->subnet.prefixlen &&
			    berth_ip_equal(&s->subnet.ip, &t->subnet.ip))
				return berth_error_set(reterr, EINVAL,
						       "duplicate subnet defined: %s",
						       berth_ipnet_fmt(&s->subnet, a));
			if (berth_ipnet_overlaps(&s->subnet, &t->subnet))
				return berth_error_set(reterr, EINVAL,
						       "overlapping subnets: %s and %s",
						       berth_ipnet_fmt(&s->subnet, a),
						       berth_ipnet_fmt(&t->subnet, b));
		}
	}
	return 0;
}

static int validate_routes(struct nv_network *net, const char **types,
			   struct berth_error **reterr)
{
	char d[BERTH_IPNET_STRLEN], g[BERTH_IP_STRLEN];

	for (size_t i = 0; i < net->n_routes; i++) {
		struct nv_route *rt = &net->routes[i];
		const char *t = types[i];
		int type = (!t || !*t) ? BERTH_ROUTE_UNICAST : route_type_from_string(t);
		if (type < 0)
			return berth_error_set(reterr, EINVAL, "invalid route type \"%s\"", t);
		rt->route_type = type;
		berth_ipnet_fmt(&rt->destination, d);
		if (type == BERTH_ROUTE_UNICAST && !rt->gateway.family)
			return berth_error_set(reterr, EINVAL,
					       "route %s requires a gateway for type unicast", d);
		if (type != BERTH_ROUTE_UNICAST && rt->gateway.family)
			return berth_error_set(reterr, EINVAL,
					       "route %s must not have a gateway for type %s", d,
					       route_type_names[type]);
		if (rt->gateway.family && rt->gateway.family != rt->destination.ip.family)
			return berth_error_set(
				reterr, EINVAL, "route with %s destination and %s gateway (%s via %s)",
				rt->destination.ip.family == AF_INET ? "ipv4" : "ipv6",
				rt->gateway.family == AF_INET ? "ipv4" : "ipv6", d,
				berth_ip_fmt(&rt->gateway, g));
		/* The kernel wants the network address of the destination. */
		berth_ipnet_network(&rt->destination, &rt->destination);
	}
	return 0;
}

static int validate_network_options(struct nv_network *net, const json_t *opts,
				    struct berth_error **reterr)
{
	const char *s;
	uint32_t vlan = 0;
	bool has_vlan = false;
	int r;

	net->metric = net->driver == NV_DRIVER_BRIDGE ? 100 : 99;
	net->vlan = -1;
	net->isolate = NV_ISOLATE_FALSE;

	if ((r = opt_u32(opts, "mtu", UINT32_MAX, &net->mtu, NULL, reterr)) < 0 ||
	    (r = opt_u32(opts, "metric", UINT32_MAX, &net->metric, NULL, reterr)) < 0 ||
	    (r = opt_bool(opts, "no_default_route", &net->no_default_route, reterr)) < 0)
		return r;

	if (net->driver == NV_DRIVER_BRIDGE) {
		s = map_get(opts, "mode");
		if (!s || !*s || streq(s, "managed"))
			net->unmanaged = false;
		else if (streq(s, "unmanaged"))
			net->unmanaged = true;
		else
			return berth_error_set(reterr, EINVAL, "invalid bridge mode \"%s\"", s);

		s = map_get(opts, "isolate");
		if (!s || streq(s, "false"))
			net->isolate = NV_ISOLATE_FALSE;
		else if (streq(s, "true"))
			net->isolate = NV_ISOLATE_TRUE;
		else if (streq(s, "strict"))
			net->isolate = NV_ISOLATE_STRICT;
		else
			return berth_error_set(reterr, EINVAL, "invalid isolate option \"%s\"", s);

		if ((r = opt_u32(opts, "vlan", UINT16_MAX, &vlan, &has_vlan, reterr)) < 0)
			return r;
		if (has_vlan) {
			if (vlan > 4094)
				return berth_error_set(reterr, EINVAL,
						       "vlan must be between 0 and 4094");
			net->vlan = (int)vlan;
		}

		s = map_get(opts, "vrf");
		if (s) {
			if ((r = check_ifname("vrf name", s, reterr)) < 0)
				return r;
			if (!(net->vrf = strdup(s)))
				return oom(reterr);
		}
		return 0;
	}

	s = map_get(opts, "mode");
	if (net->driver == NV_DRIVER_MACVLAN) {
		net->mode = BERTH_MACVLAN_BRIDGE;
		if (s && *s && (net->mode = macvlan_mode_from_string(s)) < 0)
			return berth_error_set(reterr, EINVAL, "invalid macvlan mode \"%s\"", s);
	} else {
		net->mode = BERTH_IPVLAN_L2;
		if (s && *s && (net->mode = ipvlan_mode_from_string(s)) < 0)
			return berth_error_set(reterr, EINVAL, "invalid ipvlan mode \"%s\"", s);
	}

	s = map_get(opts, "bclim");
	if (s) {
		int32_t bclim;
		const char *e = parse_rust_i32(s, &bclim);
		if (e)
			return berth_error_set(reterr, EINVAL, "unable to parse \"bclim\": %s", e);
		/* IFLA_MACVLAN_BC_CUTOFF is an s32 carried in a u32 attribute. */
		net->bclim = (uint32_t)bclim;
		net->has_bclim = true;
	}
	return 0;
}

static int validate_network(struct nv_network *net, struct raw_network *raw,
			    struct berth_error **reterr)
{
	const char *ipam;
	int r;

	if (!network_name_valid(net->name))
		return berth_error_set(
			reterr, EINVAL,
			"invalid network name \"%s\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", net->name);
	if (!*net->id)
		return berth_error_set(reterr, EINVAL, "Network id must be supplied");
	if (strlen(net->id) > NV_MAX_NAME || has_control_chars(net->id) || strchr(net->id, '/'))
		return berth_error_set(reterr, EINVAL, "invalid network id \"%s\"", net->id);

	if (streq(raw->driver, "bridge"))
		net->driver = NV_DRIVER_BRIDGE;
	else if (streq(raw->driver, "macvlan"))
		net->driver = NV_DRIVER_MACVLAN;
	else if (streq(raw->driver, "ipvlan"))
		net->driver = NV_DRIVER_IPVLAN;
	else
		return berth_error_set(reterr, EINVAL, "unknown network driver \"%s\"", raw->driver);

	if (net->driver == NV_DRIVER_BRIDGE) {
		if (!net->network_interface || !*net->network_interface)
			return berth_error_set(reterr, EINVAL, "no bridge interface name given");
		if ((r = check_ifname("bridge interface name", net->network_interface, reterr)) < 0)
			return r;
	} else if (net->network_interface && *net->network_interface) {
		if ((r = check_ifname("parent interface name", net->network_interface, reterr)) < 0)
			return r;
	}

	ipam = map_get(raw->ipam_options, "driver");
	if (!ipam || streq(ipam, "host-local"))
		net->ipam = NV_IPAM_HOST_LOCAL;
	else if (streq(ipam, "none"))
		net->ipam = NV_IPAM_NONE;
	else if (!streq(ipam, "dhcp"))
		return berth_error_set(reterr, EINVAL, "unsupported ipam driver %s", ipam);

	if ((r = validate_network_options(net, raw->options, reterr)) < 0)
		return r;
	if (ipam && streq(ipam, "dhcp")) {
		/* netavark's words where it refuses; berth has no DHCP proxy for the rest */
		if (net->driver == NV_DRIVER_BRIDGE && !net->unmanaged)
			return berth_error_set(reterr, EINVAL,
					       "cannot use dhcp ipam driver without using the "
					       "option mode=unmanaged");
		if (net->driver == NV_DRIVER_IPVLAN)
			return berth_error_set(reterr, EINVAL,
					       "ipam driver dhcp is not supported with ipvlan");
		return berth_error_set(reterr, EOPNOTSUPP,
				       "ipam driver dhcp is not yet supported by berth-net");
	}
	if ((r = validate_subnets(net, reterr)) < 0)
		return r;
	return validate_routes(net, raw->route_types, reterr);
}

/*
 * Static IPs against the network's subnets (host-local IPAM). Reorders them
 * into subnet order, the order in which netavark reports and adds them.
 */
static int validate_static_ips(struct nv_per_network *pn, const struct nv_network *net,
			       bool has_subnets, const json_t *raw_pn, struct berth_error **reterr)
{
	if (net->ipam == NV_IPAM_NONE) {
		/* netavark ignores them: no addresses at all with ipam "none". */
		if (pn->n_static_ips)
			log_debug("network %s uses ipam driver none, ignoring %zu static ips",
				  net->name, pn->n_static_ips);
		free(pn->static_ips);
		pn->static_ips = NULL;
		pn->n_static_ips = 0;
		return 0;
	}
	const json_t *ips = json_object_get(raw_pn, "static_ips");
	if (!ips || json_is_null(ips))
		return berth_error_set(reterr, EINVAL, "no static ips provided");
	if (!has_subnets || pn->n_static_ips == 0)
		return 0;

	struct berth_ip *sorted = calloc(pn->n_static_ips, sizeof(*sorted));
	size_t matched = 0;
	if (!sorted)
		return oom(reterr);
	for (size_t s = 0; s < net->n_subnets; s++)
		for (size_t i = 0; i < pn->n_static_ips; i++)
			if (berth_ipnet_contains(&net->subnets[s].subnet, &pn->static_ips[i])) {
				/* Subnets do not overlap (checked), so matched <= n. */
				if (matched < pn->n_static_ips)
					sorted[matched] = pn->static_ips[i];
				matched++;
			}
	if (matched != pn->n_static_ips) {
		free(sorted);
		return berth_error_set(reterr, EINVAL,
				       "not all static IPs matched a subnet: expected %zu, got %zu",
				       pn->n_static_ips, matched);
	}
	free(pn->static_ips);
	pn->static_ips = sorted;
	return 0;
}

static int validate_per_network(struct nv_per_network *pn, struct berth_error **reterr)
{
	int r;
	if (!*pn->interface_name)
		return berth_error_set(reterr, EINVAL, "no container interface name given");
	if ((r = check_ifname("interface name", pn->interface_name, reterr)) < 0)
		return r;
	if (pn->host_interface_name && *pn->host_interface_name &&
	    (r = check_ifname("host interface name", pn->host_interface_name, reterr)) < 0)
		return r;
	return 0;
}

static int validate_container(const struct nv_options *o, struct berth_error **reterr)
{
	if (!*o->container_id)
		return berth_error_set(reterr, EINVAL, "container id must not be empty");
	if (strlen(o->container_id) > NV_MAX_NAME || has_control_chars(o->container_id) ||
	    strpbrk(o->container_id, " /,"))
		return berth_error_set(reterr, EINVAL, "invalid container id \"%s\"",
				       o->container_id);
	return 0;
}

/* --- entry points -------------------------------------------------------------- */

static void raw_networks_free(struct raw_network *raw, size_t n)
{
	for (size_t i = 0; raw && i < n; i++)
		free(raw[i].route_types);
	free(raw);
}

static const json_t *raw_per_network(const json_t *root, size_t i, const char *name)
{
	const json_t *nets = json_object_get(root, "networks");
	return json_is_array(nets) ? json_array_get(nets, i) : json_object_get(nets, name);
}

static int parse_root(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const char *id = NULL, *name = NULL, *hostname = NULL;
	const json_t *info;
	struct raw_network *raw = NULL;
	int r;

	if (!json_is_object(root))
		return load_error(reterr, "invalid type: expected an object, got %s",
				  jtype_name(root));
	if ((r = get_string(root, "container_id", "", true, &id, reterr)) < 0 ||
	    (r = get_string(root, "container_name", "", true, &name, reterr)) < 0 ||
	    (r = get_string(root, "container_hostname", "", false, &hostname, reterr)) < 0)
		return r;
	if (dup_string(id, &o->container_id) < 0 || dup_string(name, &o->container_name) < 0 ||
	    dup_string(hostname, &o->container_hostname) < 0)
		return oom(reterr);
	{
		/* The short id tags every log line from here on, warnings included. */
		char tag[13];
		snprintf(tag, sizeof(tag), "%s", o->container_id);
		log_set_context(tag);
	}
	if ((r = decode_port_mappings(root, o, reterr)) < 0 ||
	    (r = decode_networks(root, o, reterr)) < 0 ||
	    (r = parse_ip_list(root, "dns_servers", "", NV_MAX_DNS_SERVERS, &o->dns_servers,
			       &o->n_dns_servers, reterr)) < 0)
		return r;

	info = json_object_get(root, "network_info");
	if (!info)
		return missing_field(reterr, "", "network_info");
	if (!json_is_object(info))
		return type_error(reterr, "", "network_info", "an object", info);

	if (o->n_networks) {
		o->network_info = calloc(o->n_networks, sizeof(*o->network_info));
		raw = calloc(o->n_networks, sizeof(*raw));
		if (!o->network_info || !raw) {
			free(raw);
			return oom(reterr);
		}
	}
	o->n_network_info = o->n_networks;

	/* Decode every entry first (serde would), then validate in setup order. */
	for (size_t i = 0; i < o->n_networks; i++) {
		const char *n = o->networks[i].name;
		const json_t *v = json_object_get(info, n);
		char p[PATH_MAX_LEN];
		if (!v) {
			r = berth_error_set(reterr, EINVAL, "network info for network %s not found",
					    n);
			goto out;
		}
		pathf(p, "network_info.%s", n);
		if ((r = decode_network(v, p, &o->network_info[i], &raw[i], reterr)) < 0)
			goto out;
		o->networks[i].network = &o->network_info[i];
	}

	if ((r = validate_container(o, reterr)) < 0)
		goto out;
	for (size_t i = 0; i < o->n_networks; i++) {
		struct nv_per_network *pn = &o->networks[i];
		struct nv_network *net = &o->network_info[i];
		if ((r = validate_network(net, &raw[i], reterr)) < 0 ||
		    (r = validate_per_network(pn, reterr)) < 0 ||
		    (r = validate_static_ips(pn, net, raw[i].has_subnets,
					     raw_per_network(root, i, pn->name), reterr)) < 0)
			goto out;
	}
	r = validate_port_mappings(root, o, reterr);
out:
	raw_networks_free(raw, o->n_networks);
	return r;
}

int nv_options_parse(const char *buf, size_t len, struct nv_options **ret,
		     struct berth_error **reterr)
{
	_cleanup_(nv_options_freep) struct nv_options *o = NULL;
	json_error_t jerr;
	json_t *root;
	int r;

	if (len > NV_MAX_INPUT)
		return berth_error_set(reterr, EFBIG,
				       LOAD_PREFIX "input is larger than %u bytes", NV_MAX_INPUT);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return load_error(reterr, "%s at line %d column %d", jerr.text, jerr.line,
				  jerr.column);
	o = calloc(1, sizeof(*o));
	if (!o) {
		json_decref(root);
		return oom(reterr);
	}
	r = parse_root(root, o, reterr);
	json_decref(root);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

static void network_done(struct nv_network *n)
{
	free(n->name);
	free(n->id);
	free(n->network_interface);
	free(n->subnets);
	free(n->routes);
	free(n->dns_servers);
	free(n->vrf);
}

static void per_network_done(struct nv_per_network *pn)
{
	free(pn->name);
	free(pn->interface_name);
	free(pn->static_ips);
	for (size_t i = 0; i < pn->n_aliases; i++)
		free(pn->aliases[i]);
	free(pn->aliases);
	free(pn->host_interface_name);
}

void nv_options_free(struct nv_options *o)
{
	if (!o)
		return;
	free(o->container_id);
	free(o->container_name);
	free(o->container_hostname);
	free(o->port_mappings);
	for (size_t i = 0; o->networks && i < o->n_networks; i++)
		per_network_done(&o->networks[i]);
	free(o->networks);
	for (size_t i = 0; o->network_info && i < o->n_network_info; i++)
		network_done(&o->network_info[i]);
	free(o->network_info);
	free(o->dns_servers);
	free(o);
}
