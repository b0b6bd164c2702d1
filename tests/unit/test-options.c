// SPDX-License-Identifier: Apache-2.0
/*
 * nv_options_parse(): every fixture in tests/fixtures/netavark/ parses into the
 * expected structs, and ~40 broken variants of them fail with the exact text
 * netavark (or berth, where netavark has none) prints.
 *
 * The fixture directory comes from $NV_FIXTURE_DIR (set by tests/meson.build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "basic/fileio.h"
#include "netlink/netlink.h"
#include "options.h"

static char *fixture_text(const char *name, size_t *len)
{
	const char *dir = getenv("NV_FIXTURE_DIR");
	char path[4096];
	char *buf = NULL;
	if (!dir)
		fail_msg("NV_FIXTURE_DIR is not set");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file_limited(path, NV_MAX_INPUT, &buf, len) < 0)
		fail_msg("cannot read fixture %s", path);
	return buf;
}

static struct nv_options *parse_ok(const char *name)
{
	size_t len;
	char *buf = fixture_text(name, &len);
	struct nv_options *o = NULL;
	struct berth_error *err = NULL;
	int r = nv_options_parse(buf, len, &o, &err);
	if (r < 0)
		fail_msg("%s: %s", name, err ? err->msg : "(no error)");
	free(buf);
	assert_non_null(o);
	return o;
}

static const char *ipstr(const struct berth_ip *ip)
{
	static char buf[4][BERTH_IP_STRLEN];
	static int n;
	return berth_ip_fmt(ip, buf[n++ % 4]);
}

static const char *netstr(const struct berth_ipnet *net)
{
	static char buf[4][BERTH_IPNET_STRLEN];
	static int n;
	return berth_ipnet_fmt(net, buf[n++ % 4]);
}

/* --- valid documents ------------------------------------------------------------ */

static void test_podman_default(void **state)
{
	struct nv_options *o = parse_ok("podman43-default.json");
	assert_string_equal(o->container_id,
			    "769add9e492bf50e96de6595cecdd1c6b35fac37d14bc6312d9bfeacddfb38d9");
	assert_string_equal(o->container_name, "serene_visvesvaraya");
	assert_null(o->container_hostname);
	assert_int_equal(o->n_port_mappings, 0);
	assert_int_equal(o->n_dns_servers, 0);
	assert_int_equal(o->n_networks, 1);
	assert_int_equal(o->n_network_info, 1);

	const struct nv_per_network *pn = &o->networks[0];
	assert_string_equal(pn->name, "podman");
	assert_ptr_equal(pn->network, &o->network_info[0]);
	assert_string_equal(pn->interface_name, "eth0");
	assert_int_equal(pn->n_static_ips, 1);
	assert_string_equal(ipstr(&pn->static_ips[0]), "10.88.0.2");
	assert_int_equal(pn->n_aliases, 1);
	assert_string_equal(pn->aliases[0], "769add9e492b");
	assert_false(pn->has_static_mac);
	assert_null(pn->host_interface_name);

	const struct nv_network *n = pn->network;
	assert_string_equal(n->name, "podman");
	assert_string_equal(n->id, "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9");
	assert_int_equal(n->driver, NV_DRIVER_BRIDGE);
	assert_string_equal(n->network_interface, "podman0");
	assert_int_equal(n->n_subnets, 1);
	assert_string_equal(netstr(&n->subnets[0].subnet), "10.88.0.0/16");
	assert_string_equal(ipstr(&n->subnets[0].gateway), "10.88.0.1");
	assert_int_equal(n->subnets[0].lease_start.family, 0);
	assert_int_equal(n->n_routes, 0);
	assert_false(n->ipv6_enabled);
	assert_false(n->internal);
	assert_false(n->dns_enabled);
	assert_int_equal(n->ipam, NV_IPAM_HOST_LOCAL);
	assert_int_equal(n->mtu, 0);
	assert_int_equal(n->metric, 100);
	assert_false(n->no_default_route);
	assert_int_equal(n->isolate, NV_ISOLATE_FALSE);
	assert_false(n->unmanaged);
	assert_int_equal(n->vlan, -1);
	assert_null(n->vrf);
	nv_options_free(o);
}

static void test_podman_port(void **state)
{
	struct nv_options *o = parse_ok("podman43-port.json");
	assert_int_equal(o->n_port_mappings, 1);
	const struct nv_port_mapping *m = &o->port_mappings[0];
	assert_int_equal(m->host_ip.family, 0);
	assert_false(m->host_ip_any);
	assert_int_equal(m->container_port, 8080);
	assert_int_equal(m->host_port, 18080);
	assert_int_equal(m->range, 1);
	assert_int_equal(m->protocol, IPPROTO_TCP);
	assert_true(o->network_info[0].dns_enabled);
	nv_options_free(o);
}

static void test_dualstack(void **state)
{
	struct nv_options *o = parse_ok("dualstack-aliases-ports.json");
	assert_string_equal(o->container_hostname, "web");
	assert_int_equal(o->n_dns_servers, 1);
	assert_string_equal(ipstr(&o->dns_servers[0]), "1.1.1.1");

	assert_int_equal(o->n_port_mappings, 4);
	assert_int_equal(o->port_mappings[1].host_ip.family, AF_INET);
	assert_string_equal(ipstr(&o->port_mappings[1].host_ip), "127.0.0.1");
	assert_false(o->port_mappings[1].host_ip_any);
	assert_int_equal(o->port_mappings[1].range, 3);
	assert_int_equal(o->port_mappings[1].protocol, IPPROTO_UDP);
	assert_int_equal(o->port_mappings[2].host_ip.family, AF_INET6);
	assert_true(o->port_mappings[2].host_ip_any);
	assert_int_equal(o->port_mappings[2].range, 1); /* 0 counts as 1 */
	assert_int_equal(o->port_mappings[2].protocol, IPPROTO_SCTP);
	assert_int_equal(o->port_mappings[3].host_ip.family, AF_INET);
	assert_true(o->port_mappings[3].host_ip_any);

	const struct nv_per_network *pn = &o->networks[0];
	/* Reordered into subnet order (v4 subnet first), as netavark reports them. */
	assert_int_equal(pn->n_static_ips, 2);
	assert_string_equal(ipstr(&pn->static_ips[0]), "10.89.1.2");
	assert_string_equal(ipstr(&pn->static_ips[1]), "fd10:89:1::2");
	/* "", "bad alias" and "a,b" are dropped with a warning. */
	assert_int_equal(pn->n_aliases, 2);
	assert_string_equal(pn->aliases[0], "f031bf33eecb");
	assert_string_equal(pn->aliases[1], "www");
	assert_true(pn->has_static_mac);
	static const uint8_t mac[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f };
	assert_memory_equal(pn->static_mac, mac, 6);
	assert_string_equal(pn->host_interface_name, "veth-web");

	const struct nv_network *n = pn->network;
	assert_true(n->ipv6_enabled);
	assert_int_equal(n->n_subnets, 2);
	assert_string_equal(netstr(&n->subnets[1].subnet), "fd10:89:1::/64");
	assert_string_equal(ipstr(&n->subnets[1].gateway), "fd10:89:1::1");
	assert_int_equal(n->n_dns_servers, 2);
	assert_string_equal(ipstr(&n->dns_servers[1]), "2620:fe::fe");
	nv_options_free(o);
}

static void test_networks_array(void **state)
{
	struct nv_options *o = parse_ok("networks-array.json");
	assert_int_equal(o->n_networks, 2);
	assert_int_equal(o->n_network_info, 2);
	assert_string_equal(o->networks[0].name, "zeta");
	assert_string_equal(o->networks[1].name, "alpha");
	assert_string_equal(o->network_info[0].name, "zeta");
	assert_string_equal(o->network_info[1].name, "alpha");
	assert_ptr_equal(o->networks[1].network, &o->network_info[1]);
	assert_string_equal(o->networks[1].interface_name, "eth1");
	assert_int_equal(o->networks[1].n_aliases, 1);
	assert_true(o->network_info[1].dns_enabled);
	assert_false(o->network_info[0].dns_enabled);
	nv_options_free(o);
}

static void test_networks_map_order(void **state)
{
	struct nv_options *o = parse_ok("networks-map-order.json");
	assert_int_equal(o->n_networks, 3);
	assert_string_equal(o->networks[0].name, "net3");
	assert_string_equal(o->networks[1].name, "net1");
	assert_string_equal(o->networks[2].name, "net2");
	for (size_t i = 0; i < 3; i++) {
		assert_ptr_equal(o->networks[i].network, &o->network_info[i]);
		assert_string_equal(o->network_info[i].name, o->networks[i].name);
	}
	assert_string_equal(o->network_info[0].network_interface, "podman13");
	nv_options_free(o);
}

static void test_macvlan(void **state)
{
	struct nv_options *o = parse_ok("macvlan.json");
	const struct nv_network *n = &o->network_info[0];
	assert_int_equal(n->driver, NV_DRIVER_MACVLAN);
	assert_int_equal(n->mode, BERTH_MACVLAN_VEPA);
	assert_int_equal(n->mtu, 1400);
	assert_int_equal(n->metric, 99);
	assert_true(n->no_default_route);
	assert_true(n->has_bclim);
	assert_int_equal((int32_t)n->bclim, -1);
	assert_string_equal(n->network_interface, "dummy0");
	assert_true(o->networks[0].has_static_mac);
	nv_options_free(o);
}

static void test_ipvlan(void **state)
{
	struct nv_options *o = parse_ok("ipvlan.json");
	const struct nv_network *n = &o->network_info[0];
	assert_int_equal(n->driver, NV_DRIVER_IPVLAN);
	assert_int_equal(n->mode, BERTH_IPVLAN_L3S);
	assert_int_equal(n->metric, 250);
	assert_string_equal(n->network_interface, "");
	assert_int_equal(n->subnets[1].gateway.family, 0);
	assert_int_equal(o->networks[0].n_static_ips, 2);
	nv_options_free(o);
}

static void test_internal(void **state)
{
	struct nv_options *o = parse_ok("internal.json");
	const struct nv_network *n = &o->network_info[0];
	assert_true(n->internal);
	assert_true(n->dns_enabled);
	assert_int_equal(n->subnets[0].gateway.family, 0);
	nv_options_free(o);
}

static void test_bridge_options(void **state)
{
	struct nv_options *o = parse_ok("bridge-options.json");
	const struct nv_network *n = &o->network_info[0];
	assert_int_equal(n->isolate, NV_ISOLATE_STRICT);
	assert_int_equal(n->mtu, 9000);
	assert_int_equal(n->metric, 300);
	assert_int_equal(n->vlan, 42);
	assert_string_equal(n->vrf, "vrf-blue");
	assert_false(n->unmanaged);
	assert_false(n->no_default_route);
	assert_string_equal(ipstr(&n->subnets[0].lease_start), "10.89.30.10");
	assert_string_equal(ipstr(&n->subnets[0].lease_end), "10.89.30.200");
	nv_options_free(o);
}

static void test_routes(void **state)
{
	struct nv_options *o = parse_ok("routes.json");
	const struct nv_network *n = &o->network_info[0];
	assert_int_equal(n->isolate, NV_ISOLATE_TRUE);
	assert_true(n->no_default_route);
	assert_int_equal(n->n_routes, 5);
	assert_string_equal(netstr(&n->routes[0].destination), "10.20.30.0/24");
	assert_string_equal(ipstr(&n->routes[0].gateway), "10.89.40.254");
	assert_false(n->routes[0].has_metric);
	assert_int_equal(n->routes[0].route_type, BERTH_ROUTE_UNICAST);
	/* host bits of the destination are cleared */
	assert_string_equal(netstr(&n->routes[1].destination), "10.20.31.0/24");
	assert_true(n->routes[1].has_metric);
	assert_int_equal(n->routes[1].metric, 50);
	assert_int_equal(n->routes[2].route_type, BERTH_ROUTE_BLACKHOLE);
	assert_int_equal(n->routes[2].gateway.family, 0);
	assert_int_equal(n->routes[3].route_type, BERTH_ROUTE_UNREACHABLE);
	assert_false(n->routes[3].has_metric);
	assert_int_equal(n->routes[4].route_type, BERTH_ROUTE_PROHIBIT);
	assert_int_equal(n->routes[4].metric, UINT32_MAX);
	assert_string_equal(netstr(&n->routes[4].destination), "fd99::/48");
	nv_options_free(o);
}

static void test_unknown_keys(void **state)
{
	struct nv_options *o = parse_ok("unknown-keys.json");
	assert_null(o->container_hostname);
	assert_int_equal(o->n_port_mappings, 0);
	assert_int_equal(o->networks[0].n_aliases, 0);
	assert_false(o->networks[0].has_static_mac);
	assert_int_equal(o->network_info[0].n_routes, 0);
	nv_options_free(o);
}

static void test_ipam_none(void **state)
{
	struct nv_options *o = parse_ok("ipam-none.json");
	assert_int_equal(o->network_info[0].ipam, NV_IPAM_NONE);
	/* netavark ignores static IPs with ipam "none" */
	assert_int_equal(o->networks[0].n_static_ips, 0);
	assert_null(o->networks[0].static_ips);
	nv_options_free(o);
}

/* --- invalid documents ------------------------------------------------------------ */

/*
 * Apply one edit to a fixture: path is '/'-separated object keys and array
 * indexes; value is JSON text to set, or NULL to delete the element.
 */
static char *mutate(const char *fixture, const char *path, const char *value)
{
	size_t len;
	char *buf = fixture_text(fixture, &len);
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, 0, &jerr);
	free(buf);
	assert_non_null(root);

	char *p = strdup(path);
	json_t *parent = root;
	char *save = NULL, *seg = strtok_r(p, "/", &save), *next;
	for (; (next = strtok_r(NULL, "/", &save)); seg = next) {
		parent = json_is_array(parent) ? json_array_get(parent, strtoul(seg, NULL, 10))
					       : json_object_get(parent, seg);
		assert_non_null(parent);
	}
	json_t *v = value ? json_loads(value, JSON_DECODE_ANY, &jerr) : NULL;
	if (value && !v)
		fail_msg("bad test value %s: %s", value, jerr.text);
	if (json_is_array(parent)) {
		size_t idx = strtoul(seg, NULL, 10);
		if (v)
			assert_int_equal(json_array_set_new(parent, idx, v), 0);
		else
			assert_int_equal(json_array_remove(parent, idx), 0);
	} else if (v) {
		assert_int_equal(json_object_set_new(parent, seg, v), 0);
	} else {
		assert_int_equal(json_object_del(parent, seg), 0);
	}
	free(p);
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static void expect_error_text(const char *doc, size_t len, const char *expected)
{
	struct nv_options *o = NULL;
	struct berth_error *err = NULL;
	int r = nv_options_parse(doc, len, &o, &err);
	if (r >= 0)
		fail_msg("parse succeeded, expected: %s", expected);
	assert_null(o);
	assert_non_null(err);
	assert_true(err->errnum > 0);
	assert_string_equal(err->msg, expected);
	berth_error_free(err);
}

#define LOAD "failed to load network options: IO error: "
#define DS "dualstack-aliases-ports.json"

struct bad_case {
	const char *fixture;
	const char *path;
	const char *value; /* NULL: delete */
	const char *error;
};

static const struct bad_case bad_cases[] = {
	{ DS, "container_id", NULL, LOAD "missing field `container_id`" },
	{ DS, "container_id", "5", LOAD "invalid type at `container_id`: expected a string, got an integer" },
	{ DS, "container_name", "null", LOAD "invalid type at `container_name`: expected a string, got null" },
	{ DS, "container_id", "\"\"", "container id must not be empty" },
	{ DS, "networks", NULL, LOAD "missing field `networks`" },
	{ DS, "networks", "\"mynet\"", LOAD "invalid type at `networks`: expected array of network options or map, got a string" },
	{ DS, "network_info", NULL, LOAD "missing field `network_info`" },
	{ DS, "network_info", "[]", LOAD "invalid type at `network_info`: expected an object, got an array" },
	{ DS, "networks/mynet/interface_name", NULL, LOAD "missing field `interface_name` in `networks.mynet`" },
	{ DS, "networks/mynet/interface_name", "\"\"", "no container interface name given" },
	{ DS, "networks/mynet/interface_name", "\"averyveryverylongname\"", "interface name \"averyveryverylongname\" is longer than 15 bytes" },
	{ DS, "networks/mynet/interface_name", "\"eth/0\"", "invalid interface name \"eth/0\"" },
	{ DS, "networks/mynet/options/host_interface_name", "\"veth-name-too-long\"", "host interface name \"veth-name-too-long\" is longer than 15 bytes" },
	{ DS, "networks/mynet/static_ips", NULL, "no static ips provided" },
	{ DS, "networks/mynet/static_ips/1", "\"10.99.0.2\"", "not all static IPs matched a subnet: expected 2, got 1" },
	{ DS, "networks/mynet/static_ips/0", "\"10.89.1.300\"", LOAD "invalid IP address syntax \"10.89.1.300\" at `networks.mynet.static_ips[0]`" },
	{ DS, "networks/mynet/static_ips", "\"10.89.1.2\"", LOAD "invalid type at `networks.mynet.static_ips`: expected an array, got a string" },
	{ DS, "networks/mynet/static_mac", "\"aa:bb:cc:dd:ee\"", "invalid mac length for address: aa:bb:cc:dd:ee" },
	{ DS, "networks/mynet/static_mac", "\"aa:bb:cc:dd:ee:gg\"", "unable to parse mac address aa:bb:cc:dd:ee:gg: invalid digit found in string" },
	{ DS, "networks/mynet/aliases/0", "7", LOAD "invalid type at `networks.mynet.aliases[0]`: expected a string, got an integer" },
	{ DS, "networks/mynet/options/host_interface_name", "1", LOAD "invalid type at `networks.mynet.options.host_interface_name`: expected a string, got an integer" },
	{ DS, "network_info/mynet", NULL, "network info for network mynet not found" },
	{ DS, "network_info/mynet/dns_enabled", NULL, LOAD "missing field `dns_enabled` in `network_info.mynet`" },
	{ DS, "network_info/mynet/ipv6_enabled", "\"yes\"", LOAD "invalid type at `network_info.mynet.ipv6_enabled`: expected a boolean, got a string" },
	{ DS, "network_info/mynet/id", NULL, LOAD "missing field `id` in `network_info.mynet`" },
	{ DS, "network_info/mynet/id", "\"\"", "Network id must be supplied" },
	{ DS, "network_info/mynet/name", "\"bad/name\"", "invalid network name \"bad/name\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*" },
	{ DS, "network_info/mynet/driver", "\"foo\"", "unknown network driver \"foo\"" },
	{ DS, "network_info/mynet/network_interface", NULL, "no bridge interface name given" },
	{ DS, "network_info/mynet/network_interface", "\"podman-bridge-long\"", "bridge interface name \"podman-bridge-long\" is longer than 15 bytes" },
	{ DS, "network_info/mynet/subnets/0/subnet", "\"10.89.1.0/33\"", LOAD "invalid IP address syntax \"10.89.1.0/33\" at `network_info.mynet.subnets[0].subnet`" },
	{ DS, "network_info/mynet/subnets/0/subnet", NULL, LOAD "missing field `subnet` in `network_info.mynet.subnets[0]`" },
	{ DS, "network_info/mynet/subnets/0/gateway", "\"10.89.2.1\"", "gateway 10.89.2.1 not in subnet 10.89.1.0/24" },
	{ DS, "network_info/mynet/subnets/0/gateway", "\"fd10:89:1::1\"", "gateway fd10:89:1::1 not in subnet 10.89.1.0/24" },
	{ DS, "network_info/mynet/subnets/1", "{\"subnet\":\"10.89.1.0/24\"}", "duplicate subnet defined: 10.89.1.0/24" },
	{ DS, "network_info/mynet/subnets/1", "{\"subnet\":\"10.89.0.0/23\"}", "overlapping subnets: 10.89.1.0/24 and 10.89.0.0/23" },
	{ DS, "network_info/mynet/subnets", "[]", "not all static IPs matched a subnet: expected 2, got 0" },
	{ DS, "network_info/mynet/network_dns_servers/0", "\"dns.example\"", LOAD "invalid IP address syntax \"dns.example\" at `network_info.mynet.network_dns_servers[0]`" },
	{ DS, "network_info/mynet/ipam_options/driver", "\"dhcp\"", "cannot use dhcp ipam driver without using the option mode=unmanaged" },
	{ DS, "network_info/mynet/ipam_options/driver", "\"someDriver\"", "unsupported ipam driver someDriver" },
	{ DS, "network_info/mynet/options", "{\"isolate\":\"maybe\"}", "invalid isolate option \"maybe\"" },
	{ DS, "network_info/mynet/options", "{\"vlan\":\"4095\"}", "vlan must be between 0 and 4094" },
	{ DS, "network_info/mynet/options", "{\"vlan\":\"70000\"}", "unable to parse \"vlan\": number too large to fit in target type" },
	{ DS, "network_info/mynet/options", "{\"mtu\":\"15OO\"}", "unable to parse \"mtu\": invalid digit found in string" },
	{ DS, "network_info/mynet/options", "{\"mtu\":\"\"}", "unable to parse \"mtu\": cannot parse integer from empty string" },
	{ DS, "network_info/mynet/options", "{\"metric\":\"-1\"}", "unable to parse \"metric\": invalid digit found in string" },
	{ DS, "network_info/mynet/options", "{\"no_default_route\":\"yes\"}", "unable to parse \"no_default_route\": provided string was not `true` or `false`" },
	{ DS, "network_info/mynet/options", "{\"mode\":\"weird\"}", "invalid bridge mode \"weird\"" },
	{ DS, "network_info/mynet/options", "{\"vrf\":\"a/b\"}", "invalid vrf name \"a/b\"" },
	{ DS, "network_info/mynet/options", "{\"mtu\":1500}", LOAD "invalid type at `network_info.mynet.options.mtu`: expected a string, got an integer" },
	{ DS, "network_info/mynet/routes", "[{\"destination\":\"10.1.0.0/16\"}]", "route 10.1.0.0/16 requires a gateway for type unicast" },
	{ DS, "network_info/mynet/routes", "[{\"destination\":\"10.1.0.0/16\",\"gateway\":\"10.89.1.9\",\"route_type\":\"blackhole\"}]", "route 10.1.0.0/16 must not have a gateway for type blackhole" },
	{ DS, "network_info/mynet/routes", "[{\"destination\":\"10.1.0.0/16\",\"route_type\":\"local\"}]", "invalid route type \"local\"" },
	{ DS, "network_info/mynet/routes", "[{\"destination\":\"10.1.0.0/16\",\"gateway\":\"fd10:89:1::9\"}]", "route with ipv4 destination and ipv6 gateway (10.1.0.0/16 via fd10:89:1::9)" },
	{ DS, "network_info/mynet/routes", "[{\"destination\":\"10.1.0.0/16\",\"gateway\":\"10.89.1.9\",\"metric\":-5}]", LOAD "invalid value at `network_info.mynet.routes[0].metric`: -5 is out of range (0..4294967295)" },
	{ DS, "network_info/mynet/routes", "[{\"destination\":\"nowhere\",\"gateway\":\"10.89.1.9\"}]", LOAD "invalid IP address syntax \"nowhere\" at `network_info.mynet.routes[0].destination`" },
	{ DS, "port_mappings/0/host_ip", "\"abcd\"", "invalid host ip \"abcd\" provided for port 8080" },
	{ DS, "port_mappings/0/host_ip", NULL, LOAD "missing field `host_ip` in `port_mappings[0]`" },
	{ DS, "port_mappings/0/protocol", "\"icmp\"", "invalid protocol \"icmp\" provided for port 8080" },
	{ DS, "port_mappings/0/container_port", "70000", LOAD "invalid value at `port_mappings[0].container_port`: 70000 is out of range (0..65535)" },
	{ DS, "port_mappings/0/host_port", "80.5", LOAD "invalid type at `port_mappings[0].host_port`: expected an integer, got a floating point number" },
	{ DS, "port_mappings/0", "{\"host_ip\":\"\",\"container_port\":80,\"host_port\":65535,\"range\":2,\"protocol\":\"tcp\"}", "invalid port range for port 65535: host port 65535 + range 1 exceeds 65535" },
	{ DS, "port_mappings/0", "{\"host_ip\":\"\",\"container_port\":65000,\"host_port\":80,\"range\":1000,\"protocol\":\"tcp\"}", "invalid port range for port 80: container port 65000 + range 999 exceeds 65535" },
	{ DS, "dns_servers", "[\"1.1.1.1\", \"one\"]", LOAD "invalid IP address syntax \"one\" at `dns_servers[1]`" },
	{ "networks-array.json", "networks/1/name", "\"zeta\"", LOAD "duplicate network name `zeta` in `networks`" },
	{ "networks-array.json", "networks/0/name", NULL, LOAD "missing field `name` in `networks[0]`" },
	{ "networks-array.json", "networks/0", "[]", LOAD "invalid type at `networks[0]`: expected an object, got an array" },
	{ "macvlan.json", "network_info/mvnet/options/mode", "\"bridged\"", "invalid macvlan mode \"bridged\"" },
	{ "macvlan.json", "network_info/mvnet/options/bclim", "\"-3000000000\"", "unable to parse \"bclim\": number too small to fit in target type" },
	{ "ipvlan.json", "network_info/ivnet/options/mode", "\"l4\"", "invalid ipvlan mode \"l4\"" },
	{ "ipvlan.json", "network_info/ivnet/network_interface", "\"a b\"", "invalid parent interface name \"a b\"" },
	{ "bridge-options.json", "network_info/optnet/subnets/0/lease_range/start_ip", "\"10.89.31.10\"", "lease range start_ip 10.89.31.10 not in subnet 10.89.30.0/24" },
	{ "bridge-options.json", "network_info/optnet/labels", "{\"a\":1}", LOAD "invalid type at `network_info.optnet.labels.a`: expected a string, got an integer" },
};

static void test_bad_cases(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *doc = mutate(c->fixture, c->path, c->value);
		print_message("# case %zu: %s = %s\n", i, c->path, c->value ? c->value : "(deleted)");
		expect_error_text(doc, strlen(doc), c->error);
		free(doc);
	}
}

static void test_syntax_errors(void **state)
{
	expect_error_text("", 0, LOAD "'[' or '{' expected near end of file at line 1 column 0");
	expect_error_text("{\"container_id\": }", 18,
			  LOAD "unexpected token near '}' at line 1 column 18");
	expect_error_text("[1,2]", 5, LOAD "invalid type: expected an object, got an array");
	expect_error_text("{\"a\":1,\"a\":2}", 13,
			  LOAD "duplicate object key near '\"a\"' at line 1 column 10");
	/* an embedded NUL is rejected by jansson unless JSON_ALLOW_NUL */
	expect_error_text("{\"container_id\":\"a\\u0000b\"}", 27,
			  LOAD "\\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"' at line 1 column 26");
}

static void test_podman_input_with_newline(void **state)
{
	size_t len;
	char *buf = fixture_text("podman43-default.json", &len);
	struct nv_options *o = NULL;
	struct berth_error *err = NULL;
	assert_true(len > 0 && buf[len - 1] == '\n');
	assert_int_equal(nv_options_parse(buf, len, &o, &err), 0);
	nv_options_free(o);
	free(buf);
}

static void test_limits(void **state)
{
	/* NV_MAX_ALIASES + 1 aliases */
	json_t *a = json_array();
	for (int i = 0; i <= NV_MAX_ALIASES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "alias%d", i);
		json_array_append_new(a, json_string(name));
	}
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	char *doc = mutate(DS, "networks/mynet/aliases", text);
	expect_error_text(doc, strlen(doc),
			  LOAD "too many entries in `networks.mynet.aliases`: 257 (limit 256)");
	free(doc);
	free(text);

	/* NV_MAX_NETWORKS + 1 networks */
	json_t *nets = json_object();
	for (int i = 0; i <= NV_MAX_NETWORKS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "n%d", i);
		json_object_set_new(nets, name, json_pack("{s:s}", "interface_name", "eth0"));
	}
	text = json_dumps(nets, JSON_COMPACT);
	json_decref(nets);
	doc = mutate(DS, "networks", text);
	expect_error_text(doc, strlen(doc), LOAD "too many entries in `networks`: 65 (limit 64)");
	free(doc);
	free(text);

	/* too large an input */
	expect_error_text("{}", (size_t)NV_MAX_INPUT + 1,
			  LOAD "input is larger than 4194304 bytes");
}

static void test_free_null(void **state)
{
	nv_options_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_podman_default),
		cmocka_unit_test(test_podman_port),
		cmocka_unit_test(test_dualstack),
		cmocka_unit_test(test_networks_array),
		cmocka_unit_test(test_networks_map_order),
		cmocka_unit_test(test_macvlan),
		cmocka_unit_test(test_ipvlan),
		cmocka_unit_test(test_internal),
		cmocka_unit_test(test_bridge_options),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_ipam_none),
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_podman_input_with_newline),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_free_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
