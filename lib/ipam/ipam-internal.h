/* SPDX-License-Identifier: Apache-2.0 */
/* Address arithmetic shared by the allocator and the subnet chooser. */
#pragma once

#include <stdbool.h>
#include <string.h>

#include "net/ipaddr.h"

static inline int ipam_ip_cmp(const struct berth_ip *a, const struct berth_ip *b)
{
	return memcmp(a->b, b->b, berth_ip_len(a->family));
}

/* The address is the network address or (v4) the broadcast address of net. */
bool ipam_ip_is_net_or_bcast(const struct berth_ipnet *net, const struct berth_ip *ip);
