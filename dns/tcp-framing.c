// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: DNS over TCP framing over plain buffers (see tcp-framing.h).
 */
#include "tcp-framing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t prefix_at(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

int dns_tcp_rbuf_space(struct dns_tcp_rbuf *rb, uint8_t **ret_ptr, size_t *ret_len)
{
	if (!rb->buf) {
		rb->buf = malloc(DNS_TCP_RBUF_INITIAL);
		if (!rb->buf)
			return -ENOMEM;
		rb->cap = DNS_TCP_RBUF_INITIAL;
		rb->len = 0;
	}
	*ret_ptr = rb->buf + rb->len;
	*ret_len = rb->cap - rb->len;
	return 0;
}

void dns_tcp_rbuf_filled(struct dns_tcp_rbuf *rb, size_t n)
{
	if (n > rb->cap - rb->len)
		n = rb->cap - rb->len; /* a caller's bug; never past the buffer */
	rb->len += n;
}

int dns_tcp_rbuf_next(const struct dns_tcp_rbuf *rb, size_t off, const uint8_t **ret_msg,
		      size_t *ret_len)
{
	size_t mlen;

	if (off > rb->len || rb->len - off < 2)
		return 0;
	mlen = prefix_at(rb->buf + off);
	if (mlen == 0)
		return -EBADMSG;
	if (rb->len - off - 2 < mlen)
		return 0;
	*ret_msg = rb->buf + off + 2;
	*ret_len = mlen;
	return (int)(2 + mlen);
}

int dns_tcp_rbuf_consume(struct dns_tcp_rbuf *rb, size_t used, bool grow)
{
	size_t need;

	if (used > rb->len)
		used = rb->len;
	if (used > 0) {
		memmove(rb->buf, rb->buf + used, rb->len - used);
		rb->len -= used;
	}
	if (rb->len < 2 || !grow)
		return 0;
	/* An incomplete message: make room for all of it (at most 2 + 65535). */
	need = 2 + prefix_at(rb->buf);
	if (need > rb->cap) {
		uint8_t *nb = realloc(rb->buf, need);
		if (!nb)
			return -ENOMEM;
		rb->buf = nb;
		rb->cap = need;
	}
	return 0;
}

void dns_tcp_rbuf_done(struct dns_tcp_rbuf *rb)
{
	free(rb->buf);
	*rb = (struct dns_tcp_rbuf){ 0 };
}

int dns_tcp_wbuf_queue(struct dns_tcp_wbuf *wb, const uint8_t *msg, size_t len, size_t limit)
{
	size_t need;

	if (len > DNS_TCP_MAX_MSG)
		return -EINVAL;
	if (wb->off > 0) {
		memmove(wb->buf, wb->buf + wb->off, wb->len - wb->off);
		wb->len -= wb->off;
		wb->off = 0;
	}
	need = wb->len + 2 + len;
	if (need > limit)
		return -ENOBUFS;
	if (need > wb->cap) {
		size_t cap = wb->cap ? wb->cap : 1024;
		while (cap < need)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		uint8_t *nb = realloc(wb->buf, cap);
		if (!nb)
			return -ENOMEM;
		wb->buf = nb;
		wb->cap = cap;
	}
	wb->buf[wb->len] = (uint8_t)(len >> 8);
	wb->buf[wb->len + 1] = (uint8_t)len;
	if (len)
		memcpy(wb->buf + wb->len + 2, msg, len);
	wb->len += 2 + len;
	return 0;
}

void dns_tcp_wbuf_written(struct dns_tcp_wbuf *wb, size_t n)
{
	if (n > wb->len - wb->off)
		n = wb->len - wb->off;
	wb->off += n;
	if (wb->off == wb->len)
		wb->off = wb->len = 0;
}

void dns_tcp_wbuf_done(struct dns_tcp_wbuf *wb)
{
	free(wb->buf);
	*wb = (struct dns_tcp_wbuf){ 0 };
}
