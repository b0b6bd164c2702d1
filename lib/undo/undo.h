/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The undo log: one record of every change an operation made, of every kind,
 * and one way back.
 *
 * Each step of a setup that changes something pushes its inverse here right
 * after the change (or, where the change's outcome cannot be known, before
 * it). If a later step fails, berth_undo_run() replays the log in reverse:
 * the firewall elements the operation committed go first (one nftables
 * transaction), then DNS entries and state records, then routes, addresses,
 * sysctls, link flags and links in the reverse order of their creation. On
 * success the caller drops the log with berth_undo_free().
 *
 * Entries borrow the struct berth_netns they name: keep the namespaces open
 * until the log is run or freed. Pushing copies everything else.
 *
 * Push functions return 0 or -ENOMEM; on -ENOMEM nothing was recorded, so the
 * caller undoes that change itself and fails.
 */
#pragma once

#include "net/ipaddr.h"
#include "netlink/netlink.h"
#include "nft/firewall.h"

#include <stdbool.h>
#include <stddef.h>

struct berth_undo;

int berth_undo_new(struct berth_undo **ret);
/* Forget the log without running it (the operation succeeded). NULL is fine. */
void berth_undo_free(struct berth_undo *u);
size_t berth_undo_count(const struct berth_undo *u);

/* A link we created (deleting it also removes its addresses and routes). */
int berth_undo_link(struct berth_undo *u, struct berth_netns *ns, int ifindex);
/*
 * A link we created whose index we do not know (a create that returned
 * -ENOTRECOVERABLE, lib/netlink/netlink.h): deleted by name.
 */
int berth_undo_link_name(struct berth_undo *u, struct berth_netns *ns, const char *name);
/* An address we added to a link we did not create. */
int berth_undo_addr(struct berth_undo *u, struct berth_netns *ns, int ifindex,
		    const struct berth_ipnet *addr);
/* A route we added (needed for routes bound to no interface). */
int berth_undo_route(struct berth_undo *u, struct berth_netns *ns,
		     const struct berth_route_spec *route);
/* A sysctl we changed, with its old value. */
int berth_undo_sysctl(struct berth_undo *u, struct berth_netns *ns, const char *key,
		      const char *old);
/* A link that was down and that we set up. */
int berth_undo_link_up(struct berth_undo *u, struct berth_netns *ns, int ifindex);
/* VLAN filtering we enabled on an existing bridge. */
int berth_undo_vlan_filtering(struct berth_undo *u, struct berth_netns *ns, int ifindex);

/*
 * Firewall changes the operation committed (in the current namespace): the
 * table it created (undo: delete the table, which removes everything else),
 * a network whose elements it added and nobody else uses, port forwards and
 * DNS redirects it added. Replayed together as one transaction.
 */
int berth_undo_fw_table(struct berth_undo *u, const char *table);
int berth_undo_fw_network(struct berth_undo *u, const char *table,
			  const struct berth_fw_network *n);
int berth_undo_fw_portmaps(struct berth_undo *u, const char *table,
			   const struct berth_fw_portmap *pm, size_t n);
int berth_undo_fw_elems(struct berth_undo *u, const char *table, const struct berth_fw_elem *el,
			size_t n);
int berth_undo_fw_dns_redirect(struct berth_undo *u, const char *table,
			       const struct berth_ip *gateway, uint16_t port);

/* A state record we wrote (lib/state/record.h). */
int berth_undo_record(struct berth_undo *u, const char *owner, const char *id);
/*
 * A DNS entry we added: the line of `container_id` in file `filename` of the
 * aardvark-dns config directory `dir` (lib/dnsconf). After removing the
 * entries the running DNS server of that directory is told to reload.
 */
int berth_undo_dns_entry(struct berth_undo *u, const char *dir, const char *filename,
			 const char *container_id);

/*
 * Replay the log in reverse and empty it. Every entry is tried; failures are
 * logged (warn) and counted. Returns the number of entries that failed.
 */
int berth_undo_run(struct berth_undo *u);
