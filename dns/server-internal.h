/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: the server's state and the functions its files share (internal
 * to dns/; server.h is the interface). One concern per file:
 *
 *   server.c      setup, the epoll loop, signals, the pid file
 *   listener.c    binding and closing the UDP + TCP listeners
 *   udp.c         the batched UDP path
 *   tcp.c         TCP connections: accept, deadlines, reading, writing
 *   tcp-framing.c the length-prefix framing over buffers (no sockets)
 *   forward.c     forwarding records, answers relayed to clients, SERVFAIL
 *   reload.c      resolv.conf (reading, watching) and the reload
 */
#pragma once

#include "server.h"

#include "resolve.h"
#include "tcp-framing.h"
#include "upstream.h"

#include "basic/time-util.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define RESOLV_CONF_MAX (1u << 20)
#define EPOLL_BATCH 64
#define UDP_BURST 64 /* datagrams read per wakeup per socket, for fairness */
#define ACCEPT_BURST 64
#define FAIL_LOG_INTERVAL_MS 10000

/* Top byte of epoll_data.u64: what the low bits name. */
enum watch_kind {
	W_UDP = 1,    /* low 32 bits: listener id */
	W_TCP_LISTEN, /* low 32 bits: listener id */
	W_CONN,       /* bits 32..55: generation, low 32: slot */
	W_SIGNAL,
	W_INOTIFY,
};

static inline uint64_t tag(enum watch_kind k, uint32_t hi24, uint32_t lo)
{
	return ((uint64_t)k << 56) | ((uint64_t)(hi24 & 0xffffffu) << 32) | lo;
}

struct listener {
	uint32_t id;
	struct berth_ip ip;
	char *network;
	int udp_fd;
	int tcp_fd;
	bool keep; /* reload mark */
};

struct conn {
	bool used;
	bool paused; /* not reading: output backlog or too many forwards */
	bool eof;    /* the client closed its side */
	bool resume; /* needs a pass of conn_work() from the loop */
	uint32_t gen;
	int fd;
	uint32_t listener_id;
	struct berth_ip peer;
	uint32_t events; /* registered epoll events */
	uint64_t deadline;
	int prev, next; /* deadline list (slot indices, -1 = none) */
	unsigned pending;
	struct dns_tcp_rbuf rb;
	struct dns_tcp_wbuf wb;
};

struct fwd {
	bool used;
	bool tcp;
	uint16_t client_id;
	uint32_t listener_id; /* UDP */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint32_t slot, gen; /* TCP */
	int next_free;
};

struct server {
	struct server_config cfg;
	int epfd;
	int sigfd;
	int inofd;
	int wd_dir, wd_file; /* inotify watches on resolv.conf's directory and on the file */
	uint64_t resolv_settle_at; /* reload then (after an IN_MODIFY); 0 = none */
	char *resolv_dir;
	char *resolv_name;
	struct dns_tables *tables;
	struct upstream_pool *up;

	struct listener *ls;
	size_t n_ls;
	uint32_t next_listener_id;

	struct conn conns[SERVER_MAX_CONNS];
	size_t n_conns;
	int free_conn_hint;
	int dl_head, dl_tail;
	size_t n_resume;

	struct fwd fwds[SERVER_MAX_FORWARDS];
	int fwd_free;

	bool reload_pending;
	bool stop;
	int exit_code;
	uint64_t last_fail_log;
	unsigned fail_suppressed;

	/* Every response is built here (dns_answer(), forwarded answers, SERVFAIL). */
	uint8_t resp[DNS_MAX_UDP];
};

/* #syscalls clock_gettime (normally served by the vDSO) */
static inline uint64_t now_ms(void)
{
	return (uint64_t)berth_now_ms();
}

static inline void ip_from_sa(const struct sockaddr_storage *sa, struct berth_ip *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (sa->ss_family == AF_INET) {
		ret->family = AF_INET;
		ret->v4 = ((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->ss_family == AF_INET6) {
		ret->family = AF_INET6;
		ret->v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
}

/* listener.c */
struct listener *listener_by_id(struct server *s, uint32_t id);
/* Bind UDP + TCP on one address and register both; logs failures. */
int listener_add(struct server *s, const struct dns_listener *dl);
void listener_close(struct server *s, struct listener *l);
void fmt_hostport(const struct berth_ip *ip, uint16_t port, char *buf, size_t size);

/* udp.c */
void udp_readable(struct server *s, struct listener *l);

/* tcp.c */
void tcp_accept(struct server *s, struct listener *l);
void conn_event(struct server *s, uint64_t data, uint32_t events);
/* Process, flush, decide whether to keep reading or close. */
void conn_work(struct server *s, int i);
void conn_close(struct server *s, int i);
/* Append one length-prefixed message; dropped (logged) when the buffer is full. */
void conn_queue(struct server *s, int i, const uint8_t *msg, size_t len);
void conn_mark_resume(struct server *s, int i);
void expire_conns(struct server *s);

/* forward.c */
/* The forwarding records' free list, and the server the callbacks use. */
void forward_init(struct server *s);
void forward_detach(struct server *s);
/* dns_answer() for a query that came to the server, into s->resp. */
enum dns_verdict server_answer(struct server *s, const struct berth_ip *src, const char *network,
			       bool tcp, const uint8_t *q, size_t len, size_t *ret_len,
			       struct dns_upstreams *ups);
/*
 * Forward a query. Returns true when the forward was accepted: its callback
 * runs exactly once, perhaps already before this returns. Otherwise a
 * SERVFAIL is in s->resp and *ret_len holds its length (0: nothing to send).
 */
bool forward_start(struct server *s, struct fwd *tmpl, const struct dns_upstreams *ups,
		   const uint8_t *q, size_t len, size_t *ret_len);

/* reload.c */
/* Split resolv.conf's path, set up the inotify watches and register them. */
int resolv_watch_setup(struct server *s);
void inotify_readable(struct server *s);
int server_build_tables(struct server *s, bool startup, struct dns_tables **ret);
void server_reload(struct server *s, const char *why);
