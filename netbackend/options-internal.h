/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to the NetworkOptions parser (netbackend/options*.c); the rest of
 * berth-net only sees options.h.
 *
 *   options.c          the document: entry point, the two passes in order, the
 *                      container's fields and `networks` (per-network options)
 *   options-json.c     JSON access with netavark's decode-error texts
 *   options-network.c  `network_info.<name>`: the network, its subnets and routes
 *   options-driver.c   a network's `options` map, per driver
 *   options-ports.c    `port_mappings`
 *   options-names.c    interface names, network names and ids
 */
#pragma once

#include "options.h"

#include <jansson.h>

/* serde's failures in netavark carry this prefix (pass 1 errors). */
#define NV_LOAD_PREFIX "failed to load network options: IO error: "
#define NV_PATH_MAX 512 /* field paths in messages; longer ones are truncated */

/* --- options-json.c ------------------------------------------------------------ */

/* NV_LOAD_PREFIX + the formatted text, EINVAL. */
int nv_load_error(struct berth_error **reterr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int nv_oom(struct berth_error **reterr);
/* strdup() that maps NULL to NULL; -ENOMEM. */
int nv_strdup(const char *s, char **ret);
/* Format a field path into p (NV_PATH_MAX bytes). */
void nv_pathf(char *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *nv_json_type_name(const json_t *v);
int nv_json_type_error(struct berth_error **reterr, const char *path, const char *key,
		       const char *expected, const json_t *v);
int nv_json_missing(struct berth_error **reterr, const char *path, const char *key);
int nv_json_too_many(struct berth_error **reterr, const char *path, const char *key, size_t n,
		     size_t max);
/* "invalid type at `<path>`: expected an object, ..." unless v is one. */
int nv_json_expect_object(const json_t *v, const char *path, struct berth_error **reterr);
/* The same for a string at path[idx]. */
int nv_json_expect_string_at(const json_t *v, const char *path, size_t idx,
			     struct berth_error **reterr);
/* "invalid IP address syntax \"<value>\" at `<path>.<key>`" */
int nv_json_ip_syntax_error(struct berth_error **reterr, const char *value, const char *path,
			    const char *key);

/*
 * Typed getters: look key up in obj (a JSON object) at path. Optional keys may
 * be absent or null and leave *ret untouched; required ones must be present.
 */
int nv_json_get_string(const json_t *obj, const char *key, const char *path, bool required,
		       const char **ret, struct berth_error **reterr);
int nv_json_get_bool(const json_t *obj, const char *key, const char *path, bool *ret,
		     struct berth_error **reterr);
/* An integer in [0, max]; *has is set when present (optional keys). */
int nv_json_get_uint(const json_t *obj, const char *key, const char *path, bool required,
		     json_int_t max, json_int_t *ret, bool *has, struct berth_error **reterr);
/* An optional array of at most max entries; *ret = NULL when absent or null. */
int nv_json_get_array(const json_t *obj, const char *key, const char *path, size_t max,
		      const json_t **ret, struct berth_error **reterr);
/*
 * nv_json_get_array(), and for a non-empty array *ret_mem = calloc(n, size)
 * (the caller's) and *ret_n = n, else NULL and 0. Outputs set on success only.
 */
int nv_json_get_array_alloc(const json_t *obj, const char *key, const char *path, size_t max,
			    size_t size, const json_t **ret_arr, void **ret_mem, size_t *ret_n,
			    struct berth_error **reterr);
/* An optional {string: string} map of at most max entries (0 = no limit). */
int nv_json_get_string_map(const json_t *obj, const char *key, const char *path, size_t max,
			   const json_t **ret, struct berth_error **reterr);
/* A value of such a map (NULL map or key: NULL). */
const char *nv_json_map_get(const json_t *map, const char *key);
/* An optional array of IP address strings; *ret stays NULL when empty. */
int nv_json_get_ip_list(const json_t *obj, const char *key, const char *path, size_t max,
			struct berth_ip **ret, size_t *ret_n, struct berth_error **reterr);

/* --- options-names.c ----------------------------------------------------------- */

/* An id: at most NV_MAX_NAME bytes, no control characters, none of forbidden. */
bool nv_id_valid(const char *s, const char *forbidden);
/* Podman's network name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most NV_MAX_NAME bytes. */
bool nv_network_name_valid(const char *s);
/* A kernel interface name; what names it in the message ("interface name"). */
int nv_check_ifname(const char *what, const char *name, struct berth_error **reterr);

/* --- options-network.c --------------------------------------------------------- */

/* Decoded but not yet validated pieces of one Network, kept for pass 2. */
struct nv_raw_network {
	const char *driver;
	const json_t *options;
	const json_t *ipam_options;
	const char **route_types;
	bool has_subnets;
};

/* Pass 1 for network_info.<name> (v at path). */
int nv_network_decode(const json_t *v, const char *path, struct nv_network *net,
		      struct nv_raw_network *raw, struct berth_error **reterr);
/* Pass 2: driver, interface, ipam, options, subnets, routes. */
int nv_network_validate(struct nv_network *net, struct nv_raw_network *raw,
			struct berth_error **reterr);
void nv_raw_networks_free(struct nv_raw_network *raw, size_t n);

/* --- options-driver.c ---------------------------------------------------------- */

/* net->driver is set; fills mtu, metric, no_default_route and the driver's own options. */
int nv_driver_options_validate(struct nv_network *net, const json_t *opts,
			       struct berth_error **reterr);

/* --- options-ports.c ----------------------------------------------------------- */

int nv_ports_decode(const json_t *root, struct nv_options *o, struct berth_error **reterr);
int nv_ports_validate(const json_t *root, struct nv_options *o, struct berth_error **reterr);
