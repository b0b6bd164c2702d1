// SPDX-License-Identifier: Apache-2.0
/*
 * berth network create|ls|inspect|rm|prune|connect|disconnect|reload|graph:
 * Podman's flags and output (podman-network(1)).
 */
#include "container.h"
#include "engine.h"
#include "network.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int json_put_kv(json_t *obj, const char *kv, const char *what, const char *cmd)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *k = eq ? strndup(kv, (size_t)(eq - kv)) : strdup(kv);
	if (!k)
		return -ENOMEM;
	if (!*k)
		return eng_usage_fail(cmd, "%s '%s': empty key", what, kv), -EINVAL;
	/* Docker's option names, as Podman maps them */
	if (strcmp(what, "option") == 0 && strcmp(k, "com.docker.network.driver.mtu") == 0) {
		free(k);
		k = strdup("mtu");
		if (!k)
			return -ENOMEM;
	}
	json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
	return 0;
}

static int network_create(struct eng_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"driver", required_argument, NULL, 'd'},
		{"subnet", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"ip-range", required_argument, NULL, 'r'},
		{"ipv6", no_argument, NULL, '6'},
		{"internal", no_argument, NULL, 'i'},
		{"disable-dns", no_argument, NULL, 'D'},
		{"dns", required_argument, NULL, 'n'},
		{"interface-name", required_argument, NULL, 'I'},
		{"ipam-driver", required_argument, NULL, 'p'},
		{"opt", required_argument, NULL, 'o'},
		{"label", required_argument, NULL, 'l'},
		{"ignore", no_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct eng_network_create o = {0};
	json_auto_t *options = json_object(), *labels = json_object();
	_cleanup_berth_error_ struct berth_error *err = NULL;
	int c;
	o.options = options;
	o.labels = labels;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'd': o.driver = optarg; break;
		case 's':
			if (o.n_subnets >= ENG_MAX_SUBNETS)
				return eng_usage_fail("network create", "at most %d subnets", ENG_MAX_SUBNETS);
			o.subnets[o.n_subnets++] = optarg;
			break;
		case 'g':
			if (o.n_gateways >= ENG_MAX_SUBNETS)
				return eng_usage_fail("network create", "too many gateways");
			o.gateways[o.n_gateways++] = optarg;
			break;
		case 'r':
			if (o.n_ip_ranges >= ENG_MAX_SUBNETS)
				return eng_usage_fail("network create", "too many ip ranges");
			o.ip_ranges[o.n_ip_ranges++] = optarg;
			break;
		case '6': o.ipv6 = true; break;
		case 'i': o.internal = true; break;
		case 'D': o.disable_dns = true; break;
		case 'n':
			if (o.n_dns_servers >= 16)
				return eng_usage_fail("network create", "at most 16 DNS servers");
			o.dns_servers[o.n_dns_servers++] = optarg;
			break;
		case 'I': o.interface = optarg; break;
		case 'p': o.ipam_driver = optarg; break;
		case 'o':
			/* parent=IF for macvlan/ipvlan is the network interface */
			if (strncmp(optarg, "parent=", 7) == 0) {
				o.interface = optarg + 7;
				break;
			}
			if (strncmp(optarg, "com.docker.network.bridge.name=", 31) == 0) {
				o.interface = optarg + 31;
				break;
			}
			if (json_object_size(options) >= 64 ||
			    json_put_kv(options, optarg, "option", "network create") < 0)
				return ENG_EXIT_ERROR;
			break;
		case 'l':
			if (json_object_size(labels) >= 256 ||
			    json_put_kv(labels, optarg, "label", "network create") < 0)
				return ENG_EXIT_ERROR;
			break;
		case 'x': o.ignore = true; break;
		case 'h':
			printf("Usage: berth network create [OPTIONS] [NAME]\n");
			return 0;
		default: return eng_usage_fail("network create", "unknown option");
		}
	}
	if (argc - optind > 1)
		return eng_usage_fail("network create", "accepts at most 1 arg(s), received %d",
				      argc - optind);
	o.name = optind < argc ? argv[optind] : NULL;
	_cleanup_(eng_network_freep) struct eng_network *n = NULL;
	if (eng_network_create(ctx, &o, &n, &err) < 0)
		return eng_fail(err);
	printf("%s\n", n->name);
	return 0;
}

static int network_ls(struct eng_ctx *ctx, int argc, char **argv)
{
	bool quiet = false, json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
			 strcmp(argv[i + 1], "json") == 0)
			json = true, i++;
		else if (strcmp(argv[i], "--format=json") == 0)
			json = true;
		else
			return eng_usage_fail("network ls", "unknown option %s", argv[i]);
	}
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_network **v;
	size_t n;
	if (eng_network_list(ctx, &v, &n, &err) < 0)
		return eng_fail(err);
	if (json) {
		json_auto_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append(a, v[i]->j);
		_cleanup_free_ char *s = json_dumps(a, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
	} else {
		if (!quiet)
			printf("%-14s%-20s%s\n", "NETWORK ID", "NAME", "DRIVER");
		for (size_t i = 0; i < n; i++) {
			if (quiet)
				printf("%s\n", v[i]->name);
			else
				printf("%-14.12s%-20s%s\n", v[i]->id, v[i]->name, v[i]->driver);
		}
	}
	eng_network_list_free(v, n);
	return 0;
}

static int network_inspect(struct eng_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return eng_usage_fail("network inspect", "requires at least 1 arg(s)");
	json_auto_t *a = json_array();
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		_cleanup_berth_error_ struct berth_error *err = NULL;
		_cleanup_(eng_network_freep) struct eng_network *n = NULL;
		if (eng_network_get(ctx, argv[i], &n, &err) < 0) {
			ret = eng_fail(err);
			continue;
		}
		json_t *copy = json_deep_copy(n->j);
		json_t *users = NULL;
		if (eng_network_users_json(ctx, n->name, &users) == 0 && users)
			json_object_set_new(copy, "containers", users);
		json_array_append_new(a, copy);
	}
	_cleanup_free_ char *s = json_dumps(a, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "[]");
	return ret;
}

static int network_rm(struct eng_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	int first = 1, ret = 0;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-f") == 0 || strcmp(argv[first], "--force") == 0)
			force = true;
		else
			return eng_usage_fail("network rm", "unknown option %s", argv[first]);
	}
	if (first >= argc)
		return eng_usage_fail("network rm", "requires at least 1 arg(s)");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	if (eng_lock(ctx, &err) < 0)
		return eng_fail(err);
	for (int i = first; i < argc; i++) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		_cleanup_(eng_network_freep) struct eng_network *n = NULL;
		if (eng_network_get(ctx, argv[i], &n, &e) < 0 ||
		    eng_network_remove(ctx, n, force, &e) < 0) {
			ret = eng_fail(e);
			continue;
		}
		printf("%s\n", n->name);
	}
	return ret;
}

static int network_prune(struct eng_ctx *ctx, int argc, char **argv)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_network **v;
	size_t n;
	int ret = 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-f") != 0 && strcmp(argv[i], "--force") != 0)
			return eng_usage_fail("network prune", "unknown option %s", argv[i]);
	if (eng_lock(ctx, &err) < 0 || eng_network_list(ctx, &v, &n, &err) < 0)
		return eng_fail(err);
	for (size_t i = 0; i < n; i++) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		if (!v[i]->path || strcmp(v[i]->name, ENG_DEFAULT_NETWORK) == 0 ||
		    eng_network_in_use(ctx, v[i]->name))
			continue;
		if (eng_network_remove(ctx, v[i], false, &e) < 0)
			ret = eng_fail(e);
		else
			printf("%s\n", v[i]->name);
	}
	eng_network_list_free(v, n);
	return ret;
}

int cmd_network(struct eng_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "Usage: berth network create|ls|inspect|rm|prune|connect|disconnect|"
				"reload|graph\n");
		return ENG_EXIT_ERROR;
	}
	const char *sub = argv[1];
	argc--, argv++;
	if (strcmp(sub, "create") == 0)
		return network_create(ctx, argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return network_ls(ctx, argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return network_inspect(ctx, argc, argv);
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
		return network_rm(ctx, argc, argv);
	if (strcmp(sub, "prune") == 0)
		return network_prune(ctx, argc, argv);
	if (strcmp(sub, "connect") == 0)
		return cmd_network_connect(ctx, argc, argv);
	if (strcmp(sub, "disconnect") == 0)
		return cmd_network_disconnect(ctx, argc, argv);
	if (strcmp(sub, "reload") == 0)
		return cmd_network_reload(ctx, argc, argv);
	if (strcmp(sub, "graph") == 0)
		return cmd_network_graph(ctx, argc, argv);
	return eng_usage_fail("network", "unknown command %s", sub);
}
