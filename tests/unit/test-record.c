// SPDX-License-Identifier: Apache-2.0
/* State records (lib/state/record.h): format, validation, files. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "basic/error.h"
#include "state/record.h"

static struct berth_record *sample(const char *owner, const char *id, bool pending)
{
	struct berth_record *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->owner = strdup(owner);
	r->id = strdup(id);
	r->name = strdup("web");
	r->pending = pending;
	r->nets = calloc(1, sizeof(*r->nets));
	r->redirects = calloc(1, sizeof(*r->redirects));
	r->forwards = calloc(2, sizeof(*r->forwards));
	snprintf(r->nets[0].bridge, sizeof(r->nets[0].bridge), "podman1");
	assert_int_equal(berth_ipnet_parse("10.89.1.0/24", &r->nets[0].subnets[0]), 0);
	assert_int_equal(berth_ipnet_parse("fd10:89:1::/64", &r->nets[0].subnets[1]), 0);
	r->nets[0].n_subnets = 2;
	r->nets[0].isolate = BERTH_FW_ISOLATE_STRICT;
	r->n_nets = 1;
	assert_int_equal(berth_ip_parse("10.89.1.1", &r->redirects[0].gateway), 0);
	r->redirects[0].port = 5353;
	r->n_redirects = 1;
	struct berth_fw_portmap *p = &r->forwards[0];
	assert_int_equal(berth_ip_parse("0.0.0.0", &p->host_ip), 0);
	assert_int_equal(berth_ip_parse("10.89.1.2", &p->container_ip), 0);
	p->protocol = IPPROTO_TCP;
	p->host_port = 8080;
	p->container_port = 80;
	p->range = 1;
	p = &r->forwards[1];
	assert_int_equal(berth_ip_parse("2001:db8::1", &p->host_ip), 0);
	assert_int_equal(berth_ip_parse("fd10:89:1::2", &p->container_ip), 0);
	p->protocol = IPPROTO_UDP;
	p->host_port = 5000;
	p->container_port = 6000;
	p->range = 100;
	r->n_forwards = 2;
	return r;
}

static void test_round_trip(void **state)
{
	struct berth_record *r = sample("netavark", "0123abcd", true), *back = NULL;
	char *json = NULL, *again = NULL;
	size_t len;

	assert_int_equal(berth_record_to_json(r, &json, &len), 0);
	assert_int_equal(berth_record_from_json(json, len, &back), 0);
	assert_string_equal(back->owner, "netavark");
	assert_string_equal(back->id, "0123abcd");
	assert_string_equal(back->name, "web");
	assert_true(back->pending);
	assert_int_equal(back->n_nets, 1);
	assert_string_equal(back->nets[0].bridge, "podman1");
	assert_int_equal(back->nets[0].n_subnets, 2);
	assert_int_equal(back->nets[0].isolate, BERTH_FW_ISOLATE_STRICT);
	assert_int_equal(back->n_redirects, 1);
	assert_int_equal(back->redirects[0].port, 5353);
	assert_int_equal(back->n_forwards, 2);
	assert_memory_equal(back->forwards, r->forwards, 2 * sizeof(*r->forwards));
	assert_int_equal(berth_record_to_json(back, &again, NULL), 0);
	assert_string_equal(json, again);
	free(json);
	free(again);
	berth_record_free(r);
	berth_record_free(back);
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"version\":2,\"owner\":\"netavark\",\"id\":\"x\"}",
		"{\"version\":1,\"owner\":\"../x\",\"id\":\"x\"}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"\"}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"pending\":1}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"networks\":[{\"bridge\":\"averyveryverylongname\",\"subnets\":[],\"internal\":false,\"isolate\":\"none\"}]}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"networks\":[{\"bridge\":\"b\",\"subnets\":[\"10.0.0.0/33\"],\"internal\":false,\"isolate\":\"none\"}]}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"networks\":[{\"bridge\":\"b\",\"subnets\":[],\"internal\":false,\"isolate\":\"maybe\"}]}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"port_forwards\":[{\"host_ip\":\"0.0.0.0\",\"protocol\":\"tcp\",\"host_port\":65535,\"container_port\":80,\"range\":2,\"container_ip\":\"10.0.0.2\"}]}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"port_forwards\":[{\"host_ip\":\"::\",\"protocol\":\"tcp\",\"host_port\":1,\"container_port\":80,\"range\":1,\"container_ip\":\"10.0.0.2\"}]}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"port_forwards\":[{\"host_ip\":\"0.0.0.0\",\"protocol\":\"icmp\",\"host_port\":1,\"container_port\":80,\"range\":1,\"container_ip\":\"10.0.0.2\"}]}",
		"{\"version\":1,\"owner\":\"netavark\",\"id\":\"x\",\"dns_redirects\":[{\"gateway\":\"10.0.0.1\",\"port\":0}]}",
		"{\"version\":1,\"version\":1,\"owner\":\"netavark\",\"id\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct berth_record *r = NULL;
		int k = berth_record_from_json(bad[i], strlen(bad[i]), &r);
		if (k != -EINVAL)
			fail_msg("input %zu accepted (%d): %s", i, k, bad[i]);
		assert_null(r);
	}
}

static char tmpdir[64];

static int run_dir_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-record.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	setenv("BERTH_RUN_DIR", tmpdir, 1);
	return 0;
}

static int run_dir_teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	unsetenv("BERTH_RUN_DIR");
	return 0;
}

struct count {
	size_t n, pending;
};

static int count_cb(const struct berth_record *r, void *data)
{
	struct count *c = data;
	c->n++;
	c->pending += r->pending;
	return 0;
}

static void test_files(void **state)
{
	struct berth_record *a = sample("netavark", "aaaa", false);
	struct berth_record *b = sample("cni", "bbbb-eth0", true);
	/* An id that is no plain file name is stored under a hash, inside the directory. */
	struct berth_record *c = sample("netavark", "../../etc/passwd", false);
	struct berth_record *back = NULL;
	struct count cnt = { 0 };
	size_t bad = 0;
	char path[256];

	assert_int_equal(berth_record_write(a), 0);
	assert_int_equal(berth_record_write(b), 0);
	assert_int_equal(berth_record_write(c), 0);
	assert_int_equal(berth_record_load("netavark", "../../etc/passwd", &back), 0);
	assert_string_equal(back->id, "../../etc/passwd");
	berth_record_free(back);
	assert_int_equal(berth_record_load("netavark", "nosuch", &back), -ENOENT);
	assert_int_equal(berth_record_load("cni", "aaaa", &back), -ENOENT);

	assert_int_equal(berth_record_foreach(NULL, count_cb, &cnt, &bad), 0);
	assert_int_equal(cnt.n, 3);
	assert_int_equal(cnt.pending, 1);
	cnt = (struct count){ 0 };
	assert_int_equal(berth_record_foreach("cni", count_cb, &cnt, &bad), 0);
	assert_int_equal(cnt.n, 1);

	/* A file that does not parse is skipped and counted. */
	snprintf(path, sizeof(path), "%s/state/netavark/garbage.json", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{not json", f);
	fclose(f);
	cnt = (struct count){ 0 };
	assert_int_equal(berth_record_foreach(NULL, count_cb, &cnt, &bad), 0);
	assert_int_equal(cnt.n, 3);
	assert_int_equal(bad, 1);

	assert_int_equal(berth_record_remove("netavark", "aaaa"), 0);
	assert_int_equal(berth_record_remove("netavark", "aaaa"), 0); /* missing is fine */
	assert_int_equal(berth_record_remove("../x", "aaaa"), -EINVAL);
	cnt = (struct count){ 0 };
	assert_int_equal(berth_record_foreach("netavark", count_cb, &cnt, NULL), 0);
	assert_int_equal(cnt.n, 1);

	/* No temporary file is left behind. */
	snprintf(path, sizeof(path), "%s/state/netavark/aaaa.json.tmp", tmpdir);
	assert_int_equal(access(path, F_OK), -1);
	berth_record_free(a);
	berth_record_free(b);
	berth_record_free(c);
}

static void test_write_fails_cleanly(void **state)
{
	struct berth_record *a = sample("netavark", "ro", false), *back = NULL;
	char dir[256];

	/* The owner's directory replaced by a file: every write fails, also as root. */
	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/state/netavark", tmpdir);
	FILE *f = fopen(dir, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(berth_record_write(a), -ENOTDIR);
	assert_int_equal(berth_record_load("netavark", "ro", &back), -ENOTDIR);
	assert_null(back);
	berth_record_free(a);
}

/* The CNI plugins' fields: network, fw_elements; bad elements are refused. */
static void test_cni_fields(void **state)
{
	struct berth_record *r = sample("cni-portmap", "cid-eth0", false), *back = NULL;
	char *json = NULL, *again = NULL;
	size_t len;

	r->network = strdup("cninet");
	r->elems = calloc(4, sizeof(*r->elems));
	assert_non_null(r->elems);
	r->elems[0].kind = BERTH_FW_ELEM_HAIRPIN;
	assert_int_equal(berth_ipnet_parse("10.77.0.0/24", &r->elems[0].net), 0);
	assert_int_equal(berth_ip_parse("10.77.0.2", &r->elems[0].addr), 0);
	r->elems[1].kind = BERTH_FW_ELEM_ALLOW;
	assert_int_equal(berth_ip_parse("fd00::2", &r->elems[1].addr), 0);
	r->elems[2].kind = BERTH_FW_ELEM_SAME_BRIDGE;
	snprintf(r->elems[2].ifname, sizeof(r->elems[2].ifname), "cni0");
	r->elems[3].kind = BERTH_FW_ELEM_MACSPOOF;
	snprintf(r->elems[3].ifname, sizeof(r->elems[3].ifname), "veth0123abcd");
	memcpy(r->elems[3].mac, "\x02\x00\x5e\x00\x53\x01", 6);
	r->n_elems = 4;

	assert_int_equal(berth_record_to_json(r, &json, &len), 0);
	assert_non_null(strstr(json, "\"network\":\"cninet\""));
	assert_non_null(strstr(json, "\"fw_elements\":[{\"kind\":\"hairpin\",\"net\":\"10.77.0.0/24\","
				     "\"addr\":\"10.77.0.2\"},{\"kind\":\"allow\",\"addr\":\"fd00::2\"},"
				     "{\"kind\":\"same-bridge\",\"bridge\":\"cni0\"},"
				     "{\"kind\":\"macspoof\",\"port\":\"veth0123abcd\","
				     "\"mac\":\"02:00:5e:00:53:01\"}]"));
	assert_int_equal(berth_record_from_json(json, len, &back), 0);
	assert_string_equal(back->network, "cninet");
	assert_int_equal(back->n_elems, 4);
	for (size_t i = 0; i < 4; i++)
		assert_true(berth_fw_elem_equal(&back->elems[i], &r->elems[i]));
	assert_int_equal(berth_record_to_json(back, &again, NULL), 0);
	assert_string_equal(json, again);
	berth_record_free(back);
	back = NULL;

	static const char *const bad[] = {
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"fw_elements\":[{\"kind\":\"nope\"}]}",
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"fw_elements\":[{\"kind\":\"masq\","
		"\"net\":\"10.0.0.0/8\",\"addr\":\"fd00::1\"}]}",
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"fw_elements\":[{\"kind\":\"isolated\","
		"\"bridge\":\"much-too-long-name\"}]}",
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"fw_elements\":[{\"kind\":\"macspoof\","
		"\"port\":\"veth1\",\"mac\":\"not-a-mac\"}]}",
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"fw_elements\":[{\"kind\":\"macspoof\","
		"\"mac\":\"02:00:5e:00:53:01\"}]}",
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"fw_elements\":{}}",
		"{\"version\":1,\"owner\":\"cni\",\"id\":\"x\",\"network\":7}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(berth_record_from_json(bad[i], strlen(bad[i]), &back), -EINVAL);
	free(json);
	free(again);
	berth_record_free(r);
}

/* The owner search both front ends use: overlap, family, protocol, self skipped. */
static void test_forward_owner(void **state)
{
	struct berth_record *a = sample("netavark", "aaaa", false);
	struct berth_record *b = sample("cni-portmap", "cid-eth0", false);
	struct berth_record_owner ow;
	struct berth_fw_portmap q = b->forwards[1]; /* udp 5000-5099 on 2001:db8::1 */

	b->forwards[0].host_port = 9000;
	b->forwards[1].host_port = 7000;
	b->forwards[1].range = 1;
	assert_int_equal(berth_record_write(a), 0);
	assert_int_equal(berth_record_write(b), 0);

	q.host_port = 5099;
	q.range = 1;
	assert_int_equal(berth_record_forward_owner(&q, 1, "cni-portmap", "cid-eth0", &ow), 1);
	assert_string_equal(ow.owner, "netavark");
	assert_string_equal(ow.id, "aaaa");
	assert_string_equal(ow.name, "web");
	berth_record_owner_done(&ow);
	/* the owner itself is skipped */
	assert_int_equal(berth_record_forward_owner(&q, 1, "netavark", "aaaa", &ow), 0);
	q.protocol = IPPROTO_TCP;
	assert_int_equal(berth_record_forward_owner(&q, 1, NULL, NULL, &ow), 0);
	q = b->forwards[0]; /* tcp 9000 any */
	assert_int_equal(berth_record_forward_owner(&q, 1, "netavark", "aaaa", &ow), 1);
	assert_string_equal(ow.owner, "cni-portmap");
	berth_record_owner_done(&ow);
	q.host_port = 9001;
	assert_int_equal(berth_record_forward_owner(&q, 1, NULL, NULL, &ow), 0);
	berth_record_free(a);
	berth_record_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cni_fields),
		cmocka_unit_test_setup_teardown(test_forward_owner, run_dir_setup, run_dir_teardown),
		cmocka_unit_test_setup_teardown(test_files, run_dir_setup, run_dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_cleanly, run_dir_setup,
						run_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
