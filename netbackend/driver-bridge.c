// SPDX-License-Identifier: Apache-2.0
/*
 * The bridge driver: a Linux bridge on the host (created on demand in managed
 * mode), and a veth pair per container whose container end is born inside
 * the container's namespace.
 */
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static bool has_family(const struct nv_network *n, int family)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		if (n->subnets[i].subnet.ip.family == family)
			return true;
	return false;
}

/*
 * The MTU for the veth: the option; else, for the bridge's first port, the
 * default-route interface's (netavark 1.16); else the existing bridge's,
 * which the kernel keeps at its ports' minimum, i.e. what the first port got
 * (netavark 1.4). So the routing table is read once per network, not once
 * per container.
 */
static unsigned pick_mtu(struct nv_op *op, const struct nv_network *n,
			 const struct berth_link_info *bridge, bool created)
{
	struct berth_link_info li;
	int ifindex;

	if (n->mtu)
		return n->mtu;
	if (!created)
		return bridge->mtu;
	if (berth_route_default_ifindex(op->host, AF_UNSPEC, &ifindex) >= 0 &&
	    berth_link_get_by_index(op->host, ifindex, &li) >= 0 && li.mtu)
		return li.mtu;
	return bridge->mtu;
}

/* The bridge's sysctls, as netavark writes them when it creates the bridge. */
static int bridge_sysctls(struct nv_op *op, const struct nv_network *n,
			  struct berth_error **reterr)
{
	static const struct berth_sysctl_rule rules[] = {
		{ "net/ipv4/ip_forward", false, "", "1", BERTH_SC_EXTERNAL },
		{ "net/ipv6/conf/all/forwarding", false, "", "1", BERTH_SC_EXTERNAL | BERTH_SC_V6 },
		{ "net/ipv4/conf/", true, "/route_localnet", "1", BERTH_SC_EXTERNAL },
		{ "net/ipv4/conf/", true, "/forwarding", "0", BERTH_SC_INTERNAL },
		{ "net/ipv6/conf/", true, "/forwarding", "0", BERTH_SC_INTERNAL | BERTH_SC_V6 },
		{ "net/ipv6/conf/", true, "/accept_dad", "0", BERTH_SC_V6 },
		{ "net/ipv6/conf/", true, "/accept_ra", "0", BERTH_SC_V6 },
		{ "net/ipv4/conf/", true, "/rp_filter", "2", BERTH_SC_ALWAYS },
	};
	unsigned have = n->internal ? BERTH_SC_INTERNAL : BERTH_SC_EXTERNAL;

	if (has_family(n, AF_INET6))
		have |= BERTH_SC_V6;
	return berth_sysctl_apply(op->host, op->undo, n->network_interface, rules,
				  ARRAY_SIZE(rules), have, reterr);
}

/* An existing link of that name: use it when it is a bridge. */
static int bridge_adopt(struct nv_op *op, const struct nv_network *n, struct berth_link_info *li,
			struct berth_error **reterr)
{
	const char *name = n->network_interface;
	int r;

	if (strcmp(li->kind, "bridge") != 0)
		return berth_error_set(reterr, EEXIST,
				       "bridge interface %s already exists but is a %s interface",
				       name, li->kind[0] ? li->kind : "non-bridge");
	if (n->vlan >= 0 && !n->unmanaged && !li->vlan_filtering) {
		r = berth_bridge_enable_vlan_filtering(op->host, li->ifindex);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "enable vlan filtering on bridge %s", name);
		if (berth_undo_vlan_filtering(op->undo, op->host, li->ifindex) < 0) {
			(void)berth_bridge_disable_vlan_filtering(op->host, li->ifindex);
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int bridge_ensure(struct nv_op *op, const struct nv_network *n, struct berth_link_info *ret,
			 bool *ret_created, struct berth_error **reterr)
{
	const char *name = n->network_interface;
	int r;

	*ret_created = false;
	if (n->unmanaged) {
		r = berth_link_get(op->host, name, ret);
		if (r == -ENODEV)
			return berth_error_set(reterr, ENODEV,
					       "bridge interface %s does not exist (unmanaged mode: "
					       "berth never creates it)",
					       name);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "get bridge interface %s", name);
		return bridge_adopt(op, n, ret, reterr);
	}

	struct berth_bridge_spec spec = {
		.name = name,
		.mtu = n->mtu,
		.vlan_filtering = n->vlan >= 0,
		.down = true, /* up once accept_dad=0 is written: no tentative addresses */
	};
	if (n->vrf) {
		struct berth_link_info vrf;
		r = berth_link_get(op->host, n->vrf, &vrf);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "get vrf interface %s", n->vrf);
		if (strcmp(vrf.kind, "vrf") != 0)
			return berth_error_set(reterr, EINVAL, "interface %s is not a vrf (%s)",
					       n->vrf, vrf.kind[0] ? vrf.kind : "plain device");
		spec.vrf_ifindex = vrf.ifindex;
	}

	/* Create, or adopt the bridge another process made: no check-then-create race. */
	bool created = false;
	r = berth_bridge_ensure(op->host, &spec, ret, &created);
	if (r == -ENOTRECOVERABLE) {
		/* created, but its index is unknown and it could not be deleted: by name */
		(void)berth_undo_link_name(op->undo, op->host, name);
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "create bridge %s", name);
	}
	if (r == -EEXIST)
		return berth_error_set(reterr, EEXIST,
				       "bridge interface %s already exists but is a %s interface",
				       name, ret->kind[0] ? ret->kind : "non-bridge");
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "create bridge %s", name);
	if (!created)
		return bridge_adopt(op, n, ret, reterr);

	int ifindex = ret->ifindex;
	r = berth_undo_link(op->undo, op->host, ifindex);
	if (r < 0) {
		(void)berth_link_delete(op->host, ifindex);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	log_debug("created bridge %s (ifindex %d)", name, ifindex);

	for (size_t i = 0; i < n->n_subnets; i++) {
		const struct nv_subnet *sn = &n->subnets[i];
		char b[BERTH_IPNET_STRLEN];
		if (!sn->gateway.family)
			continue;
		struct berth_ipnet gw = { .ip = sn->gateway, .prefixlen = sn->subnet.prefixlen };
		r = berth_addr_add(op->host, ifindex, &gw, gw.ip.family == AF_INET6);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "add ip addr %s to bridge %s",
						 berth_ipnet_fmt(&gw, b), name);
	}

	/* As netavark: the bridge's sysctls are written when it is created. */
	r = bridge_sysctls(op, n, reterr);
	if (r < 0)
		return r;
	r = berth_link_set_up(op->host, ifindex);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "set bridge %s up", name);

	r = berth_link_get_by_index(op->host, ifindex, ret);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "get bridge %s", name);
	*ret_created = true;
	return 0;
}

int nv_bridge_setup(struct nv_op *op, const struct nv_per_network *pn, struct nv_status_net *st,
		    struct nv_bridge_result *ret, struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	struct berth_link_info bridge;
	char hostname_buf[16];
	int r;

	*ret = (struct nv_bridge_result){ 0 };
	if (!n->network_interface)
		return berth_error_set(reterr, EINVAL, "network %s: no bridge interface name given",
				       n->name);

	bool created;
	r = bridge_ensure(op, n, &bridge, &created, reterr);
	if (r < 0)
		return r;
	ret->created = created;

	const char *host_name = pn->host_interface_name
					? pn->host_interface_name
					: nv_host_veth_name(op->opts->container_id, pn->name, hostname_buf);
	struct berth_veth_spec vs = {
		.host_name = host_name,
		.peer_name = pn->interface_name,
		.peer_ns = op->ctr,
		.mtu = pick_mtu(op, n, &bridge, created),
		.peer_mac = pn->has_static_mac ? pn->static_mac : NULL,
		.master_ifindex = bridge.ifindex,
	};
	int host_ifindex, peer_ifindex;
	char host_actual[16];
	bool conflict_peer = false;
	r = berth_veth_create(op->host, &vs, &host_ifindex, host_actual, &peer_ifindex,
			      &conflict_peer);
	if (r == -ENOTRECOVERABLE)
		(void)berth_undo_link_name(op->undo, op->host, host_actual);
	if (r == -EEXIST)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					 "create veth pair: interface %s already exists on %s "
					 "namespace",
					 conflict_peer ? pn->interface_name : host_name,
					 conflict_peer ? "container" : "host");
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "create veth pair");
	r = berth_undo_link(op->undo, op->host, host_ifindex);
	if (r < 0) {
		(void)berth_link_delete(op->host, host_ifindex);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	log_debug("created veth %s <-> %s on bridge %s", host_actual, pn->interface_name,
		  n->network_interface);

	if (n->vlan >= 0) {
		r = berth_bridge_port_set_vlan(op->host, host_ifindex, (uint16_t)n->vlan);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "set vlan %d on bridge port %s", n->vlan,
						 host_actual);
	}
	if (has_family(n, AF_INET6)) {
		r = berth_sysctl_set_undo(op->host, op->undo, "0", reterr,
					  "net/ipv6/conf/%s/accept_dad", host_actual);
		if (r < 0)
			return r;
	}

	r = nv_container_sysctls(op, pn, !n->unmanaged, reterr);
	if (r < 0)
		return r;
	return nv_container_configure(op, pn, peer_ifindex, st, reterr);
}

int nv_bridge_teardown(struct nv_op *op, const struct nv_per_network *pn, bool *ret_bridge_empty,
		       int *ret_bridge_ifindex, int *ret_veth_ifindex, struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	struct berth_link_info bridge, li;
	char hostname_buf[16];
	int r;

	*ret_bridge_empty = false;
	*ret_bridge_ifindex = 0;
	*ret_veth_ifindex = 0;
	if (!n->network_interface)
		return 0;

	r = berth_link_get(op->host, n->network_interface, &bridge);
	if (r < 0 && r != -ENODEV)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "get bridge %s",
					 n->network_interface);
	bool have_bridge = r >= 0 && strcmp(bridge.kind, "bridge") == 0;
	bool managed = have_bridge && !n->unmanaged;

	/*
	 * The host end, when it is on this bridge (found even if the container's
	 * namespace is gone): the caller deletes it after the firewall, together
	 * with the bridge when it is the bridge's last port.
	 */
	const char *host_name = pn->host_interface_name
					? pn->host_interface_name
					: nv_host_veth_name(op->opts->container_id, pn->name, hostname_buf);
	if (have_bridge && berth_link_get(op->host, host_name, &li) >= 0 &&
	    li.master == bridge.ifindex) {
		*ret_veth_ifindex = li.ifindex;
		if (!managed)
			return 0;
		/* Counting stops at 2: the cost does not grow with the bridge's ports. */
		r = berth_link_count_ports_max(op->host, bridge.ifindex, 2);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "list ports of bridge %s", n->network_interface);
		*ret_bridge_empty = r == 1;
		*ret_bridge_ifindex = bridge.ifindex;
		return 0;
	}

	/* No host end of ours (another tool named it): delete from the container side. */
	if (op->ctr) {
		r = berth_link_get(op->ctr, pn->interface_name, &li);
		if (r >= 0) {
			r = berth_link_delete(op->ctr, li.ifindex);
			if (r < 0 && r != -ENODEV)
				return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
							 "delete interface %s in container "
							 "namespace",
							 pn->interface_name);
		} else if (r != -ENODEV) {
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "get interface %s in container namespace",
						 pn->interface_name);
		}
	}
	if (!managed)
		return 0;
	r = berth_link_count_ports_max(op->host, bridge.ifindex, 1);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "list ports of bridge %s",
					 n->network_interface);
	*ret_bridge_empty = r == 0;
	*ret_bridge_ifindex = bridge.ifindex;
	return 0;
}
