// SPDX-License-Identifier: Apache-2.0
/*
 * berth's nftables batches, built without a kernel: the text form of every
 * queued command is compared with golden files in tests/fixtures/nft/.
 * Run with BERTH_UPDATE_GOLDEN=1 to rewrite the golden files after an
 * intended change (then review the diff).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "net/ipaddr.h"
#include "nft/firewall.h"

#ifndef BERTH_NFT_FIXTURES
#error "BERTH_NFT_FIXTURES must name tests/fixtures/nft"
#endif

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_fw_batch *, berth_fw_batch_free)

static char *read_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	return buf;
}

static void check_golden(const struct berth_fw_batch *b, const char *name)
{
	_cleanup_free_ char *out = NULL, *want = NULL, *path = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	assert_non_null(m);
	assert_int_equal(berth_fw_batch_dump(b, m), 0);
	fclose(m);
	assert_true(asprintf(&path, "%s/%s", BERTH_NFT_FIXTURES, name) > 0);

	if (getenv("BERTH_UPDATE_GOLDEN")) {
		_cleanup_fclose_ FILE *f = fopen(path, "we");
		assert_non_null(f);
		fputs(out, f);
		return;
	}
	want = read_file(path);
	if (!want)
		fail_msg("missing golden file %s (BERTH_UPDATE_GOLDEN=1 writes it)", path);
	assert_string_equal(out, want);
}

static void parse_subnets(struct berth_ipnet *out, const char *const *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(berth_ipnet_parse(in[i], &out[i]), 0);
}

static void test_ensure_table(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_size(b), 0);
	assert_int_equal(berth_fw_batch_ensure_table(b), 0);
	/* table + 9 sets + 2 x (chain, flush) + 6 + 9 rules */
	assert_int_equal(berth_fw_batch_size(b), 1 + 9 + 4 + 6 + 9);
	check_golden(b, "ensure-table.txt");
}

static const char *const dual[] = { "10.89.1.0/24", "fd10:89:1::/64" };

static void test_add_network_strict(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ipnet sn[2];
	struct berth_fw_network n = {
		.bridge = "podman1",
		.subnets = sn,
		.n_subnets = 2,
		.isolate = BERTH_FW_ISOLATE_STRICT,
	};

	parse_subnets(sn, dual, 2);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_network(b, &n), 0);
	check_golden(b, "add-network-strict.txt");
}

static void test_del_network_strict(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ipnet sn[2];
	struct berth_fw_network n = {
		.bridge = "podman1",
		.subnets = sn,
		.n_subnets = 2,
		.isolate = BERTH_FW_ISOLATE_STRICT,
	};

	parse_subnets(sn, dual, 2);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_del_network(b, &n), 0);
	check_golden(b, "del-network-strict.txt");
}

static void test_add_network_internal(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ipnet sn[1];
	struct berth_fw_network n = {
		.bridge = "podman2",
		.subnets = sn,
		.n_subnets = 1,
		.internal = true,
	};

	parse_subnets(sn, (const char *const[]){ "10.89.2.0/24" }, 1);
	assert_int_equal(berth_fw_batch_new("berth_cni", &b), 0);
	assert_int_equal(berth_fw_batch_add_network(b, &n), 0);
	check_golden(b, "add-network-internal.txt");
}

/* Host bits are cleared; a range reaching the top of the space has no end element. */
static void test_add_network_edges(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ipnet sn[3];
	struct berth_fw_network n = {
		.bridge = "br-edge",
		.subnets = sn,
		.n_subnets = 3,
		.isolate = BERTH_FW_ISOLATE_TRUE,
	};

	parse_subnets(sn, (const char *const[]){ "10.89.3.77/20", "240.0.0.0/4", "ffff::/16" }, 3);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_network(b, &n), 0);
	check_golden(b, "add-network-edges.txt");
}

static void test_del_table(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_del_table(b), 0);
	assert_int_equal(berth_fw_batch_size(b), 1);
	check_golden(b, "del-table.txt");
}

static void test_limits(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ipnet sn[BERTH_FW_MAX_SUBNETS + 1];
	struct berth_fw_network n = { .bridge = "podman1", .subnets = sn };
	char longname[300];

	for (size_t i = 0; i < ARRAY_SIZE(sn); i++) {
		char s[32];
		snprintf(s, sizeof(s), "10.%zu.0.0/16", i);
		assert_int_equal(berth_ipnet_parse(s, &sn[i]), 0);
	}
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);

	n.n_subnets = BERTH_FW_MAX_SUBNETS + 1;
	assert_int_equal(berth_fw_batch_add_network(b, &n), -E2BIG);
	assert_int_equal(berth_fw_batch_del_network(b, &n), -E2BIG);
	assert_int_equal(berth_fw_batch_size(b), 0);

	n.n_subnets = BERTH_FW_MAX_SUBNETS;
	assert_int_equal(berth_fw_batch_add_network(b, &n), 0);
	/* bridges + br_pairs + 32 x (nat4 pair, same4) */
	assert_int_equal(berth_fw_batch_size(b), 2 + 2 * BERTH_FW_MAX_SUBNETS);

	size_t before = berth_fw_batch_size(b);
	n.n_subnets = 1;
	const char *bad[] = { "", "0123456789abcdef", "a/b", "a b", ".", "..", "eth:0" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n.bridge = bad[i];
		assert_int_equal(berth_fw_batch_add_network(b, &n), -EINVAL);
		assert_int_equal(berth_fw_batch_del_network(b, &n), -EINVAL);
	}
	n.bridge = NULL;
	assert_int_equal(berth_fw_batch_add_network(b, &n), -EINVAL);
	n.bridge = "podman1";
	n.subnets = NULL;
	assert_int_equal(berth_fw_batch_add_network(b, &n), -EINVAL);
	n.subnets = sn;
	n.isolate = (enum berth_fw_isolate)7;
	assert_int_equal(berth_fw_batch_add_network(b, &n), -EINVAL);
	n.isolate = BERTH_FW_ISOLATE_NONE;
	sn[0].ip.family = 0;
	assert_int_equal(berth_fw_batch_add_network(b, &n), -EINVAL);
	assert_int_equal(berth_fw_batch_add_network(b, NULL), -EINVAL);
	assert_int_equal(berth_fw_batch_size(b), before);

	/* no subnets at all is fine: only the bridge (bridges, br_pairs) is recorded */
	n.n_subnets = 0;
	assert_int_equal(berth_fw_batch_add_network(b, &n), 0);
	assert_int_equal(berth_fw_batch_size(b), before + 2);

	/* table names */
	struct berth_fw_batch *t = NULL;
	assert_int_equal(berth_fw_batch_new("", &t), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(berth_fw_batch_new(longname, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(berth_fw_list_bridges("", NULL), -EINVAL);
}

static void test_empty_commit(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	char *msg = NULL;

	/* An empty batch never opens a socket: works without privileges. */
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_commit(b, &msg), 0);
	assert_null(msg);
	berth_strv_free(NULL);
	berth_fw_batch_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ensure_table),
		cmocka_unit_test(test_add_network_strict),
		cmocka_unit_test(test_del_network_strict),
		cmocka_unit_test(test_add_network_internal),
		cmocka_unit_test(test_add_network_edges),
		cmocka_unit_test(test_del_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_empty_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
