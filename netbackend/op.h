/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One setup or teardown in progress: what the commands hand to the drivers,
 * the firewall glue and the DNS glue. The commands (cmd-*.c) call those;
 * they call lib/ and never back into a command.
 */
#pragma once

#include "commands.h"
#include "options.h"

#include "basic/error.h"
#include "netlink/netlink.h"
#include "nft/firewall.h"
#include "undo/undo.h"

#include <stdbool.h>

struct nv_op {
	const struct nv_ctx *ctx;
	const struct nv_options *opts;
	struct berth_netns *host;
	struct berth_netns *ctr;  /* NULL in a teardown whose namespace is gone */
	struct berth_undo *undo;  /* setup: every change; NULL in a teardown */
	struct berth_error_list errors; /* teardown: collected errors */
};

/* Move *e into op->errors (teardown's "keep going"). */
static inline void nv_op_error(struct nv_op *op, struct berth_error **e)
{
	berth_error_list_take(&op->errors, e);
}

/* Open a namespace given by path, with netavark's messages. */
int nv_open_netns(const char *path, struct berth_netns **ret, struct berth_error **reterr);
/* Take berth's host-wide lock (lib/basic/rundir.h). Returns the fd. */
int nv_lock_host(struct berth_error **reterr);
