// SPDX-License-Identifier: Apache-2.0
/*
 * berth_conntrack_flush_dport() against the running kernel, in a private
 * network namespace created first thing (conntrack tables are per netns).
 * Needs root; skipped otherwise. Entries are created by sending UDP
 * datagrams over lo after an nft rule using `ct state` made conntrack track
 * the namespace's traffic; /proc/net/nf_conntrack (this namespace's view) is
 * the oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "netlink/netlink.h"

/* Entries in this namespace's table matching family, protocol name and "dport=N". */
static int count_entries(const char *l3, const char *l4, unsigned dport)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/nf_conntrack", "re");
	char line[512], want[32];
	int n = 0;

	assert_non_null(f);
	snprintf(want, sizeof(want), " dport=%u ", dport);
	while (fgets(line, sizeof(line), f)) {
		char fam[16], proto[16];
		if (sscanf(line, "%15s %*d %15s", fam, proto) != 2)
			continue;
		/* the first dport= is the original direction's */
		char *p = strstr(line, " dport=");
		if (streq(fam, l3) && streq(proto, l4) && p && strncmp(p, want, strlen(want)) == 0)
			n++;
	}
	return n;
}

static void send_udp(int family, unsigned dport, unsigned sport)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (family == AF_INET) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(sport),
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct sockaddr_in dst = src;
		dst.sin_port = htons(dport);
		assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
		assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	} else {
		struct sockaddr_in6 src = { .sin6_family = AF_INET6, .sin6_port = htons(sport),
					    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		struct sockaddr_in6 dst = src;
		dst.sin6_port = htons(dport);
		assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
		assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	}
	close(fd);
}

static void test_flush_udp(void **state)
{
	/* three v4 flows to 5555 (two sources), one to 5556, one to 6000; one v6 flow to 5555 */
	send_udp(AF_INET, 5555, 40001);
	send_udp(AF_INET, 5555, 40002);
	send_udp(AF_INET, 5556, 40003);
	send_udp(AF_INET, 6000, 40004);
	send_udp(AF_INET6, 5555, 40005);
	assert_int_equal(count_entries("ipv4", "udp", 5555), 2);
	assert_int_equal(count_entries("ipv4", "udp", 5556), 1);
	assert_int_equal(count_entries("ipv4", "udp", 6000), 1);
	assert_int_equal(count_entries("ipv6", "udp", 5555), 1);

	/* wrong protocol: nothing */
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_TCP, 5555, 5556), 0);
	assert_int_equal(count_entries("ipv4", "udp", 5555), 2);

	/* one port (kernel-side filter on protocol and port) */
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_UDP, 5556, 5556), 1);
	assert_int_equal(count_entries("ipv4", "udp", 5556), 0);
	assert_int_equal(count_entries("ipv4", "udp", 5555), 2);

	/* a range (kernel filters on protocol, the range is checked here) */
	send_udp(AF_INET, 5556, 40006);
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_UDP, 5555, 5556), 3);
	assert_int_equal(count_entries("ipv4", "udp", 5555), 0);
	assert_int_equal(count_entries("ipv4", "udp", 5556), 0);
	assert_int_equal(count_entries("ipv4", "udp", 6000), 1);
	assert_int_equal(count_entries("ipv6", "udp", 5555), 1);

	/* again: nothing left to delete */
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_UDP, 5555, 5556), 0);

	/* IPv6, through a namespace handle */
	struct berth_netns *ns = NULL;
	assert_int_equal(berth_netns_open_current(&ns), 0);
	assert_int_equal(berth_conntrack_flush_dport(ns, AF_INET6, IPPROTO_UDP, 5555, 5555), 1);
	berth_netns_free(ns);
	assert_int_equal(count_entries("ipv6", "udp", 5555), 0);
	assert_int_equal(count_entries("ipv4", "udp", 6000), 1);
}

static void test_many(void **state)
{
	/* more entries than one delete round holds (1024) */
	struct timespec t0, t1;
	for (unsigned i = 0; i < 1500; i++)
		send_udp(AF_INET, 7000 + i % 3, 20000 + i);
	assert_int_equal(count_entries("ipv4", "udp", 7000), 500);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_UDP, 7000, 7002), 1500);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# flushed 1500 entries in %.1f ms\n",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(count_entries("ipv4", "udp", 7001), 0);
	assert_int_equal(count_entries("ipv4", "udp", 6000), 1);
}

static void test_invalid(void **state)
{
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_UNSPEC, IPPROTO_UDP, 1, 2), -EINVAL);
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_ICMP, 1, 2), -EINVAL);
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_UDP, 0, 2), -EINVAL);
	assert_int_equal(berth_conntrack_flush_dport(NULL, AF_INET, IPPROTO_UDP, 3, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_udp),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_invalid),
	};

	/* Never touch the caller's namespace: everything below runs in a new one. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP cannot create a network namespace (%s)\n", strerror(errno));
		return 0;
	}
	/* lo up, and a ct-using rule so that conntrack tracks this namespace */
	if (system("ip link set lo up && nft 'add table inet ct_test; "
		   "add chain inet ct_test out { type filter hook output priority 0; }; "
		   "add rule inet ct_test out ct state new accept' >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP ip/nft not usable\n");
		return 0;
	}
	if (access("/proc/net/nf_conntrack", R_OK) != 0) {
		printf("1..0 # SKIP no /proc/net/nf_conntrack (CONFIG_NF_CONNTRACK_PROCFS)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
