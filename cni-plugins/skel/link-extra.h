/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Link changes lib/netlink does not offer yet (flags other than up, MAC,
 * txqueuelen) and the link attributes berth_link_info lacks (txqlen,
 * promiscuity). libnl over the namespace's socket; the kernel's errno is
 * returned unchanged (negative). Candidates for lib/netlink/link.c.
 */
#pragma once

#include <stdint.h>

struct berth_netns;

struct cni_link_extra {
	uint32_t txqlen;
	uint32_t promiscuity; /* IFLA_PROMISCUITY: > 0 when promiscuous */
	unsigned flags;	      /* IFF_* as the kernel reports them */
};

/* RTM_SETLINK with ifi_flags = flags, ifi_change = change (IFF_UP, IFF_PROMISC, IFF_ALLMULTI). */
int cni_link_set_flags(struct berth_netns *ns, int ifindex, unsigned flags, unsigned change);
int cni_link_set_mac(struct berth_netns *ns, int ifindex, const uint8_t mac[6]);
int cni_link_set_txqlen(struct berth_netns *ns, int ifindex, uint32_t txqlen);
int cni_link_get_extra(struct berth_netns *ns, int ifindex, struct cni_link_extra *ret);
