// SPDX-License-Identifier: Apache-2.0
/*
 * nat: masquerade for the container's addresses, for chains whose main plugin
 * does no NAT (macvlan or ipvlan with a private range, ptp, host-device).
 * Chained: for every address of CNI_IFNAME in prevResult, one element of
 * cni_masq4/6 (the address) and one of cni_local4/6 (address . its subnet):
 * the fixed postrouting rules then masquerade what that address sends to
 * anything outside its own subnet, multicast excepted (as the bridge
 * plugin's ipMasq). Output: prevResult unchanged. No keys of its own.
 */
#include "attach.h"
#include "cni.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <string.h>

#define NAT_OWNER "cni-nat"

static int nat_attach(const struct cni_request *req, struct cni_fw_attach *a,
		      struct cni_error **reterr)
{
	struct berth_ipnet ips[CNI_FW_MAX_ELEMS];

	*a = (struct cni_fw_attach){.owner = NAT_OWNER};
	if (!req->prev_result)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "must be called as chained plugin", NULL);
	size_t n = cni_fw_container_ips(req, true, ips, ARRAY_SIZE(ips));
	if (n == 0)
		return cni_error_set(
		    reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid configuration",
		    "prevResult: no address of interface %s in the container", req->ifname);
	for (size_t i = 0; i < n; i++) {
		struct berth_fw_elem *e = &a->el[a->n_el++];
		*e = (struct berth_fw_elem){.kind = BERTH_FW_ELEM_MASQ, .addr = ips[i].ip};
		berth_ipnet_network(&ips[i], &e->net);
	}
	return 0;
}

static int nat_add(struct cni_request *req, struct cni_result **ret_result,
		   struct cni_error **reterr)
{
	struct cni_fw_attach a;
	int r = nat_attach(req, &a, reterr);
	if (r >= 0)
		r = cni_fw_add(req, &a, reterr);
	if (r < 0)
		return r;
	*ret_result = TAKE_PTR(req->prev_result);
	return 0;
}

static int nat_del(struct cni_request *req, struct cni_error **reterr)
{
	return cni_fw_del(req, NAT_OWNER, reterr);
}

static int nat_check(struct cni_request *req, struct cni_error **reterr)
{
	struct cni_fw_attach a;
	int r = nat_attach(req, &a, reterr);
	return r < 0 ? r : cni_fw_check(req, &a, reterr);
}

static int nat_gc(struct cni_request *req, struct cni_error **reterr)
{
	return cni_fw_gc(req, NAT_OWNER, reterr);
}

static const struct cni_plugin nat_plugin = {
    .name = "nat",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = NULL,
    .add = nat_add,
    .del = nat_del,
    .check = nat_check,
    .gc = nat_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&nat_plugin, argc, argv);
}
