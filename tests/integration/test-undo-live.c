// SPDX-License-Identifier: Apache-2.0
/*
 * The undo log against a real kernel (root): every kind of entry is applied,
 * then rolled back, and the namespace must be as it was. Runs in a network
 * namespace of its own (unshare) with its own run directory; `ip`, `nft` and
 * /proc/sys are the oracles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "live-run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "dnsconf/aardvark.h"
#include "netlink/iface.h"
#include "netlink/netlink.h"
#include "nft/firewall.h"
#include "state/record.h"
#include "undo/undo.h"

/* Everything the undo log may touch, as text. */
static char *snapshot(const char *rundir, const char *dnsdir)
{
	char *cmd = NULL;
	assert_true(asprintf(&cmd,
		 /* flags, not the qdisc; lo's 127.0.0.1 comes with its first up and stays */
		 "ip -o link show | sed -E 's/^[0-9]+: //; s/ qdisc .*//'; ip -o addr show | "
		 "grep -v -e ' fe80:' -e ' lo ' | sed -E 's/valid_lft.*//'; "
		 "ip route show table all | grep -v -e fe80 -e 'dev lo'; "
		 "nft list ruleset; cat /proc/sys/net/ipv4/ip_forward; "
		 "cat /proc/sys/net/ipv4/conf/all/rp_filter; "
		 "find '%s' '%s' -type f | sort; cat '%s'/* 2>/dev/null",
		 rundir, dnsdir, dnsdir) > 0);
	char *out = run(cmd);
	free(cmd);
	return out;
}

static void test_every_kind_rolls_back(void **state)
{
	char rundir[] = "/tmp/test-undo.XXXXXX";
	char dnsdir[PATH_MAX];
	struct berth_netns *ns = NULL;
	struct berth_undo *u = NULL;
	struct berth_error *err = NULL;
	int ifindex, r;

	assert_non_null(mkdtemp(rundir));
	setenv("BERTH_RUN_DIR", rundir, 1);
	snprintf(dnsdir, sizeof(dnsdir), "%s/aardvark-dns", rundir);
	assert_int_equal(mkdir(dnsdir, 0755), 0);
	/* one other container's entry, which must stay */
	_cleanup_close_ int dirfd = open(dnsdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_int_equal(adv_file_add(dirfd, "net1", "10.89.9.1\n", "other 10.89.9.3  o\n"), 0);

	assert_int_equal(berth_netns_open_current(&ns), 0);
	char *before = snapshot(rundir, dnsdir);
	assert_int_equal(berth_undo_new(&u), 0);

	/* lo was down: set up, recorded */
	assert_int_equal(berth_link_up_undo(ns, 1, u), 0);
	/* a bridge we create, with an address and a typed route */
	struct berth_bridge_spec bs = { .name = "undobr0" };
	assert_int_equal(berth_bridge_create(ns, &bs, &ifindex), 0);
	assert_int_equal(berth_undo_link(u, ns, ifindex), 0);
	struct berth_ipnet a;
	struct berth_route_spec rt = { .type = BERTH_ROUTE_BLACKHOLE, .metric = 100,
				       .has_metric = true };
	assert_int_equal(berth_ipnet_parse("198.18.7.1/24", &a), 0);
	assert_int_equal(berth_ipnet_parse("198.19.0.0/16", &rt.dst), 0);
	struct berth_iface_config cfg = { .ifname = "undobr0", .addrs = &a, .n_addrs = 1,
					  .up = true, .routes = &rt, .n_routes = 1 };
	assert_int_equal(berth_iface_configure(ns, ifindex, &cfg, u, &err), 0);
	/* sysctls */
	assert_int_equal(berth_sysctl_set_undo(ns, u, "1", &err, "net/ipv4/ip_forward"), 0);
	assert_int_equal(berth_sysctl_set_undo(ns, u, "2", &err, "net/ipv4/conf/all/rp_filter"), 0);
	/* the firewall: a table we create, with a network and a forward */
	struct berth_fw_batch *b = NULL;
	struct berth_fw_network fn = { .bridge = "undobr0", .subnets = &a, .n_subnets = 1 };
	struct berth_fw_portmap pm = { .protocol = IPPROTO_TCP, .host_port = 8080,
				       .container_port = 80, .range = 1 };
	assert_int_equal(berth_ip_parse("0.0.0.0", &pm.host_ip), 0);
	assert_int_equal(berth_ip_parse("198.18.7.2", &pm.container_ip), 0);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_ensure_table(b), 0);
	assert_int_equal(berth_fw_batch_add_network(b, &fn), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &pm, 1), 0);
	assert_int_equal(berth_fw_commit(b, NULL), 0);
	berth_fw_batch_free(b);
	assert_int_equal(berth_undo_fw_table(u, "berth"), 0);
	assert_int_equal(berth_undo_fw_network(u, "berth", &fn), 0);
	assert_int_equal(berth_undo_fw_portmaps(u, "berth", &pm, 1), 0);
	/* a state record and a DNS entry */
	struct berth_record rec = { .owner = (char *)"netavark", .id = (char *)"c0ffee" };
	assert_int_equal(berth_undo_record(u, "netavark", "c0ffee"), 0);
	assert_int_equal(berth_record_write(&rec), 0);
	assert_int_equal(berth_undo_dns_entry(u, dnsdir, "net1", "c0ffee"), 0);
	assert_int_equal(adv_file_add(dirfd, "net1", "10.89.9.1\n", "c0ffee 10.89.9.2  c\n"), 0);

	char *during = snapshot(rundir, dnsdir);
	assert_string_not_equal(before, during);
	assert_int_equal(berth_undo_count(u), 10);

	r = berth_undo_run(u);
	assert_int_equal(r, 0);
	assert_int_equal(berth_undo_count(u), 0);
	char *after = snapshot(rundir, dnsdir);
	if (strcmp(before, after) != 0)
		fail_msg("not rolled back:\n--- before\n%s\n--- after\n%s", before, after);

	/* Running it again is harmless. */
	assert_int_equal(berth_undo_run(u), 0);
	free(before);
	free(during);
	free(after);
	berth_undo_free(u);
	berth_netns_free(ns);
	berth_error_free(err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	assert_int_equal(system(cmd), 0);
}

/* An existing table stays; only the elements the operation added leave it. */
static void test_fw_elements_only(void **state)
{
	struct berth_fw_batch *b = NULL;
	struct berth_undo *u = NULL;
	struct berth_ipnet sub;
	struct berth_fw_network other = { .bridge = "keep0", .subnets = &sub, .n_subnets = 1 };
	struct berth_fw_portmap pm = { .protocol = IPPROTO_UDP, .host_port = 5353,
				       .container_port = 53, .range = 3 };

	assert_int_equal(berth_ipnet_parse("198.18.9.0/24", &sub), 0);
	assert_int_equal(berth_ip_parse("0.0.0.0", &pm.host_ip), 0);
	assert_int_equal(berth_ip_parse("198.18.9.2", &pm.container_ip), 0);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_ensure_table(b), 0);
	assert_int_equal(berth_fw_batch_add_network(b, &other), 0);
	assert_int_equal(berth_fw_commit(b, NULL), 0);
	berth_fw_batch_free(b);
	char *before = run("nft list table inet berth");

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &pm, 1), 0);
	assert_int_equal(berth_fw_commit(b, NULL), 0);
	berth_fw_batch_free(b);
	assert_int_equal(berth_undo_new(&u), 0);
	assert_int_equal(berth_undo_fw_portmaps(u, "berth", &pm, 1), 0);
	assert_int_equal(berth_undo_run(u), 0);
	char *after = run("nft list table inet berth");
	assert_string_equal(before, after);
	free(before);
	free(after);
	berth_undo_free(u);
	assert_int_equal(system("nft delete table inet berth"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_rolls_back),
		cmocka_unit_test(test_fw_elements_only),
	};

	/* Never touch the caller's namespace: everything below runs in a new one. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP cannot create a network namespace (%s)\n", strerror(errno));
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
