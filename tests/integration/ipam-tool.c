// SPDX-License-Identifier: Apache-2.0
/*
 * A tiny command line over lib/ipam for tests/integration/ipam-hostlocal.bats
 * (built, never installed):
 *
 *   ipam-tool [--ip IP]... [--exclude PREFIX]... DATADIR NETWORK alloc ID IFNAME SET...
 *       SET = RANGE[+RANGE...], RANGE = SUBNET[,START[,END[,GATEWAY]]] (empty = default)
 *       prints "ADDRESS/PREFIX GATEWAY" per set
 *   ipam-tool DATADIR NETWORK release ID IFNAME     prints the number removed
 *   ipam-tool DATADIR NETWORK find ID IFNAME        exit 0 when found, 1 when not
 *   ipam-tool DATADIR NETWORK list                  "ADDRESS ID IFNAME" per lease ("-": legacy)
 *   ipam-tool DATADIR NETWORK gc [ID/IFNAME...]     prints the number removed
 *   ipam-tool pick-subnet [USED-SUBNET...]          Podman's default pools
 *
 * Errors: the message on stderr, exit 2 (exit 1 is "not found" for find).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "ipam/ipam.h"

#define MAX_ARGS 16

static int die(const char *what, int r, struct berth_error *e)
{
	fprintf(stderr, "ipam-tool: %s: %s\n", what, e && e->msg ? e->msg : strerror(-r));
	berth_error_free(e);
	return 2;
}

static int parse_ip_opt(const char *s, struct berth_ip *ret)
{
	if (!*s) {
		*ret = (struct berth_ip){0};
		return 0;
	}
	return berth_ip_parse(s, ret);
}

/* RANGE = SUBNET[,START[,END[,GATEWAY]]] */
static int parse_range(char *s, struct berth_ipam_range *r)
{
	char *f[4] = {0};
	size_t n = 0;
	for (char *tok = s; tok && n < 4; n++) {
		f[n] = tok;
		tok = strchr(tok, ',');
		if (tok)
			*tok++ = '\0';
	}
	*r = (struct berth_ipam_range){0};
	if (berth_ipnet_parse(f[0], &r->subnet) < 0)
		return -EINVAL;
	if ((f[1] && parse_ip_opt(f[1], &r->start) < 0) ||
	    (f[2] && parse_ip_opt(f[2], &r->end) < 0) ||
	    (f[3] && parse_ip_opt(f[3], &r->gateway) < 0))
		return -EINVAL;
	return 0;
}

static int cmd_alloc(struct berth_ipam_store *s, int argc, char **argv, struct berth_ip *req,
		     size_t n_req, struct berth_ipnet *ex, size_t n_ex)
{
	static struct berth_ipam_range ranges[MAX_ARGS][MAX_ARGS];
	struct berth_ipam_rangeset sets[MAX_ARGS] = {0};
	struct berth_ipam_config c = {sets, 0, ex, n_ex};
	struct berth_ipam_alloc a[MAX_ARGS];
	struct berth_error *e = NULL;
	char ipb[BERTH_IP_STRLEN], gwb[BERTH_IP_STRLEN];

	if (argc < 3 || argc - 2 > MAX_ARGS)
		return die("alloc", -EINVAL, NULL);
	for (int i = 2; i < argc; i++) {
		struct berth_ipam_rangeset *set = &sets[c.n_sets];
		set->ranges = ranges[c.n_sets++];
		for (char *tok = argv[i]; tok;) {
			char *next = strchr(tok, '+');
			if (next)
				*next++ = '\0';
			if (set->n_ranges == MAX_ARGS ||
			    parse_range(tok, &set->ranges[set->n_ranges++]) < 0)
				return die("alloc: bad range", -EINVAL, NULL);
			tok = next;
		}
	}
	int r = berth_ipam_config_canonicalize(&c, &e);
	if (r < 0)
		return die("alloc", r, e);
	r = berth_ipam_allocate(s, &c, argv[0], argv[1], req, n_req, a, &e);
	if (r < 0)
		return die("alloc", r, e);
	for (size_t i = 0; i < c.n_sets; i++)
		printf("%s/%u %s\n", berth_ipam_ip_name(&a[i].ip, ipb), a[i].prefixlen,
		       berth_ipam_ip_name(&a[i].gateway, gwb));
	return 0;
}

static int cmd_gc(struct berth_ipam_store *s, int argc, char **argv)
{
	struct berth_ipam_attachment v[MAX_ARGS];
	struct berth_error *e = NULL;
	if (argc > MAX_ARGS)
		return die("gc", -E2BIG, NULL);
	for (int i = 0; i < argc; i++) {
		char *slash = strchr(argv[i], '/');
		if (!slash)
			return die("gc: attachment is ID/IFNAME", -EINVAL, NULL);
		*slash = '\0';
		v[i] = (struct berth_ipam_attachment){argv[i], slash + 1};
	}
	int r = berth_ipam_gc(s, v, (size_t)argc, &e);
	if (r < 0)
		return die("gc", r, e);
	printf("%d\n", r);
	return 0;
}

static int cmd_pick(int argc, char **argv)
{
	struct berth_ipnet used[MAX_ARGS], got;
	char buf[BERTH_IPNET_STRLEN];
	size_t n_pools;
	const struct berth_ipam_pool *pools = berth_ipam_default_pools(&n_pools);
	if (argc > MAX_ARGS)
		return die("pick-subnet", -E2BIG, NULL);
	for (int i = 0; i < argc; i++)
		if (berth_ipnet_parse(argv[i], &used[i]) < 0)
			return die("pick-subnet", -EINVAL, NULL);
	int r = berth_ipam_pick_subnet(pools, n_pools, used, (size_t)argc, &got);
	if (r < 0)
		return die("pick-subnet", r, NULL);
	printf("%s\n", berth_ipnet_fmt(&got, buf));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ip", required_argument, NULL, 'i'},
	    {"exclude", required_argument, NULL, 'x'},
	    {0},
	};
	struct berth_ip req[MAX_ARGS];
	struct berth_ipnet ex[MAX_ARGS];
	size_t n_req = 0, n_ex = 0;
	struct berth_error *e = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'i' && n_req < MAX_ARGS && berth_ip_parse(optarg, &req[n_req]) == 0)
			n_req++;
		else if (c == 'x' && n_ex < MAX_ARGS && berth_ipnet_parse(optarg, &ex[n_ex]) == 0)
			n_ex++;
		else
			return die("usage", -EINVAL, NULL);
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && streq(argv[0], "pick-subnet"))
		return cmd_pick(argc - 1, argv + 1);
	if (argc < 3)
		return die("usage: ipam-tool DATADIR NETWORK COMMAND ...", -EINVAL, NULL);

	struct berth_ipam_store *s = NULL;
	r = berth_ipam_store_open(argv[0], argv[1], 0, &s, &e);
	if (r < 0)
		return die("open", r, e);
	const char *cmd = argv[2];
	argc -= 3;
	argv += 3;
	int ret = 0;
	if (streq(cmd, "alloc")) {
		ret = cmd_alloc(s, argc, argv, req, n_req, ex, n_ex);
	} else if (streq(cmd, "release") && argc == 2) {
		r = berth_ipam_release(s, argv[0], argv[1], &e);
		ret = r < 0 ? die("release", r, e) : (printf("%d\n", r), 0);
	} else if (streq(cmd, "find") && argc == 2) {
		r = berth_ipam_find(s, argv[0], argv[1], &e);
		ret = r < 0 ? die("find", r, e) : !r;
	} else if (streq(cmd, "list") && argc == 0) {
		struct berth_ipam_lease *l = NULL;
		size_t n = 0;
		char b[BERTH_IP_STRLEN];
		r = berth_ipam_list(s, &l, &n, &e);
		if (r < 0) {
			ret = die("list", r, e);
		} else {
			for (size_t i = 0; i < n; i++)
				printf("%s %s %s\n", berth_ipam_ip_name(&l[i].ip, b), l[i].id,
				       l[i].ifname ? l[i].ifname : "-");
			berth_ipam_leases_free(l, n);
		}
	} else if (streq(cmd, "gc")) {
		ret = cmd_gc(s, argc, argv);
	} else {
		ret = die("usage: unknown command", -EINVAL, NULL);
	}
	berth_ipam_store_free(s);
	return ret;
}
