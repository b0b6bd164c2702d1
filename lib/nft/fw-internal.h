/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to lib/nft: what the files of berth's table layout share.
 *
 *   firewall.c    the batch object, commit, dump, queries (table_exists, list_bridges)
 *   fw-cmd.c      one nf_tables command each: table, chain, flush, set, set elements
 *   fw-rules.c    the table model (sets, maps, chains) and the fixed rules
 *   fw-network.c  a network's elements and its isolation chain
 *   fw-portmap.c  port-forward and DNS-redirect elements
 *   fw-elem.c     the CNI plugins' per-attachment elements (struct berth_fw_elem)
 */
#pragma once

#include "nft/batch.h"
#include "nft/firewall.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nft's byte order values kept in set userdata, so `nft list` prints keys right. */
#define NFT_BYTEORDER_MIXED 0
#define NFT_BYTEORDER_HOST 1
#define NFT_BYTEORDER_BIG 2

struct berth_fw_batch {
	char *table;
	struct nft_batch nb;
	size_t n_pf_elems; /* port-forward / DNS elements queued (BERTH_FW_MAX_PORTMAP_ELEMS) */
	size_t n_cni_elems; /* struct berth_fw_elem queued (BERTH_FW_MAX_ELEMS) */
	bool bridge_table_queued; /* fw_ensure_bridge_table() is in this batch */
};

struct fw_set_def {
	const char *name;
	uint32_t flags;
	uint32_t key_type;
	uint32_t key_len;
	uint8_t concat[2]; /* field lengths of a concatenation, else 0 */
	uint32_t byteorder;
	bool verdict_map;
	uint32_t data_type; /* value maps: nft datatype id of the data, else 0 */
	uint32_t data_len;
};

typedef void (*fw_rules_fn)(struct berth_fw_batch *b, const char *chain, int *err);

/* A chain with fixed rules: a base chain when type != NULL, else a regular one. */
struct fw_base_chain {
	const char *name;
	const char *type;
	uint32_t hook;
	int32_t prio;
	fw_rules_fn rules;
};

/* One element, built from up to two parts (start/end of a plain interval). */
struct fw_elem {
	const void *key, *key_end;
	uint32_t key_len;
	uint32_t flags;
	const char *jump; /* verdict map: chain to jump to */
	const void *data; /* value map: the element's data (added only) */
	uint32_t data_len;
	const char *note; /* added to the detail of its own delete command ("interval end") */
};

/* ---- helpers (fw-cmd.c) ---- */

char *fw_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "inet" or "bridge", for messages: NFPROTO_INET or NFPROTO_BRIDGE. */
const char *fw_family_name(uint16_t family);
/* ifname set key: the name NUL padded to BERTH_IFNAMSIZ bytes. */
void fw_ifname_key(const char *name, uint8_t key[BERTH_IFNAMSIZ]);

/* ---- commands (fw-cmd.c) ---- */

int fw_push(struct berth_fw_batch *b, uint16_t msg, uint16_t flags, bool missing_ok,
	    enum nft_obj_kind kind, void *obj, char *what, char *detail);
/* NEWTABLE or DELTABLE of b->table. */
int fw_cmd_table(struct berth_fw_batch *b, uint16_t msg);
/* NEWCHAIN (base chain when def != NULL) or DELCHAIN. */
int fw_cmd_chain(struct berth_fw_batch *b, uint16_t msg, const char *name,
		 const struct fw_base_chain *def);
/* An empty rule of chain in b->table (NULL on ENOMEM). */
struct nftnl_rule *fw_rule_alloc(struct berth_fw_batch *b, const char *chain);
/* DELRULE with only table and chain: removes every rule of the chain. */
int fw_cmd_flush_chain(struct berth_fw_batch *b, const char *chain);
/* NEWSET of d, with the transaction-local set id `id`. */
int fw_cmd_newset(struct berth_fw_batch *b, const struct fw_set_def *d, uint32_t id);
/*
 * NEWSETELEM (add, NLM_F_CREATE | extra_flags) or DELSETELEM ("missing is
 * fine") of n elements of set; detail is copied.
 */
int fw_cmd_elems_flags(struct berth_fw_batch *b, bool add, uint16_t extra_flags, const char *set,
		       const struct fw_elem *elems, size_t n, const char *detail);
int fw_cmd_elems(struct berth_fw_batch *b, bool add, const char *set, const struct fw_elem *elems,
		 size_t n, const char *detail);
/*
 * Queue n elements of set: when adding, per_add elements per NEWSETELEM (0 =
 * one); when deleting, one DELSETELEM per element, because a multi-element
 * delete fails as a whole with ENOENT if any one element is missing, and
 * "missing is fine" would then drop the whole command, leaving the other
 * elements behind.
 */
int fw_cmd_elems_each(struct berth_fw_batch *b, bool add, uint16_t extra_flags, const char *set,
		      const struct fw_elem *elems, size_t n, size_t per_add, const char *detail);

/* ---- rules (fw-rules.c) ---- */

/*
 * Queue the creation of table bridge <b->table> (flush + re-add of its one
 * fixed rule, so it can be repeated): chain macspoof, sets spoof_ports and
 * spoof_ok. The batch's family is back to inet afterwards.
 */
int fw_ensure_bridge_table(struct berth_fw_batch *b);

/* The one rule of iso-<bridge>: leaving towards another (isolated) berth bridge is dropped. */
void fw_iso_rule(struct berth_fw_batch *b, const char *chain, const char *bridge,
		 enum berth_fw_isolate iso, int *err);
