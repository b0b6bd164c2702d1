// SPDX-License-Identifier: Apache-2.0
/*
 * loopback: bring `lo` up in CNI_NETNS (ADD), down (DEL), check it is up
 * (CHECK). CNI_IFNAME is ignored: this plugin only ever handles `lo`.
 * Behaviour of containernetworking/plugins' loopback (cni.md §4.5).
 */
#include "cni.h"

#include "basic/cleanup.h"
#include "netlink/netlink.h"

#include <linux/if.h>
#include <string.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_netns *, berth_netns_free)
#define _cleanup_netns_ _cleanup_(berth_netns_freep)

static int kernel_error(struct cni_error **reterr, int r, const char *what)
{
	return cni_error_set(reterr, r, CNI_ERR_BERTH_KERNEL, what, "%s", strerror(-r));
}

/* True when IPv6 is enabled on lo (the kernel then gives it ::1 once it is up). */
static bool lo_has_ipv6(struct berth_netns *ns)
{
	char buf[16];
	if (berth_sysctl_get(ns, "net/ipv6/conf/lo/disable_ipv6", buf, sizeof(buf)) < 0)
		return false;
	return strcmp(buf, "0") == 0;
}

/* Open CNI_NETNS and find lo there. */
static int open_lo(const struct cni_request *req, struct berth_netns **ret_ns,
		   struct berth_link_info *ret_lo, struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	int r = cni_netns_open(req->netns, &ns, reterr);
	if (r < 0)
		return r;
	r = berth_link_get(ns, "lo", ret_lo);
	if (r < 0)
		return kernel_error(reterr, r, "failed to find lo");
	*ret_ns = TAKE_PTR(ns);
	return 0;
}

static int loopback_add(struct cni_request *req, struct cni_result **ret_result,
			struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	struct berth_link_info lo;
	struct berth_ipnet other[1];
	int r;

	r = open_lo(req, &ns, &lo, reterr);
	if (r < 0)
		return r;
	r = berth_link_set_up(ns, lo.ifindex);
	if (r < 0)
		return kernel_error(reterr, r, "failed to set lo up");
	/* berth_addr_list() skips host-scope addresses: anything it finds is not loopback. */
	r = berth_addr_list(ns, lo.ifindex, AF_UNSPEC, other, 1);
	if (r < 0)
		return kernel_error(reterr, r, "failed to list the addresses of lo");
	if (r > 0) {
		char buf[BERTH_IPNET_STRLEN];
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_KERNEL,
				     "loopback interface found with non-loopback address", "\"%s\"",
				     berth_ipnet_fmt(&other[0], buf));
	}

	if (req->prev_result) {
		*ret_result = TAKE_PTR(req->prev_result);
		return 0;
	}

	_cleanup_cni_result_ struct cni_result *res = cni_result_new();
	if (!res)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	r = cni_result_add_interface(res, "lo", "00:00:00:00:00:00", req->netns);
	struct cni_ipconfig ip4 = {.interface = 0}, ip6 = {.interface = 0};
	if (r >= 0)
		r = berth_ipnet_parse("127.0.0.1/8", &ip4.address);
	if (r >= 0)
		r = cni_result_add_ip(res, &ip4);
	if (r >= 0 && lo_has_ipv6(ns)) {
		r = berth_ipnet_parse("::1/128", &ip6.address);
		if (r >= 0)
			r = cni_result_add_ip(res, &ip6);
	}
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_INTERNAL, "building the result", "%s",
				     strerror(-r));
	*ret_result = TAKE_PTR(res);
	return 0;
}

static int loopback_del(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	struct berth_link_info lo;
	int r;

	if (!req->netns)
		return 0;
	r = open_lo(req, &ns, &lo, reterr);
	if ((r == -ENOENT || r == -EINVAL) && (*reterr)->code == CNI_ERR_BERTH_NETNS) {
		cni_error_freep(reterr);
		return 0; /* the namespace is gone already */
	}
	if (r < 0)
		return r;
	r = berth_link_set_down(ns, lo.ifindex);
	if (r < 0)
		return kernel_error(reterr, r, "failed to set lo down");
	return 0;
}

static int loopback_check(struct cni_request *req, struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ns = NULL;
	struct berth_link_info lo;
	int r;

	r = open_lo(req, &ns, &lo, reterr);
	if (r < 0)
		return r;
	if (!(lo.flags & IFF_UP))
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_CHECK,
				     "loopback interface is down", NULL);
	return 0;
}

static const struct cni_plugin loopback_plugin = {
    .name = "loopback",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = NULL,
    .add = loopback_add,
    .del = loopback_del,
    .check = loopback_check,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&loopback_plugin, argc, argv);
}
