// SPDX-License-Identifier: Apache-2.0
/*
 * The container side of every driver: sysctls, addresses, routes, link up,
 * as lib/netlink/iface.h specs built from the netavark model.
 */
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int nv_container_sysctls(struct nv_op *op, const struct nv_per_network *pn, bool full,
			 struct berth_error **reterr)
{
	/* As netavark: manual addressing only, everywhere; the rest on managed bridges. */
	static const struct berth_sysctl_rule minimal[] = {
		{ "net/ipv6/conf/", true, "/autoconf", "0", BERTH_SC_TOLERANT },
	};
	static const struct berth_sysctl_rule managed[] = {
		{ "net/ipv6/conf/", true, "/autoconf", "0", BERTH_SC_TOLERANT },
		{ "net/ipv6/conf/", true, "/accept_dad", "0", BERTH_SC_V6 },
		{ "net/ipv4/conf/", true, "/arp_notify", "1", BERTH_SC_ALWAYS },
		{ "net/ipv4/conf/", true, "/rp_filter", "2", BERTH_SC_ALWAYS },
	};
	unsigned have = 0;

	for (size_t i = 0; i < pn->network->n_subnets; i++)
		if (pn->network->subnets[i].subnet.ip.family == AF_INET6)
			have |= BERTH_SC_V6;
	if (full)
		return berth_sysctl_apply(op->ctr, op->undo, pn->interface_name, managed,
					  ARRAY_SIZE(managed), have, reterr);
	return berth_sysctl_apply(op->ctr, op->undo, pn->interface_name, minimal,
				  ARRAY_SIZE(minimal), have, reterr);
}

int nv_container_configure(struct nv_op *op, const struct nv_per_network *pn, int ifindex,
			   struct nv_status_net *st, struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	struct berth_ipnet addrs[NV_MAX_STATIC_IPS];
	_cleanup_free_ struct berth_route_spec *routes =
		calloc(2 + n->n_routes, sizeof(*routes));
	size_t n_routes = 0;
	int r;

	if (!routes)
		return berth_error_set(reterr, ENOMEM, "out of memory");

	/* Addresses: each static IP with its subnet's prefix length. */
	st->n_subnets = 0;
	for (size_t i = 0; i < pn->n_static_ips && i < ARRAY_SIZE(st->subnets); i++) {
		const struct nv_subnet *sn = subnet_of(n, &pn->static_ips[i]);
		char ipb[BERTH_IPNET_STRLEN];
		if (!sn)
			return berth_error_set(reterr, EINVAL, "static ip %s is in no subnet",
					       berth_ip_fmt(&pn->static_ips[i], ipb));
		addrs[i] = (struct berth_ipnet){ .ip = pn->static_ips[i],
						 .prefixlen = sn->subnet.prefixlen };
		st->subnets[st->n_subnets].ipnet = addrs[i];
		st->subnets[st->n_subnets].gateway = sn->gateway;
		st->n_subnets++;
	}

	/* Default routes: the first gateway of each family. */
	if (!n->internal && !n->no_default_route) {
		bool done4 = false, done6 = false;
		for (size_t i = 0; i < st->n_subnets; i++) {
			const struct berth_ip *gw = &st->subnets[i].gateway;
			if (!gw->family || (gw->family == AF_INET && done4) ||
			    (gw->family == AF_INET6 && done6))
				continue;
			routes[n_routes++] = (struct berth_route_spec){
				.dst = { .ip = { .family = gw->family }, .prefixlen = 0 },
				.gateway = *gw,
				.oif = ifindex,
				.metric = n->metric,
				.has_metric = true,
				.type = BERTH_ROUTE_UNICAST,
			};
			if (gw->family == AF_INET)
				done4 = true;
			else
				done6 = true;
		}
	}
	/* Static routes of the network. */
	for (size_t i = 0; i < n->n_routes; i++)
		nv_route_spec(n, &n->routes[i], ifindex, &routes[n_routes++]);

	struct berth_iface_config cfg = {
		.ifname = pn->interface_name,
		.where = "container namespace",
		.addrs = addrs,
		.n_addrs = st->n_subnets,
		.up = true,
		.routes = routes,
		.n_routes = n_routes,
	};
	r = berth_iface_configure(op->ctr, ifindex, &cfg, op->undo, reterr);
	if (r < 0)
		return r;

	/* The MAC for the status block. */
	if (pn->has_static_mac) {
		memcpy(st->mac, pn->static_mac, 6);
	} else {
		struct berth_link_info li;
		r = berth_link_get_by_index(op->ctr, ifindex, &li);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "get %s",
						 pn->interface_name);
		memcpy(st->mac, li.mac, 6);
	}
	snprintf(st->ifname, sizeof(st->ifname), "%s", pn->interface_name);
	st->has_interface = true;
	return 0;
}

int nv_container_routes_teardown(struct nv_op *op, const struct nv_per_network *pn,
				 struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;

	if (!op->ctr)
		return 0; /* gone with the namespace */
	for (size_t i = 0; i < n->n_routes; i++) {
		struct berth_route_spec rt;
		if (n->routes[i].route_type == BERTH_ROUTE_UNICAST)
			continue; /* removed with the interface */
		nv_route_spec(n, &n->routes[i], 0, &rt);
		int r = berth_route_del(op->ctr, &rt);
		if (r < 0 && r != -ESRCH && r != -ENOENT) {
			char b[BERTH_IPNET_STRLEN];
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "delete route to %s in container namespace",
						 berth_ipnet_fmt(&rt.dst, b));
		}
	}
	return 0;
}
