/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: the server loop.
 *
 * Theory of operation. One thread, one epoll set; every fd is non-blocking
 * and close-on-exec. Registered: a UDP socket and a TCP listener per listen
 * address, TCP connections, a signalfd (SIGHUP reload, SIGTERM/SIGINT exit),
 * an inotify watch on resolv.conf's directory, and the c-ares sockets of the
 * upstream channels (upstream.h). The epoll timeout is the nearest of the
 * oldest TCP connection's deadline and c-ares' next timeout.
 *
 * Queries are answered by dns_answer() (resolve.h) into one static buffer.
 * Forwarded queries are tracked in a fixed pool of records naming the client
 * by value (UDP: listener id + address; TCP: connection slot + generation),
 * so a late answer for a closed connection or a removed listener is dropped
 * instead of reaching freed memory.
 *
 * TCP connections live in a fixed table of SERVER_MAX_CONNS slots. Each has
 * a read buffer (at most one message, 2 + 65535 bytes) and a write buffer (at
 * most SERVER_WBUF_MAX bytes); a client that does not read its answers stops
 * being read. A connection is closed SERVER_TCP_TIMEOUT_MS after its last
 * complete message or write, unless a forward for it is still pending. When
 * the table is full, the connection idle for longest is closed to make room.
 *
 * Reload (SIGHUP, or resolv.conf replaced): new tables are built, then
 * swapped in; listeners whose address is still listed keep their sockets,
 * the others are closed, new ones bound (a failure is logged). With no
 * listen address left the pid file is removed and the loop ends.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVER_MAX_CONNS 512
#define SERVER_TCP_TIMEOUT_MS 3000
#define SERVER_WBUF_MAX (2 * (2 + 65535))
#define SERVER_MAX_FORWARDS 1024
#define SERVER_CONN_MAX_FORWARDS 64

struct server_config {
	const char *config_dir;
	uint16_t port;
	const char *search_domain; /* without leading/trailing dots */
	bool no_proxy;
	const char *resolv_conf; /* path of the host's resolv.conf */
	const char *pid_file;
};

struct server;

/*
 * Read resolv.conf and the config directory, bind every listener and set up
 * the loop. Errors are logged (this is the caller's stderr at startup).
 * Returns -errno when a listener cannot be bound.
 */
int server_new(const struct server_config *cfg, struct server **ret);
struct server *server_free(struct server *s);
/* Number of bound listen addresses (0: nothing to serve). */
size_t server_n_listeners(const struct server *s);
/* Write <config>/aardvark.pid: our pid in decimal, no newline. */
int server_write_pid_file(const struct server *s);
/*
 * Serve until SIGTERM/SIGINT (returns 0) or until a reload leaves no listen
 * address (pid file removed: 0; removal failed: 1). -errno on a loop failure.
 */
int server_run(struct server *s);
