// SPDX-License-Identifier: Apache-2.0
/*
 * Glue between the netavark network model and berth's nftables layout
 * (lib/nft, docs/firewall.md): which elements a network and a container's
 * port mappings become, and the firewall side of a teardown.
 */
#include "fw.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "netlink/netlink.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void nv_fw_batch_freep(struct berth_fw_batch **b)
{
	berth_fw_batch_free(*b);
}

void nv_fw_network(const struct nv_network *n, struct berth_ipnet *storage,
		   struct berth_fw_network *ret)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		storage[i] = n->subnets[i].subnet;
	*ret = (struct berth_fw_network){
		.bridge = n->network_interface,
		.subnets = storage,
		.n_subnets = n->n_subnets,
		.internal = n->internal,
		.isolate = n->isolate == NV_ISOLATE_STRICT ? BERTH_FW_ISOLATE_STRICT
			   : n->isolate == NV_ISOLATE_TRUE ? BERTH_FW_ISOLATE_TRUE
							   : BERTH_FW_ISOLATE_NONE,
	};
}

bool nv_fw_wants_network(const struct nv_network *n)
{
	return n->driver == NV_DRIVER_BRIDGE && !n->unmanaged && n->network_interface;
}

size_t nv_fw_dns_redirects(const struct nv_ctx *ctx, const struct nv_network *n,
			   struct berth_record_redirect *ret, size_t max)
{
	size_t k = 0;
	if (ctx->dns_port == 53 || !n->dns_enabled)
		return 0;
	for (size_t i = 0; i < n->n_subnets && k < max; i++)
		if (n->subnets[i].gateway.family)
			ret[k++] = (struct berth_record_redirect){ .gateway = n->subnets[i].gateway,
								   .port = ctx->dns_port };
	return k;
}

static int fw_network_op(const struct nv_ctx *ctx, struct berth_fw_batch *b,
			 const struct nv_network *n, bool add)
{
	struct berth_ipnet storage[NV_MAX_SUBNETS];
	struct berth_record_redirect rd[NV_MAX_SUBNETS];
	struct berth_fw_network fn;
	int r;

	nv_fw_network(n, storage, &fn);
	r = add ? berth_fw_batch_add_network(b, &fn) : berth_fw_batch_del_network(b, &fn);
	/* DNS on a port other than 53: containers still ask gateway:53. */
	size_t k = nv_fw_dns_redirects(ctx, n, rd, ARRAY_SIZE(rd));
	for (size_t i = 0; i < k && r >= 0; i++)
		r = add ? berth_fw_batch_add_dns_redirect(b, &rd[i].gateway, rd[i].port)
			: berth_fw_batch_del_dns_redirect(b, &rd[i].gateway, rd[i].port);
	return r;
}

int nv_fw_add_network(const struct nv_ctx *ctx, struct berth_fw_batch *b, const struct nv_network *n)
{
	return fw_network_op(ctx, b, n, true);
}

int nv_fw_del_network(const struct nv_ctx *ctx, struct berth_fw_batch *b, const struct nv_network *n)
{
	return fw_network_op(ctx, b, n, false);
}

static const struct berth_ip *first_ip(const struct nv_per_network *pn, int family)
{
	for (size_t i = 0; i < pn->n_static_ips; i++)
		if (pn->static_ips[i].family == family)
			return &pn->static_ips[i];
	return NULL;
}

int nv_fw_portmaps(const struct nv_options *o, struct berth_fw_portmap *ret, int *ret_tags,
		   size_t max)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t n = 0;

	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		const int family = families[f];
		const struct berth_ip *cip = NULL;

		for (size_t i = 0; i < o->n_networks && !cip; i++) {
			const struct nv_per_network *pn = &o->networks[i];
			const struct nv_network *net = pn->network;
			if (net->driver == NV_DRIVER_BRIDGE && !net->unmanaged && !net->internal)
				cip = first_ip(pn, family);
		}
		if (!cip)
			continue;
		for (size_t i = 0; i < o->n_port_mappings; i++) {
			const struct nv_port_mapping *m = &o->port_mappings[i];
			if (m->host_ip.family && m->host_ip.family != family)
				continue;
			if (n == max)
				return -E2BIG;
			ret[n] = (struct berth_fw_portmap){
				.host_ip = m->host_ip,
				.protocol = (uint8_t)m->protocol,
				.host_port = m->host_port,
				.container_port = m->container_port,
				.range = m->range ? m->range : 1,
				.container_ip = *cip,
			};
			if (!m->host_ip.family) { /* "": any address of this family */
				memset(&ret[n].host_ip, 0, sizeof(ret[n].host_ip));
				ret[n].host_ip.family = family;
			}
			if (ret_tags)
				ret_tags[n] = (int)i;
			n++;
		}
	}
	return (int)n;
}

void nv_fw_flush_udp(const struct berth_fw_portmap *pm, size_t n)
{
	uint16_t port = 0;
	int r = berth_fw_flush_udp(pm, n, &port);
	if (r < 0)
		log_warn("failed to flush conntrack entries of udp port %u: %s, ignoring", port,
			 strerror(-r));
	else if (r > 0)
		log_debug("flushed %d conntrack entries of forwarded udp ports", r);
}

int nv_fw_conflict_error(const struct nv_options *o, size_t mapping, struct berth_error **reterr)
{
	const struct nv_port_mapping *m = &o->port_mappings[mapping];
	_cleanup_free_ struct berth_fw_portmap *all = calloc(NV_FW_MAX_PORTMAPS, sizeof(*all));
	_cleanup_free_ int *tags = calloc(NV_FW_MAX_PORTMAPS, sizeof(*tags));
	struct berth_fw_portmap mine[2];
	struct berth_record_owner ow;
	size_t n_mine = 0;
	char ports[32], where[BERTH_IP_STRLEN + 16] = "";
	const char *verb = "is";

	if (!all || !tags)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int n = nv_fw_portmaps(o, all, tags, NV_FW_MAX_PORTMAPS);
	for (int i = 0; i < n && n_mine < ARRAY_SIZE(mine); i++)
		if (tags[i] == (int)mapping)
			mine[n_mine++] = all[i];

	if (m->range > 1) {
		snprintf(ports, sizeof(ports), "ports %u-%u/%s", m->host_port,
			 m->host_port + m->range - 1u, berth_l4proto_name(m->protocol));
		verb = "are";
	} else {
		snprintf(ports, sizeof(ports), "port %u/%s", m->host_port,
			 berth_l4proto_name(m->protocol));
	}
	if (m->host_ip.family && !m->host_ip_any) {
		char b[BERTH_IP_STRLEN];
		snprintf(where, sizeof(where), " on %s", berth_ip_fmt(&m->host_ip, b));
	}
	int r = berth_record_forward_owner(mine, n_mine, NV_RECORD_OWNER, o->container_id, &ow);
	if (r > 0)
		r = berth_error_set(reterr, EADDRINUSE,
				    "%s%s %s already forwarded to container %s (%.12s%s%s)", ports, where,
				    verb, ow.name ? ow.name : ow.id, ow.id,
				    strcmp(ow.owner, NV_RECORD_OWNER) ? ", set up by " : "",
				    strcmp(ow.owner, NV_RECORD_OWNER) ? ow.owner : "");
	else
		r = berth_error_set(reterr, EADDRINUSE,
				    "%s%s %s already forwarded (by another port mapping of this "
				    "container, or by a container berth has no record of)",
				    ports, where, verb);
	berth_record_owner_done(&ow);
	return r;
}

int nv_record_build(const struct nv_ctx *ctx, const struct nv_options *o,
		    const struct berth_fw_portmap *pm, size_t n_pm, bool pending,
		    struct berth_record **ret)
{
	struct berth_record *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->owner = strdup(NV_RECORD_OWNER);
	r->id = strdup(o->container_id);
	r->name = o->container_name ? strdup(o->container_name) : NULL;
	r->pending = pending;
	r->nets = calloc(o->n_networks ? o->n_networks : 1, sizeof(*r->nets));
	r->redirects = calloc(o->n_networks * NV_MAX_SUBNETS + 1, sizeof(*r->redirects));
	r->forwards = calloc(n_pm ? n_pm : 1, sizeof(*r->forwards));
	if (!r->owner || !r->id || (o->container_name && !r->name) || !r->nets || !r->redirects ||
	    !r->forwards) {
		berth_record_free(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_network *n = o->networks[i].network;
		if (!nv_fw_wants_network(n))
			continue;
		struct berth_record_net *rn = &r->nets[r->n_nets++];
		snprintf(rn->bridge, sizeof(rn->bridge), "%s", n->network_interface);
		for (size_t k = 0; k < n->n_subnets && k < ARRAY_SIZE(rn->subnets); k++)
			rn->subnets[rn->n_subnets++] = n->subnets[k].subnet;
		rn->internal = n->internal;
		rn->isolate = n->isolate == NV_ISOLATE_STRICT ? BERTH_FW_ISOLATE_STRICT
			      : n->isolate == NV_ISOLATE_TRUE ? BERTH_FW_ISOLATE_TRUE
							      : BERTH_FW_ISOLATE_NONE;
		r->n_redirects += nv_fw_dns_redirects(ctx, n, r->redirects + r->n_redirects,
						      NV_MAX_SUBNETS);
	}
	if (n_pm)
		memcpy(r->forwards, pm, n_pm * sizeof(*pm));
	r->n_forwards = n_pm;
	*ret = r;
	return 0;
}

int nv_fw_teardown(const struct nv_ctx *ctx, const struct berth_record *rec,
		   const struct nv_network *const *nets, size_t n, struct berth_fw_batch **ret_batch,
		   struct berth_error **reterr)
{
	_cleanup_(nv_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *msg = NULL;
	size_t n_pm = rec ? rec->n_forwards : 0;
	int r;
	bool last = false;

	if (ctx->fw_driver != NV_FW_NFTABLES)
		return 0;
	if (n == 0 && n_pm == 0)
		return 0;

	r = berth_fw_batch_new(ctx->fw_table, &b);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");

	if (n > 0) {
		/* When these are the last networks in the table, remove the table itself. */
		char **present = NULL;
		int count = berth_fw_list_bridges(ctx->fw_table, &present);
		if (count == 0) {
			berth_strv_free(present);
			return 0; /* no table: nothing of ours is left */
		}
		last = count > 0;
		for (int i = 0; last && i < count; i++) {
			bool ours = false;
			for (size_t j = 0; j < n && !ours; j++)
				ours = strcmp(present[i], nets[j]->network_interface) == 0;
			last = ours;
		}
		berth_strv_free(present);
	}

	if (last) {
		r = berth_fw_batch_del_table(b);
	} else {
		r = n_pm ? berth_fw_batch_del_portmaps(b, rec->forwards, n_pm) : 0;
		for (size_t j = 0; j < n && r >= 0; j++)
			r = nv_fw_del_network(ctx, b, nets[j]);
	}
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");
	r = berth_fw_commit(b, &msg);
	if (r < 0)
		return msg ? berth_error_set(reterr, r, "failed to remove firewall rules: %s", msg)
			   : berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					       "failed to remove firewall rules");
	log_debug("removed %zu port forward(s) and the firewall state of %zu network(s)%s", n_pm,
		  n, last ? " with the table" : "");
	if (n_pm)
		nv_fw_flush_udp(rec->forwards, n_pm);
	*ret_batch = TAKE_PTR(b);
	return 0;
}
