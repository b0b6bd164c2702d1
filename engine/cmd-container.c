// SPDX-License-Identifier: Apache-2.0
/*
 * berth run|create|start|stop|restart|rm|ps|inspect|exec|logs and
 * network connect|disconnect|reload: Podman's flags where berth has the
 * feature (podman-run(1)).
 */
#include "container.h"
#include "image.h"
#include "netsetup.h"
#include "oci.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/proc.h"
#include "net/ipaddr.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 4096

static void imagefreep(struct eng_image **p)
{
	eng_image_free(*p);
}


static const struct option create_long[] = {
	{"name", required_argument, NULL, 'n'},
	{"network", required_argument, NULL, 'N'},
	{"net", required_argument, NULL, 'N'},
	{"ip", required_argument, NULL, 'Q'},
	{"mac-address", required_argument, NULL, 'm'},
	{"alias", required_argument, NULL, 'a'},
	{"network-alias", required_argument, NULL, 'a'},
	{"publish", required_argument, NULL, 'p'},
	{"dns", required_argument, NULL, 'D'},
	{"hostname", required_argument, NULL, 'H'},
	{"pod", required_argument, NULL, 'P'},
	{"env", required_argument, NULL, 'e'},
	{"workdir", required_argument, NULL, 'w'},
	{"rm", no_argument, NULL, 'r'},
	{"detach", no_argument, NULL, 'd'},
	{"interactive", no_argument, NULL, 'I'},
	{"tty", no_argument, NULL, 't'},
	{"help", no_argument, NULL, 'h'},
	{},
};

#define PUSH(arr, n, max, v, what)                                                                 \
	do {                                                                                       \
		if ((n) >= (max))                                                                  \
			return eng_usage_fail(cmd, "too many %s (at most %d)", what, (int)(max)), -1; \
		(arr)[(n)++] = (v);                                                                \
	} while (0)

static int parse_create(const char *cmd, int argc, char **argv, struct eng_create_opts *o)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+dip:e:tw:h", create_long, NULL)) >= 0) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'N': PUSH(o->networks, o->n_networks, ENG_MAX_CTR_NETWORKS, optarg, "networks"); break;
		case 'Q': o->ip = optarg; break;
		case 'm': o->mac = optarg; break;
		case 'a': PUSH(o->aliases, o->n_aliases, ENG_MAX_ALIASES, optarg, "aliases"); break;
		case 'p': PUSH(o->ports, o->n_ports, ENG_MAX_PORTS, optarg, "port mappings"); break;
		case 'D': PUSH(o->dns, o->n_dns, 16, optarg, "DNS servers"); break;
		case 'H': o->hostname = optarg; break;
		case 'P': o->pod = optarg; break;
		case 'e': PUSH(o->env, o->n_env, 256, optarg, "environment variables"); break;
		case 'w': o->workdir = optarg; break;
		case 'r': o->rm = true; break;
		case 'd': o->detach = true; break;
		/* in the foreground the container has berth's stdin already */
		case 'i':
		case 'I': break;
		case 't':
			return eng_usage_fail(cmd, "--tty: a terminal for the container is not "
					      "supported by this version of berth (run without -t)"),
			       -1;
		case 'h':
			printf("Usage: berth %s [OPTIONS] IMAGE [COMMAND [ARG...]]\n", cmd);
			return -2;
		default: return eng_usage_fail(cmd, "unknown option"), -1;
		}
	}
	if (optind >= argc)
		return eng_usage_fail(cmd, "requires at least 1 arg(s)"), -1;
	return optind;
}

/* "[[ip:][hostport[-end]]:]ctrport[-end][/proto]" into a netavark port mapping. */
static int parse_port(const char *spec, json_t **ret, struct berth_error **reterr)
{
	char buf[128];
	if (strlen(spec) >= sizeof(buf))
		return berth_error_set(reterr, EINVAL, "port mapping %s too long", spec);
	strcpy(buf, spec);
	const char *proto = "tcp";
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return berth_error_set(reterr, EINVAL, "invalid protocol %s in %s", proto, spec);
	}
	char *parts[3] = {0};
	int np = 0;
	/* an IPv6 host address is written in brackets */
	char *p = buf;
	if (*p == '[') {
		char *end = strchr(p, ']');
		if (!end || end[1] != ':')
			return berth_error_set(reterr, EINVAL, "invalid port mapping %s", spec);
		*end = '\0';
		parts[np++] = p + 1;
		p = end + 2;
	}
	for (char *save = NULL, *t = strtok_r(p, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		if (np >= 3)
			return berth_error_set(reterr, EINVAL, "invalid port mapping %s", spec);
		parts[np++] = t;
	}
	if (p != buf + 0 && buf[0] == '[' && np == 2) {
		/* [ip]:ctr is not valid: [ip]::ctr or [ip]:host:ctr */
	}
	const char *hostip = "", *hostport = NULL, *ctrport = NULL;
	if (np == 1)
		ctrport = parts[0];
	else if (np == 2)
		hostport = parts[0], ctrport = parts[1];
	else if (np == 3)
		hostip = parts[0], hostport = parts[1], ctrport = parts[2];
	else
		return berth_error_set(reterr, EINVAL, "invalid port mapping %s", spec);
	unsigned c0, c1, h0 = 0, h1 = 0;
	int k;
	if (!ctrport || (k = sscanf(ctrport, "%u-%u", &c0, &c1)) < 1 || c0 == 0 || c0 > 65535)
		return berth_error_set(reterr, EINVAL, "invalid container port in %s", spec);
	if (k == 1)
		c1 = c0;
	if (c1 < c0 || c1 > 65535)
		return berth_error_set(reterr, EINVAL, "invalid container port range in %s", spec);
	if (hostport && *hostport) {
		if ((k = sscanf(hostport, "%u-%u", &h0, &h1)) < 1 || h0 == 0 || h0 > 65535)
			return berth_error_set(reterr, EINVAL, "invalid host port in %s", spec);
		if (k == 1)
			h1 = h0 + (c1 - c0);
		if (h1 - h0 != c1 - c0 || h1 > 65535)
			return berth_error_set(reterr, EINVAL,
					       "host and container port ranges differ in %s", spec);
	} else {
		/* no host port: the same port, as Podman picks a free one; berth keeps it simple */
		h0 = c0;
	}
	struct berth_ip ip;
	if (*hostip && berth_ip_parse(hostip, &ip) < 0)
		return berth_error_set(reterr, EINVAL, "invalid host IP %s in %s", hostip, spec);
	*ret = json_pack("{s:s, s:i, s:i, s:i, s:s}", "host_ip", hostip, "container_port", c0,
			 "host_port", h0, "range", c1 - c0 + 1, "protocol", proto);
	return 0;
}

/* "name[:ip=...,ip6=...,mac=...,alias=...]" into (name, options). */
static int parse_network_arg(const char *arg, char **ret_name, json_t *att,
			     struct berth_error **reterr)
{
	const char *colon = strchr(arg, ':');
	*ret_name = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
	if (!*ret_name)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (!colon)
		return 0;
	_cleanup_free_ char *rest = strdup(colon + 1);
	if (!rest)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (char *save = NULL, *t = strtok_r(rest, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			return berth_error_set(reterr, EINVAL, "invalid option %s in --network %s", t,
					       arg);
		*eq = '\0';
		const char *k = t, *v = eq + 1;
		if (strcmp(k, "ip") == 0 || strcmp(k, "ip6") == 0) {
			json_t *a = json_object_get(att, "static_ips");
			if (!a)
				json_object_set_new(att, "static_ips", a = json_array());
			json_array_append_new(a, json_string(v));
		} else if (strcmp(k, "mac") == 0) {
			json_object_set_new(att, "static_mac", json_string(v));
		} else if (strcmp(k, "alias") == 0) {
			json_t *a = json_object_get(att, "aliases");
			if (!a)
				json_object_set_new(att, "aliases", a = json_array());
			json_array_append_new(a, json_string(v));
		} else
			return berth_error_set(reterr, EINVAL, "unknown option %s in --network %s", k,
					       arg);
	}
	return 0;
}

static const char *const name_left[] = {(char *)"brave", (char *)"calm", (char *)"eager", (char *)"fancy", (char *)"gentle", (char *)"happy",
					(char *)"jolly", (char *)"keen", (char *)"lucid", (char *)"merry", (char *)"nifty", (char *)"proud",
					(char *)"quirky", (char *)"sharp", (char *)"tender", (char *)"vivid"};
static const char *const name_right[] = {(char *)"albattani", (char *)"babbage", (char *)"curie", (char *)"darwin", (char *)"euclid",
					 (char *)"fermi", (char *)"galileo", (char *)"hopper", (char *)"kepler", (char *)"lovelace",
					 (char *)"meitner", (char *)"noether", (char *)"pascal", (char *)"ritchie", (char *)"thompson",
					 (char *)"turing"};

int eng_container_create(struct eng_ctx *ctx, const struct eng_create_opts *o, int nargs,
			    char **args, struct eng_container **ret, struct berth_error **reterr)
{
	char id[65], namebuf[64];
	int r = eng_random_id(id);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "random id");
	r = eng_lock(ctx, reterr);
	if (r < 0)
		return r;
	if (o->pod_id && (o->n_networks || o->n_ports || o->ip || o->mac || o->n_aliases ||
			  o->n_dns || o->hostname))
		return berth_error_set(reterr, EINVAL,
				       "invalid config provided: networks, published ports, --ip, "
				       "--mac-address, --alias, --dns and --hostname belong to the "
				       "pod: set them with berth pod create");
	_cleanup_(imagefreep) struct eng_image *img = NULL;
	const char *img_name = "berth-infra", *img_id = "", *img_rootfs = o->infra_rootfs;
	json_auto_t *img_config = NULL;
	if (!o->infra_rootfs) {
		if ((r = eng_image_lookup(ctx, args[0], &img, reterr)) < 0)
			return r;
		img_name = img->n_names ? img->names[0] : img->id;
		img_id = img->id;
		img_rootfs = img->rootfs;
		img_config = json_incref(img->config);
	} else
		img_config = json_object();
	const char *name = o->name;
	if (name) {
		for (const char *p = name; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
				return berth_error_set(reterr, EINVAL,
						       "container name %s invalid: names must match "
						       "[a-zA-Z0-9][a-zA-Z0-9_.-]*",
						       name);
		if (strlen(name) > 128 || !((name[0] >= 'a' && name[0] <= 'z') ||
					    (name[0] >= 'A' && name[0] <= 'Z') ||
					    (name[0] >= '0' && name[0] <= '9')))
			return berth_error_set(reterr, EINVAL, "container name %s invalid", name);
	}
	struct eng_container **all;
	size_t n_all;
	if ((r = eng_container_list(ctx, &all, &n_all, reterr)) < 0)
		return r;
	if (n_all >= ENG_MAX_CONTAINERS) {
		eng_container_list_free(all, n_all);
		return berth_error_set(reterr, E2BIG, "at most %d containers: remove some first",
				       ENG_MAX_CONTAINERS);
	}
	for (int tries = 0; !name && tries < 64; tries++) {
		unsigned char rnd = (unsigned char)(id[tries % 64] * 31 + tries * 7);
		snprintf(namebuf, sizeof(namebuf), "%s_%s%s", name_left[rnd % 16],
			 name_right[(rnd / 16 + tries) % 16], tries >= 16 ? "_" : "");
		if (tries >= 16)
			snprintf(namebuf + strlen(namebuf), sizeof(namebuf) - strlen(namebuf), "%d",
				 tries);
		bool taken = false;
		for (size_t i = 0; i < n_all && !taken; i++)
			taken = strcmp(all[i]->name, namebuf) == 0;
		if (!taken)
			name = namebuf;
	}
	for (size_t i = 0; i < n_all; i++)
		if (strcmp(all[i]->name, name) == 0) {
			r = berth_error_set(reterr, EEXIST,
					    "the container name \"%s\" is already in use by %s. "
					    "You have to remove that container to be able to "
					    "reuse that name: that name is already in use",
					    name, all[i]->id);
			eng_container_list_free(all, n_all);
			return r;
		}
	eng_container_list_free(all, n_all);

	json_auto_t *command = json_array();
	if (nargs > 1) {
		for (int i = 1; i < nargs; i++)
			json_array_append_new(command, json_string(args[i]));
	} else {
		json_t *ep = json_object_get(img_config, "Entrypoint"), *v;
		json_t *cm = json_object_get(img_config, "Cmd");
		size_t i;
		json_array_foreach(ep, i, v)
			json_array_append(command, v);
		json_array_foreach(cm, i, v)
			json_array_append(command, v);
	}
	if (json_array_size(command) == 0)
		return berth_error_set(reterr, EINVAL,
				       "no command or entrypoint provided, and no CMD or ENTRYPOINT "
				       "from image");
	if (json_array_size(command) > MAX_ARGS)
		return berth_error_set(reterr, E2BIG, "at most %d arguments", MAX_ARGS);

	/* networks: --network (repeatable), default "podman"; "none" and "host" are special */
	json_auto_t *networks = json_object();
	bool host_network = false, none = false;
	/* a pod member has no network of its own */
	size_t n_nets = o->pod_id ? 0 : o->n_networks ? o->n_networks : 1;
	for (size_t i = 0; i < n_nets; i++) {
		const char *arg = o->n_networks ? o->networks[i] : ENG_DEFAULT_NETWORK;
		if (strcmp(arg, "none") == 0) {
			none = true;
			continue;
		}
		if (strcmp(arg, "host") == 0) {
			host_network = true;
			continue;
		}
		json_t *att = json_object();
		_cleanup_free_ char *nname = NULL;
		if ((r = parse_network_arg(arg, &nname, att, reterr)) < 0) {
			json_decref(att);
			return r;
		}
		_cleanup_(eng_network_freep) struct eng_network *net = NULL;
		if ((r = eng_network_get(ctx, nname, &net, reterr)) < 0) {
			json_decref(att);
			return r;
		}
		if (json_object_get(networks, net->name)) {
			json_decref(att);
			return berth_error_set(reterr, EINVAL, "network %s given twice", net->name);
		}
		char ifname[16];
		snprintf(ifname, sizeof(ifname), "eth%zu", json_object_size(networks));
		json_object_set_new(att, "interface_name", json_string(ifname));
		json_object_set_new(networks, net->name, att);
	}
	if ((none || host_network) && json_object_size(networks))
		return berth_error_set(reterr, EINVAL,
				       "--network none or host cannot be combined with other "
				       "networks");
	/* --ip, --mac-address, --alias apply to the only (or first) network, as in Podman */
	if (o->ip || o->mac || o->n_aliases) {
		void *it = json_object_iter(networks);
		if (!it)
			return berth_error_set(reterr, EINVAL,
					       "--ip, --mac-address and --alias need a network");
		json_t *att = json_object_iter_value(it);
		if (o->ip) {
			struct berth_ip ip;
			if (berth_ip_parse(o->ip, &ip) < 0)
				return berth_error_set(reterr, EINVAL, "invalid IP address %s", o->ip);
			json_t *a = json_object_get(att, "static_ips");
			if (!a)
				json_object_set_new(att, "static_ips", a = json_array());
			json_array_append_new(a, json_string(o->ip));
		}
		if (o->mac) {
			uint8_t mac[6];
			if (berth_mac_parse(o->mac, mac) < 0)
				return berth_error_set(reterr, EINVAL, "invalid MAC address %s", o->mac);
			json_object_set_new(att, "static_mac", json_string(o->mac));
		}
		json_t *al = json_object_get(att, "aliases");
		if (!al && o->n_aliases)
			json_object_set_new(att, "aliases", al = json_array());
		for (size_t i = 0; i < o->n_aliases; i++)
			json_array_append_new(al, json_string(o->aliases[i]));
	}
	json_auto_t *ports = json_array();
	for (size_t i = 0; i < o->n_ports; i++) {
		json_t *pm = NULL;
		if ((r = parse_port(o->ports[i], &pm, reterr)) < 0)
			return r;
		json_array_append_new(ports, pm);
	}
	if (json_array_size(ports) && (none || host_network))
		return berth_error_set(reterr, EINVAL, "port mappings need a network");
	json_auto_t *dns = json_array();
	for (size_t i = 0; i < o->n_dns; i++) {
		struct berth_ip ip;
		if (berth_ip_parse(o->dns[i], &ip) < 0)
			return berth_error_set(reterr, EINVAL, "invalid DNS server %s", o->dns[i]);
		json_array_append_new(dns, json_string(o->dns[i]));
	}
	json_auto_t *env = json_array();
	for (size_t i = 0; i < o->n_env; i++) {
		if (!strchr(o->env[i], '=')) {
			const char *v = getenv(o->env[i]);
			if (!v)
				continue;
			char *kv = NULL;
			if (asprintf(&kv, "%s=%s", o->env[i], v) < 0)
				return berth_error_set(reterr, ENOMEM, "out of memory");
			json_array_append_new(env, json_string(kv));
			free(kv);
		} else
			json_array_append_new(env, json_string(o->env[i]));
	}
	char shortid[13], created[64];
	snprintf(shortid, sizeof(shortid), "%.12s", id);
	if (o->hostname && (strlen(o->hostname) > 253 || !*o->hostname))
		return berth_error_set(reterr, EINVAL, "invalid hostname %s", o->hostname);
	eng_now_rfc3339(created);

	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:s, s:s, s:O, s:O, s:O,"
			      " s:b, s:b, s:s}",
			      "id", id, "name", name, "image", img_name,
			      "image_id", img_id, "image_rootfs", img_rootfs, "image_config",
			      img_config, "command", command, "env", env, "hostname",
			      o->hostname ? o->hostname : shortid, "created", created, "networks",
			      networks, "ports", ports, "dns", dns, "host_network", host_network,
			      "autoremove", o->rm, "state", "created");
	if (!j)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (o->workdir)
		json_object_set_new(j, "workdir", json_string(o->workdir));
	if (o->pod_id)
		json_object_set_new(j, "pod", json_string(o->pod_id));
	if (o->infra_id)
		json_object_set_new(j, "infra_id", json_string(o->infra_id));
	if (o->infra_rootfs)
		json_object_set_new(j, "infra", json_true());
	struct eng_container *c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(j);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	c->j = j;
	c->dir = eng_path(ctx->root, "containers/%s", id);
	c->id = json_string_value(json_object_get(j, "id"));
	c->name = json_string_value(json_object_get(j, "name"));
	if (!c->dir || mkdir_p(c->dir, 0700) < 0) {
		eng_container_free(c);
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create the container directory");
	}
	eng_journal_begin(ctx, id, "create", NULL);
	if ((r = eng_container_save(c, reterr)) < 0) {
		eng_journal_end(ctx, id);
		eng_container_free(c);
		return r;
	}
	eng_crash_point("created");
	eng_journal_end(ctx, id);
	*ret = c;
	return 0;
}

static int do_create(struct eng_ctx *ctx, int argc, char **argv, bool run)
{
	const char *cmd = run ? "run" : "create";
	struct eng_create_opts o = {0};
	int first = parse_create(cmd, argc, argv, &o);
	if (first == -2)
		return 0;
	if (first < 0)
		return ENG_EXIT_ERROR;
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_container *c = NULL;
	_cleanup_free_ char *pod_id = NULL, *infra_id = NULL;
	if (o.pod) {
		if (eng_lock(ctx, &err) < 0 || eng_pod_resolve(ctx, o.pod, &pod_id, &infra_id, &err) < 0)
			return eng_fail(err);
		o.pod_id = pod_id;
		o.infra_id = infra_id;
	}
	if (eng_container_create(ctx, &o, argc - first, argv + first, &c, &err) < 0)
		return eng_fail(err);
	if (!run) {
		printf("%s\n", c->id);
		eng_container_free(c);
		return 0;
	}
	int code = 0;
	if (eng_container_start(ctx, c, !o.detach, &code, &err) < 0) {
		int ret = eng_fail(err);
		if (o.rm) {
			_cleanup_berth_error_ struct berth_error *e2 = NULL;
			(void)eng_lock(ctx, &e2);
			(void)eng_container_remove(ctx, c, true, &e2);
		}
		eng_container_free(c);
		return ret;
	}
	if (o.detach)
		printf("%s\n", c->id);
	eng_container_free(c);
	return o.detach ? 0 : code;
}

static int parse_time_flag(int *argc, char ***argv, int *timeout)
{
	/* -t N / --time N, before the names */
	for (int i = 1; i < *argc; i++) {
		if ((strcmp((*argv)[i], "-t") == 0 || strcmp((*argv)[i], "--time") == 0) &&
		    i + 1 < *argc) {
			*timeout = atoi((*argv)[i + 1]);
			if (*timeout < 0 || *timeout > 3600)
				return -1;
			memmove(&(*argv)[i], &(*argv)[i + 2], sizeof(char *) * (size_t)(*argc - i - 1));
			*argc -= 2;
			i--;
		}
	}
	return 0;
}

static int for_each_ref(struct eng_ctx *ctx, int argc, char **argv, int first, const char *cmd,
			int (*fn)(struct eng_ctx *, struct eng_container *, void *, struct berth_error **),
			void *data, bool print)
{
	if (first >= argc)
		return eng_usage_fail(cmd, "requires at least 1 arg(s)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	if (eng_lock(ctx, &err) < 0)
		return eng_fail(err);
	int ret = 0;
	for (int i = first; i < argc; i++) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		struct eng_container *c = NULL;
		if (eng_container_get(ctx, argv[i], &c, &e) < 0 || fn(ctx, c, data, &e) < 0)
			ret = eng_fail(e);
		else if (print)
			printf("%s\n", argv[i]);
		eng_container_free(c);
		/* start in the foreground released the lock; take it again for the next */
		if (i + 1 < argc && eng_lock(ctx, &e) < 0)
			return eng_fail(e);
	}
	return ret;
}

/* The infra container of a pod is driven by the pod commands only. */
static int not_infra(const struct eng_container *c, struct berth_error **e)
{
	if (!json_is_true(json_object_get(c->j, "infra")))
		return 0;
	return berth_error_set(e, EINVAL,
			       "container %s is the infra container of pod %s: use berth pod "
			       "start|stop|rm",
			       c->name, json_string_value(json_object_get(c->j, "pod")));
}

static int fn_start(struct eng_ctx *ctx, struct eng_container *c, void *data, struct berth_error **e)
{
	return eng_container_start(ctx, c, false, NULL, e);
}

static int fn_stop(struct eng_ctx *ctx, struct eng_container *c, void *data, struct berth_error **e)
{
	if (not_infra(c, e) < 0)
		return -EINVAL;
	return eng_container_stop(ctx, c, *(int *)data, e);
}

static int fn_restart(struct eng_ctx *ctx, struct eng_container *c, void *data, struct berth_error **e)
{
	if (not_infra(c, e) < 0)
		return -EINVAL;
	int r = eng_container_stop(ctx, c, *(int *)data, e);
	return r < 0 ? r : eng_container_start(ctx, c, false, NULL, e);
}

static int fn_rm(struct eng_ctx *ctx, struct eng_container *c, void *data, struct berth_error **e)
{
	if (not_infra(c, e) < 0)
		return -EINVAL;
	return eng_container_remove(ctx, c, *(bool *)data, e);
}

/* ---- ps, inspect ---- */

static json_t *inspect_json(const struct eng_container *c)
{
	json_t *nets = json_object();
	json_t *status = json_object_get(c->j, "status");
	const char *net;
	json_t *att;
	json_object_foreach(json_object_get(c->j, "networks"), net, att) {
		json_t *st = json_object_get(status, net);
		json_t *ifv = json_object_get(json_object_get(st, "interfaces"),
					      json_string_value(json_object_get(att, "interface_name")));
		json_t *sub0 = json_array_get(json_object_get(ifv, "subnets"), 0);
		const char *ipnet = json_string_value(json_object_get(sub0, "ipnet"));
		char ip[64] = "";
		int plen = 0;
		if (ipnet) {
			snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(ipnet, "/"), ipnet);
			const char *sl = strchr(ipnet, '/');
			plen = sl ? atoi(sl + 1) : 0;
		}
		json_t *ips = json_object_get(json_object_get(c->j, "ips"), net);
		if (!*ip && json_array_size(ips))
			snprintf(ip, sizeof(ip), "%s", json_string_value(json_array_get(ips, 0)));
		json_object_set_new(
		    nets, net,
		    json_pack("{s:s, s:s?, s:i, s:s?, s:O?, s:O?, s:O?}", "IPAddress", ip, "Gateway",
			      json_string_value(json_object_get(sub0, "gateway")), "IPPrefixLen",
			      plen, "MacAddress", json_string_value(json_object_get(ifv, "mac_address")),
			      "Aliases", json_object_get(att, "aliases"), "AllIPs", ips,
			      "InterfaceName", json_object_get(att, "interface_name")));
	}
	enum eng_state s = eng_container_state(c);
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:b, s:i, s:O?, s:O?, s:O?}, s:{s:O, s:O, s:O},"
	    " s:{s:o, s:O, s:O?}, s:O?}",
	    "Id", c->id, "Name", c->name, "Image", json_string_value(json_object_get(c->j, "image")),
	    "ImageID", json_string_value(json_object_get(c->j, "image_id")), "Created",
	    json_string_value(json_object_get(c->j, "created")), "State", "Status",
	    eng_state_name(s), "Running", s == ENG_STATE_RUNNING, "Pid",
	    (int)json_integer_value(json_object_get(c->j, "pid")), "ExitCode",
	    json_object_get(c->j, "exit_code"), "StartedAt", json_object_get(c->j, "started_at"),
	    "FinishedAt", json_object_get(c->j, "finished_at"), "Config", "Hostname",
	    json_object_get(c->j, "hostname"), "Cmd", json_object_get(c->j, "command"), "Env",
	    json_object_get(c->j, "env"), "NetworkSettings", "Networks", nets, "Ports",
	    json_object_get(c->j, "ports"), "SandboxKey", json_object_get(c->j, "netns"), "Pod",
	    json_object_get(c->j, "pod"));
}

static int container_ps(struct eng_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'f'},
		{},
	};
	bool all = false, quiet = false, json = false;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "aq", opts, NULL)) >= 0) {
		switch (opt) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'f':
			if (strcmp(optarg, "json") != 0)
				return eng_usage_fail("ps", "--format: only json is supported");
			json = true;
			break;
		default: return eng_usage_fail("ps", "unknown option");
		}
	}
	if (optind < argc)
		return eng_usage_fail("ps", "takes no arguments");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_container **v;
	size_t n;
	if (eng_lock(ctx, &err) < 0 || eng_container_list(ctx, &v, &n, &err) < 0)
		return eng_fail(err);
	json_auto_t *a = json_array();
	if (!quiet && !json)
		printf("%-14s%-34s%-22s%-14s%-26s%s\n", "CONTAINER ID", "IMAGE", "COMMAND", "STATUS",
		       "PORTS", "NAMES");
	for (size_t i = 0; i < n; i++) {
		struct eng_container *c = v[i];
		eng_container_refresh(ctx, c);
		enum eng_state s = eng_container_state(c);
		if (!all && s != ENG_STATE_RUNNING)
			continue;
		if (json) {
			json_array_append_new(a, inspect_json(c));
			continue;
		}
		if (quiet) {
			printf("%.12s\n", c->id);
			continue;
		}
		char cmdline[64] = "", ports[128] = "", st[32];
		json_t *arg;
		size_t k;
		json_array_foreach(json_object_get(c->j, "command"), k, arg)
			snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline), "%s%s",
				 k ? " " : "", json_string_value(arg));
		json_array_foreach(json_object_get(c->j, "ports"), k, arg)
			snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports),
				 "%s%s:%lld->%lld/%s", k ? ", " : "",
				 *json_string_value(json_object_get(arg, "host_ip"))
				     ? json_string_value(json_object_get(arg, "host_ip"))
				     : "0.0.0.0",
				 json_integer_value(json_object_get(arg, "host_port")),
				 json_integer_value(json_object_get(arg, "container_port")),
				 json_string_value(json_object_get(arg, "protocol")));
		if (s == ENG_STATE_EXITED)
			snprintf(st, sizeof(st), "Exited (%lld)",
				 json_integer_value(json_object_get(c->j, "exit_code")));
		else
			snprintf(st, sizeof(st), "%s", s == ENG_STATE_RUNNING ? "Up" : "Created");
		printf("%-14.12s%-34.33s%-22.21s%-14s%-26.25s%s\n", c->id,
		       json_string_value(json_object_get(c->j, "image")), cmdline, st, ports,
		       c->name);
	}
	if (json) {
		_cleanup_free_ char *s = json_dumps(a, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
	}
	eng_container_list_free(v, n);
	return 0;
}

static int container_inspect(struct eng_ctx *ctx, int argc, char **argv)
{
	int first = 1;
	if (first < argc && strncmp(argv[first], "--format", 8) == 0)
		first += strchr(argv[first], '=') ? 1 : 2; /* JSON is the only format */
	if (first >= argc)
		return eng_usage_fail("inspect", "requires at least 1 arg(s)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	if (eng_lock(ctx, &err) < 0)
		return eng_fail(err);
	json_auto_t *a = json_array();
	int ret = 0;
	for (int i = first; i < argc; i++) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		struct eng_container *c = NULL;
		if (eng_container_get(ctx, argv[i], &c, &e) < 0) {
			ret = eng_fail(e);
			continue;
		}
		eng_container_refresh(ctx, c);
		json_array_append_new(a, inspect_json(c));
		eng_container_free(c);
	}
	_cleanup_free_ char *s = json_dumps(a, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "[]");
	return ret;
}

static int container_exec(struct eng_ctx *ctx, int argc, char **argv)
{
	int first = 1;
	const char *envs[64];
	size_t n_env = 0;
	while (first < argc && argv[first][0] == '-') {
		if ((strcmp(argv[first], "-e") == 0 || strcmp(argv[first], "--env") == 0) &&
		    first + 1 < argc && n_env < 64) {
			envs[n_env++] = argv[first + 1];
			first += 2;
		} else if (strcmp(argv[first], "-i") == 0 || strcmp(argv[first], "--interactive") == 0) {
			first++;
		} else
			return eng_usage_fail("exec", "unknown option %s", argv[first]);
	}
	if (argc - first < 2)
		return eng_usage_fail("exec", "requires at least 2 arg(s)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_container *c = NULL;
	if (eng_lock(ctx, &err) < 0 || eng_container_get(ctx, argv[first], &c, &err) < 0)
		return eng_fail(err);
	eng_container_refresh(ctx, c);
	if (eng_container_state(c) != ENG_STATE_RUNNING) {
		berth_error_set(&err, EINVAL,
				"can only create exec sessions on running containers: container "
				"state improper");
		eng_container_free(c);
		return eng_fail(err);
	}
	eng_unlock(ctx);
	size_t n = (size_t)(argc - first - 1);
	char **args = calloc(n + 2 * n_env + 4, sizeof(*args));
	size_t k = 0;
	if (!args) {
		eng_container_free(c);
		return ENG_EXIT_ERROR;
	}
	args[k++] = (char *)"exec";
	for (size_t i = 0; i < n_env; i++)
		args[k++] = (char *)"--env", args[k++] = (char *)envs[i];
	args[k++] = (char *)c->id;
	for (size_t i = 0; i < n; i++)
		args[k++] = argv[first + 1 + i];
	char **rargv = eng_runtime_argv(ctx, args);
	free(args);
	eng_container_free(c);
	if (!rargv)
		return ENG_EXIT_ERROR;
	fflush(NULL);
	execvp(rargv[0], rargv);
	fprintf(stderr, "Error: exec %s: %s\n", rargv[0], strerror(errno));
	eng_strv_free(rargv);
	return ENG_EXIT_ERROR;
}

static int container_logs(struct eng_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return eng_usage_fail("logs", "requires at least 1 arg(s)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_container *c = NULL;
	if (eng_container_get(ctx, argv[argc - 1], &c, &err) < 0)
		return eng_fail(err);
	_cleanup_free_ char *path = eng_path(c->dir, "ctr.log");
	eng_container_free(c);
	FILE *f = path ? fopen(path, "re") : NULL;
	if (!f)
		return 0; /* nothing logged yet (or it ran in the foreground) */
	char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, stdout);
	fclose(f);
	return 0;
}

int cmd_container(struct eng_ctx *ctx, int argc, char **argv)
{
	const char *cmd = argv[0];
	if (strcmp(cmd, "container") == 0) {
		if (argc < 2)
			return eng_usage_fail("container", "requires a command");
		argc--, argv++;
		cmd = argv[0];
	}
	int timeout = ENG_STOP_TIMEOUT_S;
	if (strcmp(cmd, "run") == 0)
		return do_create(ctx, argc, argv, true);
	if (strcmp(cmd, "create") == 0)
		return do_create(ctx, argc, argv, false);
	if (strcmp(cmd, "start") == 0)
		return for_each_ref(ctx, argc, argv, 1, cmd, fn_start, NULL, true);
	if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "restart") == 0) {
		if (parse_time_flag(&argc, &argv, &timeout) < 0)
			return eng_usage_fail(cmd, "bad --time");
		return for_each_ref(ctx, argc, argv, 1, cmd,
				    strcmp(cmd, "stop") == 0 ? fn_stop : fn_restart, &timeout, true);
	}
	if (strcmp(cmd, "rm") == 0) {
		bool force = false;
		int first = 1;
		for (; first < argc && argv[first][0] == '-'; first++)
			if (strcmp(argv[first], "-f") == 0 || strcmp(argv[first], "--force") == 0)
				force = true;
			else
				return eng_usage_fail(cmd, "unknown option %s", argv[first]);
		return for_each_ref(ctx, argc, argv, first, cmd, fn_rm, &force, true);
	}
	if (strcmp(cmd, "ps") == 0)
		return container_ps(ctx, argc, argv);
	if (strcmp(cmd, "inspect") == 0)
		return container_inspect(ctx, argc, argv);
	if (strcmp(cmd, "exec") == 0)
		return container_exec(ctx, argc, argv);
	if (strcmp(cmd, "logs") == 0)
		return container_logs(ctx, argc, argv);
	return eng_usage_fail("", "unknown command %s", cmd);
}

/* ---- network connect, disconnect, reload ---- */

int cmd_network_connect(struct eng_ctx *ctx, int argc, char **argv)
{
	json_auto_t *opts = json_object();
	int first = 1;
	while (first < argc && argv[first][0] == '-') {
		const char *o = argv[first];
		if (first + 1 >= argc)
			return eng_usage_fail("network connect", "%s needs a value", o);
		const char *v = argv[first + 1];
		if (strcmp(o, "--ip") == 0 || strcmp(o, "--ip6") == 0) {
			json_t *a = json_object_get(opts, "static_ips");
			if (!a)
				json_object_set_new(opts, "static_ips", a = json_array());
			json_array_append_new(a, json_string(v));
		} else if (strcmp(o, "--alias") == 0) {
			json_t *a = json_object_get(opts, "aliases");
			if (!a)
				json_object_set_new(opts, "aliases", a = json_array());
			json_array_append_new(a, json_string(v));
		} else if (strcmp(o, "--mac-address") == 0)
			json_object_set_new(opts, "static_mac", json_string(v));
		else
			return eng_usage_fail("network connect", "unknown option %s", o);
		first += 2;
	}
	if (argc - first != 2)
		return eng_usage_fail("network connect", "requires exactly 2 arg(s): NETWORK CONTAINER");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_container *c = NULL;
	if (eng_lock(ctx, &err) < 0 || eng_container_get(ctx, argv[first + 1], &c, &err) < 0 ||
	    eng_container_connect(ctx, c, argv[first], opts, &err) < 0) {
		eng_container_free(c);
		return eng_fail(err);
	}
	eng_container_free(c);
	return 0;
}

int cmd_network_disconnect(struct eng_ctx *ctx, int argc, char **argv)
{
	int first = 1;
	if (first < argc && (strcmp(argv[first], "-f") == 0 || strcmp(argv[first], "--force") == 0))
		first++;
	if (argc - first != 2)
		return eng_usage_fail("network disconnect",
				      "requires exactly 2 arg(s): NETWORK CONTAINER");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_container *c = NULL;
	if (eng_lock(ctx, &err) < 0 || eng_container_get(ctx, argv[first + 1], &c, &err) < 0 ||
	    eng_container_disconnect(ctx, c, argv[first], &err) < 0) {
		eng_container_free(c);
		return eng_fail(err);
	}
	eng_container_free(c);
	return 0;
}

int cmd_network_reload(struct eng_ctx *ctx, int argc, char **argv)
{
	bool all = false;
	int first = 1;
	if (first < argc && (strcmp(argv[first], "-a") == 0 || strcmp(argv[first], "--all") == 0))
		all = true, first++;
	if (!all && first >= argc)
		return eng_usage_fail("network reload", "requires --all or container names");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	if (eng_lock(ctx, &err) < 0)
		return eng_fail(err);
	struct eng_container **v;
	size_t n;
	if (eng_container_list(ctx, &v, &n, &err) < 0)
		return eng_fail(err);
	int ret = 0;
	if (eng_container_reload(ctx, NULL, &err) < 0)
		ret = eng_fail(err);
	for (size_t i = 0; i < n && ret == 0; i++) {
		eng_container_refresh(ctx, v[i]);
		if (eng_container_state(v[i]) != ENG_STATE_RUNNING)
			continue;
		bool named = all;
		for (int k = first; k < argc && !named; k++)
			named = strcmp(argv[k], v[i]->name) == 0 || strcmp(argv[k], v[i]->id) == 0;
		if (named)
			printf("%s\n", v[i]->id);
	}
	eng_container_list_free(v, n);
	return ret;
}
