// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: forwarding records. A forward names its client by value (UDP:
 * listener id + address; TCP: connection slot + generation), so an answer for
 * a client that has gone is dropped instead of reaching freed memory. When no
 * record is free, or c-ares cannot take the query, the client gets SERVFAIL.
 */
#include "server-internal.h"

#include "basic/log.h"

#include <ares.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/*
 * Header + first question of `q` with QR, RA and rcode SERVFAIL. Returns the
 * length, 0 when even the header is missing.
 */
static size_t build_servfail(const uint8_t *q, size_t len, uint8_t *out)
{
	size_t pos = 12;
	uint16_t qd;

	if (len < 12)
		return 0;
	memcpy(out, q, 12);
	qd = (uint16_t)(q[4] << 8 | q[5]);
	if (qd >= 1) {
		bool ok = false;
		/* Labels only (no compression pointers in a question), bounded by len. */
		while (pos < len) {
			uint8_t l = q[pos];
			if (l == 0) {
				ok = len - pos - 1 >= 4;
				pos += 1 + 4;
				break;
			}
			if (l > 63 || (size_t)l >= len - pos - 1)
				break;
			pos += 1 + (size_t)l;
		}
		if (ok && pos - 12 <= 255 + 4) {
			memcpy(out + 12, q + 12, pos - 12);
		} else {
			pos = 12;
			qd = 0;
		}
	} else {
		pos = 12;
	}
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD; AA/TC cleared */
	out[3] = 0x80 | 2;                        /* RA, SERVFAIL */
	out[4] = 0;
	out[5] = qd ? 1 : 0;
	memset(out + 6, 0, 6);
	return pos;
}

static void log_forward_failure(struct server *s, int status)
{
	uint64_t now = now_ms();

	if (s->last_fail_log && now - s->last_fail_log < FAIL_LOG_INTERVAL_MS) {
		s->fail_suppressed++;
		return;
	}
	if (s->fail_suppressed)
		log_info("dns request failed: %s (%u similar messages suppressed)",
			 ares_strerror(status), s->fail_suppressed);
	else
		log_info("dns request failed: %s", ares_strerror(status));
	s->last_fail_log = now;
	s->fail_suppressed = 0;
}

static struct server *cb_server; /* the one server: forwarding callbacks find it here */

void forward_init(struct server *s)
{
	for (int i = 0; i < SERVER_MAX_FORWARDS; i++)
		s->fwds[i].next_free = i + 1 < SERVER_MAX_FORWARDS ? i + 1 : -1;
	s->fwd_free = 0;
	cb_server = s;
}

void forward_detach(struct server *s)
{
	if (cb_server == s)
		cb_server = NULL;
}

static void fwd_release(struct server *s, struct fwd *f)
{
	f->used = false;
	f->next_free = s->fwd_free;
	s->fwd_free = (int)(f - s->fwds);
}

static void forward_done(void *userdata, int status, const uint8_t *answer, size_t len)
{
	struct server *s = cb_server;
	struct fwd *f = userdata;

	if (f->tcp) {
		struct conn *c = &s->conns[f->slot];
		bool alive = c->used && c->gen == f->gen;
		if (alive && c->pending > 0)
			c->pending--;
		if (alive && answer) {
			memcpy(s->resp, answer, len);
			s->resp[0] = (uint8_t)(f->client_id >> 8);
			s->resp[1] = (uint8_t)f->client_id;
			conn_queue(s, (int)f->slot, s->resp, len);
		}
		if (alive)
			conn_mark_resume(s, (int)f->slot); /* flushed from the loop */
	} else if (answer) {
		struct listener *l = listener_by_id(s, f->listener_id);
		if (l && l->udp_fd >= 0) {
			memcpy(s->resp, answer, len);
			s->resp[0] = (uint8_t)(f->client_id >> 8);
			s->resp[1] = (uint8_t)f->client_id;
			(void)sendto(l->udp_fd, s->resp, len, MSG_DONTWAIT, (struct sockaddr *)&f->sa,
				     f->salen);
		}
	}
	if (!answer && status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
		log_forward_failure(s, status);
	fwd_release(s, f);
}

bool forward_start(struct server *s, struct fwd *tmpl, const struct dns_upstreams *ups,
			  const uint8_t *q, size_t len, size_t *ret_len)
{
	struct fwd *f;
	int r;

	*ret_len = 0;
	if (s->fwd_free < 0) {
		log_forward_failure(s, ARES_ENOMEM);
		*ret_len = build_servfail(q, len, s->resp);
		return false;
	}
	f = &s->fwds[s->fwd_free];
	s->fwd_free = f->next_free;
	*f = *tmpl;
	f->used = true;
	f->client_id = (uint16_t)(q[0] << 8 | q[1]);
	r = upstream_forward(s->up, ups->servers, ups->scopes, ups->n, f->tcp, q, len, forward_done,
			     f);
	if (r < 0) {
		fwd_release(s, f);
		log_debug("cannot forward: %s", strerror(-r));
		*ret_len = build_servfail(q, len, s->resp);
		return false;
	}
	return true;
}

enum dns_verdict server_answer(struct server *s, const struct berth_ip *src, const char *network,
			       bool tcp, const uint8_t *q, size_t len, size_t *ret_len,
			       struct dns_upstreams *ups)
{
	struct dns_query_ctx ctx = {
		.source = *src,
		.listener_network = network,
		.search_domain = s->cfg.search_domain,
		.no_proxy = s->cfg.no_proxy,
		.tcp = tcp,
	};
	*ret_len = 0;
	return dns_answer(s->tables, &ctx, q, len, s->resp, ret_len, ups);
}
