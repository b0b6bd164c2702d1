// SPDX-License-Identifier: Apache-2.0
/*
 * CNI results: one internal shape (1.1.0), parsed from and emitted in every
 * version's shape (cni.md §2).
 */
#include "cni.h"

#include "basic/cleanup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strv_done(struct cni_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

struct cni_result *cni_result_new(void)
{
	return calloc(1, sizeof(struct cni_result));
}

struct cni_result *cni_result_free(struct cni_result *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_interfaces; i++) {
		struct cni_interface *f = &r->interfaces[i];
		free(f->name);
		free(f->mac);
		free(f->sandbox);
		free(f->socket_path);
		free(f->pci_id);
	}
	free(r->interfaces);
	free(r->ips);
	free(r->routes);
	strv_done(&r->dns.nameservers);
	strv_done(&r->dns.search);
	strv_done(&r->dns.options);
	free(r->dns.domain);
	free(r);
	return NULL;
}

/* Grow *arr of n elements of size sz by one, up to max. Returns the new element (zeroed). */
static void *grow(void **arr, size_t *n, size_t sz, size_t max)
{
	if (*n >= max)
		return NULL;
	void *a = realloc(*arr, (*n + 1) * sz);
	if (!a)
		return NULL;
	*arr = a;
	void *e = (char *)a + *n * sz;
	memset(e, 0, sz);
	(*n)++;
	return e;
}

static int dup_opt(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int cni_result_add_interface(struct cni_result *r, const char *name, const char *mac,
			     const char *sandbox)
{
	if (r->n_interfaces >= CNI_MAX_INTERFACES)
		return -ENOSPC;
	struct cni_interface *f =
	    grow((void **)&r->interfaces, &r->n_interfaces, sizeof(*f), CNI_MAX_INTERFACES);
	if (!f)
		return -ENOMEM;
	if (dup_opt(name ? name : "", &f->name) < 0 || dup_opt(mac, &f->mac) < 0 ||
	    dup_opt(sandbox, &f->sandbox) < 0)
		return -ENOMEM; /* the half-built entry is freed with the result */
	return (int)(r->n_interfaces - 1);
}

int cni_result_add_ip(struct cni_result *r, const struct cni_ipconfig *ip)
{
	if (r->n_ips >= CNI_MAX_IPS)
		return -ENOSPC;
	struct cni_ipconfig *e = grow((void **)&r->ips, &r->n_ips, sizeof(*e), CNI_MAX_IPS);
	if (!e)
		return -ENOMEM;
	*e = *ip;
	return (int)(r->n_ips - 1);
}

int cni_result_add_route(struct cni_result *r, const struct cni_route *route)
{
	if (r->n_routes >= CNI_MAX_ROUTES)
		return -ENOSPC;
	struct cni_route *e = grow((void **)&r->routes, &r->n_routes, sizeof(*e), CNI_MAX_ROUTES);
	if (!e)
		return -ENOMEM;
	*e = *route;
	return (int)(r->n_routes - 1);
}

int cni_result_find_interface(const struct cni_result *r, const char *name, bool want_sandbox)
{
	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct cni_interface *f = &r->interfaces[i];
		if (f->name && strcmp(f->name, name) == 0 &&
		    (!want_sandbox || (f->sandbox && *f->sandbox)))
			return (int)i;
	}
	return -ENOENT;
}

/* --- parsing ----------------------------------------------------------------------- */

static int decode_error(struct cni_error **reterr, const char *where, const char *what,
			const char *value)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "invalid configuration field '%s'", where);
	return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, msg, "%s '%.256s'", what,
			     value ? value : "");
}

static int oom(struct cni_error **reterr)
{
	return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
}

static int get_str_dup(const json_t *o, const char *where, const char *key, char **ret,
		       struct cni_error **reterr)
{
	const char *s = NULL;
	int r = cni_json_string(o, where, key, CNI_MAX_STRING, &s, reterr);
	if (r <= 0)
		return r;
	*ret = strdup(s);
	return *ret ? 1 : oom(reterr);
}

static int get_ipnet(const json_t *o, const char *where, const char *key, bool required,
		     struct berth_ipnet *ret, struct cni_error **reterr)
{
	const char *s = NULL;
	char path[192];
	int r = cni_json_string(o, where, key, BERTH_IPNET_STRLEN, &s, reterr);
	snprintf(path, sizeof(path), "%s.%s", where, key);
	if (r < 0)
		return r;
	if (r == 0)
		return required ? decode_error(reterr, path, "missing", NULL) : 0;
	if (berth_ipnet_parse(s, ret) < 0)
		return decode_error(reterr, path, "not an address with prefix length:", s);
	return 1;
}

static int get_ip(const json_t *o, const char *where, const char *key, struct berth_ip *ret,
		  struct cni_error **reterr)
{
	const char *s = NULL;
	char path[192];
	int r = cni_json_string(o, where, key, BERTH_IP_STRLEN, &s, reterr);
	if (r <= 0)
		return r;
	if (!*s)
		return 0; /* Go emits no empty gateways, but tolerate them */
	snprintf(path, sizeof(path), "%s.%s", where, key);
	if (berth_ip_parse(s, ret) < 0)
		return decode_error(reterr, path, "not an IP address:", s);
	return 1;
}

static int parse_strv(const json_t *o, const char *where, const char *key, struct cni_strv *ret,
		      struct cni_error **reterr)
{
	json_t *a = NULL, *v;
	size_t i;
	char path[192];
	int r = cni_json_array(o, where, key, CNI_MAX_DNS_ENTRIES, &a, reterr);
	if (r <= 0)
		return r;
	json_array_foreach (a, i, v) {
		snprintf(path, sizeof(path), "%s.%s[%zu]", where, key, i);
		if (!json_is_string(v) || json_string_length(v) > CNI_MAX_STRING)
			return decode_error(reterr, path, "expected a string", NULL);
		char **slot = grow((void **)&ret->v, &ret->n, sizeof(char *), CNI_MAX_DNS_ENTRIES);
		if (!slot || !(*slot = strdup(json_string_value(v))))
			return oom(reterr);
	}
	return 1;
}

static int parse_dns(const json_t *j, const char *where, struct cni_dns *dns,
		     struct cni_error **reterr)
{
	json_t *d = NULL;
	char path[128];
	int r = cni_json_object(j, where, "dns", 16, &d, reterr);
	if (r <= 0)
		return r;
	snprintf(path, sizeof(path), "%s.dns", where);
	if ((r = parse_strv(d, path, "nameservers", &dns->nameservers, reterr)) < 0)
		return r;
	if ((r = get_str_dup(d, path, "domain", &dns->domain, reterr)) < 0)
		return r;
	if ((r = parse_strv(d, path, "search", &dns->search, reterr)) < 0)
		return r;
	if ((r = parse_strv(d, path, "options", &dns->options, reterr)) < 0)
		return r;
	return 0;
}

static int parse_route(const json_t *o, const char *where, struct cni_route *rt,
		       struct cni_error **reterr)
{
	long long v;
	int r;
	if (!json_is_object(o))
		return decode_error(reterr, where, "expected an object", NULL);
	if ((r = get_ipnet(o, where, "dst", true, &rt->dst, reterr)) < 0)
		return r;
	if ((r = get_ip(o, where, "gw", &rt->gw, reterr)) < 0)
		return r;
	if ((r = cni_json_int(o, where, "mtu", 0, INT_MAX, &v, reterr)) < 0)
		return r;
	rt->mtu = r ? (unsigned)v : 0;
	if ((r = cni_json_int(o, where, "advmss", 0, INT_MAX, &v, reterr)) < 0)
		return r;
	rt->advmss = r ? (unsigned)v : 0;
	if ((r = cni_json_int(o, where, "priority", 0, INT_MAX, &v, reterr)) < 0)
		return r;
	rt->priority = r ? (unsigned)v : 0;
	if ((r = cni_json_int(o, where, "table", INT_MIN, INT_MAX, &v, reterr)) < 0)
		return r;
	rt->has_table = r;
	rt->table = r ? (int)v : 0;
	if ((r = cni_json_int(o, where, "scope", INT_MIN, INT_MAX, &v, reterr)) < 0)
		return r;
	rt->has_scope = r;
	rt->scope = r ? (int)v : 0;
	return 0;
}

static int parse_routes(const json_t *o, const char *where, struct cni_result *res,
			struct cni_error **reterr)
{
	json_t *a = NULL, *v;
	size_t i;
	char path[192];
	int r = cni_json_array(o, where, "routes", CNI_MAX_ROUTES, &a, reterr);
	if (r <= 0)
		return r;
	json_array_foreach (a, i, v) {
		struct cni_route rt = {};
		snprintf(path, sizeof(path), "%s.routes[%zu]", where, i);
		if ((r = parse_route(v, path, &rt, reterr)) < 0)
			return r;
		if ((r = cni_result_add_route(res, &rt)) < 0)
			return r == -ENOSPC ? decode_error(reterr, path, "too many routes", NULL)
					    : oom(reterr);
	}
	return 0;
}

/* 0.1.0/0.2.0: "ip4"/"ip6": {ip, gateway, routes}. */
static int parse_legacy_ip(const json_t *j, const char *where, const char *key, int family,
			   struct cni_result *res, struct cni_error **reterr)
{
	json_t *o = NULL;
	char path[128];
	int r = cni_json_object(j, where, key, 16, &o, reterr);
	if (r <= 0)
		return r;
	snprintf(path, sizeof(path), "%s.%s", where, key);
	struct cni_ipconfig ip = {.interface = -1};
	if ((r = get_ipnet(o, path, "ip", true, &ip.address, reterr)) < 0)
		return r;
	if (ip.address.ip.family != family)
		return decode_error(reterr, path, "address of the wrong family in", key);
	if ((r = get_ip(o, path, "gateway", &ip.gateway, reterr)) < 0)
		return r;
	if (cni_result_add_ip(res, &ip) < 0)
		return oom(reterr);
	return parse_routes(o, path, res, reterr);
}

static int parse_interfaces(const json_t *j, const char *where, struct cni_result *res,
			    struct cni_error **reterr)
{
	json_t *a = NULL, *v;
	size_t i;
	long long mtu;
	char path[128];
	int r = cni_json_array(j, where, "interfaces", CNI_MAX_INTERFACES, &a, reterr);
	if (r <= 0)
		return r;
	json_array_foreach (a, i, v) {
		snprintf(path, sizeof(path), "%s.interfaces[%zu]", where, i);
		if (!json_is_object(v))
			return decode_error(reterr, path, "expected an object", NULL);
		struct cni_interface *f = grow((void **)&res->interfaces, &res->n_interfaces,
					       sizeof(*f), CNI_MAX_INTERFACES);
		if (!f)
			return oom(reterr);
		if ((r = get_str_dup(v, path, "name", &f->name, reterr)) < 0)
			return r;
		if (!f->name && !(f->name = strdup("")))
			return oom(reterr);
		if ((r = get_str_dup(v, path, "mac", &f->mac, reterr)) < 0 ||
		    (r = get_str_dup(v, path, "sandbox", &f->sandbox, reterr)) < 0 ||
		    (r = get_str_dup(v, path, "socketPath", &f->socket_path, reterr)) < 0 ||
		    (r = get_str_dup(v, path, "pciID", &f->pci_id, reterr)) < 0)
			return r;
		if ((r = cni_json_int(v, path, "mtu", 0, INT_MAX, &mtu, reterr)) < 0)
			return r;
		f->mtu = r ? (unsigned)mtu : 0;
	}
	return 0;
}

static int parse_ips(const json_t *j, const char *where, struct cni_result *res,
		     struct cni_error **reterr)
{
	json_t *a = NULL, *v;
	size_t i;
	long long idx;
	char path[128];
	int r = cni_json_array(j, where, "ips", CNI_MAX_IPS, &a, reterr);
	if (r <= 0)
		return r;
	json_array_foreach (a, i, v) {
		struct cni_ipconfig ip = {.interface = -1};
		snprintf(path, sizeof(path), "%s.ips[%zu]", where, i);
		if (!json_is_object(v))
			return decode_error(reterr, path, "expected an object", NULL);
		if ((r = get_ipnet(v, path, "address", true, &ip.address, reterr)) < 0)
			return r;
		if ((r = get_ip(v, path, "gateway", &ip.gateway, reterr)) < 0)
			return r;
		if ((r = cni_json_int(v, path, "interface", 0, CNI_MAX_INTERFACES - 1, &idx,
				      reterr)) < 0)
			return r;
		if (r) {
			if ((size_t)idx >= res->n_interfaces) {
				char p2[160];
				snprintf(p2, sizeof(p2), "%s.interface", path);
				return decode_error(reterr, p2, "no such interface index", NULL);
			}
			ip.interface = (int)idx;
		}
		if (cni_result_add_ip(res, &ip) < 0)
			return oom(reterr);
	}
	return 0;
}

int cni_result_from_json(const json_t *j, enum cni_version v, const char *where,
			 struct cni_result **ret, struct cni_error **reterr)
{
	_cleanup_cni_result_ struct cni_result *res = NULL;
	int r;

	if (!json_is_object(j))
		return decode_error(reterr, where, "expected an object", NULL);
	res = cni_result_new();
	if (!res)
		return oom(reterr);

	if (v < CNI_VERSION_0_3_0) {
		if ((r = parse_legacy_ip(j, where, "ip4", AF_INET, res, reterr)) < 0)
			return r;
		if ((r = parse_legacy_ip(j, where, "ip6", AF_INET6, res, reterr)) < 0)
			return r;
	} else {
		if ((r = parse_interfaces(j, where, res, reterr)) < 0)
			return r;
		if ((r = parse_ips(j, where, res, reterr)) < 0)
			return r;
		if ((r = parse_routes(j, where, res, reterr)) < 0)
			return r;
	}
	if ((r = parse_dns(j, where, &res->dns, reterr)) < 0)
		return r;
	*ret = TAKE_PTR(res);
	return 0;
}

/* --- emitting ---------------------------------------------------------------------- */

/* json_object_set_new() with a NULL check: any failure makes the whole emit fail. */
static bool set(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0;
}

static bool set_str_opt(json_t *o, const char *k, const char *s)
{
	return !s || !*s || set(o, k, json_string(s));
}

static json_t *ip_json(const struct berth_ip *ip)
{
	char buf[BERTH_IP_STRLEN];
	return json_string(berth_ip_fmt(ip, buf));
}

static json_t *ipnet_json(const struct berth_ipnet *n)
{
	char buf[BERTH_IPNET_STRLEN];
	return json_string(berth_ipnet_fmt(n, buf));
}

static json_t *route_json(const struct cni_route *rt)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	bool ok = set(o, "dst", ipnet_json(&rt->dst));
	if (ok && rt->gw.family)
		ok = set(o, "gw", ip_json(&rt->gw));
	if (ok && rt->mtu)
		ok = set(o, "mtu", json_integer(rt->mtu));
	if (ok && rt->advmss)
		ok = set(o, "advmss", json_integer(rt->advmss));
	if (ok && rt->priority)
		ok = set(o, "priority", json_integer(rt->priority));
	if (ok && rt->has_table)
		ok = set(o, "table", json_integer(rt->table));
	if (ok && rt->has_scope)
		ok = set(o, "scope", json_integer(rt->scope));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool set_strv(json_t *o, const char *k, const struct cni_strv *s)
{
	if (s->n == 0)
		return true;
	json_t *a = json_array();
	if (!a)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (json_array_append_new(a, json_string(s->v[i])) < 0) {
			json_decref(a);
			return false;
		}
	return set(o, k, a);
}

static json_t *dns_json(const struct cni_dns *d)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (!set_strv(o, "nameservers", &d->nameservers) || !set_str_opt(o, "domain", d->domain) ||
	    !set_strv(o, "search", &d->search) || !set_strv(o, "options", &d->options)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *legacy_ip_json(const struct cni_result *r, const struct cni_ipconfig *ip, int family)
{
	json_t *o = json_object(), *routes = json_array();
	bool ok = o && routes && set(o, "ip", ipnet_json(&ip->address));
	if (ok && ip->gateway.family)
		ok = set(o, "gateway", ip_json(&ip->gateway));
	for (size_t i = 0; ok && i < r->n_routes; i++)
		if (r->routes[i].dst.ip.family == family)
			ok = json_array_append_new(routes, route_json(&r->routes[i])) == 0;
	if (ok && json_array_size(routes) > 0) {
		ok = set(o, "routes", routes);
		routes = NULL;
	}
	json_decref(routes);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int emit_legacy(const struct cni_result *r, json_t *o, struct cni_error **reterr)
{
	const struct cni_ipconfig *v4 = NULL, *v6 = NULL;
	for (size_t i = 0; i < r->n_ips; i++) {
		if (!v4 && r->ips[i].address.ip.family == AF_INET)
			v4 = &r->ips[i];
		if (!v6 && r->ips[i].address.ip.family == AF_INET6)
			v6 = &r->ips[i];
	}
	if (!v4 && !v6)
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_CONVERT,
				     "cannot convert: no valid IP addresses", NULL);
	if (v4 && !set(o, "ip4", legacy_ip_json(r, v4, AF_INET)))
		return oom(reterr);
	if (v6 && !set(o, "ip6", legacy_ip_json(r, v6, AF_INET6)))
		return oom(reterr);
	return 0;
}

static int emit_current(const struct cni_result *r, enum cni_version v, json_t *o,
			struct cni_error **reterr)
{
	if (r->n_interfaces > 0) {
		json_t *a = json_array();
		if (!set(o, "interfaces", a))
			return oom(reterr);
		for (size_t i = 0; i < r->n_interfaces; i++) {
			const struct cni_interface *f = &r->interfaces[i];
			json_t *fo = json_object();
			bool ok = fo && set(fo, "name", json_string(f->name ? f->name : "")) &&
				  set_str_opt(fo, "mac", f->mac);
			if (ok && v >= CNI_VERSION_1_1_0 && f->mtu)
				ok = set(fo, "mtu", json_integer(f->mtu));
			ok = ok && set_str_opt(fo, "sandbox", f->sandbox);
			if (ok && v >= CNI_VERSION_1_1_0)
				ok = set_str_opt(fo, "socketPath", f->socket_path) &&
				     set_str_opt(fo, "pciID", f->pci_id);
			if (!ok) {
				json_decref(fo);
				return oom(reterr);
			}
			if (json_array_append_new(a, fo) < 0)
				return oom(reterr);
		}
	}
	if (r->n_ips > 0) {
		json_t *a = json_array();
		if (!set(o, "ips", a))
			return oom(reterr);
		for (size_t i = 0; i < r->n_ips; i++) {
			const struct cni_ipconfig *ip = &r->ips[i];
			json_t *io = json_object();
			bool ok = io != NULL;
			if (ok && v < CNI_VERSION_1_0_0)
				ok = set(io, "version",
					 json_string(ip->address.ip.family == AF_INET ? "4" : "6"));
			if (ok && ip->interface >= 0)
				ok = set(io, "interface", json_integer(ip->interface));
			ok = ok && set(io, "address", ipnet_json(&ip->address));
			if (ok && ip->gateway.family)
				ok = set(io, "gateway", ip_json(&ip->gateway));
			if (!ok) {
				json_decref(io);
				return oom(reterr);
			}
			if (json_array_append_new(a, io) < 0)
				return oom(reterr);
		}
	}
	if (r->n_routes > 0) {
		json_t *a = json_array();
		if (!set(o, "routes", a))
			return oom(reterr);
		for (size_t i = 0; i < r->n_routes; i++)
			if (json_array_append_new(a, route_json(&r->routes[i])) < 0)
				return oom(reterr);
	}
	return 0;
}

int cni_result_to_json(const struct cni_result *r, enum cni_version v, json_t **ret,
		       struct cni_error **reterr)
{
	json_auto_t *o = json_object();
	int e;

	if (!o || v < 0 || v >= _CNI_VERSION_MAX)
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_INTERNAL, "cannot emit result",
				     NULL);
	if (!set(o, "cniVersion", json_string(cni_version_to_string(v))))
		return oom(reterr);
	e = v < CNI_VERSION_0_3_0 ? emit_legacy(r, o, reterr) : emit_current(r, v, o, reterr);
	if (e < 0)
		return e;

	json_t *dns = dns_json(&r->dns);
	if (!dns)
		return oom(reterr);
	/* 1.x omits an empty dns; older versions always carry it. */
	if (v >= CNI_VERSION_1_0_0 && json_object_size(dns) == 0)
		json_decref(dns);
	else if (!set(o, "dns", dns))
		return oom(reterr);

	*ret = json_incref(o);
	return 0;
}
