// SPDX-License-Identifier: Apache-2.0
/* lib/ipam: allocation order, limits, the reference store format, GC, concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/time-util.h"
#include "ipam/ipam.h"

#define NET "testnet"

struct fx {
	char dir[64];
	char path[128]; /* dir/NET */
	struct berth_ipam_range r[4][4];
	struct berth_ipam_rangeset sets[4];
	struct berth_ipnet ex[8];
	struct berth_ipam_config c;
	struct berth_ipam_store *s;
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/berth-ipam-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, NET);
	f->c.sets = f->sets;
	f->c.exclude = f->ex;
	assert_int_equal(berth_ipam_store_open(f->dir, NET, 2000, &f->s, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	berth_ipam_store_free(f->s);
	(void)nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void ip(const char *s, struct berth_ip *ret)
{
	if (!s) {
		*ret = (struct berth_ip){0};
		return;
	}
	assert_int_equal(berth_ip_parse(s, ret), 0);
}

/* Add a range to set si (sets are created in order). */
static void add_range(struct fx *f, size_t si, const char *subnet, const char *start,
		      const char *end, const char *gw)
{
	if (si == f->c.n_sets) {
		f->sets[si].ranges = f->r[si];
		f->c.n_sets++;
	}
	struct berth_ipam_range *r = &f->r[si][f->sets[si].n_ranges++];
	assert_int_equal(berth_ipnet_parse(subnet, &r->subnet), 0);
	ip(start, &r->start);
	ip(end, &r->end);
	ip(gw, &r->gateway);
}

static void add_exclude(struct fx *f, const char *prefix)
{
	assert_int_equal(berth_ipnet_parse(prefix, &f->ex[f->c.n_exclude++]), 0);
}

static void canon(struct fx *f)
{
	_cleanup_berth_error_ struct berth_error *e = NULL;
	int r = berth_ipam_config_canonicalize(&f->c, &e);
	if (r < 0)
		fail_msg("canonicalize: %s", e ? e->msg : "?");
}

/* Allocate with one set; returns the address text in buf or the error. */
static int alloc1(struct fx *f, const char *id, const char *ifname, const char *req, char *buf)
{
	_cleanup_berth_error_ struct berth_error *e = NULL;
	struct berth_ipam_alloc a[4];
	struct berth_ip rq;
	if (req)
		ip(req, &rq);
	int r = berth_ipam_allocate(f->s, &f->c, id, ifname, req ? &rq : NULL, req ? 1 : 0, a, &e);
	if (r < 0) {
		assert_non_null(e);
		assert_int_equal(e->errnum, -r);
		return r;
	}
	berth_ipam_ip_name(&a[0].ip, buf);
	return 0;
}

static void expect_alloc(struct fx *f, const char *id, const char *want)
{
	char buf[BERTH_IP_STRLEN];
	assert_int_equal(alloc1(f, id, "eth0", NULL, buf), 0);
	assert_string_equal(buf, want);
}

static void read_store_file(struct fx *f, const char *name, char **ret, size_t *ret_len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->path, name);
	assert_int_equal(read_file_limited(p, 4096, ret, ret_len), 0);
}

static void write_store_file(struct fx *f, const char *name, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->path, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static bool store_has(struct fx *f, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->path, name);
	return access(p, F_OK) == 0;
}

static size_t count_leases(struct fx *f)
{
	struct berth_ipam_lease *l = NULL;
	size_t n = 0;
	assert_int_equal(berth_ipam_list(f->s, &l, &n, NULL), 0);
	berth_ipam_leases_free(l, n);
	return n;
}

static void test_order_and_exhaustion(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *buf = NULL;
	size_t len;

	add_range(f, 0, "10.88.0.0/29", NULL, NULL, NULL);
	canon(f);
	expect_alloc(f, "c1", "10.88.0.2"); /* .1 is the gateway */
	expect_alloc(f, "c2", "10.88.0.3");

	read_store_file(f, "10.88.0.2", &buf, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(buf, "c1\r\neth0", 8);
	free(TAKE_PTR(buf));
	read_store_file(f, "last_reserved_ip.0", &buf, &len);
	assert_string_equal(buf, "10.88.0.3");
	assert_true(store_has(f, "lock"));

	/* Round robin: a released address is not reused until the range wraps. */
	assert_int_equal(berth_ipam_release(f->s, "c1", "eth0", NULL), 1);
	expect_alloc(f, "c3", "10.88.0.4");
	expect_alloc(f, "c4", "10.88.0.5");
	expect_alloc(f, "c5", "10.88.0.6"); /* .7 is the broadcast */
	expect_alloc(f, "c6", "10.88.0.2");
	char out[BERTH_IP_STRLEN];
	assert_int_equal(alloc1(f, "c7", "eth0", NULL, out), -ENOSPC);
	assert_int_equal(count_leases(f), 5);
	/* Same attachment twice in a set. */
	assert_int_equal(berth_ipam_release(f->s, "c6", "eth0", NULL), 1);
	assert_int_equal(alloc1(f, "c5", "eth0", NULL, out), -EEXIST);
	/* The same id on another interface is another attachment. */
	assert_int_equal(alloc1(f, "c5", "eth1", NULL, out), 0);
	assert_string_equal(out, "10.88.0.2");
}

static void test_ranges_in_set(void **state)
{
	struct fx *f = *state;
	/* Two ranges in one set form one pool, tried in order, with wrap-around. */
	add_range(f, 0, "10.10.0.0/16", "10.10.1.20", "10.10.1.21", "10.10.0.254");
	add_range(f, 0, "172.16.5.0/24", "172.16.5.253", NULL, NULL);
	canon(f);
	expect_alloc(f, "a", "10.10.1.20");
	expect_alloc(f, "b", "10.10.1.21");
	expect_alloc(f, "c", "172.16.5.253");
	expect_alloc(f, "d", "172.16.5.254");
	char out[BERTH_IP_STRLEN];
	assert_int_equal(alloc1(f, "e", "eth0", NULL, out), -ENOSPC);
	assert_int_equal(berth_ipam_release(f->s, "b", "eth0", NULL), 1);
	expect_alloc(f, "e", "10.10.1.21");
}

static void test_exclusions(void **state)
{
	struct fx *f = *state;
	add_range(f, 0, "10.0.0.0/28", NULL, NULL, NULL);
	add_exclude(f, "10.0.0.2/32");
	add_exclude(f, "10.0.0.4/30");
	add_exclude(f, "10.0.0.12/30"); /* reaches past rangeEnd (.14) */
	canon(f);
	expect_alloc(f, "a", "10.0.0.3");
	expect_alloc(f, "b", "10.0.0.8");
	expect_alloc(f, "c", "10.0.0.9");
	expect_alloc(f, "d", "10.0.0.10");
	expect_alloc(f, "e", "10.0.0.11");
	char out[BERTH_IP_STRLEN];
	assert_int_equal(alloc1(f, "f", "eth0", NULL, out), -ENOSPC);
	assert_int_equal(alloc1(f, "f", "eth0", "10.0.0.5", out), -EADDRNOTAVAIL);

	/* A huge v6 exclusion is skipped in one step. */
	struct fx *g = f;
	g->c.n_sets = 0;
	g->sets[0].n_ranges = 0;
	g->c.n_exclude = 0;
	add_range(g, 0, "fd00::/64", NULL, NULL, NULL);
	add_exclude(g, "fd00::/65");
	canon(g);
	int64_t t0 = berth_now_ms();
	expect_alloc(g, "v6", "fd00::8000:0:0:0");
	assert_true(berth_now_ms() - t0 < 1000);
}

static void test_v6(void **state)
{
	struct fx *f = *state;
	add_range(f, 0, "2001:db8:1::/120", NULL, NULL, NULL);
	canon(f);
	expect_alloc(f, "a", "2001:db8:1::2");
	assert_true(store_has(f, "2001:db8:1::2"));
	char out[BERTH_IP_STRLEN];
	/* v6 has no broadcast: the last address is handed out. */
	assert_int_equal(alloc1(f, "b", "eth0", "2001:db8:1::ff", out), 0);
	assert_string_equal(out, "2001:db8:1::ff");
	expect_alloc(f, "c", "2001:db8:1::3"); /* after ::ff, wrapped: ::1 gateway, ::2 taken */

	/* Go's text form, not glibc's dotted tails. */
	struct berth_ip x;
	static const char *const forms[][2] = {
	    {"::1.2.3.4", "::102:304"},
	    {"::ffff:1.2.3.4", "::ffff:102:304"},
	    {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
	    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	    {"::", "::"},
	    {"1::", "1::"},
	    {"FD00::A", "fd00::a"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		ip(forms[i][0], &x);
		assert_string_equal(berth_ipam_ip_name(&x, out), forms[i][1]);
	}
}

static void test_requested(void **state)
{
	struct fx *f = *state;
	char out[BERTH_IP_STRLEN];
	add_range(f, 0, "10.20.0.0/24", "10.20.0.10", "10.20.0.20", NULL);
	add_range(f, 1, "fd20::/64", NULL, NULL, NULL);
	canon(f);

	struct berth_ipam_alloc a[2];
	struct berth_ip rq;
	ip("10.20.0.15", &rq);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "a", "eth0", &rq, 1, a, NULL), 0);
	assert_string_equal(berth_ipam_ip_name(&a[0].ip, out), "10.20.0.15");
	assert_int_equal(a[0].prefixlen, 24);
	assert_string_equal(berth_ipam_ip_name(&a[0].gateway, out), "10.20.0.1");
	assert_string_equal(berth_ipam_ip_name(&a[1].ip, out), "fd20::2");
	assert_int_equal(a[1].set, 1);

	/* Taken, outside the range, the gateway. Nothing stays reserved. */
	_cleanup_berth_error_ struct berth_error *e = NULL;
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "b", "eth0", &rq, 1, a, &e), -EADDRINUSE);
	assert_non_null(
	    strstr(e->msg, "10.20.0.15 is not available in range set 10.20.0.10-10.20.0.20"));
	assert_int_equal(count_leases(f), 2);
	ip("10.20.0.9", &rq);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "b", "eth0", &rq, 1, a, NULL),
			 -EADDRNOTAVAIL);
	ip("192.0.2.1", &rq);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "b", "eth0", &rq, 1, a, NULL),
			 -EADDRNOTAVAIL);

	/* A failure in set 1 releases what set 0 got. */
	ip("fd20::2", &rq);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "b", "eth0", &rq, 1, a, NULL),
			 -EADDRINUSE);
	assert_int_equal(count_leases(f), 2);
	assert_false(store_has(f, "10.20.0.16"));

	/* Both sets requested. */
	struct berth_ip two[2];
	ip("fd20::99", &two[0]);
	ip("10.20.0.20", &two[1]);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "c", "eth0", two, 2, a, NULL), 0);
	assert_string_equal(berth_ipam_ip_name(&a[0].ip, out), "10.20.0.20");
	assert_string_equal(berth_ipam_ip_name(&a[1].ip, out), "fd20::99");
	/* Two requests for one set. */
	ip("10.20.0.11", &two[0]);
	ip("10.20.0.12", &two[1]);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "d", "eth0", two, 2, a, NULL), -EINVAL);

	/* The gateway, when it is inside the range. */
	f->c.n_sets = 0;
	f->sets[0].n_ranges = f->sets[1].n_ranges = 0;
	add_range(f, 0, "10.30.0.0/24", NULL, NULL, NULL);
	canon(f);
	assert_int_equal(alloc1(f, "g", "eth0", "10.30.0.1", out), -EADDRNOTAVAIL);
	assert_int_equal(alloc1(f, "g", "eth0", "10.30.0.255", out), -EADDRNOTAVAIL);
}

static void test_release(void **state)
{
	struct fx *f = *state;
	add_range(f, 0, "10.40.0.0/24", NULL, NULL, NULL);
	canon(f);
	expect_alloc(f, "a", "10.40.0.2");
	expect_alloc(f, "b", "10.40.0.3");
	assert_int_equal(berth_ipam_find(f->s, "a", "eth0", NULL), 1);
	assert_int_equal(berth_ipam_release(f->s, "a", "eth1", NULL), 0);
	assert_int_equal(berth_ipam_release(f->s, "a", "eth0", NULL), 1);
	assert_int_equal(berth_ipam_release(f->s, "a", "eth0", NULL), 0);
	assert_int_equal(berth_ipam_release(f->s, "zzz", "eth0", NULL), 0);
	assert_int_equal(berth_ipam_find(f->s, "a", "eth0", NULL), 0);
	assert_int_equal(count_leases(f), 1);

	/* Legacy files (id only) are released by id, when nothing matches fully. */
	write_store_file(f, "10.40.0.50", "old\n");
	assert_int_equal(berth_ipam_find(f->s, "old", "eth7", NULL), 1);
	assert_int_equal(berth_ipam_release(f->s, "old", "eth7", NULL), 1);
	assert_false(store_has(f, "10.40.0.50"));

	/* By address (a DEL's prevResult): found there, no scan; wrong hints fall back to it. */
	struct berth_ip hint[2];
	char c_ip[BERTH_IP_STRLEN], d_ip[BERTH_IP_STRLEN];
	assert_int_equal(alloc1(f, "c", "eth0", NULL, c_ip), 0);
	assert_int_equal(alloc1(f, "d", "eth0", NULL, d_ip), 0);
	assert_int_equal(berth_ip_parse(c_ip, &hint[0]), 0);
	assert_int_equal(berth_ipam_release_addrs(f->s, "c", "eth0", hint, 1, 1, NULL), 1);
	assert_false(store_has(f, c_ip));
	/* b's address named for d: b's lease stays, d's is found by the scan */
	assert_int_equal(berth_ip_parse("10.40.0.3", &hint[0]), 0);
	assert_int_equal(berth_ipam_release_addrs(f->s, "d", "eth0", hint, 1, 1, NULL), 1);
	assert_true(store_has(f, "10.40.0.3"));
	assert_false(store_has(f, d_ip));
	/* a missing file, no hints, and bad ids */
	assert_int_equal(berth_ip_parse("10.40.0.99", &hint[1]), 0);
	assert_int_equal(berth_ipam_release_addrs(f->s, "b", "eth0", &hint[1], 1, 1, NULL), 1);
	assert_int_equal(berth_ipam_release_addrs(f->s, "b", "eth0", NULL, 0, 1, NULL), 0);
	assert_int_equal(berth_ipam_release_addrs(f->s, "a b", "eth0", hint, 1, 1, NULL), -EINVAL);

	/* Bad ids never reach the store. */
	assert_int_equal(berth_ipam_release(f->s, "a b", "eth0", NULL), -EINVAL);
	assert_int_equal(berth_ipam_release(f->s, "a", "../x", NULL), -EINVAL);
	assert_int_equal(berth_ipam_release(f->s, "", "eth0", NULL), -EINVAL);
}

static int64_t cpu_ms(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_gc(void **state)
{
	struct fx *f = *state;
	add_range(f, 0, "10.50.0.0/16", NULL, NULL, NULL);
	canon(f);
	expect_alloc(f, "keep1", "10.50.0.2");
	expect_alloc(f, "keep2", "10.50.0.3");
	for (int i = 0; i < 1000; i++) {
		char name[32], content[64];
		snprintf(name, sizeof(name), "10.50.%d.%d", 10 + i / 200, 10 + i % 200);
		snprintf(content, sizeof(content), "stale%d\r\neth0", i);
		write_store_file(f, name, content);
	}
	write_store_file(f, "10.50.200.1", "keep3"); /* legacy, kept by id */
	write_store_file(f, "10.50.200.2", "");	     /* half-written (plugins#498) */
	write_store_file(f, "notes", "stale1\r\neth0");
	write_store_file(f, ".berth-lease.tmp", "x");

	const struct berth_ipam_attachment valid[] = {
	    {"keep1", "eth0"},
	    {"keep2", "eth0"},
	    {"keep3", "eth9"},
	    {"gone", "eth0"},
	};
	/*
	 * The budget (100 ms) is on the CPU time GC spends, in user space and
	 * in the kernel: wall time on a loaded 2-core machine also measures
	 * the other tenants. Wall time gets a loose sanity bound.
	 */
	int64_t t0 = berth_now_ms(), c0 = cpu_ms();
	int r = berth_ipam_gc(f->s, valid, ARRAY_SIZE(valid), NULL);
	int64_t dt = berth_now_ms() - t0, dc = cpu_ms() - c0;
	print_message("gc of 1001 stale leases: %lld ms cpu, %lld ms wall\n", (long long)dc,
		      (long long)dt);
	assert_int_equal(r, 1001);
	assert_true(dc < 100);
	assert_true(dt < 2000);
	assert_int_equal(count_leases(f), 3);
	assert_true(store_has(f, "10.50.0.2"));
	assert_true(store_has(f, "10.50.200.1"));
	assert_true(store_has(f, "lock"));
	assert_true(store_has(f, "last_reserved_ip.0"));
	assert_true(store_has(f, "notes"));
	assert_false(store_has(f, ".berth-lease.tmp"));
	/* Idempotent. */
	assert_int_equal(berth_ipam_gc(f->s, valid, ARRAY_SIZE(valid), NULL), 0);
	/* Nothing valid: everything goes. */
	assert_int_equal(berth_ipam_gc(f->s, NULL, 0, NULL), 3);
	assert_int_equal(count_leases(f), 0);
}

#define N_CHILD 3
#define N_EACH 25

static void test_concurrent(void **state)
{
	struct fx *f = *state;
	int fds[2];
	pid_t pids[N_CHILD];

	add_range(f, 0, "10.60.0.0/24", NULL, NULL, NULL);
	canon(f);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	for (int c = 0; c < N_CHILD; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			struct berth_ipam_store *s = NULL;
			close(fds[0]);
			/* A store of its own, as a separate plugin process has. */
			if (berth_ipam_store_open(f->dir, NET, 30000, &s, NULL) < 0)
				_exit(1);
			for (int i = 0; i < N_EACH; i++) {
				char id[32], line[64];
				struct berth_ipam_alloc a;
				snprintf(id, sizeof(id), "p%d-%d", c, i);
				if (berth_ipam_allocate(s, &f->c, id, "eth0", NULL, 0, &a, NULL) <
				    0)
					_exit(2);
				char t[BERTH_IP_STRLEN];
				int n = snprintf(line, sizeof(line), "%-15s\n",
						 berth_ipam_ip_name(&a.ip, t));
				if (write(fds[1], line, (size_t)n) != n)
					_exit(3);
			}
			berth_ipam_store_free(s);
			_exit(0);
		}
	}
	close(fds[1]);
	_cleanup_free_ char *all = NULL;
	size_t len;
	assert_int_equal(read_fd_limited(fds[0], 1 << 16, &all, &len), 0);
	close(fds[0]);
	for (int c = 0; c < N_CHILD; c++) {
		int st;
		assert_int_equal(waitpid(pids[c], &st, 0), pids[c]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(len, (size_t)N_CHILD * N_EACH * 16);
	/* Every address handed out once. */
	bool seen[256] = {0};
	for (size_t off = 0; off < len; off += 16) {
		struct berth_ip x;
		char line[16];
		memcpy(line, all + off, 15);
		line[15] = '\0';
		*strchrnul(line, ' ') = '\0';
		ip(line, &x);
		assert_false(seen[x.b[3]]);
		seen[x.b[3]] = true;
	}
	assert_int_equal(count_leases(f), N_CHILD * N_EACH);
}

/* Bytes as Debian 12's host-local 1.1.1 wrote them (docs/ipam.md). */
static void test_reference_store(void **state)
{
	struct fx *f = *state;
	char out[BERTH_IP_STRLEN];
	write_store_file(f, "10.88.0.2", "c1cid1385420766\r\neth0");
	write_store_file(f, "10.88.0.3", "c2cid\r\neth0");
	write_store_file(f, "last_reserved_ip.0", "10.88.0.3");
	write_store_file(f, "2001:db8:1::2", "c2cid\r\neth0");
	write_store_file(f, "last_reserved_ip.1", "2001:db8:1::2");

	add_range(f, 0, "10.88.0.0/16", NULL, NULL, NULL);
	add_range(f, 1, "2001:db8:1::/64", NULL, NULL, NULL);
	canon(f);

	struct berth_ipam_lease *l = NULL;
	size_t n = 0;
	assert_int_equal(berth_ipam_list(f->s, &l, &n, NULL), 0);
	assert_int_equal(n, 3);
	size_t hits = 0;
	for (size_t i = 0; i < n; i++) {
		berth_ipam_ip_name(&l[i].ip, out);
		if (streq(out, "10.88.0.2")) {
			assert_string_equal(l[i].id, "c1cid1385420766");
			assert_string_equal(l[i].ifname, "eth0");
			hits++;
		} else {
			assert_string_equal(l[i].id, "c2cid");
			assert_string_equal(l[i].ifname, "eth0");
		}
	}
	assert_int_equal(hits, 1);
	berth_ipam_leases_free(l, n);

	assert_int_equal(berth_ipam_find(f->s, "c1cid1385420766", "eth0", NULL), 1);
	struct berth_ipam_alloc a[2];
	assert_int_equal(
	    berth_ipam_allocate(f->s, &f->c, "c1cid1385420766", "eth0", NULL, 0, a, NULL), -EEXIST);
	assert_int_equal(berth_ipam_allocate(f->s, &f->c, "c3", "eth0", NULL, 0, a, NULL), 0);
	assert_string_equal(berth_ipam_ip_name(&a[0].ip, out), "10.88.0.4");
	assert_string_equal(berth_ipam_ip_name(&a[1].ip, out), "2001:db8:1::3");
	assert_int_equal(berth_ipam_release(f->s, "c2cid", "eth0", NULL), 2);
	assert_false(store_has(f, "10.88.0.3"));
	assert_false(store_has(f, "2001:db8:1::2"));

	/* A last_reserved_ip outside the set (ranges changed): start at rangeStart. */
	write_store_file(f, "last_reserved_ip.0", "192.0.2.7");
	expect_alloc(f, "c4", "10.88.0.3");
	write_store_file(f, "last_reserved_ip.0", "garbage");
	expect_alloc(f, "c5", "10.88.0.5");
}

static void test_canonicalize(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *subnet, *start, *end, *gw, *msg;
	} bad[] = {
	    {"10.0.0.0/31", NULL, NULL, NULL, "Network 10.0.0.0/31 too small to allocate from"},
	    {"fd00::/127", NULL, NULL, NULL, "too small"},
	    {"10.0.0.5/24", NULL, NULL, NULL, "host bits"},
	    {"10.0.0.0/24", "10.0.1.1", NULL, NULL, "rangeStart 10.0.1.1 not in network"},
	    {"10.0.0.0/24", NULL, "10.0.1.1", NULL, "rangeEnd"},
	    {"10.0.0.0/24", NULL, NULL, "fd00::1", "gateway"},
	    {"10.0.0.0/24", "10.0.0.9", "10.0.0.8", NULL, "after rangeEnd"},
	    {"::a00:0/120", NULL, NULL, NULL, "IPv4-compatible"},
	    {"::ffff:a00:0/120", NULL, NULL, NULL, "IPv4-mapped"},
	    {"::/64", NULL, NULL, NULL, "IPv4-compatible"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_berth_error_ struct berth_error *e = NULL;
		f->c.n_sets = 0;
		f->sets[0].n_ranges = 0;
		add_range(f, 0, bad[i].subnet, bad[i].start, bad[i].end, bad[i].gw);
		assert_int_equal(berth_ipam_config_canonicalize(&f->c, &e), -EINVAL);
		if (!strstr(e->msg, bad[i].msg))
			fail_msg("%zu: '%s' lacks '%s'", i, e->msg, bad[i].msg);
	}
	/* Mixed families, overlaps inside a set and across sets. */
	f->c.n_sets = 0;
	f->sets[0].n_ranges = 0;
	add_range(f, 0, "10.0.0.0/24", NULL, NULL, NULL);
	add_range(f, 0, "fd00::/64", NULL, NULL, NULL);
	assert_int_equal(berth_ipam_config_canonicalize(&f->c, NULL), -EINVAL);
	f->sets[0].n_ranges = 1;
	add_range(f, 0, "10.0.0.0/25", NULL, NULL, NULL);
	assert_int_equal(berth_ipam_config_canonicalize(&f->c, NULL), -EINVAL);
	f->sets[0].n_ranges = 1;
	add_range(f, 1, "10.0.0.128/25", NULL, NULL, NULL);
	assert_int_equal(berth_ipam_config_canonicalize(&f->c, NULL), -EINVAL);
	/* allocate() refuses a configuration that was not canonicalised. */
	f->c.n_sets = 0;
	f->sets[0].n_ranges = 0;
	add_range(f, 0, "10.0.0.0/24", NULL, NULL, NULL);
	char out[BERTH_IP_STRLEN];
	assert_int_equal(alloc1(f, "a", "eth0", NULL, out), -EINVAL);
	f->c.n_sets = 0;
	assert_int_equal(berth_ipam_config_canonicalize(&f->c, NULL), -EINVAL);
	f->c.n_sets = BERTH_IPAM_MAX_SETS + 1;
	assert_int_equal(berth_ipam_config_canonicalize(&f->c, NULL), -E2BIG);
	f->c.n_sets = 1;
	f->c.n_exclude = BERTH_IPAM_MAX_EXCLUDE + 1;
	assert_int_equal(berth_ipam_config_canonicalize(&f->c, NULL), -E2BIG);
}

static void test_store_names(void **state)
{
	struct fx *f = *state;
	struct berth_ipam_store *s = NULL;
	static const char *const bad[] = {"", ".", "..", "../x", "a/b", "/abs"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(berth_ipam_store_open(f->dir, bad[i], 0, &s, NULL), -EINVAL);
	char longname[BERTH_IPAM_MAX_NAME + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(berth_ipam_store_open(f->dir, longname, 0, &s, NULL), -EINVAL);
	assert_null(s);
	assert_int_equal(berth_ipam_store_open(f->dir, "..x", 0, &s, NULL), 0);
	berth_ipam_store_free(s);
}

static void test_parse(void **state)
{
	struct berth_ipam_lease l;
	struct berth_ip x;
	char out[BERTH_IP_STRLEN];

	assert_int_equal(berth_ipam_lease_parse("10.0.0.2", " c1\r\neth0\r\n", 11, &l), 0);
	assert_string_equal(l.id, "c1");
	assert_string_equal(l.ifname, "eth0");
	berth_ipam_lease_done(&l);
	assert_int_equal(berth_ipam_lease_parse("fd00::2", "legacy", 6, &l), 0);
	assert_string_equal(l.id, "legacy");
	assert_null(l.ifname);
	assert_string_equal(berth_ipam_ip_name(&l.ip, out), "fd00::2");
	berth_ipam_lease_done(&l);
	assert_int_equal(berth_ipam_lease_parse("10.0.0.2", "a\0b", 3, &l), -EBADMSG);
	assert_int_equal(berth_ipam_lease_parse("lock", "", 0, &l), -EINVAL);
	assert_int_equal(berth_ipam_lease_parse("../10.0.0.2", "", 0, &l), -EINVAL);
	assert_int_equal(berth_ipam_lease_parse("10.0.0.2/32", "", 0, &l), -EINVAL);

	_cleanup_free_ char *s = berth_ipam_lease_format("abc", "eth0");
	assert_string_equal(s, "abc\r\neth0");

	assert_int_equal(berth_ipam_last_reserved_parse("10.0.0.3\n", 9, &x), 0);
	assert_string_equal(berth_ipam_ip_name(&x, out), "10.0.0.3");
	assert_int_equal(berth_ipam_last_reserved_parse("", 0, &x), -EBADMSG);
	assert_int_equal(berth_ipam_last_reserved_parse("10.0.0.3 x", 10, &x), -EBADMSG);

	assert_true(berth_ipam_id_valid("0123abcdef_-."));
	assert_false(berth_ipam_id_valid("a\r\nb"));
	assert_false(berth_ipam_id_valid(NULL));
}

static void pick(const char *const *used, size_t n_used, const char *want)
{
	struct berth_ipnet u[8], got;
	char buf[BERTH_IPNET_STRLEN];
	size_t n_pools;
	const struct berth_ipam_pool *pools = berth_ipam_default_pools(&n_pools);
	for (size_t i = 0; i < n_used; i++)
		assert_int_equal(berth_ipnet_parse(used[i], &u[i]), 0);
	int r = berth_ipam_pick_subnet(pools, n_pools, u, n_used, &got);
	if (!want) {
		assert_int_equal(r, -ENOSPC);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(berth_ipnet_fmt(&got, buf), want);
}

static void test_pick_subnet(void **state)
{
	pick(NULL, 0, "10.89.0.0/24");
	pick((const char *const[]){"10.89.0.0/24", "10.89.1.0/24"}, 2, "10.89.2.0/24");
	pick((const char *const[]){"10.89.1.0/24", "10.89.0.128/25"}, 2, "10.89.2.0/24");
	pick((const char *const[]){"10.89.0.7/32"}, 1, "10.89.1.0/24");
	pick((const char *const[]){"10.89.0.0/16"}, 1, "10.90.0.0/24");
	pick((const char *const[]){"10.89.0.0/16", "10.90.0.0/15", "10.92.0.0/24"}, 3,
	     "10.92.1.0/24");
	pick((const char *const[]){"10.0.0.0/8"}, 1, NULL);
	pick((const char *const[]){"0.0.0.0/0"}, 1, NULL);
	pick((const char *const[]){"fd00::/8"}, 1, "10.89.0.0/24");

	/* v6 pool; bad pools; limits. */
	struct berth_ipam_pool p6 = {.size = 64};
	struct berth_ipnet u, got;
	char buf[BERTH_IPNET_STRLEN];
	assert_int_equal(berth_ipnet_parse("fd00::/48", &p6.base), 0);
	assert_int_equal(berth_ipnet_parse("fd00::/64", &u), 0);
	assert_int_equal(berth_ipam_pick_subnet(&p6, 1, &u, 1, &got), 0);
	assert_string_equal(berth_ipnet_fmt(&got, buf), "fd00:0:0:1::/64");
	p6.size = 40;
	assert_int_equal(berth_ipam_pick_subnet(&p6, 1, &u, 1, &got), -EINVAL);
	p6.size = 129;
	assert_int_equal(berth_ipam_pick_subnet(&p6, 1, &u, 1, &got), -EINVAL);
	assert_int_equal(berth_ipam_pick_subnet(&p6, 1, &u, BERTH_IPAM_MAX_USED + 1, &got), -E2BIG);
	struct berth_ipam_pool all = {.size = 0};
	assert_int_equal(berth_ipnet_parse("0.0.0.0/0", &all.base), 0);
	assert_int_equal(berth_ipam_pick_subnet(&all, 1, NULL, 0, &got), 0);
	assert_int_equal(berth_ipam_pick_subnet(&all, 1, &got, 1, &got), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order_and_exhaustion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ranges_in_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exclusions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requested, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reference_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canonicalize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_names, setup, teardown),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_pick_subnet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
