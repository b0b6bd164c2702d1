// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net's aardvark-dns entries (dns.h): which lines a container's
 * DNS-enabled networks get, under the directory's lock, and when the server
 * is started or told to reload (the mechanics are lib/dnsconf/server.c).
 */
#include "dns.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "dnsconf/server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const nv_dns_search_domains[1] = { NV_DNS_SEARCH_DOMAIN };

static int close_fd(int fd)
{
	if (fd >= 0)
		(void)close(fd);
	return -1;
}

static int dns_lock(const struct nv_ctx *ctx, struct berth_error **reterr)
{
	int r = adv_lock(ctx->config_dir);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to lock %s/aardvark.lock",
					 ctx->config_dir);
	return r;
}

/* Open <config>/aardvark-dns; -ENOENT when it does not exist. */
static int dns_dir_open(const struct nv_ctx *ctx, char path[PATH_MAX])
{
	int r = adv_dir_path(ctx->config_dir, path, PATH_MAX);
	if (r < 0)
		return r;
	r = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

static bool binary_exists(const struct nv_ctx *ctx)
{
	struct stat st;
	return ctx->aardvark_binary && *ctx->aardvark_binary && stat(ctx->aardvark_binary, &st) == 0;
}

static const char *level_name(void)
{
	switch (log_get_level()) {
	case LOG_LEVEL_OFF:
		return "off";
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warn";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	default:
		return "trace";
	}
}

/* ---- setup ------------------------------------------------------------------- */
static int listen_addresses(struct nv_op *op, const struct nv_network *n, struct nv_dns_net *e,
			    struct berth_error **reterr)
{
	e->n_listen = 0;
	if (!n->unmanaged) {
		for (size_t i = 0; i < n->n_subnets && e->n_listen < ARRAY_SIZE(e->listen); i++)
			if (n->subnets[i].gateway.family)
				e->listen[e->n_listen++] = n->subnets[i].gateway;
		if (e->n_listen == 0)
			return berth_error_set(reterr, EINVAL,
					       "network %s: DNS is enabled but no subnet has a "
					       "gateway for the DNS server to listen on",
					       n->name);
		return 0;
	}

	/* Unmanaged: the bridge's own addresses (v4 then v6), link-local excluded. */
	struct berth_link_info li;
	struct berth_ipnet addrs[NV_MAX_SUBNETS];
	int r = berth_link_get(op->host, n->network_interface, &li);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "get bridge %s",
					 n->network_interface);
	r = berth_addr_list(op->host, li.ifindex, AF_UNSPEC, addrs, ARRAY_SIZE(addrs));
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "list addresses of bridge %s",
					 n->network_interface);
	for (int i = 0; i < r; i++)
		e->listen[e->n_listen++] = addrs[i].ip;
	if (e->n_listen == 0)
		return berth_error_set(reterr, EADDRNOTAVAIL,
				       "bridge '%s' in unmanaged mode has no usable IP addresses. "
				       "Aardvark-dns requires at least one address (should not be "
				       "an IPv6 link-local address) to bind to. Please add an IP "
				       "address or disable DNS for this network (--disable-dns).",
				       n->network_interface);
	return 0;
}

static bool name_ok(const char *s)
{
	return *s && strlen(s) <= ADV_MAX_NAME && !strpbrk(s, ", \t\r\n");
}

int nv_dns_prepare(struct nv_op *op, struct nv_dns *d, const struct nv_per_network *pn,
		   struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	int r;

	if (!name_ok(op->opts->container_name))
		return berth_error_set(reterr, EINVAL,
				       "container name \"%s\" cannot be a DNS name (network %s has "
				       "DNS enabled)",
				       op->opts->container_name, n->name);
	if (d->n_nets == d->cap_nets) {
		size_t cap = d->cap_nets ? d->cap_nets * 2 : 4;
		struct nv_dns_net *nn = realloc(d->nets, cap * sizeof(*nn));
		if (!nn)
			return berth_error_set(reterr, ENOMEM, "out of memory");
		d->nets = nn;
		d->cap_nets = cap;
	}
	struct nv_dns_net *e = &d->nets[d->n_nets];
	memset(e, 0, sizeof(*e));
	e->pn = pn;
	snprintf(e->filename, sizeof(e->filename), "%s%s", n->name,
		 n->internal ? ADV_INTERNAL_SUFFIX : "");
	r = listen_addresses(op, n, e, reterr);
	if (r < 0)
		return r;
	return (int)d->n_nets++;
}

static int split_ips(const struct nv_per_network *pn, struct berth_ip *v4, size_t *n4,
		     struct berth_ip *v6, size_t *n6)
{
	*n4 = *n6 = 0;
	for (size_t i = 0; i < pn->n_static_ips; i++) {
		if (pn->static_ips[i].family == AF_INET)
			v4[(*n4)++] = pn->static_ips[i];
		else
			v6[(*n6)++] = pn->static_ips[i];
	}
	return 0;
}

/* An upstream server that is one of the listen addresses: the server would ask itself. */
static int check_loops(const struct nv_options *o, const struct nv_dns *d,
		       struct berth_error **reterr)
{
	for (size_t i = 0; i < d->n_nets; i++) {
		const struct nv_network *n = d->nets[i].pn->network;
		for (size_t j = 0; j < d->n_nets; j++) {
			const struct nv_dns_net *e = &d->nets[j];
			for (size_t k = 0; k < e->n_listen; k++) {
				char b[BERTH_IP_STRLEN];
				for (size_t m = 0; m < n->n_dns_servers; m++)
					if (berth_ip_equal(&n->dns_servers[m], &e->listen[k]))
						return berth_error_set(
							reterr, ELOOP,
							"error while applying dns entries: network %s "
							"has dns server %s, an address the DNS server "
							"itself listens on: this would cause "
							"aardvark-dns to forward queries to itself",
							n->name, berth_ip_fmt(&e->listen[k], b));
				for (size_t m = 0; m < o->n_dns_servers; m++)
					if (berth_ip_equal(&o->dns_servers[m], &e->listen[k]))
						return berth_error_set(
							reterr, ELOOP,
							"error while applying dns entries: container "
							"dns server %s is an address the DNS server "
							"itself listens on: this would cause "
							"aardvark-dns to forward queries to itself",
							berth_ip_fmt(&e->listen[k], b));
			}
		}
	}
	return 0;
}

static int write_entry(const struct nv_options *o, int dirfd, struct nv_dns_net *e,
		       struct berth_error **reterr)
{
	const struct nv_per_network *pn = e->pn;
	const struct nv_network *n = pn->network;
	struct berth_ip v4[NV_MAX_STATIC_IPS], v6[NV_MAX_STATIC_IPS];
	size_t n4, n6;
	_cleanup_free_ const char **names = calloc(pn->n_aliases + 1, sizeof(char *));
	if (!names)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	names[0] = o->container_name;
	for (size_t i = 0; i < pn->n_aliases; i++)
		names[i + 1] = pn->aliases[i];
	split_ips(pn, v4, &n4, v6, &n6);

	_cleanup_free_ char *header = adv_format_header(e->listen, e->n_listen, n->dns_servers,
							n->n_dns_servers);
	_cleanup_free_ char *line = adv_format_container(o->container_id, v4, n4, v6, n6, names,
							 pn->n_aliases + 1, o->dns_servers,
							 o->n_dns_servers);
	if (!header || !line)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = adv_file_add(dirfd, e->filename, header, line);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO,
					 "error while applying dns entries: failed to write "
					 "aardvark-dns config %s",
					 e->filename);
	return 0;
}

int nv_dns_commit(struct nv_op *op, struct nv_dns *d, struct berth_error **reterr)
{
	const struct nv_ctx *ctx = op->ctx;
	const struct nv_options *o = op->opts;
	char dir[PATH_MAX];
	int r;

	if (d->n_nets == 0)
		return 0;
	if (!binary_exists(ctx)) {
		log_info("aardvark-dns binary %s not found: DNS entries not written, no DNS server",
			 ctx->aardvark_binary ? ctx->aardvark_binary : "(none)");
		return 0;
	}
	r = check_loops(o, d, reterr);
	if (r < 0)
		return r;

	if (d->lockfd < 0) {
		d->lockfd = dns_lock(ctx, reterr);
		if (d->lockfd < 0)
			return d->lockfd;
	}
	r = adv_dir_path(ctx->config_dir, dir, sizeof(dir));
	if (r < 0)
		return berth_error_set(reterr, ENAMETOOLONG, "config directory path too long");
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return berth_error_set(reterr, -r,
				       "IO error: failed to create aardvark-dns directory: %s (os "
				       "error %d)",
				       strerror(-r), -r);
	if (d->dirfd < 0) {
		d->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->dirfd < 0)
			return berth_error_errno(reterr, errno, BERTH_ERR_IO,
						 "failed to open aardvark-dns directory %s", dir);
	}

	for (size_t i = 0; i < d->n_nets; i++) {
		/* recorded first: a write that fails half-way may still have added the line */
		if (berth_undo_dns_entry(op->undo, dir, d->nets[i].filename, o->container_id) < 0)
			return berth_error_set(reterr, ENOMEM, "out of memory");
		r = write_entry(o, d->dirfd, &d->nets[i], reterr);
		if (r < 0)
			return r;
	}

	if (adv_server_reload(d->dirfd) > 0)
		return 0;
	struct adv_server_spec spec = {
		.binary = ctx->aardvark_binary,
		.dir = dir,
		.port = ctx->dns_port,
		.log_level = level_name(),
	};
	r = adv_server_start(&spec, reterr);
	if (r < 0)
		return berth_error_wrap(reterr, "error while applying dns entries");
	log_info("started the DNS server %s on port %u", ctx->aardvark_binary, ctx->dns_port);
	return 0;
}

void nv_dns_done(struct nv_dns *d)
{
	d->dirfd = close_fd(d->dirfd);
	d->lockfd = close_fd(d->lockfd);
	free(d->nets);
	d->nets = NULL;
	d->n_nets = d->cap_nets = 0;
}

/* ---- teardown ---------------------------------------------------------------- */

void nv_dns_teardown(struct nv_op *op)
{
	const struct nv_options *o = op->opts;
	struct berth_error *e = NULL;
	char dir[PATH_MAX];
	bool any = false, changed = false;

	for (size_t i = 0; i < o->n_networks; i++)
		if (o->networks[i].network->driver == NV_DRIVER_BRIDGE &&
		    o->networks[i].network->dns_enabled)
			any = true;
	if (!any)
		return;

	_cleanup_close_ int lockfd = -1;
	_cleanup_close_ int dirfd = dns_dir_open(op->ctx, dir);
	if (dirfd == -ENOENT) {
		log_debug("no %s: no DNS entries to remove", dir);
		return;
	}
	if (dirfd < 0) {
		berth_error_errno(&e, dirfd, BERTH_ERR_IO, "failed to open aardvark-dns directory");
		goto out;
	}
	lockfd = dns_lock(op->ctx, &e);
	if (lockfd < 0)
		goto out;

	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_network *n = o->networks[i].network;
		if (n->driver != NV_DRIVER_BRIDGE || !n->dns_enabled)
			continue;
		/* Both spellings: a file written before %int existed is removed too. */
		for (int internal = 0; internal < 2; internal++) {
			char fn[NV_MAX_NAME + sizeof(ADV_INTERNAL_SUFFIX)];
			snprintf(fn, sizeof(fn), "%s%s", n->name, internal ? ADV_INTERNAL_SUFFIX : "");
			int r = adv_file_remove(dirfd, fn, o->container_id);
			if (r < 0) {
				berth_error_errno(&e, r, BERTH_ERR_IO,
						  "failed to remove the dns entries of network %s",
						  n->name);
				nv_op_error(op, &e);
				continue;
			}
			changed = true;
		}
	}
	if (changed && adv_server_reload(dirfd) == 0)
		log_debug("no DNS server running for %s, nothing to reload", dir);
out:
	nv_op_error(op, &e);
}

/* ---- update ------------------------------------------------------------------ */

int nv_dns_update(const struct nv_ctx *ctx, const char *network, const struct berth_ip *dns,
		  size_t n_dns, struct berth_error **reterr)
{
	char dir[PATH_MAX];

	/* It names a file in the directory: no path tricks. */
	if (!*network || network[0] == '.' || strchr(network, '/') || strlen(network) > NV_MAX_NAME)
		return berth_error_set(reterr, EINVAL, "invalid network name \"%s\"", network);
	if (!binary_exists(ctx)) {
		log_debug("aardvark-dns binary %s not found: nothing to update",
			  ctx->aardvark_binary ? ctx->aardvark_binary : "(none)");
		return 0;
	}
	_cleanup_close_ int dirfd = dns_dir_open(ctx, dir);
	if (dirfd == -ENOENT) {
		log_debug("no %s: nothing to update", dir);
		return 0;
	}
	if (dirfd < 0)
		return berth_error_errno(reterr, dirfd, BERTH_ERR_IO,
					 "failed to open aardvark-dns directory");
	_cleanup_close_ int lockfd = dns_lock(ctx, reterr);
	if (lockfd < 0)
		return lockfd;

	char fn[NV_MAX_NAME + sizeof(ADV_INTERNAL_SUFFIX)];
	int r = -ENOENT;
	for (int internal = 0; internal < 2 && r == -ENOENT; internal++) {
		if (snprintf(fn, sizeof(fn), "%s%s", network, internal ? ADV_INTERNAL_SUFFIX : "") >=
		    (int)sizeof(fn))
			return berth_error_set(reterr, ENAMETOOLONG, "network name too long");
		r = adv_file_set_dns(dirfd, fn, dns, n_dns);
	}
	if (r == -ENOENT) {
		log_debug("network %s has no DNS entries: nothing to update", network);
		return 0;
	}
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO,
					 "failed to update the dns servers of network %s", network);
	log_debug("network %s: %zu dns server(s) written to %s", network, n_dns, fn);
	if (adv_server_reload(dirfd) == 0)
		log_debug("no DNS server running for %s, nothing to reload", dir);
	return 0;
}
