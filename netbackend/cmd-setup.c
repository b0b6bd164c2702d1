// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net setup: validated options in, StatusBlock out.
 *
 * Theory of operation: everything the input controls was validated by
 * nv_options_parse() before we get here. We open both namespaces, take
 * berth's host-wide lock (lib/basic/rundir.h), bring up the container's
 * loopback, then run each network's driver in input order. Every change
 * pushes its inverse on the undo log (lib/undo/undo.h). Then the DNS entries
 * of the DNS-enabled bridge networks are written and the DNS server is
 * reloaded or started (dns.c). The firewall changes of all networks and the
 * port forwards are collected into one nftables batch: the state record is
 * written marked pending, the batch is committed as one transaction, and the
 * record is rewritten as committed. The StatusBlock is printed last. If any
 * step fails, also the printing, the undo log is replayed in reverse (the
 * firewall first) and the original error is reported, so a failed setup
 * leaves nothing behind.
 */
#include "commands.h"
#include "dns.h"
#include "driver.h"
#include "fw.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_record *, berth_record_free)

/*
 * Failure tests (tests/integration/kill.bats) stop berth-net at a named
 * step with BERTH_TEST_STOP_AT=<step> and kill it there with SIGKILL.
 */
static void test_stop_at(const char *step)
{
	const char *want = getenv("BERTH_TEST_STOP_AT");
	if (want && strcmp(want, step) == 0) {
		log_debug("BERTH_TEST_STOP_AT=%s: stopping", step);
		(void)raise(SIGSTOP);
	}
}

/*
 * A DNS-enabled bridge network names the DNS server's listen addresses and
 * the search domain, as netavark does, whether or not the server binary
 * exists. Without network DNS, the container's own servers are reported.
 */
static void status_dns(const struct nv_options *o, const struct nv_dns_net *dns,
		       struct nv_status_net *st)
{
	if (dns) {
		st->dns_server_ips = dns->listen;
		st->n_dns_server_ips = dns->n_listen;
		st->dns_search_domains = nv_dns_search_domains;
		st->n_dns_search_domains = ARRAY_SIZE(nv_dns_search_domains);
	} else if (o->n_dns_servers) {
		st->dns_server_ips = o->dns_servers;
		st->n_dns_server_ips = o->n_dns_servers;
	}
}

/* What the firewall step needs to know of the networks' setup. */
struct fw_plan {
	bool *created; /* per network: this setup created its bridge */
};

/*
 * The networks' elements and the container's port forwards, in one
 * transaction, bracketed by the state record (pending, then committed). A
 * port another container already forwards makes the commit fail; the error
 * names the port and its owner.
 */
static int setup_firewall(struct nv_op *op, const struct fw_plan *plan,
			  struct berth_error **reterr)
{
	const struct nv_ctx *ctx = op->ctx;
	const struct nv_options *o = op->opts;
	_cleanup_(berth_record_freep) struct berth_record *rec = NULL;
	_cleanup_free_ struct berth_fw_portmap *pm = NULL;
	_cleanup_free_ int *tags = NULL;
	_cleanup_free_ char *msg = NULL;
	struct berth_fw_batch *b = NULL;
	const char *table = ctx->fw_table ? ctx->fw_table : BERTH_FW_TABLE_DEFAULT;
	int n_pm = 0, r;

	if (ctx->fw_driver != NV_FW_NFTABLES) {
		if (o->n_port_mappings)
			log_info("firewall driver none: %zu port mapping(s) not forwarded",
				 o->n_port_mappings);
		return 0;
	}
	if (o->n_port_mappings) {
		pm = calloc(NV_FW_MAX_PORTMAPS, sizeof(*pm));
		tags = calloc(NV_FW_MAX_PORTMAPS, sizeof(*tags));
		if (!pm || !tags)
			return berth_error_set(reterr, ENOMEM, "out of memory");
		n_pm = nv_fw_portmaps(o, pm, tags, NV_FW_MAX_PORTMAPS);
		if (n_pm < 0)
			return berth_error_set(reterr, E2BIG, "port_mappings: too many forwards");
	}
	bool any_net = false;
	for (size_t i = 0; i < o->n_networks; i++)
		any_net |= nv_fw_wants_network(o->networks[i].network);
	if (!any_net && n_pm == 0)
		return 0;

	/*
	 * The table's fixed rules are written only when it is missing: rewriting
	 * them costs the kernel an RCU grace period (repairs are firewall-reload's).
	 */
	r = berth_fw_table_exists(ctx->fw_table);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "firewall: look up table");
	bool table_existed = r > 0;
	r = berth_fw_batch_new(ctx->fw_table, &b);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");
	if (!table_existed && (r = berth_fw_batch_ensure_table(b)) < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall: build table");
		goto out;
	}
	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_network *n = o->networks[i].network;
		if (!nv_fw_wants_network(n))
			continue;
		r = nv_fw_add_network(ctx, b, n);
		if (r < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall: network %s",
					      n->name);
			goto out;
		}
	}
	for (int i = 0; i < n_pm; i++) {
		berth_fw_batch_set_tag(b, tags[i]);
		r = berth_fw_batch_add_portmaps(b, &pm[i], 1);
		if (r < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "port_mappings[%d]",
					      tags[i]);
			goto out;
		}
	}
	berth_fw_batch_set_tag(b, -1);

	/* The record goes first, marked pending: no element can exist without it. */
	r = nv_record_build(ctx, o, pm, (size_t)n_pm, true, &rec);
	if (r < 0) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	if (berth_undo_record(op->undo, NV_RECORD_OWNER, o->container_id) < 0) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	r = berth_record_write(rec);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to write berth's state record");
		goto out;
	}
	test_stop_at("record");

	int failed_tag = -1, failed_errno = 0;
	r = berth_fw_commit_tagged(b, &msg, &failed_tag, &failed_errno);
	if (r < 0) {
		if (abs(failed_errno) == EEXIST && failed_tag >= 0 &&
		    (size_t)failed_tag < o->n_port_mappings)
			r = nv_fw_conflict_error(o, (size_t)failed_tag, reterr);
		else if (msg)
			r = berth_error_set(reterr, r, "failed to configure firewall: %s", msg);
		else
			r = berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					      "failed to configure firewall");
		goto out;
	}

	/* Committed: what a rollback must take back out of the table. */
	if (!table_existed) {
		r = berth_undo_fw_table(op->undo, table);
	} else {
		r = berth_undo_fw_portmaps(op->undo, table, pm, (size_t)n_pm);
		for (size_t i = 0; i < o->n_networks && r >= 0; i++) {
			const struct nv_network *n = o->networks[i].network;
			struct berth_ipnet storage[NV_MAX_SUBNETS];
			struct berth_record_redirect rd[NV_MAX_SUBNETS];
			struct berth_fw_network fn;
			if (!nv_fw_wants_network(n) || !plan->created[i])
				continue; /* elements others use too stay */
			nv_fw_network(n, storage, &fn);
			r = berth_undo_fw_network(op->undo, table, &fn);
			size_t k = nv_fw_dns_redirects(ctx, n, rd, ARRAY_SIZE(rd));
			for (size_t j = 0; j < k && r >= 0; j++)
				r = berth_undo_fw_dns_redirect(op->undo, table,
							       &rd[j].gateway, rd[j].port);
		}
	}
	if (r < 0) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	test_stop_at("commit");

	rec->pending = false;
	r = berth_record_write(rec);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to write berth's state record");
		goto out;
	}
	nv_fw_flush_udp(pm, (size_t)n_pm);
	r = 0;
out:
	/* Closing the socket of a commit that added elements costs nothing. */
	berth_fw_batch_free(b);
	return r;
}

int nv_cmd_setup(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		 int (*emit)(const char *json), struct berth_error **reterr)
{
	struct nv_op op = { .ctx = ctx, .opts = o };
	struct nv_dns dns = NV_DNS_INIT;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ struct nv_status_net *status = NULL;
	_cleanup_free_ ssize_t *dns_of = NULL; /* index in dns.nets per network, -1: none */
	_cleanup_free_ bool *created = NULL;
	_cleanup_free_ char *json = NULL;
	size_t n = o->n_networks ? o->n_networks : 1;
	int r;

	dns_of = calloc(n, sizeof(*dns_of));
	status = calloc(n, sizeof(*status));
	created = calloc(n, sizeof(*created));
	if (!status || !dns_of || !created)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	r = berth_undo_new(&op.undo);
	if (r < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");

	r = nv_open_netns(netns_path, &op.ctr, reterr);
	if (r < 0)
		goto out;
	r = berth_netns_open_current(&op.host);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "open host network namespace");
		goto out;
	}
	if (berth_netns_same(op.host, op.ctr)) {
		r = berth_error_set(reterr, EINVAL,
				    "invalid namespace path: %s is the host's own network namespace",
				    netns_path);
		goto out;
	}

	lockfd = nv_lock_host(reterr);
	if (lockfd < 0) {
		r = lockfd;
		goto out;
	}

	/* Loopback (ifindex 1) up in the container. */
	r = berth_link_up_undo(op.ctr, 1, op.undo);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "set lo up in container namespace");
		goto rollback;
	}

	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_per_network *pn = &o->networks[i];
		struct nv_bridge_result br;
		status[i].name = pn->name;
		dns_of[i] = -1;
		switch (pn->network->driver) {
		case NV_DRIVER_BRIDGE:
			r = nv_bridge_setup(&op, pn, &status[i], &br, reterr);
			created[i] = r >= 0 && br.created;
			if (r >= 0 && pn->network->dns_enabled) {
				r = nv_dns_prepare(&op, &dns, pn, reterr);
				if (r >= 0)
					dns_of[i] = r;
			}
			break;
		case NV_DRIVER_MACVLAN:
		case NV_DRIVER_IPVLAN:
			r = nv_vlan_setup(&op, pn, &status[i], reterr);
			break;
		default:
			r = berth_error_set(reterr, EINVAL, "unsupported driver");
			break;
		}
		if (r < 0)
			goto rollback;
	}
	test_stop_at("links");
	for (size_t i = 0; i < o->n_networks; i++)
		status_dns(o, dns_of[i] >= 0 ? &dns.nets[dns_of[i]] : NULL, &status[i]);

	/*
	 * DNS before the firewall: its entries are undone cheaply, and the
	 * aardvark lock is held until the end, so nobody sees them come and go.
	 */
	r = nv_dns_commit(&op, &dns, reterr);
	if (r < 0)
		goto rollback;

	r = setup_firewall(&op, &(struct fw_plan){ .created = created }, reterr);
	if (r < 0)
		goto rollback;

	json = nv_status_to_json(status, o->n_networks);
	if (!json) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto rollback;
	}
	r = emit(json);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to write the setup result");
		goto rollback;
	}
	r = 0;
	goto out;

rollback:
	log_debug("setup failed, rolling back %zu step(s)", berth_undo_count(op.undo));
	(void)berth_undo_run(op.undo);
out:
	nv_dns_done(&dns);
	berth_undo_free(op.undo);
	berth_netns_free(op.ctr);
	berth_netns_free(op.host);
	return r;
}
