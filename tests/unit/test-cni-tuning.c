// SPDX-License-Identifier: Apache-2.0
/*
 * The tuning plugin's config handling, without a kernel: sysctl key
 * resolution (IFNAME, dotted and slashed keys, only under net/), conflicting
 * keys, the precedence of config, CNI_ARGS MAC, runtimeConfig.mac and
 * args.cni, typed keys, the allow-list, the state directory.
 * tuning.c is compiled in (its main() renamed) to reach its static functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

int tuning_main(int argc, char **argv);
#define main tuning_main
#include "tuning/tuning.c"
#undef main

#include <fcntl.h>

/* A request as the skeleton builds it, for config text and CNI_ARGS. */
struct fixture {
	struct cni_request req;
	struct tuning_conf conf;
	struct cni_error *err;
};

static int parse(struct fixture *f, const char *config, const char *args)
{
	memset(f, 0, sizeof(*f));
	f->req.ifname = "eth0";
	f->req.container_id = "c1";
	f->req.config = json_loads(config, 0, NULL);
	assert_non_null(f->req.config);
	f->req.runtime_config = cni_json_get(f->req.config, "runtimeConfig");
	f->req.args_cni = cni_json_get(cni_json_get(f->req.config, "args"), "cni");
	assert_int_equal(cni_args_parse(args, &f->req.args, &f->req.n_args, &f->err), 0);
	return conf_parse(&f->req, &f->conf, &f->err);
}

static void done(struct fixture *f)
{
	json_decref(f->req.config);
	cni_args_free(f->req.args, f->req.n_args);
	cni_error_free(f->err);
}

static void test_sysctl_resolve(void **state)
{
	char buf[TUNING_MAX_KEY + BERTH_IFNAMSIZ];
	const char *ok[][3] = {
	    {"net.ipv4.conf.IFNAME.arp_ignore", "eth0", "net/ipv4/conf/eth0/arp_ignore"},
	    {"net.ipv4.conf.IFNAME.arp_ignore", "eth0.100", "net/ipv4/conf/eth0.100/arp_ignore"},
	    {"net/ipv4/conf/eth0.100/rp_filter", "eth0", "net/ipv4/conf/eth0.100/rp_filter"},
	    {"net.core.somaxconn", "eth0", "net/core/somaxconn"},
	    {"net.ipv6.conf.IFNAME.IFNAME", "e1", "net/ipv6/conf/e1/IFNAME"}, /* first only */
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(sysctl_resolve(ok[i][0], ok[i][1], buf, sizeof(buf), NULL), 0);
		assert_string_equal(buf, ok[i][2]);
	}
	const char *bad[] = {
	    "kernel.hostname",
	    "net",
	    "net.",
	    "net..x",
	    "net/../kernel/x",
	    "net/./x",
	    "",
	    "netfoo.x",
	    "/net/x",
	    "net/x/",
	    "vm.swappiness",
	    "net.ipv4.IFNAME",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_cni_error_ struct cni_error *e = NULL;
		/* An ifname of "" (IFNAME) leaves an empty path component. */
		assert_int_equal(sysctl_resolve(bad[i], "", buf, sizeof(buf), &e), -EINVAL);
		assert_int_equal(e->code, CNI_ERR_INVALID_CONFIG);
		assert_string_equal(e->msg, "invalid net sysctl key");
	}
	char longkey[TUNING_MAX_KEY + 8];
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	memcpy(longkey, "net.", 4);
	assert_int_equal(sysctl_resolve(longkey, "eth0", buf, sizeof(buf), NULL), -EINVAL);
}

static void test_precedence(void **state)
{
	struct fixture f;
	assert_int_equal(parse(&f, "{\"mac\":\"c2:00:00:00:00:01\",\"mtu\":1400}", NULL), 0);
	assert_string_equal(f.conf.mac_str, "c2:00:00:00:00:01");
	assert_int_equal(f.conf.mtu, 1400);
	done(&f);

	assert_int_equal(parse(&f, "{\"mac\":\"c2:00:00:00:00:01\"}", "MAC=c2:00:00:00:00:02"), 0);
	assert_string_equal(f.conf.mac_str, "c2:00:00:00:00:02");
	done(&f);

	assert_int_equal(parse(&f,
			       "{\"mac\":\"c2:00:00:00:00:01\","
			       "\"runtimeConfig\":{\"mac\":\"c2:00:00:00:00:03\"}}",
			       "MAC=c2:00:00:00:00:02"),
			 0);
	assert_string_equal(f.conf.mac_str, "c2:00:00:00:00:03");
	done(&f);

	assert_int_equal(
	    parse(&f,
		  "{\"mac\":\"c2:00:00:00:00:01\",\"mtu\":1400,\"promisc\":false,"
		  "\"sysctl\":{\"net.core.somaxconn\":\"1\",\"net.ipv4.ip_forward\":\"0\"},"
		  "\"runtimeConfig\":{\"mac\":\"c2:00:00:00:00:03\"},"
		  "\"args\":{\"cni\":{\"mac\":\"c2:00:00:00:00:04\",\"mtu\":1300,"
		  "\"promisc\":true,\"allmulti\":false,\"txQLen\":5,"
		  "\"sysctl\":{\"net/core/somaxconn\":\"2\"}}}}",
		  "MAC=c2:00:00:00:00:02"),
	    0);
	assert_string_equal(f.conf.mac_str, "c2:00:00:00:00:04");
	assert_int_equal(f.conf.mtu, 1300);
	assert_true(f.conf.promisc);
	assert_true(f.conf.has_allmulti);
	assert_false(f.conf.allmulti);
	assert_true(f.conf.has_txqlen);
	assert_int_equal(f.conf.txqlen, 5);
	/* args.cni.sysctl overrides the same file, keeps the others. */
	assert_int_equal(f.conf.n_sysctl, 2);
	assert_string_equal(f.conf.sysctl[0].path, "net/core/somaxconn");
	assert_string_equal(f.conf.sysctl[0].value, "2");
	assert_string_equal(f.conf.sysctl[1].path, "net/ipv4/ip_forward");
	done(&f);

	/* Capitalised keys, as Go's encoding/json accepts them. */
	assert_int_equal(
	    parse(&f, "{\"MTU\":1280,\"TxQLen\":9,\"SysCtl\":{\"net.core.x\":\"1\"}}", NULL), 0);
	assert_int_equal(f.conf.mtu, 1280);
	assert_int_equal(f.conf.txqlen, 9);
	assert_int_equal(f.conf.n_sysctl, 1);
	done(&f);
}

static void test_bad_config(void **state)
{
	struct fixture f;
	const char *bad[][2] = {
	    {"{\"promisc\":\"yes\"}", "invalid configuration field 'promisc'"},
	    {"{\"mtu\":70000}", "invalid configuration field 'mtu'"},
	    {"{\"txQLen\":-1}", "invalid configuration field 'txQLen'"},
	    {"{\"mac\":\"zz\"}", "invalid configuration field"},
	    {"{\"sysctl\":[]}", "invalid configuration field 'sysctl'"},
	    {"{\"sysctl\":{\"net.core.x\":1}}", "invalid configuration field"},
	    {"{\"sysctl\":{\"kernel.x\":\"1\"}}", "invalid net sysctl key"},
	    {"{\"sysctl\":{\"net.ipv4.conf.IFNAME.x\":\"1\",\"net.ipv4.conf.eth0.x\":\"2\"}}",
	     "duplicated sysctl keys are not allowed"},
	    {"{\"sysctl\":{\"net.a.b\":\"1\",\"net/a/b\":\"2\"}}",
	     "duplicated sysctl keys are not allowed"},
	    {"{\"dataDir\":\"relative\"}", "invalid configuration field 'dataDir'"},
	    {"{\"args\":{\"cni\":{\"mtu\":\"1\"}}}", "invalid configuration field 'args.cni.mtu'"},
	    {"{\"runtimeConfig\":{\"mac\":\"nope\"}}", "invalid configuration field"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(parse(&f, bad[i][0], NULL), -EINVAL);
		assert_non_null(f.err);
		assert_int_equal(f.err->code, CNI_ERR_INVALID_CONFIG);
		assert_string_equal(f.err->msg, bad[i][1]);
		done(&f);
	}
	assert_int_equal(parse(&f, "{}", "MAC=nope"), -EINVAL);
	assert_non_null(strstr(f.err->details, "CNI_ARGS MAC"));
	done(&f);

	/* Too many sysctls. */
	size_t cap = 40 * (TUNING_MAX_SYSCTLS + 2);
	char *big = malloc(cap);
	size_t n = (size_t)snprintf(big, cap, "{\"sysctl\":{");
	for (unsigned i = 0; i <= TUNING_MAX_SYSCTLS; i++)
		n += (size_t)snprintf(big + n, cap - n, "%s\"net.k%u\":\"1\"", i ? "," : "", i);
	snprintf(big + n, cap - n, "}}");
	assert_int_equal(parse(&f, big, NULL), -EINVAL);
	done(&f);
	free(big);
}

static void test_state_dir(void **state)
{
	struct fixture f;
	setenv("BERTH_RUN_DIR", "/tmp/berth-run", 1);
	assert_int_equal(parse(&f, "{}", NULL), 0);
	assert_string_equal(f.conf.state_dir, "/tmp/berth-run/cni/tuning");
	done(&f);
	unsetenv("BERTH_RUN_DIR");
	assert_int_equal(parse(&f, "{}", NULL), 0);
	assert_string_equal(f.conf.state_dir, "/run/berth/cni/tuning");
	done(&f);
	assert_int_equal(parse(&f, "{\"dataDir\":\"/var/lib/x\"}", NULL), 0);
	assert_string_equal(f.conf.state_dir, "/var/lib/x");
	done(&f);
	char name[64];
	f.req.container_id = "c1";
	f.req.ifname = "eth0";
	assert_int_equal(state_name(&f.req, name, sizeof(name)), 0);
	assert_string_equal(name, "c1_eth0.json");
}

static void test_allowlist(void **state)
{
	char path[] = "/tmp/test-cni-tuning-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *list = "  ^net\\.core\\.somaxconn$  \n\n^net\\.ipv4\\.conf\\.IFNAME\\.\r\n";
	assert_int_equal(write(fd, list, strlen(list)), (ssize_t)strlen(list));
	close(fd);
	setenv("BERTH_CNI_TUNING_ALLOWLIST", path, 1);

	struct fixture f;
	assert_int_equal(parse(&f,
			       "{\"sysctl\":{\"net.core.somaxconn\":\"1\","
			       "\"net.ipv4.conf.IFNAME.arp_ignore\":\"1\"}}",
			       NULL),
			 0);
	assert_int_equal(allowlist_check(&f.conf, &f.err), 0);
	done(&f);
	/* Matched against the key as written: eth0 instead of IFNAME is not on the list. */
	assert_int_equal(parse(&f, "{\"sysctl\":{\"net.ipv4.conf.eth0.arp_ignore\":\"1\"}}", NULL),
			 0);
	assert_int_equal(allowlist_check(&f.conf, &f.err), -EPERM);
	assert_string_equal(f.err->msg, "sysctl is not allowed");
	done(&f);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "([unclosed\n", 11), 11);
	close(fd);
	assert_int_equal(parse(&f, "{\"sysctl\":{\"net.core.somaxconn\":\"1\"}}", NULL), 0);
	assert_int_equal(allowlist_check(&f.conf, &f.err), -EINVAL);
	assert_string_equal(f.err->msg, "invalid sysctl allow-list pattern");
	done(&f);

	/* No file: everything under net/ is allowed. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(parse(&f, "{\"sysctl\":{\"net.core.somaxconn\":\"1\"}}", NULL), 0);
	assert_int_equal(allowlist_check(&f.conf, &f.err), 0);
	done(&f);
	unsetenv("BERTH_CNI_TUNING_ALLOWLIST");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sysctl_resolve), cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_bad_config),	   cmocka_unit_test(test_state_dir),
	    cmocka_unit_test(test_allowlist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
