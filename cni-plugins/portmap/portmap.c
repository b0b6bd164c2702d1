// SPDX-License-Identifier: Apache-2.0
/*
 * portmap: the portMappings capability as elements of berth's nftables maps
 * (pf4_any/pf4_addr/pf6_any/pf6_addr, the ones berth-net uses), plus the
 * hairpin (snat) or masqAll sources of each container address (cni_hp4/6).
 * Localhost and hairpin masquerade come from the table's fixed rules.
 *
 * Keys: runtimeConfig.portMappings [{hostPort, containerPort, protocol,
 * hostIP}] (case-insensitive), snat (default true), masqAll (false),
 * markMasqBit (0..31, accepted, no effect: berth marks nothing),
 * externalSetMarkChain (accepted, no effect; exclusive with markMasqBit),
 * conditionsV4/conditionsV6 (arrays of strings, validated; non-empty refused on ADD/CHECK),
 * backend ("", "iptables", "nftables": always berth's nftables table).
 * Each mapping is one port (the reference has no ranges).
 */
#include "attach.h"
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "netlink/iface.h"
#include "netlink/netlink.h"
#include "state/record.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PORTMAP_OWNER "cni-portmap"
#define PORTMAP_MAX_MAPPINGS 1024u
#define PORTMAP_MAX_CONDITIONS 64u

struct portmap_conf {
	bool snat, masq_all;
	struct berth_fw_portmap *pm; /* per family, per mapping */
	int *tags;
	size_t n_pm;
	struct berth_ipnet cip[2];
	size_t n_cip;
	size_t n_mappings;
};

static void conf_done(struct portmap_conf *c)
{
	free(c->pm);
	free(c->tags);
}

static int bad(struct cni_error **reterr, size_t i, const char *why)
{
	return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid port mapping",
			     "runtimeConfig.portMappings[%zu]: %s", i, why);
}

static int parse_conditions(const struct cni_request *req, const char *key,
			    struct cni_error **reterr)
{
	json_t *a = NULL;
	int r = cni_json_array(req->config, "", key, PORTMAP_MAX_CONDITIONS, &a, reterr);
	if (r <= 0)
		return r;
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v) {
		if (!json_is_string(v) || json_string_length(v) > 256)
			return cni_error_set(
			    reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid configuration",
			    "%s[%zu]: must be a string of at most 256 bytes", key, i);
	}
	if (json_array_size(a) == 0)
		return 0;
	/*
	 * berth's forwards are map elements behind fixed rules: there is no
	 * per-container rule to add matches to. Ignoring them would forward what
	 * the user excluded, so an ADD refuses them; DEL, GC and the rest go on.
	 */
	if (req->cmd == CNI_CMD_ADD || req->cmd == CNI_CMD_CHECK)
		return cni_error_set(reterr, EOPNOTSUPP, CNI_ERR_UNSUPPORTED_FIELD,
				     "unsupported field in network config",
				     "%s: extra match conditions are not supported by berth's "
				     "nftables maps",
				     key);
	return 0;
}

static int conf_parse(const struct cni_request *req, bool need_ips, struct portmap_conf *c,
		      struct cni_error **reterr)
{
	const char *s = NULL;
	long long bit = 13;
	json_t *maps = NULL;
	int r, have_bit, have_chain;

	*c = (struct portmap_conf){.snat = true};
	if ((r = cni_json_bool(req->config, "", "snat", &c->snat, reterr)) < 0 ||
	    (r = cni_json_bool(req->config, "", "masqAll", &c->masq_all, reterr)) < 0)
		return r;
	if ((have_bit = cni_json_int(req->config, "", "markMasqBit", 0, 31, &bit, reterr)) < 0)
		return have_bit;
	if ((have_chain =
		 cni_json_string(req->config, "", "externalSetMarkChain", 256, &s, reterr)) < 0)
		return have_chain;
	if (have_bit > 0 && have_chain > 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid configuration",
				     "cannot specify externalSetMarkChain and markMasqBit");
	if ((r = cni_json_string(req->config, "", "backend", 32, &s, reterr)) < 0)
		return r;
	if (r > 0 && *s && strcmp(s, "iptables") != 0 && strcmp(s, "nftables") != 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid configuration",
				     "backend: \"%s\" is not one of \"iptables\", \"nftables\"", s);
	if ((r = parse_conditions(req, "conditionsV4", reterr)) < 0 ||
	    (r = parse_conditions(req, "conditionsV6", reterr)) < 0)
		return r;

	if (req->runtime_config &&
	    (r = cni_json_array(req->runtime_config, "runtimeConfig", "portMappings",
				PORTMAP_MAX_MAPPINGS, &maps, reterr)) < 0)
		return r;
	c->n_mappings = maps ? json_array_size(maps) : 0;
	if (c->n_mappings == 0)
		return 0;
	if (need_ips) {
		c->n_cip = cni_fw_container_ips(req, false, c->cip, ARRAY_SIZE(c->cip));
		if (c->n_cip == 0)
			return cni_error_set(
			    reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid configuration",
			    "prevResult: no address of interface %s in the container", req->ifname);
	}
	c->pm = calloc(2 * c->n_mappings, sizeof(*c->pm));
	c->tags = calloc(2 * c->n_mappings, sizeof(*c->tags));
	if (!c->pm || !c->tags)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);

	size_t i;
	json_t *m;
	json_array_foreach (maps, i, m) {
		char where[64];
		long long hp, cp;
		const char *proto = "tcp", *hip = NULL;
		struct berth_ip host_ip = {0};
		uint8_t p;

		snprintf(where, sizeof(where), "runtimeConfig.portMappings[%zu]", i);
		if (!json_is_object(m))
			return bad(reterr, i, "must be an object");
		if ((r = cni_json_int(m, where, "hostPort", 1, 65535, &hp, reterr)) < 0)
			return r;
		if (r == 0)
			return bad(reterr, i, "hostPort missing");
		if ((r = cni_json_int(m, where, "containerPort", 1, 65535, &cp, reterr)) < 0)
			return r;
		if (r == 0)
			return bad(reterr, i, "containerPort missing");
		if ((r = cni_json_string(m, where, "protocol", 16, &proto, reterr)) < 0)
			return r;
		if (!*proto || strcasecmp(proto, "tcp") == 0)
			p = IPPROTO_TCP;
		else if (strcasecmp(proto, "udp") == 0)
			p = IPPROTO_UDP;
		else if (strcasecmp(proto, "sctp") == 0)
			p = IPPROTO_SCTP;
		else
			return bad(reterr, i, "protocol must be tcp, udp or sctp");
		if ((r = cni_json_string(m, where, "hostIP", BERTH_IP_STRLEN, &hip, reterr)) < 0)
			return r;
		if (r > 0 && *hip &&
		    (berth_ip_parse(hip, &host_ip) < 0 || berth_ip_is_multicast(&host_ip)))
			return bad(reterr, i, "hostIP is not a unicast IP address");

		for (size_t k = 0; k < c->n_cip; k++) {
			int af = c->cip[k].ip.family;
			if (host_ip.family && host_ip.family != af)
				continue; /* a host address of the other family */
			struct berth_fw_portmap *pm = &c->pm[c->n_pm];
			*pm = (struct berth_fw_portmap){
			    .protocol = p,
			    .host_port = (uint16_t)hp,
			    .container_port = (uint16_t)cp,
			    .range = 1,
			    .container_ip = c->cip[k].ip,
			};
			if (host_ip.family)
				pm->host_ip = host_ip;
			else
				pm->host_ip.family = af;
			c->tags[c->n_pm++] = (int)i;
		}
	}
	return 0;
}

/* The attachment: forwards, and per container address its hairpin/masqAll source. */
static void attach_build(const struct portmap_conf *c, struct cni_fw_attach *a)
{
	*a = (struct cni_fw_attach){
	    .owner = PORTMAP_OWNER, .pm = c->pm, .pm_tags = c->tags, .n_pm = c->n_pm};
	if (c->n_pm == 0 || (!c->snat && !c->masq_all))
		return;
	for (size_t k = 0; k < c->n_cip; k++) {
		struct berth_fw_elem *e = &a->el[a->n_el++];
		*e = (struct berth_fw_elem){.kind = BERTH_FW_ELEM_HAIRPIN, .addr = c->cip[k].ip};
		if (c->masq_all)
			e->net = (struct berth_ipnet){.ip = {.family = c->cip[k].ip.family}};
		else
			berth_ipnet_network(&c->cip[k], &e->net);
	}
}

/*
 * snat: host processes connecting to 127.0.0.1:<hostPort> leave through the
 * host interface towards the container with source 127.0.0.1 before the
 * masquerade: that interface needs route_localnet=1 (as the reference sets).
 * It is the first host-side interface of prevResult that exists here (the
 * bridge for the bridge plugin). Not undone by DEL, as upstream.
 */
static void set_route_localnet(const struct cni_request *req)
{
	struct berth_netns *host = NULL;
	const struct cni_result *pr = req->prev_result;
	struct berth_link_info li;

	if (!pr || berth_netns_open_current(&host) < 0)
		return;
	for (size_t i = 0; i < pr->n_interfaces; i++) {
		const struct cni_interface *itf = &pr->interfaces[i];
		char key[96];
		if (itf->sandbox || !itf->name || !berth_ifname_valid(itf->name) ||
		    berth_link_get(host, itf->name, &li) < 0)
			continue;
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", itf->name);
		int r = berth_sysctl_set(host, key, "1", NULL, 0, NULL);
		if (r < 0)
			log_warn("failed to set %s: %s, ignoring", key, strerror(-r));
		break;
	}
	berth_netns_free(host);
}

static int need_prev(const struct cni_request *req, struct cni_error **reterr)
{
	if (req->prev_result)
		return 0;
	return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
			     "must be called as chained plugin", NULL);
}

/* Chained only; the config and prevResult into the attachment's elements. */
static int prepare(struct cni_request *req, struct portmap_conf *c, struct cni_fw_attach *a,
		   struct cni_error **reterr)
{
	int r = need_prev(req, reterr);
	*c = (struct portmap_conf){0};
	if (r >= 0)
		r = conf_parse(req, true, c, reterr);
	if (r >= 0)
		attach_build(c, a);
	return r;
}

static int portmap_add(struct cni_request *req, struct cni_result **ret_result,
		       struct cni_error **reterr)
{
	struct portmap_conf c;
	struct cni_fw_attach a;
	int r = prepare(req, &c, &a, reterr);

	if (r >= 0 && c.n_pm > 0) {
		r = cni_fw_add(req, &a, reterr);
		bool v4 = false;
		for (size_t k = 0; k < c.n_cip; k++)
			v4 |= c.cip[k].ip.family == AF_INET;
		if (r >= 0 && c.snat && v4)
			set_route_localnet(req);
	}
	conf_done(&c);
	if (r < 0)
		return r;
	*ret_result = TAKE_PTR(req->prev_result);
	return 0;
}

static int portmap_del(struct cni_request *req, struct cni_error **reterr)
{
	/* By container id alone: the record names what ADD added (cni.md §0.7). */
	return cni_fw_del(req, PORTMAP_OWNER, reterr);
}

static int portmap_check(struct cni_request *req, struct cni_error **reterr)
{
	struct portmap_conf c;
	struct cni_fw_attach a;
	int r = prepare(req, &c, &a, reterr);

	if (r >= 0)
		r = cni_fw_check(req, &a, reterr);
	conf_done(&c);
	return r;
}

static int portmap_gc(struct cni_request *req, struct cni_error **reterr)
{
	return cni_fw_gc(req, PORTMAP_OWNER, reterr);
}

static const struct cni_plugin portmap_plugin = {
    .name = "portmap",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = NULL, /* CNI_ARGS not interpreted, as upstream */
    .add = portmap_add,
    .del = portmap_del,
    .check = portmap_check,
    .status = cni_fw_status,
    .gc = portmap_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&portmap_plugin, argc, argv);
}
