// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkOptions (netavark's setup/teardown input) -> struct nv_options.
 *
 * Theory of operation: the document is loaded with jansson, then walked in two
 * passes. The first pass *decodes*: it checks that every known key has the
 * right JSON type, that required keys exist, that addresses parse and that no
 * array exceeds its limit. Those failures are what serde reports in netavark,
 * so they get its prefix, "failed to load network options: IO error: ", plus
 * the path of the offending field. The second pass *validates* what a driver
 * would check before touching the system (subnets, static IPs, driver options)
 * and uses netavark's own texts where it has one.
 *
 * Unknown keys are ignored everywhere. Object order is kept (jansson >= 2.8
 * iterates objects in insertion order), so `networks` keeps the setup order.
 *
 * This file holds the entry point, the container's own fields and `networks`
 * (this container's options per network); options-internal.h lists the files
 * for network_info, the driver options, port_mappings and the JSON access.
 */
#include "options-internal.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_options *, nv_options_free)

/* netavark's MAC decoding (berth_mac_parse_groups) with netavark's messages. */
static int parse_mac(const char *s, uint8_t ret[6], struct berth_error **reterr)
{
	enum berth_mac_error why;

	if (berth_mac_parse_groups(s, ret, &why) >= 0)
		return 0;
	switch (why) {
	case BERTH_MAC_EMPTY_GROUP:
		return berth_error_set(
			reterr, EINVAL,
			"unable to parse mac address %s: cannot parse integer from empty string", s);
	case BERTH_MAC_BAD_DIGIT:
		return berth_error_set(reterr, EINVAL,
				       "unable to parse mac address %s: invalid digit found in string",
				       s);
	case BERTH_MAC_GROUP_TOO_LARGE:
		return berth_error_set(
			reterr, EINVAL,
			"unable to parse mac address %s: number too large to fit in target type", s);
	case BERTH_MAC_LENGTH:
		break;
	}
	return berth_error_set(reterr, EINVAL, "invalid mac length for address: %s", s);
}

/* --- pass 1: decode ---------------------------------------------------------- */

static int decode_per_network(const char *name, const json_t *v, const char *path,
			      struct nv_per_network *pn, struct berth_error **reterr)
{
	const char *ifname = NULL, *mac = NULL;
	const json_t *aliases, *opts;
	void *mem;
	size_t n;
	char p[NV_PATH_MAX];
	int r;

	if ((r = nv_json_expect_object(v, path, reterr)) < 0)
		return r;
	if (nv_strdup(name, &pn->name) < 0)
		return nv_oom(reterr);
	if ((r = nv_json_get_string(v, "interface_name", path, true, &ifname, reterr)) < 0)
		return r;
	if (nv_strdup(ifname, &pn->interface_name) < 0)
		return nv_oom(reterr);
	if ((r = nv_json_get_ip_list(v, "static_ips", path, NV_MAX_STATIC_IPS, &pn->static_ips,
				     &pn->n_static_ips, reterr)) < 0)
		return r;
	if ((r = nv_json_get_string(v, "static_mac", path, false, &mac, reterr)) < 0)
		return r;
	if (mac) {
		if ((r = parse_mac(mac, pn->static_mac, reterr)) < 0)
			return r;
		pn->has_static_mac = true;
	}
	if ((r = nv_json_get_string_map(v, "options", path, NV_MAX_OPTIONS, &opts, reterr)) < 0)
		return r;
	if (nv_strdup(nv_json_map_get(opts, "host_interface_name"), &pn->host_interface_name) < 0)
		return nv_oom(reterr);

	r = nv_json_get_array_alloc(v, "aliases", path, NV_MAX_ALIASES, sizeof(char *), &aliases,
				    &mem, &n, reterr);
	if (r < 0)
		return r;
	pn->aliases = mem;
	if (n == 0)
		return 0;
	nv_pathf(p, "%s.aliases", path);
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(aliases, i);
		if ((r = nv_json_expect_string_at(a, p, i, reterr)) < 0)
			return r;
		const char *s = json_string_value(a);
		const char *why = NULL;
		if (!*s)
			why = "name is empty";
		else if (strpbrk(s, ", \n") || strlen(s) != json_string_length(a))
			why = "name contains invalid chars";
		else if (strlen(s) > NV_MAX_NAME)
			why = "name is too long";
		if (why) {
			log_warn("invalid network alias \"%s\": %s, ignoring this name", s, why);
			continue;
		}
		if (!(pn->aliases[pn->n_aliases] = strdup(s)))
			return nv_oom(reterr);
		pn->n_aliases++;
	}
	return 0;
}

static int decode_networks(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const json_t *nets = json_object_get(root, "networks");
	char p[NV_PATH_MAX];
	int r;

	if (!nets)
		return nv_json_missing(reterr, "", "networks");
	if (!json_is_object(nets) && !json_is_array(nets))
		return nv_load_error(
			reterr,
			"invalid type at `networks`: expected array of network options or map, got %s",
			nv_json_type_name(nets));
	size_t n = json_is_object(nets) ? json_object_size(nets) : json_array_size(nets);
	if (n > NV_MAX_NETWORKS)
		return nv_json_too_many(reterr, "", "networks", n, NV_MAX_NETWORKS);
	if (n == 0)
		return 0;
	o->networks = calloc(n, sizeof(*o->networks));
	if (!o->networks)
		return nv_oom(reterr);

	if (json_is_object(nets)) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)nets, key, v) {
			nv_pathf(p, "networks.%s", key);
			r = decode_per_network(key, v, p, &o->networks[o->n_networks++], reterr);
			if (r < 0)
				return r;
		}
		return 0;
	}

	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(nets, i);
		const char *name = NULL;
		nv_pathf(p, "networks[%zu]", i);
		if ((r = nv_json_expect_object(v, p, reterr)) < 0 ||
		    (r = nv_json_get_string(v, "name", p, true, &name, reterr)) < 0)
			return r;
		for (size_t j = 0; j < o->n_networks; j++)
			if (streq(o->networks[j].name, name))
				return nv_load_error(
					reterr, "duplicate network name `%s` in `networks`", name);
		r = decode_per_network(name, v, p, &o->networks[o->n_networks++], reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- pass 2: validate -------------------------------------------------------- */

/*
 * Static IPs against the network's subnets (host-local IPAM). Reorders them
 * into subnet order, the order in which netavark reports and adds them.
 */
static int validate_static_ips(struct nv_per_network *pn, const struct nv_network *net,
			       bool has_subnets, const json_t *raw_pn, struct berth_error **reterr)
{
	if (net->ipam == NV_IPAM_NONE) {
		/* netavark ignores them: no addresses at all with ipam "none". */
		if (pn->n_static_ips)
			log_debug("network %s uses ipam driver none, ignoring %zu static ips",
				  net->name, pn->n_static_ips);
		free(pn->static_ips);
		pn->static_ips = NULL;
		pn->n_static_ips = 0;
		return 0;
	}
	const json_t *ips = json_object_get(raw_pn, "static_ips");
	if (!ips || json_is_null(ips))
		return berth_error_set(reterr, EINVAL, "no static ips provided");
	if (!has_subnets || pn->n_static_ips == 0)
		return 0;

	struct berth_ip *sorted = calloc(pn->n_static_ips, sizeof(*sorted));
	size_t matched = 0;
	if (!sorted)
		return nv_oom(reterr);
	for (size_t s = 0; s < net->n_subnets; s++)
		for (size_t i = 0; i < pn->n_static_ips; i++)
			if (berth_ipnet_contains(&net->subnets[s].subnet, &pn->static_ips[i])) {
				/* Subnets do not overlap (checked), so matched <= n. */
				if (matched < pn->n_static_ips)
					sorted[matched] = pn->static_ips[i];
				matched++;
			}
	if (matched != pn->n_static_ips) {
		free(sorted);
		return berth_error_set(reterr, EINVAL,
				       "not all static IPs matched a subnet: expected %zu, got %zu",
				       pn->n_static_ips, matched);
	}
	free(pn->static_ips);
	pn->static_ips = sorted;
	return 0;
}

static int validate_per_network(struct nv_per_network *pn, struct berth_error **reterr)
{
	int r;
	if (!*pn->interface_name)
		return berth_error_set(reterr, EINVAL, "no container interface name given");
	if ((r = nv_check_ifname("interface name", pn->interface_name, reterr)) < 0)
		return r;
	if (pn->host_interface_name && *pn->host_interface_name &&
	    (r = nv_check_ifname("host interface name", pn->host_interface_name, reterr)) < 0)
		return r;
	return 0;
}

static int validate_container(const struct nv_options *o, struct berth_error **reterr)
{
	if (!*o->container_id)
		return berth_error_set(reterr, EINVAL, "container id must not be empty");
	if (!nv_id_valid(o->container_id, " /,"))
		return berth_error_set(reterr, EINVAL, "invalid container id \"%s\"",
				       o->container_id);
	return 0;
}

/* --- entry points -------------------------------------------------------------- */

static const json_t *raw_per_network(const json_t *root, size_t i, const char *name)
{
	const json_t *nets = json_object_get(root, "networks");
	return json_is_array(nets) ? json_array_get(nets, i) : json_object_get(nets, name);
}

static int parse_root(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const char *id = NULL, *name = NULL, *hostname = NULL;
	const json_t *info;
	struct nv_raw_network *raw = NULL;
	int r;

	if (!json_is_object(root))
		return nv_load_error(reterr, "invalid type: expected an object, got %s",
				     nv_json_type_name(root));
	if ((r = nv_json_get_string(root, "container_id", "", true, &id, reterr)) < 0 ||
	    (r = nv_json_get_string(root, "container_name", "", true, &name, reterr)) < 0 ||
	    (r = nv_json_get_string(root, "container_hostname", "", false, &hostname, reterr)) < 0)
		return r;
	if (nv_strdup(id, &o->container_id) < 0 || nv_strdup(name, &o->container_name) < 0 ||
	    nv_strdup(hostname, &o->container_hostname) < 0)
		return nv_oom(reterr);
	{
		/* The short id tags every log line from here on, warnings included. */
		char tag[13];
		snprintf(tag, sizeof(tag), "%s", o->container_id);
		log_set_context(tag);
	}
	if ((r = nv_ports_decode(root, o, reterr)) < 0 ||
	    (r = decode_networks(root, o, reterr)) < 0 ||
	    (r = nv_json_get_ip_list(root, "dns_servers", "", NV_MAX_DNS_SERVERS, &o->dns_servers,
				     &o->n_dns_servers, reterr)) < 0)
		return r;

	info = json_object_get(root, "network_info");
	if (!info)
		return nv_json_missing(reterr, "", "network_info");
	if (!json_is_object(info))
		return nv_json_type_error(reterr, "", "network_info", "an object", info);

	if (o->n_networks) {
		o->network_info = calloc(o->n_networks, sizeof(*o->network_info));
		raw = calloc(o->n_networks, sizeof(*raw));
		if (!o->network_info || !raw) {
			free(raw);
			return nv_oom(reterr);
		}
	}
	o->n_network_info = o->n_networks;

	/* Decode every entry first (serde would), then validate in setup order. */
	for (size_t i = 0; i < o->n_networks; i++) {
		const char *n = o->networks[i].name;
		const json_t *v = json_object_get(info, n);
		char p[NV_PATH_MAX];
		if (!v) {
			r = berth_error_set(reterr, EINVAL, "network info for network %s not found",
					    n);
			goto out;
		}
		nv_pathf(p, "network_info.%s", n);
		if ((r = nv_network_decode(v, p, &o->network_info[i], &raw[i], reterr)) < 0)
			goto out;
		o->networks[i].network = &o->network_info[i];
	}

	if ((r = validate_container(o, reterr)) < 0)
		goto out;
	for (size_t i = 0; i < o->n_networks; i++) {
		struct nv_per_network *pn = &o->networks[i];
		struct nv_network *net = &o->network_info[i];
		if ((r = nv_network_validate(net, &raw[i], reterr)) < 0 ||
		    (r = validate_per_network(pn, reterr)) < 0 ||
		    (r = validate_static_ips(pn, net, raw[i].has_subnets,
					     raw_per_network(root, i, pn->name), reterr)) < 0)
			goto out;
	}
	r = nv_ports_validate(root, o, reterr);
out:
	nv_raw_networks_free(raw, o->n_networks);
	return r;
}

int nv_options_parse(const char *buf, size_t len, struct nv_options **ret,
		     struct berth_error **reterr)
{
	_cleanup_(nv_options_freep) struct nv_options *o = NULL;
	json_error_t jerr;
	json_t *root;
	int r;

	if (len > NV_MAX_INPUT)
		return berth_error_set(reterr, EFBIG,
				       NV_LOAD_PREFIX "input is larger than %u bytes",
				       NV_MAX_INPUT);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return nv_load_error(reterr, "%s at line %d column %d", jerr.text, jerr.line,
				     jerr.column);
	o = calloc(1, sizeof(*o));
	if (!o) {
		json_decref(root);
		return nv_oom(reterr);
	}
	r = parse_root(root, o, reterr);
	json_decref(root);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

static void network_done(struct nv_network *n)
{
	free(n->name);
	free(n->id);
	free(n->network_interface);
	free(n->subnets);
	free(n->routes);
	free(n->dns_servers);
	free(n->vrf);
}

static void per_network_done(struct nv_per_network *pn)
{
	free(pn->name);
	free(pn->interface_name);
	free(pn->static_ips);
	for (size_t i = 0; i < pn->n_aliases; i++)
		free(pn->aliases[i]);
	free(pn->aliases);
	free(pn->host_interface_name);
}

void nv_options_free(struct nv_options *o)
{
	if (!o)
		return;
	free(o->container_id);
	free(o->container_name);
	free(o->container_hostname);
	free(o->port_mappings);
	for (size_t i = 0; o->networks && i < o->n_networks; i++)
		per_network_done(&o->networks[i]);
	free(o->networks);
	for (size_t i = 0; o->network_info && i < o->n_network_info; i++)
		network_done(&o->network_info[i]);
	free(o->network_info);
	free(o->dns_servers);
	free(o);
}
