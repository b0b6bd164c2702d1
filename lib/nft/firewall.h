/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth's own nftables firewall, front-end neutral (docs/firewall.md).
 *
 * Everything lives in one table (`inet berth` by default; the CNI plugins will
 * use another name). Its rules are fixed: written the same way whatever the
 * number of networks, containers or ports. Everything variable lives in sets
 * and maps, so per-packet cost is a fixed number of lookups and per-change
 * cost is the number of elements that change.
 *
 * A change is built into one batch (struct berth_fw_batch) and committed as
 * one nftables transaction: all of it applies, or none of it.
 *
 * All functions return >= 0 or -errno; nothing here logs above debug.
 */
#pragma once

#include "net/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BERTH_FW_TABLE_DEFAULT "berth"
#define BERTH_FW_MAX_SUBNETS 32

enum berth_fw_isolate {
	BERTH_FW_ISOLATE_NONE,
	BERTH_FW_ISOLATE_TRUE,   /* no traffic to other isolated networks */
	BERTH_FW_ISOLATE_STRICT, /* no traffic to any other berth network */
};

/* One network as the firewall sees it: a bridge and its subnets. */
struct berth_fw_network {
	const char *bridge; /* interface name, <= 15 bytes */
	const struct berth_ipnet *subnets;
	size_t n_subnets;   /* <= BERTH_FW_MAX_SUBNETS */
	bool internal;      /* no NAT, no forwarding in or out */
	enum berth_fw_isolate isolate;
};

struct berth_fw_batch;

/* A new, empty batch for table `table` (NULL = BERTH_FW_TABLE_DEFAULT). */
int berth_fw_batch_new(const char *table, struct berth_fw_batch **ret);
void berth_fw_batch_free(struct berth_fw_batch *b);

/*
 * Create the table, its sets, maps and base chains if missing and (re)write
 * the fixed rules (flush + add of berth's own chains, so repeating it is
 * harmless and restores rules someone removed). Idempotent.
 */
int berth_fw_batch_ensure_table(struct berth_fw_batch *b);
/* Add a network's elements (and its isolation chain). Idempotent. */
int berth_fw_batch_add_network(struct berth_fw_batch *b, const struct berth_fw_network *n);
/* Remove a network's elements and isolation chain; already missing ones are fine. */
int berth_fw_batch_del_network(struct berth_fw_batch *b, const struct berth_fw_network *n);
/* Delete the whole table (already missing is fine). */
int berth_fw_batch_del_table(struct berth_fw_batch *b);
/* Number of commands queued so far. */
size_t berth_fw_batch_size(const struct berth_fw_batch *b);

/*
 * Send the batch as one transaction in the current network namespace, read
 * every acknowledgement, and map failures back to the commands by sequence
 * number. Commands marked "missing is fine" that fail with ENOENT are dropped
 * and the batch is resent without them. On failure, *ret_msg (may be NULL)
 * receives a malloc'd text naming the failing command(s), e.g.
 * "add element to set nat4 in table inet berth: File exists".
 * An empty batch is a no-op.
 */
int berth_fw_commit(struct berth_fw_batch *b, char **ret_msg);

/*
 * Names of the bridges in the table's `bridges` set (berth-managed networks
 * with firewall state). Returns the count (0 when the table does not exist);
 * *ret (may be NULL) is a NULL-terminated malloc'd array to free with
 * berth_strv_free().
 */
int berth_fw_list_bridges(const char *table, char ***ret);
void berth_strv_free(char **v);

/* Write a text form of every queued command (golden files, debugging). */
int berth_fw_batch_dump(const struct berth_fw_batch *b, FILE *f);
