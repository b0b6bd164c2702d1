/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's network, below the lifecycle: its namespace (a bind mount
 * of an nsfs file, held by the engine so that it outlives the process),
 * the engine's IPAM (lib/ipam, done before the backend is called, as
 * Podman does for netavark), the backend calls (netavark protocol or CNI
 * chain) and the /etc files derived from their results.
 */
#pragma once

#include "container.h"

/* Create <run_root>/netns/<id> (an empty namespace). -EEXIST when it exists. */
int eng_netns_create(struct eng_ctx *ctx, const char *id, char **ret_path,
		     struct berth_error **reterr);
/* Unmount and remove it; fine when it does not exist. */
int eng_netns_delete(const char *path);

/*
 * Addresses for container c on network n (interface ifname), one per subnet,
 * static ones from requested (JSON array of strings, may be NULL); kept in
 * the store until released. Returns a JSON array of addresses.
 */
int eng_ipam_allocate(struct eng_ctx *ctx, const struct eng_container *c,
		      const struct eng_network *n, const char *ifname, json_t *requested,
		      json_t **ret_ips, struct berth_error **reterr);
void eng_ipam_release(struct eng_ctx *ctx, const char *id, const char *net, const char *ifname);

/*
 * Set up (setup = true) or tear down the given networks of c (names in
 * nets) in its namespace, through each network's backend. Setup merges
 * each network's status into c->j "status".
 */
int eng_backend_call(struct eng_ctx *ctx, struct eng_container *c, const char *netns,
		     const char *const *nets, size_t n_nets, bool setup,
		     struct berth_error **reterr);

/* Write userdata/{hosts,resolv.conf,hostname} from the record. */
int eng_write_etc_files(struct eng_ctx *ctx, struct eng_container *c, struct berth_error **reterr);
