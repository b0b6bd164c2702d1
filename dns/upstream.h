/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: forwarding queries to upstream servers with c-ares, driven by the
 * server's own epoll loop (never blocking it).
 *
 * Theory of operation. One c-ares channel exists per distinct (server list,
 * transport) pair; at most UPSTREAM_MAX_CHANNELS are cached, the least recently
 * used one is destroyed to make room. Each channel reports its sockets through
 * ARES_OPT_SOCK_STATE_CB; they are registered in the caller's epoll set with
 * UPSTREAM_EPOLL_TAG in the top byte of epoll_data.u64 and the fd in the low
 * 32 bits, and handed back with upstream_handle_event(). The caller sleeps at
 * most upstream_timeout_ms() and then calls upstream_process_timeouts().
 *
 * c-ares 1.18 has no ares_process_fds(); ares_process_fd() + ares_timeout()
 * are the event-driven interface there. It has no scope ids either: its
 * sockets are made through our own socket functions
 * (ares_set_socket_functions), whose connect() puts the server's scope id
 * into the sockaddr of a link-local IPv6 server. They also open every socket
 * SOCK_NONBLOCK | SOCK_CLOEXEC in one call and send with MSG_NOSIGNAL.
 *
 * A query is relayed as the client sent it (c-ares only replaces the id): no
 * EDNS is added, RD is not touched. Every server gets 5 s / n, one try each,
 * in order; SERVFAIL/REFUSED answers are relayed (ARES_FLAG_NOCHECKRESP) and
 * truncated UDP answers are relayed as they are (ARES_FLAG_IGNTC).
 */
#pragma once

#include "net/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPSTREAM_MAX_CHANNELS 32
#define UPSTREAM_TOTAL_TIMEOUT_MS 5000
#define UPSTREAM_MAX_SERVERS 8 /* longer lists are cut (the first ones are kept) */
#define UPSTREAM_EPOLL_TAG 0x41u /* top byte of epoll_data.u64 for c-ares sockets */

struct upstream_pool;

/*
 * Called exactly once per accepted forward, possibly from inside
 * upstream_forward() itself. answer is NULL on failure (timeout, all servers
 * unreachable, pool destroyed); status is the c-ares status then.
 */
typedef void (*upstream_done_fn)(void *userdata, int status, const uint8_t *answer, size_t len);

int upstream_pool_new(int epfd, struct upstream_pool **ret);
/* Cancels every pending forward (their callbacks run with answer NULL). */
struct upstream_pool *upstream_pool_free(struct upstream_pool *p);

/*
 * Send `query` (a complete DNS message, without TCP length prefix) to
 * servers[0..n) over UDP or TCP. scopes (NULL: all 0) gives each IPv6
 * server's scope id, the interface of a link-local address ("fe80::1%eth0").
 * Must not be called from inside an upstream_done_fn. Returns 0 when the
 * callback will run (or already ran), -errno when it will not (-EINVAL: no
 * servers, -ENOMEM, -EIO: c-ares init).
 */
int upstream_forward(struct upstream_pool *p, const struct berth_ip *servers,
		     const uint32_t *scopes, size_t n, bool tcp, const uint8_t *query, size_t len,
		     upstream_done_fn cb, void *userdata);

/* An epoll event whose data.u64 carries UPSTREAM_EPOLL_TAG. */
void upstream_handle_event(struct upstream_pool *p, uint64_t data, uint32_t events);
/* Milliseconds until the next c-ares timeout, -1 when nothing is pending. */
int upstream_timeout_ms(struct upstream_pool *p);
/* Expire timed-out queries (try the next server or fail them). */
void upstream_process_timeouts(struct upstream_pool *p);
/* Queries sent and not yet completed, over all channels. */
size_t upstream_in_flight(const struct upstream_pool *p);
