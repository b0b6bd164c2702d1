/* SPDX-License-Identifier: Apache-2.0 */
/* A CNI firewall element from text, for the nftables unit and live tests (cmocka). */
#pragma once

#include <stdio.h>

#include "net/ipaddr.h"
#include "nft/firewall.h"

static inline struct berth_fw_elem elem_make(enum berth_fw_elem_kind kind, const char *net,
					     const char *addr, const char *ifname)
{
	struct berth_fw_elem e = { .kind = kind };
	if (net)
		assert_int_equal(berth_ipnet_parse(net, &e.net), 0);
	if (addr)
		assert_int_equal(berth_ip_parse(addr, &e.addr), 0);
	if (ifname)
		snprintf(e.ifname, sizeof(e.ifname), "%s", ifname);
	return e;
}
