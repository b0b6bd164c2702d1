// SPDX-License-Identifier: Apache-2.0
/* See backend-cni.h. */
#include "backend-cni.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/proc.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CNI_MAX_TYPE 255
#define CNI_CACHE_KIND "cniCacheV1"
#define CNI_STR_(x) #x
#define CNI_STR(x) CNI_STR_(x)

/* One attachment: what every plugin run of a chain shares. */
struct cni_call {
	const char *net;	 /* berth's network name (the cache key) */
	const char *list_name;	 /* the conflist's name, injected as "name" */
	const char *version;	 /* the conflist's cniVersion, injected as "cniVersion" */
	const char *container_id;
	const char *netns;	 /* "" for none */
	const char *ifname;
	char *cni_args;		 /* "K=V;K=V" */
	json_t *args;		 /* the same as [[K, V], ...] (for the cache) */
	json_t *caps;		 /* capability arguments by name */
	json_t *plugins;	 /* the conflist's plugins (borrowed) */
};

static void cni_call_done(struct cni_call *k)
{
	free(k->cni_args);
	json_decref(k->args);
	json_decref(k->caps);
}

static const char *att_ifname(const struct eng_container *c, const char *net)
{
	json_t *att = json_object_get(json_object_get(c->j, "networks"), net);
	const char *s = json_string_value(json_object_get(att, "interface_name"));
	return s && *s ? s : "eth0";
}

static char *cache_path(struct eng_ctx *ctx, const struct eng_container *c, const char *net)
{
	return eng_path(ctx->root, "cni/results/%s-%s-%s", net, c->id, att_ifname(c, net));
}

bool eng_cni_cached(struct eng_ctx *ctx, const struct eng_container *c, const char *net)
{
	_cleanup_free_ char *p = cache_path(ctx, c, net);
	return p && access(p, F_OK) == 0;
}

/* ---- base64 (the cache's "config") ---- */

static char *b64_encode(const char *s, size_t len)
{
	if (len > INT_MAX / 2)
		return NULL;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		(void)EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	return out;
}

static char *b64_decode(const char *s, size_t *ret_len)
{
	size_t len = strlen(s);
	if (len % 4 != 0 || len > INT_MAX / 2)
		return NULL;
	char *out = malloc(3 * (len / 4) + 1);
	if (!out)
		return NULL;
	int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	for (size_t i = len; i > 0 && s[i - 1] == '=' && n > 0; i--)
		n--;
	out[n] = '\0';
	*ret_len = (size_t)n;
	return out;
}

/* ---- the conflist ---- */

static bool type_valid(const char *t)
{
	return t && *t && strlen(t) <= CNI_MAX_TYPE && !strchr(t, '/') && strcmp(t, ".") != 0 &&
	       strcmp(t, "..") != 0;
}

/*
 * Check a conflist (or wrap a single-plugin .conf into one, as runtimes
 * still load them): an object with 1..ENG_CNI_MAX_PLUGINS plugin objects,
 * each with a type. Steals j; NULL with the error set.
 */
static json_t *conflist_check(json_t *j, const char *origin, struct berth_error **reterr)
{
	if (!json_is_object(j)) {
		json_decref(j);
		berth_error_set(reterr, EINVAL, "%s: not a JSON object", origin);
		return NULL;
	}
	if (!json_object_get(j, "plugins") && json_is_string(json_object_get(j, "type"))) {
		json_t *l = json_pack("{s:O*, s:O*, s:[o]}", "cniVersion",
				      json_object_get(j, "cniVersion"), "name",
				      json_object_get(j, "name"), "plugins", j);
		if (!l) {
			berth_error_set(reterr, ENOMEM, "out of memory");
			return NULL;
		}
		j = l;
	}
	json_t *plugins = json_object_get(j, "plugins"), *p;
	json_t *v = json_object_get(j, "cniVersion");
	size_t i;
	const char *why = NULL;
	if (v && !json_is_string(v))
		why = "cniVersion is not a string";
	else if (json_object_get(j, "name") && !json_is_string(json_object_get(j, "name")))
		why = "name is not a string";
	else if (!json_is_array(plugins) || json_array_size(plugins) == 0)
		why = "no plugins";
	else if (json_array_size(plugins) > ENG_CNI_MAX_PLUGINS)
		why = "more than " CNI_STR(ENG_CNI_MAX_PLUGINS) " plugins";
	json_array_foreach(plugins, i, p) {
		if (why)
			break;
		if (!json_is_object(p) || !type_valid(json_string_value(json_object_get(p, "type"))))
			why = "a plugin without a valid type";
	}
	if (why) {
		json_decref(j);
		berth_error_set(reterr, EINVAL, "%s: invalid network configuration list: %s", origin,
				why);
		return NULL;
	}
	return j;
}

static json_t *conflist_parse(const char *buf, size_t len, const char *origin,
			      struct berth_error **reterr)
{
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, 0, &jerr);
	if (!j) {
		berth_error_set(reterr, EINVAL, "%s: line %d: %s", origin, jerr.line, jerr.text);
		return NULL;
	}
	return conflist_check(j, origin, reterr);
}

static json_t *conflist_read(const char *path, struct berth_error **reterr)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_limited(path, ENG_CNI_MAX_CONFLIST, &buf, &len);
	if (r == -EFBIG || r == -E2BIG) {
		berth_error_set(reterr, EFBIG, "CNI conflist %s is larger than %u bytes", path,
				ENG_CNI_MAX_CONFLIST);
		return NULL;
	}
	if (r < 0) {
		berth_error_errno(reterr, r, BERTH_ERR_IO, "read CNI conflist %s", path);
		return NULL;
	}
	return conflist_parse(buf, len, path, reterr);
}

static int json_int_option(json_t *options, const char *key, long long *ret)
{
	json_t *v = json_object_get(options, key);
	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 1;
	}
	if (!json_is_string(v) || !*json_string_value(v))
		return 0;
	char *end = NULL;
	errno = 0;
	long long x = strtoll(json_string_value(v), &end, 10);
	if (errno || *end || x < 0)
		return -EINVAL;
	*ret = x;
	return 1;
}

/* host-local over the network's subnets, in the engine's own data directory. */
static json_t *derived_ipam(struct eng_ctx *ctx, const struct eng_network *n)
{
	if (!eng_network_ipam_host_local(n)) {
		json_t *d = json_object_get(json_object_get(n->j, "ipam_options"), "driver");
		if (json_is_string(d) && strcmp(json_string_value(d), "dhcp") == 0)
			return json_pack("{s:s}", "type", "dhcp");
		return NULL; /* "none": L2 only */
	}
	json_t *subnets = json_object_get(n->j, "subnets"), *s;
	if (!json_array_size(subnets))
		return NULL;
	_cleanup_free_ char *dir = eng_path(ctx->root, "cni/networks");
	json_t *ranges = json_array(), *routes = json_array();
	bool v4 = false, v6 = false;
	size_t i;
	json_array_foreach(subnets, i, s) {
		const char *sub = json_string_value(json_object_get(s, "subnet"));
		json_t *lr = json_object_get(s, "lease_range");
		json_t *rg = json_pack("{s:s*, s:O*, s:O*, s:O*}", "subnet", sub, "gateway",
				       json_object_get(s, "gateway"), "rangeStart",
				       json_object_get(lr, "start_ip"), "rangeEnd",
				       json_object_get(lr, "end_ip"));
		json_array_append_new(ranges, json_pack("[o]", rg));
		if (sub && strchr(sub, ':'))
			v6 = true;
		else
			v4 = true;
	}
	if (!json_is_true(json_object_get(n->j, "internal"))) {
		if (v4)
			json_array_append_new(routes, json_pack("{s:s}", "dst", "0.0.0.0/0"));
		if (v6)
			json_array_append_new(routes, json_pack("{s:s}", "dst", "::/0"));
	}
	return json_pack("{s:s, s:o, s:o, s:s*}", "type", "host-local", "ranges", ranges, "routes",
			 routes, "dataDir", dir);
}

/* The chain Podman 4's CNI backend writes for a network (libnetwork/cni/cni_conversion.go). */
static json_t *conflist_derive(struct eng_ctx *ctx, const struct eng_network *n,
			       struct berth_error **reterr)
{
	json_t *options = json_object_get(n->j, "options");
	const char *iface = json_string_value(json_object_get(n->j, "network_interface"));
	bool internal = json_is_true(json_object_get(n->j, "internal"));
	long long mtu = 0, vlan = 0;
	if (json_int_option(options, "mtu", &mtu) < 0 || json_int_option(options, "vlan", &vlan) < 0) {
		berth_error_set(reterr, EINVAL, "network %s: bad mtu or vlan option", n->name);
		return NULL;
	}
	json_t *plugins = json_array();
	json_t *main = NULL;
	if (strcmp(n->driver, "bridge") == 0) {
		main = json_pack("{s:s, s:s, s:b, s:b, s:b, s:{s:b}}", "type", "bridge", "bridge",
				 iface ? iface : "cni0", "isGateway", 1, "ipMasq", !internal,
				 "hairpinMode", 1, "capabilities", "ips", 1);
	} else if (strcmp(n->driver, "macvlan") == 0 || strcmp(n->driver, "ipvlan") == 0) {
		const char *mode = json_string_value(json_object_get(options, "mode"));
		main = json_pack("{s:s, s:s*, s:s*, s:{s:b}}", "type", n->driver, "master", iface,
				 "mode", mode, "capabilities", "ips", 1);
	} else {
		json_decref(plugins);
		berth_error_set(reterr, ENOTSUP, "network %s: driver %s has no CNI equivalent",
				n->name, n->driver);
		return NULL;
	}
	if (mtu > 0)
		json_object_set_new(main, "mtu", json_integer(mtu));
	if (vlan > 0 && strcmp(n->driver, "bridge") == 0)
		json_object_set_new(main, "vlan", json_integer(vlan));
	json_t *ipam = derived_ipam(ctx, n);
	json_object_set_new(main, "ipam", ipam ? ipam : json_object());
	json_array_append_new(plugins, main);
	if (strcmp(n->driver, "bridge") == 0) {
		const char *iso = json_string_value(json_object_get(options, "isolate"));
		json_array_append_new(plugins,
				      json_pack("{s:s, s:{s:b}}", "type", "portmap", "capabilities",
						"portMappings", 1));
		json_t *fw = json_pack("{s:s, s:s}", "type", "firewall", "backend", "");
		if (iso && (strcmp(iso, "true") == 0 || strcmp(iso, "strict") == 0))
			json_object_set_new(fw, "ingressPolicy", json_string("same-bridge"));
		json_array_append_new(plugins, fw);
		json_array_append_new(plugins, json_pack("{s:s}", "type", "tuning"));
		if (eng_network_dns_enabled(n))
			json_array_append_new(plugins,
					      json_pack("{s:s, s:s, s:s*, s:{s:b}}", "type",
							"dnsname", "domainName", "dns.podman",
							"dnsServerPath", ctx->dns_bin,
							"capabilities", "aliases", 1));
	}
	json_t *l = json_pack("{s:s, s:s, s:o}", "cniVersion", ENG_CNI_VERSION, "name", n->name,
			      "plugins", plugins);
	if (!l)
		berth_error_set(reterr, ENOMEM, "out of memory");
	return l;
}

/* The network's chain: the label's file, else derived. */
static json_t *conflist_for(struct eng_ctx *ctx, const struct eng_network *n,
			    struct berth_error **reterr)
{
	const char *path = eng_network_label(n, "berth.cni.conflist");
	json_t *l = path && *path ? conflist_read(path, reterr) : conflist_derive(ctx, n, reterr);
	if (!l)
		berth_error_wrap(reterr, "network %s", n->name);
	return l;
}

/* ---- runtime arguments ---- */

static bool plugin_has_cap(json_t *plugin, const char *cap)
{
	return json_is_true(json_object_get(json_object_get(plugin, "capabilities"), cap));
}

static bool chain_has_cap(json_t *plugins, const char *cap)
{
	size_t i;
	json_t *p;
	json_array_foreach(plugins, i, p)
		if (plugin_has_cap(p, cap))
			return true;
	return false;
}

/* netavark port mappings (ranges, "tcp,udp") into CNI's, one port each. */
static int port_mappings(const struct eng_container *c, json_t **ret, struct berth_error **reterr)
{
	json_t *out = json_array(), *pm;
	size_t i;
	json_array_foreach(json_object_get(c->j, "ports"), i, pm) {
		json_int_t hp = json_integer_value(json_object_get(pm, "host_port"));
		json_int_t cp = json_integer_value(json_object_get(pm, "container_port"));
		json_int_t range = json_integer_value(json_object_get(pm, "range"));
		const char *hip = json_string_value(json_object_get(pm, "host_ip"));
		const char *protos = json_string_value(json_object_get(pm, "protocol"));
		char pbuf[64];
		snprintf(pbuf, sizeof(pbuf), "%s", protos && *protos ? protos : "tcp");
		if (range < 1)
			range = 1;
		for (char *save = NULL, *proto = strtok_r(pbuf, ",", &save); proto;
		     proto = strtok_r(NULL, ",", &save)) {
			for (json_int_t k = 0; k < range; k++) {
				if (json_array_size(out) >= ENG_CNI_MAX_PORTMAPPINGS) {
					json_decref(out);
					return berth_error_set(reterr, E2BIG,
							       "more than %u port mappings",
							       ENG_CNI_MAX_PORTMAPPINGS);
				}
				json_array_append_new(
				    out, json_pack("{s:I, s:I, s:s, s:s}", "hostPort",
						   (json_int_t)(hp + k), "containerPort",
						   (json_int_t)(cp + k), "protocol", proto,
						   "hostIP", hip ? hip : ""));
			}
		}
	}
	*ret = out;
	return 0;
}

static int args_add(struct cni_call *k, const char *key, const char *value)
{
	char *s = k->cni_args ? berth_strappendf(k->cni_args, ";%s=%s", key, value)
			      : berth_strappendf(strdup(""), "%s=%s", key, value);
	if (!s)
		return -ENOMEM;
	k->cni_args = s;
	return json_array_append_new(k->args, json_pack("[s, s]", key, value)) < 0 ? -ENOMEM : 0;
}

/*
 * Capability arguments and CNI_ARGS for c on network net, as Podman sends
 * them: portMappings, ips (the engine's addresses), aliases; CNI_ARGS
 * IgnoreUnknown=1;K8S_POD_NAME=<name>[;MAC=<static mac>].
 */
static int runtime_args(const struct eng_container *c, const char *net, struct cni_call *k,
			struct berth_error **reterr)
{
	json_t *att = json_object_get(json_object_get(c->j, "networks"), net);
	json_t *ips = json_object_get(json_object_get(c->j, "ips"), net);
	json_t *pms = NULL;
	int r = port_mappings(c, &pms, reterr);
	if (r < 0)
		return r;
	json_t *aliases = json_array(), *a;
	size_t i;
	json_array_foreach(json_object_get(att, "aliases"), i, a)
		json_array_append(aliases, a);
	char shortid[13];
	snprintf(shortid, sizeof(shortid), "%.12s", c->id);
	json_array_append_new(aliases, json_string(shortid));
	k->caps = json_pack("{s:o, s:O, s:{s:o}}", "portMappings", pms, "ips",
			    json_is_array(ips) ? ips : json_array(), "aliases", net, aliases);
	k->args = json_array();
	if (!k->caps || !k->args)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	const char *mac = json_string_value(json_object_get(att, "static_mac"));
	if (args_add(k, "IgnoreUnknown", "1") < 0 || args_add(k, "K8S_POD_NAME", c->name) < 0 ||
	    (mac && *mac && args_add(k, "MAC", mac) < 0))
		return berth_error_set(reterr, ENOMEM, "out of memory");
	return 0;
}

static int args_from_cache(json_t *pairs, struct cni_call *k)
{
	json_t *p;
	size_t i;
	k->args = json_array();
	if (!k->args)
		return -ENOMEM;
	json_array_foreach(pairs, i, p) {
		const char *key = json_string_value(json_array_get(p, 0));
		const char *val = json_string_value(json_array_get(p, 1));
		if (key && val && args_add(k, key, val) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- running a plugin ---- */

static int plugin_find(struct eng_ctx *ctx, const char *type, char **ret,
		       struct berth_error **reterr)
{
	const char *p = ctx->cni_path ? ctx->cni_path : "";
	while (*p) {
		size_t len = strcspn(p, ":");
		if (len > 0) {
			char *c = NULL;
			if (asprintf(&c, "%.*s/%s", (int)len, p, type) < 0)
				return berth_error_set(reterr, ENOMEM, "out of memory");
			if (access(c, X_OK) == 0) {
				*ret = c;
				return 0;
			}
			free(c);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return berth_error_set(reterr, ENOENT, "failed to find plugin \"%s\" in path [%s]", type,
			       ctx->cni_path ? ctx->cni_path : "");
}

/* stdin for one plugin: its object with name, cniVersion, runtimeConfig and prevResult. */
static char *plugin_input(const struct cni_call *k, json_t *plugin, json_t *prev,
			  bool ips_by_args)
{
	json_auto_t *in = json_deep_copy(plugin);
	if (!in)
		return NULL;
	if (k->version)
		json_object_set_new(in, "cniVersion", json_string(k->version));
	json_object_set_new(in, "name", json_string(k->list_name));
	json_t *rc = json_object(), *caps = json_object_get(plugin, "capabilities"), *v;
	const char *cap;
	json_object_foreach(caps, cap, v) {
		json_t *arg = json_object_get(k->caps, cap);
		if (json_is_true(v) && arg && !(json_is_array(arg) && json_array_size(arg) == 0))
			json_object_set(rc, cap, arg);
	}
	if (json_object_size(rc))
		json_object_set_new(in, "runtimeConfig", rc);
	else
		json_decref(rc);
	/* no plugin takes the ips capability: the addresses as args.cni.ips to IPAM users */
	json_t *ips = json_object_get(k->caps, "ips");
	if (ips_by_args && json_array_size(ips) && json_is_object(json_object_get(plugin, "ipam"))) {
		json_t *args = json_object_get(in, "args");
		if (!json_is_object(args)) {
			args = json_object();
			json_object_set_new(in, "args", args);
		}
		json_t *cni = json_object_get(args, "cni");
		if (!json_is_object(cni)) {
			cni = json_object();
			json_object_set_new(args, "cni", cni);
		}
		json_object_set(cni, "ips", ips);
	}
	if (prev)
		json_object_set(in, "prevResult", prev);
	return json_dumps(in, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* The plugin's error object as "CNI plugin <type> failed (code N): msg: details". */
static int plugin_error(const char *type, int status, const char *out,
			struct berth_error **reterr)
{
	json_auto_t *j = json_loads(out ? out : "", 0, NULL);
	json_t *code = json_object_get(j, "code");
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *details = json_string_value(json_object_get(j, "details"));
	if (json_is_integer(code))
		return berth_error_set(reterr, EIO, "CNI plugin %s failed (code %lld): %s%s%s",
				       type, (long long)json_integer_value(code),
				       msg ? msg : "", details && *details ? ": " : "",
				       details ? details : "");
	return berth_error_set(reterr, EIO, "CNI plugin %s failed (exit code %d): %.500s", type,
			       berth_proc_exit_code(status),
			       out && *out ? out : "no error message");
}

/* Run one plugin; ADD: *ret_result is its result. */
static int plugin_run(struct eng_ctx *ctx, const struct cni_call *k, json_t *plugin,
		      const char *cmd, json_t *prev, json_t **ret_result,
		      struct berth_error **reterr)
{
	const char *type = json_string_value(json_object_get(plugin, "type"));
	_cleanup_free_ char *path = NULL;
	int r = plugin_find(ctx, type, &path, reterr);
	if (r < 0)
		return r;
	bool ips_by_args = !chain_has_cap(k->plugins, "ips");
	_cleanup_free_ char *input = plugin_input(k, plugin, prev, ips_by_args);
	static const char *const names[] = {"off", "error", "warn", "info", "debug", "trace"};
	_cleanup_free_ char *e_cmd = NULL, *e_id = NULL, *e_ns = NULL, *e_if = NULL, *e_path = NULL,
			    *e_args = NULL, *e_log = NULL;
	if (!input || asprintf(&e_cmd, "CNI_COMMAND=%s", cmd) < 0 ||
	    asprintf(&e_id, "CNI_CONTAINERID=%s", k->container_id) < 0 ||
	    asprintf(&e_ns, "CNI_NETNS=%s", k->netns) < 0 ||
	    asprintf(&e_if, "CNI_IFNAME=%s", k->ifname) < 0 ||
	    asprintf(&e_path, "CNI_PATH=%s", ctx->cni_path ? ctx->cni_path : "") < 0 ||
	    asprintf(&e_args, "CNI_ARGS=%s", k->cni_args ? k->cni_args : "") < 0 ||
	    asprintf(&e_log, "BERTH_LOG=%s", names[log_get_level()]) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	char *const env[] = {e_cmd, e_id, e_ns, e_if, e_path, e_args, e_log, NULL};
	char *const argv[] = {path, NULL};
	struct berth_proc_spec spec = {
		.path = path,
		.argv = argv,
		.set_env = env,
		.input = input,
		.input_len = strlen(input),
		.max_output = ENG_CNI_MAX_RESULT + 1,
		.timeout_ms = ENG_CNI_PLUGIN_TIMEOUT_MS,
	};
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	int status = 0;
	log_debug("CNI %s %s (%s) for %s on %s", cmd, type, path, k->container_id, k->net);
	r = berth_proc_run(&spec, &out, &len, &status);
	if (r == -ETIMEDOUT)
		return berth_error_set(reterr, ETIMEDOUT, "CNI plugin %s %s: no answer within %d s",
				       type, cmd, ENG_CNI_PLUGIN_TIMEOUT_MS / 1000);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "run CNI plugin %s", path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return plugin_error(type, status, out, reterr);
	if (len > ENG_CNI_MAX_RESULT)
		return berth_error_set(reterr, EFBIG, "CNI plugin %s %s: result larger than %u bytes",
				       type, cmd, ENG_CNI_MAX_RESULT);
	if (!ret_result)
		return 0;
	json_error_t jerr;
	json_t *res = json_loadb(out ? out : "", len, 0, &jerr);
	if (!json_is_object(res)) {
		json_decref(res);
		return berth_error_set(reterr, EBADMSG, "CNI plugin %s %s: bad result: %.200s", type,
				       cmd, out ? out : "");
	}
	/* libcni: a result without a version has the config's */
	json_t *v = json_object_get(res, "cniVersion");
	if (k->version && (!json_is_string(v) || !*json_string_value(v)))
		json_object_set_new(res, "cniVersion", json_string(k->version));
	*ret_result = res;
	return 0;
}

/* DEL the chain in reverse order; goes on after errors, returns the first. */
static int chain_del(struct eng_ctx *ctx, const struct cni_call *k, json_t *prev,
		     struct berth_error **reterr)
{
	int ret = 0;
	for (size_t i = json_array_size(k->plugins); i > 0; i--) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		if (plugin_run(ctx, k, json_array_get(k->plugins, i - 1), "DEL", prev, NULL, &e) >=
		    0)
			continue;
		if (ret == 0) {
			ret = -(e->errnum ? e->errnum : EIO);
			if (reterr) {
				*reterr = e;
				e = NULL;
			}
		} else {
			_cleanup_free_ char *t = berth_error_text(e);
			log_warn("network %s: CNI DEL: %s", k->net, t ? t : "?");
		}
	}
	return ret;
}

/* ---- the result in netavark's status shape ---- */

static json_t *status_iface(json_t *ifaces, const char *name, json_t *cni_if)
{
	json_t *o = json_object_get(ifaces, name);
	if (o)
		return o;
	o = json_pack("{s:[]}", "subnets");
	const char *mac = json_string_value(json_object_get(cni_if, "mac"));
	if (mac && *mac)
		json_object_set_new(o, "mac_address", json_string(mac));
	json_object_set_new(ifaces, name, o);
	return o;
}

static void status_subnet(json_t *iface, const char *ipnet, const char *gw)
{
	if (!ipnet)
		return;
	json_t *s = json_pack("{s:s}", "ipnet", ipnet);
	if (gw && *gw)
		json_object_set_new(s, "gateway", json_string(gw));
	json_array_append_new(json_object_get(iface, "subnets"), s);
}

/*
 * The container's interfaces (those with a sandbox, loopback left out) with
 * their addresses, and the DNS servers and search domains. 0.1/0.2 results
 * (ip4/ip6) count for CNI_IFNAME.
 */
static json_t *result_to_status(json_t *res, const char *ifname)
{
	json_t *st = json_object(), *ifaces = json_object();
	json_t *cifs = json_object_get(res, "interfaces"), *ip, *cif;
	size_t i;
	json_object_set_new(st, "interfaces", ifaces);
	json_array_foreach(cifs, i, cif) {
		const char *name = json_string_value(json_object_get(cif, "name"));
		const char *sb = json_string_value(json_object_get(cif, "sandbox"));
		if (name && sb && *sb && strcmp(name, "lo") != 0)
			status_iface(ifaces, name, cif);
	}
	json_array_foreach(json_object_get(res, "ips"), i, ip) {
		json_t *idx = json_object_get(ip, "interface");
		const char *name = ifname;
		cif = NULL;
		if (json_is_integer(idx)) {
			cif = json_array_get(cifs, (size_t)json_integer_value(idx));
			const char *sb = json_string_value(json_object_get(cif, "sandbox"));
			name = json_string_value(json_object_get(cif, "name"));
			if (!name || !sb || !*sb || strcmp(name, "lo") == 0)
				continue; /* a host-side address */
		}
		status_subnet(status_iface(ifaces, name, cif),
			      json_string_value(json_object_get(ip, "address")),
			      json_string_value(json_object_get(ip, "gateway")));
	}
	static const char *const old[] = {"ip4", "ip6"};
	for (size_t f = 0; f < 2; f++) {
		json_t *o = json_object_get(res, old[f]);
		if (json_is_object(o))
			status_subnet(status_iface(ifaces, ifname, NULL),
				      json_string_value(json_object_get(o, "ip")),
				      json_string_value(json_object_get(o, "gateway")));
	}
	json_t *dns = json_object_get(res, "dns");
	json_t *ns = json_object_get(dns, "nameservers"), *search = json_object_get(dns, "search");
	if (json_is_array(ns) && json_array_size(ns))
		json_object_set(st, "dns_server_ips", ns);
	if (json_is_array(search) && json_array_size(search))
		json_object_set(st, "dns_search_domains", search);
	return st;
}

/* ---- the cache ---- */

static int cache_write(struct eng_ctx *ctx, const struct eng_container *c, const struct cni_call *k,
		       json_t *list, json_t *result, struct berth_error **reterr)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "cni/results");
	_cleanup_free_ char *path = cache_path(ctx, c, k->net);
	_cleanup_free_ char *conf = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER);
	_cleanup_free_ char *b64 = conf ? b64_encode(conf, strlen(conf)) : NULL;
	if (!dir || !path || !b64)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	json_auto_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "kind",
				   CNI_CACHE_KIND, "containerId", k->container_id, "config", b64,
				   "ifName", k->ifname, "networkName", k->net, "netns", k->netns,
				   "cniArgs", k->args, "capabilityArgs", k->caps, "result", result);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = mkdir_p(dir, 0700);
	if (r >= 0)
		r = write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write the CNI cache %s", path);
	return 0;
}

/* The cache entry when it is there and readable (a bad one is logged and ignored). */
static json_t *cache_read(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_limited(path, ENG_CNI_MAX_CONFLIST + 2 * ENG_CNI_MAX_RESULT, &buf, &len);
	if (r == -ENOENT)
		return NULL;
	json_t *j = r >= 0 ? json_loadb(buf, len, 0, NULL) : NULL;
	const char *kind = json_string_value(json_object_get(j, "kind"));
	if (!json_is_object(j) || !kind || strcmp(kind, CNI_CACHE_KIND) != 0) {
		log_warn("CNI cache %s is unreadable, ignoring", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- ADD and DEL ---- */

int eng_cni_setup(struct eng_ctx *ctx, const struct eng_container *c, const struct eng_network *n,
		  const char *netns, json_t **ret_status, struct berth_error **reterr)
{
	_cleanup_(cni_call_done) struct cni_call k = {
		.net = n->name,
		.container_id = c->id,
		.netns = netns,
		.ifname = att_ifname(c, n->name),
	};
	json_auto_t *list = conflist_for(ctx, n, reterr);
	if (!list)
		return -EINVAL;
	k.plugins = json_object_get(list, "plugins");
	k.version = json_string_value(json_object_get(list, "cniVersion"));
	k.list_name = json_string_value(json_object_get(list, "name"));
	if (!k.list_name || !*k.list_name)
		k.list_name = n->name;
	int r = runtime_args(c, n->name, &k, reterr);
	if (r < 0)
		return r;
	if (json_array_size(json_object_get(k.caps, "ips")) > 1 && !chain_has_cap(k.plugins, "ips"))
		log_debug("network %s: no plugin takes the ips capability, using args.cni.ips",
			  n->name);
	json_auto_t *prev = NULL;
	json_t *p;
	size_t i;
	json_array_foreach(k.plugins, i, p) {
		json_t *res = NULL;
		r = plugin_run(ctx, &k, p, "ADD", prev, &res, reterr);
		if (r < 0) {
			/* as libcni's callers: a failed ADD is followed by a DEL of the chain */
			_cleanup_berth_error_ struct berth_error *e = NULL;
			if (chain_del(ctx, &k, NULL, &e) < 0) {
				_cleanup_free_ char *t = berth_error_text(e);
				log_warn("network %s: undo the failed ADD: %s", n->name,
					 t ? t : "?");
			}
			return berth_error_wrap(reterr, "network %s", n->name);
		}
		json_decref(prev);
		prev = res;
	}
	r = cache_write(ctx, c, &k, list, prev, reterr);
	if (r < 0) {
		(void)chain_del(ctx, &k, prev, NULL);
		return berth_error_wrap(reterr, "network %s", n->name);
	}
	*ret_status = result_to_status(prev, k.ifname);
	if (!*ret_status)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	return 0;
}

int eng_cni_teardown(struct eng_ctx *ctx, const struct eng_container *c, const char *net,
		     const struct eng_network *n, const char *netns, struct berth_error **reterr)
{
	_cleanup_(cni_call_done) struct cni_call k = {
		.net = net,
		.container_id = c->id,
		.netns = netns && access(netns, F_OK) == 0 ? netns : "",
		.ifname = att_ifname(c, net),
	};
	_cleanup_free_ char *path = cache_path(ctx, c, net);
	if (!path)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	json_auto_t *cache = cache_read(path);
	json_auto_t *list = NULL;
	json_t *prev = json_object_get(cache, "result");
	int r;
	/* the cached config and arguments: what ADD ran, whatever the network says now */
	const char *b64 = json_string_value(json_object_get(cache, "config"));
	if (b64) {
		size_t len = 0;
		_cleanup_free_ char *conf = b64_decode(b64, &len);
		_cleanup_berth_error_ struct berth_error *e = NULL;
		list = conf ? conflist_parse(conf, len, path, &e) : NULL;
		if (!list)
			log_warn("CNI cache %s: bad config, ignoring", path);
	}
	if (list) {
		json_t *caps = json_object_get(cache, "capabilityArgs");
		k.caps = json_is_object(caps) ? json_incref(caps) : json_object();
		if (!k.caps || args_from_cache(json_object_get(cache, "cniArgs"), &k) < 0)
			return berth_error_set(reterr, ENOMEM, "out of memory");
	} else if (n) {
		list = conflist_for(ctx, n, reterr);
		if (!list)
			return -EINVAL;
		if ((r = runtime_args(c, net, &k, reterr)) < 0)
			return r;
	} else {
		return 0; /* neither the network nor a cached attachment: nothing to delete */
	}
	k.plugins = json_object_get(list, "plugins");
	k.version = json_string_value(json_object_get(list, "cniVersion"));
	k.list_name = json_string_value(json_object_get(list, "name"));
	if (!k.list_name || !*k.list_name)
		k.list_name = net;
	r = chain_del(ctx, &k, json_is_object(prev) ? prev : NULL, reterr);
	if (r < 0)
		return berth_error_wrap(reterr, "network %s: CNI DEL", net);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("remove the CNI cache %s: %s", path, strerror(errno));
	return 0;
}
