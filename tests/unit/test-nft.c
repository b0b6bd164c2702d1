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

#include "nft-elem.h"

#include <errno.h>
#include <netinet/in.h>
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
	/* table + 13 sets + 10 CNI sets + 5 x (chain, flush) + portfwd 4, prerouting 1,
	 * output 1, postrouting 9 + 6 CNI, forward 10 + 6 CNI rules */
	assert_int_equal(berth_fw_batch_size(b), 1 + 13 + 10 + 10 + 4 + 1 + 1 + 9 + 6 + 10 + 6);
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

static void sample_portmaps(struct berth_fw_portmap pm[4])
{
	pm[0] = pm_make("0.0.0.0", IPPROTO_TCP, 8080, 80, 3, "10.88.0.2");
	pm[1] = pm_make("192.0.2.1", IPPROTO_UDP, 5000, 5001, 1, "10.88.0.3");
	pm[2] = pm_make("fd00::1", IPPROTO_SCTP, 9000, 90, 2, "fd88::3");
	pm[3] = pm_make("::", IPPROTO_TCP, 443, 8443, 1, "fd88::3");
}

static void test_add_portmaps(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_fw_portmap pm[4];

	sample_portmaps(pm);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	berth_fw_batch_set_tag(b, 7);
	assert_int_equal(berth_fw_batch_add_portmaps(b, pm, 2), 0);
	berth_fw_batch_set_tag(b, 8);
	assert_int_equal(berth_fw_batch_add_portmaps(b, pm + 2, 2), 0);
	/* one command per mapping, whatever its range */
	assert_int_equal(berth_fw_batch_size(b), 4);
	check_golden(b, "add-portmaps.txt");
}

static void test_del_portmaps(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_fw_portmap pm[4];

	sample_portmaps(pm);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_del_portmaps(b, pm, 4), 0);
	/* one command per port */
	assert_int_equal(berth_fw_batch_size(b), 3 + 1 + 2 + 1);
	check_golden(b, "del-portmaps.txt");
}

static void test_dns_redirect(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_ip gw4, gw6;

	assert_int_equal(berth_ip_parse("10.88.0.1", &gw4), 0);
	assert_int_equal(berth_ip_parse("fd88::1", &gw6), 0);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw4, 1053), 0);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw6, 1053), 0);
	assert_int_equal(berth_fw_batch_del_dns_redirect(b, &gw4, 1053), 0);
	/* port 53 needs no redirection */
	size_t n = berth_fw_batch_size(b);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw4, 53), 0);
	assert_int_equal(berth_fw_batch_size(b), n);
	check_golden(b, "dns-redirect.txt");

	struct berth_ip bad = { 0 };
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &bad, 1053), -EINVAL);
	assert_int_equal(berth_ip_parse("0.0.0.0", &bad), 0);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &bad, 1053), -EINVAL);
	assert_int_equal(berth_ip_parse("224.0.0.1", &bad), 0);
	assert_int_equal(berth_fw_batch_del_dns_redirect(b, &bad, 1053), -EINVAL);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &gw4, 0), -EINVAL);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, NULL, 1053), -EINVAL);
	assert_int_equal(berth_fw_batch_add_dns_redirect(NULL, &gw4, 1053), -EINVAL);
	assert_int_equal(berth_fw_batch_size(b), n);
}

static void test_portmap_validation(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_fw_portmap ok = pm_make("0.0.0.0", IPPROTO_TCP, 8080, 80, 1, "10.88.0.2");
	struct berth_fw_portmap bad[14];
	size_t k = 0;

	bad[k] = ok, bad[k++].range = 0;
	bad[k] = ok, bad[k++].protocol = IPPROTO_ICMP;
	bad[k] = ok, bad[k++].protocol = 0;
	bad[k] = ok, bad[k++].host_port = 0;
	bad[k] = ok, bad[k++].container_port = 0;
	bad[k] = ok, bad[k].host_port = 65535, bad[k++].range = 2;
	bad[k] = ok, bad[k].container_port = 65000, bad[k++].range = 537;
	bad[k] = pm_make("::", IPPROTO_TCP, 80, 80, 1, "10.88.0.2");          /* family mismatch */
	bad[k++].host_ip.family = AF_INET6;
	bad[k++] = pm_make("0.0.0.0", IPPROTO_TCP, 80, 80, 1, "fd88::2");
	bad[k++] = pm_make("0.0.0.0", IPPROTO_TCP, 80, 80, 1, "0.0.0.0");    /* no target */
	bad[k++] = pm_make("0.0.0.0", IPPROTO_UDP, 80, 80, 1, "239.1.1.1");  /* multicast */
	bad[k++] = pm_make("ff02::1", IPPROTO_UDP, 80, 80, 1, "fd88::2");
	bad[k] = ok, bad[k].host_ip.family = AF_UNSPEC, bad[k++].container_ip.family = AF_UNSPEC;
	bad[k] = ok, bad[k].host_ip.family = AF_UNIX, bad[k++].container_ip.family = AF_UNIX;
	assert_int_equal(k, ARRAY_SIZE(bad));

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	for (size_t i = 0; i < k; i++) {
		struct berth_fw_portmap two[2] = { ok, bad[i] };
		/* validated as a whole: the good first mapping is not queued either */
		if (berth_fw_batch_add_portmaps(b, two, 2) != -EINVAL)
			fail_msg("bad portmap %zu accepted", i);
		assert_int_equal(berth_fw_batch_del_portmaps(b, two, 2), -EINVAL);
	}
	assert_int_equal(berth_fw_batch_size(b), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, NULL, 1), -EINVAL);
	assert_int_equal(berth_fw_batch_add_portmaps(NULL, &ok, 1), -EINVAL);
	assert_int_equal(berth_fw_batch_add_portmaps(b, NULL, 0), 0);

	/* the last port of the space is fine */
	struct berth_fw_portmap edge = pm_make("fd00::1", IPPROTO_UDP, 65534, 65534, 2, "fd88::2");
	assert_int_equal(berth_fw_batch_add_portmaps(b, &edge, 1), 0);
	assert_int_equal(berth_fw_batch_size(b), 1);
}

static void test_portmap_limits(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	/* 65535 ports, v6 with an address: the widest elements */
	struct berth_fw_portmap all = pm_make("fd00::1", IPPROTO_UDP, 1, 1, 65535, "fd88::2");
	struct berth_fw_portmap two = pm_make("0.0.0.0", IPPROTO_TCP, 1, 1, 2, "10.88.0.2");
	struct berth_fw_portmap thousand = pm_make("0.0.0.0", IPPROTO_TCP, 20000, 20000, 1000,
						   "10.88.0.2");

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &thousand, 1), 0);
	assert_int_equal(berth_fw_batch_size(b), 1);

	berth_fw_batch_free(b);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_portmaps(b, &all, 1), 0);
	/* split so that each element list stays < 64 KiB: 64-byte elements, 768 a command */
	assert_int_equal(berth_fw_batch_size(b), (65535 + 767) / 768);
	/* 65535 + 2 > 65536 */
	assert_int_equal(berth_fw_batch_add_portmaps(b, &two, 1), -E2BIG);
	two.range = 1;
	assert_int_equal(berth_fw_batch_add_portmaps(b, &two, 1), 0);
	assert_int_equal(berth_fw_batch_add_dns_redirect(b, &two.container_ip, 1053), -E2BIG);

	struct berth_fw_portmap many[2] = { all, all };
	berth_fw_batch_free(b);
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_del_portmaps(b, many, 2), -E2BIG);
	assert_int_equal(berth_fw_batch_size(b), 0);
}

static void test_empty_commit(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	char *msg = NULL;
	int tag = 5, err = 5;

	/* An empty batch never opens a socket: works without privileges. */
	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_commit(b, &msg), 0);
	assert_null(msg);
	assert_int_equal(berth_fw_commit_tagged(b, &msg, &tag, &err), 0);
	assert_int_equal(tag, -1);
	assert_int_equal(err, 0);
	assert_int_equal(berth_fw_commit_tagged(NULL, NULL, &tag, NULL), -EINVAL);
	berth_strv_free(NULL);
	berth_fw_batch_free(NULL);
}

/* The CNI plugins' elements, added and removed (golden), and their validation. */
static void test_cni_elems(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	const struct berth_fw_elem el[] = {
		elem_make(BERTH_FW_ELEM_HAIRPIN, "10.77.0.2/24", "10.77.0.2", NULL),
		elem_make(BERTH_FW_ELEM_HAIRPIN, "::/0", "fd77::2", NULL),
		elem_make(BERTH_FW_ELEM_MASQ, "10.77.0.0/24", "10.77.0.2", NULL),
		elem_make(BERTH_FW_ELEM_ALLOW, NULL, "fd77::2", NULL),
		elem_make(BERTH_FW_ELEM_SAME_BRIDGE, NULL, NULL, "cni0"),
		elem_make(BERTH_FW_ELEM_ISOLATED, NULL, NULL, "cni1"),
	};

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	assert_int_equal(berth_fw_batch_add_elems(b, el, ARRAY_SIZE(el)), 0);
	assert_int_equal(berth_fw_batch_del_elems(b, el, ARRAY_SIZE(el)), 0);
	/* add: 1 + 1 + 2 + 1 + 2 + 1; del: the same, one per element */
	assert_int_equal(berth_fw_batch_size(b), 2 * 8);
	check_golden(b, "cni-elems.txt");

	const struct berth_fw_elem bad[] = {
		elem_make(BERTH_FW_ELEM_HAIRPIN, "fd00::/64", "10.77.0.2", NULL), /* mismatch */
		elem_make(BERTH_FW_ELEM_ALLOW, NULL, "0.0.0.0", NULL),
		elem_make(BERTH_FW_ELEM_MASQ, "10.0.0.0/8", "224.0.0.1", NULL),
		elem_make(BERTH_FW_ELEM_ISOLATED, NULL, NULL, ""),
		elem_make(_BERTH_FW_ELEM_MAX, NULL, "10.0.0.1", NULL),
		elem_make(BERTH_FW_ELEM_ALLOW, NULL, NULL, NULL), /* no address */
	};
	size_t before = berth_fw_batch_size(b);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct berth_fw_elem two[2] = { el[0], bad[i] };
		if (berth_fw_batch_add_elems(b, two, 2) != -EINVAL)
			fail_msg("bad element %zu accepted", i);
		assert_int_equal(berth_fw_batch_del_elems(b, two, 2), -EINVAL);
	}
	assert_int_equal(berth_fw_batch_size(b), before);
	/* host bits of net do not matter */
	const struct berth_fw_elem same =
		elem_make(BERTH_FW_ELEM_HAIRPIN, "10.77.0.0/24", "10.77.0.2", NULL);
	assert_true(berth_fw_elem_equal(&el[0], &same));
	assert_false(berth_fw_elem_equal(&el[0], &el[2]));
	assert_int_equal(berth_fw_elem_kind_from_string("same-bridge"), BERTH_FW_ELEM_SAME_BRIDGE);
	assert_int_equal(berth_fw_elem_kind_from_string("open"), -EINVAL);
}

/* macspoofchk: table bridge berth queued once per batch with the first add; two elements each. */
static void test_cni_macspoof(void **state)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	struct berth_fw_elem e[2] = { elem_make(BERTH_FW_ELEM_MACSPOOF, NULL, NULL, "veth01"),
				      elem_make(BERTH_FW_ELEM_MACSPOOF, NULL, NULL, "veth02") };
	memcpy(e[0].mac, "\x02\x00\x5e\x00\x53\x01", 6);
	memcpy(e[1].mac, "\x02\x00\x5e\x00\x53\x02", 6);

	assert_int_equal(berth_fw_batch_new(NULL, &b), 0);
	/* a delete needs no table */
	assert_int_equal(berth_fw_batch_del_elems(b, e, 1), 0);
	assert_int_equal(berth_fw_batch_size(b), 2);
	/* table, 2 sets, chain, flush, rule; then 2 elements per port */
	assert_int_equal(berth_fw_batch_add_elems(b, e, 2), 0);
	assert_int_equal(berth_fw_batch_size(b), 2 + 6 + 4);
	assert_false(berth_fw_elem_equal(&e[0], &e[1]));
	e[1] = e[0];
	assert_true(berth_fw_elem_equal(&e[0], &e[1]));
	e[1].mac[5] ^= 1;
	assert_false(berth_fw_elem_equal(&e[0], &e[1]));

	/* a group MAC, the zero MAC, no port: refused */
	struct berth_fw_elem bad[3] = { e[0], e[0], e[0] };
	bad[0].mac[0] = 0x01;
	memset(bad[1].mac, 0, 6);
	bad[2].ifname[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(berth_fw_batch_add_elems(b, &bad[i], 1), -EINVAL);
	assert_int_equal(berth_fw_elem_kind_from_string("macspoof"), BERTH_FW_ELEM_MACSPOOF);
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
		cmocka_unit_test(test_add_portmaps),
		cmocka_unit_test(test_del_portmaps),
		cmocka_unit_test(test_dns_redirect),
		cmocka_unit_test(test_portmap_validation),
		cmocka_unit_test(test_portmap_limits),
		cmocka_unit_test(test_empty_commit),
		cmocka_unit_test(test_cni_elems),
		cmocka_unit_test(test_cni_macspoof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
