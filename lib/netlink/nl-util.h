/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal helpers of lib/netlink: the namespace handle, one request/reply
 * transaction over a berth_netns socket, libnl error conversion, attribute
 * helpers and cleanup functions for libnl types. Not installed, not used
 * outside lib/netlink/.
 */
#pragma once

/*
 * lib/ comes before /usr/include/libnl3 on the include path, so
 * <netlink/netlink.h> names berth's lib/netlink/netlink.h. libnl's own
 * top-level header is therefore included through its unambiguous path first;
 * its headers' later <netlink/netlink.h> lines then land on berth's header,
 * which is harmless.
 */
#include <libnl3/netlink/netlink.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "basic/cleanup.h"
#include "netlink/netlink.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put)
#define _cleanup_nl_sock_ _cleanup_(nl_socket_freep)
#define _cleanup_nl_msg_ _cleanup_(nlmsg_freep)

/* Receive buffer of one transaction: large enough for a dump chunk (the kernel caps them at 32 KiB). */
#define NLU_RECV_BUF_SIZE (64u * 1024u)

struct berth_netns {
	int fd;             /* O_RDONLY|O_CLOEXEC on the nsfs inode */
	struct nl_sock *sk; /* NETLINK_ROUTE, created inside the namespace */
	dev_t dev;          /* identity of the namespace (nsfs st_dev/st_ino) */
	ino_t ino;
	uint32_t seq;       /* our own sequence numbers (libnl's counters stay untouched) */
	bool strict;        /* NETLINK_GET_STRICT_CHK accepted: the kernel filters dumps */
	uint8_t *rbuf;      /* NLU_RECV_BUF_SIZE bytes */
};

/* libnl NLE_* code (either sign) -> -errno. 0 stays 0. */
int nlu_errno(int nle);

/*
 * Called for every reply message of the transaction that is not an ACK,
 * error or NLMSG_DONE. Return < 0 to abort with that error (the remaining
 * replies are still drained), >= 0 to continue.
 */
typedef int (*nlu_reply_cb)(const struct nlmsghdr *h, void *userdata);

/*
 * Send msg (NLM_F_REQUEST|NLM_F_ACK are added, our sequence number and the
 * socket's port id filled in) and read until the ACK, the error or, for
 * dumps, NLMSG_DONE. Replies from other senders or with another sequence
 * number are ignored. Returns the kernel's own errno (negative), untouched.
 */
int nlu_transact(struct berth_netns *ns, struct nl_msg *msg, nlu_reply_cb cb, void *userdata);

/* New message with a zeroed family header of hdrlen bytes, returned in *ret_hdr. */
int nlu_msg_new(int type, int flags, size_t hdrlen, struct nl_msg **ret, void **ret_hdr);
/* malloc'd copy of the message bytes (for the berth_*_build functions). */
int nlu_msg_copy(struct nl_msg *msg, void **ret_buf, size_t *ret_len);

/* nla_put wrappers returning -errno. */
int nlu_put(struct nl_msg *msg, int type, const void *data, size_t len);
int nlu_put_u8(struct nl_msg *msg, int type, uint8_t v);
int nlu_put_u16(struct nl_msg *msg, int type, uint16_t v);
int nlu_put_u32(struct nl_msg *msg, int type, uint32_t v);
int nlu_put_string(struct nl_msg *msg, int type, const char *s);
/* Start a nested attribute; NULL on ENOMEM. */
struct nlattr *nlu_nest_start(struct nl_msg *msg, int type);
int nlu_nest_end(struct nl_msg *msg, struct nlattr *nest);

/* Attributes of a reply message after its fixed header (indexed by type, unknown types ignored). */
void nlu_parse_attrs(const struct nlmsghdr *h, size_t hdrlen, struct nlattr **tb, int maxtype);
/* Nested attributes of a (possibly NULL) attribute. */
void nlu_parse_nested(const struct nlattr *nest, struct nlattr **tb, int maxtype);
/* A u32 attribute's value; false when absent or too short. */
bool nlu_attr_u32(const struct nlattr *a, uint32_t *ret);
/* Copy a NUL-terminated string attribute; false when absent, unterminated or too long. */
bool nlu_attr_str(const struct nlattr *a, char *buf, size_t size);

/*
 * A fresh NETLINK_ROUTE socket (raw fd, close-on-exec, bound, strict checks
 * where the kernel has them) inside ns, for a dump the caller may abandon
 * half-way: the kernel generates a dump only as it is read, so closing the
 * socket stops it, and the namespace's shared socket is left clean.
 */
int nlu_private_socket(const struct berth_netns *ns, int *ret_fd);

/* True when the calling thread is in ns right now (compares nsfs identities). */
bool nlu_netns_is_current(const struct berth_netns *ns);
/*
 * Run fn(userdata) with the calling thread inside ns, and come back to the
 * original namespace before returning (skips the switch when ns is the
 * current one). fn must not fail in a way that leaves resources behind.
 */
int nlu_netns_run(const struct berth_netns *ns, int (*fn)(void *userdata), void *userdata);
