// SPDX-License-Identifier: Apache-2.0
/*
 * cni-run: a small libcni-like runner for berth's CNI tests (not installed).
 *
 *   cni-run [--plugin-dir DIR]... [--cache-dir DIR] [--args K=V;...]
 *           [--cap-args JSON] [--valid ID/IFNAME]... VERB CONFLIST NETNS ID IFNAME
 *
 * VERB is ADD, DEL, CHECK, GC, STATUS or VERSION. As libcni does:
 *  - each plugin's stdin is its object from `plugins[]` with `cniVersion` and
 *    `name` of the list, `runtimeConfig` = {capabilities it declares} ∩
 *    {--cap-args}, and `prevResult`;
 *  - ADD runs the plugins in order, each plugin's result being the next one's
 *    prevResult, and caches the final result as
 *    <cache>/results/<network>-<id>-<ifname> ({"kind":"cniCacheV1",...});
 *  - DEL runs them in reverse with the cached result as prevResult (none below
 *    0.4.0 or without a cache file) and removes the cache file;
 *  - CHECK (>= 0.4.0, skipped with disableCheck) needs the cached result and
 *    gives it to every plugin in order;
 *  - GC (>= 1.1.0) first DELs every cached attachment of the network that is
 *    not in the --valid list, then (unless disableGC) sends GC with
 *    `cni.dev/valid-attachments` to every plugin;
 *  - STATUS (>= 1.1.0) asks every plugin; VERSION prints every plugin's answer.
 * The plugins get CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
 * CNI_ARGS and CNI_PATH (empty when unset) on top of the runner's environment.
 *
 * Output: the final result (ADD), an array of VERSION answers, or nothing; on a
 * plugin failure its error JSON on stdout and exit status 1. Usage errors: 2.
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_MAX_OUTPUT (4u << 20)
#define RUN_MAX_PLUGINS 32
#define RUN_MAX_DIRS 16
#define RUN_MAX_VALID 1024
#define RUN_TIMEOUT_MS 60000

extern char **environ;

static const char *arg_dirs[RUN_MAX_DIRS];
static size_t arg_n_dirs;
static const char *arg_cache_dir = "/var/lib/cni";
static const char *arg_args = "";
static json_t *arg_cap_args;
static const char *arg_valid[RUN_MAX_VALID];
static size_t arg_n_valid;

struct ctx {
	const char *verb;
	const char *netns; /* "" allowed */
	const char *id;
	const char *ifname;
	json_t *list;
	const char *version;
	const char *name;
	char cni_path[8192];
};

/* --- running one plugin ----------------------------------------------------------------- */

static int find_plugin(const char *type, char *buf, size_t size)
{
	if (!type || !*type || strchr(type, '/'))
		return -EINVAL;
	for (size_t i = 0; i < arg_n_dirs; i++) {
		snprintf(buf, size, "%s/%s", arg_dirs[i], type);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static void set_env(const char *k, const char *v)
{
	if (setenv(k, v ? v : "", 1) < 0)
		_exit(127);
}

/*
 * Run plugin `type` with `input` on stdin; *ret_out gets its stdout. Returns
 * the exit status (>= 0) or -errno when it could not be run.
 */
static int exec_plugin(const struct ctx *c, const char *type, const char *cmd, const char *input,
		       char **ret_out)
{
	char path[4096];
	int pipefd[2];
	int r = find_plugin(type, path, sizeof(path));
	if (r < 0) {
		fprintf(stderr, "cni-run: failed to find plugin \"%s\" in path [%s]\n", type,
			c->cni_path);
		return r;
	}

	_cleanup_close_ int in = memfd_create("cni-stdin", MFD_CLOEXEC);
	if (in < 0)
		return -errno;
	size_t len = strlen(input);
	if (write(in, input, len) != (ssize_t)len || lseek(in, 0, SEEK_SET) < 0)
		return -EIO;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;

	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		if (dup2(in, STDIN_FILENO) < 0 || dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(127);
		set_env("CNI_COMMAND", cmd);
		set_env("CNI_CONTAINERID", c->id);
		set_env("CNI_NETNS", c->netns);
		set_env("CNI_IFNAME", c->ifname);
		set_env("CNI_ARGS", arg_args);
		set_env("CNI_PATH", c->cni_path);
		char *argv[] = {path, NULL};
		execve(path, argv, environ);
		_exit(127);
	}
	close(pipefd[1]);

	/* Read its stdout until EOF, bounded in size and time. */
	size_t cap = 4096, n = 0;
	char *out = malloc(cap + 1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = 0;
	while (out) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= RUN_TIMEOUT_MS) {
			fprintf(stderr, "cni-run: plugin \"%s\" timed out\n", type);
			kill(pid, SIGKILL);
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		int k = poll(&pfd, 1, (int)(RUN_TIMEOUT_MS - ms));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			continue;
		if (n == cap) {
			if (cap >= RUN_MAX_OUTPUT) {
				kill(pid, SIGKILL);
				r = -EFBIG;
				break;
			}
			char *no = realloc(out, cap * 2 + 1);
			if (!no) {
				r = -ENOMEM;
				break;
			}
			out = no;
			cap *= 2;
		}
		ssize_t got = read(pipefd[0], out + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(pipefd[0]);

	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = 0x7f00;
			break;
		}
	if (!out)
		return -ENOMEM;
	out[n] = '\0';
	if (r < 0) {
		free(out);
		return r;
	}
	*ret_out = out;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* --- config building --------------------------------------------------------------------- */

static json_t *plugin_stdin(const struct ctx *c, const json_t *plugin, const json_t *prev,
			    const json_t *valid)
{
	json_t *o = json_deep_copy(plugin);
	if (!o)
		return NULL;
	json_object_set_new(o, "cniVersion", json_string(c->version));
	json_object_set_new(o, "name", json_string(c->name));
	json_t *caps = json_object_get(plugin, "capabilities");
	if (json_is_object(caps) && arg_cap_args && strcmp(c->verb, "GC") != 0 &&
	    strcmp(c->verb, "STATUS") != 0) {
		json_t *rc = json_object();
		const char *k;
		json_t *v;
		json_object_foreach (caps, k, v) {
			json_t *a = json_object_get(arg_cap_args, k);
			if (json_is_true(v) && a)
				json_object_set(rc, k, a);
		}
		if (json_object_size(rc) > 0)
			json_object_set_new(o, "runtimeConfig", rc);
		else
			json_decref(rc);
	}
	if (prev)
		json_object_set(o, "prevResult", (json_t *)prev);
	if (valid) {
		json_object_set(o, "cni.dev/valid-attachments", (json_t *)valid);
		json_object_set(o, "cni.dev/attachments", (json_t *)valid);
	}
	return o;
}

/* Run one plugin; on success *ret_out (may be NULL) gets its parsed stdout (NULL when empty). */
static int run_one(const struct ctx *c, const json_t *plugin, const char *cmd, const json_t *prev,
		   const json_t *valid, json_t **ret_out)
{
	json_auto_t *in = plugin_stdin(c, plugin, prev, valid);
	_cleanup_free_ char *text = NULL, *out = NULL;
	const char *type = json_string_value(json_object_get(plugin, "type"));

	if (!in || !(text = json_dumps(in, JSON_COMPACT)))
		return -ENOMEM;
	int st = exec_plugin(c, type, cmd, text, &out);
	if (st < 0)
		return st;
	if (st != 0) {
		/* The plugin's error object goes to our stdout, as a runtime would report it. */
		json_auto_t *e = json_loads(out, 0, NULL);
		if (e) {
			json_dumpf(e, stdout, JSON_COMPACT);
			fputc('\n', stdout);
		} else {
			printf("{\"code\":999,\"msg\":\"netplugin failed\",\"details\":%s}\n",
			       *out ? "\"non-JSON output\"" : "\"no output\"");
		}
		fprintf(stderr, "cni-run: plugin type=\"%s\" %s failed (exit %d): %s\n", type, cmd,
			st, out);
		return -EPROTO;
	}
	if (ret_out) {
		*ret_out = NULL;
		if (*out) {
			json_error_t jerr;
			*ret_out = json_loads(out, 0, &jerr);
			if (!*ret_out) {
				fprintf(stderr, "cni-run: plugin \"%s\" printed no JSON: %s\n",
					type, jerr.text);
				return -EBADMSG;
			}
		}
	}
	return 0;
}

/* --- the cache ------------------------------------------------------------------------------ */

static char *base64(const char *s, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = malloc((n + 2) / 3 * 4 + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		*p++ = tb[(v >> 18) & 63];
		*p++ = tb[(v >> 12) & 63];
		*p++ = i + 1 < n ? tb[(v >> 6) & 63] : '=';
		*p++ = i + 2 < n ? tb[v & 63] : '=';
	}
	*p = '\0';
	return o;
}

static int cache_paths(const struct ctx *c, const char *id, const char *ifname, char *dir,
		       size_t dsize, char *name, size_t nsize)
{
	int a = snprintf(dir, dsize, "%s/results", arg_cache_dir);
	int b = snprintf(name, nsize, "%s-%s-%s", c->name, id, ifname);
	return a < 0 || (size_t)a >= dsize || b < 0 || (size_t)b >= nsize ? -ENAMETOOLONG : 0;
}

static int cache_write(const struct ctx *c, const char *conf_text, const json_t *result)
{
	char dir[4096], name[1024];
	_cleanup_free_ char *b64 = base64(conf_text, strlen(conf_text)), *text = NULL;
	int r = cache_paths(c, c->id, c->ifname, dir, sizeof(dir), name, sizeof(name));
	if (r < 0 || !b64)
		return r < 0 ? r : -ENOMEM;
	json_auto_t *no_caps = json_object();
	json_auto_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "kind", "cniCacheV1",
		      "containerId", c->id, "config", b64, "ifName", c->ifname, "networkName",
		      c->name, "netns", c->netns, "cniArgs", arg_args, "capabilityArgs",
		      arg_cap_args ? arg_cap_args : no_caps, "result", result);
	if (!o || !(text = json_dumps(o, JSON_COMPACT)))
		return -ENOMEM;
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return write_file_atomic(path, text, strlen(text), 0600);
}

/* The cached entry (whole object) of id/ifname, or NULL. */
static json_t *cache_read(const struct ctx *c, const char *id, const char *ifname)
{
	char dir[4096], name[1024], path[5200];
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cache_paths(c, id, ifname, dir, sizeof(dir), name, sizeof(name)) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file_limited(path, RUN_MAX_OUTPUT, &data, &len) < 0)
		return NULL;
	return json_loadb(data, len, 0, NULL);
}

static void cache_remove(const struct ctx *c, const char *id, const char *ifname)
{
	char dir[4096], name[1024], path[5200];
	if (cache_paths(c, id, ifname, dir, sizeof(dir), name, sizeof(name)) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	(void)unlink(path);
}

static bool version_ge(const char *v, const char *min)
{
	int a = cni_version_from_string(v), b = cni_version_from_string(min);
	return a >= 0 && b >= 0 && a >= b;
}

/* --- verbs ---------------------------------------------------------------------------------- */

static int do_add(struct ctx *c, const char *conf_text)
{
	json_t *plugins = json_object_get(c->list, "plugins");
	json_auto_t *prev = NULL;
	size_t i;
	json_t *p;
	json_array_foreach (plugins, i, p) {
		json_t *out = NULL;
		int r = run_one(c, p, "ADD", prev, NULL, &out);
		if (r < 0)
			return r;
		if (!out) {
			fprintf(stderr, "cni-run: plugin %zu returned no result\n", i);
			return -EBADMSG;
		}
		json_decref(prev);
		prev = out;
	}
	if (!prev)
		return -EINVAL;
	int r = cache_write(c, conf_text, prev);
	if (r < 0) {
		fprintf(stderr, "cni-run: failed to cache the result: %s\n", strerror(-r));
		return r;
	}
	json_dumpf(prev, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	return 0;
}

static int del_attachment(struct ctx *c, const char *id, const char *ifname, const char *netns)
{
	json_t *plugins = json_object_get(c->list, "plugins");
	struct ctx dc = *c;
	dc.id = id;
	dc.ifname = ifname;
	dc.netns = netns;
	json_auto_t *cached = cache_read(&dc, id, ifname);
	json_t *prev = NULL;
	if (cached && version_ge(c->version, "0.4.0"))
		prev = json_object_get(cached, "result");
	for (size_t i = json_array_size(plugins); i-- > 0;) {
		int r = run_one(&dc, json_array_get(plugins, i), "DEL", prev, NULL, NULL);
		if (r < 0)
			return r;
	}
	cache_remove(&dc, id, ifname);
	return 0;
}

static int do_check(struct ctx *c)
{
	json_t *plugins = json_object_get(c->list, "plugins");
	if (!version_ge(c->version, "0.4.0")) {
		fprintf(stderr, "cni-run: configuration version \"%s\" does not support CHECK\n",
			c->version);
		return -EINVAL;
	}
	if (json_is_true(json_object_get(c->list, "disableCheck")))
		return 0;
	json_auto_t *cached = cache_read(c, c->id, c->ifname);
	json_t *prev = json_object_get(cached, "result");
	if (!prev) {
		fprintf(stderr, "cni-run: failed to get network \"%s\" cached result\n", c->name);
		return -ENOENT;
	}
	size_t i;
	json_t *p;
	json_array_foreach (plugins, i, p) {
		int r = run_one(c, p, "CHECK", prev, NULL, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_valid(const char *id, const char *ifname)
{
	for (size_t i = 0; i < arg_n_valid; i++) {
		const char *s = arg_valid[i], *slash = strchr(s, '/');
		if (slash && strlen(id) == (size_t)(slash - s) && strncmp(s, id, strlen(id)) == 0 &&
		    strcmp(slash + 1, ifname) == 0)
			return true;
	}
	return false;
}

static int do_gc(struct ctx *c)
{
	char dir[4096], prefix[512];
	int first_err = 0;

	if (!version_ge(c->version, "1.1.0"))
		return 0;
	/* 1. DEL every cached attachment of this network that is not valid. */
	snprintf(dir, sizeof(dir), "%s/results", arg_cache_dir);
	snprintf(prefix, sizeof(prefix), "%s-", c->name);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t seen = 0;
	while (d && (de = readdir(d)) && seen++ < 100000) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char path[4600];
		_cleanup_free_ char *data = NULL;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_file_limited(path, RUN_MAX_OUTPUT, &data, &len) < 0)
			continue;
		json_auto_t *e = json_loadb(data, len, 0, NULL);
		const char *net = json_string_value(json_object_get(e, "networkName"));
		const char *id = json_string_value(json_object_get(e, "containerId"));
		const char *ifn = json_string_value(json_object_get(e, "ifName"));
		const char *ns = json_string_value(json_object_get(e, "netns"));
		if (!net || strcmp(net, c->name) != 0 || !id || !ifn || is_valid(id, ifn))
			continue;
		int r = del_attachment(c, id, ifn, ns ? ns : "");
		if (r < 0 && !first_err)
			first_err = r;
	}
	if (d)
		closedir(d);

	/* 2. GC to every plugin. */
	if (json_is_true(json_object_get(c->list, "disableGC")))
		return first_err;
	json_auto_t *valid = json_array();
	for (size_t i = 0; i < arg_n_valid; i++) {
		const char *s = arg_valid[i], *slash = strchr(s, '/');
		if (!slash)
			continue;
		json_array_append_new(valid, json_pack("{s:s%, s:s}", "containerID", s,
						       (size_t)(slash - s), "ifname", slash + 1));
	}
	struct ctx gc = *c;
	gc.id = gc.ifname = gc.netns = "";
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(c->list, "plugins"), i, p) {
		int r = run_one(&gc, p, "GC", NULL, valid, NULL);
		if (r < 0 && !first_err)
			first_err = r;
	}
	return first_err;
}

static int do_simple(struct ctx *c, const char *cmd)
{
	json_auto_t *answers = json_array();
	size_t i;
	json_t *p;
	if (strcmp(cmd, "STATUS") == 0 && !version_ge(c->version, "1.1.0"))
		return 0;
	struct ctx sc = *c;
	sc.id = sc.ifname = sc.netns = "";
	json_array_foreach (json_object_get(c->list, "plugins"), i, p) {
		json_t *out = NULL;
		int r = run_one(&sc, p, cmd, NULL, NULL, &out);
		if (r < 0)
			return r;
		if (out)
			json_array_append_new(answers, out);
	}
	if (strcmp(cmd, "VERSION") == 0) {
		json_dumpf(answers, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	}
	return 0;
}

/* --- main ------------------------------------------------------------------------------------ */

static int load_list(struct ctx *c, const char *path, char **ret_text)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	json_error_t jerr;
	int r = read_file_limited(path, RUN_MAX_OUTPUT, &text, &len);
	if (r < 0) {
		fprintf(stderr, "cni-run: %s: %s\n", path, strerror(-r));
		return r;
	}
	c->list = json_loadb(text, len, 0, &jerr);
	if (!json_is_object(c->list)) {
		fprintf(stderr, "cni-run: %s: not a JSON object (%s)\n", path, jerr.text);
		return -EINVAL;
	}
	/* A single-plugin .conf is wrapped in a one-element list. */
	if (!json_object_get(c->list, "plugins") && json_object_get(c->list, "type")) {
		json_t *l = json_pack("{s:O?, s:O?, s:[O]}", "cniVersion",
				      json_object_get(c->list, "cniVersion"), "name",
				      json_object_get(c->list, "name"), "plugins", c->list);
		json_decref(c->list);
		c->list = l;
	}
	json_t *plugins = json_object_get(c->list, "plugins");
	c->name = json_string_value(json_object_get(c->list, "name"));
	c->version = json_string_value(json_object_get(c->list, "cniVersion"));
	if (!c->version)
		c->version = "0.1.0";
	if (!c->name || !json_is_array(plugins) || json_array_size(plugins) == 0 ||
	    json_array_size(plugins) > RUN_MAX_PLUGINS) {
		fprintf(stderr, "cni-run: %s: needs name and 1..%d plugins\n", path,
			RUN_MAX_PLUGINS);
		return -EINVAL;
	}
	*ret_text = TAKE_PTR(text);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cni-run [--plugin-dir DIR]... [--cache-dir DIR] [--args ARGS]\n"
		"               [--cap-args JSON] [--valid ID/IFNAME]...\n"
		"               ADD|DEL|CHECK|GC|STATUS|VERSION CONFLIST NETNS ID IFNAME\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"plugin-dir", required_argument, NULL, 'p'},
	    {"cache-dir", required_argument, NULL, 'c'},
	    {"args", required_argument, NULL, 'a'},
	    {"cap-args", required_argument, NULL, 'C'},
	    {"valid", required_argument, NULL, 'v'},
	    {},
	};
	struct ctx c = {};
	_cleanup_free_ char *conf_text = NULL;
	int o, r;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (o) {
		case 'p':
			if (arg_n_dirs >= RUN_MAX_DIRS)
				return 2;
			arg_dirs[arg_n_dirs++] = optarg;
			break;
		case 'c':
			arg_cache_dir = optarg;
			break;
		case 'a':
			arg_args = optarg;
			break;
		case 'C':
			arg_cap_args = json_loads(optarg, 0, NULL);
			if (!json_is_object(arg_cap_args)) {
				fprintf(stderr, "cni-run: --cap-args: not a JSON object\n");
				return 2;
			}
			break;
		case 'v':
			if (arg_n_valid >= RUN_MAX_VALID)
				return 2;
			arg_valid[arg_n_valid++] = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind != 5) {
		usage();
		return 2;
	}
	c.verb = argv[optind];
	c.netns = argv[optind + 2];
	c.id = argv[optind + 3];
	c.ifname = argv[optind + 4];
	if (arg_n_dirs == 0) {
		const char *p = getenv("CNI_PATH");
		static char buf[8192];
		snprintf(buf, sizeof(buf), "%s", p ? p : "/opt/cni/bin");
		for (char *save = NULL, *t = strtok_r(buf, ":", &save);
		     t && arg_n_dirs < RUN_MAX_DIRS; t = strtok_r(NULL, ":", &save))
			arg_dirs[arg_n_dirs++] = t;
	}
	for (size_t i = 0, n = 0; i < arg_n_dirs; i++) {
		int k = snprintf(c.cni_path + n, sizeof(c.cni_path) - n, "%s%s", i ? ":" : "",
				 arg_dirs[i]);
		if (k < 0 || (size_t)k >= sizeof(c.cni_path) - n)
			break;
		n += (size_t)k;
	}
	if (load_list(&c, argv[optind + 1], &conf_text) < 0)
		return 2;

	if (strcmp(c.verb, "ADD") == 0)
		r = do_add(&c, conf_text);
	else if (strcmp(c.verb, "DEL") == 0)
		r = del_attachment(&c, c.id, c.ifname, c.netns);
	else if (strcmp(c.verb, "CHECK") == 0)
		r = do_check(&c);
	else if (strcmp(c.verb, "GC") == 0)
		r = do_gc(&c);
	else if (strcmp(c.verb, "STATUS") == 0 || strcmp(c.verb, "VERSION") == 0)
		r = do_simple(&c, c.verb);
	else {
		usage();
		r = -EINVAL;
	}
	json_decref(c.list);
	json_decref(arg_cap_args);
	fflush(stdout);
	return r < 0 ? 1 : 0;
}
