// SPDX-License-Identifier: Apache-2.0
/*
 * The plugin entry: environment, stdin, version gate, dispatch, output.
 * See cni.h for the contract and docs/cni.md for the behaviour.
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "berth-config.h"
#include "netlink/netlink.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- names ------------------------------------------------------------------------ */

static const char *const version_names[_CNI_VERSION_MAX] = {
    [CNI_VERSION_0_1_0] = "0.1.0", [CNI_VERSION_0_2_0] = "0.2.0", [CNI_VERSION_0_3_0] = "0.3.0",
    [CNI_VERSION_0_3_1] = "0.3.1", [CNI_VERSION_0_4_0] = "0.4.0", [CNI_VERSION_1_0_0] = "1.0.0",
    [CNI_VERSION_1_1_0] = "1.1.0",
};

static const char *const cmd_names[_CNI_CMD_MAX] = {
    [CNI_CMD_ADD] = "ADD",	 [CNI_CMD_DEL] = "DEL",		[CNI_CMD_CHECK] = "CHECK",
    [CNI_CMD_STATUS] = "STATUS", [CNI_CMD_VERSION] = "VERSION", [CNI_CMD_GC] = "GC",
};

static int lookup(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

int cni_version_from_string(const char *s)
{
	return lookup(version_names, _CNI_VERSION_MAX, s);
}

const char *cni_version_to_string(enum cni_version v)
{
	return v >= 0 && v < _CNI_VERSION_MAX ? version_names[v] : NULL;
}

int cni_cmd_from_string(const char *s)
{
	return lookup(cmd_names, _CNI_CMD_MAX, s);
}

const char *cni_cmd_to_string(enum cni_cmd c)
{
	return c >= 0 && c < _CNI_CMD_MAX ? cmd_names[c] : NULL;
}

bool cni_name_valid(const char *s)
{
	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

/* --- CNI_ARGS ----------------------------------------------------------------------- */

void cni_args_free(struct cni_arg *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].value);
	}
	free(a);
}

int cni_args_parse(const char *s, struct cni_arg **ret, size_t *ret_n, struct cni_error **reterr)
{
	struct cni_arg *a = NULL;
	size_t n = 0;
	const char *p = s;

	*ret = NULL;
	*ret_n = 0;
	if (!s || !*s)
		return 0;
	for (;;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		/* Exactly one '=' (Go's strings.Split(pair, "=") must give two parts). */
		if (!eq || memchr(eq + 1, '=', len - (size_t)(eq - p) - 1)) {
			cni_args_free(a, n);
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
					     "ARGS: invalid pair", "\"%.*s\"",
					     (int)(len > 256 ? 256 : len), p);
		}
		if (n >= CNI_MAX_ARGS) {
			cni_args_free(a, n);
			return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_ENV,
					     "ARGS: too many pairs", "at most %u", CNI_MAX_ARGS);
		}
		struct cni_arg *na = realloc(a, (n + 1) * sizeof(*a));
		if (!na) {
			cni_args_free(a, n);
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
		}
		a = na;
		a[n].key = strndup(p, (size_t)(eq - p));
		a[n].value = strndup(eq + 1, len - (size_t)(eq - p) - 1);
		n++;
		if (!a[n - 1].key || !a[n - 1].value) {
			cni_args_free(a, n);
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
		}
		if (!end)
			break;
		p = end + 1;
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

const char *cni_request_arg(const struct cni_request *req, const char *key)
{
	const char *v = NULL;
	/* Later pairs win, as with Go's reflection-based loader. */
	for (size_t i = 0; i < req->n_args; i++)
		if (strcmp(req->args[i].key, key) == 0)
			v = req->args[i].value;
	return v;
}

static bool arg_truthy(const char *v)
{
	return v && (strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

static int args_validate(const struct cni_plugin *p, const struct cni_request *req,
			 struct cni_error **reterr)
{
	const char *ign = cni_request_arg(req, "IgnoreUnknown");
	char *unknown = NULL;
	size_t n_unknown = 0;

	if (!p->args_keys)
		return 0;
	if (ign && !arg_truthy(ign) && strcasecmp(ign, "0") != 0 && strcasecmp(ign, "false") != 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
				     "ARGS: error parsing value of pair", "\"IgnoreUnknown=%.64s\"",
				     ign);
	for (size_t i = 0; i < req->n_args; i++) {
		const char *k = req->args[i].key;
		bool known = strcmp(k, "IgnoreUnknown") == 0;
		for (const char *const *kk = p->args_keys; !known && *kk; kk++)
			known = strcmp(*kk, k) == 0;
		if (known)
			continue;
		n_unknown++;
		char *nu = berth_strappendf(unknown, "%s\"%s=%s\"", unknown ? " " : "", k,
					    req->args[i].value);
		if (!nu) {
			free(unknown);
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
		}
		unknown = nu;
	}
	if (n_unknown > 0 && !arg_truthy(ign)) {
		int r = cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV, "ARGS: unknown args",
				      "[%s]", unknown);
		free(unknown);
		return r;
	}
	free(unknown);
	return 0;
}

/* --- the request ----------------------------------------------------------------------- */

static void request_done(struct cni_request *req)
{
	cni_args_free(req->args, req->n_args);
	free(req->stdin_data);
	json_decref(req->config);
	cni_result_free(req->prev_result);
	for (size_t i = 0; i < req->n_valid_attachments; i++) {
		free(req->valid_attachments[i].container_id);
		free(req->valid_attachments[i].ifname);
	}
	free(req->valid_attachments);
	memset(req, 0, sizeof(*req));
}

static const char *env(const struct cni_io *io, const char *name)
{
	const char *v = io->getenv(name);
	return v && *v ? v : NULL;
}

static int env_validate(const struct cni_io *io, struct cni_request *req, struct cni_error **reterr)
{
	bool need_id =
	    req->cmd == CNI_CMD_ADD || req->cmd == CNI_CMD_DEL || req->cmd == CNI_CMD_CHECK;
	bool need_netns = req->cmd == CNI_CMD_ADD || req->cmd == CNI_CMD_CHECK;
	char missing[128] = "";

	req->container_id = env(io, "CNI_CONTAINERID");
	req->netns = env(io, "CNI_NETNS");
	req->ifname = env(io, "CNI_IFNAME");
	req->path = env(io, "CNI_PATH");
	req->args_raw = env(io, "CNI_ARGS");

	if (need_id && !req->container_id)
		strcat(missing, "CNI_CONTAINERID");
	if (need_netns && !req->netns)
		strcat(strcat(missing, *missing ? "," : ""), "CNI_NETNS");
	if (need_id && !req->ifname)
		strcat(strcat(missing, *missing ? "," : ""), "CNI_IFNAME");
	if (*missing) {
		char msg[192];
		snprintf(msg, sizeof(msg), "required env variables [%s] missing", missing);
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV, msg, NULL);
	}

	if (req->container_id) {
		if (!cni_name_valid(req->container_id))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
					     "invalid characters in containerID", "%.256s",
					     req->container_id);
		if (strlen(req->container_id) > CNI_MAX_CONTAINER_ID)
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
					     "containerID is too long", "at most %u bytes",
					     CNI_MAX_CONTAINER_ID);
	}
	if (req->ifname) {
		size_t n = strlen(req->ifname);
		if (n >= BERTH_IFNAMSIZ)
			return cni_error_set(
			    reterr, EINVAL, CNI_ERR_INVALID_ENV, "interface name is too long",
			    "interface name should be less than %d characters", BERTH_IFNAMSIZ);
		if (strcmp(req->ifname, ".") == 0 || strcmp(req->ifname, "..") == 0)
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_ENV,
					     "interface name is . or ..", NULL);
		if (!berth_ifname_valid(req->ifname))
			return cni_error_set(
			    reterr, EINVAL, CNI_ERR_INVALID_ENV,
			    "interface name contains / or : or whitespace characters", NULL);
	}
	if (req->netns && strlen(req->netns) >= CNI_MAX_PATH)
		return cni_error_set(reterr, ENAMETOOLONG, CNI_ERR_INVALID_ENV,
				     "CNI_NETNS is too long", NULL);
	if (req->path && strlen(req->path) > CNI_MAX_ENV)
		return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_ENV, "CNI_PATH is too long",
				     NULL);
	if (req->args_raw && strlen(req->args_raw) > CNI_MAX_ENV)
		return cni_error_set(reterr, E2BIG, CNI_ERR_INVALID_ENV, "CNI_ARGS is too long",
				     NULL);
	return 0;
}

static int parse_attachments(struct cni_request *req, struct cni_error **reterr)
{
	json_t *a = NULL, *v;
	size_t i;
	int r = cni_json_array(req->config, "", "cni.dev/valid-attachments", CNI_MAX_ATTACHMENTS,
			       &a, reterr);
	if (r == 0)
		r = cni_json_array(req->config, "", "cni.dev/attachments", CNI_MAX_ATTACHMENTS, &a,
				   reterr);
	if (r <= 0)
		return r;
	req->valid_attachments = calloc(json_array_size(a) ?: 1, sizeof(*req->valid_attachments));
	if (!req->valid_attachments)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	json_array_foreach (a, i, v) {
		char where[64];
		const char *id = NULL, *ifn = NULL;
		snprintf(where, sizeof(where), "cni.dev/valid-attachments[%zu]", i);
		if (!json_is_object(v))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid GC attachment", "%s: expected an object",
					     where);
		if ((r = cni_json_string(v, where, "containerID", CNI_MAX_CONTAINER_ID, &id,
					 reterr)) < 0 ||
		    (r = cni_json_string(v, where, "ifname", BERTH_IFNAMSIZ - 1, &ifn, reterr)) < 0)
			return r;
		if (!id || !ifn)
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid GC attachment",
					     "%s: containerID and ifname are required", where);
		struct cni_attachment *at = &req->valid_attachments[req->n_valid_attachments++];
		at->container_id = strdup(id);
		at->ifname = strdup(ifn);
		if (!at->container_id || !at->ifname)
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
	}
	return 0;
}

static int config_parse(struct cni_request *req, struct cni_error **reterr)
{
	json_error_t jerr;
	const char *s = NULL;
	json_t *o = NULL;
	int r;

	req->config = json_loadb(req->stdin_data, req->stdin_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->config)
		return cni_error_set(reterr, EINVAL, CNI_ERR_DECODE,
				     "error unmarshall network config", "line %d column %d: %s",
				     jerr.line, jerr.column, jerr.text);
	if (!json_is_object(req->config))
		return cni_error_set(reterr, EINVAL, CNI_ERR_DECODE,
				     "error unmarshall network config", "not a JSON object");

	r = cni_json_string(req->config, "", "cniVersion", 32, &s, reterr);
	if (r < 0)
		return r;
	req->version_str = r > 0 && *s ? s : "0.1.0";

	r = cni_json_string(req->config, "", "name", CNI_MAX_NAME, &s, reterr);
	if (r < 0)
		return r;
	if (r == 0 || !*s)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "missing network name",
				     NULL);
	if (!cni_name_valid(s))
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid characters found in network name", "%s", s);
	req->name = s;

	r = cni_json_string(req->config, "", "type", CNI_MAX_NAME, &req->type, reterr);
	if (r < 0)
		return r;
	r = cni_json_object(req->config, "", "runtimeConfig", 256, &req->runtime_config, reterr);
	if (r < 0)
		return r;
	r = cni_json_object(req->config, "", "args", 256, &o, reterr);
	if (r < 0)
		return r;
	if (o && (r = cni_json_object(o, "args", "cni", 256, &req->args_cni, reterr)) < 0)
		return r;
	return 0;
}

/* Refuse a CNI_NETNS that is our own namespace (upstream code 8), unless overridden. */
static int netns_not_own(const struct cni_io *io, const struct cni_request *req,
			 struct cni_error **reterr)
{
	const char *ov = env(io, "CNI_NETNS_OVERRIDE");
	struct stat a, b;

	if (!req->netns || arg_truthy(ov))
		return 0;
	if (stat(req->netns, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return 0; /* a missing namespace is the callback's business */
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return cni_error_set(
		    reterr, EINVAL, CNI_ERR_INVALID_NETNS,
		    "plugin's netns and netns from CNI_NETNS should not be the same", NULL);
	return 0;
}

/* --- output -------------------------------------------------------------------------- */

static int print_json(FILE *out, json_t *j)
{
	if (!j || json_dumpf(j, out, JSON_COMPACT) < 0 || fflush(out) != 0)
		return -EIO;
	return 0;
}

static int print_error(const struct cni_io *io, const struct cni_error *e, const char *version)
{
	json_auto_t *j = cni_error_to_json(e, version);
	log_debug("%s%s%s", e && e->msg ? e->msg : "error", e && e->details ? ": " : "",
		  e && e->details ? e->details : "");
	(void)print_json(io->out, j);
	return 1;
}

static int print_version(const struct cni_plugin *p, const struct cni_io *io,
			 const char *req_version)
{
	json_auto_t *j = json_object();
	json_t *a = json_array();
	if (!j || !a) {
		json_decref(a);
		return -ENOMEM;
	}
	json_object_set_new(j, "cniVersion", json_string(req_version));
	for (int v = p->min_version; v < _CNI_VERSION_MAX; v++)
		json_array_append_new(a, json_string(version_names[v]));
	json_object_set_new(j, "supportedVersions", a);
	return print_json(io->out, j);
}

/*
 * VERSION: echo the request's cniVersion when it is one we know. Upstream
 * ignores stdin; we read at most CNI_VERSION_READ_MAX bytes of it, and only
 * for one second, so that a caller that never closes stdin cannot hang us.
 */
#define CNI_VERSION_READ_MAX 4096u
#define CNI_VERSION_READ_MS 1000

static const char *version_request(const struct cni_io *io)
{
	const char *fallback = version_names[_CNI_VERSION_MAX - 1];
	char buf[CNI_VERSION_READ_MAX];
	size_t len = 0;
	int waited = 0;

	if (io->in_fd < 0 || isatty(io->in_fd))
		return fallback;
	while (len < sizeof(buf) && waited < CNI_VERSION_READ_MS) {
		struct pollfd pfd = {.fd = io->in_fd, .events = POLLIN};
		int k = poll(&pfd, 1, 100);
		if (k < 0 && errno != EINTR)
			return fallback;
		if (k <= 0) {
			waited += 100; /* an interrupted wait counts as a full step: still bounded */
			continue;
		}
		ssize_t n = read(io->in_fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF (or an error: use what we have) */
		len += (size_t)n;
	}
	json_auto_t *j = json_loadb(buf, len, 0, NULL);
	json_t *v = cni_json_get(j, "cniVersion");
	int ver = cni_version_from_string(json_string_value(v));
	return ver >= 0 ? version_names[ver] : fallback;
}

static void print_about(const struct cni_plugin *p, const struct cni_io *io)
{
	fprintf(io->err, "CNI %s plugin berth %s\nCNI protocol versions supported: ", p->name,
		BERTH_VERSION);
	for (int v = p->min_version; v < _CNI_VERSION_MAX; v++)
		fprintf(io->err, "%s%s", v > (int)p->min_version ? ", " : "", version_names[v]);
	fputc('\n', io->err);
}

/* --- dispatch ----------------------------------------------------------------------------- */

static int dispatch(const struct cni_plugin *p, const struct cni_io *io, struct cni_request *req,
		    struct cni_error **reterr)
{
	int r;

	r = env_validate(io, req, reterr);
	if (r < 0)
		return r;

	r = read_fd_limited(io->in_fd, CNI_MAX_STDIN, &req->stdin_data, &req->stdin_len);
	if (r == -EFBIG)
		return cni_error_set(reterr, r, CNI_ERR_IO, "error reading from stdin",
				     "more than %u bytes", CNI_MAX_STDIN);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_IO, "error reading from stdin", "%s",
				     strerror(-r));

	r = config_parse(req, reterr);
	if (r < 0)
		return r;

	int v = cni_version_from_string(req->version_str);
	if (v < 0 || v < (int)p->min_version) {
		char *list = NULL;
		for (int i = p->min_version; i < _CNI_VERSION_MAX; i++) {
			char *n =
			    berth_strappendf(list, "%s\"%s\"", list ? " " : "", version_names[i]);
			if (!n)
				break;
			list = n;
		}
		r = cni_error_set(
		    reterr, EINVAL, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI versions",
		    "config is \"%s\", plugin supports [%s]", req->version_str, list ? list : "");
		free(list);
		return r;
	}
	req->version = (enum cni_version)v;

	switch (req->cmd) {
	case CNI_CMD_CHECK:
		if (req->version < CNI_VERSION_0_4_0)
			return cni_error_set(reterr, EINVAL, CNI_ERR_INCOMPATIBLE_VERSION,
					     "config version does not allow CHECK", NULL);
		break;
	case CNI_CMD_GC:
	case CNI_CMD_STATUS:
		/* Below 1.1.0 these verbs do not exist: success, no output (cni.md §2.5). */
		if (req->version < CNI_VERSION_1_1_0)
			return 0;
		break;
	case CNI_CMD_ADD:
	case CNI_CMD_DEL:
	case CNI_CMD_VERSION:
	case _CNI_CMD_MAX:
	case _CNI_CMD_INVALID:
		break;
	}

	if (req->cmd == CNI_CMD_ADD || req->cmd == CNI_CMD_DEL || req->cmd == CNI_CMD_CHECK) {
		r = cni_args_parse(req->args_raw, &req->args, &req->n_args, reterr);
		if (r < 0)
			return r;
		r = args_validate(p, req, reterr);
		if (r < 0)
			return r;
		json_t *prev = NULL;
		r = cni_json_object(req->config, "", "prevResult", 16, &prev, reterr);
		if (r < 0)
			return r;
		if (prev) {
			r = cni_result_from_json(prev, req->version, "prevResult",
						 &req->prev_result, reterr);
			if (r < 0)
				return r;
		}
		r = netns_not_own(io, req, reterr);
		if (r < 0)
			return r;
	}

	switch (req->cmd) {
	case CNI_CMD_ADD: {
		_cleanup_cni_result_ struct cni_result *res = NULL;
		json_auto_t *j = NULL;
		r = p->add(req, &res, reterr);
		if (r < 0)
			return r;
		if (!res)
			return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_INTERNAL,
					     "plugin returned no result", NULL);
		r = cni_result_to_json(res, req->version, &j, reterr);
		if (r < 0)
			return r;
		if (print_json(io->out, j) < 0)
			return cni_error_set(reterr, EIO, CNI_ERR_IO, "error writing the result",
					     NULL);
		return 0;
	}
	case CNI_CMD_DEL:
		return p->del(req, reterr);
	case CNI_CMD_CHECK:
		return p->check(req, reterr);
	case CNI_CMD_STATUS:
		return p->status ? p->status(req, reterr) : 0;
	case CNI_CMD_GC:
		r = parse_attachments(req, reterr);
		if (r < 0)
			return r;
		return p->gc ? p->gc(req, reterr) : 0;
	case CNI_CMD_VERSION:
	case _CNI_CMD_MAX:
	case _CNI_CMD_INVALID:
		break;
	}
	return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_INTERNAL, "unreachable", NULL);
}

int cni_skel_run(const struct cni_plugin *p, const struct cni_io *io)
{
	_cleanup_cni_error_ struct cni_error *err = NULL;
	struct cni_request req = {};
	const char *cmd_s = env(io, "CNI_COMMAND");
	int r;

	if (!cmd_s) {
		print_about(p, io);
		return 0;
	}
	int cmd = cni_cmd_from_string(cmd_s);
	if (cmd < 0) {
		cni_error_set(&err, EINVAL, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND", "%.64s",
			      cmd_s);
		return print_error(io, err, NULL);
	}
	if (cmd == CNI_CMD_VERSION) {
		if (print_version(p, io, version_request(io)) < 0) {
			cni_error_set(&err, EIO, CNI_ERR_IO, "error writing the version", NULL);
			return print_error(io, err, NULL);
		}
		return 0;
	}

	req.cmd = (enum cni_cmd)cmd;
	log_set_context(env(io, "CNI_CONTAINERID"));
	r = dispatch(p, io, &req, &err);
	if (r < 0) {
		/* The version string lives in req.config: print before it is freed. */
		int v = req.version_str ? cni_version_from_string(req.version_str) : -1;
		print_error(io, err, v >= 0 ? version_names[v] : NULL);
		request_done(&req);
		return 1;
	}
	request_done(&req);
	return 0;
}

static const char *process_getenv(const char *name)
{
	return getenv(name);
}

int cni_plugin_main(const struct cni_plugin *p, int argc, char **argv)
{
	static const char *targets[2];
	struct cni_io io = {
	    .getenv = process_getenv,
	    .in_fd = STDIN_FILENO,
	    .out = stdout,
	    .err = stderr,
	};
	(void)argc;
	(void)argv;

	targets[0] = p->name;
	log_set_target(p->name);
	const char *spec = getenv("BERTH_LOG");
	int lvl = spec ? log_level_parse(spec, targets) : -EINVAL;
	log_set_level(lvl >= 0 ? (enum log_level)lvl : LOG_LEVEL_WARN);
	return cni_skel_run(p, &io);
}

/* --- namespaces --------------------------------------------------------------------------- */

int cni_netns_open(const char *path, struct berth_netns **ret, struct cni_error **reterr)
{
	if (!path)
		return cni_error_set(reterr, ENOENT, CNI_ERR_BERTH_NETNS, "failed to open netns",
				     "CNI_NETNS is not set");
	int r = berth_netns_open_path(path, ret);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_NETNS, "failed to open netns",
				     "\"%s\": %s", path,
				     r == -EINVAL ? "not a network namespace" : strerror(-r));
	return 0;
}
