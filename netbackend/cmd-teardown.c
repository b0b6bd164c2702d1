// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net teardown: idempotent and best effort.
 *
 * Every network is torn down even when an earlier one failed; all errors are
 * reported together at the end. A container namespace that is already gone is
 * fine: the host side is still cleaned up. A second teardown of the same
 * container finds nothing to do and succeeds. Order: the container's DNS
 * entries (and a SIGHUP to the DNS server, as netavark does first), the
 * container's interfaces (except a veth that is its bridge's last port) and
 * typed routes, then the firewall in one transaction (this container's port
 * forwards from its state record, the elements of the networks left empty,
 * or the whole table when no network is left), then the empty bridges
 * together with their last veths in one kernel batch (one RCU grace period
 * instead of one per link). As netavark 2.1: firewall before bridge, so no
 * forwarded packet is routed past a bridge that is gone. All of it under
 * berth's host-wide lock, so that no other setup (of any front end) sees a
 * bridge half-removed.
 */
#include "commands.h"
#include "dns.h"
#include "driver.h"
#include "fw.h"
#include "status.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* netavark's rendering of collected errors: one as it is, several as a list. */
static int render_errors(const struct berth_error_list *l, struct berth_error **reterr)
{
	if (l->n == 1) {
		_cleanup_free_ char *msg = nv_error_text(l->v[0]);
		return berth_error_set(reterr, l->v[0]->errnum, "%s", msg ? msg : "out of memory");
	}
	char *all = NULL;
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *msg = nv_error_text(l->v[i]);
		all = berth_strappendf(all, "\n\t- %s", msg ? msg : "out of memory");
	}
	int r = berth_error_set(reterr, EIO, "netavark encountered multiple errors:%s",
				all ? all : "");
	free(all);
	return r;
}

int nv_cmd_teardown(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		    struct berth_error **reterr)
{
	struct nv_op op = { .ctx = ctx, .opts = o };
	struct berth_error *e = NULL;
	struct berth_record *rec = NULL;
	struct berth_fw_batch *fw = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ const struct nv_network **empty = NULL;
	_cleanup_free_ int *doomed = NULL; /* links deleted in one batch at the end */
	size_t n_doomed = 0, n_empty = 0;
	sigset_t block, old;
	int r;

	/* A teardown interrupted half-way would leave a mess: finish it first. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	r = berth_netns_open_path(netns_path, &op.ctr);
	if (r == -ENOENT) {
		log_info("container namespace %s is gone, cleaning up the host side only",
			 netns_path);
		op.ctr = NULL;
	} else if (r < 0) {
		r = nv_open_netns(netns_path, &op.ctr, reterr);
		goto out;
	}
	r = berth_netns_open_current(&op.host);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "open host network namespace");
		goto out;
	}
	lockfd = nv_lock_host(reterr);
	if (lockfd < 0) {
		r = lockfd;
		goto out;
	}

	nv_dns_teardown(&op);

	empty = calloc(o->n_networks ? o->n_networks : 1, sizeof(*empty));
	doomed = calloc(2 * (o->n_networks ? o->n_networks : 1), sizeof(*doomed));
	if (!empty || !doomed) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}

	for (size_t i = 0; i < o->n_networks; i++) {
		const struct nv_per_network *pn = &o->networks[i];
		bool is_empty = false;
		int ifindex = 0, veth = 0;
		switch (pn->network->driver) {
		case NV_DRIVER_BRIDGE:
			r = nv_bridge_teardown(&op, pn, &is_empty, &ifindex, &veth, &e);
			break;
		case NV_DRIVER_MACVLAN:
		case NV_DRIVER_IPVLAN:
			r = nv_vlan_teardown(&op, pn, &e);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			nv_op_error(&op, &e);
		if (nv_container_routes_teardown(&op, pn, &e) < 0)
			nv_op_error(&op, &e);
		if (veth)
			doomed[n_doomed++] = veth;
		if (is_empty) {
			empty[n_empty++] = pn->network;
			doomed[n_doomed++] = ifindex;
		}
	}

	/*
	 * Firewall first, then the bridges (so no packet is routed past a gone
	 * rule). The port forwards removed are the ones setup recorded (also a
	 * record left pending by a setup killed half-way: missing is fine).
	 */
	r = berth_record_load(NV_RECORD_OWNER, o->container_id, &rec);
	if (r < 0 && r != -ENOENT)
		log_warn("state record of this container unreadable (%s), its port forwards "
			 "are left to firewall-reload, ignoring",
			 strerror(-r));
	if (nv_fw_teardown(ctx, r >= 0 ? rec : NULL, empty, n_empty, &fw, &e) < 0) {
		nv_op_error(&op, &e);
	} else {
		r = berth_record_remove(NV_RECORD_OWNER, o->container_id);
		if (r < 0)
			log_warn("failed to remove the state record of this container: %s, ignoring",
				 strerror(-r));
	}
	berth_record_free(rec);
	/* The container's veths and the bridges left empty: one kernel batch. */
	r = berth_link_delete_many(op.host, doomed, n_doomed);
	if (r < 0 && r != -ENODEV) {
		berth_error_errno(&e, r, BERTH_ERR_NETLINK, "delete %zu link(s)%s%s", n_doomed,
				  n_empty ? " with bridge " : "",
				  n_empty ? empty[0]->network_interface : "");
		nv_op_error(&op, &e);
	} else {
		log_debug("deleted %zu link(s), %zu of them bridges", n_doomed, n_empty);
	}
	/* Closing the nftables socket waits for the kernel too: after the links. */
	berth_fw_batch_free(fw);

	r = op.errors.n ? render_errors(&op.errors, reterr) : 0;
out:
	berth_error_list_done(&op.errors);
	berth_netns_free(op.ctr);
	berth_netns_free(op.host);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
