// SPDX-License-Identifier: Apache-2.0
/*
 * Pods: berth pod create|ls|inspect|start|stop|rm, and --pod for run and
 * create. A pod is a record <root>/pods/<id>/pod.json and an infra
 * container: Debian's static catatonit in pause mode (-P), in a rootfs of
 * its own (<root>/infra/rootfs), which holds the pod's network namespace.
 * The pod's networks, port mappings, addresses, hostname and DNS servers
 * are the infra container's; members join its network, ipc and uts
 * namespaces and mount its /etc/hosts and resolv.conf, so a member that
 * starts, stops or leaves never calls a network backend.
 */
#include "container.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENG_MAX_PODS 1024

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static const char *const catatonit_paths[] = {"/usr/libexec/podman/catatonit", "/usr/bin/catatonit",
					      "/usr/libexec/catatonit/catatonit", NULL};

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return -errno;
	struct stat st;
	if (fstat(in, &st) < 0)
		return -errno;
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/* <root>/infra/rootfs with /catatonit: built once, in a temporary directory renamed into place. */
static int infra_rootfs(struct eng_ctx *ctx, char **ret, struct berth_error **reterr)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "infra");
	_cleanup_free_ char *rootfs = eng_path(ctx->root, "infra/rootfs");
	_cleanup_free_ char *tmp = eng_path(ctx->root, "infra/.rootfs-%d", (int)getpid());
	if (!dir || !rootfs || !tmp)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	_cleanup_free_ char *probe = eng_path(rootfs, "catatonit");
	if (probe && access(probe, X_OK) == 0) {
		*ret = TAKE_PTR(rootfs);
		return 0;
	}
	const char *src = getenv("BERTH_CATATONIT");
	for (size_t i = 0; !src && catatonit_paths[i]; i++)
		if (access(catatonit_paths[i], X_OK) == 0)
			src = catatonit_paths[i];
	if (!src)
		return berth_error_set(reterr, ENOENT,
				       "pods need catatonit (apt-get install catatonit) for their "
				       "infra container");
	static const char *const sub[] = {"dev", "proc", "sys", "etc", NULL};
	for (size_t i = 0; sub[i]; i++) {
		_cleanup_free_ char *d = eng_path(tmp, "%s", sub[i]);
		if (!d || mkdir_p(d, 0755) < 0)
			return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", tmp);
	}
	_cleanup_free_ char *dst = eng_path(tmp, "catatonit");
	int r = dst ? copy_file(src, dst, 0755) : -ENOMEM;
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "copy %s", src);
	if (rename(tmp, rootfs) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", rootfs);
	*ret = TAKE_PTR(rootfs);
	return 0;
}

struct pod {
	json_t *j;
	char *dir;
	const char *id, *name, *infra_id;
};

static void pod_free(struct pod *p)
{
	if (!p)
		return;
	json_decref(p->j);
	free(p->dir);
	free(p);
}

static void pod_freep(struct pod **p)
{
	pod_free(*p);
}

static int pod_load(struct eng_ctx *ctx, const char *id, struct pod **ret)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "pods/%s", id);
	_cleanup_free_ char *path = eng_path(ctx->root, "pods/%s/pod.json", id);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (!dir || !path)
		return -ENOMEM;
	int r = read_file_limited(path, 65536, &buf, &len);
	if (r < 0)
		return r;
	json_t *j = json_loadb(buf, len, 0, NULL);
	if (!json_is_string(json_object_get(j, "id")) || !json_is_string(json_object_get(j, "name"))) {
		json_decref(j);
		return -EBADMSG;
	}
	struct pod *p = calloc(1, sizeof(*p));
	if (!p) {
		json_decref(j);
		return -ENOMEM;
	}
	p->j = j;
	p->dir = TAKE_PTR(dir);
	p->id = json_string_value(json_object_get(j, "id"));
	p->name = json_string_value(json_object_get(j, "name"));
	p->infra_id = json_string_value(json_object_get(j, "infra_id"));
	*ret = p;
	return 0;
}

static int pod_save(const struct pod *p, struct berth_error **reterr)
{
	_cleanup_free_ char *text = json_dumps(p->j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	_cleanup_free_ char *path = eng_path(p->dir, "pod.json");
	if (!text || !path)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = mkdir_p(p->dir, 0700);
	if (r >= 0)
		r = write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write %s", path);
	return 0;
}

/* All pods; a pod whose record is half written (a crash in create) is dropped. */
static int pod_list(struct eng_ctx *ctx, struct pod ***ret, size_t *ret_n)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "pods");
	if (!dir)
		return -ENOMEM;
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct pod **v = calloc(ENG_MAX_PODS, sizeof(*v));
	size_t n = 0;
	if (!v)
		return -ENOMEM;
	for (struct dirent *de; d && (de = readdir(d)) && n < ENG_MAX_PODS;) {
		if (de->d_name[0] == '.')
			continue;
		if (pod_load(ctx, de->d_name, &v[n]) == 0)
			n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void pod_list_free(struct pod **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pod_free(v[i]);
	free(v);
}

static int pod_get(struct eng_ctx *ctx, const char *ref, struct pod **ret, struct berth_error **reterr)
{
	struct pod **v;
	size_t n, hit = SIZE_MAX, prefix = 0, at = 0;
	if (pod_list(ctx, &v, &n) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	size_t rl = strlen(ref);
	for (size_t i = 0; i < n && hit == SIZE_MAX; i++) {
		if (strcmp(v[i]->name, ref) == 0 || strcmp(v[i]->id, ref) == 0)
			hit = i;
		else if (rl >= 3 && strncmp(v[i]->id, ref, rl) == 0)
			prefix++, at = i;
	}
	if (hit == SIZE_MAX && prefix == 1)
		hit = at;
	if (hit == SIZE_MAX) {
		pod_list_free(v, n);
		return berth_error_set(reterr, ENOENT, "no pod with name or ID %s found: no such pod",
				       ref);
	}
	*ret = TAKE_PTR(v[hit]);
	pod_list_free(v, n);
	return 0;
}

int eng_pod_resolve(struct eng_ctx *ctx, const char *ref, char **ret_id, char **ret_infra,
		    struct berth_error **reterr)
{
	_cleanup_(pod_freep) struct pod *p = NULL;
	int r = pod_get(ctx, ref, &p, reterr);
	if (r < 0)
		return r;
	if (!p->infra_id)
		return berth_error_set(reterr, EINVAL, "pod %s has no infra container", p->name);
	*ret_id = strdup(p->id);
	*ret_infra = strdup(p->infra_id);
	if (!*ret_id || !*ret_infra)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	return 0;
}

/* The pod's containers: its members first, its infra container last. */
static int pod_containers(struct eng_ctx *ctx, const struct pod *p, struct eng_container ***ret,
			  size_t *ret_n, struct berth_error **reterr)
{
	struct eng_container **all;
	size_t n, k = 0;
	int r = eng_container_list(ctx, &all, &n, reterr);
	if (r < 0)
		return r;
	struct eng_container *infra = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *pod = json_string_value(json_object_get(all[i]->j, "pod"));
		if (!pod || strcmp(pod, p->id) != 0) {
			eng_container_free(all[i]);
			continue;
		}
		if (json_is_true(json_object_get(all[i]->j, "infra")))
			infra = all[i];
		else
			all[k++] = all[i];
	}
	if (infra)
		all[k++] = infra;
	*ret = all;
	*ret_n = k;
	return 0;
}

/* ---- commands ---- */

static int pod_create(struct eng_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"network", required_argument, NULL, 'N'},
		{"publish", required_argument, NULL, 'p'},
		{"hostname", required_argument, NULL, 'H'},
		{"ip", required_argument, NULL, 'i'},
		{"mac-address", required_argument, NULL, 'm'},
		{"alias", required_argument, NULL, 'a'},
		{"network-alias", required_argument, NULL, 'a'},
		{"dns", required_argument, NULL, 'D'},
		{},
	};
	struct eng_create_opts o = {0};
	const char *name = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:", opts, NULL)) >= 0) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'N':
			if (o.n_networks >= ENG_MAX_CTR_NETWORKS)
				return eng_usage_fail("pod create", "too many networks");
			o.networks[o.n_networks++] = optarg;
			break;
		case 'p':
			if (o.n_ports >= ENG_MAX_PORTS)
				return eng_usage_fail("pod create", "too many port mappings");
			o.ports[o.n_ports++] = optarg;
			break;
		case 'H': o.hostname = optarg; break;
		case 'i': o.ip = optarg; break;
		case 'm': o.mac = optarg; break;
		case 'a':
			if (o.n_aliases >= ENG_MAX_ALIASES)
				return eng_usage_fail("pod create", "too many aliases");
			o.aliases[o.n_aliases++] = optarg;
			break;
		case 'D':
			if (o.n_dns >= 16)
				return eng_usage_fail("pod create", "too many DNS servers");
			o.dns[o.n_dns++] = optarg;
			break;
		default: return eng_usage_fail("pod create", "unknown option");
		}
	}
	if (optind < argc)
		return eng_usage_fail("pod create", "takes no arguments (use --name)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	char id[65], namebuf[32], infra_name[64];
	if (eng_random_id(id) < 0 || eng_lock(ctx, &err) < 0)
		return eng_fail(err);
	if (!name) {
		snprintf(namebuf, sizeof(namebuf), "pod-%.12s", id);
		name = namebuf;
	}
	struct pod **all;
	size_t n_all;
	if (pod_list(ctx, &all, &n_all) < 0)
		return ENG_EXIT_ERROR;
	pod_list_free(all, n_all);
	if (n_all >= ENG_MAX_PODS) {
		berth_error_set(&err, E2BIG, "at most %d pods: remove some first", ENG_MAX_PODS);
		return eng_fail(err);
	}
	struct pod *existing = NULL;
	if (pod_get(ctx, name, &existing, NULL) == 0) {
		pod_free(existing);
		berth_error_set(&err, EEXIST, "pod name %s is in use: pod already exists", name);
		return eng_fail(err);
	}
	_cleanup_free_ char *rootfs = NULL;
	if (infra_rootfs(ctx, &rootfs, &err) < 0)
		return eng_fail(err);
	_cleanup_(pod_freep) struct pod *p = calloc(1, sizeof(*p));
	if (!p)
		return ENG_EXIT_ERROR;
	p->j = json_pack("{s:s, s:s}", "id", id, "name", name);
	p->dir = eng_path(ctx->root, "pods/%s", id);
	if (!p->j || !p->dir)
		return ENG_EXIT_ERROR;
	p->id = id;
	snprintf(infra_name, sizeof(infra_name), "%.12s-infra", id);
	o.name = infra_name;
	o.infra_rootfs = rootfs;
	o.pod_id = NULL; /* set below: the infra container owns the network */
	char *args[] = {(char *)"berth-infra", (char *)"/catatonit", (char *)"-P", NULL};
	struct eng_container *infra = NULL;
	/* the record first: a crash leaves a pod without infra, which rm removes */
	if (pod_save(p, &err) < 0)
		return eng_fail(err);
	if (eng_container_create(ctx, &o, 3, args, &infra, &err) < 0) {
		_cleanup_free_ char *path = eng_path(p->dir, "pod.json");
		if (path)
			(void)unlink(path);
		(void)rmdir(p->dir);
		return eng_fail(err);
	}
	json_object_set_new(infra->j, "pod", json_string(id));
	/* the pod's name resolves to it on each of its networks, as in Podman */
	const char *net;
	json_t *att;
	json_object_foreach(json_object_get(infra->j, "networks"), net, att) {
		json_t *al = json_object_get(att, "aliases");
		if (!al)
			json_object_set_new(att, "aliases", al = json_array());
		json_array_append_new(al, json_string(name));
	}
	json_object_set_new(p->j, "infra_id", json_string(infra->id));
	int r = eng_container_save(infra, &err);
	eng_container_free(infra);
	if (r < 0 || pod_save(p, &err) < 0)
		return eng_fail(err);
	printf("%s\n", id);
	return 0;
}

static int pod_each(struct eng_ctx *ctx, const char *ref, const char *verb, int timeout, bool force)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	_cleanup_(pod_freep) struct pod *p = NULL;
	struct eng_container **v = NULL;
	size_t n = 0;
	int ret = 0;
	if (eng_lock(ctx, &err) < 0 || pod_get(ctx, ref, &p, &err) < 0 ||
	    pod_containers(ctx, p, &v, &n, &err) < 0)
		return eng_fail(err);
	if (strcmp(verb, "start") == 0) {
		/* the infra container first (it is last in the list) */
		for (size_t k = n; k-- > 0 && ret == 0;) {
			_cleanup_berth_error_ struct berth_error *e = NULL;
			if (eng_container_start(ctx, v[k], false, NULL, &e) < 0)
				ret = eng_fail(e);
		}
	} else if (strcmp(verb, "stop") == 0) {
		for (size_t k = 0; k < n; k++) {
			_cleanup_berth_error_ struct berth_error *e = NULL;
			if (eng_container_stop(ctx, v[k], timeout, &e) < 0)
				ret = eng_fail(e);
		}
	} else { /* rm */
		for (size_t k = 0; k < n && !force; k++) {
			eng_container_refresh(ctx, v[k]);
			if (eng_container_state(v[k]) == ENG_STATE_RUNNING) {
				berth_error_set(&err, EBUSY,
						"pod %s has running containers: stop it first, or use "
						"-f",
						p->name);
				eng_container_list_free(v, n);
				return eng_fail(err);
			}
		}
		for (size_t k = 0; k < n; k++) {
			_cleanup_berth_error_ struct berth_error *e = NULL;
			if (eng_container_remove(ctx, v[k], true, &e) < 0)
				ret = eng_fail(e);
		}
		if (ret == 0) {
			_cleanup_free_ char *path = eng_path(p->dir, "pod.json");
			if (path)
				(void)unlink(path);
			(void)rmdir(p->dir);
		}
	}
	eng_container_list_free(v, n);
	if (ret == 0)
		printf("%s\n", p->id);
	return ret;
}

static json_t *pod_json(struct eng_ctx *ctx, const struct pod *p)
{
	struct eng_container **v = NULL;
	size_t n = 0;
	json_t *ctrs = json_array(), *infra_j = NULL;
	bool running = false;
	if (pod_containers(ctx, p, &v, &n, NULL) == 0)
		for (size_t k = 0; k < n; k++) {
			eng_container_refresh(ctx, v[k]);
			enum eng_state s = eng_container_state(v[k]);
			bool is_infra = json_is_true(json_object_get(v[k]->j, "infra"));
			if (is_infra) {
				running = s == ENG_STATE_RUNNING;
				infra_j = json_pack("{s:O?, s:O?, s:O?}", "Networks",
						    json_object_get(v[k]->j, "networks"), "Addresses",
						    json_object_get(v[k]->j, "ips"), "Ports",
						    json_object_get(v[k]->j, "ports"));
			}
			json_array_append_new(ctrs, json_pack("{s:s, s:s, s:s, s:b}", "Id", v[k]->id,
							      "Name", v[k]->name, "State",
							      eng_state_name(s), "Infra", is_infra));
		}
	eng_container_list_free(v, n);
	return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o?}", "Id", p->id, "Name", p->name, "State",
			 running ? "Running" : "Stopped", "InfraContainerID", p->infra_id,
			 "Containers", ctrs, "InfraConfig", infra_j);
}

static int pod_ls(struct eng_ctx *ctx, int argc, char **argv)
{
	bool quiet = false, json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if (strcmp(argv[i], "--format=json") == 0 ||
			 (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
			  strcmp(argv[++i], "json") == 0))
			json = true;
		else
			return eng_usage_fail("pod ls", "unknown option %s", argv[i]);
	}
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct pod **v;
	size_t n;
	if (eng_lock(ctx, &err) < 0)
		return eng_fail(err);
	if (pod_list(ctx, &v, &n) < 0)
		return ENG_EXIT_ERROR;
	json_auto_t *a = json_array();
	if (!quiet && !json)
		printf("%-14s%-24s%-10s%-14s%s\n", "POD ID", "NAME", "STATUS", "INFRA ID",
		       "# OF CONTAINERS");
	for (size_t i = 0; i < n; i++) {
		json_t *pj = pod_json(ctx, v[i]);
		if (json)
			json_array_append(a, pj);
		else if (quiet)
			printf("%.12s\n", v[i]->id);
		else
			printf("%-14.12s%-24s%-10s%-14.12s%zu\n", v[i]->id, v[i]->name,
			       json_string_value(json_object_get(pj, "State")),
			       v[i]->infra_id ? v[i]->infra_id : "",
			       json_array_size(json_object_get(pj, "Containers")));
		json_decref(pj);
	}
	if (json) {
		_cleanup_free_ char *s = json_dumps(a, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
	}
	pod_list_free(v, n);
	return 0;
}

static int pod_inspect(struct eng_ctx *ctx, int argc, char **argv)
{
	if (argc != 2)
		return eng_usage_fail("pod inspect", "requires exactly 1 arg(s)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	_cleanup_(pod_freep) struct pod *p = NULL;
	if (eng_lock(ctx, &err) < 0 || pod_get(ctx, argv[1], &p, &err) < 0)
		return eng_fail(err);
	json_auto_t *j = pod_json(ctx, p);
	_cleanup_free_ char *s = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "{}");
	return 0;
}

int cmd_pod(struct eng_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return eng_usage_fail("pod", "requires a command: create|ls|inspect|start|stop|rm");
	const char *sub = argv[1];
	argc--, argv++;
	if (strcmp(sub, "create") == 0)
		return pod_create(ctx, argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "ps") == 0 || strcmp(sub, "list") == 0)
		return pod_ls(ctx, argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return pod_inspect(ctx, argc, argv);
	int timeout = ENG_STOP_TIMEOUT_S, first = 1;
	bool force = false;
	while (first < argc && argv[first][0] == '-') {
		if ((strcmp(argv[first], "-t") == 0 || strcmp(argv[first], "--time") == 0) &&
		    first + 1 < argc) {
			timeout = atoi(argv[first + 1]);
			if (timeout < 0 || timeout > 3600)
				return eng_usage_fail("pod", "bad --time");
			first += 2;
		} else if (strcmp(argv[first], "-f") == 0 || strcmp(argv[first], "--force") == 0) {
			force = true;
			first++;
		} else
			return eng_usage_fail("pod", "unknown option %s", argv[first]);
	}
	if (first >= argc)
		return eng_usage_fail("pod", "requires a pod name or ID");
	if (strcmp(sub, "start") != 0 && strcmp(sub, "stop") != 0 && strcmp(sub, "rm") != 0)
		return eng_usage_fail("pod", "unknown command %s", sub);
	int ret = 0;
	for (int i = first; i < argc; i++)
		if (pod_each(ctx, argv[i], sub, timeout, force) != 0)
			ret = ENG_EXIT_ERROR;
	return ret;
}
