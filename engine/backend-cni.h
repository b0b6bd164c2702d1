/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine's CNI backend: a network labelled "berth.backend": "cni" is
 * attached by a CNI plugin chain instead of berth-net, the way libcni runs
 * a network list (cni.md §1):
 *
 *   - the chain: the conflist file named by the label "berth.cni.conflist",
 *     else one derived from the network as Podman 4's CNI backend does
 *     (bridge + host-local, portmap, firewall, tuning, dnsname);
 *   - ADD runs the plugins in order, each with the previous result as
 *     prevResult; a failed ADD runs DEL over the whole chain, so nothing is
 *     left; the final result and the config are cached in
 *     <root>/cni/results/<network>-<containerID>-<ifname> (libcni's
 *     cniCacheV1 format);
 *   - DEL runs the chain in reverse with the cached result as prevResult
 *     (the cached config and capability arguments too), without one when
 *     there is no cache; it is idempotent.
 *
 * The engine's own addresses (c->j "ips", allocated by lib/ipam before the
 * backend runs) are handed to IPAM through the `ips` capability
 * (runtimeConfig.ips), or as args.cni.ips in the config of every plugin
 * with an ipam object when no plugin of the chain declares that
 * capability, so host-local hands out exactly those addresses.
 */
#pragma once

#include "container.h"
#include "network.h"

#include <jansson.h>
#include <stdbool.h>

#define ENG_CNI_MAX_CONFLIST (1u << 20) /* bytes of a conflist file */
#define ENG_CNI_MAX_PLUGINS 32		/* plugins in one chain */
#define ENG_CNI_MAX_RESULT (1u << 20)	/* bytes of one plugin's output */
#define ENG_CNI_MAX_PORTMAPPINGS 1024	/* portMappings entries (port ranges expanded) */
#define ENG_CNI_PLUGIN_TIMEOUT_MS 60000 /* one plugin run */
#define ENG_CNI_VERSION "1.0.0"		/* of derived conflists */

/*
 * ADD network n for container c in namespace netns. On success *ret_status
 * is the attachment in netavark's status shape ({"interfaces": {...},
 * "dns_server_ips": [...], "dns_search_domains": [...]}). On failure the
 * chain has been deleted again.
 */
int eng_cni_setup(struct eng_ctx *ctx, const struct eng_container *c, const struct eng_network *n,
		  const char *netns, json_t **ret_status, struct berth_error **reterr);

/*
 * DEL the network named net (n: its definition, NULL when it is gone: then
 * only a cached attachment can be deleted). Fine when nothing is attached;
 * the cache entry is removed once every plugin succeeded.
 */
int eng_cni_teardown(struct eng_ctx *ctx, const struct eng_container *c, const char *net,
		     const struct eng_network *n, const char *netns, struct berth_error **reterr);

/* Whether a cached attachment of c to the network named net exists. */
bool eng_cni_cached(struct eng_ctx *ctx, const struct eng_container *c, const char *net);
