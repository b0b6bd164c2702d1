// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net teardown: idempotent and best effort.
 *
 * Every network is torn down even when an earlier one failed; all errors are
 * reported together at the end. A container namespace that is already gone is
 * fine: the host side is still cleaned up. A second teardown of the same
 * container finds nothing to do and succeeds. Order: the container's DNS
 * entries (and a SIGHUP to the DNS server, as netavark does first), the
 * container's interfaces (except a veth that is its bridge's last port), then the firewall
 * in one transaction (this container's port forwards, the elements of the
 * networks left empty, or the whole table when no network is left), then the
 * empty bridges together with their last veths in one kernel batch (one RCU
 * grace period instead of one per link). As netavark 2.1: firewall before
 * bridge, so no forwarded packet is routed past a bridge that is gone.
 */
#include "aardvark.h"
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "state.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void nv_teardown_error(struct nv_teardown *t, struct berth_error *e)
{
	if (!e)
		return;
	_cleanup_free_ char *msg = nv_error_text(e);
	if (!msg)
		return;
	log_debug("teardown error: %s", msg);
	t->errors = berth_strappendf(t->errors, "\n\t- %s", msg);
	if (!t->first_error)
		t->first_error = strdup(msg);
	t->n_errors++;
}

int nv_container_routes_teardown(struct nv_teardown *t, const struct nv_per_network *pn,
				 struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;

	if (!t->ctr)
		return 0; /* gone with the namespace */
	for (size_t i = 0; i < n->n_routes; i++) {
		struct berth_route_spec rt;
		if (n->routes[i].route_type == BERTH_ROUTE_UNICAST)
			continue; /* removed with the interface */
		nv_route_spec(n, &n->routes[i], 0, &rt);
		int r = berth_route_del(t->ctr, &rt);
		if (r < 0 && r != -ESRCH && r != -ENOENT) {
			char b[BERTH_IPNET_STRLEN];
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "delete route to %s in container namespace",
						 berth_ipnet_fmt(&rt.dst, b));
		}
	}
	return 0;
}

static void teardown_collect(struct nv_teardown *t, struct berth_error **e)
{
	nv_teardown_error(t, *e);
	berth_error_free(*e);
	*e = NULL;
}

int nv_cmd_teardown(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		    struct berth_error **reterr)
{
	struct nv_teardown t = { .ctx = ctx, .opts = o };
	struct berth_error *e = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ const struct nv_network **empty = NULL;
	_cleanup_free_ int *doomed = NULL; /* links deleted in one batch at the end */
	size_t n_doomed = 0;
	size_t n_empty = 0;
	sigset_t block, old;
	int r;

	/* A teardown interrupted half-way would leave a mess: finish it first. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	r = berth_netns_open_path(netns_path, &t.ctr);
	if (r == -ENOENT) {
		log_info("container namespace %s is gone, cleaning up the host side only",
			 netns_path);
		t.ctr = NULL;
	} else if (r < 0) {
		(void)nv_open_netns(netns_path, &t.ctr, reterr);
		goto out;
	}
	r = berth_netns_open_current(&t.host);
	if (r < 0) {
		r = berth_error_errno(reterr, r, BERTH_ERR_IO, "open host network namespace");
		goto out;
	}
	lockfd = nv_lock(ctx, reterr);
	if (lockfd < 0) {
		r = lockfd;
		goto out;
	}

	nv_dns_teardown(&t);

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
			r = nv_bridge_teardown(&t, pn, &is_empty, &ifindex, &veth, &e);
			break;
		case NV_DRIVER_MACVLAN:
		case NV_DRIVER_IPVLAN:
			r = nv_vlan_teardown(&t, pn, &e);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			teardown_collect(&t, &e);
		if (nv_container_routes_teardown(&t, pn, &e) < 0)
			teardown_collect(&t, &e);
		if (veth)
			doomed[n_doomed++] = veth;
		if (is_empty) {
			empty[n_empty++] = pn->network;
			doomed[n_doomed++] = ifindex;
		}
	}

	/*
	 * Firewall first, then the bridges (so no packet is routed past a gone
	 * rule). The port forwards removed are the ones setup recorded.
	 */
	struct nv_options *state = NULL;
	struct berth_fw_batch *fw = NULL;
	if (nv_state_load(ctx, o->container_id, &state) < 0)
		state = NULL;
	if (nv_fw_teardown(ctx, state, empty, n_empty, &fw, &e) < 0) {
		teardown_collect(&t, &e);
	} else {
		r = nv_state_remove(ctx, o->container_id);
		if (r < 0)
			log_warn("failed to remove the state of this container: %s, ignoring",
				 strerror(-r));
	}
	nv_options_free(state);
	/* The container's veths and the bridges left empty: one kernel batch. */
	r = berth_link_delete_many(t.host, doomed, n_doomed);
	if (r < 0 && r != -ENODEV) {
		berth_error_errno(&e, r, BERTH_ERR_NETLINK, "delete %zu link(s)%s%s", n_doomed,
				  n_empty ? " with bridge " : "",
				  n_empty ? empty[0]->network_interface : "");
		teardown_collect(&t, &e);
	} else {
		log_debug("deleted %zu link(s), %zu of them bridges", n_doomed, n_empty);
	}
	/* Closing the nftables socket waits for the kernel too: after the links. */
	berth_fw_batch_free(fw);

	if (t.n_errors == 1)
		r = berth_error_set(reterr, EIO, "%s", t.first_error);
	else if (t.n_errors > 1)
		r = berth_error_set(reterr, EIO, "netavark encountered multiple errors:%s",
				    t.errors ? t.errors : "");
	else
		r = 0;
out:
	free(t.errors);
	free(t.first_error);
	berth_netns_free(t.ctr);
	berth_netns_free(t.host);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
