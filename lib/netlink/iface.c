// SPDX-License-Identifier: Apache-2.0
/* Interface configuration from plain specs (iface.h). */
#include "netlink/iface.h"

#include "basic/log.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int berth_sysctl_set_undo(struct berth_netns *ns, struct berth_undo *u, const char *value,
			  struct berth_error **reterr, const char *keyfmt, ...)
{
	char key[256], old[32] = "";
	bool changed = false;
	va_list ap;

	va_start(ap, keyfmt);
	int n = vsnprintf(key, sizeof(key), keyfmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(key))
		return berth_error_set(reterr, ENAMETOOLONG, "sysctl key too long");

	int r = berth_sysctl_set(ns, key, value, old, sizeof(old), &changed);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "set sysctl %s", key);
	if (changed) {
		log_debug("sysctl %s: %s -> %s", key, old, value);
		if (u && berth_undo_sysctl(u, ns, key, old) < 0) {
			(void)berth_sysctl_set(ns, key, old, NULL, 0, NULL);
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
	}
	return 0;
}

int berth_sysctl_apply(struct berth_netns *ns, struct berth_undo *u, const char *ifname,
		       const struct berth_sysctl_rule *rules, size_t n, unsigned have,
		       struct berth_error **reterr)
{
	char keys[BERTH_SYSCTL_MAX_OPS][256];
	struct berth_sysctl_op ops[BERTH_SYSCTL_MAX_OPS];
	size_t k = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		const struct berth_sysctl_rule *sc = &rules[i];
		unsigned need = sc->when & ~(unsigned)BERTH_SC_TOLERANT;
		if ((need & have) != need)
			continue;
		if (k == BERTH_SYSCTL_MAX_OPS)
			return berth_error_set(reterr, E2BIG, "too many sysctls");
		int w = snprintf(keys[k], sizeof(keys[k]), "%s%s%s", sc->pre,
				 sc->per_if ? ifname : "", sc->post);
		if (w < 0 || (size_t)w >= sizeof(keys[k]))
			return berth_error_set(reterr, ENAMETOOLONG, "sysctl key too long");
		ops[k] = (struct berth_sysctl_op){ .key = keys[k], .value = sc->value,
						   .tolerant = sc->when & BERTH_SC_TOLERANT };
		k++;
	}
	/* One enter and leave of the namespace for the whole table. */
	r = berth_sysctl_set_many(ns, ops, k);
	for (size_t i = 0; i < k; i++) {
		if (!ops[i].changed)
			continue;
		log_debug("sysctl %s: %s -> %s", ops[i].key, ops[i].old, ops[i].value);
		if (u && berth_undo_sysctl(u, ns, ops[i].key, ops[i].old) < 0) {
			(void)berth_sysctl_set(ns, ops[i].key, ops[i].old, NULL, 0, NULL);
			if (r >= 0)
				r = -ENOMEM;
		}
	}
	if (r == -ENOMEM)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			if (ops[i].result == r)
				return berth_error_errno(reterr, r, BERTH_ERR_IO, "set sysctl %s",
							 ops[i].key);
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "set sysctls");
	}
	return 0;
}

int berth_link_up_undo(struct berth_netns *ns, int ifindex, struct berth_undo *u)
{
	struct berth_link_info li;
	int r = berth_link_get_by_index(ns, ifindex, &li);
	if (r < 0)
		return r;
	if (li.flags & IFF_UP)
		return 0;
	r = berth_link_set_up(ns, ifindex);
	if (r < 0)
		return r;
	if (u && berth_undo_link_up(u, ns, ifindex) < 0) {
		(void)berth_link_set_down(ns, ifindex);
		return -ENOMEM;
	}
	return 0;
}

int berth_iface_configure(struct berth_netns *ns, int ifindex, const struct berth_iface_config *cfg,
			  struct berth_undo *u, struct berth_error **reterr)
{
	const char *where = cfg->where ? cfg->where : "namespace";
	int r;

	for (size_t i = 0; i < cfg->n_addrs; i++) {
		const struct berth_ipnet *a = &cfg->addrs[i];
		char b[BERTH_IPNET_STRLEN];
		r = berth_addr_add(ns, ifindex, a, a->ip.family == AF_INET6);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
						 "add ip addr %s to %s in %s",
						 berth_ipnet_fmt(a, b), cfg->ifname, where);
		if (cfg->undo_addrs && u && berth_undo_addr(u, ns, ifindex, a) < 0) {
			(void)berth_addr_del(ns, ifindex, a);
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
	}
	if (cfg->up) {
		r = berth_link_set_up(ns, ifindex);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "set %s up",
						 cfg->ifname);
	}
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct berth_route_spec *rt = &cfg->routes[i];
		char b[BERTH_IPNET_STRLEN], g[BERTH_IP_STRLEN];
		r = berth_route_add(ns, rt);
		if (r < 0) {
			if (rt->dst.prefixlen == 0 && rt->gateway.family)
				return berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
							 "add default route via %s",
							 berth_ip_fmt(&rt->gateway, g));
			return berth_error_errno(reterr, r, BERTH_ERR_NETLINK, "add route to %s",
						 berth_ipnet_fmt(&rt->dst, b));
		}
		bool outlives = rt->oif == 0;
		if (u && (outlives || cfg->undo_addrs) && berth_undo_route(u, ns, rt) < 0) {
			(void)berth_route_del(ns, rt);
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
	}
	return 0;
}
