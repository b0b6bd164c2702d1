// SPDX-License-Identifier: Apache-2.0
/*
 * DNS wire format: checked cursor, name decompression, query parser and the
 * response writer. See packet.h for the rules.
 */
#include "packet.h"

#include <errno.h>
#include <string.h>

int dns_cursor_skip(struct dns_cursor *c, size_t n)
{
	if (n > c->len - c->pos)
		return -EBADMSG;
	c->pos += n;
	return 0;
}

int dns_cursor_u8(struct dns_cursor *c, uint8_t *ret)
{
	if (1 > c->len - c->pos)
		return -EBADMSG;
	*ret = c->data[c->pos++];
	return 0;
}

int dns_cursor_u16(struct dns_cursor *c, uint16_t *ret)
{
	if (2 > c->len - c->pos)
		return -EBADMSG;
	*ret = (uint16_t)((c->data[c->pos] << 8) | c->data[c->pos + 1]);
	c->pos += 2;
	return 0;
}

int dns_cursor_u32(struct dns_cursor *c, uint32_t *ret)
{
	if (4 > c->len - c->pos)
		return -EBADMSG;
	const uint8_t *p = c->data + c->pos;
	*ret = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	c->pos += 4;
	return 0;
}

int dns_read_name(struct dns_cursor *c, uint8_t *ret)
{
	size_t pos = c->pos, seg_start = c->pos, out = 0, end = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= c->len)
			return -EBADMSG;
		uint8_t l = c->data[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= c->len)
				return -EBADMSG;
			size_t target = ((size_t)(l & 0x3f) << 8) | c->data[pos + 1];
			/*
			 * Strictly before the segment holding the pointer, so targets
			 * decrease; never into the header, where no name can be.
			 */
			if (target >= seg_start || target < DNS_HEADER_SIZE ||
			    ++hops > DNS_MAX_POINTERS)
				return -EBADMSG;
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			pos = seg_start = target;
			continue;
		}
		if (l & 0xc0)
			return -EBADMSG; /* 0x40, 0x80: extended / reserved label types */
		if ((size_t)l + 1 > DNS_MAX_NAME_WIRE - out)
			return -EBADMSG;
		if ((size_t)l + 1 > c->len - pos)
			return -EBADMSG;
		if (ret)
			memcpy(ret + out, c->data + pos, (size_t)l + 1);
		out += (size_t)l + 1;
		pos += (size_t)l + 1;
		if (l == 0)
			break;
	}
	c->pos = jumped ? end : pos;
	return (int)out;
}

static char lower(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : (char)ch;
}

int dns_name_to_text(const uint8_t *wire, size_t wire_len, char *buf, size_t size)
{
	size_t i = 0, o = 0;

	while (i < wire_len) {
		uint8_t l = wire[i++];
		if (l == 0)
			break;
		if (l > DNS_MAX_LABEL || l > wire_len - i)
			return -EINVAL;
		if (o) {
			if (o + 1 >= size)
				return -EINVAL;
			buf[o++] = '.';
		}
		if ((size_t)l + 1 > size - o)
			return -EINVAL;
		for (unsigned k = 0; k < l; k++) {
			uint8_t ch = wire[i + k];
			if (ch == '.' || ch == '\0')
				return -EINVAL;
			buf[o++] = lower(ch);
		}
		i += l;
	}
	if (o >= size)
		return -EINVAL;
	buf[o] = '\0';
	return (int)o;
}

int dns_name_from_text(const char *text, size_t len, uint8_t *ret, size_t size)
{
	size_t o = 0, start = 0;

	if (len && text[len - 1] == '.')
		len--;
	if (size > DNS_MAX_NAME_WIRE)
		size = DNS_MAX_NAME_WIRE;
	while (start < len) {
		const char *dot = memchr(text + start, '.', len - start);
		size_t l = dot ? (size_t)(dot - (text + start)) : len - start;
		if (l == 0 || l > DNS_MAX_LABEL || l + 1 > size - o)
			return -EINVAL;
		ret[o++] = (uint8_t)l;
		memcpy(ret + o, text + start, l);
		o += l;
		start += l + 1;
		if (!dot)
			break;
		if (start == len)
			return -EINVAL; /* "a..": cannot happen after the strip, but be safe */
	}
	if (o + 1 > size)
		return -EINVAL;
	ret[o++] = 0;
	return (int)o;
}

static int skip_rr(struct dns_cursor *c, struct dns_query *q, bool additional, bool *seen_opt,
		   bool *badvers)
{
	uint8_t name[DNS_MAX_NAME_WIRE];
	uint16_t type, klass, rdlen;
	uint32_t ttl;
	int nl = dns_read_name(c, name);

	if (nl < 0 || dns_cursor_u16(c, &type) < 0 || dns_cursor_u16(c, &klass) < 0 ||
	    dns_cursor_u32(c, &ttl) < 0 || dns_cursor_u16(c, &rdlen) < 0)
		return -EBADMSG;
	if (rdlen > c->len - c->pos)
		return -EBADMSG;
	if (type == DNS_TYPE_OPT) {
		/* RFC 6891 6.1.1: one OPT, in the additional section, owner root. */
		if (!additional || *seen_opt || nl != 1)
			return -EBADMSG;
		*seen_opt = true;
		q->edns = true;
		q->edns_udp_size = klass < DNS_UDP_PLAIN ? DNS_UDP_PLAIN : klass;
		q->edns_do = (ttl & 0x8000u) != 0;
		if (((ttl >> 16) & 0xffu) != 0)
			*badvers = true;
		/* Options: code, length, data; they must tile rdata exactly. */
		struct dns_cursor o = { c->data + c->pos, 0, rdlen };
		while (o.pos < o.len) {
			uint16_t code, olen;
			if (dns_cursor_u16(&o, &code) < 0 || dns_cursor_u16(&o, &olen) < 0 ||
			    dns_cursor_skip(&o, olen) < 0)
				return -EBADMSG;
		}
	}
	return dns_cursor_skip(c, rdlen);
}

enum dns_parse_status dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	struct dns_cursor c = { pkt, 0, len };
	uint16_t qd, an, ns, ar;
	bool seen_opt = false, badvers = false;
	int nl;

	memset(q, 0, sizeof(*q));
	if (!pkt || len < DNS_HEADER_SIZE)
		return DNS_PARSE_DROP;
	(void)dns_cursor_u16(&c, &q->id);
	(void)dns_cursor_u16(&c, &q->flags);
	(void)dns_cursor_u16(&c, &qd);
	(void)dns_cursor_u16(&c, &an);
	(void)dns_cursor_u16(&c, &ns);
	(void)dns_cursor_u16(&c, &ar);
	if (q->flags & DNS_FLAG_QR)
		return DNS_PARSE_DROP; /* never answer a response */
	if (DNS_OPCODE(q->flags) != 0)
		return DNS_PARSE_NOTIMP;
	if (qd != 1)
		return DNS_PARSE_FORMERR;
	nl = dns_read_name(&c, q->qname);
	if (nl < 0)
		return DNS_PARSE_FORMERR;
	if (dns_cursor_u16(&c, &q->qtype) < 0 || dns_cursor_u16(&c, &q->qclass) < 0)
		return DNS_PARSE_FORMERR;
	q->qname_len = (size_t)nl;
	q->has_question = true;

	/* Each record takes at least 11 bytes, so the loops are bounded by len. */
	for (unsigned i = 0; i < (unsigned)an + ns; i++)
		if (skip_rr(&c, q, false, &seen_opt, &badvers) < 0)
			return DNS_PARSE_FORMERR;
	for (unsigned i = 0; i < ar; i++)
		if (skip_rr(&c, q, true, &seen_opt, &badvers) < 0)
			return DNS_PARSE_FORMERR;
	/* Trailing bytes after the counted records are ignored. */
	return badvers ? DNS_PARSE_BADVERS : DNS_PARSE_OK;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int dns_writer_begin(struct dns_writer *w, uint8_t *buf, size_t size, const struct dns_query *q,
		     unsigned rcode, bool tcp)
{
	size_t limit;

	memset(w, 0, sizeof(*w));
	if (tcp)
		limit = 65535;
	else if (q->edns)
		limit = q->edns_udp_size < DNS_EDNS_PAYLOAD ? q->edns_udp_size : DNS_EDNS_PAYLOAD;
	else
		limit = DNS_UDP_PLAIN;
	if (limit > size)
		limit = size;
	if (limit < DNS_UDP_PLAIN)
		return -ENOBUFS;

	w->buf = buf;
	w->edns = q->edns;
	w->edns_do = q->edns_do;
	w->ext_rcode = (uint8_t)(rcode >> 4);
	w->limit = limit - (w->edns ? DNS_OPT_RR_SIZE : 0);

	uint16_t flags = DNS_FLAG_QR | (q->flags & (0xfu << 11)) |
			 (q->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | (uint16_t)(rcode & 0xfu);
	if (q->flags & DNS_FLAG_RD)
		flags |= DNS_FLAG_RA;
	put16(buf, q->id);
	put16(buf + 2, flags);
	memset(buf + 4, 0, 8);
	w->len = DNS_HEADER_SIZE;
	if (q->has_question) {
		/* qname_len <= 255: always fits in the 512-byte minimum. */
		memcpy(buf + w->len, q->qname, q->qname_len);
		w->len += q->qname_len;
		put16(buf + w->len, q->qtype);
		put16(buf + w->len + 2, q->qclass);
		w->len += 4;
		put16(buf + 4, 1);
	}
	return 0;
}

int dns_writer_add_answer(struct dns_writer *w, uint16_t type, uint32_t ttl, const uint8_t *rdata,
			  size_t rdlen)
{
	size_t need = 2 + 10 + rdlen;

	if (w->truncated || rdlen > 65535 || need > w->limit - w->len) {
		w->truncated = true;
		return -ENOBUFS;
	}
	uint8_t *p = w->buf + w->len;
	put16(p, 0xc00c);
	put16(p + 2, type);
	put16(p + 4, DNS_CLASS_IN);
	put32(p + 6, ttl);
	put16(p + 10, (uint16_t)rdlen);
	if (rdlen)
		memcpy(p + 12, rdata, rdlen);
	w->len += need;
	w->ancount++;
	return 0;
}

size_t dns_writer_finish(struct dns_writer *w)
{
	put16(w->buf + 6, w->ancount);
	if (w->truncated)
		w->buf[2] |= (uint8_t)(DNS_FLAG_TC >> 8);
	if (w->edns) {
		/* The reserve guarantees the room. */
		uint8_t *p = w->buf + w->len;
		p[0] = 0;
		put16(p + 1, DNS_TYPE_OPT);
		put16(p + 3, DNS_EDNS_PAYLOAD);
		put32(p + 5, ((uint32_t)w->ext_rcode << 24) | (w->edns_do ? 0x8000u : 0));
		put16(p + 9, 0);
		w->len += DNS_OPT_RR_SIZE;
		put16(w->buf + 10, 1);
	}
	return w->len;
}
