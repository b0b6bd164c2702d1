// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net setup: validated options in, StatusBlock out.
 *
 * Theory of operation: everything the input controls was validated by
 * nv_options_parse() before we get here. We take the config-directory lock,
 * open both namespaces, bring up the container's loopback, then run each
 * network's driver in input order. Every change pushes its inverse on the undo
 * log. Then the DNS entries of the DNS-enabled bridge networks are written
 * and the DNS server is reloaded or started (aardvark.c). The firewall changes
 * of all networks are collected into one nftables batch and committed last as
 * a single transaction: if that fails, the DNS entries are removed again. If
 * anything fails, the undo log is replayed in reverse and the original error
 * is reported, so a failed setup leaves nothing behind.
 */
#include "aardvark.h"
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/hash.h"
#include "basic/log.h"
#include "state.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NV_LOCK_TIMEOUT_MS 60000

int nv_lock(const struct nv_ctx *ctx, struct berth_error **reterr)
{
	char path[PATH_MAX];
	int r = mkdir_p(ctx->config_dir, 0755);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to create config directory %s",
					 ctx->config_dir);
	if (snprintf(path, sizeof(path), "%s/berth-net.lock", ctx->config_dir) >= (int)sizeof(path))
		return berth_error_set(reterr, ENAMETOOLONG, "config directory path too long");
	r = lock_file_timeout(path, NV_LOCK_TIMEOUT_MS);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to lock %s", path);
	return r;
}

int nv_open_netns(const char *path, struct berth_netns **ret, struct berth_error **reterr)
{
	int r = berth_netns_open_path(path, ret);
	if (r == -EINVAL)
		return berth_error_set(reterr, EINVAL,
				       "invalid namespace path: %s is not a network namespace", path);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "invalid namespace path");
	return 0;
}

static struct nv_undo *undo_push(struct nv_setup *s)
{
	if (s->n_undo == s->cap_undo) {
		size_t cap = s->cap_undo ? s->cap_undo * 2 : 16;
		struct nv_undo *n = realloc(s->undo, cap * sizeof(*n));
		if (!n)
			return NULL;
		s->undo = n;
		s->cap_undo = cap;
	}
	struct nv_undo *u = &s->undo[s->n_undo++];
	memset(u, 0, sizeof(*u));
	return u;
}

int nv_undo_push_link(struct nv_setup *s, struct berth_netns *ns, int ifindex)
{
	struct nv_undo *u = undo_push(s);
	if (!u)
		return -ENOMEM;
	u->kind = NV_UNDO_LINK_DELETE;
	u->ns = ns;
	u->ifindex = ifindex;
	return 0;
}

int nv_sysctl(struct nv_setup *s, struct berth_netns *ns, const char *value,
	      struct berth_error **reterr, const char *keyfmt, ...)
{
	char key[256], old[32] = "";
	bool changed = false;
	va_list ap;

	va_start(ap, keyfmt);
	int n = vsnprintf(key, sizeof(key), keyfmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(key))
		return berth_error_set(reterr, ENAMETOOLONG, "sysctl key too long");

	int r = berth_sysctl_set(ns, key, value, old, sizeof(old), &changed);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "set sysctl %s", key);
	if (changed) {
		log_debug("sysctl %s: %s -> %s", key, old, value);
		struct nv_undo *u = undo_push(s);
		if (!u)
			return berth_error_set(reterr, ENOMEM, "out of memory");
		u->kind = NV_UNDO_SYSCTL_RESTORE;
		u->ns = ns;
		u->key = strdup(key);
		snprintf(u->old, sizeof(u->old), "%s", old);
		if (!u->key) {
			s->n_undo--;
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static void undo_run(struct nv_setup *s)
{
	for (size_t i = s->n_undo; i-- > 0;) {
		struct nv_undo *u = &s->undo[i];
		int r = 0;
		switch (u->kind) {
		case NV_UNDO_LINK_DELETE:
			r = berth_link_delete(u->ns, u->ifindex);
			if (r == -ENODEV)
				r = 0;
			if (r < 0)
				log_warn("rollback: failed to delete link %d: %s", u->ifindex,
					 strerror(-r));
			else
				log_debug("rollback: deleted link %d", u->ifindex);
			break;
		case NV_UNDO_SYSCTL_RESTORE:
			r = berth_sysctl_set(u->ns, u->key, u->old, NULL, 0, NULL);
			/* The key of a link we deleted just before is gone with it. */
			if (r < 0 && r != -ENOENT)
				log_warn("rollback: failed to restore sysctl %s: %s", u->key,
					 strerror(-r));
			break;
		}
	}
}

static void setup_done(struct nv_setup *s)
{
	for (size_t i = 0; i < s->n_undo; i++)
		free(s->undo[i].key);
	free(s->undo);
	s->undo = NULL;
	s->n_undo = s->cap_undo = 0;
	berth_fw_batch_free(s->fw);
	s->fw = NULL;
	berth_netns_free(s->ctr);
	berth_netns_free(s->host);
	s->ctr = s->host = NULL;
}

const char *nv_host_veth_name(const char *container_id, const char *network, char *buf)
{
	/* FNV-1a 64 over "id\0network"; 40 bits of it in hex. */
	uint64_t h = berth_fnv1a64(BERTH_FNV64_INIT, container_id, strlen(container_id) + 1);
	h = berth_fnv1a64(h, network, strlen(network));
	snprintf(buf, 16, "veth%010llx", (unsigned long long)(h & 0xffffffffffULL));
	return buf;
}

void nv_route_spec(const struct nv_network *n, const struct nv_route *nr, int ifindex,
		   struct berth_route_spec *ret)
{
	*ret = (struct berth_route_spec){
		.gateway = nr->gateway,
		.oif = nr->route_type == BERTH_ROUTE_UNICAST ? ifindex : 0,
		.metric = nr->has_metric ? nr->metric : n->metric,
		.has_metric = true,
		.type = nr->route_type,
	};
	berth_ipnet_network(&nr->destination, &ret->dst);
}

static const struct nv_subnet *subnet_of(const struct nv_network *n, const struct berth_ip *ip)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		if (berth_ipnet_contains(&n->subnets[i].subnet, ip))
			return &n->subnets[i];
	return NULL;
}

int nv_sysctl_apply(struct nv_setup *s, struct berth_netns *ns, const char *ifname,
		    const struct nv_sysctl_rule *rules, size_t n, unsigned have,
		    struct berth_error **reterr)
{
	for (size_t i = 0; i < n; i++) {
		const struct nv_sysctl_rule *sc = &rules[i];
		unsigned need = sc->when & ~(unsigned)NV_SC_TOLERANT;
		if ((need & have) != need)
			continue;
		int r = nv_sysctl(s, ns, sc->value, reterr, "%s%s%s", sc->pre,
				  sc->per_if ? ifname : "", sc->post);
		if (r < 0 && (sc->when & NV_SC_TOLERANT) && (r == -ENOENT || r == -EROFS)) {
			berth_error_freep(reterr);
			r = 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int nv_container_sysctls(struct nv_setup *s, const struct nv_per_network *pn, bool full,
			 struct berth_error **reterr)
{
	/* As netavark: manual addressing only, everywhere; the rest on managed bridges. */
	static const struct nv_sysctl_rule minimal[] = {
		{ "net/ipv6/conf/", true, "/autoconf", "0", NV_SC_TOLERANT },
	};
	static const struct nv_sysctl_rule managed[] = {
		{ "net/ipv6/conf/", true, "/autoconf", "0", NV_SC_TOLERANT },
		{ "net/ipv6/conf/", true, "/accept_dad", "0", NV_SC_V6 },
		{ "net/ipv4/conf/", true, "/arp_notify", "1", NV_SC_ALWAYS },
		{ "net/ipv4/conf/", true, "/rp_filter", "2", NV_SC_ALWAYS },
	};
	unsigned have = 0;

	for (size_t i = 0; i < pn->network->n_subnets; i++)
		if (pn->network->subnets[i].subnet.ip.family == AF_INET6)
			have |= NV_SC_V6;
	if (full)
		return nv_sysctl_apply(s, s->ctr, pn->interface_name, managed, ARRAY_SIZE(managed),
				       have, reterr);
	return nv_sysctl_apply(s, s->ctr, pn->interface_name, minimal, ARRAY_SIZE(minimal), have,
			       reterr);
}

int nv_container_configure(struct nv_setup *s, const struct nv_per_network *pn, int ifindex,
			   struct nv_status_net *st, struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	const char *ifn = pn->interface_name;
	int r;

	/* Addresses: each static IP with its subnet's prefix length. */
	st->n_subnets = 0;
	for (size_t i = 0; i < pn->n_static_ips && i < ARRAY_SIZE(st->subnets); i++) {
		const struct nv_subnet *sn = subnet_of(n, &pn->static_ips[i]);
		char ipb[BERTH_IPNET_STRLEN];
		if (!sn)
			return berth_error_set(reterr, EINVAL, "static ip %s is in no subnet",
					       berth_ip_fmt(&pn->static_ips[i], ipb));
		struct berth_ipnet addr = { .ip = pn->static_ips[i], .prefixlen = sn->subnet.prefixlen };
		r = berth_addr_add(s->ctr, ifindex, &addr, addr.ip.family == AF_INET6);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "add ip addr %s to %s in container namespace",
						 berth_ipnet_fmt(&addr, ipb), ifn);
		st->subnets[st->n_subnets].ipnet = addr;
		st->subnets[st->n_subnets].gateway = sn->gateway;
		st->n_subnets++;
	}

	r = berth_link_set_up(s->ctr, ifindex);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "set %s up", ifn);

	/* Default routes: the first gateway of each family. */
	if (!n->internal && !n->no_default_route) {
		bool done4 = false, done6 = false;
		for (size_t i = 0; i < st->n_subnets; i++) {
			const struct berth_ip *gw = &st->subnets[i].gateway;
			if (!gw->family)
				continue;
			if ((gw->family == AF_INET && done4) || (gw->family == AF_INET6 && done6))
				continue;
			struct berth_route_spec rt = {
				.dst = { .ip = { .family = gw->family }, .prefixlen = 0 },
				.gateway = *gw,
				.oif = ifindex,
				.metric = n->metric,
				.has_metric = true,
				.type = BERTH_ROUTE_UNICAST,
			};
			r = berth_route_add(s->ctr, &rt);
			if (r < 0) {
				char b[BERTH_IP_STRLEN];
				return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
							 "add default route via %s",
							 berth_ip_fmt(gw, b));
			}
			if (gw->family == AF_INET)
				done4 = true;
			else
				done6 = true;
		}
	}

	/* Static routes of the network. */
	for (size_t i = 0; i < n->n_routes; i++) {
		struct berth_route_spec rt;
		nv_route_spec(n, &n->routes[i], ifindex, &rt);
		r = berth_route_add(s->ctr, &rt);
		if (r < 0) {
			char b[BERTH_IPNET_STRLEN];
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "add route to %s",
						 berth_ipnet_fmt(&rt.dst, b));
		}
	}

	/* The MAC for the status block. */
	if (pn->has_static_mac) {
		memcpy(st->mac, pn->static_mac, 6);
	} else {
		struct berth_link_info li;
		r = berth_link_get_by_index(s->ctr, ifindex, &li);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "get %s", ifn);
		memcpy(st->mac, li.mac, 6);
	}
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifn);
	st->has_interface = true;
	return 0;
}

/*
 * A DNS-enabled bridge network names the DNS server's listen addresses and
 * the search domain, as netavark does, whether or not the server binary
 * exists. Without network DNS, the container's own servers are reported.
 */
static void status_dns(const struct nv_options *o, const struct nv_dns_net *dns,
		       struct nv_status_net *st)
{
	if (dns) {
		st->dns_server_ips = dns->listen;
		st->n_dns_server_ips = dns->n_listen;
		st->dns_search_domains = nv_dns_search_domains;
		st->n_dns_search_domains = ARRAY_SIZE(nv_dns_search_domains);
	} else if (o->n_dns_servers) {
		st->dns_server_ips = o->dns_servers;
		st->n_dns_server_ips = o->n_dns_servers;
	}
}

/*
 * The container's port forwards join the networks' elements in the batch,
 * the state record is written, and the batch is committed as one
 * transaction. A port another container already forwards makes the commit
 * fail; the error names the port and its owner.
 */
static int setup_firewall(struct nv_setup *s, struct berth_error **reterr)
{
	const struct nv_options *o = s->opts;
	_cleanup_free_ struct berth_fw_portmap *pm = NULL;
	_cleanup_free_ int *tags = NULL;
	_cleanup_free_ char *msg = NULL;
	int n_pm = 0, r;

	if (!s->fw) {
		if (o->n_port_mappings)
			log_info("firewall driver none: %zu port mapping(s) not forwarded",
				 o->n_port_mappings);
		return 0;
	}
	if (o->n_port_mappings) {
		pm = calloc(NV_FW_MAX_PORTMAPS, sizeof(*pm));
		tags = calloc(NV_FW_MAX_PORTMAPS, sizeof(*tags));
		if (!pm || !tags)
			return berth_error_set(reterr, ENOMEM, "out of memory");
		n_pm = nv_fw_portmaps(o, pm, tags, NV_FW_MAX_PORTMAPS);
		if (n_pm < 0)
			return berth_error_set(reterr, E2BIG, "port_mappings: too many forwards");
		if (n_pm > 0 && s->n_fw_networks == 0) {
			r = nv_fw_ensure_table(s->ctx, s->fw);
			if (r < 0)
				return berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
							 "firewall: build table");
		}
		for (int i = 0; i < n_pm; i++) {
			berth_fw_batch_set_tag(s->fw, tags[i]);
			r = berth_fw_batch_add_portmaps(s->fw, &pm[i], 1);
			if (r < 0)
				return berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
							 "port_mappings[%d]", tags[i]);
		}
		berth_fw_batch_set_tag(s->fw, -1);
	}
	if (berth_fw_batch_size(s->fw) == 0)
		return 0;

	/* The record goes first, so that no forward can exist without it. */
	if (s->ctx->input) {
		r = nv_state_write(s->ctx, o->container_id, s->ctx->input, s->ctx->input_len);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_IO,
						 "failed to write state in %s/berth",
						 s->ctx->config_dir);
	}
	int failed_tag = -1, failed_errno = 0;
	r = berth_fw_commit_tagged(s->fw, &msg, &failed_tag, &failed_errno);
	if (r < 0) {
		if (s->ctx->input)
			(void)nv_state_remove(s->ctx, o->container_id);
		if (abs(failed_errno) == EEXIST && failed_tag >= 0 &&
		    (size_t)failed_tag < o->n_port_mappings)
			return nv_fw_conflict_error(s->ctx, o, (size_t)failed_tag, reterr);
		if (msg)
			return berth_error_set(reterr, r, "failed to configure firewall: %s", msg);
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					 "failed to configure firewall");
	}
	nv_fw_flush_udp(pm, (size_t)n_pm);
	return 0;
}

int nv_cmd_setup(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		 char **ret_json, struct berth_error **reterr)
{
	struct nv_setup s = { .ctx = ctx, .opts = o };
	struct nv_dns dns = NV_DNS_INIT;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ struct nv_status_net *status = NULL;
	/* Indexes of the DNS entries per network (-1: none); dns.nets may move while it grows. */
	_cleanup_free_ ssize_t *dns_of = NULL;
	int r;

	dns_of = calloc(o->n_networks ? o->n_networks : 1, sizeof(*dns_of));
	status = calloc(o->n_networks ? o->n_networks : 1, sizeof(*status));
	if (!status || !dns_of)
		return berth_error_set(reterr, ENOMEM, "out of memory");

	r = nv_open_netns(netns_path, &s.ctr, reterr);
	if (r < 0)
		return r;
	r = berth_netns_open_current(&s.host);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "open host network namespace");
		goto out;
	}
	if (berth_netns_same(s.host, s.ctr)) {
		r = berth_error_set(reterr, EINVAL,
				    "invalid namespace path: %s is the host's own network namespace",
				    netns_path);
		goto out;
	}

	lockfd = nv_lock(ctx, reterr);
	if (lockfd < 0) {
		r = lockfd;
		goto out;
	}

	if (ctx->fw_driver == NV_FW_NFTABLES) {
		r = berth_fw_batch_new(ctx->fw_table, &s.fw);
		if (r < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");
			goto out;
		}
	}

	/* Loopback (ifindex 1) up in the container. */
	r = berth_link_set_up(s.ctr, 1);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "set lo up in container namespace");
		goto out;
	}

	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_per_network *pn = &o->networks[i];
		status[i].name = pn->name;
		dns_of[i] = -1;
		switch (pn->network->driver) {
		case NV_DRIVER_BRIDGE:
			r = nv_bridge_setup(&s, pn, &status[i], reterr);
			if (r >= 0 && pn->network->dns_enabled) {
				struct nv_dns_net *e;
				r = nv_dns_prepare(&s, &dns, pn, &e, reterr);
				if (r >= 0)
					dns_of[i] = (ssize_t)(e - dns.nets);
			}
			break;
		case NV_DRIVER_MACVLAN:
		case NV_DRIVER_IPVLAN:
			r = nv_vlan_setup(&s, pn, &status[i], reterr);
			break;
		default:
			r = berth_error_set(reterr, EINVAL, "unsupported driver");
			break;
		}
		if (r < 0)
			goto rollback;
	}
	for (size_t i = 0; i < o->n_networks; i++)
		status_dns(o, dns_of[i] >= 0 ? &dns.nets[dns_of[i]] : NULL, &status[i]);

	/*
	 * DNS before the firewall: the firewall commit cannot be undone in
	 * one step, the DNS entries can (the aardvark lock is held until the
	 * end, so nobody sees them come and go).
	 */
	r = nv_dns_commit(ctx, o, &dns, reterr);
	if (r < 0)
		goto rollback;

	r = setup_firewall(&s, reterr);
	if (r < 0) {
		nv_dns_rollback(ctx, o, &dns);
		goto rollback;
	}

	*ret_json = nv_status_to_json(status, o->n_networks);
	if (!*ret_json) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto rollback;
	}
	r = 0;
	goto out;

rollback:
	log_debug("setup failed, rolling back %zu step(s)", s.n_undo);
	undo_run(&s);
out:
	nv_dns_done(&dns);
	setup_done(&s);
	return r;
}
