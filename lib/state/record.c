// SPDX-License-Identifier: Apache-2.0
/* State records (record.h): JSON files under <run>/state/<owner>/. */
#include "state/record.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/hash.h"
#include "basic/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_record *, berth_record_free)

#define RECORD_VERSION 1
#define OWNER_MAX 32

void berth_record_free(struct berth_record *r)
{
	if (!r)
		return;
	free(r->owner);
	free(r->id);
	free(r->name);
	free(r->network);
	free(r->nets);
	free(r->redirects);
	free(r->forwards);
	free(r->elems);
	free(r);
}

void berth_record_fw_network(const struct berth_record *r, size_t i, struct berth_fw_network *ret)
{
	const struct berth_record_net *n = &r->nets[i];
	*ret = (struct berth_fw_network){
		.bridge = n->bridge,
		.subnets = n->subnets,
		.n_subnets = n->n_subnets,
		.internal = n->internal,
		.isolate = n->isolate,
	};
}

static bool owner_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > OWNER_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static const char *const isolate_names[] = {
	[BERTH_FW_ISOLATE_NONE] = "none",
	[BERTH_FW_ISOLATE_TRUE] = "true",
	[BERTH_FW_ISOLATE_STRICT] = "strict",
};

static const char *proto_name(uint8_t p)
{
	return berth_l4proto_name(p);
}

static int proto_parse(const char *s, uint8_t *ret)
{
	if (strcmp(s, "tcp") == 0)
		*ret = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		*ret = IPPROTO_UDP;
	else if (strcmp(s, "sctp") == 0)
		*ret = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

/* ---- to JSON ---------------------------------------------------------------- */

static json_t *ip_json(const struct berth_ip *ip)
{
	char b[BERTH_IP_STRLEN];
	return json_string(berth_ip_fmt(ip, b));
}

/* Returns 0 or -ENOMEM; takes v in every case. */
static int put(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

static int push(json_t *a, json_t *v)
{
	return v && json_array_append_new(a, v) == 0 ? 0 : -ENOMEM;
}

static json_t *net_json(const struct berth_record_net *n)
{
	_cleanup_(json_decrefp) json_t *o = json_object(), *subs = json_array();
	if (!o || !subs)
		return NULL;
	for (size_t i = 0; i < n->n_subnets; i++) {
		char b[BERTH_IPNET_STRLEN];
		if (push(subs, json_string(berth_ipnet_fmt(&n->subnets[i], b))) < 0)
			return NULL;
	}
	if (put(o, "bridge", json_string(n->bridge)) < 0 || put(o, "subnets", TAKE_PTR(subs)) < 0 ||
	    put(o, "internal", json_boolean(n->internal)) < 0 ||
	    put(o, "isolate", json_string(isolate_names[n->isolate])) < 0)
		return NULL;
	return TAKE_PTR(o);
}

static json_t *forward_json(const struct berth_fw_portmap *p)
{
	_cleanup_(json_decrefp) json_t *o = json_object();
	if (!o || put(o, "host_ip", ip_json(&p->host_ip)) < 0 ||
	    put(o, "protocol", json_string(proto_name(p->protocol))) < 0 ||
	    put(o, "host_port", json_integer(p->host_port)) < 0 ||
	    put(o, "container_port", json_integer(p->container_port)) < 0 ||
	    put(o, "range", json_integer(p->range)) < 0 ||
	    put(o, "container_ip", ip_json(&p->container_ip)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

static json_t *elem_json(const struct berth_fw_elem *e)
{
	_cleanup_(json_decrefp) json_t *o = json_object();
	const char *kind = berth_fw_elem_kind_to_string(e->kind);
	char b[BERTH_IPNET_STRLEN];

	if (!o || !kind || put(o, "kind", json_string(kind)) < 0)
		return NULL;
	switch (e->kind) {
	case BERTH_FW_ELEM_HAIRPIN:
	case BERTH_FW_ELEM_MASQ:
		if (put(o, "net", json_string(berth_ipnet_fmt(&e->net, b))) < 0)
			return NULL;
		__attribute__((fallthrough));
	case BERTH_FW_ELEM_ALLOW:
		if (put(o, "addr", ip_json(&e->addr)) < 0)
			return NULL;
		break;
	case BERTH_FW_ELEM_MACSPOOF: {
		char m[18];
		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0], e->mac[1],
			 e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		if (put(o, "port", json_string(e->ifname)) < 0 || put(o, "mac", json_string(m)) < 0)
			return NULL;
		break;
	}
	default:
		if (put(o, "bridge", json_string(e->ifname)) < 0)
			return NULL;
		break;
	}
	return TAKE_PTR(o);
}

int berth_record_to_json(const struct berth_record *r, char **ret, size_t *ret_len)
{
	_cleanup_(json_decrefp) json_t *o = json_object();
	_cleanup_(json_decrefp) json_t *nets = json_array(), *redirs = json_array(),
				       *fwds = json_array();

	if (!owner_ok(r->owner) || !r->id || !*r->id || strlen(r->id) > BERTH_RECORD_MAX_ID ||
	    r->n_nets > BERTH_RECORD_MAX_NETWORKS || r->n_forwards > BERTH_RECORD_MAX_FORWARDS ||
	    r->n_redirects > BERTH_RECORD_MAX_REDIRECTS || r->n_elems > BERTH_RECORD_MAX_ELEMS)
		return -EINVAL;
	if (!o || !nets || !redirs || !fwds)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_nets; i++)
		if (push(nets, net_json(&r->nets[i])) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < r->n_redirects; i++) {
		json_t *d = json_object();
		if (!d || put(d, "gateway", ip_json(&r->redirects[i].gateway)) < 0 ||
		    put(d, "port", json_integer(r->redirects[i].port)) < 0 || push(redirs, d) < 0) {
			json_decref(d);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < r->n_forwards; i++)
		if (push(fwds, forward_json(&r->forwards[i])) < 0)
			return -ENOMEM;
	if (put(o, "version", json_integer(RECORD_VERSION)) < 0 ||
	    put(o, "owner", json_string(r->owner)) < 0 || put(o, "id", json_string(r->id)) < 0 ||
	    (r->name && put(o, "name", json_string(r->name)) < 0) ||
	    (r->network && put(o, "network", json_string(r->network)) < 0) ||
	    put(o, "pending", json_boolean(r->pending)) < 0 ||
	    put(o, "networks", TAKE_PTR(nets)) < 0 ||
	    put(o, "dns_redirects", TAKE_PTR(redirs)) < 0 ||
	    put(o, "port_forwards", TAKE_PTR(fwds)) < 0)
		return -ENOMEM;
	if (r->n_elems > 0) {
		json_t *els = json_array();
		if (put(o, "fw_elements", els) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < r->n_elems; i++)
			if (push(els, elem_json(&r->elems[i])) < 0)
				return -ENOMEM;
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return -ENOMEM;
	*ret = s;
	if (ret_len)
		*ret_len = strlen(s);
	return 0;
}

/* ---- from JSON -------------------------------------------------------------- */

static int get_str(const json_t *o, const char *k, bool required, const char **ret)
{
	const json_t *v = json_object_get(o, k);
	if (!v) {
		*ret = NULL;
		return required ? -EINVAL : 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	*ret = json_string_value(v);
	return 0;
}

static int get_port(const json_t *o, const char *k, unsigned min, uint16_t *ret)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > 65535)
		return -EINVAL;
	*ret = (uint16_t)json_integer_value(v);
	return 0;
}

static int get_ip(const json_t *o, const char *k, struct berth_ip *ret)
{
	const char *s;
	int r = get_str(o, k, true, &s);
	return r < 0 ? r : berth_ip_parse(s, ret);
}

static int parse_net(const json_t *v, struct berth_record_net *n)
{
	const char *bridge, *iso;
	const json_t *subs = json_object_get(v, "subnets"), *s;
	size_t i;

	if (!json_is_object(v) || get_str(v, "bridge", true, &bridge) < 0 ||
	    !berth_ifname_valid(bridge) || !json_is_array(subs) ||
	    json_array_size(subs) > BERTH_FW_MAX_SUBNETS ||
	    !json_is_boolean(json_object_get(v, "internal")) ||
	    get_str(v, "isolate", true, &iso) < 0)
		return -EINVAL;
	snprintf(n->bridge, sizeof(n->bridge), "%s", bridge);
	json_array_foreach(subs, i, s) {
		if (!json_is_string(s) || berth_ipnet_parse(json_string_value(s), &n->subnets[i]) < 0)
			return -EINVAL;
	}
	n->n_subnets = json_array_size(subs);
	n->internal = json_is_true(json_object_get(v, "internal"));
	for (i = 0; i < ARRAY_SIZE(isolate_names); i++)
		if (strcmp(iso, isolate_names[i]) == 0)
			break;
	if (i == ARRAY_SIZE(isolate_names))
		return -EINVAL;
	n->isolate = (enum berth_fw_isolate)i;
	return 0;
}

static int parse_forward(const json_t *v, struct berth_fw_portmap *p)
{
	const char *proto;
	uint16_t range;

	if (!json_is_object(v) || get_ip(v, "host_ip", &p->host_ip) < 0 ||
	    get_ip(v, "container_ip", &p->container_ip) < 0 ||
	    get_str(v, "protocol", true, &proto) < 0 || proto_parse(proto, &p->protocol) < 0 ||
	    get_port(v, "host_port", 1, &p->host_port) < 0 ||
	    get_port(v, "container_port", 1, &p->container_port) < 0 ||
	    get_port(v, "range", 1, &range) < 0 ||
	    p->host_ip.family != p->container_ip.family ||
	    (unsigned)p->host_port + range - 1 > 65535 ||
	    (unsigned)p->container_port + range - 1 > 65535)
		return -EINVAL;
	p->range = range;
	return 0;
}

static int parse_elem(const json_t *v, struct berth_fw_elem *e)
{
	const char *kind, *s;
	int k;

	if (!json_is_object(v) || get_str(v, "kind", true, &kind) < 0 ||
	    (k = berth_fw_elem_kind_from_string(kind)) < 0)
		return -EINVAL;
	*e = (struct berth_fw_elem){ .kind = (enum berth_fw_elem_kind)k };
	switch (e->kind) {
	case BERTH_FW_ELEM_HAIRPIN:
	case BERTH_FW_ELEM_MASQ:
		if (get_str(v, "net", true, &s) < 0 || berth_ipnet_parse(s, &e->net) < 0)
			return -EINVAL;
		__attribute__((fallthrough));
	case BERTH_FW_ELEM_ALLOW:
		if (get_ip(v, "addr", &e->addr) < 0)
			return -EINVAL;
		if (e->kind != BERTH_FW_ELEM_ALLOW && e->net.ip.family != e->addr.family)
			return -EINVAL;
		return 0;
	case BERTH_FW_ELEM_MACSPOOF: {
		const char *mac;
		if (get_str(v, "port", true, &s) < 0 || !berth_ifname_valid(s) ||
		    get_str(v, "mac", true, &mac) < 0 || berth_mac_parse(mac, e->mac) < 0)
			return -EINVAL;
		snprintf(e->ifname, sizeof(e->ifname), "%s", s);
		return 0;
	}
	default:
		if (get_str(v, "bridge", true, &s) < 0 || !berth_ifname_valid(s))
			return -EINVAL;
		snprintf(e->ifname, sizeof(e->ifname), "%s", s);
		return 0;
	}
}

static int dup_opt(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int berth_record_from_json(const char *buf, size_t len, struct berth_record **ret)
{
	_cleanup_(json_decrefp) json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	_cleanup_(berth_record_freep) struct berth_record *r = NULL;
	const char *owner, *id, *name, *network;
	const json_t *nets, *redirs, *fwds, *els, *v, *pend;
	size_t i;
	int k;

	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "version")) ||
	    json_integer_value(json_object_get(o, "version")) != RECORD_VERSION)
		return -EINVAL;
	if (get_str(o, "owner", true, &owner) < 0 || !owner_ok(owner) ||
	    get_str(o, "id", true, &id) < 0 || !*id || strlen(id) > BERTH_RECORD_MAX_ID ||
	    get_str(o, "name", false, &name) < 0 || get_str(o, "network", false, &network) < 0)
		return -EINVAL;
	pend = json_object_get(o, "pending");
	if (pend && !json_is_boolean(pend))
		return -EINVAL;
	nets = json_object_get(o, "networks");
	redirs = json_object_get(o, "dns_redirects");
	fwds = json_object_get(o, "port_forwards");
	els = json_object_get(o, "fw_elements");
	if ((els && (!json_is_array(els) || json_array_size(els) > BERTH_RECORD_MAX_ELEMS)) ||
	    (nets && (!json_is_array(nets) || json_array_size(nets) > BERTH_RECORD_MAX_NETWORKS)) ||
	    (redirs &&
	     (!json_is_array(redirs) || json_array_size(redirs) > BERTH_RECORD_MAX_REDIRECTS)) ||
	    (fwds && (!json_is_array(fwds) || json_array_size(fwds) > BERTH_RECORD_MAX_FORWARDS)))
		return -EINVAL;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pending = json_is_true(pend);
	if ((k = dup_opt(owner, &r->owner)) < 0 || (k = dup_opt(id, &r->id)) < 0 ||
	    (k = dup_opt(name, &r->name)) < 0 || (k = dup_opt(network, &r->network)) < 0)
		return k;
	size_t nn = json_array_size(nets), nr = json_array_size(redirs), nf = json_array_size(fwds);
	r->nets = calloc(nn ? nn : 1, sizeof(*r->nets));
	r->redirects = calloc(nr ? nr : 1, sizeof(*r->redirects));
	r->forwards = calloc(nf ? nf : 1, sizeof(*r->forwards));
	if (!r->nets || !r->redirects || !r->forwards)
		return -ENOMEM;
	json_array_foreach(nets, i, v) {
		if (parse_net(v, &r->nets[i]) < 0)
			return -EINVAL;
	}
	r->n_nets = nn;
	json_array_foreach(redirs, i, v) {
		if (!json_is_object(v) || get_ip(v, "gateway", &r->redirects[i].gateway) < 0 ||
		    get_port(v, "port", 1, &r->redirects[i].port) < 0)
			return -EINVAL;
	}
	r->n_redirects = nr;
	json_array_foreach(fwds, i, v) {
		if (parse_forward(v, &r->forwards[i]) < 0)
			return -EINVAL;
	}
	r->n_forwards = nf;
	if (json_array_size(els) > 0) {
		r->elems = calloc(json_array_size(els), sizeof(*r->elems));
		if (!r->elems)
			return -ENOMEM;
		json_array_foreach(els, i, v) {
			if (parse_elem(v, &r->elems[i]) < 0)
				return -EINVAL;
		}
		r->n_elems = json_array_size(els);
	}
	*ret = TAKE_PTR(r);
	return 0;
}

/* ---- files ------------------------------------------------------------------- */

/*
 * Ids that are plain file names (Podman's 64 hex digits, CNI's
 * "<containerID>-<ifname>") are used as they are; anything else is stored
 * under a hash, so input never reaches outside the directory.
 */
static void file_name(const char *id, char buf[96])
{
	size_t n = strlen(id);
	bool plain = n > 0 && n <= 80 && id[0] != '.';
	for (const char *p = id; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.';
	if (plain)
		snprintf(buf, 96, "%s.json", id);
	else
		snprintf(buf, 96, "id-%016llx.json",
			 (unsigned long long)berth_fnv1a64(BERTH_FNV64_INIT, id, n));
}

static int owner_dir(const char *owner, char *buf, size_t size)
{
	char rel[64];
	if (!owner_ok(owner))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "state/%s", owner);
	return berth_run_path(rel, buf, size);
}

static int record_path(const char *owner, const char *id, char *buf, size_t size)
{
	char dir[PATH_MAX], name[96];
	int r = owner_dir(owner, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (!id || !*id || strlen(id) > BERTH_RECORD_MAX_ID)
		return -EINVAL;
	file_name(id, name);
	if (snprintf(buf, size, "%s/%s", dir, name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int berth_record_write(const struct berth_record *rec)
{
	char dir[PATH_MAX], path[PATH_MAX];
	_cleanup_free_ char *json = NULL;
	size_t len;
	int r;

	if ((r = berth_record_to_json(rec, &json, &len)) < 0 ||
	    (r = owner_dir(rec->owner, dir, sizeof(dir))) < 0 ||
	    (r = record_path(rec->owner, rec->id, path, sizeof(path))) < 0)
		return r;
	if ((r = mkdir_p(dir, 0700)) < 0)
		return r;
	return write_file_atomic(path, json, len, 0600);
}

static int load_path(const char *path, struct berth_record **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_limited(path, BERTH_RECORD_MAX_BYTES, &buf, &len);
	if (r < 0)
		return r;
	return berth_record_from_json(buf, len, ret);
}

int berth_record_load(const char *owner, const char *id, struct berth_record **ret)
{
	char path[PATH_MAX];
	int r = record_path(owner, id, path, sizeof(path));
	if (r < 0)
		return r;
	_cleanup_(berth_record_freep) struct berth_record *rec = NULL;
	r = load_path(path, &rec);
	if (r < 0)
		return r;
	/* a hashed name could in theory be another id's: check */
	if (strcmp(rec->id, id) != 0 || strcmp(rec->owner, owner) != 0)
		return -ENOENT;
	*ret = TAKE_PTR(rec);
	return 0;
}

int berth_record_remove(const char *owner, const char *id)
{
	char path[PATH_MAX];
	int r = record_path(owner, id, path, sizeof(path));
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct walk {
	int (*cb)(const struct berth_record *r, void *data);
	void *data;
	size_t seen, bad;
};

static int walk_dir(const char *dir, struct walk *w)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX];
		struct berth_record *rec = NULL;

		if (n < 6 || de->d_name[0] == '.' || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		if (++w->seen > BERTH_RECORD_MAX_RECORDS)
			return -E2BIG;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (load_path(path, &rec) < 0) {
			w->bad++;
			continue;
		}
		int r = w->cb(rec, w->data);
		berth_record_free(rec);
		if (r < 0)
			return r;
	}
	return 0;
}

int berth_record_foreach(const char *owner, int (*cb)(const struct berth_record *r, void *data),
			 void *data, size_t *ret_bad)
{
	struct walk w = { .cb = cb, .data = data };
	char dir[PATH_MAX];
	int r;

	if (owner) {
		r = owner_dir(owner, dir, sizeof(dir));
		if (r >= 0)
			r = walk_dir(dir, &w);
	} else {
		r = berth_run_path("state", dir, sizeof(dir));
		_cleanup_(closedirp) DIR *d = r < 0 ? NULL : opendir(dir);
		if (r >= 0 && !d && errno != ENOENT)
			r = -errno;
		struct dirent *de;
		while (r >= 0 && d && (de = readdir(d))) {
			char sub[PATH_MAX];
			if (!owner_ok(de->d_name))
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
				continue;
			r = walk_dir(sub, &w);
		}
	}
	if (ret_bad)
		*ret_bad = w.bad;
	return r;
}

/* ---- port-forward owners ------------------------------------------------------ */

bool berth_fw_portmap_clash(const struct berth_fw_portmap *a, const struct berth_fw_portmap *b)
{
	unsigned a_last = a->host_port + a->range - 1u, b_last = b->host_port + b->range - 1u;

	if (a->host_ip.family != b->host_ip.family || a->protocol != b->protocol ||
	    a->host_port > b_last || b->host_port > a_last)
		return false;
	/* "any address" (unspecified) and a specific address live in different maps */
	return berth_ip_equal(&a->host_ip, &b->host_ip);
}

struct owner_search {
	const struct berth_fw_portmap *pm;
	size_t n;
	const char *skip_owner, *skip_id;
	struct berth_record_owner *ret;
	int err;
};

static int owner_cb(const struct berth_record *rec, void *userdata)
{
	struct owner_search *os = userdata;

	if ((!os->skip_owner || strcmp(rec->owner, os->skip_owner) == 0) &&
	    (!os->skip_id || strcmp(rec->id, os->skip_id) == 0) && (os->skip_owner || os->skip_id))
		return 0;
	for (size_t i = 0; i < rec->n_forwards; i++)
		for (size_t j = 0; j < os->n; j++) {
			if (!berth_fw_portmap_clash(&rec->forwards[i], &os->pm[j]))
				continue;
			os->ret->owner = strdup(rec->owner);
			os->ret->id = strdup(rec->id);
			os->ret->name = rec->name ? strdup(rec->name) : NULL;
			if (!os->ret->owner || !os->ret->id || (rec->name && !os->ret->name))
				os->err = -ENOMEM;
			return -1; /* found: stop */
		}
	return 0;
}

void berth_record_owner_done(struct berth_record_owner *o)
{
	if (!o)
		return;
	free(o->owner);
	free(o->id);
	free(o->name);
	*o = (struct berth_record_owner){ 0 };
}

int berth_record_forward_owner(const struct berth_fw_portmap *pm, size_t n, const char *skip_owner,
			       const char *skip_id, struct berth_record_owner *ret)
{
	struct owner_search os = { .pm = pm, .n = n, .skip_owner = skip_owner,
				   .skip_id = skip_id, .ret = ret };

	*ret = (struct berth_record_owner){ 0 };
	(void)berth_record_foreach(NULL, owner_cb, &os, NULL);
	if (os.err < 0) {
		berth_record_owner_done(ret);
		return os.err;
	}
	return ret->owner ? 1 : 0;
}
