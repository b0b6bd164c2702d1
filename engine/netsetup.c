// SPDX-License-Identifier: Apache-2.0
/* See netsetup.h. */
#include "netsetup.h"

#include "backend-cni.h"
#include "basic/child.h"
#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/proc.h"
#include "basic/time-util.h"
#include "ipam/ipam.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ENG_MAX_BACKEND_OUTPUT (1u << 20)

/* ---- the namespace ---- */

/* As ip-netns does: the directory is a shared mount, so an unmount reaches every copy. */
static int netns_dir_prepare(const char *dir)
{
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

int eng_netns_create(struct eng_ctx *ctx, const char *id, char **ret_path,
		     struct berth_error **reterr)
{
	_cleanup_free_ char *dir = eng_path(ctx->run_root, "netns");
	_cleanup_free_ char *path = eng_path(ctx->run_root, "netns/%s", id);
	if (!dir || !path)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = netns_dir_prepare(dir);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "prepare %s", dir);
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", path);
	close(fd);
	/* a child enters a new namespace and pins it on the file */
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		(void)unlink(path);
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "fork");
	}
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(2);
		_exit(0);
	}
	int status = 0;
	r = berth_child_wait(pid, berth_pidfd_open(pid), berth_now_ms() + 10000, &status);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (r == -ETIMEDOUT)
			(void)kill(pid, SIGKILL), (void)waitpid(pid, NULL, 0);
		(void)eng_netns_delete(path);
		return berth_error_set(reterr, r < 0 ? -r : EPERM,
				       "create network namespace %s: %s", path,
				       r < 0 ? strerror(-r)
				       : WEXITSTATUS(status) == 1 ? "unshare failed"
								  : "bind mount failed");
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

int eng_netns_delete(const char *path)
{
	if (!path)
		return 0;
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- IPAM ---- */

static int ipam_config(const struct eng_network *n, struct berth_ipam_range *ranges,
		       struct berth_ipam_rangeset *sets, struct berth_ipam_config *cfg)
{
	json_t *subnets = json_object_get(n->j, "subnets"), *s;
	size_t i, k = 0;
	json_array_foreach(subnets, i, s) {
		if (k >= ENG_MAX_SUBNETS)
			return -E2BIG;
		struct berth_ipam_range *rg = &ranges[k];
		memset(rg, 0, sizeof(*rg));
		const char *sub = json_string_value(json_object_get(s, "subnet"));
		const char *gw = json_string_value(json_object_get(s, "gateway"));
		json_t *lr = json_object_get(s, "lease_range");
		const char *st = json_string_value(json_object_get(lr, "start_ip"));
		const char *en = json_string_value(json_object_get(lr, "end_ip"));
		if (!sub || berth_ipnet_parse(sub, &rg->subnet) < 0)
			return -EINVAL;
		berth_ipnet_network(&rg->subnet, &rg->subnet);
		if ((gw && berth_ip_parse(gw, &rg->gateway) < 0) ||
		    (st && berth_ip_parse(st, &rg->start) < 0) ||
		    (en && berth_ip_parse(en, &rg->end) < 0))
			return -EINVAL;
		sets[k] = (struct berth_ipam_rangeset){.ranges = rg, .n_ranges = 1};
		k++;
	}
	*cfg = (struct berth_ipam_config){.sets = sets, .n_sets = k};
	return 0;
}

int eng_ipam_allocate(struct eng_ctx *ctx, const struct eng_container *c,
		      const struct eng_network *n, const char *ifname, json_t *requested,
		      json_t **ret_ips, struct berth_error **reterr)
{
	struct berth_ipam_range ranges[ENG_MAX_SUBNETS];
	struct berth_ipam_rangeset sets[ENG_MAX_SUBNETS];
	struct berth_ipam_config cfg;
	struct berth_ipam_alloc allocs[ENG_MAX_SUBNETS];
	struct berth_ip req[BERTH_IPAM_MAX_REQUESTS];
	size_t n_req = 0, i;
	json_t *v;
	int r;

	json_t *ips = json_array();
	if (!ips)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (!eng_network_ipam_host_local(n) || !json_array_size(json_object_get(n->j, "subnets"))) {
		if (json_array_size(requested)) {
			json_decref(ips);
			return berth_error_set(reterr, EINVAL,
					       "network %s has no IPAM: static IPs cannot be set",
					       n->name);
		}
		*ret_ips = ips;
		return 0;
	}
	if (ipam_config(n, ranges, sets, &cfg) < 0) {
		json_decref(ips);
		return berth_error_set(reterr, EINVAL, "network %s: bad subnets", n->name);
	}
	json_array_foreach(requested, i, v) {
		if (n_req >= BERTH_IPAM_MAX_REQUESTS ||
		    berth_ip_parse(json_string_value(v) ? json_string_value(v) : "", &req[n_req]) < 0) {
			json_decref(ips);
			return berth_error_set(reterr, EINVAL, "bad static IP %s",
					       json_string_value(v) ? json_string_value(v) : "?");
		}
		n_req++;
	}
	r = berth_ipam_config_canonicalize(&cfg, reterr);
	if (r < 0) {
		json_decref(ips);
		return berth_error_wrap(reterr, "network %s", n->name);
	}
	_cleanup_free_ char *dir = eng_path(ctx->root, "ipam");
	struct berth_ipam_store *st = NULL;
	if (!dir) {
		json_decref(ips);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	r = berth_ipam_store_open(dir, n->name, 0, &st, reterr);
	if (r >= 0)
		r = berth_ipam_allocate(st, &cfg, c->id, ifname, req, n_req, allocs, reterr);
	berth_ipam_store_free(st);
	if (r < 0) {
		json_decref(ips);
		return berth_error_wrap(reterr, "allocate an address on network %s", n->name);
	}
	for (i = 0; i < cfg.n_sets; i++) {
		char buf[BERTH_IP_STRLEN];
		json_array_append_new(ips, json_string(berth_ip_fmt(&allocs[i].ip, buf)));
	}
	*ret_ips = ips;
	return 0;
}

void eng_ipam_release(struct eng_ctx *ctx, const char *id, const char *net, const char *ifname)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "ipam");
	struct berth_ipam_store *st = NULL;
	_cleanup_berth_error_ struct berth_error *e = NULL;
	if (!dir || berth_ipam_store_open(dir, net, 0, &st, &e) < 0)
		return;
	if (berth_ipam_release(st, id, ifname, &e) < 0) {
		_cleanup_free_ char *t = berth_error_text(e);
		log_warn("release the addresses of %s on %s: %s", id, net, t ? t : "?");
	}
	berth_ipam_store_free(st);
}

/* ---- the backends ---- */

/* NetworkOptions for the named networks of c. */
static json_t *network_options(struct eng_ctx *ctx, const struct eng_container *c,
			       const char *const *nets, size_t n_nets, struct berth_error **reterr)
{
	json_t *o = json_pack("{s:s, s:s}", "container_id", c->id, "container_name", c->name);
	json_t *ports = json_object_get(c->j, "ports");
	json_t *dns = json_object_get(c->j, "dns");
	json_t *networks = json_object(), *info = json_object();
	if (!o || !networks || !info) {
		json_decref(o), json_decref(networks), json_decref(info);
		berth_error_set(reterr, ENOMEM, "out of memory");
		return NULL;
	}
	if (json_array_size(ports))
		json_object_set(o, "port_mappings", ports);
	json_object_set_new(o, "networks", networks);
	json_object_set_new(o, "network_info", info);
	if (json_array_size(dns))
		json_object_set(o, "dns_servers", dns);
	for (size_t i = 0; i < n_nets; i++) {
		struct eng_network *n = NULL;
		if (eng_network_get(ctx, nets[i], &n, reterr) < 0) {
			json_decref(o);
			return NULL;
		}
		json_t *att = json_object_get(json_object_get(c->j, "networks"), nets[i]);
		json_t *pn = json_object();
		json_t *ips = json_object_get(json_object_get(c->j, "ips"), nets[i]);
		json_object_set_new(pn, "static_ips", ips ? json_incref(ips) : json_array());
		json_t *aliases = json_array();
		json_t *given = json_object_get(att, "aliases"), *a;
		size_t k;
		json_array_foreach(given, k, a)
			json_array_append(aliases, a);
		char shortid[13];
		snprintf(shortid, sizeof(shortid), "%.12s", c->id);
		json_array_append_new(aliases, json_string(shortid));
		json_object_set_new(pn, "aliases", aliases);
		json_object_set(pn, "interface_name", json_object_get(att, "interface_name"));
		if (json_is_string(json_object_get(att, "static_mac")))
			json_object_set(pn, "static_mac", json_object_get(att, "static_mac"));
		json_object_set_new(networks, nets[i], pn);
		json_object_set(info, nets[i], n->j);
		eng_network_free(n);
	}
	return o;
}

static int run_netavark(struct eng_ctx *ctx, const char *bin, const char *verb, const char *netns,
			const char *input, char **ret_out, struct berth_error **reterr)
{
	_cleanup_free_ char *cfg = eng_path(ctx->run_root, "networks");
	_cleanup_free_ char *aard = NULL;
	if (!cfg || asprintf(&aard, "--aardvark-binary=%s", ctx->dns_bin) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = mkdir_p(cfg, 0755);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "create %s", cfg);
	char *const argv[] = {(char *)bin, (char *)"--config", cfg, (char *)"--rootless=false", aard,
			      (char *)verb, (char *)netns, NULL};
	/* the backend logs at our level (its info lines would clutter a user's terminal) */
	static const char *const names[] = {"off", "error", "warn", "info", "debug", "trace"};
	char logenv[32];
	snprintf(logenv, sizeof(logenv), "BERTH_LOG=%s", names[log_get_level()]);
	char *const env[] = {logenv, NULL};
	struct berth_proc_spec spec = {
		.path = bin,
		.argv = argv,
		.set_env = env,
		.input = input,
		.input_len = strlen(input),
		.max_output = ENG_MAX_BACKEND_OUTPUT,
		.timeout_ms = ENG_BACKEND_TIMEOUT_MS,
	};
	_cleanup_free_ char *out = NULL;
	int status = 0;
	log_debug("%s %s %s", bin, verb, netns);
	r = berth_proc_run(&spec, &out, NULL, &status);
	if (r == -ENOENT)
		return berth_error_set(reterr, ENOENT, "netavark backend %s not found", bin);
	if (r == -ETIMEDOUT)
		return berth_error_set(reterr, ETIMEDOUT, "netavark %s: no answer within %d s", verb,
				       ENG_BACKEND_TIMEOUT_MS / 1000);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "run %s", bin);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_auto_t *j = json_loads(out ? out : "", 0, NULL);
		const char *msg = json_string_value(json_object_get(j, "error"));
		return berth_error_set(reterr, EIO, "netavark (exit code %d): %s",
				       berth_proc_exit_code(status),
				       msg ? msg : out && *out ? out : "no error message");
	}
	if (ret_out)
		*ret_out = TAKE_PTR(out);
	return 0;
}

/*
 * The netavark-protocol networks, one call per backend binary (a network's
 * label "berth.netavark" names its own, e.g. Debian's netavark; the others
 * use --network-backend), in the order the binaries first appear. Setup
 * merges each status; teardown is best effort and returns the first error.
 */
static int netavark_calls(struct eng_ctx *ctx, struct eng_container *c, const char *netns,
			  const char **names, const char **bins, size_t n, bool setup,
			  json_t *status, struct berth_error **reterr)
{
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		bool first = true;
		for (size_t k = 0; k < i && first; k++)
			first = strcmp(bins[k], bins[i]) != 0;
		if (!first)
			continue;
		const char *group[ENG_MAX_CTR_NETWORKS];
		size_t ng = 0;
		for (size_t k = i; k < n && ng < ENG_MAX_CTR_NETWORKS; k++)
			if (strcmp(bins[k], bins[i]) == 0)
				group[ng++] = names[k];
		_cleanup_berth_error_ struct berth_error *e = NULL;
		json_auto_t *opts = network_options(ctx, c, group, ng, &e);
		_cleanup_free_ char *input =
		    opts ? json_dumps(opts, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		_cleanup_free_ char *out = NULL;
		int q = !opts ? berth_error_wrap(&e, "network options")
			: !input ? berth_error_set(&e, ENOMEM, "out of memory")
				 : run_netavark(ctx, bins[i], setup ? "setup" : "teardown", netns,
						input, setup ? &out : NULL, &e);
		if (q >= 0 && setup) {
			json_auto_t *j = json_loads(out ? out : "", 0, NULL);
			if (!json_is_object(j))
				q = berth_error_set(&e, EBADMSG, "netavark setup: bad output: %.200s",
						    out ? out : "");
			else
				json_object_update(status, j);
		}
		if (q >= 0 && !setup)
			for (size_t k = 0; k < ng; k++)
				json_object_del(status, group[k]);
		if (q < 0 && ret == 0) {
			ret = q;
			if (reterr)
				*reterr = TAKE_PTR(e);
			if (setup)
				return ret;
		} else if (q < 0) {
			_cleanup_free_ char *t = berth_error_text(e);
			log_warn("network teardown: %s", t ? t : "?");
		}
	}
	return ret;
}

int eng_backend_call(struct eng_ctx *ctx, struct eng_container *c, const char *netns,
		     const char *const *nets, size_t n_nets, bool setup,
		     struct berth_error **reterr)
{
	if (n_nets == 0)
		return 0;
	json_t *status = json_object_get(c->j, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(c->j, "status", status);
	}
	/* netavark networks together in one berth-net call, each CNI network on its own */
	_cleanup_free_ const char **nv = calloc(n_nets, sizeof(*nv));
	_cleanup_free_ const char **nvbin = calloc(n_nets, sizeof(*nvbin));
	_cleanup_free_ char **nvbin_owned = calloc(n_nets, sizeof(*nvbin_owned));
	_cleanup_free_ const char **cv = calloc(n_nets, sizeof(*cv));
	_cleanup_free_ struct eng_network **cn = calloc(n_nets, sizeof(*cn));
	size_t n_nv = 0, n_cv = 0, i;
	int r = 0, ret = 0;
	if (!nv || !cv || !cn || !nvbin || !nvbin_owned)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (i = 0; i < n_nets && r >= 0; i++) {
		struct eng_network *n = NULL;
		if (eng_network_get(ctx, nets[i], &n, reterr) < 0) {
			/* a removed CNI network: its cached attachment can still be deleted */
			if (setup || !eng_cni_cached(ctx, c, nets[i]))
				r = -EINVAL;
			else if (reterr)
				berth_error_freep(reterr);
			if (r >= 0)
				cv[n_cv++] = nets[i];
		} else if (n->backend == ENG_BACKEND_CNI) {
			cn[n_cv] = n;
			cv[n_cv++] = nets[i];
		} else {
			const char *bin = eng_network_label(n, "berth.netavark");
			if (bin && bin[0] != '/') {
				r = berth_error_set(reterr, EINVAL,
						    "network %s: label berth.netavark must be an "
						    "absolute path, not %s",
						    nets[i], bin);
			} else {
				nvbin_owned[n_nv] = bin ? strdup(bin) : NULL;
				nvbin[n_nv] = nvbin_owned[n_nv] ? nvbin_owned[n_nv] : ctx->netavark;
				nv[n_nv++] = nets[i];
			}
			eng_network_free(n);
		}
	}
	if (r >= 0 && setup && n_nv > 0)
		r = netavark_calls(ctx, c, netns, nv, nvbin, n_nv, true, status, reterr);
	for (i = 0; r >= 0 && setup && i < n_cv; i++) {
		json_t *st = NULL;
		r = eng_cni_setup(ctx, c, cn[i], netns, &st, reterr);
		if (r >= 0)
			json_object_set_new(status, cv[i], st);
	}
	/* teardown: CNI in reverse, then berth-net; best effort, the first error is returned */
	for (i = n_cv; r >= 0 && !setup && i > 0; i--) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		if (eng_cni_teardown(ctx, c, cv[i - 1], cn[i - 1], netns, &e) < 0) {
			if (ret == 0) {
				ret = -(e && e->errnum ? e->errnum : EIO);
				if (reterr)
					*reterr = TAKE_PTR(e);
			} else {
				_cleanup_free_ char *t = berth_error_text(e);
				log_warn("network teardown: %s", t ? t : "?");
			}
		} else {
			json_object_del(status, cv[i - 1]);
		}
	}
	if (r >= 0 && !setup && n_nv > 0) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		int q = netavark_calls(ctx, c, netns, nv, nvbin, n_nv, false, status, &e);
		if (q < 0 && ret == 0) {
			ret = q;
			if (reterr)
				*reterr = TAKE_PTR(e);
		}
	}
	for (i = 0; i < n_nv; i++)
		free(nvbin_owned[i]);
	for (i = 0; i < n_cv; i++)
		eng_network_free(cn[i]);
	return r < 0 ? r : ret;
}

/* ---- /etc files ---- */

static int write_user_file(struct eng_container *c, const char *name, const char *text,
			   struct berth_error **reterr)
{
	_cleanup_free_ char *dir = eng_path(c->dir, "userdata");
	_cleanup_free_ char *path = eng_path(c->dir, "userdata/%s", name);
	if (!dir || !path)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = mkdir_p(dir, 0755);
	if (r >= 0)
		r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write %s", path);
	return 0;
}

/* The host's nameservers a container can reach (not loopback ones). */
static char *host_nameservers(void)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	char *out = strdup("");
	if (!out || read_file_limited("/etc/resolv.conf", 65536, &buf, &len) < 0)
		return out;
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line && out;
	     line = strtok_r(NULL, "\n", &save)) {
		char ns[128];
		if (sscanf(line, " nameserver %127s", ns) != 1)
			continue;
		if (strncmp(ns, "127.", 4) == 0 || strcmp(ns, "::1") == 0)
			continue;
		out = berth_strappendf(out, "nameserver %s\n", ns);
	}
	return out;
}

int eng_write_etc_files(struct eng_ctx *ctx, struct eng_container *c, struct berth_error **reterr)
{
	const char *hostname = json_string_value(json_object_get(c->j, "hostname"));
	json_t *status = json_object_get(c->j, "status");
	json_t *dns = json_object_get(c->j, "dns");
	char *hosts = strdup("127.0.0.1\tlocalhost localhost.localdomain\n"
			     "::1\tlocalhost localhost.localdomain\n");
	char *resolv = strdup("");
	const char *net;
	json_t *st;
	bool have_dns_server = false;
	bool gw_done = false;
	json_object_foreach(status, net, st) {
		json_t *ifs = json_object_get(st, "interfaces"), *ifv;
		const char *ifname;
		json_object_foreach(ifs, ifname, ifv) {
			json_t *subs = json_object_get(ifv, "subnets"), *s;
			size_t i;
			json_array_foreach(subs, i, s) {
				const char *ipnet = json_string_value(json_object_get(s, "ipnet"));
				const char *gw = json_string_value(json_object_get(s, "gateway"));
				if (!ipnet || !hosts)
					continue;
				char ip[64];
				snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(ipnet, "/"), ipnet);
				hosts = berth_strappendf(hosts, "%s\t%s %s\n", ip, hostname, c->name);
				if (gw && !gw_done && hosts) {
					hosts = berth_strappendf(hosts, "%s\thost.containers.internal\n",
								 gw);
					gw_done = true;
				}
			}
		}
		if (json_array_size(dns))
			continue;
		json_t *servers = json_object_get(st, "dns_server_ips"), *sv;
		size_t i;
		json_array_foreach(servers, i, sv) {
			if (resolv && json_is_string(sv) &&
			    !strstr(resolv, json_string_value(sv))) {
				resolv = berth_strappendf(resolv, "nameserver %s\n",
							  json_string_value(sv));
				have_dns_server = true;
			}
		}
	}
	if (json_array_size(dns)) {
		size_t i;
		json_t *sv;
		json_array_foreach(dns, i, sv)
			if (resolv && json_is_string(sv))
				resolv = berth_strappendf(resolv, "nameserver %s\n",
							  json_string_value(sv));
	} else if (have_dns_server) {
		char *with = NULL;
		if (resolv && asprintf(&with, "search dns.podman\n%s", resolv) >= 0) {
			free(resolv);
			resolv = with;
		}
	} else if (resolv) {
		free(resolv);
		resolv = host_nameservers();
	}
	_cleanup_free_ char *hn = NULL;
	if (!hosts || !resolv || asprintf(&hn, "%s\n", hostname) < 0) {
		free(hosts), free(resolv);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	int r = write_user_file(c, "hosts", hosts, reterr);
	if (r >= 0)
		r = write_user_file(c, "resolv.conf", resolv, reterr);
	if (r >= 0)
		r = write_user_file(c, "hostname", hn, reterr);
	free(hosts), free(resolv);
	(void)ctx;
	return r;
}
