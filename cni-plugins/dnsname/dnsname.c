// SPDX-License-Identifier: Apache-2.0
/*
 * dnsname: the container's name and aliases in berth-dns (cni.md §4.7).
 *
 * Instead of a dnsmasq per network (containers/dnsname), the plugin writes
 * the aardvark-dns config directory that berth-dns reads (lib/dnsconf), one
 * file per CNI network, and starts the server or tells it to reload, exactly
 * as berth-net does for its networks:
 *
 *   <run>/cni/dns/aardvark.lock            the directory lock (adv_lock)
 *   <run>/cni/dns/aardvark-dns/<network>   line 1: the listen addresses (the
 *                                          gateways of prevResult's addresses)
 *                                          then one line per attachment:
 *                                          "<containerID>-<ifname> <v4> <v6> <name>,<alias>..."
 *   <run>/cni/dns/aardvark-dns/aardvark.pid
 *
 * <run> is berth's run directory (lib/basic/rundir.h). berth-dns answers by
 * network, so every container of the network resolves the others; unknown
 * names go upstream. Everything happens under berth's host-wide lock and
 * the directory lock; a failed ADD undoes its entry (the undo log), so a
 * server that fails to start leaves nothing behind.
 *
 * Keys: domainName (the search domain put into the result's dns),
 * capabilities.aliases (runtimeConfig.aliases: {"<network>": ["a", ...]}, as
 * Podman's CNI backend sends it), dnsServerPath (berth's: the server binary,
 * default BERTH_DNS_BIN). The container's name is CNI_ARGS K8S_POD_NAME.
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/rundir.h"
#include "dnsconf/aardvark.h"
#include "dnsconf/server.h"
#include "undo/undo.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BERTH_DNS_BIN
#define BERTH_DNS_BIN "/usr/local/bin/berth-dns"
#endif

#define DNSNAME_DIR "cni/dns"
#define DNSNAME_PORT 53
#define DNSNAME_MAX_ALIASES 64u
#define DNSNAME_MAX_LISTEN 8u
#define DNSNAME_ID_MAX (CNI_MAX_CONTAINER_ID + 1 + 16)

struct dnsname_conf {
	const char *domain; /* NULL = none */
	const char *server; /* the DNS server binary */
	const char *names[1 + DNSNAME_MAX_ALIASES];
	size_t n_names;
	char id[DNSNAME_ID_MAX]; /* "<containerID>-<ifname>", lowercased */
	char dir[PATH_MAX];	 /* <run>/cni/dns */
	char entries[PATH_MAX];	 /* <run>/cni/dns/aardvark-dns */
};

static const char *const dnsname_args[] = {"K8S_POD_NAME", NULL};

/* --- config ---------------------------------------------------------------------------- */

static bool name_ok(const char *s)
{
	return s && *s && strlen(s) <= ADV_MAX_NAME && !strpbrk(s, ", \t\r\n");
}

static int attachment_id(const char *cid, const char *ifname, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s-%s", cid, ifname);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static int dirs(struct dnsname_conf *c, struct cni_error **reterr)
{
	int r = berth_run_path(DNSNAME_DIR, c->dir, sizeof(c->dir));
	if (r >= 0)
		r = adv_dir_path(c->dir, c->entries, sizeof(c->entries));
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to find berth's run directory", "%s", strerror(-r));
	return 0;
}

/* Only what every verb needs: the directories and the attachment's id. */
static int conf_base(const struct cni_request *req, struct dnsname_conf *c,
		     struct cni_error **reterr)
{
	memset(c, 0, sizeof(*c));
	if (req->container_id && req->ifname &&
	    attachment_id(req->container_id, req->ifname, c->id, sizeof(c->id)) < 0)
		return cni_error_set(reterr, ENAMETOOLONG, CNI_ERR_INVALID_ENV,
				     "container id and interface name too long", NULL);
	return dirs(c, reterr);
}

/*
 * dnsServerPath, else $BERTH_DNS_BIN (a berth that is not installed where it
 * was built for: the tests run the build tree), else the installed berth-dns.
 */
static int server_path(const struct cni_request *req, const char **ret, struct cni_error **reterr)
{
	const char *env = getenv("BERTH_DNS_BIN");
	*ret = env && env[0] == '/' ? env : BERTH_DNS_BIN;
	int r = cni_json_string(req->config, "", "dnsServerPath", CNI_MAX_PATH, ret, reterr);
	if (r < 0)
		return r;
	if ((*ret)[0] != '/')
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid configuration field 'dnsServerPath'",
				     "not an absolute path");
	return 0;
}

static int conf_parse(const struct cni_request *req, struct dnsname_conf *c,
		      struct cni_error **reterr)
{
	json_t *aliases = NULL, *list;
	int r;

	if ((r = conf_base(req, c, reterr)) < 0)
		return r;
	if ((r = cni_json_string(req->config, "", "domainName", ADV_MAX_NAME, &c->domain, reterr)) <
	    0)
		return r;
	if (c->domain && (!*c->domain || !name_ok(c->domain)))
		c->domain = NULL;
	if ((r = server_path(req, &c->server, reterr)) < 0)
		return r;

	const char *pod = cni_request_arg(req, "K8S_POD_NAME");
	if (!pod || !*pod)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
				     "required CNI_ARGS K8S_POD_NAME missing", NULL);
	if (!name_ok(pod))
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
				     "invalid CNI_ARGS K8S_POD_NAME",
				     "at most %u bytes, no ',' or whitespace", ADV_MAX_NAME);
	c->names[c->n_names++] = pod;

	/* runtimeConfig.aliases: {"<network>": [names]} (Podman, ocicni); a list (the spec) too. */
	if (req->runtime_config && (r = cni_json_object(req->runtime_config, "runtimeConfig",
							"aliases", 65536, &aliases, reterr)) < 0) {
		/* not an object: the spec's list form */
		cni_error_freep(reterr);
		if ((r = cni_json_array(req->runtime_config, "runtimeConfig", "aliases",
					DNSNAME_MAX_ALIASES, &list, reterr)) < 0)
			return r;
		aliases = NULL;
	} else {
		list = aliases ? cni_json_get(aliases, req->name) : NULL;
	}
	if (list && !json_is_array(list))
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid configuration field 'runtimeConfig.aliases'",
				     "expected a list of names for network \"%s\"", req->name);
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v) {
		const char *a = json_string_value(v);
		if (!name_ok(a))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid configuration field 'runtimeConfig.aliases'",
					     "entry %zu: a name of at most %u bytes, no ',' or "
					     "whitespace",
					     i, ADV_MAX_NAME);
		if (c->n_names >= ARRAY_SIZE(c->names))
			return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_CONFIG,
					     "too many aliases", "at most %u", DNSNAME_MAX_ALIASES);
		c->names[c->n_names++] = a;
	}
	return 0;
}

/* --- the result ---------------------------------------------------------------------------- */

static int strv_insert(struct cni_strv *s, size_t at, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return 0;
	if (s->n >= CNI_MAX_DNS_ENTRIES)
		return -ENOSPC;
	char **n = realloc(s->v, (s->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->v = n;
	char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	if (at > s->n)
		at = s->n;
	memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*n));
	s->v[at] = copy;
	s->n++;
	return 0;
}

/* The container's addresses: those on an interface with a sandbox (or without an index). */
static bool ip_is_container(const struct cni_result *res, const struct cni_ipconfig *ip)
{
	if (ip->interface < 0)
		return true;
	return (size_t)ip->interface < res->n_interfaces && res->interfaces[ip->interface].sandbox;
}

/* --- the directory ------------------------------------------------------------------------ */

struct dir_handle {
	int hostlock;
	int advlock;
	int dirfd;
};

static void dir_close(struct dir_handle *h)
{
	if (h->dirfd >= 0)
		close(h->dirfd);
	if (h->advlock >= 0)
		close(h->advlock);
	if (h->hostlock >= 0)
		close(h->hostlock);
	h->dirfd = h->advlock = h->hostlock = -1;
}

/*
 * Take berth's host lock and the directory lock; open the entries directory
 * (created when `create`; -ENOENT otherwise when it does not exist).
 */
static int dir_open(const struct dnsname_conf *c, bool create, struct dir_handle *h,
		    struct cni_error **reterr)
{
	int r;

	h->hostlock = h->advlock = h->dirfd = -1;
	r = berth_lock_host(BERTH_LOCK_TIMEOUT_MS);
	if (r < 0)
		return cni_error_set(reterr, r,
				     r == -ETIMEDOUT ? CNI_ERR_TRY_AGAIN : CNI_ERR_BERTH_STATE,
				     "failed to take berth's host lock", "%s", strerror(-r));
	h->hostlock = r;
	if (create && (r = mkdir_p(c->entries, 0755)) < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to create the DNS directory", "%s: %s", c->entries,
				     strerror(-r));
	if (access(c->dir, F_OK) < 0)
		return -errno;
	r = adv_lock(c->dir);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to lock the DNS directory", "%s/aardvark.lock: %s",
				     c->dir, strerror(-r));
	h->advlock = r;
	h->dirfd = open(c->entries, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->dirfd < 0)
		return errno == ENOENT && !create
			   ? -ENOENT
			   : cni_error_set(reterr, errno, CNI_ERR_BERTH_STATE,
					   "failed to open the DNS directory", "%s: %s", c->entries,
					   strerror(errno));
	return 0;
}

static int server_error(struct cni_error **reterr, struct berth_error *e)
{
	_cleanup_free_ char *text = berth_error_text(e);
	int errnum = e ? e->errnum : EIO;
	return cni_error_set(reterr, errnum ? errnum : EIO, CNI_ERR_BERTH_STATE,
			     "failed to start the DNS server", "%s", text ? text : "unknown error");
}

/* --- verbs -------------------------------------------------------------------------------- */

static int dnsname_add(struct cni_request *req, struct cni_result **ret_result,
		       struct cni_error **reterr)
{
	struct dnsname_conf c;
	struct berth_ip listen[DNSNAME_MAX_LISTEN], v4[ADV_MAX_IPS], v6[ADV_MAX_IPS];
	size_t n_listen = 0, n4 = 0, n6 = 0;
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if (!req->prev_result)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "must be called as chained plugin", NULL);
	struct cni_result *res = req->prev_result;

	for (size_t i = 0; i < res->n_ips; i++) {
		const struct cni_ipconfig *ip = &res->ips[i];
		if (!ip_is_container(res, ip))
			continue;
		struct berth_ip *list = ip->address.ip.family == AF_INET ? v4 : v6;
		size_t *n = ip->address.ip.family == AF_INET ? &n4 : &n6;
		if (*n < ADV_MAX_IPS)
			list[(*n)++] = ip->address.ip;
		if (!ip->gateway.family)
			continue;
		bool dup = false;
		for (size_t k = 0; k < n_listen; k++)
			dup = dup || berth_ip_equal(&listen[k], &ip->gateway);
		if (!dup && n_listen < ARRAY_SIZE(listen))
			listen[n_listen++] = ip->gateway;
	}
	if (n4 + n6 == 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "prevResult has no container address", NULL);
	if (n_listen == 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "prevResult has no gateway for the DNS server to listen on",
				     NULL);

	_cleanup_free_ char *header = adv_format_header(listen, n_listen, NULL, 0);
	_cleanup_free_ char *line =
	    adv_format_container(c.id, v4, n4, v6, n6, c.names, c.n_names, NULL, 0);
	if (!header || !line)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);

	/* the result first: nothing to undo when it cannot be built */
	for (size_t k = n_listen; k > 0; k--) {
		char b[BERTH_IP_STRLEN];
		if ((r = strv_insert(&res->dns.nameservers, 0, berth_ip_fmt(&listen[k - 1], b))) <
		    0)
			return cni_error_set(reterr, r, CNI_ERR_BERTH_INTERNAL,
					     "too many DNS servers in the result", NULL);
	}
	if (c.domain && (r = strv_insert(&res->dns.search, SIZE_MAX, c.domain)) < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_INTERNAL,
				     "too many search domains in the result", NULL);

	_cleanup_(dir_close) struct dir_handle h;
	if ((r = dir_open(&c, true, &h, reterr)) < 0)
		return r;
	struct berth_undo *undo = NULL;
	if (berth_undo_new(&undo) < 0)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);

	/* recorded first: a write that fails half-way may still have added the line */
	_cleanup_(berth_error_freep) struct berth_error *e = NULL;
	r = berth_undo_dns_entry(undo, c.entries, req->name, c.id);
	if (r < 0) {
		cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
		goto fail;
	}
	/* an entry from an ADD without a DEL is replaced, not doubled */
	if ((r = adv_file_remove(h.dirfd, req->name, c.id)) < 0 ||
	    (r = adv_file_add(h.dirfd, req->name, header, line)) < 0) {
		cni_error_set(reterr, r, CNI_ERR_BERTH_STATE, "failed to write the DNS entry",
			      "%s/%s: %s", c.entries, req->name, strerror(-r));
		goto fail;
	}
	if (adv_server_reload(h.dirfd) == 0) {
		/* names are answered under domainName: the server strips it from queries */
		char filter[ADV_MAX_NAME + 2];
		snprintf(filter, sizeof(filter), ".%s", c.domain ? c.domain : "dns.podman");
		struct adv_server_spec spec = {
		    .binary = c.server,
		    .dir = c.entries,
		    .port = DNSNAME_PORT,
		    .log_level = log_get_level() >= LOG_LEVEL_DEBUG ? "debug" : "info",
		    .filter_domain = filter,
		};
		r = adv_server_start(&spec, &e);
		if (r < 0) {
			server_error(reterr, e);
			goto fail;
		}
		log_info("started the DNS server %s for %s", c.server, c.entries);
	}
	berth_undo_free(undo);
	*ret_result = TAKE_PTR(req->prev_result);
	return 0;
fail:
	if (berth_undo_run(undo) > 0)
		log_warn("could not undo every change of the failed ADD");
	berth_undo_free(undo);
	return r < 0 ? r : -EIO;
}

static int dnsname_del(struct cni_request *req, struct cni_error **reterr)
{
	struct dnsname_conf c;
	_cleanup_cni_error_ struct cni_error *err = NULL;
	int r;

	/* DEL always succeeds (upstream swallows every error too); problems are logged. */
	if ((r = conf_base(req, &c, &err)) < 0) {
		log_warn("DEL: %s", err->msg);
		return 0;
	}
	_cleanup_(dir_close) struct dir_handle h;
	r = dir_open(&c, false, &h, &err);
	if (r == -ENOENT)
		return 0; /* nothing was ever written */
	if (r < 0) {
		log_warn("DEL: %s%s%s", err ? err->msg : strerror(-r),
			 err && err->details ? ": " : "", err && err->details ? err->details : "");
		return 0;
	}
	r = adv_file_remove(h.dirfd, req->name, c.id);
	if (r < 0) {
		log_warn("DEL: failed to remove the DNS entry of %s from %s/%s: %s", c.id,
			 c.entries, req->name, strerror(-r));
		return 0;
	}
	/* The server drops the network (and exits after the last one) on reload. */
	(void)adv_server_reload(h.dirfd);
	(void)reterr;
	return 0;
}

/* The network's file, parsed; -ENOENT when there is none. */
static int load_network(int dirfd, const char *name, struct adv_network **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	int r = read_fd_limited(fd, ADV_MAX_FILE, &buf, &len);
	if (r < 0)
		return r;
	return adv_parse(name, buf, len, ret, NULL, NULL);
}

/*
 * Lock and open the directory (not created) and parse the network's file:
 * -ENOENT (no error set) when either does not exist.
 */
static int open_network(const struct dnsname_conf *c, const char *network, struct dir_handle *h,
			struct adv_network **ret, struct cni_error **reterr)
{
	int r = dir_open(c, false, h, reterr);
	if (r < 0)
		return r;
	r = load_network(h->dirfd, network, ret);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to read the DNS entries", "%s/%s: %s", c->entries,
				     network, strerror(-r));
	return 0;
}

static int dnsname_check(struct cni_request *req, struct cni_error **reterr)
{
	struct dnsname_conf c;
	struct adv_network *n = NULL;
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if (!req->prev_result)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "must be called as chained plugin", NULL);
	_cleanup_(dir_close) struct dir_handle h;
	r = open_network(&c, req->name, &h, &n, reterr);
	if (r == -ENOENT)
		return cni_error_set(reterr, ENOENT, CNI_ERR_BERTH_CHECK, "no DNS entry",
				     "%s/%s does not exist", c.entries, req->name);
	if (r < 0)
		return r;
	bool found = false;
	for (size_t i = 0; i < n->n_containers && !found; i++) {
		const struct adv_container *ct = &n->containers[i];
		if (strcmp(ct->id, c.id) != 0)
			continue;
		found = ct->n_names == c.n_names;
		for (size_t k = 0; found && k < c.n_names; k++)
			found = strcasecmp(ct->names[k], c.names[k]) == 0;
	}
	adv_network_free(n);
	if (!found)
		return cni_error_set(reterr, ENOENT, CNI_ERR_BERTH_CHECK, "no DNS entry",
				     "%s is not in %s/%s with the names configured", c.id,
				     c.entries, req->name);
	return 0;
}

static int dnsname_gc(struct cni_request *req, struct cni_error **reterr)
{
	struct dnsname_conf c;
	struct adv_network *n = NULL;
	int r;

	if ((r = conf_base(req, &c, reterr)) < 0)
		return r;
	_cleanup_(dir_close) struct dir_handle h;
	r = open_network(&c, req->name, &h, &n, reterr);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	size_t removed = 0, failed = 0;
	for (size_t i = 0; i < n->n_containers; i++) {
		const char *id = n->containers[i].id;
		bool valid = false;
		for (size_t k = 0; k < req->n_valid_attachments && !valid; k++) {
			char want[DNSNAME_ID_MAX];
			const struct cni_attachment *a = &req->valid_attachments[k];
			valid =
			    attachment_id(a->container_id, a->ifname, want, sizeof(want)) == 0 &&
			    strcmp(want, id) == 0;
		}
		if (valid)
			continue;
		r = adv_file_remove(h.dirfd, req->name, id);
		if (r < 0) {
			log_warn("GC: failed to remove the DNS entry %s: %s", id, strerror(-r));
			failed++;
			continue;
		}
		log_debug("GC: removed the DNS entry %s", id);
		removed++;
	}
	adv_network_free(n);
	if (removed)
		(void)adv_server_reload(h.dirfd);
	if (failed)
		return cni_error_set(reterr, EIO, CNI_ERR_BERTH_STATE,
				     "failed to remove some DNS entries", "%zu of %zu", failed,
				     failed + removed);
	return 0;
}

/* STATUS (1.1.0): ready when the DNS server binary can be run. */
static int dnsname_status(struct cni_request *req, struct cni_error **reterr)
{
	const char *server;
	int r = server_path(req, &server, reterr);
	if (r < 0)
		return r;
	if (access(server, X_OK) < 0)
		return cni_error_set(reterr, errno, CNI_ERR_NOT_AVAILABLE,
				     "the DNS server is not available", "%s: %s", server,
				     strerror(errno));
	return 0;
}

static const struct cni_plugin dnsname_plugin = {
    .name = "dnsname",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = dnsname_args,
    .add = dnsname_add,
    .del = dnsname_del,
    .check = dnsname_check,
    .status = dnsname_status,
    .gc = dnsname_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&dnsname_plugin, argc, argv);
}
