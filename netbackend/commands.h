/* SPDX-License-Identifier: Apache-2.0 */
/* berth-net subcommands, called by main.c after the command line is parsed. */
#pragma once

#include "basic/error.h"
#include "options.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nv_fw_driver {
	NV_FW_NFTABLES,
	NV_FW_NONE,
};

/* The owner name of berth-net's state records (lib/state/record.h). */
#define NV_RECORD_OWNER "netavark"

struct nv_ctx {
	const char *config_dir;      /* --config: the aardvark-dns files live here */
	bool rootless;               /* --rootless */
	const char *aardvark_binary; /* --aardvark-binary */
	enum nv_fw_driver fw_driver; /* --firewall-driver / NETAVARK_FW */
	uint16_t dns_port;           /* NETAVARK_DNS_PORT (53) */
	const char *fw_table;        /* nftables table name ("berth"; tests may override) */
};

/*
 * Validated options in; the StatusBlock JSON (one line) handed to emit, as
 * the last step of the setup: when emit fails (stdout closed or full), the
 * setup is rolled back like any other failure. Rolls back on failure.
 */
int nv_cmd_setup(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		 int (*emit)(const char *json), struct berth_error **reterr);
/*
 * Re-apply every firewall element and port forward of the attachments that
 * are set up (berth's state records, of every front end), in one transaction:
 * for after `nft flush ruleset` or a restart of nftables.service.
 */
int nv_cmd_firewall_reload(const struct nv_ctx *ctx, struct berth_error **reterr);
/* Best effort: keeps going after errors and reports all of them at the end. */
int nv_cmd_teardown(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		    struct berth_error **reterr);
/*
 * Rewrite the upstream servers of a DNS-enabled network (line 1 of its
 * aardvark-dns file; n_dns == 0 clears them) and SIGHUP the server. No
 * binary or no file: nothing to do.
 */
int nv_cmd_update(const struct nv_ctx *ctx, const char *network, const struct berth_ip *dns,
		  size_t n_dns, struct berth_error **reterr);
