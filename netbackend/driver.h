/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drivers: what one network of a container becomes in the kernel
 * (links, addresses, routes, sysctls), from the netavark model to lib/'s
 * specs. Every change goes on op->undo. The firewall and DNS parts of a
 * network are the commands' business (fw.h, dns.h).
 */
#pragma once

#include "op.h"
#include "status.h"

#include "netlink/iface.h"

/* What a bridge setup found or made, for the firewall and DNS steps. */
struct nv_bridge_result {
	bool created; /* this setup created the bridge (nobody else uses its elements) */
};

int nv_bridge_setup(struct nv_op *op, const struct nv_per_network *pn, struct nv_status_net *st,
		    struct nv_bridge_result *ret, struct berth_error **reterr);
int nv_vlan_setup(struct nv_op *op, const struct nv_per_network *pn, struct nv_status_net *st,
		  struct berth_error **reterr);

/*
 * Find the container's veth on this network. Its host end is not deleted
 * here but returned in *ret_veth_ifindex: the caller deletes it after the
 * firewall changes, with every other link of the teardown, in one kernel
 * batch. (Only when berth cannot find its host end is the interface deleted
 * here, from the container side.) For a managed bridge, *ret_bridge_empty
 * tells whether no other port is left (complete teardown: the caller removes
 * the network's firewall state, then the bridge, in the same link batch).
 */
int nv_bridge_teardown(struct nv_op *op, const struct nv_per_network *pn, bool *ret_bridge_empty,
		       int *ret_bridge_ifindex, int *ret_veth_ifindex, struct berth_error **reterr);
int nv_vlan_teardown(struct nv_op *op, const struct nv_per_network *pn,
		     struct berth_error **reterr);

/* ---- the container side, shared by the drivers (container.c) ---- */

/*
 * Container-side sysctls as netavark sets them: IPv6 autoconf off always;
 * with `full` (managed bridges) also accept_dad=0 (IPv6), arp_notify=1 and
 * rp_filter=2 (loose).
 */
int nv_container_sysctls(struct nv_op *op, const struct nv_per_network *pn, bool full,
			 struct berth_error **reterr);
/*
 * Addresses, link up, default and static routes, and the status entry's
 * subnets and MAC.
 */
int nv_container_configure(struct nv_op *op, const struct nv_per_network *pn, int ifindex,
			   struct nv_status_net *st, struct berth_error **reterr);
/*
 * Delete the routes setup added that are bound to no interface (typed
 * routes) from the container's namespace; already gone is fine.
 */
int nv_container_routes_teardown(struct nv_op *op, const struct nv_per_network *pn,
				 struct berth_error **reterr);
/*
 * The kernel route for one of the network's static routes: unicast routes go
 * through the container's interface `ifindex` (and vanish with it); typed
 * routes (blackhole, unreachable, prohibit) have no interface.
 */
void nv_route_spec(const struct nv_network *n, const struct nv_route *nr, int ifindex,
		   struct berth_route_spec *ret);

/*
 * The host-side veth name berth uses when the input names none: derived from
 * the container id and the network name, so that teardown finds it even when
 * the container's namespace is gone. buf >= 16 bytes.
 */
const char *nv_host_veth_name(const char *container_id, const char *network, char *buf);
