// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net firewall-reload: rebuild berth's whole nftables table from the
 * state records in one transaction (delete the table if present, create it,
 * add every network that still has its bridge and every port forward), for
 * when someone ran `nft flush ruleset` or restarted nftables.service.
 */
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reload {
	const struct nv_ctx *ctx;
	struct berth_netns *host;
	struct berth_fw_batch *b;
	char (*bridges)[BERTH_IFNAMSIZ]; /* networks already queued */
	size_t n_bridges;
	size_t n_containers, n_forwards;
	struct berth_fw_portmap *pm;
	int err;
};

static bool queued(struct reload *rl, const char *bridge)
{
	for (size_t i = 0; i < rl->n_bridges; i++)
		if (strcmp(rl->bridges[i], bridge) == 0)
			return true;
	return false;
}

static int reload_cb(const struct nv_options *o, void *userdata)
{
	struct reload *rl = userdata;
	int r;

	log_set_context(NULL); /* parsing the record tagged the log with its container's id */
	bool stale = false;
	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_network *n = o->networks[i].network;
		struct berth_link_info li;

		if (n->driver != NV_DRIVER_BRIDGE || n->unmanaged || !n->network_interface)
			continue;
		/* A record whose bridge is gone is stale: neither its network nor its forwards return. */
		if (berth_link_get(rl->host, n->network_interface, &li) < 0) {
			log_info("bridge %s of network %s is gone, not restoring it",
				 n->network_interface, n->name);
			stale = true;
			continue;
		}
		if (queued(rl, n->network_interface))
			continue;
		if (rl->n_bridges == NV_STATE_MAX_CONTAINERS)
			return rl->err = -E2BIG;
		snprintf(rl->bridges[rl->n_bridges++], BERTH_IFNAMSIZ, "%s", n->network_interface);
		r = nv_fw_add_network(rl->ctx, rl->b, n);
		if (r < 0)
			return rl->err = r;
	}
	if (stale) {
		log_info("container %.12s: a network is gone, its port forwards are not restored",
			 o->container_id);
		return 0;
	}
	int n_pm = nv_fw_portmaps(o, rl->pm, NULL, NV_FW_MAX_PORTMAPS);
	if (n_pm < 0)
		return rl->err = n_pm;
	if (n_pm > 0) {
		r = berth_fw_batch_add_portmaps(rl->b, rl->pm, (size_t)n_pm);
		if (r < 0)
			return rl->err = r;
	}
	rl->n_containers++;
	rl->n_forwards += (size_t)n_pm;
	return 0;
}

int nv_cmd_firewall_reload(const struct nv_ctx *ctx, struct berth_error **reterr)
{
	struct reload rl = { .ctx = ctx };
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *msg = NULL;
	int r;

	if (ctx->fw_driver != NV_FW_NFTABLES) {
		log_info("firewall driver none: nothing to reload");
		return 0;
	}
	lockfd = nv_lock(ctx, reterr);
	if (lockfd < 0)
		return lockfd;
	r = berth_netns_open_current(&rl.host);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "open host network namespace");
	rl.pm = calloc(NV_FW_MAX_PORTMAPS, sizeof(*rl.pm));
	rl.bridges = calloc(NV_STATE_MAX_CONTAINERS, sizeof(*rl.bridges));
	if (!rl.pm || !rl.bridges) {
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
	r = nv_state_foreach(ctx, reload_cb, &rl);
	if (r < 0 && rl.err == 0)
		rl.err = r;
	if (rl.err < 0) {
		r = berth_error_errno(reterr, rl.err, BERTH_ERR_IO, "failed to read berth's state");
		goto out;
	}
	if (rl.n_bridges == 0) {
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
	log_info("firewall reloaded: %zu network(s), %zu container(s), %zu port forward(s)",
		 rl.n_bridges, rl.n_containers, rl.n_forwards);
	r = 0;
out:
	berth_fw_batch_free(rl.b);
	berth_netns_free(rl.host);
	free(rl.pm);
	free(rl.bridges);
	return r;
}
