/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the DNS unit tests (test-dns-packet.c, test-dns-resolve.c):
 * build queries in wire form and parse whole responses with dns/packet.h's
 * checked cursor. Header-only: every function is static.
 */
#pragma once

#include "packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Append a dotted name in wire form; returns the new offset. */
static inline size_t tq_name(uint8_t *b, size_t o, const char *name)
{
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0)
			break;
		b[o++] = (uint8_t)l;
		memcpy(b + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	b[o++] = 0;
	return o;
}

static inline size_t tq_u16(uint8_t *b, size_t o, uint16_t v)
{
	b[o] = (uint8_t)(v >> 8);
	b[o + 1] = (uint8_t)v;
	return o + 2;
}

/*
 * A query for name/type, with the given header flags (RD = 0x0100), and an
 * OPT record when edns_size > 0 (DO bit when dnssec_ok).
 */
static inline size_t tq_query(uint8_t *b, uint16_t id, const char *name, uint16_t type,
			      uint16_t flags, unsigned edns_size, bool dnssec_ok)
{
	size_t o = 0;
	o = tq_u16(b, o, id);
	o = tq_u16(b, o, flags);
	o = tq_u16(b, o, 1);
	o = tq_u16(b, o, 0);
	o = tq_u16(b, o, 0);
	o = tq_u16(b, o, edns_size ? 1 : 0);
	o = tq_name(b, o, name);
	o = tq_u16(b, o, type);
	o = tq_u16(b, o, DNS_CLASS_IN);
	if (edns_size) {
		b[o++] = 0;
		o = tq_u16(b, o, DNS_TYPE_OPT);
		o = tq_u16(b, o, (uint16_t)edns_size);
		o = tq_u16(b, o, 0);
		o = tq_u16(b, o, dnssec_ok ? 0x8000 : 0);
		o = tq_u16(b, o, 0);
	}
	return o;
}

struct tr_rr {
	uint8_t name[DNS_MAX_NAME_WIRE];
	int name_len;
	uint16_t type, klass, rdlen;
	uint32_t ttl;
	size_t rdata_off; /* offset of rdata in the packet */
};

struct tr_msg {
	uint16_t id, flags, qd, an, ns, ar;
	uint8_t qname[DNS_MAX_NAME_WIRE];
	int qname_len;
	uint16_t qtype, qclass;
	struct tr_rr rr[256];
	size_t n_rr;
};

/* Parse a whole response; false on any malformation. */
static inline bool tr_parse(const uint8_t *p, size_t len, struct tr_msg *m)
{
	struct dns_cursor c = { p, 0, len };
	memset(m, 0, sizeof(*m));
	if (dns_cursor_u16(&c, &m->id) || dns_cursor_u16(&c, &m->flags) ||
	    dns_cursor_u16(&c, &m->qd) || dns_cursor_u16(&c, &m->an) ||
	    dns_cursor_u16(&c, &m->ns) || dns_cursor_u16(&c, &m->ar))
		return false;
	if (m->qd > 1)
		return false;
	if (m->qd) {
		m->qname_len = dns_read_name(&c, m->qname);
		if (m->qname_len < 0 || dns_cursor_u16(&c, &m->qtype) ||
		    dns_cursor_u16(&c, &m->qclass))
			return false;
	}
	size_t total = (size_t)m->an + m->ns + m->ar;
	for (size_t i = 0; i < total; i++) {
		/* Records past the array are walked over the last slot. */
		struct tr_rr *r = &m->rr[i < 256 ? i : 255];
		r->name_len = dns_read_name(&c, r->name);
		if (r->name_len < 0 || dns_cursor_u16(&c, &r->type) ||
		    dns_cursor_u16(&c, &r->klass) || dns_cursor_u32(&c, &r->ttl) ||
		    dns_cursor_u16(&c, &r->rdlen))
			return false;
		r->rdata_off = c.pos;
		if (dns_cursor_skip(&c, r->rdlen))
			return false;
	}
	m->n_rr = total < 256 ? total : 256;
	return c.pos == len;
}

