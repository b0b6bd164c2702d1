// SPDX-License-Identifier: Apache-2.0
/*
 * dns/resolve.c end to end on tests/fixtures/aardvark/three:
 *   alpha      10.88.1.1,fd88:1::1, upstream 9.9.9.9: web (A 10.88.1.2, own 1.1.1.1),
 *              multi (B), gee (G), both (H)
 *   beta       10.88.2.1: multi (B), beta-only (C), web (D 10.88.2.10)
 *   delta      10.88.4.1, upstreams 8.8.4.4,9.9.9.9: gee (G)
 *   gamma%int  10.88.3.1: secret (E, only internal), both (H, own 4.4.4.4 ignored)
 *   many       10.88.5.1: rr on 100 containers (dual stack)
 *   broken (bad line 1), aardvark.pid and a dot file are ignored.
 */
#include "packet.h"
#include "resolve.h"

#include "basic/log.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define DNS_TYPE_MX_TEST 15

#include "dns-wire.h"

/* ---- fixture ---- */

static struct dns_tables *T;
static uint8_t out[DNS_MAX_UDP];
static struct tr_msg M;

static struct berth_ip ip(const char *s)
{
	struct berth_ip r;
	assert_int_equal(berth_ip_parse(s, &r), 0);
	return r;
}

static int setup(void **state)
{
	struct berth_ip resolv[2];
	log_set_level(LOG_LEVEL_OFF);
	if (berth_ip_parse("192.0.2.53", &resolv[0]) < 0 ||
	    berth_ip_parse("2001:db8::53", &resolv[1]) < 0)
		return -1;
	return dns_tables_build(ADV_FIXTURES "/three", resolv, 2, &T) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	dns_tables_free(T);
	return 0;
}

struct res {
	enum dns_verdict v;
	size_t len;
	struct dns_upstreams up;
};

static struct res ask_ex(const struct dns_tables *t, const char *src, const char *listener,
			 const char *name, uint16_t type, unsigned edns, bool tcp, bool no_proxy)
{
	uint8_t q[512];
	struct dns_query_ctx ctx = {
		.source = ip(src),
		.listener_network = listener,
		.search_domain = DNS_DEFAULT_SEARCH,
		.tcp = tcp,
		.no_proxy = no_proxy,
	};
	struct res r = { 0 };
	size_t n = tq_query(q, 0x4242, name, type, 0x0100, edns, false);
	r.v = dns_answer(t, &ctx, q, n, out, &r.len, &r.up);
	if (r.v == DNS_REPLY) {
		assert_true(tr_parse(out, r.len, &M));
		assert_int_equal(M.id, 0x4242);
		assert_int_equal(M.qd, 1);
		assert_int_equal(M.qtype, type);
	}
	return r;
}

static struct res ask(const char *src, const char *listener, const char *name, uint16_t type)
{
	return ask_ex(T, src, listener, name, type, 0, false, false);
}

static unsigned rcode(void)
{
	return M.flags & 0xf;
}

/* The answers as "a,b,c" text (A/AAAA addresses, PTR targets). */
static const char *answers(void)
{
	static char buf[4096];
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < M.an && i < M.n_rr; i++) {
		const struct tr_rr *r = &M.rr[i];
		char tmp[300];
		assert_int_equal(r->ttl, 0);
		assert_int_equal(r->klass, DNS_CLASS_IN);
		/* owner: the question name */
		assert_int_equal(r->name_len, M.qname_len);
		assert_memory_equal(r->name, M.qname, (size_t)M.qname_len);
		if (r->type == DNS_TYPE_A || r->type == DNS_TYPE_AAAA) {
			struct berth_ip a = { .family = r->type == DNS_TYPE_A ? AF_INET : AF_INET6 };
			memcpy(a.b, out + r->rdata_off, r->rdlen);
			berth_ip_fmt(&a, tmp);
		} else if (r->type == DNS_TYPE_PTR) {
			struct dns_cursor c = { out, r->rdata_off, r->rdata_off + r->rdlen };
			uint8_t w[DNS_MAX_NAME_WIRE];
			int wl = dns_read_name(&c, w);
			assert_true(wl > 0);
			assert_int_equal(dns_name_to_text(w, (size_t)wl, tmp, sizeof(tmp)) >= 0, 1);
			strcat(tmp, ".");
		} else {
			strcpy(tmp, "?");
		}
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "," : "", tmp);
	}
	return buf;
}

static const char *ups(const struct res *r)
{
	static char buf[512];
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->up.n; i++) {
		char tmp[BERTH_IP_STRLEN];
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "," : "",
				      berth_ip_fmt(&r->up.servers[i], tmp));
	}
	return buf;
}

#define A_ ("10.88.1.2")  /* web on alpha, own upstream 1.1.1.1 */
#define B_ ("10.88.1.3")  /* multi on alpha + beta */
#define C_ ("10.88.2.4")  /* beta only */
#define E_ ("10.88.3.2")  /* internal only */
#define G_ ("10.88.1.7")  /* alpha + delta */
#define H_ ("10.88.1.8")  /* alpha + gamma%int */
#define HOST ("192.0.2.1") /* unknown source */

/* ---- tests ---- */

static void test_tables(void **state)
{
	const struct dns_listener *l;
	size_t n = dns_tables_listeners(T, &l);
	char tmp[BERTH_IP_STRLEN], buf[512] = "";

	assert_int_equal(dns_tables_n_networks(T), 5); /* broken, pid and dot file skipped */
	for (size_t i = 0; i < n; i++) {
		strcat(buf, berth_ip_fmt(&l[i].ip, tmp));
		strcat(buf, "=");
		strcat(buf, l[i].network);
		strcat(buf, " ");
	}
	assert_string_equal(buf, "10.88.1.1=alpha fd88:1::1=alpha 10.88.2.1=beta 10.88.4.1=delta "
				 "10.88.3.1=gamma 10.88.5.1=many ");
	assert_true(dns_tables_n_names(T) > 100);
}

static void test_names_aliases_case(void **state)
{
	struct res r = ask(A_, "alpha", "web", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), 0);
	assert_string_equal(answers(), "10.88.1.2");
	assert_int_equal(M.flags & 0xfff0, 0x8180); /* QR RD RA, no AA/AD/TC */

	ask(A_, "alpha", "WWW.", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2");
	ask(A_, "alpha", "aaaa00000000", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2");
	ask(A_, "alpha", "Web.Dns.Podman", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2");
	/* The owner is the name as asked, with case preserved. */
	assert_memory_equal(M.qname, "\3Web\3Dns\6Podman", 15);
	ask(A_, "alpha", "web", DNS_TYPE_AAAA);
	assert_string_equal(answers(), "fd88:1::2");
	/* "Multi" in the file is matched lowercased. */
	ask(B_, "alpha", "MULTI", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.3,10.88.2.3");
}

static void test_nodata(void **state)
{
	struct res r = ask(A_, "alpha", "multi", DNS_TYPE_AAAA);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_NOERROR);
	assert_int_equal(M.an, 0);
}

static void test_visibility(void **state)
{
	/* web: alpha 10.88.1.2, beta 10.88.2.10. */
	ask(A_, "alpha", "web", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2");
	ask(B_, "alpha", "web", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2,10.88.2.10");
	/* The same container asking from its other address. */
	ask("10.88.2.3", "beta", "web", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2,10.88.2.10");
	ask(C_, "beta", "web", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.2.10");
	/* beta-only is not visible from alpha: forwarded (not under the search domain). */
	struct res r = ask(A_, "alpha", "beta-only", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
	r = ask(A_, "alpha", "beta-only.dns.podman", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	/* secret (internal) is visible from gamma only. */
	ask(H_, "alpha", "secret", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.3.2");
	ask(E_, "gamma", "both", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.3.8");
	ask(H_, "alpha", "both", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.8,10.88.3.8");
	/* Unknown source: the listener's network only. */
	ask(HOST, "beta", "web", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.2.10");
	ask(HOST, "alpha", "web", DNS_TYPE_A);
	assert_string_equal(answers(), "10.88.1.2");
	r = ask(HOST, "beta", "secret", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
	r = ask(HOST, "nosuch", "web", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
}

static void test_ptr(void **state)
{
	struct res r = ask(B_, "alpha", "2.1.88.10.in-addr.arpa", DNS_TYPE_PTR);
	assert_int_equal(r.v, DNS_REPLY);
	assert_string_equal(answers(), "web.,aaaa00000000.,www.");
	ask(A_, "alpha", "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.8.d.f.ip6.arpa",
	    DNS_TYPE_PTR);
	assert_string_equal(answers(), "web.,aaaa00000000.,www.");
	ask(B_, "alpha", "3.2.88.10.IN-ADDR.ARPA.", DNS_TYPE_PTR);
	assert_string_equal(answers(), "multi.,bbbb00000000.");
	/* Not in the requester's networks, or unknown requester: forwarded. */
	r = ask(A_, "alpha", "4.2.88.10.in-addr.arpa", DNS_TYPE_PTR);
	assert_int_equal(r.v, DNS_FORWARD);
	r = ask(HOST, "alpha", "2.1.88.10.in-addr.arpa", DNS_TYPE_PTR);
	assert_int_equal(r.v, DNS_FORWARD);
	r = ask(A_, "alpha", "1.2.3.4.in-addr.arpa", DNS_TYPE_PTR);
	assert_int_equal(r.v, DNS_FORWARD);
	r = ask(A_, "alpha", "2.1.88.010.in-addr.arpa.x", DNS_TYPE_PTR);
	assert_int_equal(r.v, DNS_FORWARD);
}

static void test_internal(void **state)
{
	/* E is only on an internal network: never forwarded. */
	struct res r = ask(E_, "gamma", "example.com", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	r = ask(E_, "gamma", "web", DNS_TYPE_MX_TEST);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	/* H is also on alpha: forwarded; its own 4.4.4.4 is on the internal line, ignored. */
	r = ask(H_, "alpha", "example.com", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
	assert_string_equal(ups(&r), "9.9.9.9");
}

static void test_forward_upstreams(void **state)
{
	struct res r;

	r = ask(A_, "alpha", "example.com", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
	assert_string_equal(ups(&r), "1.1.1.1"); /* the container's own */
	assert_int_equal(r.len, 0);
	r = ask("fd88:1::2", "alpha", "example.com", DNS_TYPE_AAAA);
	assert_string_equal(ups(&r), "1.1.1.1");
	r = ask(B_, "alpha", "example.com", DNS_TYPE_A);
	assert_string_equal(ups(&r), "9.9.9.9"); /* alpha's; beta has none */
	r = ask(G_, "alpha", "example.com", DNS_TYPE_A);
	assert_string_equal(ups(&r), "9.9.9.9,8.8.4.4"); /* union, deduplicated */
	r = ask(C_, "beta", "example.com", DNS_TYPE_A);
	assert_string_equal(ups(&r), "192.0.2.53,2001:db8::53"); /* resolv.conf */
	/* Unknown source: the listener network's servers, else resolv.conf. */
	r = ask(HOST, "delta", "example.com", DNS_TYPE_A);
	assert_string_equal(ups(&r), "8.8.4.4,9.9.9.9");
	r = ask(HOST, "beta", "example.com", DNS_TYPE_A);
	assert_string_equal(ups(&r), "192.0.2.53,2001:db8::53");
	/* Other types for a known name are forwarded too. */
	r = ask(A_, "alpha", "web", DNS_TYPE_MX_TEST);
	assert_int_equal(r.v, DNS_FORWARD);
	/* Single-label unknown names are forwarded (modern behaviour). */
	r = ask(A_, "alpha", "foo", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
}

static void test_nxdomain_rules(void **state)
{
	struct res r = ask(A_, "alpha", "nosuch.dns.podman", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	assert_int_equal(M.an, 0);
	r = ask(A_, "alpha", "web.dns.podman", DNS_TYPE_MX_TEST);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	r = ask(A_, "alpha", "dns.podman", DNS_TYPE_A);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	r = ask(A_, "alpha", "xdns.podman", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_FORWARD);
	/* AARDVARK_NO_PROXY. */
	r = ask_ex(T, A_, "alpha", "example.com", DNS_TYPE_A, 0, false, true);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_NXDOMAIN);
	/* Local names still answer with no_proxy. */
	ask_ex(T, A_, "alpha", "web", DNS_TYPE_A, 0, false, true);
	assert_string_equal(answers(), "10.88.1.2");
}

static void test_no_upstream_servfail(void **state)
{
	struct dns_tables *t = NULL;
	assert_int_equal(dns_tables_build(ADV_FIXTURES "/three", NULL, 0, &t), 0);
	struct res r = ask_ex(t, C_, "beta", "example.com", DNS_TYPE_A, 0, false, false);
	assert_int_equal(r.v, DNS_REPLY);
	assert_int_equal(rcode(), DNS_RCODE_SERVFAIL);
	r = ask_ex(t, A_, "alpha", "example.com", DNS_TYPE_A, 0, false, false);
	assert_int_equal(r.v, DNS_FORWARD);
	dns_tables_free(t);

	/* A missing directory is an error; an empty one is fine. */
	assert_int_equal(dns_tables_build("/nonexistent/berth", NULL, 0, &t), -ENOENT);
}

static void test_truncation(void **state)
{
	/* 100 addresses from the "many" network, asked by an unknown source there. */
	struct res r = ask(HOST, "many", "rr", DNS_TYPE_A);
	assert_int_equal(r.v, DNS_REPLY);
	assert_true(r.len <= 512);
	assert_true(M.flags & DNS_FLAG_TC);
	assert_true(M.an > 20 && M.an < 100);
	r = ask(HOST, "many", "rr", DNS_TYPE_AAAA);
	assert_true(r.len <= 512);
	assert_true(M.flags & DNS_FLAG_TC);
	/* EDNS 4096: capped at 1232, OPT present. */
	r = ask_ex(T, HOST, "many", "rr", DNS_TYPE_AAAA, 4096, false, false);
	assert_true(r.len <= 1232 && r.len > 1232 - 28);
	assert_true(M.flags & DNS_FLAG_TC);
	assert_int_equal(M.ar, 1);
	/* TCP: all of them. */
	r = ask_ex(T, HOST, "many", "rr", DNS_TYPE_A, 0, true, false);
	assert_false(M.flags & DNS_FLAG_TC);
	assert_int_equal(M.an, 100);
	r = ask_ex(T, "10.88.5.50", "many", "rr", DNS_TYPE_AAAA, 0, true, false);
	assert_int_equal(M.an, 100);
	assert_string_equal(answers() + strlen(answers()) - 11, "fd88:5::101");
}

static void test_malformed(void **state)
{
	uint8_t q[512];
	struct dns_query_ctx ctx = { .source = ip(A_), .listener_network = "alpha",
				     .search_domain = "dns.podman" };
	struct dns_upstreams up;
	size_t len = 0, n = tq_query(q, 7, "web", DNS_TYPE_A, 0x0100, 0, false);

	assert_int_equal(dns_answer(T, &ctx, q, 5, out, &len, &up), DNS_DROP);
	q[5] = 2;
	assert_int_equal(dns_answer(T, &ctx, q, n, out, &len, &up), DNS_REPLY);
	assert_true(tr_parse(out, len, &M));
	assert_int_equal(M.flags & 0xf, DNS_RCODE_FORMERR);
	assert_int_equal(M.id, 7);
	q[5] = 1;
	q[2] = 0x10; /* STATUS */
	assert_int_equal(dns_answer(T, &ctx, q, n, out, &len, &up), DNS_REPLY);
	assert_true(tr_parse(out, len, &M));
	assert_int_equal(M.flags & 0xf, DNS_RCODE_NOTIMP);
	q[2] = 0x81; /* a response */
	assert_int_equal(dns_answer(T, &ctx, q, n, out, &len, &up), DNS_DROP);
}

static void test_resolv_conf(void **state)
{
	struct berth_ip s[DNS_MAX_UPSTREAMS];
	char tmp[BERTH_IP_STRLEN];
	static const char ok[] = "# generated\nsearch example.com\n"
				 "nameserver 192.0.2.1 # first\n"
				 "  nameserver\tfe80::1%eth0\n"
				 "; nameserver 10.9.9.9\n"
				 "nameserver 2001:db8::1%2\n"
				 "nameserver 10.0.0.4\n"
				 "options edns0\n";
	assert_int_equal(dns_parse_resolv_conf(ok, strlen(ok), s, DNS_MAX_UPSTREAMS), 3);
	assert_string_equal(berth_ip_fmt(&s[0], tmp), "192.0.2.1");
	assert_string_equal(berth_ip_fmt(&s[1], tmp), "fe80::1");
	assert_string_equal(berth_ip_fmt(&s[2], tmp), "2001:db8::1");
	assert_int_equal(dns_parse_resolv_conf("", 0, s, 3), 0);
	assert_int_equal(dns_parse_resolv_conf("nameserver 1.1.1.1", 18, s, 1), 1);
	static const char *const bad[] = {
		"nameserver 10.0.0.1%eth0\n", "nameserver\n",          "nameserver 1.2.3\n",
		"nameserver 1.1.1.1 2.2.2.2\n", "nameserver fe80::1%\n", "nameserver x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dns_parse_resolv_conf(bad[i], strlen(bad[i]), s, 3), -EINVAL);
	/* A bad line after three good ones still fails. */
	static const char late[] = "nameserver 1.1.1.1\nnameserver 1.1.1.2\nnameserver 1.1.1.3\n"
				   "nameserver bogus\n";
	assert_int_equal(dns_parse_resolv_conf(late, strlen(late), s, 3), -EINVAL);
}

/* Link-local upstreams: the zone is kept (as an index or a name) and reaches the forward. */
static void test_resolv_conf_zones(void **state)
{
	struct dns_nameserver ns[DNS_MAX_UPSTREAMS];
	char tmp[BERTH_IP_STRLEN];
	static const char conf[] = "nameserver fe80::1%eth0\n"
				   "nameserver fe80::2%7\n"
				   "nameserver 192.0.2.1\n";

	assert_int_equal(dns_parse_nameservers(conf, strlen(conf), ns, DNS_MAX_UPSTREAMS), 3);
	assert_string_equal(berth_ip_fmt(&ns[0].ip, tmp), "fe80::1");
	assert_string_equal(ns[0].zone, "eth0");
	assert_int_equal(ns[0].scope_id, 0); /* a name: resolved later */
	assert_string_equal(berth_ip_fmt(&ns[1].ip, tmp), "fe80::2");
	assert_string_equal(ns[1].zone, "7");
	assert_int_equal(ns[1].scope_id, 7); /* a number: the index itself */
	assert_string_equal(ns[2].zone, "");
	assert_int_equal(ns[2].scope_id, 0);

	/* Names become indexes ("lo" is 1 in every network namespace); numbers stay. */
	struct dns_nameserver lo = { .zone = "lo" };
	assert_int_equal(berth_ip_parse("fe80::1", &lo.ip), 0);
	assert_int_equal(dns_nameserver_resolve_zone(&lo), 0);
	assert_int_equal(lo.scope_id, 1);
	assert_int_equal(dns_nameserver_resolve_zone(&ns[1]), 0);
	assert_int_equal(ns[1].scope_id, 7);
	assert_int_equal(dns_nameserver_resolve_zone(&ns[2]), 0);
	assert_int_equal(ns[2].scope_id, 0);
	struct dns_nameserver none = { .zone = "berthnosuch0" };
	assert_int_equal(dns_nameserver_resolve_zone(&none), -ENODEV);

	static const char *const bad[] = {
		"nameserver fe80::1%0\n",                /* index 0 is no interface */
		"nameserver fe80::1%4294967296\n",       /* beyond 32 bits */
		"nameserver fe80::1%12abc\n",            /* neither a number nor a name */
		"nameserver fe80::1%abcdefghijklmnop\n", /* 16 bytes: longer than IFNAMSIZ - 1 */
		"nameserver fe80::1%et/h0\n",
		"nameserver 192.0.2.1%1\n",              /* no zones on IPv4 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dns_parse_nameservers(bad[i], strlen(bad[i]), ns, 3), -EINVAL);
	/* 15 bytes is the longest interface name. */
	static const char longest[] = "nameserver fe80::1%abcdefghijklmno\n";
	assert_int_equal(dns_parse_nameservers(longest, strlen(longest), ns, 3), 1);
	assert_string_equal(ns[0].zone, "abcdefghijklmno");

	/* The scope ids travel with resolv.conf's servers into the forward decision. */
	struct dns_tables *t = NULL;
	struct dns_nameserver up[2] = { { .scope_id = 5 }, { .scope_id = 0 } };
	assert_int_equal(berth_ip_parse("fe80::53", &up[0].ip), 0);
	assert_int_equal(berth_ip_parse("192.0.2.53", &up[1].ip), 0);
	assert_int_equal(dns_tables_build_ns(ADV_FIXTURES "/three", up, 2, &t), 0);
	struct res r = ask_ex(t, C_, "beta", "example.com", DNS_TYPE_A, 0, false, false);
	assert_int_equal(r.v, DNS_FORWARD);
	assert_string_equal(ups(&r), "fe80::53,192.0.2.53");
	assert_non_null(r.up.scopes);
	assert_int_equal(r.up.scopes[0], 5);
	assert_int_equal(r.up.scopes[1], 0);
	/* Network and container servers carry no zones. */
	r = ask_ex(t, A_, "alpha", "example.com", DNS_TYPE_A, 0, false, false);
	assert_int_equal(r.v, DNS_FORWARD);
	assert_null(r.up.scopes);
	dns_tables_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_names_aliases_case),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_visibility),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_internal),
		cmocka_unit_test(test_forward_upstreams),
		cmocka_unit_test(test_nxdomain_rules),
		cmocka_unit_test(test_no_upstream_servfail),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_resolv_conf_zones),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
