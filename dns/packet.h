/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNS wire format for berth-dns (internal to dns/).
 *
 * Reading: every byte of a query is reached through a checked cursor
 * (struct dns_cursor): each read tests `want > len - pos` (cannot overflow)
 * and fails without moving. Names are decompressed with two limits: a
 * compression pointer must point strictly before the label that holds it
 * (so a chain can neither loop nor grow), at most DNS_MAX_POINTERS hops, and
 * the expanded name is at most 255 bytes in wire form.
 *
 * Writing: a response is built into a caller's fixed buffer with a size
 * limit (the client's UDP size, 512 without EDNS, or 65535 for TCP). Space
 * for the OPT record is reserved up front; an answer record that does not fit
 * whole sets TC and is left out, as are all that follow. Nothing allocates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_SIZE 12
#define DNS_MAX_NAME_WIRE 255   /* RFC 1035 2.3.4, including the root label */
#define DNS_MAX_LABEL 63
#define DNS_MAX_POINTERS 64
#define DNS_UDP_PLAIN 512       /* without EDNS */
#define DNS_EDNS_PAYLOAD 1232   /* what berth-dns advertises and caps UDP answers at */
#define DNS_OPT_RR_SIZE 11      /* root name, type, class, ttl, rdlength 0 */

#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_BADVERS 16 /* extended: needs OPT */

/* Header flag bits (second 16-bit word). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_FLAG_AD 0x0020u
#define DNS_FLAG_CD 0x0010u
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)

struct dns_cursor {
	const uint8_t *data;
	size_t pos, len;
};

int dns_cursor_u8(struct dns_cursor *c, uint8_t *ret);
int dns_cursor_u16(struct dns_cursor *c, uint16_t *ret);
int dns_cursor_u32(struct dns_cursor *c, uint32_t *ret);
int dns_cursor_skip(struct dns_cursor *c, size_t n);

/*
 * Read a possibly compressed name at the cursor into ret (uncompressed wire
 * form, root label included, at most DNS_MAX_NAME_WIRE bytes); the cursor ends
 * after the name's bytes at its original place. ret may be NULL to skip the
 * name. Returns the wire length, or -EBADMSG.
 */
int dns_read_name(struct dns_cursor *c, uint8_t *ret);

/*
 * Convert an uncompressed wire name to lowercase dotted text without the
 * trailing dot ("" for the root) into buf (at least DNS_MAX_NAME_WIRE bytes).
 * Returns the text length, or -EINVAL when a label holds a '.' or a NUL byte
 * (such a name cannot match a container name).
 */
int dns_name_to_text(const uint8_t *wire, size_t wire_len, char *buf, size_t size);
/* Dotted text ("web", "web.", "a.b") to wire form; -EINVAL for empty labels or too long. */
int dns_name_from_text(const char *text, size_t len, uint8_t *ret, size_t size);

enum dns_parse_status {
	DNS_PARSE_OK = 0,
	DNS_PARSE_FORMERR, /* header readable, rest malformed */
	DNS_PARSE_NOTIMP,  /* opcode other than QUERY */
	DNS_PARSE_BADVERS, /* EDNS version other than 0 */
	DNS_PARSE_DROP,    /* no readable header, or a response (QR set): send nothing */
};

struct dns_query {
	uint16_t id;
	uint16_t flags;            /* second header word as received */
	bool has_question;         /* qname/qtype/qclass valid */
	uint8_t qname[DNS_MAX_NAME_WIRE]; /* uncompressed wire form */
	size_t qname_len;
	uint16_t qtype, qclass;
	bool edns;                 /* an OPT record was present */
	uint16_t edns_udp_size;    /* its payload size, at least 512 */
	bool edns_do;              /* DNSSEC OK bit */
};

/* Parse a query. Fills *q as far as it could read, also on failure. */
enum dns_parse_status dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q);

struct dns_writer {
	uint8_t *buf;
	size_t len;      /* bytes written */
	size_t limit;    /* bytes the response may use, OPT reserve included */
	bool edns;       /* append an OPT record at the end */
	bool edns_do;
	uint8_t ext_rcode;
	uint16_t ancount;
	bool truncated;
};

/*
 * Start a response to q in buf (size bytes, at least 512): header with id,
 * opcode, RD and CD copied, QR set, RA set when RD was, AA and AD clear, the
 * given rcode (values above 15 go to the OPT record), and the question when
 * q has one. tcp selects the 65535 limit, otherwise the client's UDP size
 * (512 without EDNS, capped at DNS_EDNS_PAYLOAD). Returns 0 or -ENOBUFS.
 */
int dns_writer_begin(struct dns_writer *w, uint8_t *buf, size_t size, const struct dns_query *q,
		     unsigned rcode, bool tcp);
/*
 * Append an answer record whose owner is the question name (pointer 0xC00C).
 * Returns 0, or -ENOBUFS when it does not fit (TC is then set and every later
 * record is refused too).
 */
int dns_writer_add_answer(struct dns_writer *w, uint16_t type, uint32_t ttl, const uint8_t *rdata,
			  size_t rdlen);
/* Write the counts (and the OPT record); returns the response length. */
size_t dns_writer_finish(struct dns_writer *w);
