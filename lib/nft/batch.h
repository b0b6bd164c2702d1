/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nf_tables transactions (internal to lib/nft).
 *
 * A struct nft_batch is a list of commands. Each command keeps its libnftnl
 * object (table, chain, rule or set with elements), so the batch can be
 * serialised again: berth_fw_commit() drops "missing is fine" commands that
 * failed with ENOENT and resends the rest. Serialising, sending and collecting
 * the acknowledgements happen in nft_batch_commit_tagged().
 */
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "basic/cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_table *, nftnl_table_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_chain *, nftnl_chain_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_rule *, nftnl_rule_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_set *, nftnl_set_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_set_elem *, nftnl_set_elem_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_expr *, nftnl_expr_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_batch *, nftnl_batch_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct mnl_socket *, mnl_socket_close)

/* How long to wait for the kernel's answers before giving up (-ETIMEDOUT). */
#define NFT_REPLY_TIMEOUT_MS 5000
/* Rounds of "drop the ENOENT commands that may be missing, resend". */
#define NFT_COMMIT_MAX_ROUNDS 3

enum nft_obj_kind {
	NFT_OBJ_TABLE,
	NFT_OBJ_CHAIN,
	NFT_OBJ_RULE,
	NFT_OBJ_SET, /* NEWSET/DELSET, and NEWSETELEM/DELSETELEM with its elements */
};

struct nft_cmd {
	uint16_t msg_type;  /* NFT_MSG_* */
	uint16_t nl_flags;  /* NLM_F_CREATE, ...; NLM_F_ACK is always added */
	bool missing_ok;    /* ENOENT means "already done" */
	bool dropped;       /* removed by a previous commit round */
	enum nft_obj_kind kind;
	void *obj;          /* struct nftnl_table/chain/rule/set, owned */
	char *what;         /* "add element to set nat4 in table inet berth" */
	char *detail;       /* optional, for the dump: "10.89.1.0/24" */
	int tag;            /* caller's tag for error attribution, -1 = none */
	uint16_t family;    /* NFPROTO_* of the command: the batch's family when pushed */
};

struct nft_batch {
	uint16_t family; /* NFPROTO_* of the commands pushed from now on (one
			  * transaction may span families: berth's inet and bridge tables) */
	int tag;         /* given to commands pushed from now on (-1 = none) */
	struct nft_cmd *cmds;
	size_t n_cmds, n_alloc;
	/*
	 * The socket of the last commit, closed by nft_batch_done(). Closing a
	 * socket that committed deletions waits for the kernel to free them
	 * (nf_tables flushes its destroy work, an RCU grace period), so the
	 * close is left to the caller's moment of choice.
	 */
	struct mnl_socket *nl;
};

void nft_batch_init(struct nft_batch *b, uint16_t family);
void nft_batch_done(struct nft_batch *b);

/*
 * Queue one command, tagged with b->tag. Takes ownership of obj, what and detail in every case
 * (they are freed on failure). Returns 0 or -ENOMEM.
 */
int nft_batch_push(struct nft_batch *b, uint16_t msg_type, uint16_t nl_flags, bool missing_ok,
		   enum nft_obj_kind kind, void *obj, char *what, char *detail);

/*
 * Send the not yet dropped commands as one transaction and collect every
 * answer. Commands that are missing_ok and fail with ENOENT are marked dropped
 * and the rest is resent, at most NFT_COMMIT_MAX_ROUNDS times. On failure
 * *ret_msg (may be NULL) gets "<what>: <strerror>[; <what>: <strerror>...]",
 * and the tag and errno (negative) of the first failing command in batch
 * order that caused the abort (ENOENT of a missing_ok command never counts).
 * Both are -1 / 0 when the failure cannot be attributed to a command (socket
 * error, batch refused as a whole) and on success. ret_failed_tag and ret_failed_errno may be NULL.
 */
int nft_batch_commit_tagged(struct nft_batch *b, char **ret_msg, int *ret_failed_tag,
			    int *ret_failed_errno);

/* The text form of every queued command (one header line, indented details). */
int nft_batch_dump(const struct nft_batch *b, FILE *f);

/* A NETLINK_NETFILTER socket (close-on-exec), bound. */
int nft_socket_open(struct mnl_socket **ret);

/*
 * Send one dump request (built in buf by the caller, NLM_F_DUMP set) and run cb
 * on every answer until NLMSG_DONE. Returns 0, or -errno (the kernel's error,
 * e.g. -ENOENT for a missing table; -EINTR when the dump was interrupted by a
 * concurrent change and should be retried).
 */
int nft_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
