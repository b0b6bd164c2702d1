// SPDX-License-Identifier: Apache-2.0
/*
 * dns/packet.c: queries crafted by hand (A, AAAA, PTR v4/v6, EDNS, compression
 * loops, truncated packets, qdcount 0/2, responses), and the response writer
 * (flags, question copy, 0xC00C owners, OPT, truncation with TC).
 */
#include "packet.h"
#include "resolve.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns-wire.h"

/* ---- tests ---- */

static void test_parse_a(void **state)
{
	uint8_t b[512];
	struct dns_query q;
	size_t n = tq_query(b, 0x1234, "web.dns.podman", DNS_TYPE_A, 0x0100, 0, false);

	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, 0x0100);
	assert_true(q.has_question);
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_int_equal(q.qname_len, 16);
	assert_memory_equal(q.qname, "\3web\3dns\6podman\0", 16);
	assert_false(q.edns);

	char text[DNS_MAX_NAME_WIRE];
	assert_int_equal(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)), 14);
	assert_string_equal(text, "web.dns.podman");
}

static void test_parse_types(void **state)
{
	uint8_t b[512];
	struct dns_query q;
	char text[DNS_MAX_NAME_WIRE];
	size_t n;

	n = tq_query(b, 1, "WeB", DNS_TYPE_AAAA, 0, 0, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.qtype, DNS_TYPE_AAAA);
	assert_int_equal(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)), 3);
	assert_string_equal(text, "web"); /* lowercased */

	n = tq_query(b, 2, "3.0.89.10.in-addr.arpa", DNS_TYPE_PTR, 0x0100, 0, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.qtype, DNS_TYPE_PTR);

	n = tq_query(b, 3,
		     "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.9.8.0.0.0.1.d.f.ip6.arpa",
		     DNS_TYPE_PTR, 0, 0, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)), 72);

	/* The root name. */
	n = tq_query(b, 4, "", DNS_TYPE_A, 0, 0, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.qname_len, 1);
	assert_int_equal(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)), 0);
}

static void test_parse_edns(void **state)
{
	uint8_t b[512];
	struct dns_query q;
	size_t n;

	n = tq_query(b, 1, "web", DNS_TYPE_A, 0x0100, 4096, true);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_true(q.edns);
	assert_int_equal(q.edns_udp_size, 4096);
	assert_true(q.edns_do);

	n = tq_query(b, 1, "web", DNS_TYPE_A, 0x0100, 100, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.edns_udp_size, 512); /* below 512 counts as 512 */
	assert_false(q.edns_do);

	/* A cookie option (code 10, 8 bytes) is fine. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 1232, false);
	b[n - 2] = 0;
	b[n - 1] = 12;
	static const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	memcpy(b + n, cookie, sizeof(cookie));
	assert_int_equal(dns_parse_query(b, n + sizeof(cookie), &q), DNS_PARSE_OK);
	/* An option longer than rdata is not. */
	b[n + 3] = 9;
	assert_int_equal(dns_parse_query(b, n + sizeof(cookie), &q), DNS_PARSE_FORMERR);

	/* EDNS version 1: BADVERS. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 1232, false);
	b[n - 5] = 1;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_BADVERS);

	/* Two OPT records: FORMERR. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 1232, false);
	memcpy(b + n, b + n - 11, 11);
	b[11] = 2;
	assert_int_equal(dns_parse_query(b, n + 11, &q), DNS_PARSE_FORMERR);

	/* OPT owner not the root: FORMERR. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 0, false);
	b[11] = 1;
	static const uint8_t badopt[] = { 0xc0, 12, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(b + n, badopt, sizeof(badopt));
	assert_int_equal(dns_parse_query(b, n + sizeof(badopt), &q), DNS_PARSE_FORMERR);

	/* OPT in the answer section: FORMERR. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 1232, false);
	b[7] = 1;
	b[11] = 0;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
}

static void test_parse_header_errors(void **state)
{
	uint8_t b[512];
	struct dns_query q;
	size_t n = tq_query(b, 7, "web", DNS_TYPE_A, 0x0100, 0, false);

	for (size_t k = 0; k < DNS_HEADER_SIZE; k++)
		assert_int_equal(dns_parse_query(b, k, &q), DNS_PARSE_DROP);
	assert_int_equal(dns_parse_query(NULL, 0, &q), DNS_PARSE_DROP);
	/* Every truncation after the header is FORMERR, never a crash. */
	for (size_t k = DNS_HEADER_SIZE; k < n; k++)
		assert_int_equal(dns_parse_query(b, k, &q), DNS_PARSE_FORMERR);

	b[5] = 0; /* qdcount 0 */
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
	b[5] = 2; /* qdcount 2 */
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
	b[5] = 1;
	b[2] |= 0x80; /* a response */
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_DROP);
	b[2] = 0x10; /* opcode 2 (STATUS) */
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_NOTIMP);
	b[2] = 0x28; /* opcode 5 (UPDATE) */
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_NOTIMP);
	b[2] = 0x01;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	/* An answer count with no records behind it. */
	b[7] = 1;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
}

static void test_compression(void **state)
{
	uint8_t b[600];
	struct dns_query q;
	size_t n;

	/* An additional record whose owner points to the question: fine. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 0, false);
	b[11] = 1;
	static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 };
	memcpy(b + n, rr, sizeof(rr));
	assert_int_equal(dns_parse_query(b, n + sizeof(rr), &q), DNS_PARSE_OK);

	/* A pointer to itself. */
	uint8_t loop[] = { 0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	loop[1] = (uint8_t)n;
	memcpy(b + n, loop, sizeof(loop));
	assert_int_equal(dns_parse_query(b, n + sizeof(loop), &q), DNS_PARSE_FORMERR);

	/* A forward pointer. */
	loop[1] = (uint8_t)(n + 4);
	memcpy(b + n, loop, sizeof(loop));
	assert_int_equal(dns_parse_query(b, n + sizeof(loop), &q), DNS_PARSE_FORMERR);

	/* label + pointer back to that label: loops unless rejected. */
	uint8_t lp[] = { 1, 'a', 0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	lp[3] = (uint8_t)n;
	memcpy(b + n, lp, sizeof(lp));
	assert_int_equal(dns_parse_query(b, n + sizeof(lp), &q), DNS_PARSE_FORMERR);

	/* Two pointers to each other (a -> b -> a). */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 0, false);
	b[11] = 2;
	uint8_t ab[] = { 0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	ab[1] = (uint8_t)(n + 12);
	ab[13] = (uint8_t)n;
	memcpy(b + n, ab, sizeof(ab));
	assert_int_equal(dns_parse_query(b, n + sizeof(ab), &q), DNS_PARSE_FORMERR);

	/* A question name compressed into the header bytes. */
	static const uint8_t qp[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 4, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(qp, sizeof(qp), &q), DNS_PARSE_FORMERR);

	/* Reserved label types 0x40 / 0x80. */
	n = tq_query(b, 1, "web", DNS_TYPE_A, 0, 0, false);
	b[12] = 0x43;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
	b[12] = 0x83;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
}

static void test_name_length(void **state)
{
	uint8_t b[600];
	struct dns_query q;
	size_t o = 0;

	o = tq_u16(b, o, 1);
	o = tq_u16(b, o, 0);
	o = tq_u16(b, o, 1);
	o = tq_u16(b, o, 0);
	o = tq_u16(b, o, 0);
	o = tq_u16(b, o, 0);
	/* 4 x 63-byte labels = 256 bytes + root: too long. */
	for (int l = 0; l < 4; l++) {
		b[o++] = 63;
		memset(b + o, 'x', 63);
		o += 63;
	}
	b[o++] = 0;
	o = tq_u16(b, o, 1);
	o = tq_u16(b, o, 1);
	assert_int_equal(dns_parse_query(b, o, &q), DNS_PARSE_FORMERR);

	/* 3 x 63 + 61 = 253 text bytes, 255 in wire form: the maximum. */
	o = 12;
	for (int l = 0; l < 3; l++) {
		b[o++] = 63;
		memset(b + o, 'x', 63);
		o += 63;
	}
	b[o++] = 61;
	memset(b + o, 'y', 61);
	o += 61;
	b[o++] = 0;
	o = tq_u16(b, o, 1);
	o = tq_u16(b, o, 1);
	assert_int_equal(dns_parse_query(b, o, &q), DNS_PARSE_OK);
	assert_int_equal(q.qname_len, 255);
	char text[DNS_MAX_NAME_WIRE];
	assert_int_equal(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)), 253);
}

static void test_name_text(void **state)
{
	uint8_t w[DNS_MAX_NAME_WIRE];
	char t[DNS_MAX_NAME_WIRE];

	assert_int_equal(dns_name_from_text("web", 3, w, sizeof(w)), 5);
	assert_memory_equal(w, "\3web\0", 5);
	assert_int_equal(dns_name_from_text("a.b.", 4, w, sizeof(w)), 5);
	assert_memory_equal(w, "\1a\1b\0", 5);
	assert_int_equal(dns_name_from_text("a..b", 4, w, sizeof(w)), -EINVAL);
	assert_int_equal(dns_name_from_text(".a", 2, w, sizeof(w)), -EINVAL);
	assert_int_equal(dns_name_from_text("", 0, w, sizeof(w)), 1);
	char long_label[70];
	memset(long_label, 'a', 64);
	assert_int_equal(dns_name_from_text(long_label, 64, w, sizeof(w)), -EINVAL);

	/* A label with a dot or NUL inside cannot match a container name. */
	assert_int_equal(dns_name_to_text((const uint8_t *)"\3a.b\0", 5, t, sizeof(t)), -EINVAL);
	assert_int_equal(dns_name_to_text((const uint8_t *)"\3a\0b\0", 5, t, sizeof(t)), -EINVAL);
}

static void test_writer(void **state)
{
	uint8_t b[512], out[DNS_MAX_UDP];
	struct dns_query q;
	struct dns_writer w;
	struct tr_msg m;
	size_t n = tq_query(b, 0xbeef, "web.dns.podman", DNS_TYPE_A, 0x0120 /* RD, AD */, 0,
			    false);

	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(dns_writer_begin(&w, out, sizeof(out), &q, DNS_RCODE_NOERROR, false), 0);
	static const uint8_t a1[] = { 10, 89, 0, 2 };
	assert_int_equal(dns_writer_add_answer(&w, DNS_TYPE_A, 0, a1, 4), 0);
	size_t len = dns_writer_finish(&w);
	assert_int_equal(len, n + 16);
	assert_true(tr_parse(out, len, &m));
	assert_int_equal(m.id, 0xbeef);
	/* QR, RD, RA; AA and AD clear; NOERROR. */
	assert_int_equal(m.flags, 0x8180);
	assert_int_equal(m.qd, 1);
	assert_int_equal(m.an, 1);
	assert_int_equal(m.ar, 0);
	assert_memory_equal(out + 12, b + 12, n - 12); /* question copied */
	assert_int_equal(out[n], 0xc0);
	assert_int_equal(out[n + 1], 0x0c);
	assert_int_equal(m.rr[0].type, DNS_TYPE_A);
	assert_int_equal(m.rr[0].ttl, 0);
	assert_int_equal(m.rr[0].rdlen, 4);
	assert_memory_equal(out + m.rr[0].rdata_off, a1, 4);

	/* No RD: no RA. NXDOMAIN rcode. */
	n = tq_query(b, 1, "x", DNS_TYPE_A, 0, 0, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(dns_writer_begin(&w, out, sizeof(out), &q, DNS_RCODE_NXDOMAIN, false), 0);
	len = dns_writer_finish(&w);
	assert_true(tr_parse(out, len, &m));
	assert_int_equal(m.flags, 0x8003);
}

static void test_writer_edns_truncation(void **state)
{
	uint8_t b[512], out[DNS_MAX_UDP];
	struct dns_query q;
	struct dns_writer w;
	struct tr_msg m;
	static const uint8_t a6[16] = { 0xfd, 0x10 };
	size_t n, len;

	/* Without EDNS: 512 bytes, whole records, TC. */
	n = tq_query(b, 1, "rr", DNS_TYPE_AAAA, 0x0100, 0, false);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(dns_writer_begin(&w, out, sizeof(out), &q, 0, false), 0);
	int added = 0;
	while (dns_writer_add_answer(&w, DNS_TYPE_AAAA, 0, a6, 16) == 0)
		added++;
	assert_int_equal(dns_writer_add_answer(&w, DNS_TYPE_AAAA, 0, a6, 16), -ENOBUFS);
	len = dns_writer_finish(&w);
	assert_true(len <= 512);
	assert_int_equal(added, (512 - (int)n) / 28);
	assert_true(tr_parse(out, len, &m));
	assert_int_equal(m.an, added);
	assert_true(m.flags & DNS_FLAG_TC);

	/* EDNS 4096 is capped at 1232, and the OPT record is there. */
	n = tq_query(b, 1, "rr", DNS_TYPE_AAAA, 0x0100, 4096, true);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
	assert_int_equal(dns_writer_begin(&w, out, sizeof(out), &q, 0, false), 0);
	added = 0;
	while (dns_writer_add_answer(&w, DNS_TYPE_AAAA, 0, a6, 16) == 0)
		added++;
	len = dns_writer_finish(&w);
	assert_true(len <= 1232);
	assert_true(len > 1232 - 28);
	assert_true(tr_parse(out, len, &m));
	assert_int_equal(m.an, added);
	assert_int_equal(m.ar, 1);
	assert_true(m.flags & DNS_FLAG_TC);
	const struct tr_rr *opt = &m.rr[m.n_rr - 1];
	assert_int_equal(opt->type, DNS_TYPE_OPT);
	assert_int_equal(opt->klass, 1232);
	assert_int_equal(opt->ttl, 0x8000); /* DO echoed, version 0, no extended rcode */
	assert_int_equal(opt->name_len, 1);

	/* TCP: no truncation up to 64k. */
	assert_int_equal(dns_writer_begin(&w, out, sizeof(out), &q, 0, true), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(dns_writer_add_answer(&w, DNS_TYPE_AAAA, 0, a6, 16), 0);
	len = dns_writer_finish(&w);
	assert_true(tr_parse(out, len, &m));
	assert_int_equal(m.an, 1000);
	assert_false(m.flags & DNS_FLAG_TC);

	/* BADVERS: extended rcode 1 in the OPT record, 0 in the header. */
	n = tq_query(b, 1, "rr", DNS_TYPE_A, 0, 1232, false);
	b[n - 5] = 1;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_BADVERS);
	assert_int_equal(dns_writer_begin(&w, out, sizeof(out), &q, DNS_RCODE_BADVERS, false), 0);
	len = dns_writer_finish(&w);
	assert_true(tr_parse(out, len, &m));
	assert_int_equal(m.flags & 0xf, 0);
	assert_int_equal(m.rr[0].ttl >> 24, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_a),
		cmocka_unit_test(test_parse_types),
		cmocka_unit_test(test_parse_edns),
		cmocka_unit_test(test_parse_header_errors),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_name_text),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_edns_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
