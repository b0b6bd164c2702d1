// SPDX-License-Identifier: Apache-2.0
/*
 * macvlan and ipvlan: a sub-interface of a host parent link, created directly
 * inside the container's namespace. No bridge, no firewall, no DNS.
 */
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static int parent_ifindex(struct nv_op *op, const struct nv_network *n, int *ret,
			  struct berth_error **reterr)
{
	struct berth_link_info li;
	int r;

	if (n->network_interface && n->network_interface[0]) {
		r = berth_link_get(op->host, n->network_interface, &li);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "get parent interface %s", n->network_interface);
		*ret = li.ifindex;
		return 0;
	}
	r = berth_route_default_ifindex(op->host, AF_UNSPEC, ret);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					 "no parent interface given and no default route to "
					 "take it from");
	return 0;
}

static int create(struct nv_op *op, const struct nv_network *n, struct berth_sublink_spec *spec,
		  int *ret_ifindex)
{
	int r = n->driver == NV_DRIVER_MACVLAN ? berth_macvlan_create(op->host, spec, ret_ifindex)
					       : berth_ipvlan_create(op->host, spec, ret_ifindex);
	/* created, but its index is unknown and it could not be deleted: by name */
	if (r == -ENOTRECOVERABLE)
		(void)berth_undo_link_name(op->undo, spec->target_ns, spec->name);
	return r;
}

int nv_vlan_setup(struct nv_op *op, const struct nv_per_network *pn, struct nv_status_net *st,
		  struct berth_error **reterr)
{
	const struct nv_network *n = pn->network;
	const char *kind = n->driver == NV_DRIVER_MACVLAN ? "macvlan" : "ipvlan";
	struct berth_link_info li;
	int parent, ifindex, r;

	r = parent_ifindex(op, n, &parent, reterr);
	if (r < 0)
		return r;

	struct berth_sublink_spec spec = {
		.name = pn->interface_name,
		.parent_ifindex = parent,
		.target_ns = op->ctr,
		.mtu = n->mtu,
		.mac = pn->has_static_mac ? pn->static_mac : NULL,
		.mode = n->mode,
		.bclim = n->bclim,
		.has_bclim = n->has_bclim,
	};
	if (berth_link_get(op->ctr, pn->interface_name, &li) >= 0)
		return berth_error_errno(reterr, EEXIST, BERTH_ERR_NETLINK,
					 "create %s: interface %s already exists on container "
					 "namespace",
					 kind, pn->interface_name);

	r = create(op, n, &spec, &ifindex);
	if (r == -EEXIST) {
		/*
		 * Older kernels check the name in the host namespace too: create
		 * under a temporary name, then rename inside the container.
		 */
		uint32_t rnd = 0;
		char tmp[16];
		(void)!getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
		snprintf(tmp, sizeof(tmp), "mv-%08x", rnd);
		spec.name = tmp;
		r = create(op, n, &spec, &ifindex);
		if (r >= 0) {
			int k = berth_undo_link(op->undo, op->ctr, ifindex);
			if (k < 0) {
				(void)berth_link_delete(op->ctr, ifindex);
				return berth_error_set(reterr, ENOMEM, "out of memory");
			}
			r = berth_link_rename(op->ctr, ifindex, pn->interface_name);
			if (r < 0)
				return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
							 "rename %s to %s", tmp,
							 pn->interface_name);
			goto configure;
		}
	}
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "create %s interface %s",
					 kind, pn->interface_name);
	r = berth_undo_link(op->undo, op->ctr, ifindex);
	if (r < 0) {
		(void)berth_link_delete(op->ctr, ifindex);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
configure:
	log_debug("created %s %s in the container", kind, pn->interface_name);
	r = nv_container_sysctls(op, pn, false, reterr);
	if (r < 0)
		return r;
	return nv_container_configure(op, pn, ifindex, st, reterr);
}

int nv_vlan_teardown(struct nv_op *op, const struct nv_per_network *pn,
		     struct berth_error **reterr)
{
	struct berth_link_info li;
	int r;

	if (!op->ctr)
		return 0; /* the namespace, and the link with it, is gone */
	r = berth_link_get(op->ctr, pn->interface_name, &li);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					 "get interface %s in container namespace",
					 pn->interface_name);
	r = berth_link_delete(op->ctr, li.ifindex);
	if (r < 0 && r != -ENODEV)
		return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					 "delete interface %s in container namespace",
					 pn->interface_name);
	return 0;
}
