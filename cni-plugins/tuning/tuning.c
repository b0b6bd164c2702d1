// SPDX-License-Identifier: Apache-2.0
/*
 * tuning: sysctls and link attributes (mac, mtu, promisc, allmulti, txQLen)
 * of CNI_IFNAME inside CNI_NETNS (cni.md §4.6).
 *
 * ADD reads the current values of everything the config changes and saves
 * them in <state dir>/<containerID>_<ifname>.json (atomic write) *before*
 * changing anything, so that a DEL after a half-done ADD restores all of it.
 * DEL restores from that file (sysctls too, which upstream does not) and
 * removes it; DEL always succeeds. CHECK compares the current values with
 * the config.
 *
 * State dir: the config's `dataDir` when given (as upstream), else
 * ${BERTH_RUN_DIR:-/run/berth}/cni/tuning.
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/rundir.h"
#include "basic/log.h"
#include "netlink/netlink.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TUNING_MAX_SYSCTLS 128u
#define TUNING_MAX_KEY 256u
#define TUNING_MAX_VALUE 256u
#define TUNING_MAX_ALLOWLIST 256u
#define TUNING_MAX_STATE (256u << 10)
#define TUNING_ALLOWLIST "/etc/cni/tuning/allowlist.conf"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_netns *, berth_netns_free)
#define _cleanup_netns_ _cleanup_(berth_netns_freep)

struct sysctl_entry {
	const char *key;			    /* as configured (allow-list matching) */
	char path[TUNING_MAX_KEY + BERTH_IFNAMSIZ]; /* "net/ipv4/conf/eth0/..." */
	const char *value;
};

struct tuning_conf {
	struct sysctl_entry sysctl[TUNING_MAX_SYSCTLS];
	size_t n_sysctl;
	const char *mac_str;
	uint8_t mac[6];
	bool promisc;
	long long mtu; /* 0 = unset */
	bool has_allmulti, allmulti;
	bool has_txqlen;
	long long txqlen;
	char state_dir[CNI_MAX_PATH];
};

/* --- config -------------------------------------------------------------------------- */

static int sysctl_resolve(const char *key, const char *ifname, char *buf, size_t size,
			  struct cni_error **reterr)
{
	char tmp[TUNING_MAX_KEY + BERTH_IFNAMSIZ];
	size_t n = strlen(key);
	bool slashes = strchr(key, '/') != NULL;

	if (n == 0 || n > TUNING_MAX_KEY)
		goto invalid;
	/* Dotted keys become paths first, so that an ifname with dots survives. */
	for (size_t i = 0; i <= n; i++)
		tmp[i] = !slashes && key[i] == '.' ? '/' : key[i];
	char *at = strstr(tmp, "IFNAME");
	if (at) {
		int k = snprintf(buf, size, "%.*s%s%s", (int)(at - tmp), tmp, ifname ? ifname : "",
				 at + strlen("IFNAME"));
		if (k < 0 || (size_t)k >= size)
			goto invalid;
	} else {
		snprintf(buf, size, "%s", tmp);
	}
	/* Under /proc/sys/net/ only, and no way out of it. */
	if (strncmp(buf, "net/", 4) != 0)
		goto invalid;
	for (const char *c = buf; *c;) {
		const char *e = strchrnul(c, '/');
		size_t len = (size_t)(e - c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			goto invalid;
		c = *e ? e + 1 : e;
	}
	if (buf[strlen(buf) - 1] == '/')
		goto invalid;
	return 0;
invalid:
	return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid net sysctl key",
			     "\"%.300s\"", key);
}

static int add_sysctls(struct tuning_conf *c, const json_t *obj, const char *where,
		       const char *ifname, struct cni_error **reterr)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)obj, k, v) {
		if (!json_is_string(v) || json_string_length(v) > TUNING_MAX_VALUE ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid configuration field",
					     "'%s.%.300s': expected a string", where, k);
		char path[sizeof(c->sysctl[0].path)];
		int r = sysctl_resolve(k, ifname, path, sizeof(path), reterr);
		if (r < 0)
			return r;
		struct sysctl_entry *e = NULL;
		for (size_t i = 0; i < c->n_sysctl; i++)
			if (strcmp(c->sysctl[i].path, path) == 0)
				e = &c->sysctl[i];
		if (!e) {
			if (c->n_sysctl >= TUNING_MAX_SYSCTLS)
				return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
						     "too many sysctls", "at most %u",
						     TUNING_MAX_SYSCTLS);
			e = &c->sysctl[c->n_sysctl++];
			memcpy(e->path, path, sizeof(path));
		}
		e->key = k;
		e->value = json_string_value(v);
	}
	return 0;
}

/* Two keys of one object naming the same file ("net.x.IFNAME.y" and "net.x.eth0.y"). */
static int check_sysctl_conflicts(const json_t *obj, const char *ifname, struct cni_error **reterr)
{
	const char *k1, *k2;
	json_t *v1, *v2;
	char p1[TUNING_MAX_KEY + BERTH_IFNAMSIZ], p2[sizeof(p1)];
	size_t i = 0;

	json_object_foreach ((json_t *)obj, k1, v1) {
		size_t j = 0;
		if (sysctl_resolve(k1, ifname, p1, sizeof(p1), reterr) < 0)
			return -EINVAL;
		json_object_foreach ((json_t *)obj, k2, v2) {
			if (j++ <= i)
				continue;
			if (sysctl_resolve(k2, ifname, p2, sizeof(p2), reterr) < 0)
				return -EINVAL;
			if (strcmp(p1, p2) == 0)
				return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
						     "duplicated sysctl keys are not allowed",
						     "\"%.256s\" and \"%.256s\"", k1, k2);
		}
		i++;
	}
	return 0;
}

static int parse_mac(struct tuning_conf *c, const char *s, const char *field,
		     struct cni_error **reterr)
{
	if (berth_mac_parse(s, c->mac) < 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid configuration field",
				     "'%s': not a MAC address: \"%.64s\"", field, s);
	c->mac_str = s;
	return 0;
}

/* The settable attributes of one object (top level or args.cni). */
static int parse_attrs(struct tuning_conf *c, const json_t *o, const char *where,
		       struct cni_error **reterr)
{
	const char *s = NULL;
	bool b;
	long long i;
	int r;
	char field[64];

	if ((r = cni_json_string(o, where, "mac", 64, &s, reterr)) < 0)
		return r;
	if (r && *s) {
		snprintf(field, sizeof(field), "%s%smac", where, *where ? "." : "");
		if ((r = parse_mac(c, s, field, reterr)) < 0)
			return r;
	}
	if ((r = cni_json_bool(o, where, "promisc", &b, reterr)) < 0)
		return r;
	if (r)
		c->promisc = b;
	if ((r = cni_json_int(o, where, "mtu", 0, 65536, &i, reterr)) < 0)
		return r;
	if (r)
		c->mtu = i;
	if ((r = cni_json_bool(o, where, "allmulti", &b, reterr)) < 0)
		return r;
	if (r) {
		c->has_allmulti = true;
		c->allmulti = b;
	}
	if ((r = cni_json_int(o, where, "txQLen", 0, INT_MAX, &i, reterr)) < 0)
		return r;
	if (r) {
		c->has_txqlen = true;
		c->txqlen = i;
	}
	return 0;
}

/* The config's dataDir, else <berth run dir>/cni/tuning (lib/basic/rundir.h). */
static int state_dir(const struct cni_request *req, char *buf, size_t size,
		     struct cni_error **reterr)
{
	const char *s = NULL;
	int r = cni_json_string(req->config, "", "dataDir", CNI_MAX_PATH - 256, &s, reterr);
	if (r < 0)
		return r;
	if (r && *s) {
		if (s[0] != '/')
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid configuration field 'dataDir'",
					     "not an absolute path");
		snprintf(buf, size, "%s", s);
		return 0;
	}
	r = berth_run_path("cni/tuning", buf, size);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to find berth's run directory", "%s", strerror(-r));
	return 0;
}

static int conf_parse(const struct cni_request *req, struct tuning_conf *c,
		      struct cni_error **reterr)
{
	const char *s = NULL;
	json_t *sys = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	/* Precedence as upstream: config, CNI_ARGS MAC, runtimeConfig.mac, args.cni. */
	if ((r = parse_attrs(c, req->config, "", reterr)) < 0)
		return r;
	if ((r = cni_json_object(req->config, "", "sysctl", TUNING_MAX_SYSCTLS, &sys, reterr)) < 0)
		return r;
	if (sys) {
		if ((r = check_sysctl_conflicts(sys, req->ifname, reterr)) < 0)
			return r;
		if ((r = add_sysctls(c, sys, "sysctl", req->ifname, reterr)) < 0)
			return r;
	}
	const char *arg_mac = cni_request_arg(req, "MAC");
	if (arg_mac && *arg_mac && (r = parse_mac(c, arg_mac, "CNI_ARGS MAC", reterr)) < 0)
		return r;
	if (req->runtime_config) {
		if ((r = cni_json_string(req->runtime_config, "runtimeConfig", "mac", 64, &s,
					 reterr)) < 0)
			return r;
		if (r && *s && (r = parse_mac(c, s, "runtimeConfig.mac", reterr)) < 0)
			return r;
	}
	if (req->args_cni) {
		if ((r = parse_attrs(c, req->args_cni, "args.cni", reterr)) < 0)
			return r;
		sys = NULL;
		if ((r = cni_json_object(req->args_cni, "args.cni", "sysctl", TUNING_MAX_SYSCTLS,
					 &sys, reterr)) < 0)
			return r;
		if (sys && ((r = check_sysctl_conflicts(sys, req->ifname, reterr)) < 0 ||
			    (r = add_sysctls(c, sys, "args.cni.sysctl", req->ifname, reterr)) < 0))
			return r;
	}

	return state_dir(req, c->state_dir, sizeof(c->state_dir), reterr);
}

/* The sysctl allow-list: one extended regex per line; no file = everything under net/. */
static int allowlist_check(const struct tuning_conf *c, struct cni_error **reterr)
{
	const char *path = getenv("BERTH_CNI_TUNING_ALLOWLIST");
	_cleanup_free_ char *data = NULL;
	regex_t re[TUNING_MAX_ALLOWLIST];
	size_t n_re = 0, len;
	int r;

	if (c->n_sysctl == 0)
		return 0;
	if (!path || !*path)
		path = TUNING_ALLOWLIST;
	r = read_file_limited(path, 64u << 10, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_IO, "failed to read the sysctl allow-list",
				     "%s: %s", path, strerror(-r));
	for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		size_t l = strlen(line);
		while (l > 0 && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l == 0)
			continue;
		if (n_re >= TUNING_MAX_ALLOWLIST) {
			r = cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
					  "sysctl allow-list too long", "at most %u patterns",
					  TUNING_MAX_ALLOWLIST);
			goto out;
		}
		if (regcomp(&re[n_re], line, REG_EXTENDED | REG_NOSUB) != 0) {
			r = cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					  "invalid sysctl allow-list pattern", "\"%.200s\"", line);
			goto out;
		}
		n_re++;
	}
	r = 0;
	for (size_t i = 0; i < c->n_sysctl && r == 0; i++) {
		bool ok = false;
		for (size_t j = 0; j < n_re && !ok; j++)
			ok = regexec(&re[j], c->sysctl[i].key, 0, NULL, 0) == 0;
		if (!ok)
			r = cni_error_set(reterr, EPERM, CNI_ERR_INVALID_CONFIG,
					  "sysctl is not allowed", "\"%.256s\" (allow-list %s)",
					  c->sysctl[i].key, path);
	}
out:
	for (size_t j = 0; j < n_re; j++)
		regfree(&re[j]);
	return r;
}

/* --- state file ----------------------------------------------------------------------------- */

static int state_name(const struct cni_request *req, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s_%s.json", req->container_id, req->ifname);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int kernel_error(struct cni_error **reterr, int r, const char *what, const char *ifname)
{
	return cni_error_set(reterr, r, CNI_ERR_BERTH_KERNEL, what, "\"%s\": %s", ifname,
			     strerror(-r));
}

/* Read the values about to change; the JSON written to the state file. */
static int save_old(struct berth_netns *ns, const struct tuning_conf *c,
		    const struct berth_link_info *link, const struct berth_link_attrs *x,
		    const char *ifname, json_t **ret, struct cni_error **reterr)
{
	json_auto_t *o = json_object();
	json_t *sys = json_object();
	char buf[BERTH_IFNAMSIZ + 2];
	int r;

	if (!o || !sys || json_object_set_new(o, "sysctl", sys) < 0)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	if (c->mac_str)
		json_object_set_new(o, "mac", json_string(berth_mac_fmt(link->mac, buf)));
	if (c->promisc)
		json_object_set_new(o, "promisc", json_boolean(x->promiscuity != 0));
	if (c->mtu)
		json_object_set_new(o, "mtu", json_integer(link->mtu));
	if (c->has_allmulti)
		json_object_set_new(o, "allmulti", json_boolean(link->flags & IFF_ALLMULTI));
	if (c->has_txqlen)
		json_object_set_new(o, "txQLen", json_integer(x->txqlen));
	for (size_t i = 0; i < c->n_sysctl; i++) {
		char old[TUNING_MAX_VALUE + 1];
		r = berth_sysctl_get(ns, c->sysctl[i].path, old, sizeof(old));
		if (r < 0)
			return cni_error_set(reterr, r, CNI_ERR_BERTH_KERNEL,
					     "failed to read sysctl", "\"%s\": %s",
					     c->sysctl[i].path, strerror(-r));
		if (json_object_set_new(sys, c->sysctl[i].path, json_string(old)) < 0)
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
	}
	*ret = json_incref(o);
	return 0;
}

/* --- verbs ------------------------------------------------------------------------------------ */

static bool conf_changes_link(const struct tuning_conf *c)
{
	return c->mac_str || c->promisc || c->mtu || c->has_allmulti || c->has_txqlen;
}

/*
 * Write the configured sysctls in order, entering the namespace once per
 * BERTH_SYSCTL_MAX_OPS of them; stop at the first failure. A sysctl whose
 * current value is too long for berth_sysctl_set_many's old-value buffer
 * (-EFBIG; tuning saved the old values already) is written on its own.
 */
static int set_sysctls(struct berth_netns *ns, const struct tuning_conf *c,
		       struct cni_error **reterr)
{
	struct berth_sysctl_op ops[BERTH_SYSCTL_MAX_OPS];
	size_t i = 0;

	while (i < c->n_sysctl) {
		size_t n = c->n_sysctl - i, done;
		if (n > BERTH_SYSCTL_MAX_OPS)
			n = BERTH_SYSCTL_MAX_OPS;
		for (size_t j = 0; j < n; j++)
			ops[j] = (struct berth_sysctl_op){ .key = c->sysctl[i + j].path,
							   .value = c->sysctl[i + j].value };
		int r = berth_sysctl_set_many(ns, ops, n);
		done = n;
		if (r < 0) {
			size_t j = 0;
			while (j < n && ops[j].result >= 0)
				j++;
			if (j == n) /* entering the namespace failed */
				j = 0;
			else if (ops[j].result == -EFBIG)
				r = berth_sysctl_set(ns, ops[j].key, ops[j].value, NULL, 0, NULL);
			if (r < 0)
				return cni_error_set(reterr, r, CNI_ERR_BERTH_KERNEL,
						     "failed to set sysctl", "\"%s\" = \"%s\": %s",
						     c->sysctl[i + j].path, c->sysctl[i + j].value,
						     strerror(-r));
			done = j + 1; /* every op up to and including j is written */
		}
		i += done;
	}
	return 0;
}

static int tuning_add(struct cni_request *req, struct cni_result **ret_result,
		      struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	struct tuning_conf c;
	struct berth_link_info link;
	struct berth_link_attrs x;
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if ((r = allowlist_check(&c, reterr)) < 0)
		return r;
	if (!req->prev_result)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "Required prevResult missing", NULL);
	if ((r = cni_netns_open(req->netns, &ns, reterr)) < 0)
		return r;
	if ((r = berth_link_get(ns, req->ifname, &link)) < 0)
		return kernel_error(reterr, r, "failed to get the interface", req->ifname);
	if ((r = berth_link_get_attrs(ns, link.ifindex, &x)) < 0)
		return kernel_error(reterr, r, "failed to get the interface", req->ifname);

	if (c.n_sysctl > 0 || conf_changes_link(&c)) {
		json_auto_t *old = NULL;
		_cleanup_free_ char *text = NULL;
		char name[CNI_MAX_CONTAINER_ID + BERTH_IFNAMSIZ + 8];
		if ((r = save_old(ns, &c, &link, &x, req->ifname, &old, reterr)) < 0)
			return r;
		text = json_dumps(old, JSON_COMPACT);
		if (!text || state_name(req, name, sizeof(name)) < 0)
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
		char path[CNI_MAX_PATH + sizeof(name)];
		snprintf(path, sizeof(path), "%s/%s", c.state_dir, name);
		r = mkdir_p(c.state_dir, 0700);
		if (r >= 0)
			r = write_file_atomic(path, text, strlen(text), 0600);
		if (r < 0)
			return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
					     "failed to save the old values", "%s/%s: %s",
					     c.state_dir, name, strerror(-r));
	}

	if ((r = set_sysctls(ns, &c, reterr)) < 0)
		return r;
	if (c.mac_str && (r = berth_link_set_mac(ns, link.ifindex, c.mac)) < 0)
		return kernel_error(reterr, r, "failed to set the MAC address", req->ifname);
	if (c.promisc && (r = berth_link_set_flags(ns, link.ifindex, IFF_PROMISC, IFF_PROMISC)) < 0)
		return kernel_error(reterr, r, "failed to set promiscuous mode", req->ifname);
	if (c.mtu && (r = berth_link_set_mtu(ns, link.ifindex, (unsigned)c.mtu)) < 0)
		return kernel_error(reterr, r, "failed to set the MTU", req->ifname);
	if (c.has_allmulti &&
	    (r = berth_link_set_flags(ns, link.ifindex, c.allmulti ? IFF_ALLMULTI : 0,
				    IFF_ALLMULTI)) < 0)
		return kernel_error(reterr, r, "failed to set all-multicast mode", req->ifname);
	if (c.has_txqlen && (r = berth_link_set_txqlen(ns, link.ifindex, (uint32_t)c.txqlen)) < 0)
		return kernel_error(reterr, r, "failed to set the transmit queue length",
				    req->ifname);

	struct cni_result *res = TAKE_PTR(req->prev_result);
	if (c.mac_str) {
		char buf[18];
		berth_mac_fmt(c.mac, buf);
		for (size_t i = 0; i < res->n_interfaces; i++) {
			struct cni_interface *f = &res->interfaces[i];
			if (strcmp(f->name, req->ifname) != 0)
				continue;
			char *m = strdup(buf);
			if (!m) {
				cni_result_free(res);
				return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
						     "out of memory", NULL);
			}
			free(f->mac);
			f->mac = m;
		}
	}
	*ret_result = res;
	return 0;
}

static void restore_flag(struct berth_netns *ns, const struct berth_link_info *link,
			 const json_t *v, unsigned flag, const char *what)
{
	if (!json_is_boolean(v))
		return;
	int r = berth_link_set_flags(ns, link->ifindex, json_is_true(v) ? flag : 0, flag);
	if (r < 0)
		log_warn("failed to restore %s of '%s': %s, ignoring", what, link->name,
			 strerror(-r));
}

static void restore(struct berth_netns *ns, const char *ifname, const json_t *st)
{
	struct berth_link_info link;
	const char *k;
	json_t *v;
	uint8_t mac[6];
	int r;

	if (berth_link_get(ns, ifname, &link) < 0) {
		log_debug("'%s' is gone, nothing to restore", ifname);
		return;
	}
	v = json_object_get(st, "mtu");
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 65536 &&
	    (r = berth_link_set_mtu(ns, link.ifindex, (unsigned)json_integer_value(v))) < 0)
		log_warn("failed to restore the MTU of '%s': %s, ignoring", ifname, strerror(-r));
	v = json_object_get(st, "mac");
	if (json_is_string(v) && berth_mac_parse(json_string_value(v), mac) == 0 &&
	    (r = berth_link_set_mac(ns, link.ifindex, mac)) < 0)
		log_warn("failed to restore the MAC address of '%s': %s, ignoring", ifname,
			 strerror(-r));
	restore_flag(ns, &link, json_object_get(st, "promisc"), IFF_PROMISC, "promiscuous mode");
	restore_flag(ns, &link, json_object_get(st, "allmulti"), IFF_ALLMULTI,
		     "all-multicast mode");
	v = json_object_get(st, "txQLen");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= INT_MAX &&
	    (r = berth_link_set_txqlen(ns, link.ifindex, (uint32_t)json_integer_value(v))) < 0)
		log_warn("failed to restore the transmit queue length of '%s': %s, ignoring",
			 ifname, strerror(-r));
	json_object_foreach ((json_t *)json_object_get(st, "sysctl"), k, v) {
		char path[TUNING_MAX_KEY + BERTH_IFNAMSIZ];
		/* Only paths ADD could have written (the file is ours, but be strict). */
		if (!json_is_string(v) || sysctl_resolve(k, NULL, path, sizeof(path), NULL) < 0 ||
		    strcmp(path, k) != 0)
			continue;
		if ((r = berth_sysctl_set(ns, k, json_string_value(v), NULL, 0, NULL)) < 0)
			log_warn("failed to restore sysctl '%s': %s, ignoring", k, strerror(-r));
	}
}

static int tuning_del(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	_cleanup_free_ char *data = NULL;
	char name[CNI_MAX_CONTAINER_ID + BERTH_IFNAMSIZ + 8], path[CNI_MAX_PATH * 2];
	struct tuning_conf c;
	size_t len;
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if (state_name(req, name, sizeof(name)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c.state_dir, name);
	r = read_file_limited(path, TUNING_MAX_STATE, &data, &len);
	if (r == -ENOENT)
		return 0; /* nothing saved, nothing to restore */
	if (r < 0) {
		log_warn("failed to read '%s': %s, ignoring", path, strerror(-r));
		return 0;
	}
	if (req->netns && cni_netns_open(req->netns, &ns, reterr) < 0) {
		log_debug("netns '%s' is gone, nothing to restore", req->netns);
		cni_error_freep(reterr);
	}
	if (ns) {
		json_auto_t *st = json_loadb(data, len, 0, NULL);
		if (json_is_object(st))
			restore(ns, req->ifname, st);
		else
			log_warn("'%s' is not a tuning state file, ignoring", path);
	}
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("failed to remove '%s': %m, ignoring", path);
	return 0;
}

static int mismatch(struct cni_error **reterr, const char *what, const char *ifname,
		    const char *want, const char *have)
{
	return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_CHECK, "tuning check failed",
			     "%s of %s is configured as %s, current value is %s", what, ifname,
			     want, have);
}

static int tuning_check(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	struct tuning_conf c;
	struct berth_link_info link;
	struct berth_link_attrs x;
	char a[32], b[32];
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if (!req->prev_result)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "Required prevResult missing", NULL);
	if ((r = cni_netns_open(req->netns, &ns, reterr)) < 0)
		return r;
	for (size_t i = 0; i < c.n_sysctl; i++) {
		char cur[TUNING_MAX_VALUE + 1];
		r = berth_sysctl_get(ns, c.sysctl[i].path, cur, sizeof(cur));
		if (r < 0)
			return cni_error_set(reterr, r, CNI_ERR_BERTH_KERNEL,
					     "failed to read sysctl", "\"%s\": %s",
					     c.sysctl[i].path, strerror(-r));
		if (strcmp(cur, c.sysctl[i].value) != 0)
			return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_CHECK,
					     "tuning check failed",
					     "sysctl %s is configured as %s, current value is %s",
					     c.sysctl[i].path, c.sysctl[i].value, cur);
	}
	if ((r = berth_link_get(ns, req->ifname, &link)) < 0 ||
	    (r = berth_link_get_attrs(ns, link.ifindex, &x)) < 0)
		return kernel_error(reterr, r, "Cannot find container link", req->ifname);
	if (c.mac_str && memcmp(c.mac, link.mac, 6) != 0)
		return mismatch(reterr, "MAC address", req->ifname, berth_mac_fmt(c.mac, a),
				berth_mac_fmt(link.mac, b));
	/* As upstream: promisc not configured means it must be off. */
	if (c.promisc != (x.promiscuity != 0))
		return mismatch(reterr, "promiscuous mode", req->ifname, c.promisc ? "on" : "off",
				x.promiscuity ? "on" : "off");
	if (c.mtu && (unsigned)c.mtu != link.mtu) {
		snprintf(a, sizeof(a), "%lld", c.mtu);
		snprintf(b, sizeof(b), "%u", link.mtu);
		return mismatch(reterr, "MTU", req->ifname, a, b);
	}
	if (c.has_allmulti && c.allmulti != !!(link.flags & IFF_ALLMULTI))
		return mismatch(reterr, "all-multicast mode", req->ifname,
				c.allmulti ? "on" : "off",
				link.flags & IFF_ALLMULTI ? "on" : "off");
	if (c.has_txqlen && (uint32_t)c.txqlen != x.txqlen) {
		snprintf(a, sizeof(a), "%lld", c.txqlen);
		snprintf(b, sizeof(b), "%u", x.txqlen);
		return mismatch(reterr, "transmit queue length", req->ifname, a, b);
	}
	return 0;
}

/* --- GC ----------------------------------------------------------------------------------------
 */

#define TUNING_MAX_GC_ENTRIES 100000u /* directory entries looked at per GC */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Remove the saved state of every attachment not in cni.dev/valid-attachments
 * (their DEL was missed). File names are compared whole: "<id>_<ifname>.json"
 * cannot be split back, ids and ifnames may both contain '_'. Temporary
 * files (".<name>.<pid>.tmp") are left alone. Continues after errors and
 * reports the first.
 */
static int tuning_gc(struct cni_request *req, struct cni_error **reterr)
{
	char dir[CNI_MAX_PATH];
	char **valid = NULL;
	size_t n_valid = 0, seen = 0;
	int r, first = 0;

	r = state_dir(req, dir, sizeof(dir), reterr);
	if (r < 0)
		return r;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT
			   ? 0
			   : cni_error_set(reterr, errno, CNI_ERR_BERTH_STATE,
					   "failed to open the state directory", "%s: %m", dir);
	valid = calloc(req->n_valid_attachments ?: 1, sizeof(*valid));
	if (!valid) {
		closedir(d);
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	}
	for (size_t i = 0; i < req->n_valid_attachments; i++)
		if (asprintf(&valid[n_valid], "%s_%s.json", req->valid_attachments[i].container_id,
			     req->valid_attachments[i].ifname) >= 0)
			n_valid++;
	if (n_valid < req->n_valid_attachments) {
		/* An incomplete valid set would remove valid state: remove nothing. */
		first =
		    cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
		goto out;
	}
	if (n_valid)
		qsort(valid, n_valid, sizeof(*valid), cmp_str);

	struct dirent *de;
	while ((de = readdir(d)) && seen++ < TUNING_MAX_GC_ENTRIES) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		if (name[0] == '.' || len < 6 || strcmp(name + len - 5, ".json") != 0)
			continue;
		if (n_valid && bsearch(&name, valid, n_valid, sizeof(*valid), cmp_str))
			continue;
		if (unlinkat(dirfd(d), name, 0) < 0 && errno != ENOENT) {
			if (first == 0)
				first = cni_error_set(reterr, errno, CNI_ERR_BERTH_STATE,
						      "failed to remove stale state", "%s/%s: %m",
						      dir, name);
			continue;
		}
		log_debug("GC: removed stale state '%s/%s'", dir, name);
	}
out:
	closedir(d);
	for (size_t i = 0; i < n_valid; i++)
		free(valid[i]);
	free(valid);
	return first;
}

static const char *const tuning_args[] = {"MAC", NULL};

static const struct cni_plugin tuning_plugin = {
    .name = "tuning",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = tuning_args,
    .add = tuning_add,
    .del = tuning_del,
    .check = tuning_check,
    .gc = tuning_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&tuning_plugin, argc, argv);
}
