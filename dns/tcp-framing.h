/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: DNS over TCP framing (RFC 1035 4.2.2, RFC 7766), without
 * sockets.
 *
 * Theory of operation. Every message on a connection carries a 2-byte
 * big-endian length prefix. The read side is a buffer the caller reads bytes
 * into (dns_tcp_rbuf_space/_filled); dns_tcp_rbuf_next() walks the complete
 * messages at its front, dns_tcp_rbuf_consume() drops the ones handled and
 * grows the buffer to exactly the size of the next announced message. The
 * buffer starts at DNS_TCP_RBUF_INITIAL bytes and is never larger than one
 * maximum message (2 + 65535), however the bytes arrive. A zero-length
 * message ends the connection.
 *
 * The write side queues length-prefixed answers up to a caller's limit;
 * an answer that does not fit is refused whole (-ENOBUFS).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_TCP_MAX_MSG 65535
#define DNS_TCP_RBUF_INITIAL 514 /* 2 + 512: most queries fit without growing */
#define DNS_TCP_RBUF_MAX (2 + DNS_TCP_MAX_MSG)

struct dns_tcp_rbuf {
	uint8_t *buf;
	size_t len, cap;
};

struct dns_tcp_wbuf {
	uint8_t *buf;
	size_t off, len, cap; /* bytes [off, len) are waiting to be written */
};

/*
 * Where the next read goes: allocates the initial buffer on first use.
 * *ret_len is 0 when the buffer holds a complete message that has not been
 * consumed. Returns 0 or -ENOMEM.
 */
int dns_tcp_rbuf_space(struct dns_tcp_rbuf *rb, uint8_t **ret_ptr, size_t *ret_len);
/* n bytes (at most the space given) were read into the space. */
void dns_tcp_rbuf_filled(struct dns_tcp_rbuf *rb, size_t n);
/*
 * The message starting at byte `off` of the buffer: returns the bytes it
 * takes (2 + length) with *ret_msg and *ret_len set to the message without its
 * prefix, 0 when it is not complete yet, -EBADMSG for a zero-length message.
 */
int dns_tcp_rbuf_next(const struct dns_tcp_rbuf *rb, size_t off, const uint8_t **ret_msg,
		      size_t *ret_len);
/*
 * Drop the first `used` bytes (the messages handled). With `grow`, make
 * room for the whole message announced at the front. Returns 0 or -ENOMEM.
 */
int dns_tcp_rbuf_consume(struct dns_tcp_rbuf *rb, size_t used, bool grow);
void dns_tcp_rbuf_done(struct dns_tcp_rbuf *rb);

static inline size_t dns_tcp_wbuf_pending(const struct dns_tcp_wbuf *wb)
{
	return wb->len - wb->off;
}

/*
 * Append one message (at most DNS_TCP_MAX_MSG bytes) with its length prefix,
 * keeping the buffer at most `limit` bytes. Returns 0, -ENOBUFS when it does
 * not fit (nothing appended), -EINVAL for an over-long message, -ENOMEM.
 */
int dns_tcp_wbuf_queue(struct dns_tcp_wbuf *wb, const uint8_t *msg, size_t len, size_t limit);
/* n bytes were written from the front. */
void dns_tcp_wbuf_written(struct dns_tcp_wbuf *wb, size_t n);
void dns_tcp_wbuf_done(struct dns_tcp_wbuf *wb);
