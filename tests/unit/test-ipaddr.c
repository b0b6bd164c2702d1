// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net/ipaddr.h"

static void test_ip_parse(void **state)
{
	struct berth_ip ip;
	char buf[BERTH_IP_STRLEN];
	assert_int_equal(berth_ip_parse("10.89.1.2", &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_string_equal(berth_ip_fmt(&ip, buf), "10.89.1.2");
	assert_int_equal(berth_ip_parse("fd10:89:1::2", &ip), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_string_equal(berth_ip_fmt(&ip, buf), "fd10:89:1::2");
	assert_int_equal(berth_ip_parse("10.89.1.256", &ip), -EINVAL);
	assert_int_equal(berth_ip_parse("", &ip), -EINVAL);
	assert_int_equal(berth_ip_parse("10.89.1.2/24", &ip), -EINVAL);
	assert_int_equal(berth_ip_parse("abcd", &ip), -EINVAL);
	assert_int_equal(berth_ip_parse(" 10.0.0.1", &ip), -EINVAL);
}

static void test_ipnet(void **state)
{
	struct berth_ipnet n, m;
	struct berth_ip ip;
	char buf[BERTH_IPNET_STRLEN];
	assert_int_equal(berth_ipnet_parse("10.89.1.7/24", &n), 0);
	berth_ipnet_network(&n, &m);
	assert_string_equal(berth_ipnet_fmt(&m, buf), "10.89.1.0/24");
	berth_ipnet_last(&n, &ip);
	assert_string_equal(berth_ip_fmt(&ip, buf), "10.89.1.255");
	assert_int_equal(berth_ip_parse("10.89.1.200", &ip), 0);
	assert_true(berth_ipnet_contains(&n, &ip));
	assert_int_equal(berth_ip_parse("10.89.2.1", &ip), 0);
	assert_false(berth_ipnet_contains(&n, &ip));
	assert_int_equal(berth_ip_parse("fd00::1", &ip), 0);
	assert_false(berth_ipnet_contains(&n, &ip));
	assert_int_equal(berth_ipnet_parse("10.0.0.0/33", &n), -EINVAL);
	assert_int_equal(berth_ipnet_parse("10.0.0.0", &n), -EINVAL);
	assert_int_equal(berth_ipnet_parse("10.0.0.0/", &n), -EINVAL);
	assert_int_equal(berth_ipnet_parse("10.0.0.0/-1", &n), -EINVAL);
	assert_int_equal(berth_ipnet_parse("fd10:89:1::/64", &n), 0);
	assert_int_equal(berth_ip_parse("fd10:89:1::ffff", &ip), 0);
	assert_true(berth_ipnet_contains(&n, &ip));
	assert_int_equal(berth_ipnet_parse("fd10::/129", &n), -EINVAL);
	assert_int_equal(berth_ipnet_parse("10.0.0.0/8", &n), 0);
	assert_int_equal(berth_ipnet_parse("10.1.0.0/16", &m), 0);
	assert_true(berth_ipnet_overlaps(&n, &m));
	assert_true(berth_ipnet_overlaps(&m, &n));
	assert_int_equal(berth_ipnet_parse("11.1.0.0/16", &m), 0);
	assert_false(berth_ipnet_overlaps(&n, &m));
	assert_int_equal(berth_ipnet_parse("0.0.0.0/0", &n), 0);
	assert_true(berth_ipnet_contains(&n, &ip) == false); /* v6 address */
}

static void test_mac(void **state)
{
	uint8_t mac[6];
	char buf[18];
	assert_int_equal(berth_mac_parse("AA:bb:cc:dd:ee:ff", mac), 0);
	assert_string_equal(berth_mac_fmt(mac, buf), "aa:bb:cc:dd:ee:ff");
	assert_int_equal(berth_mac_parse("aa-bb-cc-dd-ee-01", mac), 0);
	assert_int_equal(berth_mac_parse("aa:bb-cc:dd:ee:ff", mac), -EINVAL);
	assert_int_equal(berth_mac_parse("aa:bb:cc:dd:ee", mac), -EINVAL);
	assert_int_equal(berth_mac_parse("aa:bb:cc:dd:ee:fg", mac), -EINVAL);
	assert_int_equal(berth_mac_parse("aa:bb:cc:dd:ee:ff:00", mac), -EINVAL);
}

/* netavark's grammar, shared with berth-net's option parser. */
static void test_mac_groups(void **state)
{
	static const uint8_t want[6] = { 0x0a, 0xbb, 0x0c, 0xdd, 0xee, 0xff };
	enum berth_mac_error why;
	uint8_t mac[6];
	(void)state;

	assert_int_equal(berth_mac_parse_groups("a:bb-c:dd:ee:00ff", mac, &why), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(berth_mac_parse_groups("aa::cc:dd:ee:ff", mac, &why), -EINVAL);
	assert_int_equal(why, BERTH_MAC_EMPTY_GROUP);
	assert_int_equal(berth_mac_parse_groups("aa:bb:cc:dd:ee:gg", mac, &why), -EINVAL);
	assert_int_equal(why, BERTH_MAC_BAD_DIGIT);
	assert_int_equal(berth_mac_parse_groups("aa:bb:cc:dd:ee:100", mac, &why), -EINVAL);
	assert_int_equal(why, BERTH_MAC_GROUP_TOO_LARGE);
	assert_int_equal(berth_mac_parse_groups("aa:bb:cc:dd:ee", mac, &why), -EINVAL);
	assert_int_equal(why, BERTH_MAC_LENGTH);
	assert_int_equal(berth_mac_parse_groups("aa:bb:cc:dd:ee:ff:zz", mac, &why), -EINVAL);
	assert_int_equal(why, BERTH_MAC_LENGTH);
	assert_int_equal(berth_mac_parse_groups(NULL, mac, NULL), -EINVAL);
}

static void test_ifname(void **state)
{
	assert_true(berth_ifname_valid("eth0"));
	assert_true(berth_ifname_valid("abcdefghijklmno"));
	assert_false(berth_ifname_valid("abcdefghijklmnop"));
	assert_false(berth_ifname_valid(""));
	assert_false(berth_ifname_valid("a/b"));
	assert_false(berth_ifname_valid("a b"));
	assert_false(berth_ifname_valid(".."));
}

static void test_parse_u32(void **state)
{
	uint32_t v;
	assert_int_equal(berth_parse_u32("1500", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(berth_parse_u32("4294967295", &v), 0);
	assert_int_equal(berth_parse_u32("4294967296", &v), -EINVAL);
	assert_int_equal(berth_parse_u32("-1", &v), -EINVAL);
	assert_int_equal(berth_parse_u32("12a", &v), -EINVAL);
	assert_int_equal(berth_parse_u32("", &v), -EINVAL);
	assert_int_equal(berth_parse_u32(" 1", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse), cmocka_unit_test(test_ipnet),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_mac_groups), cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_parse_u32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
