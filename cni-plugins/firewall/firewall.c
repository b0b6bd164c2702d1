// SPDX-License-Identifier: Apache-2.0
/*
 * firewall: what the reference firewall plugin allows, in berth's table.
 * Chained (spec >= 0.4.0): for every address of CNI_IFNAME in prevResult one
 * cni_allow4/6 element (forwarded traffic from it accepted, to it when
 * established/related), and for ingressPolicy "same-bridge" or "isolated"
 * the elements of the bridge (prevResult.interfaces[0]) in cni_iso_br (and
 * cni_own_br for same-bridge), shared by the bridge's containers and removed
 * with the last of them. Output: prevResult unchanged.
 *
 * Keys: backend ("", "iptables", "nftables": berth's nftables table;
 * "firewalld" is refused with code 2), ingressPolicy ("open" default,
 * "same-bridge", "isolated"), iptablesAdminChainName and firewalldZone
 * (validated strings, unused: no admin chain, see docs/cni.md).
 */
#include "attach.h"
#include "cni.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <string.h>

#define FIREWALL_OWNER "cni-firewall"

static int fw_attach(const struct cni_request *req, struct cni_fw_attach *a,
		     struct cni_error **reterr)
{
	struct berth_ipnet ips[CNI_FW_MAX_ELEMS - 1];
	const char *s = NULL, *policy = "open";
	int r;

	*a = (struct cni_fw_attach){.owner = FIREWALL_OWNER};
	if ((r = cni_json_string(req->config, "", "backend", 32, &s, reterr)) < 0)
		return r;
	if (r > 0 && strcmp(s, "firewalld") == 0)
		return cni_error_set(reterr, EOPNOTSUPP, CNI_ERR_UNSUPPORTED_FIELD,
				     "unsupported field value",
				     "backend: \"firewalld\" (berth "
				     "programs its own nftables table only)");
	if (r > 0 && *s && strcmp(s, "iptables") != 0 && strcmp(s, "nftables") != 0)
		return cni_error_set(
		    reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid configuration",
		    "backend: \"%s\" is not one of \"iptables\", \"nftables\"", s);
	if ((r = cni_json_string(req->config, "", "iptablesAdminChainName", 28, &s, reterr)) < 0 ||
	    (r = cni_json_string(req->config, "", "firewalldZone", 256, &s, reterr)) < 0)
		return r;
	if ((r = cni_json_string(req->config, "", "ingressPolicy", 32, &policy, reterr)) < 0)
		return r;
	if (!*policy)
		policy = "open";
	enum berth_fw_elem_kind kind;
	if (strcmp(policy, "open") == 0)
		kind = _BERTH_FW_ELEM_MAX;
	else if (strcmp(policy, "same-bridge") == 0)
		kind = BERTH_FW_ELEM_SAME_BRIDGE;
	else if (strcmp(policy, "isolated") == 0)
		kind = BERTH_FW_ELEM_ISOLATED;
	else
		return cni_error_set(
		    reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid configuration",
		    "ingressPolicy: \"%s\" is not one of \"open\", \"same-bridge\", "
		    "\"isolated\"",
		    policy);
	if (!req->prev_result)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "missing prevResult from earlier plugin", NULL);

	size_t n = cni_fw_container_ips(req, true, ips, ARRAY_SIZE(ips));
	for (size_t i = 0; i < n; i++)
		a->el[a->n_el++] =
		    (struct berth_fw_elem){.kind = BERTH_FW_ELEM_ALLOW, .addr = ips[i].ip};
	if (kind != _BERTH_FW_ELEM_MAX) {
		const struct cni_result *pr = req->prev_result;
		const char *br = pr->n_interfaces ? pr->interfaces[0].name : NULL;
		if (!br || pr->interfaces[0].sandbox || !berth_ifname_valid(br))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid configuration",
					     "ingressPolicy %s: prevResult.interfaces[0] is not a "
					     "host bridge",
					     policy);
		struct berth_fw_elem *e = &a->el[a->n_el++];
		*e = (struct berth_fw_elem){.kind = kind};
		snprintf(e->ifname, sizeof(e->ifname), "%s", br);
	}
	return 0;
}

static int firewall_add(struct cni_request *req, struct cni_result **ret_result,
			struct cni_error **reterr)
{
	struct cni_fw_attach a;
	int r = fw_attach(req, &a, reterr);
	if (r >= 0)
		r = cni_fw_add(req, &a, reterr);
	if (r < 0)
		return r;
	*ret_result = TAKE_PTR(req->prev_result);
	return 0;
}

static int firewall_del(struct cni_request *req, struct cni_error **reterr)
{
	return cni_fw_del(req, FIREWALL_OWNER, reterr);
}

static int firewall_check(struct cni_request *req, struct cni_error **reterr)
{
	struct cni_fw_attach a;
	int r = fw_attach(req, &a, reterr);
	return r < 0 ? r : cni_fw_check(req, &a, reterr);
}

static int firewall_gc(struct cni_request *req, struct cni_error **reterr)
{
	return cni_fw_gc(req, FIREWALL_OWNER, reterr);
}

static const struct cni_plugin firewall_plugin = {
    .name = "firewall",
    .min_version = CNI_VERSION_0_4_0,
    .args_keys = NULL,
    .add = firewall_add,
    .del = firewall_del,
    .check = firewall_check,
    .status = cni_fw_status,
    .gc = firewall_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&firewall_plugin, argc, argv);
}
