/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-net's own record of what is set up, under <config>/berth/:
 *   containers/<container-id>.json   the NetworkOptions document of a container
 *                                    whose setup succeeded (removed by teardown)
 *
 * It lets teardown remove exactly the port forwards that setup installed,
 * names the owner of a port in conflict errors, and lets firewall-reload
 * rebuild the whole table. Nothing requires it: a setup done without it is
 * still torn down (its links and networks), only its port forwards are then
 * left to firewall-reload.
 */
#pragma once

#include "basic/error.h"
#include "commands.h"
#include "options.h"

#include <stddef.h>

#define NV_STATE_MAX_CONTAINERS 65536

/* Store the document atomically (temporary file + rename). */
int nv_state_write(const struct nv_ctx *ctx, const char *container_id, const char *doc,
		   size_t len);
/* Remove; a missing record is fine. */
int nv_state_remove(const struct nv_ctx *ctx, const char *container_id);
/* Load and parse a container's record: -ENOENT when there is none. */
int nv_state_load(const struct nv_ctx *ctx, const char *container_id, struct nv_options **ret);

/*
 * Call cb for every stored record that parses (others are logged and skipped),
 * in directory order; stops early when cb returns < 0 and returns that.
 */
int nv_state_foreach(const struct nv_ctx *ctx,
		     int (*cb)(const struct nv_options *o, void *userdata), void *userdata);
