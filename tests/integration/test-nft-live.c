// SPDX-License-Identifier: Apache-2.0
/*
 * berth's firewall against the running kernel, inside a private network
 * namespace created first thing (nftables tables are per netns, so the host's
 * ruleset is never touched). Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for
 * unshare); skipped otherwise. `nft` is the oracle.
 *
 * The tests run in order and build on each other's state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../unit/nft-elem.h"

#include "live-run.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "net/ipaddr.h"
#include "nft/firewall.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_fw_batch *, berth_fw_batch_free)

static char *list_table(void)
{
	return run("nft list table inet berth 2>&1");
}

/*
 * Rules of the table, counted in nft's JSON (a rule with an inline set or vmap
 * is one rule like any other); 0 when there is no table.
 */
static int count_rules(void)
{
	_cleanup_free_ char *out =
		run("(nft -j list table inet berth 2>/dev/null || echo '{\"nftables\": []}') | "
		    "jq -e '[.nftables[] | select(has(\"rule\"))] | length' 2>&1");
	char *end = NULL;
	long n = strtol(out, &end, 10);

	if (end == out || (*end != '\n' && *end != '\0'))
		fail_msg("cannot count the rules: %s", out);
	return (int)n;
}

struct net_spec {
	const char *bridge;
	const char *subnets[3];
	bool internal;
	enum berth_fw_isolate isolate;
};

static void net_build(const struct net_spec *s, struct berth_ipnet *sn, struct berth_fw_network *n)
{
	size_t k = 0;

	for (; k < 3 && s->subnets[k]; k++)
		assert_int_equal(berth_ipnet_parse(s->subnets[k], &sn[k]), 0);
	*n = (struct berth_fw_network){
		.bridge = s->bridge,
		.subnets = sn,
		.n_subnets = k,
		.internal = s->internal,
		.isolate = s->isolate,
	};
}

/* ensure (optional) + add/del of each network, one commit; returns commit's result. */
static int commit_nets(bool ensure, bool add, const struct net_spec *specs, size_t n,
		       char **ret_msg)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	if (ensure)
		assert_int_equal(berth_fw_batch_ensure_table(b), 0);
	for (size_t i = 0; i < n; i++) {
		struct berth_ipnet sn[3];
		struct berth_fw_network nw;
		net_build(&specs[i], sn, &nw);
		if (add)
			assert_int_equal(berth_fw_batch_add_network(b, &nw), 0);
		else
			assert_int_equal(berth_fw_batch_del_network(b, &nw), 0);
	}
	return berth_fw_commit(b, ret_msg);
}

static void commit_ok(bool ensure, bool add, const struct net_spec *specs, size_t n)
{
	_cleanup_free_ char *msg = NULL;
	int r = commit_nets(ensure, add, specs, n, &msg);
	if (r < 0)
		fail_msg("commit: %d %s", r, msg ? msg : "");
	assert_null(msg);
}

static const struct net_spec podman1 = {
	"podman1", { "10.89.1.0/24", "fd10:89:1::/64" }, false, BERTH_FW_ISOLATE_STRICT
};
static const struct net_spec podman2 = {
	"podman2", { "10.89.2.0/24" }, false, BERTH_FW_ISOLATE_TRUE
};
static const struct net_spec podman3 = { "podman3", { "10.89.3.0/24" }, true,
					 BERTH_FW_ISOLATE_NONE };

static void print_commented(const char *text)
{
	_cleanup_free_ char *copy = strdup(text);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
		printf("# %s\n", line);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("'%s' unexpectedly found in:\n%s", needle, hay);
}

static int baseline_rules;

static void test_two_networks(void **state)
{
	const struct net_spec nets[] = { podman1, podman2 };
	_cleanup_free_ char *out = NULL;
	char **names = NULL;

	/* The table does not exist yet: nothing to list. */
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 0);

	commit_ok(true, true, nets, 2);
	out = list_table();
	print_commented(out);
	assert_contains(out, "elements = { 10.89.1.0/24, 10.89.2.0/24 }");
	assert_contains(out, "elements = { fd10:89:1::/64 }");
	assert_contains(out, "10.89.1.0/24 . 10.89.1.0/24");
	assert_contains(out, "10.89.2.0/24 . 10.89.2.0/24");
	assert_contains(out, "fd10:89:1::/64 . fd10:89:1::/64");
	assert_contains(out, "\"podman1\" : jump iso-podman1");
	assert_contains(out, "\"podman2\" : jump iso-podman2");
	assert_contains(out, "oifname != \"podman1\" oifname @bridges drop");
	assert_contains(out, "oifname != \"podman2\" oifname @iso_nets drop");
	assert_contains(out, "ip saddr . ip daddr @same4 return");
	assert_contains(out, "iifname vmap @fwd_iso");

	assert_int_equal(berth_fw_list_bridges(NULL, &names), 2);
	assert_non_null(names);
	assert_null(names[2]);
	assert_true((streq(names[0], "podman1") && streq(names[1], "podman2")) ||
		    (streq(names[0], "podman2") && streq(names[1], "podman1")));
	berth_strv_free(names);

	/*
	 * 4 portfwd + prerouting + output + 9 (+ 6 CNI) postrouting + 10 (+ 6 CNI) forward
	 * + one per isolated network
	 */
	baseline_rules = count_rules();
	assert_int_equal(baseline_rules, 4 + 1 + 1 + 9 + 6 + 10 + 6 + 2);
}

static void test_idempotent(void **state)
{
	_cleanup_free_ char *before = list_table(), *after = NULL;

	commit_ok(true, true, &podman1, 1);
	commit_ok(false, true, &podman1, 1);
	commit_ok(true, false, NULL, 0);
	after = list_table();
	assert_string_equal(before, after);
	assert_int_equal(count_rules(), baseline_rules);
}

static void test_rule_count_fixed(void **state)
{
	struct net_spec plain[50], iso[50];
	char names[100][16], subnets[100][32];

	for (int i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "brx%d", i);
		snprintf(subnets[i], sizeof(subnets[i]), "10.%d.%d.0/24", 100 + i / 50, i % 50);
		struct net_spec s = { names[i], { subnets[i] }, false,
				      i < 50 ? BERTH_FW_ISOLATE_NONE : BERTH_FW_ISOLATE_TRUE };
		if (i < 50)
			plain[i] = s;
		else
			iso[i - 50] = s;
	}

	commit_ok(false, true, plain, 50);
	assert_int_equal(count_rules(), baseline_rules);
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 52);

	/* isolation costs one rule per isolated network (its iso-<bridge> chain) */
	commit_ok(false, true, iso, 50);
	assert_int_equal(count_rules(), baseline_rules + 50);
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 102);

	commit_ok(false, false, plain, 50);
	commit_ok(false, false, iso, 50);
	assert_int_equal(count_rules(), baseline_rules);
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 2);
}

static void test_del_twice(void **state)
{
	_cleanup_free_ char *out = NULL;

	commit_ok(false, false, &podman2, 1);
	/* everything is already gone: every command is dropped, success */
	commit_ok(false, false, &podman2, 1);
	out = list_table();
	assert_lacks(out, "podman2");
	assert_lacks(out, "10.89.2.0/24");
	assert_contains(out, "10.89.1.0/24");
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 1);

	/* internal network: add, check, delete twice */
	commit_ok(false, true, &podman3, 1);
	free(out);
	out = list_table();
	assert_contains(out, "elements = { \"podman3\" }");
	assert_lacks(out, "10.89.3.0/24");
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 2);
	commit_ok(false, false, &podman3, 1);
	commit_ok(false, false, &podman3, 1);
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 1);
}

static void test_error_names_command(void **state)
{
	/* 10.89.1.128/25 overlaps podman1's 10.89.1.0/24 in nat4 (and same4) */
	const struct net_spec bad = { "podman9", { "10.89.1.128/25" }, false,
				      BERTH_FW_ISOLATE_TRUE };
	_cleanup_free_ char *before = list_table(), *after = NULL, *msg = NULL;
	int r;

	r = commit_nets(false, true, &bad, 1, &msg);
	assert_int_equal(r, -EEXIST);
	assert_non_null(msg);
	printf("# error text: %s\n", msg);
	assert_contains(msg, "add element to set nat4 in table inet berth: File exists");

	/* nothing of that batch applied (not the bridge, not the iso chain) */
	after = list_table();
	assert_string_equal(before, after);
	assert_lacks(after, "podman9");

	/* adding to a table that does not exist is an error, not "missing is fine" */
	free(msg);
	msg = NULL;
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ipnet sn[3];
	struct berth_fw_network nw;
	net_build(&podman2, sn, &nw);
	assert_int_equal(berth_fw_batch_new("nosuchtable", &b), 0);
	assert_int_equal(berth_fw_batch_add_network(b, &nw), 0);
	assert_int_equal(berth_fw_commit(b, &msg), -ENOENT);
	assert_non_null(msg);
	assert_contains(msg, "add element to set bridges in table inet nosuchtable");
}

static void test_flush_ruleset_recovers(void **state)
{
	_cleanup_free_ char *before = list_table(), *after = NULL, *ignored = NULL;

	ignored = run("nft flush ruleset 2>&1");
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 0);
	/* front end's answer: rebuild everything from its state in one batch */
	commit_ok(true, true, &podman1, 1);
	after = list_table();
	assert_string_equal(before, after);
	assert_int_equal(count_rules(), baseline_rules - 1);
}

static void test_ensure_restores_rules(void **state)
{
	_cleanup_free_ char *ignored = NULL;

	ignored = run("nft flush chain inet berth forward 2>&1");
	assert_int_equal(count_rules(), baseline_rules - 1 - 10 - 6);
	commit_ok(true, false, NULL, 0);
	assert_int_equal(count_rules(), baseline_rules - 1);
}

/* ---- port forwards (issue #3) ---- */

static struct berth_fw_portmap pm_make(const char *host, uint8_t proto, uint16_t hport,
				      uint16_t cport, uint16_t range, const char *cont)
{
	struct berth_fw_portmap pm = {
		.protocol = proto, .host_port = hport, .container_port = cport, .range = range
	};
	assert_int_equal(berth_ip_parse(host, &pm.host_ip), 0);
	assert_int_equal(berth_ip_parse(cont, &pm.container_ip), 0);
	return pm;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One batch of add (or del) portmaps, each mapping tagged with its index. */
static int commit_pm(bool add, const struct berth_fw_portmap *pm, size_t n, char **ret_msg,
		     int *ret_tag, int *ret_errno)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	for (size_t i = 0; i < n; i++) {
		berth_fw_batch_set_tag(b, (int)i);
		if (add)
			assert_int_equal(berth_fw_batch_add_portmaps(b, &pm[i], 1), 0);
		else
			assert_int_equal(berth_fw_batch_del_portmaps(b, &pm[i], 1), 0);
	}
	return berth_fw_commit_tagged(b, ret_msg, ret_tag, ret_errno);
}

static void commit_pm_ok(bool add, const struct berth_fw_portmap *pm, size_t n)
{
	_cleanup_free_ char *msg = NULL;
	int tag = 0, err = 1;
	int r = commit_pm(add, pm, n, &msg, &tag, &err);
	if (r < 0)
		fail_msg("commit: %d %s", r, msg ? msg : "");
	assert_int_equal(tag, -1);
	assert_int_equal(err, 0);
}

static void print_map_lines(const char *out)
{
	_cleanup_free_ char *copy = strdup(out);
	bool in = false;
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, "map pf"))
			in = true;
		if (in)
			printf("# %s\n", line);
		if (in && strstr(line, "}") && !strstr(line, "{"))
			in = false;
	}
}

static struct berth_fw_portmap pms[4];

static void test_portmaps(void **state)
{
	_cleanup_free_ char *out = NULL;

	pms[0] = pm_make("0.0.0.0", IPPROTO_TCP, 8080, 80, 3, "10.89.1.2");
	pms[1] = pm_make("192.0.2.1", IPPROTO_UDP, 5000, 5001, 1, "10.89.1.3");
	pms[2] = pm_make("fd00::1", IPPROTO_SCTP, 9000, 90, 2, "fd10:89:1::3");
	pms[3] = pm_make("::", IPPROTO_TCP, 443, 8443, 1, "fd10:89:1::3");
	commit_pm_ok(true, pms, 4);

	out = list_table();
	print_map_lines(out);
	assert_contains(out, "tcp . 8080 : 10.89.1.2 . 80");
	assert_contains(out, "tcp . 8081 : 10.89.1.2 . 81");
	assert_contains(out, "tcp . 8082 : 10.89.1.2 . 82");
	assert_contains(out, "192.0.2.1 . udp . 5000 : 10.89.1.3 . 5001");
	assert_contains(out, "fd00::1 . sctp . 9000 : fd10:89:1::3 . 90");
	assert_contains(out, "fd00::1 . sctp . 9001 : fd10:89:1::3 . 91");
	assert_contains(out, "tcp . 443 : fd10:89:1::3 . 8443");
	assert_int_equal(count_rules(), baseline_rules - 1);
}

static void test_portmap_conflict(void **state)
{
	/* tag 0 is new and fine, tag 1 takes tcp 8081 which pms[0] already forwards */
	const struct berth_fw_portmap pm[2] = {
		pm_make("0.0.0.0", IPPROTO_TCP, 7000, 7000, 1, "10.89.1.9"),
		pm_make("0.0.0.0", IPPROTO_TCP, 8081, 80, 1, "10.89.1.9"),
	};
	_cleanup_free_ char *before = list_table(), *after = NULL, *msg = NULL;
	int tag = 0, err = 0;

	assert_int_equal(commit_pm(true, pm, 2, &msg, &tag, &err), -EEXIST);
	printf("# error text: %s (tag %d)\n", msg, tag);
	assert_int_equal(tag, 1);
	assert_int_equal(err, -EEXIST);
	assert_contains(msg, "add element to set pf4_any in table inet berth: File exists");
	after = list_table();
	assert_string_equal(before, after);
	assert_lacks(after, "7000");

	/* NLM_F_EXCL: even the identical mapping again is refused */
	free(msg);
	msg = NULL;
	assert_int_equal(commit_pm(true, &pms[1], 1, &msg, &tag, &err), -EEXIST);
	assert_int_equal(tag, 0);

	/* a specific address and "any" are different keys: both may exist */
	const struct berth_fw_portmap spec = pm_make("192.0.2.1", IPPROTO_TCP, 8080, 80, 1,
						     "10.89.1.4");
	commit_pm_ok(true, &spec, 1);
	commit_pm_ok(false, &spec, 1);
}

static void test_portmap_del_twice(void **state)
{
	_cleanup_free_ char *out = NULL;

	commit_pm_ok(false, pms, 4);
	commit_pm_ok(false, pms, 4);
	out = list_table();
	assert_lacks(out, "8080");
	assert_lacks(out, "192.0.2.1");
	assert_lacks(out, "fd00::1");
	/* partly missing: the present elements still go */
	commit_pm_ok(true, pms, 1);
	struct berth_fw_portmap part = pms[0];
	part.range = 1; /* removes 8080 only */
	commit_pm_ok(false, &part, 1);
	commit_pm_ok(false, pms, 1);
	free(out);
	out = list_table();
	assert_lacks(out, "10.89.1.2");
}

static void test_portmap_rule_count_fixed(void **state)
{
	static struct berth_fw_portmap many[1000];
	char ip[32];
	double t0, t1, t2;

	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.89.%d.%d", 1 + i / 250, 2 + i % 250);
		many[i] = pm_make(i % 2 ? "0.0.0.0" : "192.0.2.1", i % 3 ? IPPROTO_TCP : IPPROTO_UDP,
				  (uint16_t)(30000 + i), 80, 1, ip);
	}
	t0 = now_ms();
	commit_pm_ok(true, many, 1000);
	t1 = now_ms();
	assert_int_equal(count_rules(), baseline_rules - 1);
	_cleanup_free_ char *out = list_table();
	assert_contains(out, "udp . 30999 : 10.89.4.251 . 80");
	assert_contains(out, "192.0.2.1 . udp . 30000 : 10.89.1.2 . 80");
	t2 = now_ms();
	commit_pm_ok(false, many, 1000);
	printf("# 1000 mappings (1000 commands): add %.1f ms, delete %.1f ms\n", t1 - t0,
	       now_ms() - t2);
	assert_int_equal(count_rules(), baseline_rules - 1);
}

static void test_portmap_range_1000(void **state)
{
	const struct berth_fw_portmap r4 = pm_make("0.0.0.0", IPPROTO_UDP, 40000, 50000, 1000,
						   "10.89.1.7");
	const struct berth_fw_portmap r6 = pm_make("fd00::1", IPPROTO_TCP, 40000, 50000, 1000,
						   "fd10:89:1::7");
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *out = NULL, *msg = NULL;
	double t0, t1;

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &r4, 1), 0);
	assert_int_equal(berth_fw_batch_size(b), 1); /* 1000 elements, one command */
	t0 = now_ms();
	assert_int_equal(berth_fw_commit(b, &msg), 0);
	t1 = now_ms();
	printf("# 1000-port v4 range, one NEWSETELEM: commit %.1f ms\n", t1 - t0);

	berth_fw_batch_free(b);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &r6, 1), 0);
	assert_int_equal(berth_fw_batch_size(b), 2); /* 64-byte elements: 768 + 232 */
	t0 = now_ms();
	assert_int_equal(berth_fw_commit(b, &msg), 0);
	printf("# 1000-port v6 host-address range, 2 commands: commit %.1f ms\n", now_ms() - t0);

	out = list_table();
	assert_contains(out, "udp . 40000 : 10.89.1.7 . 50000");
	assert_contains(out, "udp . 40999 : 10.89.1.7 . 50999");
	assert_contains(out, "fd00::1 . tcp . 40999 : fd10:89:1::7 . 50999");
	assert_int_equal(count_rules(), baseline_rules - 1);

	/* a 65535-port v6 range: 86 commands in one batch */
	const struct berth_fw_portmap all = pm_make("fd00::2", IPPROTO_UDP, 1, 1, 65535,
						    "fd10:89:1::8");
	t0 = now_ms();
	commit_pm_ok(true, &all, 1);
	t1 = now_ms();
	commit_pm_ok(false, &all, 1);
	printf("# 65535-port v6 range: add %.1f ms, delete (65535 commands) %.1f ms\n", t1 - t0,
	       now_ms() - t1);

	t0 = now_ms();
	commit_pm_ok(false, &r4, 1);
	printf("# 1000-port range delete: %.1f ms\n", now_ms() - t0);
	commit_pm_ok(false, &r6, 1);
	free(out);
	out = list_table();
	assert_lacks(out, "40000");
}

static void test_dns_redirect(void **state)
{
	struct berth_ip gw4, gw6;
	_cleanup_free_ char *out = NULL, *msg = NULL;

	assert_int_equal(berth_ip_parse("10.89.1.1", &gw4), 0);
	assert_int_equal(berth_ip_parse("fd10:89:1::1", &gw6), 0);
	for (int i = 0; i < 2; i++) {
		_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
		assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
		assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw4, 1053), 0);
		assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw6, 1053), 0);
		assert_int_equal(berth_fw_commit(b, &msg), 0);
	}
	out = list_table();
	assert_contains(out, "10.89.1.1 . udp . 53 : 10.89.1.1 . 1053");
	assert_contains(out, "10.89.1.1 . tcp . 53 : 10.89.1.1 . 1053");
	assert_contains(out, "fd10:89:1::1 . udp . 53 : fd10:89:1::1 . 1053");

	/* another port for the same gateway clashes */
	{
		_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
		assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
		assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw4, 2053), 0);
		assert_int_equal(berth_fw_commit(b, &msg), -EEXIST);
		free(msg);
		msg = NULL;
	}
	for (int i = 0; i < 2; i++) {
		_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
		assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
		assert_int_equal(berth_fw_batch_del_dns_redirect(b, &gw4, 1053), 0);
		assert_int_equal(berth_fw_batch_del_dns_redirect(b, &gw6, 1053), 0);
		assert_int_equal(berth_fw_commit(b, &msg), 0);
	}
	free(out);
	out = list_table();
	assert_lacks(out, ". 53 :");
}

/* firewall-reload: del_table + ensure + networks + portmaps + DNS, one batch, table present or not */
static void test_rebuild_one_batch(void **state)
{
	struct berth_ip gw4;
	_cleanup_free_ char *first = NULL, *again = NULL, *ignored = NULL;

	assert_int_equal(berth_ip_parse("10.89.1.1", &gw4), 0);
	for (int i = 0; i < 3; i++) {
		_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
		_cleanup_free_ char *msg = NULL;
		struct berth_ipnet sn[3];
		struct berth_fw_network nw;

		if (i == 2)
			ignored = run("nft flush ruleset 2>&1");
		net_build(&podman1, sn, &nw);
		assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
		assert_int_equal(berth_fw_batch_del_table(b), 0);
		assert_int_equal(berth_fw_batch_ensure_table(b), 0);
		assert_int_equal(berth_fw_batch_add_network(b, &nw), 0);
		assert_int_equal(berth_fw_batch_add_portmaps(b, pms, 4), 0);
		assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw4, 1053), 0);
		if (berth_fw_commit(b, &msg) < 0)
			fail_msg("rebuild %d: %s", i, msg);
		if (i == 0)
			first = list_table();
		else {
			free(again);
			again = list_table();
			assert_string_equal(first, again);
		}
	}
	assert_contains(first, "tcp . 8082 : 10.89.1.2 . 82");
	assert_contains(first, "10.89.1.1 . tcp . 53 : 10.89.1.1 . 1053");
	assert_int_equal(count_rules(), baseline_rules - 1);
}

/* probe: 0 when every element is there, -ENOENT / -EILSEQ naming the first that is not. */
static int probe(const struct berth_fw_elem *el, size_t n, const struct berth_fw_portmap *pm,
		 size_t n_pm, char **ret_msg)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_elems(b, el, n), 0);
	if (n_pm)
		assert_int_equal(berth_fw_batch_add_portmaps(b, pm, n_pm), 0);
	return berth_fw_batch_probe(b, ret_msg);
}

/* The CNI plugins' elements in the kernel, and the probe CNI CHECK uses. */
static void test_cni_elems_probe(void **state)
{
	const struct berth_fw_elem el[] = {
		elem_make(BERTH_FW_ELEM_HAIRPIN, "10.77.0.0/24", "10.77.0.2", NULL),
		elem_make(BERTH_FW_ELEM_HAIRPIN, "::/0", "fd77::2", NULL),
		elem_make(BERTH_FW_ELEM_MASQ, "10.77.0.0/24", "10.77.0.2", NULL),
		elem_make(BERTH_FW_ELEM_ALLOW, NULL, "10.77.0.2", NULL),
		elem_make(BERTH_FW_ELEM_SAME_BRIDGE, NULL, NULL, "cni0"),
		elem_make(BERTH_FW_ELEM_ISOLATED, NULL, NULL, "cni1"),
	};
	struct berth_fw_portmap pm = pm_make("0.0.0.0", IPPROTO_TCP, 18080, 80, 1, "10.77.0.2");
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *out = NULL, *msg = NULL, *ignored = NULL;

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_elems(b, el, ARRAY_SIZE(el)), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &pm, 1), 0);
	assert_int_equal(berth_fw_commit(b, &msg), 0);
	out = list_table();
	assert_contains(out, "10.77.0.0/24 . 10.77.0.2");
	assert_contains(out, "::/0 . fd77::2");
	assert_contains(out, "10.77.0.2 . 10.77.0.0/24");
	assert_contains(out, "\"cni0\" . \"cni0\"");
	assert_int_equal(count_rules(), baseline_rules - 1);

	assert_int_equal(probe(el, ARRAY_SIZE(el), &pm, 1, NULL), 0);
	ignored = run("nft delete element inet berth cni_masq4 '{ 10.77.0.2 }' 2>&1");
	assert_int_equal(probe(el, ARRAY_SIZE(el), NULL, 0, &msg), -ENOENT);
	assert_contains(msg, "10.77.0.2 of set cni_masq4");
	free(msg);
	msg = NULL;
	free(ignored);
	ignored = run("nft delete element inet berth pf4_any '{ tcp . 18080 }' 2>&1; "
		      "nft add element inet berth pf4_any '{ tcp . 18080 : 10.77.0.9 . 80 }' 2>&1");
	assert_int_equal(probe(&el[0], 1, &pm, 1, &msg), -EILSEQ);
	assert_contains(msg, "pf4_any");

	/* removal twice: missing is fine */
	for (int i = 0; i < 2; i++) {
		berth_fw_batch_free(b);
		assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
		assert_int_equal(berth_fw_batch_del_elems(b, el, ARRAY_SIZE(el)), 0);
		assert_int_equal(berth_fw_commit(b, NULL), 0);
	}
	free(out);
	out = list_table();
	assert_lacks(out, "10.77.0.2 .");
	assert_lacks(out, "cni0");
	assert_int_equal(probe(&el[3], 1, NULL, 0, NULL), -ENOENT);
}

static void test_del_table(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *out = NULL;
	char *msg = NULL;

	for (int i = 0; i < 2; i++) {
		berth_fw_batch_free(b);
		assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
		assert_int_equal(berth_fw_batch_del_table(b), 0);
		assert_int_equal(berth_fw_commit(b, &msg), 0);
		assert_null(msg);
	}
	assert_int_equal(berth_fw_list_bridges(NULL, NULL), 0);
	out = list_table();
	assert_contains(out, "No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_networks),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_rule_count_fixed),
		cmocka_unit_test(test_del_twice),
		cmocka_unit_test(test_error_names_command),
		cmocka_unit_test(test_flush_ruleset_recovers),
		cmocka_unit_test(test_ensure_restores_rules),
		cmocka_unit_test(test_portmaps),
		cmocka_unit_test(test_portmap_conflict),
		cmocka_unit_test(test_portmap_del_twice),
		cmocka_unit_test(test_portmap_rule_count_fixed),
		cmocka_unit_test(test_portmap_range_1000),
		cmocka_unit_test(test_dns_redirect),
		cmocka_unit_test(test_rebuild_one_batch),
		cmocka_unit_test(test_cni_elems_probe),
		cmocka_unit_test(test_del_table),
	};

	/* Never touch the caller's namespace: everything below runs in a new one. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP cannot create a network namespace (%s)\n", strerror(errno));
		return 0;
	}
	if (system("nft list ruleset >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP nft not usable\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
