/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bridge port settings and the promiscuous flag over netlink (what the CNI
 * bridge plugin's hairpinMode, portIsolation and promiscMode need).
 */
#pragma once

#include "netlink/netlink.h"

#include <stdbool.h>

/*
 * Set the bridge-port flags of port ifindex (a link enslaved to a bridge):
 * hairpin (IFLA_BRPORT_MODE) and isolated (IFLA_BRPORT_ISOLATED), each
 * 1 = on, 0 = off, -1 = left alone. One RTM_SETLINK (AF_BRIDGE,
 * IFLA_PROTINFO). -EINVAL when both are -1 or ifindex <= 0.
 */
int berth_bridge_port_set_flags(struct berth_netns *ns, int ifindex, int hairpin, int isolated);
