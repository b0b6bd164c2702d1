/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The netavark network model as berth's firewall and state records see it
 * (lib/nft/firewall.h, lib/state/record.h): which elements a network and a
 * container's port mappings become, the record of a container, the owner of
 * a port in conflict, and the firewall side of a teardown.
 */
#pragma once

#include "commands.h"
#include "options.h"

#include "basic/error.h"
#include "nft/firewall.h"
#include "state/record.h"

/* The firewall's view of a bridge network; subnets copied into storage (NV_MAX_SUBNETS). */
void nv_fw_network(const struct nv_network *n, struct berth_ipnet *storage,
		   struct berth_fw_network *ret);

/* Does this network get firewall elements (a managed bridge)? */
bool nv_fw_wants_network(const struct nv_network *n);

/*
 * The port forwards of a container: every mapping, for each family, to the
 * container's first address of that family on the first managed, non-internal
 * bridge network (input order) that has one. Returns the count (<= max) and,
 * in ret_tags[i], the index of the port mapping each entry comes from.
 */
int nv_fw_portmaps(const struct nv_options *o, struct berth_fw_portmap *ret, int *ret_tags,
		   size_t max);
#define NV_FW_MAX_PORTMAPS (2 * NV_MAX_PORT_MAPPINGS)

/* Queue a network's elements (and DNS redirects when dns_port != 53). */
int nv_fw_add_network(const struct nv_ctx *ctx, struct berth_fw_batch *b, const struct nv_network *n);
int nv_fw_del_network(const struct nv_ctx *ctx, struct berth_fw_batch *b, const struct nv_network *n);
/* The DNS redirects of a network (none when dns_port is 53 or DNS is off); returns the count. */
size_t nv_fw_dns_redirects(const struct nv_ctx *ctx, const struct nv_network *n,
			   struct berth_record_redirect *ret, size_t max);

/* Forget UDP conntrack entries of the forwarded host ports (errors are logged). */
void nv_fw_flush_udp(const struct berth_fw_portmap *pm, size_t n);

/*
 * The state record of a container (owner NV_RECORD_OWNER): its managed bridge
 * networks, their DNS redirects, and the forwards pm[0..n_pm).
 */
int nv_record_build(const struct nv_ctx *ctx, const struct nv_options *o,
		    const struct berth_fw_portmap *pm, size_t n_pm, bool pending,
		    struct berth_record **ret);

/*
 * "port 8080/tcp is already forwarded to container web (0123456789ab)": the
 * owner found in the state records of every front end.
 */
int nv_fw_conflict_error(const struct nv_options *o, size_t mapping, struct berth_error **reterr);

/*
 * The firewall side of a teardown, in one transaction: the container's port
 * forwards (from its record; NULL = none known) and the elements of networks
 * whose bridge became empty; the whole table when no other network is left
 * in it. The committed batch is handed back in *ret_batch (NULL when nothing
 * was committed) for the caller to free once its links are deleted: freeing
 * it closes the nftables socket, which waits for the kernel to free the
 * deleted elements (an RCU grace period), a wait that then overlaps with the
 * link deletion's own instead of adding to it.
 */
int nv_fw_teardown(const struct nv_ctx *ctx, const struct berth_record *rec,
		   const struct nv_network *const *nets, size_t n, struct berth_fw_batch **ret_batch,
		   struct berth_error **reterr);
