// SPDX-License-Identifier: Apache-2.0
/* The setup result and error objects, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "status.h"

static void ip(const char *s, struct berth_ip *ret)
{
	assert_int_equal(berth_ip_parse(s, ret), 0);
}

static void ipnet(const char *s, struct berth_ipnet *ret)
{
	assert_int_equal(berth_ipnet_parse(s, ret), 0);
}

/* The dual-stack example of netavark-protocol.md §2.4 (observed with netavark 1.4.0). */
static void test_dualstack(void **state)
{
	static const char *const domains[] = { "dns.podman" };
	struct berth_ip servers[2];
	struct nv_status_net n = {
		.name = "mynet",
		.dns_search_domains = domains,
		.n_dns_search_domains = 1,
		.dns_server_ips = servers,
		.n_dns_server_ips = 2,
		.has_interface = true,
		.ifname = "eth0",
		.mac = { 0xa6, 0x74, 0x56, 0x51, 0x7a, 0xa1 },
		.n_subnets = 2,
	};
	ip("10.89.1.1", &servers[0]);
	ip("fd10:89:1::1", &servers[1]);
	ipnet("10.89.1.2/24", &n.subnets[0].ipnet);
	ip("10.89.1.1", &n.subnets[0].gateway);
	ipnet("fd10:89:1::2/64", &n.subnets[1].ipnet);
	ip("fd10:89:1::1", &n.subnets[1].gateway);

	char *json = nv_status_to_json(&n, 1);
	assert_non_null(json);
	assert_string_equal(
		json,
		"{\"mynet\":{\"dns_search_domains\":[\"dns.podman\"],\"dns_server_ips\":[\"10.89.1.1\","
		"\"fd10:89:1::1\"],\"interfaces\":{\"eth0\":{\"mac_address\":\"a6:74:56:51:7a:a1\","
		"\"subnets\":[{\"gateway\":\"10.89.1.1\",\"ipnet\":\"10.89.1.2/24\"},{\"gateway\":"
		"\"fd10:89:1::1\",\"ipnet\":\"fd10:89:1::2/64\"}]}}}}");
	free(json);
}

/* Null gateway, no DNS, and a second network without an interface, in input order. */
static void test_null_gateway_two_networks(void **state)
{
	struct nv_status_net n[2] = {
		{
			.name = "zeta",
			.has_interface = true,
			.ifname = "eth0",
			.mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f },
			.n_subnets = 1,
		},
		{ .name = "alpha" },
	};
	ipnet("10.89.20.2/24", &n[0].subnets[0].ipnet);

	char *json = nv_status_to_json(n, 2);
	assert_non_null(json);
	assert_string_equal(json, "{\"zeta\":{\"dns_search_domains\":[],\"dns_server_ips\":[],"
				  "\"interfaces\":{\"eth0\":{\"mac_address\":\"02:00:00:00:00:0f\","
				  "\"subnets\":[{\"gateway\":null,\"ipnet\":\"10.89.20.2/24\"}]}}},"
				  "\"alpha\":{\"dns_search_domains\":[],\"dns_server_ips\":[],"
				  "\"interfaces\":{}}}");
	free(json);
}

static void test_empty(void **state)
{
	char *json = nv_status_to_json(NULL, 0);
	assert_string_equal(json, "{}");
	free(json);
}

static void test_error_json(void **state)
{
	char *json = nv_error_to_json("unsupported ipam driver someDriver");
	assert_string_equal(json, "{\"error\":\"unsupported ipam driver someDriver\"}");
	free(json);

	json = nv_error_to_json("invalid host ip \"abcd\" provided for port 8080");
	assert_string_equal(json, "{\"error\":\"invalid host ip \\\"abcd\\\" provided for port 8080\"}");
	free(json);

	json = nv_error_to_json("netavark encountered multiple errors:\n\t- a\\b\n\t- c/d");
	assert_string_equal(json, "{\"error\":\"netavark encountered multiple errors:\\n\\t- "
				  "a\\\\b\\n\\t- c/d\"}");
	free(json);

	json = nv_error_to_json("ctl \x01 char, utf-8 \xc3\xa9");
	assert_string_equal(json, "{\"error\":\"ctl \\u0001 char, utf-8 \xc3\xa9\"}");
	free(json);

	/* invalid UTF-8 (a path from argv) is replaced, not dropped */
	json = nv_error_to_json("open /run/netns/\xff\xfe: x");
	assert_string_equal(json, "{\"error\":\"open /run/netns/\xef\xbf\xbd\xef\xbf\xbd: x\"}");
	free(json);

	json = nv_error_to_json(NULL);
	assert_string_equal(json, "{\"error\":\"\"}");
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dualstack),
		cmocka_unit_test(test_null_gateway_two_networks),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_error_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
