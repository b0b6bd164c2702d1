// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the DNS query parser and dns_answer() on a fixed table set
 * built once from tests/fixtures/aardvark/three. The first input byte picks
 * the source address (known containers on one, two or only internal
 * networks, or unknown), the listener network and the transport; the rest is
 * the query. Built with -Dfuzzing=true (clang) it is a libFuzzer binary:
 *   build/tests/fuzz-dns-packet tests/fuzz/corpus/dns-packet
 * Otherwise tests/fuzz/replay.c replays every file of a corpus directory.
 */
#include "packet.h"
#include "resolve.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_tables *tables;
static uint8_t out[DNS_MAX_UDP];

static const char *const sources[] = {
	"10.88.1.2", "10.88.1.3", "10.88.2.3", "10.88.3.2", "10.88.1.8",
	"fd88:1::2", "192.0.2.1", "10.88.5.7",
};
static const char *const listeners[] = { "alpha", "beta", "gamma", "many", "delta", "nosuch" };

static void init(void)
{
	struct berth_ip resolv[2];
	log_set_level(LOG_LEVEL_OFF);
	if (berth_ip_parse("192.0.2.53", &resolv[0]) < 0 ||
	    berth_ip_parse("2001:db8::53", &resolv[1]) < 0)
		abort();
	if (dns_tables_build(ADV_FIXTURES "/three", resolv, 2, &tables) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query_ctx ctx = { .search_domain = DNS_DEFAULT_SEARCH };
	struct dns_upstreams up = { 0 };
	struct dns_query q;
	size_t len = 0;

	if (!tables)
		init();
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	if (berth_ip_parse(sources[sel % ARRAY_SIZE(sources)], &ctx.source) < 0)
		abort();
	ctx.listener_network = listeners[(sel >> 3) % ARRAY_SIZE(listeners)];
	ctx.tcp = sel & 0x40;
	ctx.no_proxy = (sel & 0xb0) == 0xb0;

	(void)dns_parse_query(data, size, &q);
	enum dns_verdict v = dns_answer(tables, &ctx, data, size, out, &len, &up);
	switch (v) {
	case DNS_REPLY: {
		size_t limit = ctx.tcp ? 65535 : DNS_EDNS_PAYLOAD;
		if (len < DNS_HEADER_SIZE || len > limit)
			abort();
		if (len > DNS_UDP_PLAIN && !ctx.tcp && !q.edns)
			abort();
		/* The response is well formed and answers the query's id. */
		struct dns_cursor c = { out, 0, len };
		uint16_t id, flags, qd, an, ns, ar;
		if (dns_cursor_u16(&c, &id) || dns_cursor_u16(&c, &flags) ||
		    dns_cursor_u16(&c, &qd) || dns_cursor_u16(&c, &an) ||
		    dns_cursor_u16(&c, &ns) || dns_cursor_u16(&c, &ar))
			abort();
		if (!(flags & DNS_FLAG_QR) || id != (uint16_t)((data[0] << 8) | data[1]))
			abort();
		for (unsigned i = 0; i < qd; i++)
			if (dns_read_name(&c, NULL) < 0 || dns_cursor_skip(&c, 4))
				abort();
		for (unsigned i = 0; i < (unsigned)an + ns + ar; i++) {
			uint16_t rdlen;
			if (dns_read_name(&c, NULL) < 0 || dns_cursor_skip(&c, 8) ||
			    dns_cursor_u16(&c, &rdlen) || dns_cursor_skip(&c, rdlen))
				abort();
		}
		if (c.pos != len)
			abort();
		break;
	}
	case DNS_FORWARD:
		if (!up.n || !up.servers)
			abort();
		break;
	case DNS_DROP:
		break;
	default:
		abort();
	}
	return 0;
}
