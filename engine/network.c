// SPDX-License-Identifier: Apache-2.0
/* See network.h. */
#include "network.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "ipam/ipam.h"
#include "netlink/netlink.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JSON_FILE_FLAGS (JSON_INDENT(5) | JSON_PRESERVE_ORDER)

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_netns *, berth_netns_free)

void eng_network_free(struct eng_network *n)
{
	if (!n)
		return;
	json_decref(n->j);
	free(n->path);
	free(n);
}

void eng_network_list_free(struct eng_network **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		eng_network_free(v[i]);
	free(v);
}

static bool name_valid(const char *s)
{
	if (!s || !isalnum((unsigned char)s[0]) || strlen(s) > 253)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

static bool id_valid(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

const char *eng_network_label(const struct eng_network *n, const char *key)
{
	json_t *v = json_object_get(json_object_get(n->j, "labels"), key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Wrap a parsed object; -EINVAL when it is not a network Podman would load. */
static int wrap(json_t *j, const char *path, struct eng_network **ret)
{
	json_t *name = json_object_get(j, "name"), *id = json_object_get(j, "id");
	json_t *driver = json_object_get(j, "driver");
	if (!json_is_object(j) || !json_is_string(name) || !name_valid(json_string_value(name)) ||
	    !json_is_string(id) || !id_valid(json_string_value(id)))
		return -EINVAL;
	struct eng_network *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->j = json_incref(j);
	n->name = json_string_value(name);
	n->id = json_string_value(id);
	n->driver = json_is_string(driver) ? json_string_value(driver) : "bridge";
	n->path = path ? strdup(path) : NULL;
	const char *b = eng_network_label(n, "berth.backend");
	n->backend = b && strcmp(b, "cni") == 0 ? ENG_BACKEND_CNI : ENG_BACKEND_NETAVARK;
	if (path && !n->path) {
		eng_network_free(n);
		return -ENOMEM;
	}
	*ret = n;
	return 0;
}

static json_t *default_network(void)
{
	char created[64];
	eng_now_rfc3339(created);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:b, s:b, s:b, s:{s:s}}",
			 "name", ENG_DEFAULT_NETWORK, "id", ENG_DEFAULT_NETWORK_ID, "driver",
			 "bridge", "network_interface", "podman0", "created", created, "subnets",
			 "subnet", "10.88.0.0/16", "gateway", "10.88.0.1", "ipv6_enabled", 0,
			 "internal", 0, "dns_enabled", 0, "ipam_options", "driver", "host-local");
}

static int cmp_name(const void *a, const void *b)
{
	const struct eng_network *x = *(struct eng_network *const *)a;
	const struct eng_network *y = *(struct eng_network *const *)b;
	return strcmp(x->name, y->name);
}

int eng_network_list(struct eng_ctx *ctx, struct eng_network ***ret, size_t *ret_n,
		     struct berth_error **reterr)
{
	struct eng_network **v = NULL;
	size_t n = 0;
	bool have_default = false;
	int r;

	_cleanup_(closedirp) DIR *d = opendir(ctx->net_dir);
	if (!d && errno != ENOENT)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "read %s", ctx->net_dir);
	v = calloc(ENG_MAX_NETWORKS + 1, sizeof(*v));
	if (!v)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (struct dirent *de; d && (de = readdir(d));) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n >= ENG_MAX_NETWORKS) {
			eng_network_list_free(v, n);
			return berth_error_set(reterr, E2BIG, "more than %d network files in %s",
					       ENG_MAX_NETWORKS, ctx->net_dir);
		}
		_cleanup_free_ char *path = eng_path(ctx->net_dir, "%s", de->d_name);
		_cleanup_free_ char *buf = NULL;
		size_t blen;
		if (!path) {
			eng_network_list_free(v, n);
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
		r = read_file_limited(path, ENG_MAX_NETWORK_FILE, &buf, &blen);
		json_error_t jerr;
		json_t *j = r == 0 ? json_loadb(buf, blen, 0, &jerr) : NULL;
		struct eng_network *net = NULL;
		if (j && wrap(j, path, &net) == 0 &&
		    strlen(net->name) == len - 5 && strncmp(net->name, de->d_name, len - 5) == 0) {
			v[n++] = net;
			have_default |= strcmp(net->name, ENG_DEFAULT_NETWORK) == 0;
		} else {
			/* as Podman: a file it would not load is skipped with a warning */
			fprintf(stderr, "WARN: skipping network file %s: %s\n", path,
				r < 0 ? strerror(-r) : !j ? jerr.text
				: !net ? "not a network (name or 64-character id missing)"
				       : "file name is not <name>.json");
			eng_network_free(net);
		}
		json_decref(j);
	}
	if (!have_default) {
		json_t *j = default_network();
		r = j ? wrap(j, NULL, &v[n]) : -ENOMEM;
		json_decref(j);
		if (r < 0) {
			eng_network_list_free(v, n);
			return berth_error_set(reterr, -r, "out of memory");
		}
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_name);
	*ret = v;
	*ret_n = n;
	return 0;
}

int eng_network_get(struct eng_ctx *ctx, const char *ref, struct eng_network **ret,
		    struct berth_error **reterr)
{
	struct eng_network **v;
	size_t n, hit = SIZE_MAX, hits = 0;
	int r = eng_network_list(ctx, &v, &n, reterr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && hit == SIZE_MAX; i++)
		if (strcmp(v[i]->name, ref) == 0 || strcmp(v[i]->id, ref) == 0)
			hit = i, hits = 1;
	for (size_t i = 0; hit == SIZE_MAX && i < n; i++)
		if (strlen(ref) >= 1 && strncmp(v[i]->id, ref, strlen(ref)) == 0)
			hits++;
	if (hit == SIZE_MAX && hits == 1)
		for (size_t i = 0; i < n; i++)
			if (strncmp(v[i]->id, ref, strlen(ref)) == 0)
				hit = i;
	if (hit == SIZE_MAX) {
		eng_network_list_free(v, n);
		if (hits > 1)
			return berth_error_set(reterr, EINVAL,
					       "more than one network matches ID prefix %s", ref);
		return berth_error_set(reterr, ENOENT,
				       "unable to find network with name or ID %s: network not found",
				       ref);
	}
	*ret = TAKE_PTR(v[hit]);
	for (size_t i = 0; i < n; i++)
		eng_network_free(v[i]);
	free(v);
	return 0;
}

size_t eng_network_subnets(const struct eng_network *n, struct berth_ipnet *ret, struct berth_ip *ret_gw,
			   size_t max)
{
	json_t *subnets = json_object_get(n->j, "subnets"), *s;
	size_t i, k = 0;
	json_array_foreach(subnets, i, s) {
		if (k >= max)
			break;
		json_t *sub = json_object_get(s, "subnet"), *gw = json_object_get(s, "gateway");
		if (!json_is_string(sub) || berth_ipnet_parse(json_string_value(sub), &ret[k]) < 0)
			continue;
		if (ret_gw) {
			memset(&ret_gw[k], 0, sizeof(ret_gw[k]));
			if (json_is_string(gw))
				(void)berth_ip_parse(json_string_value(gw), &ret_gw[k]);
		}
		k++;
	}
	return k;
}

bool eng_network_dns_enabled(const struct eng_network *n)
{
	return json_is_true(json_object_get(n->j, "dns_enabled"));
}

bool eng_network_ipam_host_local(const struct eng_network *n)
{
	json_t *d = json_object_get(json_object_get(n->j, "ipam_options"), "driver");
	return !json_is_string(d) || strcmp(json_string_value(d), "host-local") == 0;
}

/* ---- create ---- */

/* Subnets in use: every network's, and every address on the host's interfaces. */
static size_t used_subnets(struct eng_network **v, size_t n, struct berth_ipnet *used, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < max; i++)
		k += eng_network_subnets(v[i], used + k, NULL, max - k);
	struct if_nameindex *ifs = if_nameindex();
	_cleanup_(berth_netns_freep) struct berth_netns *ns = NULL;
	if (ifs && berth_netns_open_current(&ns) == 0)
		for (struct if_nameindex *p = ifs; p->if_index && k < max; p++) {
			int got = berth_addr_list(ns, (int)p->if_index, AF_UNSPEC, used + k, max - k);
			if (got > 0)
				k += (size_t)got;
		}
	if (ifs)
		if_freenameindex(ifs);
	return k;
}

static bool iface_taken(struct eng_network **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		json_t *ni = json_object_get(v[i]->j, "network_interface");
		if (json_is_string(ni) && strcmp(json_string_value(ni), name) == 0)
			return true;
	}
	return if_nametoindex(name) != 0;
}

static int net_fail(struct berth_error **reterr, const char *fmt, const char *arg)
	__attribute__((format(printf, 2, 0)));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int net_fail(struct berth_error **reterr, const char *fmt, const char *arg)
{
	return berth_error_set(reterr, EINVAL, fmt, arg);
}
#pragma GCC diagnostic pop

int eng_network_create(struct eng_ctx *ctx, const struct eng_network_create *o,
		       struct eng_network **ret, struct berth_error **reterr)
{
	struct eng_network **v = NULL;
	size_t n = 0;
	char namebuf[32], ifbuf[IFNAMSIZ], created[64], idbuf[65];
	const char *driver = o->driver ? o->driver : "bridge";
	bool bridge = strcmp(driver, "bridge") == 0;
	const char *ipam = o->ipam_driver;
	int r;

	if (!bridge && strcmp(driver, "macvlan") != 0 && strcmp(driver, "ipvlan") != 0)
		return net_fail(reterr, "unsupported driver %s: invalid argument", driver);
	if (o->name && !name_valid(o->name))
		return berth_error_set(reterr, EINVAL,
				       "network name %s invalid: names must match "
				       "[a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument",
				       o->name);
	if (o->interface && !berth_ifname_valid(o->interface))
		return net_fail(reterr, "interface name %s invalid: invalid argument",
				o->interface);
	if (o->n_gateways > o->n_subnets || o->n_ip_ranges > o->n_subnets)
		return berth_error_set(reterr, EINVAL,
				       "cannot set more gateways or ip ranges than subnets: "
				       "invalid argument");
	if (ipam && strcmp(ipam, "host-local") != 0 && strcmp(ipam, "none") != 0 &&
	    strcmp(ipam, "dhcp") != 0)
		return net_fail(reterr, "unsupported ipam driver %s: invalid argument", ipam);
	if (ipam && strcmp(ipam, "none") == 0 && o->n_subnets)
		return berth_error_set(reterr, EINVAL,
				       "none ipam driver is set but subnets are given: "
				       "invalid argument");
	r = eng_lock(ctx, reterr);
	if (r < 0)
		return r;
	r = eng_network_list(ctx, &v, &n, reterr);
	if (r < 0)
		return r;
	if (n >= ENG_MAX_NETWORKS) { /* the default network counts: it may get a file */
		eng_network_list_free(v, n);
		return berth_error_set(reterr, E2BIG, "at most %d networks: remove some first",
				       ENG_MAX_NETWORKS);
	}
	_cleanup_free_ struct berth_ipnet *used = calloc(BERTH_IPAM_MAX_USED, sizeof(*used));
	if (!used) {
		eng_network_list_free(v, n);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}

	/* the name: as Podman, podman1, podman2, ... when none is given */
	const char *name = o->name;
	for (unsigned i = 1; !name && i < 100000; i++) {
		snprintf(namebuf, sizeof(namebuf), "podman%u", i);
		bool taken = false;
		for (size_t k = 0; k < n && !taken; k++)
			taken = strcmp(v[k]->name, namebuf) == 0;
		if (!taken)
			name = namebuf;
	}
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k]->name, name) == 0) {
			if (o->ignore) {
				*ret = TAKE_PTR(v[k]);
				eng_network_list_free(v, n);
				return 0;
			}
			eng_network_list_free(v, n);
			return berth_error_set(reterr, EEXIST,
					       "network name %s already used: network already exists",
					       name);
		}

	/* the interface: the lowest free podmanN for a bridge */
	const char *iface = o->interface;
	if (bridge && iface && iface_taken(v, n, iface)) {
		eng_network_list_free(v, n);
		return berth_error_set(reterr, EEXIST,
				       "bridge name %s already in use: invalid argument", iface);
	}
	for (unsigned i = 1; bridge && !iface && i < 100000; i++) {
		snprintf(ifbuf, sizeof(ifbuf), "podman%u", i);
		if (!iface_taken(v, n, ifbuf))
			iface = ifbuf;
	}

	json_auto_t *subnets = json_array();
	size_t n_used = used_subnets(v, n, used, BERTH_IPAM_MAX_USED);
	bool ipv6 = o->ipv6;
	for (size_t i = 0; i < o->n_subnets && subnets; i++) {
		struct berth_ipnet sn;
		char buf[BERTH_IPNET_STRLEN];
		if (berth_ipnet_parse(o->subnets[i], &sn) < 0) {
			eng_network_list_free(v, n);
			return net_fail(reterr, "invalid subnet %s: invalid argument", o->subnets[i]);
		}
		berth_ipnet_network(&sn, &sn);
		for (size_t k = 0; k < n_used; k++)
			if (berth_ipnet_overlaps(&sn, &used[k])) {
				eng_network_list_free(v, n);
				return berth_error_set(reterr, EEXIST,
						       "subnet %s is already used on the host or "
						       "by another config: invalid argument",
						       berth_ipnet_fmt(&sn, buf));
			}
		if (sn.ip.family == AF_INET6)
			ipv6 = true;
		json_t *s = json_pack("{s:s}", "subnet", berth_ipnet_fmt(&sn, buf));
		struct berth_ip gw = {0};
		if (i < o->n_gateways) {
			if (berth_ip_parse(o->gateways[i], &gw) < 0 || !berth_ipnet_contains(&sn, &gw)) {
				json_decref(s);
				eng_network_list_free(v, n);
				return berth_error_set(reterr, EINVAL,
						       "gateway %s not in subnet %s: invalid argument",
						       o->gateways[i], buf);
			}
		} else if (!(o->internal && o->disable_dns)) {
			gw = sn.ip;
			(void)berth_ip_inc(&gw);
		}
		char gbuf[BERTH_IP_STRLEN];
		if (gw.family)
			json_object_set_new(s, "gateway", json_string(berth_ip_fmt(&gw, gbuf)));
		if (i < o->n_ip_ranges) {
			struct berth_ipnet rn;
			if (berth_ipnet_parse(o->ip_ranges[i], &rn) < 0 ||
			    !berth_ipnet_contains(&sn, &rn.ip)) {
				json_decref(s);
				eng_network_list_free(v, n);
				return berth_error_set(reterr, EINVAL,
						       "ip range %s not in subnet %s: invalid argument",
						       o->ip_ranges[i], buf);
			}
			struct berth_ipnet rnet;
			struct berth_ip end;
			berth_ipnet_network(&rn, &rnet);
			struct berth_ip start = rnet.ip;
			berth_ipnet_last(&rnet, &end);
			if (start.family == AF_INET && rnet.prefixlen < 31)
				(void)berth_ip_inc(&start), (void)berth_ip_dec(&end);
			char sbuf[BERTH_IP_STRLEN], ebuf[BERTH_IP_STRLEN];
			json_object_set_new(s, "lease_range",
					    json_pack("{s:s, s:s}", "start_ip", berth_ip_fmt(&start, sbuf),
						      "end_ip", berth_ip_fmt(&end, ebuf)));
		}
		json_array_append_new(subnets, s);
	}
	bool want_subnet = bridge && (!ipam || strcmp(ipam, "host-local") == 0);
	if (want_subnet && o->n_subnets == 0) {
		size_t n_pools;
		const struct berth_ipam_pool *pools = berth_ipam_default_pools(&n_pools);
		struct berth_ipnet sn;
		char buf[BERTH_IPNET_STRLEN], gbuf[BERTH_IP_STRLEN];
		r = berth_ipam_pick_subnet(pools, n_pools, used, n_used, &sn);
		if (r < 0) {
			eng_network_list_free(v, n);
			return berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
						 "could not find free subnet from subnet pools");
		}
		struct berth_ip gw = sn.ip;
		(void)berth_ip_inc(&gw);
		json_array_append_new(subnets, json_pack("{s:s, s:s}", "subnet",
							 berth_ipnet_fmt(&sn, buf), "gateway",
							 berth_ip_fmt(&gw, gbuf)));
	}
	eng_network_list_free(v, n);
	if (ipv6 && want_subnet) {
		bool have6 = false;
		size_t i;
		json_t *s;
		json_array_foreach(subnets, i, s) {
			const char *t = json_string_value(json_object_get(s, "subnet"));
			have6 |= t && strchr(t, ':');
		}
		if (!have6) {
			/* a random ULA /64, as Podman does */
			char id[65], sbuf[64], gbuf[64];
			if (eng_random_id(id) < 0)
				return berth_error_set(reterr, EIO, "no random bytes");
			snprintf(sbuf, sizeof(sbuf), "fd%.2s:%.4s:%.4s:%.4s::/64", id, id + 2, id + 6,
				 id + 10);
			struct berth_ipnet sn;
			if (berth_ipnet_parse(sbuf, &sn) < 0)
				return berth_error_set(reterr, EIO, "bad ULA %s", sbuf);
			char nbuf[BERTH_IPNET_STRLEN];
			struct berth_ip gw = sn.ip;
			(void)berth_ip_inc(&gw);
			berth_ip_fmt(&gw, gbuf);
			json_array_append_new(subnets, json_pack("{s:s, s:s}", "subnet",
								 berth_ipnet_fmt(&sn, nbuf),
								 "gateway", gbuf));
		}
	}

	bool dns = bridge && !o->disable_dns && !(ipam && strcmp(ipam, "none") == 0);
	if (o->n_dns_servers && !dns)
		return berth_error_set(reterr, EINVAL,
				       "cannot set DNS servers on a network without DNS: "
				       "invalid argument");
	r = eng_random_id(idbuf);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "random id");
	eng_now_rfc3339(created);
	json_auto_t *j = json_pack("{s:s, s:s, s:s}", "name", name, "id", idbuf, "driver", driver);
	if (!j || !subnets)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (iface)
		json_object_set_new(j, "network_interface", json_string(iface));
	json_object_set_new(j, "created", json_string(created));
	if (json_array_size(subnets))
		json_object_set(j, "subnets", subnets);
	json_object_set_new(j, "ipv6_enabled", json_boolean(ipv6));
	json_object_set_new(j, "internal", json_boolean(o->internal));
	json_object_set_new(j, "dns_enabled", json_boolean(dns));
	if (o->n_dns_servers) {
		json_t *a = json_array();
		for (size_t i = 0; i < o->n_dns_servers; i++) {
			struct berth_ip ip;
			if (berth_ip_parse(o->dns_servers[i], &ip) < 0) {
				json_decref(a);
				return net_fail(reterr, "invalid DNS server %s: invalid argument",
						o->dns_servers[i]);
			}
			json_array_append_new(a, json_string(o->dns_servers[i]));
		}
		json_object_set_new(j, "network_dns_servers", a);
	}
	if (o->labels && json_object_size(o->labels))
		json_object_set(j, "labels", o->labels);
	if (o->options && json_object_size(o->options))
		json_object_set(j, "options", o->options);
	json_object_set_new(j, "ipam_options",
			    json_pack("{s:s}", "driver",
				      ipam ? ipam : (want_subnet || bridge) ? "host-local" : "dhcp"));

	r = mkdir_p(ctx->net_dir, 0755);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "create %s", ctx->net_dir);
	_cleanup_free_ char *path = eng_path(ctx->net_dir, "%s.json", name);
	_cleanup_free_ char *text = json_dumps(j, JSON_FILE_FLAGS);
	if (!path || !text)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	size_t tlen = strlen(text);
	_cleanup_free_ char *withnl = malloc(tlen + 2);
	if (!withnl)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	memcpy(withnl, text, tlen);
	withnl[tlen] = '\n';
	r = write_file_atomic(path, withnl, tlen + 1, 0644);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write %s", path);
	r = wrap(j, path, ret);
	if (r < 0)
		return berth_error_set(reterr, -r, "out of memory");
	return 0;
}

int eng_network_remove_file(struct eng_ctx *ctx, const struct eng_network *n,
			    struct berth_error **reterr)
{
	if (!n->path)
		return berth_error_set(reterr, EINVAL,
				       "default network %s cannot be removed", n->name);
	if (unlink(n->path) < 0 && errno != ENOENT)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "remove %s", n->path);
	return 0;
}
