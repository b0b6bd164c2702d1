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

struct nv_ctx {
	const char *config_dir;      /* --config; state and locks live here */
	bool rootless;               /* --rootless */
	const char *aardvark_binary; /* --aardvark-binary */
	enum nv_fw_driver fw_driver; /* --firewall-driver / NETAVARK_FW */
	uint16_t dns_port;           /* NETAVARK_DNS_PORT (53) */
	const char *fw_table;        /* nftables table name ("berth"; tests may override) */
	const char *input;           /* the raw NetworkOptions document (kept as state) */
	size_t input_len;
};

/* Validated options in, StatusBlock JSON (one line, malloc'd) out. Rolls back on failure. */
int nv_cmd_setup(const struct nv_ctx *ctx, const char *netns_path, const struct nv_options *o,
		 char **ret_json, struct berth_error **reterr);
/*
 * Re-apply every firewall rule and port forward of the containers that are set
 * up (from <config>/berth/), in one transaction: for after `nft flush ruleset`
 * or a restart of nftables.service.
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
