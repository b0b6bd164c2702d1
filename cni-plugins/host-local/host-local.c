// SPDX-License-Identifier: Apache-2.0
/*
 * host-local: the IPAM plugin (cni.md §4.2) over lib/ipam, whose lease store
 * is byte-compatible with the reference plugin's (docs/ipam.md), so a host
 * can switch between berth's and the reference host-local at any time.
 *
 * Config: `ipam.{subnet,rangeStart,rangeEnd,gateway}` (legacy set 0),
 * `ipam.ranges` (range sets), `ipam.routes`, `ipam.dataDir` (default
 * /var/lib/cni/networks), `ipam.resolvConf`; runtime arguments
 * `runtimeConfig.ipRanges` (prepended to every set), `runtimeConfig.ips`,
 * `args.cni.ips` and CNI_ARGS `IP=` (requested addresses).
 *
 * ADD allocates one address per range set and returns ips (no interfaces),
 * routes and dns. DEL releases every lease of (containerID, ifname),
 * idempotent. CHECK: the lease exists. GC (1.1.0): removes every lease whose
 * attachment is not in cni.dev/valid-attachments. STATUS: the store can be
 * opened and locked.
 *
 * host-local never takes berth's host-wide lock: bridge holds it while it
 * runs host-local as its delegate. The store has its own lock.
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "ipam/ipam.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HL_DATA_DIR_DEFAULT "/var/lib/cni/networks"
#define HL_MAX_RESOLV (64u << 10)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_ipam_store *, berth_ipam_store_free)

struct hl_conf {
	struct berth_ipam_range ranges[BERTH_IPAM_MAX_SETS][BERTH_IPAM_MAX_RANGES];
	struct berth_ipam_rangeset sets[BERTH_IPAM_MAX_SETS];
	size_t n_sets;
	struct berth_ipam_config cfg;
	struct berth_ip requested[BERTH_IPAM_MAX_REQUESTS];
	size_t n_requested;
	const char *data_dir;
	const char *resolv_conf;
	json_t *routes; /* borrowed from the config */
	json_t *ipam;
};

static int bad(struct cni_error **reterr, const char *field, const char *fmt, const char *value)
{
	return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid network config",
			     "%s: %s '%s'", field, fmt, value);
}


static int parse_ip_field(const json_t *o, const char *where, const char *key, struct berth_ip *ret,
			  struct cni_error **reterr)
{
	const char *s;
	int r = cni_json_string(o, where, key, BERTH_IP_STRLEN, &s, reterr);
	if (r <= 0)
		return r;
	if (!*s)
		return 0;
	if (berth_ip_parse(s, ret) < 0) {
		char f[128];
		snprintf(f, sizeof(f), "%s.%s", where, key);
		return bad(reterr, f, "not an IP address", s);
	}
	return 1;
}

/* One range object: subnet (required), rangeStart, rangeEnd, gateway. */
static int parse_range(const json_t *o, const char *where, struct berth_ipam_range *rg,
		       struct cni_error **reterr)
{
	const char *s;
	int r;

	if (!json_is_object(o))
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "%s: not an object", where);
	memset(rg, 0, sizeof(*rg));
	r = cni_json_string(o, where, "subnet", BERTH_IPNET_STRLEN, &s, reterr);
	if (r < 0)
		return r;
	if (r == 0 || !*s)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "%s.subnet: missing", where);
	if (berth_ipnet_parse(s, &rg->subnet) < 0) {
		char f[128];
		snprintf(f, sizeof(f), "%s.subnet", where);
		return bad(reterr, f, "not a CIDR subnet", s);
	}
	if ((r = parse_ip_field(o, where, "rangeStart", &rg->start, reterr)) < 0 ||
	    (r = parse_ip_field(o, where, "rangeEnd", &rg->end, reterr)) < 0 ||
	    (r = parse_ip_field(o, where, "gateway", &rg->gateway, reterr)) < 0)
		return r;
	return 0;
}

static int add_set(struct hl_conf *c, const json_t *arr, const char *where,
		   struct cni_error **reterr)
{
	if (c->n_sets >= BERTH_IPAM_MAX_SETS)
		return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "%s: more than %d range sets", where,
				     BERTH_IPAM_MAX_SETS);
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config",
				     "%s: not a non-empty array of ranges", where);
	if (json_array_size(arr) > BERTH_IPAM_MAX_RANGES)
		return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "%s: more than %d ranges", where,
				     BERTH_IPAM_MAX_RANGES);
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		char w[96];
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		int r = parse_range(v, w, &c->ranges[c->n_sets][i], reterr);
		if (r < 0)
			return r;
	}
	c->sets[c->n_sets].ranges = c->ranges[c->n_sets];
	c->sets[c->n_sets].n_ranges = json_array_size(arr);
	c->n_sets++;
	return 0;
}

static int add_sets(struct hl_conf *c, const json_t *arr, const char *where,
		    struct cni_error **reterr)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		char w[64];
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		int r = add_set(c, v, w, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_request(struct hl_conf *c, const char *s, const char *where,
		       struct cni_error **reterr)
{
	struct berth_ipnet n;
	struct berth_ip ip;

	if (berth_ipnet_parse(s, &n) == 0)
		ip = n.ip;
	else if (berth_ip_parse(s, &ip) < 0)
		return bad(reterr, where, "not an IP address", s);
	for (size_t i = 0; i < c->n_requested; i++)
		if (berth_ip_equal(&c->requested[i], &ip))
			return 0;
	if (c->n_requested >= BERTH_IPAM_MAX_REQUESTS)
		return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "%s: more than %d addresses", where,
				     BERTH_IPAM_MAX_REQUESTS);
	c->requested[c->n_requested++] = ip;
	return 0;
}

static int add_requests(struct hl_conf *c, const json_t *obj, const char *where,
			struct cni_error **reterr)
{
	json_t *arr, *v;
	size_t i;
	int r = cni_json_array(obj, where, "ips", BERTH_IPAM_MAX_REQUESTS, &arr, reterr);
	if (r <= 0)
		return r;
	json_array_foreach (arr, i, v) {
		char w[64];
		snprintf(w, sizeof(w), "%s.ips[%zu]", where, i);
		if (!json_is_string(v))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid network config", "%s: not a string", w);
		if ((r = add_request(c, json_string_value(v), w, reterr)) < 0)
			return r;
	}
	return 0;
}

static int conf_parse(const struct cni_request *req, struct hl_conf *c, struct cni_error **reterr)
{
	json_t *ipam, *arr;
	int r;

	r = cni_json_object(req->config, "", "ipam", 64, &ipam, reterr);
	if (r < 0)
		return r;
	if (r == 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "ipam: missing");
	c->ipam = ipam;

	/* runtimeConfig.ipRanges first, then the legacy range, then ranges. */
	if (req->runtime_config) {
		r = cni_json_array(req->runtime_config, "runtimeConfig", "ipRanges",
				   BERTH_IPAM_MAX_SETS, &arr, reterr);
		if (r < 0)
			return r;
		if (r > 0 && (r = add_sets(c, arr, "runtimeConfig.ipRanges", reterr)) < 0)
			return r;
	}
	json_t *subnet = cni_json_get(ipam, "subnet");
	if (subnet && !json_is_null(subnet) &&
	    !(json_is_string(subnet) && !*json_string_value(subnet))) {
		if (c->n_sets >= BERTH_IPAM_MAX_SETS)
			return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
					     "invalid network config", "ipam: too many range sets");
		if ((r = parse_range(ipam, "ipam", &c->ranges[c->n_sets][0], reterr)) < 0)
			return r;
		c->sets[c->n_sets].ranges = c->ranges[c->n_sets];
		c->sets[c->n_sets].n_ranges = 1;
		c->n_sets++;
	}
	r = cni_json_array(ipam, "ipam", "ranges", BERTH_IPAM_MAX_SETS, &arr, reterr);
	if (r < 0)
		return r;
	if (r > 0 && (r = add_sets(c, arr, "ipam.ranges", reterr)) < 0)
		return r;
	if (c->n_sets == 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "ipam: no IP ranges specified");
	if (req->version < CNI_VERSION_0_3_0) {
		int n4 = 0, n6 = 0;
		for (size_t i = 0; i < c->n_sets; i++)
			if (c->sets[i].ranges[0].subnet.ip.family == AF_INET)
				n4++;
			else
				n6++;
		if (n4 > 1 || n6 > 1)
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid network config",
					     "ipam.ranges: CNI version %s allows at most one range "
					     "set per address family",
					     req->version_str);
	}

	c->cfg.sets = c->sets;
	c->cfg.n_sets = c->n_sets;
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	if (berth_ipam_config_canonicalize(&c->cfg, &e) < 0)
		return cni_error_from_berth(reterr, e, CNI_ERR_INVALID_CONFIG, "invalid network config");

	r = cni_json_string(ipam, "ipam", "dataDir", CNI_MAX_PATH, &c->data_dir, reterr);
	if (r < 0)
		return r;
	if (r == 0 || !*c->data_dir)
		c->data_dir = HL_DATA_DIR_DEFAULT;
	r = cni_json_string(ipam, "ipam", "resolvConf", CNI_MAX_PATH, &c->resolv_conf, reterr);
	if (r < 0)
		return r;
	if (r > 0 && !*c->resolv_conf)
		c->resolv_conf = NULL;
	r = cni_json_array(ipam, "ipam", "routes", CNI_MAX_ROUTES, &c->routes, reterr);
	if (r < 0)
		return r;

	/* Requested addresses: CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips. */
	const char *ip_arg = cni_request_arg(req, "IP");
	if (ip_arg) {
		_cleanup_free_ char *dup = strdup(ip_arg);
		char *save = NULL;
		if (!dup)
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if ((r = add_request(c, t, "CNI_ARGS IP", reterr)) < 0)
				return r;
	}
	if (req->args_cni && (r = add_requests(c, req->args_cni, "args.cni", reterr)) < 0)
		return r;
	if (req->runtime_config &&
	    (r = add_requests(c, req->runtime_config, "runtimeConfig", reterr)) < 0)
		return r;
	return 0;
}

/* resolv.conf as host-local reads it: nameserver, domain, search, options. */
static int resolv_parse(const char *path, json_t *dns, struct cni_error **reterr)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_limited(path, HL_MAX_RESOLV, &buf, &len);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_INVALID_CONFIG, "invalid network config",
				     "ipam.resolvConf: cannot read '%s': %s", path, strerror(-r));
	json_t *ns = json_array(), *search = json_array(), *opts = json_array();
	json_object_set_new(dns, "nameservers", ns);
	json_object_set_new(dns, "search", search);
	json_object_set_new(dns, "options", opts);
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c = strpbrk(line, "#;");
		if (c)
			*c = '\0';
		char *s2 = NULL;
		char *key = strtok_r(line, " \t\r", &s2);
		if (!key)
			continue;
		json_t *to = NULL;
		if (streq(key, "nameserver"))
			to = ns;
		else if (streq(key, "search"))
			to = search;
		else if (streq(key, "options"))
			to = opts;
		else if (streq(key, "domain")) {
			char *v = strtok_r(NULL, " \t\r", &s2);
			if (v)
				json_object_set_new(dns, "domain", json_string(v));
			continue;
		} else
			continue;
		if (to == search)
			json_array_clear(search); /* the last search line wins */
		for (char *v = strtok_r(NULL, " \t\r", &s2); v; v = strtok_r(NULL, " \t\r", &s2)) {
			if (json_array_size(to) >= CNI_MAX_DNS_ENTRIES)
				break;
			json_array_append_new(to, json_string(v));
			if (to == ns)
				break;
		}
	}
	return 0;
}

static int store_open(const struct cni_request *req, const struct hl_conf *c,
		      struct berth_ipam_store **ret, struct cni_error **reterr)
{
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	if (berth_ipam_store_open(c->data_dir, req->name, 0, ret, &e) < 0)
		return cni_error_from_berth(reterr, e, CNI_ERR_BERTH_STATE, "failed to open the lease store");
	return 0;
}

/* The config parsed and the store opened (DEL, CHECK, GC, STATUS). */
static int conf_and_store(const struct cni_request *req, struct hl_conf **ret_c,
			  struct berth_ipam_store **ret_s, struct cni_error **reterr)
{
	_cleanup_free_ struct hl_conf *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	if ((r = conf_parse(req, c, reterr)) < 0 || (r = store_open(req, c, ret_s, reterr)) < 0)
		return r;
	*ret_c = TAKE_PTR(c);
	return 0;
}

static int hl_add(struct cni_request *req, struct cni_result **ret_result,
		  struct cni_error **reterr)
{
	_cleanup_free_ struct hl_conf *c = calloc(1, sizeof(*c));
	_cleanup_(berth_ipam_store_freep) struct berth_ipam_store *s = NULL;
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	_cleanup_cni_result_ struct cni_result *res = NULL;
	struct berth_ipam_alloc allocs[BERTH_IPAM_MAX_SETS];
	int r;

	if (!c)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	if ((r = conf_parse(req, c, reterr)) < 0)
		return r;

	/* routes and dns through the result parser (it validates them). */
	json_auto_t *j = json_object();
	json_t *dns = json_object();
	json_object_set_new(j, "dns", dns);
	if (c->routes)
		json_object_set(j, "routes", c->routes);
	if (c->resolv_conf && (r = resolv_parse(c->resolv_conf, dns, reterr)) < 0)
		return r;
	r = cni_result_from_json(j, CNI_VERSION_1_1_0, "ipam", &res, reterr);
	if (r < 0) {
		(*reterr)->code = CNI_ERR_INVALID_CONFIG;
		return r;
	}

	if ((r = store_open(req, c, &s, reterr)) < 0)
		return r;
	r = berth_ipam_allocate(s, &c->cfg, req->container_id, req->ifname, c->requested,
				c->n_requested, allocs, &e);
	if (r < 0)
		return cni_error_from_berth(reterr, e,
				  r == -ETIMEDOUT ? CNI_ERR_TRY_AGAIN : CNI_ERR_BERTH_STATE,
				  "failed to allocate an address");
	for (size_t i = 0; i < c->n_sets; i++) {
		struct cni_ipconfig ip = {
		    .address = {.ip = allocs[i].ip, .prefixlen = allocs[i].prefixlen},
		    .gateway = allocs[i].gateway,
		    .interface = -1,
		};
		if ((r = cni_result_add_ip(res, &ip)) < 0) {
			(void)berth_ipam_release(s, req->container_id, req->ifname, NULL);
			return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL,
					     "failed to build the result", NULL);
		}
	}
	*ret_result = TAKE_PTR(res);
	return 0;
}

static int hl_del(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_free_ struct hl_conf *c = NULL;
	_cleanup_(berth_ipam_store_freep) struct berth_ipam_store *s = NULL;
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	int r;

	if ((r = conf_and_store(req, &c, &s, reterr)) < 0)
		return r;
	/* prevResult's addresses (1.0.0+ runtimes send it to DEL) spare a scan of every lease */
	struct berth_ip addrs[BERTH_IPAM_MAX_SETS];
	size_t n = 0;
	const struct cni_result *prev = req->prev_result;
	for (size_t i = 0; prev && i < prev->n_ips && n < ARRAY_SIZE(addrs); i++)
		addrs[n++] = prev->ips[i].address.ip;
	if (prev && prev->n_ips > ARRAY_SIZE(addrs))
		n = 0;
	r = berth_ipam_release_addrs(s, req->container_id, req->ifname, addrs, n, c->n_sets, &e);
	if (r < 0)
		return cni_error_from_berth(reterr, e, CNI_ERR_BERTH_STATE, "failed to release the address");
	return 0;
}

static int hl_check(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_free_ struct hl_conf *c = NULL;
	_cleanup_(berth_ipam_store_freep) struct berth_ipam_store *s = NULL;
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	int r;

	if ((r = conf_and_store(req, &c, &s, reterr)) < 0)
		return r;
	r = berth_ipam_find(s, req->container_id, req->ifname, &e);
	if (r < 0)
		return cni_error_from_berth(reterr, e, CNI_ERR_BERTH_STATE, "failed to read the leases");
	if (r == 0)
		return cni_error_set(reterr, ENOENT, CNI_ERR_BERTH_CHECK,
				     "failed to find the address added by the container",
				     "no lease of '%s' (%s) in %s", req->container_id, req->ifname,
				     berth_ipam_store_path(s));
	return 0;
}

static int hl_gc(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_free_ struct hl_conf *c = NULL;
	_cleanup_(berth_ipam_store_freep) struct berth_ipam_store *s = NULL;
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	_cleanup_free_ struct berth_ipam_attachment *valid = NULL;
	int r;

	if ((r = conf_and_store(req, &c, &s, reterr)) < 0)
		return r;
	if (req->n_valid_attachments > BERTH_IPAM_MAX_VALID)
		return cni_error_set(
		    reterr, E2BIG, CNI_ERR_INVALID_CONFIG, "invalid network config",
		    "cni.dev/valid-attachments: more than %d entries", BERTH_IPAM_MAX_VALID);
	valid = calloc(req->n_valid_attachments + 1, sizeof(*valid));
	if (!valid)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	for (size_t i = 0; i < req->n_valid_attachments; i++) {
		valid[i].id = req->valid_attachments[i].container_id;
		valid[i].ifname = req->valid_attachments[i].ifname;
	}
	r = berth_ipam_gc(s, valid, req->n_valid_attachments, &e);
	if (r < 0)
		return cni_error_from_berth(reterr, e, CNI_ERR_BERTH_STATE, "failed to collect stale leases");
	log_debug("GC: removed %d stale lease(s)", r);
	return 0;
}

static int hl_status(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_free_ struct hl_conf *c = NULL;
	_cleanup_(berth_ipam_store_freep) struct berth_ipam_store *s = NULL;
	int r = conf_and_store(req, &c, &s, reterr);

	if (r < 0) {
		if (*reterr && (*reterr)->code != CNI_ERR_INVALID_CONFIG)
			(*reterr)->code = CNI_ERR_NOT_AVAILABLE; /* the store, not the config */
		return r;
	}
	if (access(berth_ipam_store_path(s), W_OK) < 0)
		return cni_error_set(reterr, errno, CNI_ERR_NOT_AVAILABLE,
				     "lease store not writable", "%s", berth_ipam_store_path(s));
	return 0;
}

static const char *const hl_args[] = {"IP", NULL};

static const struct cni_plugin hl_plugin = {
    .name = "host-local",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = hl_args,
    .add = hl_add,
    .del = hl_del,
    .check = hl_check,
    .status = hl_status,
    .gc = hl_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&hl_plugin, argc, argv);
}
