// SPDX-License-Identifier: Apache-2.0
/*
 * lib/netlink/brport.c against the running kernel, in a private network
 * namespace created first thing: hairpin and isolated on a bridge port, the
 * promiscuous flag. `ip -d -j link` is the oracle. Needs root; skipped
 * otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "netlink/brport.h"
#include "netlink/netlink.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_netns *, berth_netns_free)

/* 1 when `ip -d -j link show dev` of name satisfies the jq filter. */
static int ip_says(const char *name, const char *filter)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ip -d -j link show dev %s | jq -e '.[0] | %s' >/dev/null", name,
		 filter);
	return system(cmd) == 0;
}

static void test_port_flags(void **state)
{
	_cleanup_(berth_netns_freep) struct berth_netns *ns = NULL;
	struct berth_link_info li;

	assert_int_equal(berth_netns_open_current(&ns), 0);
	assert_int_equal(berth_link_get(ns, "p0", &li), 0);

	assert_int_equal(berth_bridge_port_set_flags(ns, li.ifindex, 1, -1), 0);
	assert_true(ip_says("p0", ".linkinfo.info_slave_data.hairpin == true"));
	assert_true(ip_says("p0", ".linkinfo.info_slave_data.isolated == false"));
	assert_int_equal(berth_bridge_port_set_flags(ns, li.ifindex, -1, 1), 0);
	assert_true(ip_says("p0", ".linkinfo.info_slave_data.hairpin == true"));
	assert_true(ip_says("p0", ".linkinfo.info_slave_data.isolated == true"));
	assert_int_equal(berth_bridge_port_set_flags(ns, li.ifindex, 0, 0), 0);
	assert_true(ip_says("p0", ".linkinfo.info_slave_data.hairpin == false"));
	assert_true(ip_says("p0", ".linkinfo.info_slave_data.isolated == false"));

	assert_int_equal(berth_bridge_port_set_flags(ns, li.ifindex, -1, -1), -EINVAL);
	assert_int_equal(berth_bridge_port_set_flags(ns, 0, 1, 1), -EINVAL);
	/* not a bridge port: the kernel refuses */
	assert_int_equal(berth_link_get(ns, "lo", &li), 0);
	assert_true(berth_bridge_port_set_flags(ns, li.ifindex, 1, -1) < 0);
}

static void test_promisc(void **state)
{
	_cleanup_(berth_netns_freep) struct berth_netns *ns = NULL;
	struct berth_link_info li;

	assert_int_equal(berth_netns_open_current(&ns), 0);
	assert_int_equal(berth_link_get(ns, "br0", &li), 0);
	assert_int_equal(berth_link_set_flags(ns, li.ifindex, IFF_PROMISC, IFF_PROMISC), 0);
	assert_true(ip_says("br0", ".flags | index(\"PROMISC\") != null"));
	assert_int_equal(berth_link_set_flags(ns, li.ifindex, 0, IFF_PROMISC), 0);
	assert_true(ip_says("br0", ".flags | index(\"PROMISC\") == null"));
	assert_int_equal(berth_link_set_flags(ns, -1, IFF_PROMISC, IFF_PROMISC), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_flags),
	    cmocka_unit_test(test_promisc),
	};

	/* Never touch the caller's namespace: everything below runs in a new one. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP cannot create a network namespace (%s)\n", strerror(errno));
		return 0;
	}
	if (system("ip link add br0 type bridge && ip link add p0 type veth peer name p1 && "
		   "ip link set p0 master br0 && command -v jq >/dev/null") != 0) {
		printf("1..0 # SKIP ip/jq not usable\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
