// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for berth-dns's TCP framing (dns/tcp-framing.c): bytes in,
 * complete DNS messages out, within the buffer limits.
 *
 * Input: byte 0 seeds how the stream is cut into reads (1 byte at a time up
 * to whole buffers) and when the reader pauses (stops consuming, as the
 * server does under backpressure); byte 1 picks the write buffer's limit.
 * The rest is the byte stream a client sends. The result is checked against
 * a straight parse of the whole stream: the same messages in the same order,
 * nothing before a zero-length message lost, nothing after it delivered; the
 * read buffer never above one maximum message; the write buffer's output the
 * length-prefixed messages it accepted, refusing only what would pass its
 * limit.
 *
 * Built with -Dfuzzing=true (clang) it is a libFuzzer binary:
 *   build/tests/fuzz-dns-tcp tests/fuzz/corpus/dns-tcp
 * Otherwise tests/fuzz/replay.c replays every file of a corpus directory.
 */
#include "tcp-framing.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rnd(uint32_t *st)
{
	/* xorshift32: deterministic per input */
	uint32_t x = *st;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	return x;
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_tcp_rbuf rb = { 0 };
	struct dns_tcp_wbuf wb = { 0 };
	uint8_t *out = NULL, *ref_out = NULL;
	size_t out_len = 0, ref_out_len = 0;
	uint32_t st;
	size_t limit, fed = 0, ref = 0; /* ref: offset of the next expected message */
	bool closed = false, paused = false;

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	st = 0x9e3779b9u ^ ((uint32_t)data[0] << 8) ^ data[1];
	limit = 2 + (size_t)data[1] * 1031; /* 2 .. about 263 KB */
	data += 2;
	size -= 2;
	out = malloc(size + 1);
	ref_out = malloc(size + 1);
	check(out && ref_out);

	for (unsigned rounds = 0; rounds < 4 * size + 64 && !closed; rounds++) {
		uint8_t *p;
		size_t room, off = 0, mlen;
		const uint8_t *msg;
		int n;

		check(dns_tcp_rbuf_space(&rb, &p, &room) == 0);
		check(rb.cap <= DNS_TCP_RBUF_MAX && rb.len <= rb.cap);
		if (!paused && room > 0 && fed < size) {
			/* One read: 1 byte, a few, or as much as fits. */
			size_t want;
			switch (rnd(&st) % 4) {
			case 0:
				want = 1;
				break;
			case 1:
				want = 1 + rnd(&st) % 7;
				break;
			case 2:
				want = 1 + rnd(&st) % 600;
				break;
			default:
				want = room;
				break;
			}
			if (want > room)
				want = room;
			if (want > size - fed)
				want = size - fed;
			memcpy(p, data + fed, want);
			dns_tcp_rbuf_filled(&rb, want);
			fed += want;
		}
		/* Handle complete messages; maybe pause after some (backpressure). */
		size_t stop_after = (rnd(&st) % 8 == 0) ? rnd(&st) % 3 : SIZE_MAX;
		size_t handled = 0;
		paused = false;
		while ((n = dns_tcp_rbuf_next(&rb, off, &msg, &mlen)) != 0) {
			/* The straight parse says the same. */
			check(size - ref >= 2);
			size_t rlen = (size_t)data[ref] << 8 | data[ref + 1];
			if (n < 0) {
				check(n == -EBADMSG && rlen == 0);
				closed = true;
				break;
			}
			if (handled == stop_after) {
				paused = true;
				break;
			}
			check(rlen == mlen && (size_t)n == 2 + mlen && mlen > 0);
			check(size - ref - 2 >= mlen && memcmp(msg, data + ref + 2, mlen) == 0);
			ref += (size_t)n;
			off += (size_t)n;
			handled++;

			/* The answer side: queue it, refused only beyond the limit. */
			size_t before = dns_tcp_wbuf_pending(&wb);
			int r = dns_tcp_wbuf_queue(&wb, msg, mlen, limit);
			if (before + 2 + mlen > limit) {
				check(r == -ENOBUFS && dns_tcp_wbuf_pending(&wb) == before);
			} else {
				check(r == 0 && dns_tcp_wbuf_pending(&wb) == before + 2 + mlen);
				memcpy(ref_out + ref_out_len, data + ref - n, (size_t)n);
				ref_out_len += (size_t)n;
			}
			check(wb.cap <= limit);
			/* Write some of it out, as a socket would take it. */
			size_t w = rnd(&st) % (dns_tcp_wbuf_pending(&wb) + 1);
			if (w)
				memcpy(out + out_len, wb.buf + wb.off, w);
			out_len += w;
			dns_tcp_wbuf_written(&wb, w);
		}
		if (closed)
			break;
		check(dns_tcp_rbuf_consume(&rb, off, !paused) == 0);
		check(rb.cap <= DNS_TCP_RBUF_MAX && rb.len <= rb.cap);
		/* What is left is the stream after the last message handled. */
		check(fed - ref == rb.len && memcmp(rb.buf, data + ref, rb.len) == 0);
		if (!paused && rb.len >= 2)
			check(rb.cap >= 2 + ((size_t)rb.buf[0] << 8 | rb.buf[1]));
		if (fed == size && !paused && dns_tcp_rbuf_next(&rb, 0, &msg, &mlen) == 0)
			break; /* all bytes in, only an incomplete message left */
	}
	if (!closed) {
		/* Every complete message of the stream came out. */
		check(fed == size);
		check(size - ref < 2 || size - ref - 2 < ((size_t)data[ref] << 8 | data[ref + 1]));
	}
	/* Drain the write buffer: the output is exactly what was accepted. */
	if (dns_tcp_wbuf_pending(&wb))
		memcpy(out + out_len, wb.buf + wb.off, dns_tcp_wbuf_pending(&wb));
	out_len += dns_tcp_wbuf_pending(&wb);
	dns_tcp_wbuf_written(&wb, dns_tcp_wbuf_pending(&wb));
	check(dns_tcp_wbuf_pending(&wb) == 0);
	check(out_len == ref_out_len && memcmp(out, ref_out, out_len) == 0);

	dns_tcp_rbuf_done(&rb);
	dns_tcp_wbuf_done(&wb);
	free(out);
	free(ref_out);
	return 0;
}
