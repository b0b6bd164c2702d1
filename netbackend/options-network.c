// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkOptions: network_info.<name>, the Podman network (its config file):
 * decoded in pass 1 (types, addresses, limits), validated in pass 2 (name, id,
 * driver, interface, ipam driver, options, subnets, routes).
 */
#include "options-internal.h"

#include "basic/cleanup.h"
#include "netlink/netlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- pass 1: decode ---------------------------------------------------------- */

static int decode_subnets(const json_t *v, const char *path, struct nv_network *net,
			  bool *has_subnets, struct berth_error **reterr)
{
	const json_t *arr;
	void *mem;
	char p[NV_PATH_MAX];
	int r = nv_json_get_array_alloc(v, "subnets", path, NV_MAX_SUBNETS, sizeof(*net->subnets),
					&arr, &mem, &net->n_subnets, reterr);
	if (r < 0)
		return r;
	net->subnets = mem;
	*has_subnets = arr != NULL;
	for (size_t i = 0; i < net->n_subnets; i++) {
		const json_t *s = json_array_get(arr, i);
		struct nv_subnet *sn = &net->subnets[i];
		const char *cidr = NULL, *gw = NULL, *start = NULL, *end = NULL;
		const json_t *lease;

		nv_pathf(p, "%s.subnets[%zu]", path, i);
		if ((r = nv_json_expect_object(s, p, reterr)) < 0 ||
		    (r = nv_json_get_string(s, "subnet", p, true, &cidr, reterr)) < 0 ||
		    (r = nv_json_get_string(s, "gateway", p, false, &gw, reterr)) < 0)
			return r;
		if (berth_ipnet_parse(cidr, &sn->subnet) < 0)
			return nv_json_ip_syntax_error(reterr, cidr, p, "subnet");
		berth_ipnet_network(&sn->subnet, &sn->subnet);
		if (gw && berth_ip_parse(gw, &sn->gateway) < 0)
			return nv_json_ip_syntax_error(reterr, gw, p, "gateway");
		lease = json_object_get(s, "lease_range");
		if (lease && !json_is_null(lease)) {
			char lp[NV_PATH_MAX];
			nv_pathf(lp, "%s.lease_range", p);
			if ((r = nv_json_expect_object(lease, lp, reterr)) < 0 ||
			    (r = nv_json_get_string(lease, "start_ip", lp, false, &start,
						    reterr)) < 0 ||
			    (r = nv_json_get_string(lease, "end_ip", lp, false, &end, reterr)) < 0)
				return r;
			if (start && *start && berth_ip_parse(start, &sn->lease_start) < 0)
				return nv_json_ip_syntax_error(reterr, start, lp, "start_ip");
			if (end && *end && berth_ip_parse(end, &sn->lease_end) < 0)
				return nv_json_ip_syntax_error(reterr, end, lp, "end_ip");
		}
	}
	return 0;
}

static int decode_routes(const json_t *v, const char *path, struct nv_network *net,
			 const char ***ret_types, struct berth_error **reterr)
{
	const json_t *arr;
	void *mem;
	char p[NV_PATH_MAX];
	int r = nv_json_get_array_alloc(v, "routes", path, NV_MAX_ROUTES, sizeof(*net->routes),
					&arr, &mem, &net->n_routes, reterr);
	if (r < 0)
		return r;
	net->routes = mem;
	if (!net->n_routes)
		return 0;
	if (!(*ret_types = calloc(net->n_routes, sizeof(char *))))
		return nv_oom(reterr);
	for (size_t i = 0; i < net->n_routes; i++) {
		const json_t *rt = json_array_get(arr, i);
		struct nv_route *route = &net->routes[i];
		const char *dst = NULL, *gw = NULL;
		json_int_t metric = 0;

		nv_pathf(p, "%s.routes[%zu]", path, i);
		if ((r = nv_json_expect_object(rt, p, reterr)) < 0 ||
		    (r = nv_json_get_string(rt, "destination", p, true, &dst, reterr)) < 0 ||
		    (r = nv_json_get_string(rt, "gateway", p, false, &gw, reterr)) < 0 ||
		    (r = nv_json_get_uint(rt, "metric", p, false, UINT32_MAX, &metric,
					  &route->has_metric, reterr)) < 0 ||
		    (r = nv_json_get_string(rt, "route_type", p, false, &(*ret_types)[i],
					    reterr)) < 0)
			return r;
		if (berth_ipnet_parse(dst, &route->destination) < 0)
			return nv_json_ip_syntax_error(reterr, dst, p, "destination");
		if (gw && berth_ip_parse(gw, &route->gateway) < 0)
			return nv_json_ip_syntax_error(reterr, gw, p, "gateway");
		route->metric = (uint32_t)metric;
	}
	return 0;
}

int nv_network_decode(const json_t *v, const char *path, struct nv_network *net,
		      struct nv_raw_network *raw, struct berth_error **reterr)
{
	const char *name = NULL, *id = NULL, *ifname = NULL, *created = NULL;
	const json_t *labels;
	int r;

	if ((r = nv_json_expect_object(v, path, reterr)) < 0 ||
	    (r = nv_json_get_string(v, "name", path, true, &name, reterr)) < 0 ||
	    (r = nv_json_get_string(v, "id", path, true, &id, reterr)) < 0 ||
	    (r = nv_json_get_string(v, "driver", path, true, &raw->driver, reterr)) < 0 ||
	    (r = nv_json_get_string(v, "network_interface", path, false, &ifname, reterr)) < 0 ||
	    (r = nv_json_get_string(v, "created", path, false, &created, reterr)) < 0 ||
	    (r = nv_json_get_bool(v, "ipv6_enabled", path, &net->ipv6_enabled, reterr)) < 0 ||
	    (r = nv_json_get_bool(v, "internal", path, &net->internal, reterr)) < 0 ||
	    (r = nv_json_get_bool(v, "dns_enabled", path, &net->dns_enabled, reterr)) < 0)
		return r;
	if (nv_strdup(name, &net->name) < 0 || nv_strdup(id, &net->id) < 0 ||
	    nv_strdup(ifname, &net->network_interface) < 0)
		return nv_oom(reterr);
	if ((r = decode_subnets(v, path, net, &raw->has_subnets, reterr)) < 0 ||
	    (r = decode_routes(v, path, net, &raw->route_types, reterr)) < 0 ||
	    (r = nv_json_get_ip_list(v, "network_dns_servers", path, NV_MAX_DNS_SERVERS,
				     &net->dns_servers, &net->n_dns_servers, reterr)) < 0 ||
	    (r = nv_json_get_string_map(v, "options", path, NV_MAX_OPTIONS, &raw->options,
					reterr)) < 0 ||
	    (r = nv_json_get_string_map(v, "ipam_options", path, NV_MAX_OPTIONS, &raw->ipam_options,
					reterr)) < 0 ||
	    (r = nv_json_get_string_map(v, "labels", path, 0, &labels, reterr)) < 0)
		return r;
	return 0;
}

/* --- pass 2: validate -------------------------------------------------------- */

/* "<what> <ip> not in subnet <subnet>" unless ip is unset or inside. */
static int check_in_subnet(const struct nv_subnet *s, const struct berth_ip *ip, const char *what,
			   struct berth_error **reterr)
{
	char a[BERTH_IPNET_STRLEN], g[BERTH_IP_STRLEN];

	if (!ip->family || berth_ipnet_contains(&s->subnet, ip))
		return 0;
	return berth_error_set(reterr, EINVAL, "%s %s not in subnet %s", what, berth_ip_fmt(ip, g),
			       berth_ipnet_fmt(&s->subnet, a));
}

static int validate_subnets(const struct nv_network *net, struct berth_error **reterr)
{
	char a[BERTH_IPNET_STRLEN], b[BERTH_IPNET_STRLEN];
	int r;

	for (size_t i = 0; i < net->n_subnets; i++) {
		const struct nv_subnet *s = &net->subnets[i];
		if ((r = check_in_subnet(s, &s->gateway, "gateway", reterr)) < 0 ||
		    (r = check_in_subnet(s, &s->lease_start, "lease range start_ip", reterr)) < 0 ||
		    (r = check_in_subnet(s, &s->lease_end, "lease range end_ip", reterr)) < 0)
			return r;
		for (size_t j = i + 1; j < net->n_subnets; j++) {
			const struct nv_subnet *t = &net->subnets[j];
			if (s->subnet.prefixlen == t->subnet.prefixlen &&
			    berth_ip_equal(&s->subnet.ip, &t->subnet.ip))
				return berth_error_set(reterr, EINVAL,
						       "duplicate subnet defined: %s",
						       berth_ipnet_fmt(&s->subnet, a));
			if (berth_ipnet_overlaps(&s->subnet, &t->subnet))
				return berth_error_set(reterr, EINVAL,
						       "overlapping subnets: %s and %s",
						       berth_ipnet_fmt(&s->subnet, a),
						       berth_ipnet_fmt(&t->subnet, b));
		}
	}
	return 0;
}

static int validate_routes(struct nv_network *net, const char **types, struct berth_error **reterr)
{
	char d[BERTH_IPNET_STRLEN], g[BERTH_IP_STRLEN];

	for (size_t i = 0; i < net->n_routes; i++) {
		struct nv_route *rt = &net->routes[i];
		const char *t = types[i];
		int type = (!t || !*t) ? BERTH_ROUTE_UNICAST : berth_route_type_from_string(t);
		if (type < 0)
			return berth_error_set(reterr, EINVAL, "invalid route type \"%s\"", t);
		rt->route_type = type;
		berth_ipnet_fmt(&rt->destination, d);
		if (type == BERTH_ROUTE_UNICAST && !rt->gateway.family)
			return berth_error_set(reterr, EINVAL,
					       "route %s requires a gateway for type unicast", d);
		/* t is then the name the lib table matched, as given */
		if (type != BERTH_ROUTE_UNICAST && rt->gateway.family)
			return berth_error_set(reterr, EINVAL,
					       "route %s must not have a gateway for type %s", d,
					       t);
		if (rt->gateway.family && rt->gateway.family != rt->destination.ip.family)
			return berth_error_set(
				reterr, EINVAL, "route with %s destination and %s gateway (%s via %s)",
				rt->destination.ip.family == AF_INET ? "ipv4" : "ipv6",
				rt->gateway.family == AF_INET ? "ipv4" : "ipv6", d,
				berth_ip_fmt(&rt->gateway, g));
		/* The kernel wants the network address of the destination. */
		berth_ipnet_network(&rt->destination, &rt->destination);
	}
	return 0;
}

int nv_network_validate(struct nv_network *net, struct nv_raw_network *raw,
			struct berth_error **reterr)
{
	const char *ipam;
	int r;

	if (!nv_network_name_valid(net->name))
		return berth_error_set(
			reterr, EINVAL,
			"invalid network name \"%s\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", net->name);
	if (!*net->id)
		return berth_error_set(reterr, EINVAL, "Network id must be supplied");
	if (!nv_id_valid(net->id, "/"))
		return berth_error_set(reterr, EINVAL, "invalid network id \"%s\"", net->id);

	if (streq(raw->driver, "bridge"))
		net->driver = NV_DRIVER_BRIDGE;
	else if (streq(raw->driver, "macvlan"))
		net->driver = NV_DRIVER_MACVLAN;
	else if (streq(raw->driver, "ipvlan"))
		net->driver = NV_DRIVER_IPVLAN;
	else
		return berth_error_set(reterr, EINVAL, "unknown network driver \"%s\"", raw->driver);

	if (net->driver == NV_DRIVER_BRIDGE) {
		if (!net->network_interface || !*net->network_interface)
			return berth_error_set(reterr, EINVAL, "no bridge interface name given");
		r = nv_check_ifname("bridge interface name", net->network_interface, reterr);
		if (r < 0)
			return r;
	} else if (net->network_interface && *net->network_interface) {
		r = nv_check_ifname("parent interface name", net->network_interface, reterr);
		if (r < 0)
			return r;
	}

	ipam = nv_json_map_get(raw->ipam_options, "driver");
	if (!ipam || streq(ipam, "host-local"))
		net->ipam = NV_IPAM_HOST_LOCAL;
	else if (streq(ipam, "none"))
		net->ipam = NV_IPAM_NONE;
	else if (!streq(ipam, "dhcp"))
		return berth_error_set(reterr, EINVAL, "unsupported ipam driver %s", ipam);

	if ((r = nv_driver_options_validate(net, raw->options, reterr)) < 0)
		return r;
	if (ipam && streq(ipam, "dhcp")) {
		/* netavark's words where it refuses; berth has no DHCP proxy for the rest */
		if (net->driver == NV_DRIVER_BRIDGE && !net->unmanaged)
			return berth_error_set(reterr, EINVAL,
					       "cannot use dhcp ipam driver without using the "
					       "option mode=unmanaged");
		if (net->driver == NV_DRIVER_IPVLAN)
			return berth_error_set(reterr, EINVAL,
					       "ipam driver dhcp is not supported with ipvlan");
		return berth_error_set(reterr, EOPNOTSUPP,
				       "ipam driver dhcp is not yet supported by berth-net");
	}
	if ((r = validate_subnets(net, reterr)) < 0)
		return r;
	return validate_routes(net, raw->route_types, reterr);
}

void nv_raw_networks_free(struct nv_raw_network *raw, size_t n)
{
	for (size_t i = 0; raw && i < n; i++)
		free(raw[i].route_types);
	free(raw);
}
