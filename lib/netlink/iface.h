/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interface configuration from plain specs, with every change recorded in an
 * undo log (lib/undo/undo.h): what a front end does to a container's (or a
 * bridge's) interface once the link exists. Front-end neutral: berth-net,
 * the CNI plugins and the engine describe what they want in these structs.
 */
#pragma once

#include "basic/error.h"
#include "netlink/netlink.h"
#include "undo/undo.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- sysctls ----------------------------------------------------------------- */

/*
 * Set /proc/sys/<key> in ns to value; when it changed, record the old value
 * in u (NULL: not recorded). The key is formatted from keyfmt.
 */
int berth_sysctl_set_undo(struct berth_netns *ns, struct berth_undo *u, const char *value,
			  struct berth_error **reterr, const char *keyfmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A table of sysctls: "<pre><ifname><post>" (ifname only when `per_if`). */
enum berth_sysctl_when {
	BERTH_SC_ALWAYS = 0,
	BERTH_SC_V6 = 1 << 0,       /* the network has an IPv6 subnet */
	BERTH_SC_INTERNAL = 1 << 1, /* internal network only */
	BERTH_SC_EXTERNAL = 1 << 2, /* non-internal network only */
	BERTH_SC_TOLERANT = 1 << 3, /* a missing key (no IPv6) or read-only /proc is fine */
};
struct berth_sysctl_rule {
	const char *pre;
	bool per_if;
	const char *post;
	const char *value;
	unsigned when; /* enum berth_sysctl_when */
};
/* Write the rules whose conditions `have` (BERTH_SC_V6 | _INTERNAL or _EXTERNAL) meets. */
int berth_sysctl_apply(struct berth_netns *ns, struct berth_undo *u, const char *ifname,
		       const struct berth_sysctl_rule *rules, size_t n, unsigned have,
		       struct berth_error **reterr);

/* ---- addresses, link state, routes ------------------------------------------ */

struct berth_iface_config {
	const char *ifname;                /* for messages */
	const char *where;                 /* "container namespace", for messages */
	const struct berth_ipnet *addrs;   /* added in order (IPv6 with nodad) */
	size_t n_addrs;
	bool up;                           /* set the link up after the addresses */
	const struct berth_route_spec *routes; /* added in order after the link is up */
	size_t n_routes;
	bool undo_addrs;                   /* record addresses (false: the link is ours, its
					    * deletion removes them) */
};

/*
 * Configure ifindex in ns. Routes bound to no interface (typed routes) are
 * always recorded in u, as they outlive the link; so are routes and
 * addresses when cfg->undo_addrs. On failure reterr names the step.
 */
int berth_iface_configure(struct berth_netns *ns, int ifindex, const struct berth_iface_config *cfg,
			  struct berth_undo *u, struct berth_error **reterr);

/*
 * Set a link up, recording in u that it was down before (so a rollback
 * sets it down again). Already up: nothing recorded.
 */
int berth_link_up_undo(struct berth_netns *ns, int ifindex, struct berth_undo *u);
