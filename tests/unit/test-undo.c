// SPDX-License-Identifier: Apache-2.0
/*
 * The undo log's order and bookkeeping, without a kernel: the primitives it
 * calls are replaced (-Wl,--wrap, see tests/meson.build) by mocks that
 * record each call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "undo/undo.h"

static char calls[1024];

static void record(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(calls);
	va_start(ap, fmt);
	vsnprintf(calls + n, sizeof(calls) - n, fmt, ap);
	va_end(ap);
	n = strlen(calls);
	snprintf(calls + n, sizeof(calls) - n, ";");
}

int __wrap_berth_link_delete(struct berth_netns *ns, int ifindex);
int __wrap_berth_link_delete(struct berth_netns *ns, int ifindex)
{
	record("link %d", ifindex);
	return mock_type(int);
}

int __wrap_berth_sysctl_set(struct berth_netns *ns, const char *key, const char *value,
			    char *ret_old, size_t old_size, bool *ret_changed);
int __wrap_berth_sysctl_set(struct berth_netns *ns, const char *key, const char *value,
			    char *ret_old, size_t old_size, bool *ret_changed)
{
	record("sysctl %s=%s", key, value);
	return mock_type(int);
}

int __wrap_berth_link_set_down(struct berth_netns *ns, int ifindex);
int __wrap_berth_link_set_down(struct berth_netns *ns, int ifindex)
{
	record("down %d", ifindex);
	return 0;
}

int __wrap_berth_route_del(struct berth_netns *ns, const struct berth_route_spec *r);
int __wrap_berth_route_del(struct berth_netns *ns, const struct berth_route_spec *r)
{
	record("route");
	return -ESRCH; /* already gone: fine */
}

int __wrap_berth_record_remove(const char *owner, const char *id);
int __wrap_berth_record_remove(const char *owner, const char *id)
{
	record("record %s/%s", owner, id);
	return 0;
}

int __wrap_berth_fw_commit(struct berth_fw_batch *b, char **ret_msg);
int __wrap_berth_fw_commit(struct berth_fw_batch *b, char **ret_msg)
{
	record("fw %zu", berth_fw_batch_size(b));
	return 0;
}

static void test_reverse_order_firewall_first(void **state)
{
	struct berth_undo *u = NULL;
	struct berth_route_spec rt = { .type = BERTH_ROUTE_BLACKHOLE };
	struct berth_fw_portmap pm = { .protocol = IPPROTO_TCP, .host_port = 80,
				       .container_port = 80, .range = 1 };

	assert_int_equal(berth_ip_parse("0.0.0.0", &pm.host_ip), 0);
	assert_int_equal(berth_ip_parse("10.0.0.2", &pm.container_ip), 0);
	assert_int_equal(berth_ipnet_parse("192.0.2.0/24", &rt.dst), 0);
	calls[0] = '\0';
	assert_int_equal(berth_undo_new(&u), 0);
	assert_int_equal(berth_undo_link(u, NULL, 7), 0);
	assert_int_equal(berth_undo_sysctl(u, NULL, "net/ipv4/ip_forward", "0"), 0);
	assert_int_equal(berth_undo_link_up(u, NULL, 1), 0);
	assert_int_equal(berth_undo_route(u, NULL, &rt), 0);
	assert_int_equal(berth_undo_link(u, NULL, 9), 0);
	assert_int_equal(berth_undo_record(u, "netavark", "abc"), 0);
	assert_int_equal(berth_undo_fw_portmaps(u, "berth", &pm, 1), 0);
	assert_int_equal(berth_undo_count(u), 7);

	will_return(__wrap_berth_link_delete, 0);
	will_return(__wrap_berth_sysctl_set, 0);
	will_return(__wrap_berth_link_delete, -ENODEV); /* already gone: fine */
	assert_int_equal(berth_undo_run(u), 0);
	/* the firewall (one commit) first, then everything else newest first */
	assert_string_equal(calls, "fw 1;record netavark/abc;link 9;route;down 1;"
				   "sysctl net/ipv4/ip_forward=0;link 7;");
	assert_int_equal(berth_undo_count(u), 0);
	berth_undo_free(u);
}

static void test_failures_counted_all_tried(void **state)
{
	struct berth_undo *u = NULL;

	calls[0] = '\0';
	assert_int_equal(berth_undo_new(&u), 0);
	assert_int_equal(berth_undo_link(u, NULL, 3), 0);
	assert_int_equal(berth_undo_sysctl(u, NULL, "net/ipv4/conf/x/rp_filter", "1"), 0);
	assert_int_equal(berth_undo_link(u, NULL, 4), 0);
	will_return(__wrap_berth_link_delete, -EPERM);
	will_return(__wrap_berth_sysctl_set, -ENOENT); /* the link's key went with it: fine */
	will_return(__wrap_berth_link_delete, -EBUSY);
	assert_int_equal(berth_undo_run(u), 2);
	assert_string_equal(calls, "link 4;sysctl net/ipv4/conf/x/rp_filter=1;link 3;");
	berth_undo_free(u);
}

static void test_free_forgets(void **state)
{
	struct berth_undo *u = NULL;
	calls[0] = '\0';
	assert_int_equal(berth_undo_new(&u), 0);
	assert_int_equal(berth_undo_link(u, NULL, 3), 0);
	assert_int_equal(berth_undo_dns_entry(u, "/nonexistent", "net", "id"), 0);
	berth_undo_free(u); /* success: nothing is undone */
	assert_string_equal(calls, "");
	berth_undo_free(NULL);
	assert_int_equal(berth_undo_run(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reverse_order_firewall_first),
		cmocka_unit_test(test_failures_counted_all_tried),
		cmocka_unit_test(test_free_forgets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
