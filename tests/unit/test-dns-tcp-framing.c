// SPDX-License-Identifier: Apache-2.0
/*
 * dns/tcp-framing.c without sockets: reassembly byte by byte, pipelined
 * messages, growth to exactly one announced message (never more than
 * 2 + 65535), the zero-length end, and the write buffer's limit.
 */
#include "tcp-framing.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Feed bytes into rb, at most `chunk` per read. */
static void feed(struct dns_tcp_rbuf *rb, const uint8_t *p, size_t n, size_t chunk)
{
	while (n > 0) {
		uint8_t *dst;
		size_t room;
		assert_int_equal(dns_tcp_rbuf_space(rb, &dst, &room), 0);
		assert_true(room > 0);
		size_t k = n < chunk ? n : chunk;
		if (k > room)
			k = room;
		memcpy(dst, p, k);
		dns_tcp_rbuf_filled(rb, k);
		p += k;
		n -= k;
	}
}

static void test_one_byte_at_a_time(void **state)
{
	static const uint8_t stream[] = { 0, 5, 'h', 'e', 'l', 'l', 'o' };
	struct dns_tcp_rbuf rb = { 0 };
	const uint8_t *msg;
	size_t len;

	for (size_t i = 0; i < sizeof(stream); i++) {
		assert_int_equal(dns_tcp_rbuf_next(&rb, 0, &msg, &len), 0);
		feed(&rb, stream + i, 1, 1);
		assert_int_equal(dns_tcp_rbuf_consume(&rb, 0, true), 0);
	}
	assert_int_equal(dns_tcp_rbuf_next(&rb, 0, &msg, &len), 7);
	assert_int_equal(len, 5);
	assert_memory_equal(msg, "hello", 5);
	assert_int_equal(dns_tcp_rbuf_consume(&rb, 7, true), 0);
	assert_int_equal(rb.len, 0);
	dns_tcp_rbuf_done(&rb);
}

static void test_pipelined_and_partial(void **state)
{
	static const uint8_t stream[] = { 0, 1, 'a', 0, 2, 'b', 'b', 0, 3, 'c', 'c' };
	struct dns_tcp_rbuf rb = { 0 };
	const uint8_t *msg;
	size_t len, off = 0;
	int n;

	feed(&rb, stream, sizeof(stream), sizeof(stream));
	assert_int_equal(n = dns_tcp_rbuf_next(&rb, off, &msg, &len), 3);
	assert_true(len == 1 && msg[0] == 'a');
	off += (size_t)n;
	assert_int_equal(n = dns_tcp_rbuf_next(&rb, off, &msg, &len), 4);
	assert_true(len == 2 && memcmp(msg, "bb", 2) == 0);
	off += (size_t)n;
	assert_int_equal(dns_tcp_rbuf_next(&rb, off, &msg, &len), 0); /* "cc" of 3 */
	assert_int_equal(dns_tcp_rbuf_consume(&rb, off, true), 0);
	assert_int_equal(rb.len, 4);
	feed(&rb, (const uint8_t *)"c", 1, 1);
	assert_int_equal(dns_tcp_rbuf_next(&rb, 0, &msg, &len), 5);
	assert_true(len == 3 && memcmp(msg, "ccc", 3) == 0);
	dns_tcp_rbuf_done(&rb);
}

static void test_growth_is_bounded(void **state)
{
	struct dns_tcp_rbuf rb = { 0 };
	uint8_t *big = malloc(2 + 65535);
	const uint8_t *msg;
	size_t len;

	assert_non_null(big);
	big[0] = 0xff;
	big[1] = 0xff;
	memset(big + 2, 0x5a, 65535);
	feed(&rb, big, 4, 4);
	assert_int_equal(rb.cap, DNS_TCP_RBUF_INITIAL);
	/* The announced length makes room for exactly that message. */
	assert_int_equal(dns_tcp_rbuf_consume(&rb, 0, true), 0);
	assert_int_equal(rb.cap, DNS_TCP_RBUF_MAX);
	feed(&rb, big + 4, 2 + 65535 - 4, 1000);
	assert_int_equal(rb.cap, DNS_TCP_RBUF_MAX);
	assert_int_equal(dns_tcp_rbuf_next(&rb, 0, &msg, &len), 2 + 65535);
	assert_int_equal(len, 65535);
	/* A full buffer offers no room until the message is consumed. */
	uint8_t *p;
	size_t room;
	assert_int_equal(dns_tcp_rbuf_space(&rb, &p, &room), 0);
	assert_int_equal(room, 0);
	/* Paused (no growth): the buffer keeps what it has. */
	assert_int_equal(dns_tcp_rbuf_consume(&rb, 0, false), 0);
	assert_int_equal(rb.len, 2 + 65535);
	assert_int_equal(dns_tcp_rbuf_consume(&rb, 2 + 65535, true), 0);
	assert_int_equal(rb.len, 0);
	dns_tcp_rbuf_done(&rb);
	free(big);
}

static void test_zero_length_ends(void **state)
{
	static const uint8_t stream[] = { 0, 1, 'x', 0, 0, 0, 1, 'y' };
	struct dns_tcp_rbuf rb = { 0 };
	const uint8_t *msg;
	size_t len;

	feed(&rb, stream, sizeof(stream), sizeof(stream));
	assert_int_equal(dns_tcp_rbuf_next(&rb, 0, &msg, &len), 3);
	assert_int_equal(dns_tcp_rbuf_next(&rb, 3, &msg, &len), -EBADMSG);
	dns_tcp_rbuf_done(&rb);
}

static void test_wbuf_limit(void **state)
{
	struct dns_tcp_wbuf wb = { 0 };
	uint8_t msg[100];

	memset(msg, 7, sizeof(msg));
	/* limit 250: two messages of 2 + 100 fit, a third does not */
	assert_int_equal(dns_tcp_wbuf_queue(&wb, msg, 100, 250), 0);
	assert_int_equal(dns_tcp_wbuf_queue(&wb, msg, 100, 250), 0);
	assert_int_equal(dns_tcp_wbuf_pending(&wb), 204);
	assert_int_equal(dns_tcp_wbuf_queue(&wb, msg, 100, 250), -ENOBUFS);
	assert_int_equal(dns_tcp_wbuf_pending(&wb), 204);
	assert_true(wb.cap <= 250);
	assert_int_equal(wb.buf[0], 0);
	assert_int_equal(wb.buf[1], 100);
	/* Written from the front: room again, the rest moved to the start. */
	dns_tcp_wbuf_written(&wb, 102);
	assert_int_equal(dns_tcp_wbuf_pending(&wb), 102);
	assert_int_equal(dns_tcp_wbuf_queue(&wb, msg, 100, 250), 0);
	assert_int_equal(wb.off, 0);
	assert_int_equal(dns_tcp_wbuf_pending(&wb), 204);
	dns_tcp_wbuf_written(&wb, 204);
	assert_int_equal(wb.len, 0);
	assert_int_equal(dns_tcp_wbuf_queue(&wb, msg, 65536, SIZE_MAX), -EINVAL);
	dns_tcp_wbuf_done(&wb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_byte_at_a_time),
		cmocka_unit_test(test_pipelined_and_partial),
		cmocka_unit_test(test_growth_is_bounded),
		cmocka_unit_test(test_zero_length_ends),
		cmocka_unit_test(test_wbuf_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
