// SPDX-License-Identifier: Apache-2.0
/*
 * The CNI skeleton: environment validation per verb, stdin limits, config
 * keys (case-insensitive, typed), CNI_ARGS, version gate, error JSON,
 * results in every version's shape, prevResult round trips, GC attachments.
 * Every case drives cni_skel_run() with its own environment, stdin and
 * stdout, through a dummy plugin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cni.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* --- the harness ------------------------------------------------------------------------- */

static const char *const *cur_env;

static const char *fake_getenv(const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = cur_env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* What the dummy plugin saw. */
static struct {
	int calls;
	enum cni_cmd cmd;
	bool had_prev;
	size_t n_prev_ips;
	size_t n_attachments;
	char first_attachment[64];
	char rc_key_value[64];
	char arg_mac[32];
	const char *netns;
} seen;

static int dummy_common(struct cni_request *req, struct cni_error **reterr)
{
	const char *s = NULL;
	seen.calls++;
	seen.cmd = req->cmd;
	seen.had_prev = req->prev_result != NULL;
	seen.n_prev_ips = req->prev_result ? req->prev_result->n_ips : 0;
	seen.netns = req->netns;
	if (req->runtime_config) {
		json_t *pm = cni_json_get(req->runtime_config, "portMappings");
		json_t *first = json_array_get(pm, 0);
		long long port = 0;
		int r = cni_json_int(first, "runtimeConfig.portMappings[0]", "hostPort", 1, 65535,
				     &port, reterr);
		if (r < 0)
			return r;
		snprintf(seen.rc_key_value, sizeof(seen.rc_key_value), "%lld", port);
	}
	const char *mac = cni_request_arg(req, "MAC");
	snprintf(seen.arg_mac, sizeof(seen.arg_mac), "%s", mac ? mac : "");
	long long mtu;
	int r = cni_json_int(req->config, "", "mtu", 0, 65536, &mtu, reterr);
	if (r < 0)
		return r;
	r = cni_json_string(req->config, "", "failWith", 64, &s, reterr);
	if (r > 0)
		return cni_error_set(reterr, EIO, 110, "asked to fail", "%s", s);
	return 0;
}

static int dummy_add(struct cni_request *req, struct cni_result **ret, struct cni_error **reterr)
{
	int r = dummy_common(req, reterr);
	if (r < 0)
		return r;
	if (req->prev_result) {
		*ret = TAKE_PTR(req->prev_result);
		return 0;
	}
	struct cni_result *res = cni_result_new();
	struct cni_ipconfig ip = {.interface = 0};
	assert_non_null(res);
	assert_int_equal(cni_result_add_interface(res, "eth0", "aa:bb:cc:dd:ee:ff", "/x"), 0);
	assert_int_equal(berth_ipnet_parse("10.1.0.5/16", &ip.address), 0);
	assert_int_equal(cni_result_add_ip(res, &ip), 0);
	*ret = res;
	return 0;
}

static int dummy_verb(struct cni_request *req, struct cni_error **reterr)
{
	return dummy_common(req, reterr);
}

static int dummy_gc(struct cni_request *req, struct cni_error **reterr)
{
	seen.calls++;
	seen.cmd = req->cmd;
	seen.n_attachments = req->n_valid_attachments;
	if (req->n_valid_attachments)
		snprintf(seen.first_attachment, sizeof(seen.first_attachment), "%s/%s",
			 req->valid_attachments[0].container_id, req->valid_attachments[0].ifname);
	return 0;
}

static const char *const dummy_args[] = {"MAC", NULL};

static const struct cni_plugin dummy = {
    .name = "dummy",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = dummy_args,
    .add = dummy_add,
    .del = dummy_verb,
    .check = dummy_verb,
    .gc = dummy_gc,
};

static char out_buf[1 << 16], err_buf[1 << 12];

static char *slurp(FILE *f, char *buf, size_t size)
{
	rewind(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Run the dummy plugin; returns the exit status, stdout in out_buf. */
static int run_with(const struct cni_plugin *p, const char *const *envv, const void *in,
		    size_t in_len)
{
	int fd = memfd_create("stdin", MFD_CLOEXEC);
	assert_true(fd >= 0);
	size_t done = 0;
	while (done < in_len) {
		ssize_t k = write(fd, (const char *)in + done, in_len - done);
		assert_true(k > 0);
		done += (size_t)k;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	FILE *out = tmpfile(), *err = tmpfile();
	assert_non_null(out);
	assert_non_null(err);
	struct cni_io io = {.getenv = fake_getenv, .in_fd = fd, .out = out, .err = err};
	memset(&seen, 0, sizeof(seen));
	cur_env = envv;
	int st = cni_skel_run(p, &io);
	close(fd);
	slurp(out, out_buf, sizeof(out_buf));
	slurp(err, err_buf, sizeof(err_buf));
	return st;
}

static int run(const char *const *envv, const char *in)
{
	return run_with(&dummy, envv, in, strlen(in));
}

/* The error code printed on stdout (-1 when there is no error object). */
static int out_code(void)
{
	json_auto_t *j = json_loads(out_buf, 0, NULL);
	json_t *c = json_object_get(j, "code");
	return json_is_integer(c) ? (int)json_integer_value(c) : -1;
}

static const char *out_str(const char *key, char *buf, size_t size)
{
	json_auto_t *j = json_loads(out_buf, 0, NULL);
	snprintf(buf, size, "%s", json_string_value(json_object_get(j, key)) ?: "");
	return buf;
}

#define ENV_ADD                                                                                    \
	"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/nonexistent/ns", "CNI_IFNAME=eth0"
static const char *const env_add[] = {ENV_ADD, NULL};
static const char *const conf_1_0[] = {NULL};
#define CONF(v) "{\"cniVersion\":\"" v "\",\"name\":\"net1\",\"type\":\"dummy\"}"

/* --- environment --------------------------------------------------------------------------- */

static void test_env_missing(void **state)
{
	char msg[256];
	const char *const e1[] = {"CNI_COMMAND=ADD", "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(e1, CONF("1.0.0")), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_ENV);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "required env variables [CNI_CONTAINERID,CNI_NETNS] missing");
	assert_int_equal(seen.calls, 0);

	/* Empty counts as unset (libcni exports every variable). */
	const char *const e2[] = {"CNI_COMMAND=CHECK", "CNI_CONTAINERID=c1",
				  "CNI_NETNS=", "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(e2, CONF("1.0.0")), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "required env variables [CNI_NETNS] missing");

	/* DEL tolerates an empty CNI_NETNS. */
	const char *const e3[] = {"CNI_COMMAND=DEL", "CNI_CONTAINERID=c1",
				  "CNI_NETNS=", "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(e3, CONF("1.0.0")), 0);
	assert_int_equal(seen.calls, 1);
	assert_null(seen.netns);
	assert_string_equal(out_buf, "");

	/* DEL still needs the id and the ifname. */
	const char *const e4[] = {"CNI_COMMAND=DEL", NULL};
	assert_int_equal(run(e4, CONF("1.0.0")), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "required env variables [CNI_CONTAINERID,CNI_IFNAME] missing");
}

static void test_env_syntax(void **state)
{
	char msg[256];
	const char *const bad_id[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=-abc", "CNI_NETNS=/x",
				      "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(bad_id, CONF("1.0.0")), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_ENV);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "invalid characters in containerID");

	const char *const slash_id[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=a/b", "CNI_NETNS=/x",
					"CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(slash_id, CONF("1.0.0")), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_ENV);

	static char long_id[300];
	memset(long_id, 'a', sizeof(long_id) - 1);
	memcpy(long_id, "CNI_CONTAINERID=", 16);
	const char *const too_long_id[] = {"CNI_COMMAND=ADD", long_id, "CNI_NETNS=/x",
					   "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(too_long_id, CONF("1.0.0")), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "containerID is too long");

	const char *ifnames[][2] = {
	    {"CNI_IFNAME=abcdefghijklmnop", "interface name is too long"},
	    {"CNI_IFNAME=.", "interface name is . or .."},
	    {"CNI_IFNAME=..", "interface name is . or .."},
	    {"CNI_IFNAME=a/b", "interface name contains / or : or whitespace characters"},
	    {"CNI_IFNAME=a:b", "interface name contains / or : or whitespace characters"},
	    {"CNI_IFNAME=a b", "interface name contains / or : or whitespace characters"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ifnames); i++) {
		const char *const e[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/x",
					 ifnames[i][0], NULL};
		assert_int_equal(run(e, CONF("1.0.0")), 1);
		assert_int_equal(out_code(), CNI_ERR_INVALID_ENV);
		assert_string_equal(out_str("msg", msg, sizeof(msg)), ifnames[i][1]);
	}
	/* 15 bytes is fine. */
	const char *const ok[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=a.b_c-1", "CNI_NETNS=/x",
				  "CNI_IFNAME=abcdefghijklmno", NULL};
	assert_int_equal(run(ok, CONF("1.0.0")), 0);

	const char *const unknown[] = {"CNI_COMMAND=FROB", NULL};
	assert_int_equal(run(unknown, ""), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_ENV);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "unknown CNI_COMMAND");

	/* No command at all: the about text on stderr, exit 0, nothing on stdout. */
	const char *const none[] = {NULL};
	assert_int_equal(run(none, ""), 0);
	assert_string_equal(out_buf, "");
	assert_non_null(strstr(err_buf, "CNI protocol versions supported: 0.1.0"));
}

static void test_netns_own(void **state)
{
	const char *const e[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1",
				 "CNI_NETNS=/proc/self/ns/net", "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(e, CONF("1.0.0")), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_NETNS);
	const char *const o[] = {
	    "CNI_COMMAND=ADD", "CNI_CONTAINERID=c1",   "CNI_NETNS=/proc/self/ns/net",
	    "CNI_IFNAME=eth0", "CNI_NETNS_OVERRIDE=1", NULL};
	assert_int_equal(run(o, CONF("1.0.0")), 0);
}

/* --- stdin and config ---------------------------------------------------------------------- */

static void test_stdin_errors(void **state)
{
	char msg[256];
	assert_int_equal(run(env_add, "{not json"), 1);
	assert_int_equal(out_code(), CNI_ERR_DECODE);
	assert_int_equal(run(env_add, "[1,2]"), 1);
	assert_int_equal(out_code(), CNI_ERR_DECODE);
	/* Duplicate keys are ambiguous: rejected. */
	assert_int_equal(run(env_add, "{\"name\":\"a\",\"name\":\"b\"}"), 1);
	assert_int_equal(out_code(), CNI_ERR_DECODE);

	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\"}"), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_CONFIG);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "missing network name");
	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"a b\"}"), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "invalid characters found in network name");
	assert_int_equal(run(env_add, "{\"cniVersion\":1,\"name\":\"n\"}"), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_CONFIG);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "invalid configuration field 'cniVersion'");
}

static void test_stdin_limit(void **state)
{
	size_t n = CNI_MAX_STDIN + 10;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, CONF("1.0.0"), strlen(CONF("1.0.0")));
	assert_int_equal(run_with(&dummy, env_add, big, n), 1);
	assert_int_equal(out_code(), CNI_ERR_IO);
	/* Just under the limit is fine. */
	assert_int_equal(run_with(&dummy, env_add, big, CNI_MAX_STDIN), 0);
	free(big);
}

static void test_keys_case_insensitive(void **state)
{
	json_auto_t *o = json_loads("{\"HostPort\":1,\"hostport\":2,\"mtu\":3}", 0, NULL);
	assert_int_equal(json_integer_value(cni_json_get(o, "hostPort")), 1); /* first folded */
	assert_int_equal(json_integer_value(cni_json_get(o, "hostport")), 2); /* exact wins */
	assert_int_equal(json_integer_value(cni_json_get(o, "MTU")), 3);
	assert_null(cni_json_get(o, "missing"));

	/* Through the skeleton: containerd's capitalised portMappings keys. */
	assert_int_equal(run(env_add,
			     "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"RuntimeConfig\":"
			     "{\"PortMappings\":[{\"HostPort\":8080,\"ContainerPort\":80}]}}"),
			 0);
	assert_string_equal(seen.rc_key_value, "8080");
	/* Unknown keys are accepted. */
	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"whatever\":[{}],"
				      "\"capabilities\":{\"portMappings\":true}}"),
			 0);
}

static void test_keys_typed(void **state)
{
	char msg[256], det[256];
	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"MTU\":\"1500\"}"),
			 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_CONFIG);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "invalid configuration field 'MTU'");
	assert_string_equal(out_str("details", det, sizeof(det)),
			    "expected an integer, got a string");
	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":70000}"),
			 1);
	assert_non_null(strstr(out_str("details", det, sizeof(det)), "[0, 65536]"));
	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":"
				      "{\"portMappings\":[{\"hostPort\":\"x\"}]}}"),
			 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "invalid configuration field 'runtimeConfig.portMappings[0].hostPort'");
	assert_int_equal(run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"args\":[]}"), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "invalid configuration field 'args'");
	assert_int_equal(
	    run(env_add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"args\":{\"cni\":1}}"), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)),
			    "invalid configuration field 'args.cni'");

	/* The boolean-or-string keys of the list (disableCheck). */
	json_auto_t *o = json_loads("{\"a\":\"true\",\"b\":false,\"c\":\"yes\"}", 0, NULL);
	_cleanup_cni_error_ struct cni_error *err = NULL;
	bool b = false;
	assert_int_equal(cni_json_boolish(o, "", "a", &b, &err), 1);
	assert_true(b);
	assert_int_equal(cni_json_boolish(o, "", "b", &b, &err), 1);
	assert_false(b);
	assert_int_equal(cni_json_boolish(o, "", "c", &b, &err), -EINVAL);
	assert_int_equal(err->code, CNI_ERR_INVALID_CONFIG);
}

/* --- CNI_ARGS --------------------------------------------------------------------------------- */

static void test_cni_args(void **state)
{
	char msg[256];
	const char *const e1[] = {ENV_ADD, "CNI_ARGS=MAC=aa:bb:cc:dd:ee:ff", NULL};
	assert_int_equal(run(e1, CONF("1.0.0")), 0);
	assert_string_equal(seen.arg_mac, "aa:bb:cc:dd:ee:ff");

	const char *const e2[] = {ENV_ADD, "CNI_ARGS=MAC=x;K8S_POD_NAME=p", NULL};
	assert_int_equal(run(e2, CONF("1.0.0")), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_ENV);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "ARGS: unknown args");

	const char *const e3[] = {
	    ENV_ADD, "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;MAC=m", NULL};
	assert_int_equal(run(e3, CONF("1.0.0")), 0);
	assert_string_equal(seen.arg_mac, "m");

	/* Keys are case-sensitive. */
	const char *const e4[] = {ENV_ADD, "CNI_ARGS=mac=x", NULL};
	assert_int_equal(run(e4, CONF("1.0.0")), 1);

	const char *const e5[] = {ENV_ADD, "CNI_ARGS=IgnoreUnknown=1;novalue", NULL};
	assert_int_equal(run(e5, CONF("1.0.0")), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "ARGS: invalid pair");
	const char *const e6[] = {ENV_ADD, "CNI_ARGS=IgnoreUnknown=1;a=b=c", NULL};
	assert_int_equal(run(e6, CONF("1.0.0")), 1);

	/* Bounded number of pairs. */
	static char many[16 + 4 * (CNI_MAX_ARGS + 1)];
	size_t n = (size_t)snprintf(many, sizeof(many), "CNI_ARGS=");
	for (unsigned i = 0; i <= CNI_MAX_ARGS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%sa=b", i ? ";" : "");
	const char *const e7[] = {ENV_ADD, many, NULL};
	assert_int_equal(run(e7, CONF("1.0.0")), 1);
	assert_string_equal(out_str("msg", msg, sizeof(msg)), "ARGS: too many pairs");

	/* A plugin that does not interpret CNI_ARGS ignores unknown keys. */
	struct cni_plugin p = dummy;
	p.args_keys = NULL;
	assert_int_equal(run_with(&p, e2, CONF("1.0.0"), strlen(CONF("1.0.0"))), 0);
}

/* --- versions -----------------------------------------------------------------------------------
 */

static void test_versions(void **state)
{
	char det[256];
	assert_int_equal(run(env_add, CONF("0.9.9")), 1);
	assert_int_equal(out_code(), CNI_ERR_INCOMPATIBLE_VERSION);
	assert_string_equal(out_str("details", det, sizeof(det)),
			    "config is \"0.9.9\", plugin supports [\"0.1.0\" \"0.2.0\" \"0.3.0\" "
			    "\"0.3.1\" \"0.4.0\" \"1.0.0\" \"1.1.0\"]");

	struct cni_plugin p = dummy;
	p.min_version = CNI_VERSION_0_4_0;
	assert_int_equal(run_with(&p, env_add, CONF("0.3.1"), strlen(CONF("0.3.1"))), 1);
	assert_int_equal(out_code(), CNI_ERR_INCOMPATIBLE_VERSION);

	const char *const check[] = {"CNI_COMMAND=CHECK", "CNI_CONTAINERID=c1", "CNI_NETNS=/x",
				     "CNI_IFNAME=eth0", NULL};
	assert_int_equal(run(check, CONF("0.3.1")), 1);
	assert_int_equal(out_code(), CNI_ERR_INCOMPATIBLE_VERSION);
	assert_int_equal(run(check, CONF("0.4.0")), 0);
	assert_int_equal(seen.cmd, CNI_CMD_CHECK);

	/* VERSION echoes a known request version and lists what the plugin supports. */
	const char *const ver[] = {"CNI_COMMAND=VERSION", NULL};
	assert_int_equal(run(ver, "{\"cniVersion\":\"0.4.0\"}"), 0);
	assert_string_equal(out_buf,
			    "{\"cniVersion\":\"0.4.0\",\"supportedVersions\":[\"0.1.0\","
			    "\"0.2.0\",\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}");
	assert_int_equal(run_with(&p, ver, "", 0), 0);
	assert_string_equal(out_buf, "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.4.0\","
				     "\"1.0.0\",\"1.1.0\"]}");

	/* A missing cniVersion is 0.1.0 (and the result is 0.2-shaped). */
	assert_int_equal(run(env_add, "{\"name\":\"n\"}"), 0);
	assert_string_equal(out_buf, "{\"cniVersion\":\"0.1.0\",\"ip4\":{\"ip\":\"10.1.0.5/16\"},"
				     "\"dns\":{}}");
}

static void test_gc_status(void **state)
{
	const char *const gc[] = {"CNI_COMMAND=GC", "CNI_PATH=/x", NULL};
	assert_int_equal(
	    run(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":"
		    "[{\"containerID\":\"c1\",\"ifname\":\"eth0\"},"
		    "{\"containerID\":\"c2\",\"ifname\":\"eth1\"}]}"),
	    0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.n_attachments, 2);
	assert_string_equal(seen.first_attachment, "c1/eth0");
	assert_string_equal(out_buf, "");

	/* Malformed attachments are an error naming the entry. */
	assert_int_equal(
	    run(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":"
		    "[{\"containerID\":\"c1\"}]}"),
	    1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_CONFIG);
	assert_int_equal(seen.calls, 0);

	/* Below 1.1.0 GC and STATUS succeed without calling the plugin. */
	assert_int_equal(run(gc, CONF("1.0.0")), 0);
	assert_int_equal(seen.calls, 0);
	const char *const st[] = {"CNI_COMMAND=STATUS", NULL};
	assert_int_equal(run(st, CONF("1.1.0")), 0); /* no status callback: ready */
	assert_string_equal(out_buf, "");
}

/* --- errors
 * ----------------------------------------------------------------------------------------- */

static void test_error_json(void **state)
{
	assert_int_equal(
	    run(env_add, "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"failWith\":\"x\"}"), 1);
	assert_string_equal(out_buf, "{\"cniVersion\":\"0.4.0\",\"code\":110,\"msg\":\"asked to "
				     "fail\",\"details\":\"x\"}");

	_cleanup_cni_error_ struct cni_error *e = NULL;
	assert_int_equal(cni_error_set(&e, -ENOENT, 7, "m", NULL), -ENOENT);
	json_auto_t *j = cni_error_to_json(e, NULL);
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"code\":7,\"msg\":\"m\"}");
	assert_int_equal(cni_error_wrap(&e, "ctx %d", 1), -ENOENT);
	assert_string_equal(e->msg, "ctx 1: m");
	assert_int_equal(e->errnum, ENOENT);
}

/* --- results
 * -------------------------------------------------------------------------------------- */

static const char *full_1_1 =
    "{\"cniVersion\":\"1.1.0\","
    "\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"de:ad:be:ef:00:01\"},"
    "{\"name\":\"veth1\",\"mac\":\"de:ad:be:ef:00:02\",\"mtu\":1400},"
    "{\"name\":\"eth0\",\"mac\":\"de:ad:be:ef:00:03\",\"mtu\":1400,\"sandbox\":\"/run/netns/b\","
    "\"socketPath\":\"/s\",\"pciID\":\"0000:00:01.0\"}],"
    "\"ips\":[{\"interface\":2,\"address\":\"10.1.0.5/16\",\"gateway\":\"10.1.0.1\"},"
    "{\"interface\":2,\"address\":\"2001:db8::5/64\",\"gateway\":\"2001:db8::1\"},"
    "{\"address\":\"10.2.0.5/24\"}],"
    "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.168.0.0/16\",\"gw\":\"10.1.0.254\","
    "\"mtu\":1300,\"advmss\":1200,\"priority\":10,\"table\":100,\"scope\":0},"
    "{\"dst\":\"::/0\",\"gw\":\"2001:db8::1\"}],"
    "\"dns\":{\"nameservers\":[\"10.1.0.1\"],\"domain\":\"d\",\"search\":[\"a\",\"b\"],"
    "\"options\":[\"ndots:2\"]}}";

static char *emit(const struct cni_result *r, enum cni_version v)
{
	json_auto_t *j = NULL;
	_cleanup_cni_error_ struct cni_error *err = NULL;
	if (cni_result_to_json(r, v, &j, &err) < 0)
		return NULL;
	return json_dumps(j, JSON_COMPACT);
}

static struct cni_result *parse(const char *s, enum cni_version v)
{
	json_auto_t *j = json_loads(s, 0, NULL);
	struct cni_result *r = NULL;
	_cleanup_cni_error_ struct cni_error *err = NULL;
	assert_non_null(j);
	if (cni_result_from_json(j, v, "prevResult", &r, &err) < 0)
		return NULL;
	return r;
}

static void test_result_every_version(void **state)
{
	_cleanup_cni_result_ struct cni_result *r = parse(full_1_1, CNI_VERSION_1_1_0);
	assert_non_null(r);
	assert_int_equal(r->n_interfaces, 3);
	assert_int_equal(r->n_ips, 3);
	assert_int_equal(r->n_routes, 3);

	/* 1.1.0: everything, byte for byte. */
	_cleanup_free_ char *v110 = emit(r, CNI_VERSION_1_1_0);
	assert_string_equal(v110, full_1_1);

	/* 1.0.0: no interface mtu/socketPath/pciID. */
	_cleanup_free_ char *v100 = emit(r, CNI_VERSION_1_0_0);
	assert_non_null(strstr(v100, "\"cniVersion\":\"1.0.0\""));
	assert_null(strstr(v100, "socketPath"));
	assert_null(strstr(v100, "pciID"));
	assert_null(strstr(v100, "{\"name\":\"veth1\",\"mac\":\"de:ad:be:ef:00:02\",\"mtu\""));
	assert_null(strstr(v100, "\"version\""));

	/* 0.4.0 / 0.3.1 / 0.3.0: ips[].version, route extras passed through. */
	enum cni_version old[] = {CNI_VERSION_0_4_0, CNI_VERSION_0_3_1, CNI_VERSION_0_3_0};
	for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
		_cleanup_free_ char *s = emit(r, old[i]);
		char want[64];
		snprintf(want, sizeof(want), "\"cniVersion\":\"%s\"",
			 cni_version_to_string(old[i]));
		assert_non_null(strstr(s, want));
		assert_non_null(
		    strstr(s, "{\"version\":\"4\",\"interface\":2,\"address\":\"10.1.0.5/16\""));
		assert_non_null(
		    strstr(s, "{\"version\":\"6\",\"interface\":2,\"address\":\"2001:db8::5/64\""));
		assert_non_null(strstr(s, "{\"version\":\"4\",\"address\":\"10.2.0.5/24\"}"));
		assert_non_null(strstr(s, "\"advmss\":1200"));
		assert_null(strstr(s, "pciID"));
	}

	/* 0.2.0 / 0.1.0: the first v4 and v6 address, routes split by family. */
	_cleanup_free_ char *v020 = emit(r, CNI_VERSION_0_2_0);
	assert_string_equal(
	    v020, "{\"cniVersion\":\"0.2.0\","
		  "\"ip4\":{\"ip\":\"10.1.0.5/16\",\"gateway\":\"10.1.0.1\",\"routes\":[{\"dst\":"
		  "\"0.0.0.0/0\"},{\"dst\":\"192.168.0.0/16\",\"gw\":\"10.1.0.254\",\"mtu\":1300,"
		  "\"advmss\":1200,\"priority\":10,\"table\":100,\"scope\":0}]},"
		  "\"ip6\":{\"ip\":\"2001:db8::5/64\",\"gateway\":\"2001:db8::1\",\"routes\":[{"
		  "\"dst\":\"::/0\",\"gw\":\"2001:db8::1\"}]},"
		  "\"dns\":{\"nameservers\":[\"10.1.0.1\"],\"domain\":\"d\",\"search\":[\"a\","
		  "\"b\"],\"options\":[\"ndots:2\"]}}");
	_cleanup_free_ char *v010 = emit(r, CNI_VERSION_0_1_0);
	assert_non_null(strstr(v010, "\"cniVersion\":\"0.1.0\",\"ip4\""));
}

static void test_result_dns_shape(void **state)
{
	_cleanup_cni_result_ struct cni_result *r =
	    parse("{\"ips\":[{\"address\":\"10.0.0.2/24\"}]}", CNI_VERSION_1_0_0);
	assert_non_null(r);
	_cleanup_free_ char *a = emit(r, CNI_VERSION_1_0_0), *b = emit(r, CNI_VERSION_0_4_0),
			    *c = emit(r, CNI_VERSION_1_1_0);
	assert_string_equal(a,
			    "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}");
	assert_string_equal(c,
			    "{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}");
	assert_string_equal(b, "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"version\":\"4\",\"address\":"
			       "\"10.0.0.2/24\"}],\"dns\":{}}");

	/* No address at all cannot become a 0.2.0 result. */
	_cleanup_cni_result_ struct cni_result *e = cni_result_new();
	json_auto_t *j = NULL;
	_cleanup_cni_error_ struct cni_error *err = NULL;
	assert_int_equal(cni_result_to_json(e, CNI_VERSION_0_2_0, &j, &err), -EINVAL);
	assert_int_equal(err->code, CNI_ERR_BERTH_CONVERT);
	assert_string_equal(err->msg, "cannot convert: no valid IP addresses");
}

static void test_prev_result_round_trip(void **state)
{
	/* Each version's shape in, the same shape out, through the skeleton's ADD. */
	const char *cases[][2] = {
	    {"1.1.0", full_1_1},
	    {"1.0.0", "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":"
		      "\"aa:aa:aa:aa:aa:aa\",\"sandbox\":\"/run/netns/x\"}],\"ips\":[{"
		      "\"interface\":0,\"address\":\"10.88.0.2/24\",\"gateway\":\"10.88.0.1\"}],"
		      "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}"},
	    {"0.4.0", "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":"
		      "\"/x\"}],\"ips\":[{\"version\":\"6\",\"interface\":0,\"address\":"
		      "\"fd00::2/64\"}],\"dns\":{\"nameservers\":[\"fd00::1\"]}}"},
	    {"0.3.1", "{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"4\",\"address\":"
		      "\"10.0.0.2/8\",\"gateway\":\"10.0.0.1\"}],\"dns\":{}}"},
	    {"0.2.0", "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.1.0.5/16\",\"gateway\":"
		      "\"10.1.0.1\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"dns\":{}}"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char in[4096];
		snprintf(in, sizeof(in), "{\"cniVersion\":\"%s\",\"name\":\"n\",\"prevResult\":%s}",
			 cases[i][0], cases[i][1]);
		assert_int_equal(run(env_add, in), 0);
		assert_true(seen.had_prev);
		assert_string_equal(out_buf, cases[i][1]);
	}
}

static void test_prev_result_bad(void **state)
{
	char msg[256];
	const char *bad[][2] = {
	    {"{\"ips\":[{\"address\":\"10.0.0.300/8\"}]}", "prevResult.ips[0].address"},
	    {"{\"ips\":[{\"address\":\"10.0.0.3\"}]}", "prevResult.ips[0].address"},
	    {"{\"ips\":[{\"address\":\"10.0.0.3/8\",\"interface\":0}]}",
	     "prevResult.ips[0].interface"},
	    {"{\"interfaces\":[{\"name\":1}]}", "prevResult.interfaces[0].name"},
	    {"{\"routes\":[{\"gw\":\"10.0.0.1\"}]}", "prevResult.routes[0].dst"},
	    {"{\"dns\":{\"nameservers\":[1]}}", "prevResult.dns.nameservers[0]"},
	    {"{\"ips\":{}}", "prevResult.ips"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char in[1024], want[256];
		snprintf(in, sizeof(in),
			 "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"prevResult\":%s}", bad[i][0]);
		assert_int_equal(run(env_add, in), 1);
		assert_int_equal(out_code(), CNI_ERR_INVALID_CONFIG);
		snprintf(want, sizeof(want), "invalid configuration field '%s'", bad[i][1]);
		assert_string_equal(out_str("msg", msg, sizeof(msg)), want);
		assert_int_equal(seen.calls, 0);
	}
}

static void test_result_limits(void **state)
{
	/* One interface more than the limit. */
	size_t cap = 64 * (CNI_MAX_INTERFACES + 2);
	char *in = malloc(cap);
	size_t n = (size_t)snprintf(in, cap,
				    "{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
				    "\"prevResult\":{\"interfaces\":[");
	for (unsigned i = 0; i <= CNI_MAX_INTERFACES; i++)
		n += (size_t)snprintf(in + n, cap - n, "%s{\"name\":\"e%u\"}", i ? "," : "", i);
	snprintf(in + n, cap - n, "]}}");
	assert_int_equal(run(env_add, in), 1);
	assert_int_equal(out_code(), CNI_ERR_INVALID_CONFIG);
	free(in);

	_cleanup_cni_result_ struct cni_result *r = cni_result_new();
	struct cni_ipconfig ip = {.interface = -1};
	assert_int_equal(berth_ipnet_parse("10.0.0.1/8", &ip.address), 0);
	for (unsigned i = 0; i < CNI_MAX_IPS; i++)
		assert_true(cni_result_add_ip(r, &ip) >= 0);
	assert_int_equal(cni_result_add_ip(r, &ip), -ENOSPC);
	for (unsigned i = 0; i < CNI_MAX_INTERFACES; i++)
		assert_true(cni_result_add_interface(r, "x", NULL, NULL) >= 0);
	assert_int_equal(cni_result_add_interface(r, "x", NULL, NULL), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_missing),	     cmocka_unit_test(test_env_syntax),
	    cmocka_unit_test(test_netns_own),	     cmocka_unit_test(test_stdin_errors),
	    cmocka_unit_test(test_stdin_limit),	     cmocka_unit_test(test_keys_case_insensitive),
	    cmocka_unit_test(test_keys_typed),	     cmocka_unit_test(test_cni_args),
	    cmocka_unit_test(test_versions),	     cmocka_unit_test(test_gc_status),
	    cmocka_unit_test(test_error_json),	     cmocka_unit_test(test_result_every_version),
	    cmocka_unit_test(test_result_dns_shape), cmocka_unit_test(test_prev_result_round_trip),
	    cmocka_unit_test(test_prev_result_bad),  cmocka_unit_test(test_result_limits),
	};
	(void)conf_1_0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
