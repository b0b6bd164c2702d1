// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net firewall-reload: rebuild berth's whole nftables table from the
 * state records of every front end in one transaction (delete the table if
 * present, create it, add every network that still has its bridge, every DNS
 * redirect and every port forward), for when someone ran `nft flush ruleset`
 * or restarted nftables.service. Records left pending by a setup that died
 * before its commit are never replayed.
 */
#include "commands.h"
#include "op.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "state/record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reload {
	struct berth_netns *host;
	struct berth_fw_batch *b;
	char (*bridges)[BERTH_IFNAMSIZ]; /* networks already queued */
	size_t n_bridges;
	size_t n_records, n_forwards, n_elems, n_pending;
	int err;
};

static bool queued(struct reload *rl, const char *bridge)
{
	for (size_t i = 0; i < rl->n_bridges; i++)
		if (strcmp(rl->bridges[i], bridge) == 0)
			return true;
	return false;
}

static int reload_cb(const struct berth_record *rec, void *userdata)
{
	struct reload *rl = userdata;
	int r;

	if (rec->pending) {
		log_info("attachment %.12s (%s): setup never completed, not restoring it", rec->id,
			 rec->owner);
		rl->n_pending++;
		return 0;
	}
	bool stale = false;
	for (size_t i = 0; i < rec->n_nets; i++) {
		const struct berth_record_net *n = &rec->nets[i];
		struct berth_link_info li;
		struct berth_fw_network fn;

		/* A record whose bridge is gone is stale: neither its network nor its forwards return. */
		if (berth_link_get(rl->host, n->bridge, &li) < 0) {
			log_info("bridge %s is gone, not restoring it", n->bridge);
			stale = true;
			continue;
		}
		if (queued(rl, n->bridge))
			continue;
		if (rl->n_bridges == BERTH_RECORD_MAX_RECORDS)
			return rl->err = -E2BIG;
		snprintf(rl->bridges[rl->n_bridges++], BERTH_IFNAMSIZ, "%s", n->bridge);
		berth_record_fw_network(rec, i, &fn);
		r = berth_fw_batch_add_network(rl->b, &fn);
		if (r < 0)
			return rl->err = r;
	}
	if (stale) {
		log_info("attachment %.12s: a network is gone, its port forwards are not restored",
			 rec->id);
		return 0;
	}
	for (size_t i = 0; i < rec->n_redirects; i++) {
		r = berth_fw_batch_add_dns_redirect(rl->b, &rec->redirects[i].gateway,
						    rec->redirects[i].port);
		if (r < 0)
			return rl->err = r;
	}
	if (rec->n_forwards > 0) {
		r = berth_fw_batch_add_portmaps(rl->b, rec->forwards, rec->n_forwards);
		if (r < 0)
			return rl->err = r;
	}
	/* The CNI plugins' elements (hairpin sources, masquerade, accepts, ingress policies). */
	if (rec->n_elems > 0) {
		r = berth_fw_batch_add_elems(rl->b, rec->elems, rec->n_elems);
		if (r < 0)
			return rl->err = r;
	}
	rl->n_records++;
	rl->n_forwards += rec->n_forwards;
	rl->n_elems += rec->n_elems;
	return 0;
}

int nv_cmd_firewall_reload(const struct nv_ctx *ctx, struct berth_error **reterr)
{
	struct reload rl = { 0 };
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *msg = NULL;
	size_t bad = 0;
	int r;

	if (ctx->fw_driver != NV_FW_NFTABLES) {
		log_info("firewall driver none: nothing to reload");
		return 0;
	}
	lockfd = nv_lock_host(reterr);
	if (lockfd < 0)
		return lockfd;
	r = berth_netns_open_current(&rl.host);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "open host network namespace");
	rl.bridges = calloc(BERTH_RECORD_MAX_RECORDS, sizeof(*rl.bridges));
	if (!rl.bridges) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	r = berth_fw_batch_new(ctx->fw_table, &rl.b);
	if (r >= 0)
		r = berth_fw_batch_del_table(rl.b);
	if (r >= 0)
		r = berth_fw_batch_ensure_table(rl.b);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");
		goto out;
	}
	r = berth_record_foreach(NULL, reload_cb, &rl, &bad);
	if (r < 0 && rl.err == 0)
		rl.err = r;
	if (rl.err < 0) {
		r = berth_error_errno(reterr, rl.err, BERTH_ERR_IO, "failed to read berth's state");
		goto out;
	}
	if (bad)
		log_warn("%zu state record(s) do not parse, ignoring them", bad);
	if (rl.n_bridges == 0 && rl.n_forwards == 0 && rl.n_elems == 0) {
		/* Nothing is set up: leave no table behind. */
		berth_fw_batch_free(rl.b);
		rl.b = NULL;
		r = berth_fw_batch_new(ctx->fw_table, &rl.b);
		if (r >= 0)
			r = berth_fw_batch_del_table(rl.b);
		if (r < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");
			goto out;
		}
	}
	r = berth_fw_commit(rl.b, &msg);
	if (r < 0) {
		r = msg ? berth_error_set(reterr, r, "failed to reload firewall: %s", msg)
			: berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "failed to reload firewall");
		goto out;
	}
	log_info("firewall reloaded: %zu network(s), %zu attachment(s), %zu port forward(s)%s",
		 rl.n_bridges, rl.n_records, rl.n_forwards,
		 rl.n_pending ? ", pending setups skipped" : "");
	r = 0;
out:
	berth_fw_batch_free(rl.b);
	berth_netns_free(rl.host);
	free(rl.bridges);
	return r;
}
