// SPDX-License-Identifier: Apache-2.0
/*
 * lib/dnsconf/aardvark.c: the parser on fixture files (1.4-era, dual stack,
 * %int, 5th field, malformed lines, bad line 1) and hostile bytes; the writer
 * against the lines netavark 1.4.0 was observed to write; adv_file_* on a
 * temporary directory.
 */
#include "dnsconf/aardvark.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef ADV_FIXTURES
#error "ADV_FIXTURES must be defined"
#endif

static struct adv_network *parse_fixture(const char *file, size_t *skipped, int *rc, char **err)
{
	char path[512];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct adv_network *n = NULL;

	snprintf(path, sizeof(path), "%s/files/%s", ADV_FIXTURES, file);
	assert_int_equal(read_file_limited(path, ADV_MAX_FILE, &buf, &len), 0);
	*rc = adv_parse(file, buf, len, &n, skipped, err);
	return n;
}

static struct berth_ip ip(const char *s)
{
	struct berth_ip r;
	assert_int_equal(berth_ip_parse(s, &r), 0);
	return r;
}

static void assert_ip(const struct berth_ip *a, const char *s)
{
	char buf[BERTH_IP_STRLEN];
	assert_string_equal(berth_ip_fmt(a, buf), s);
}

static void test_benchnet(void **state)
{
	size_t skipped = 99;
	int rc;
	char *err = NULL;
	struct adv_network *n = parse_fixture("benchnet", &skipped, &rc, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_int_equal(skipped, 0);
	assert_string_equal(n->name, "benchnet");
	assert_false(n->internal);
	assert_int_equal(n->n_listen, 1);
	assert_ip(&n->listen[0], "10.89.0.1");
	assert_int_equal(n->n_dns, 0);
	assert_int_equal(n->n_containers, 2);
	const struct adv_container *c = &n->containers[1];
	assert_string_equal(c->id,
			    "0002c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee");
	assert_int_equal(c->n_v4, 1);
	assert_ip(&c->v4[0], "10.89.0.3");
	assert_int_equal(c->n_v6, 0);
	assert_int_equal(c->n_names, 2);
	assert_string_equal(c->names[0], "c2");
	assert_string_equal(c->names[1], "0002c0ffeec0");
	assert_int_equal(c->n_dns, 0);
	adv_network_free(n);
}

static void test_dualstack_and_upstreams(void **state)
{
	size_t skipped;
	int rc;
	struct adv_network *n = parse_fixture("dualstack", &skipped, &rc, NULL);

	assert_int_equal(rc, 0);
	assert_int_equal(n->n_listen, 2);
	assert_ip(&n->listen[1], "fd10:89:1::1");
	assert_int_equal(n->n_containers, 1);
	assert_ip(&n->containers[0].v6[0], "fd10:89:1::2");
	assert_int_equal(n->containers[0].n_names, 3);
	assert_string_equal(n->containers[0].names[2], "www");
	adv_network_free(n);

	n = parse_fixture("upstreams", &skipped, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(n->n_containers, 2);
	assert_int_equal(n->containers[0].n_dns, 2);
	assert_ip(&n->containers[0].dns[0], "8.8.8.8");
	assert_ip(&n->containers[0].dns[1], "1.1.1.1");
	assert_int_equal(n->containers[1].n_dns, 0);
	adv_network_free(n);
}

static void test_internal_lowercase(void **state)
{
	size_t skipped;
	int rc;
	struct adv_network *n = parse_fixture("isolated%int", &skipped, &rc, NULL);

	assert_int_equal(rc, 0);
	assert_string_equal(n->name, "isolated");
	assert_true(n->internal);
	assert_int_equal(n->n_dns, 2);
	assert_ip(&n->dns[1], "2620:fe::fe");
	assert_string_equal(n->containers[0].id, "abcdef0123");
	assert_string_equal(n->containers[0].names[0], "secret");
	assert_string_equal(n->containers[0].names[1], "alias");
	adv_network_free(n);
}

static void test_malformed_lines(void **state)
{
	size_t skipped = 0;
	int rc;
	struct adv_network *n = parse_fixture("malformed", &skipped, &rc, NULL);

	assert_int_equal(rc, 0);
	assert_int_equal(skipped, 6);
	assert_int_equal(n->n_containers, 3);
	assert_string_equal(n->containers[0].id, "0003");
	assert_string_equal(n->containers[1].id, "0007");
	assert_int_equal(n->containers[1].n_names, 2); /* "ok7,,alias7": empty item dropped */
	assert_string_equal(n->containers[1].names[1], "alias7");
	assert_string_equal(n->containers[2].id, "0010");
	assert_int_equal(n->containers[2].n_v4, 0);
	assert_int_equal(n->containers[2].n_v6, 1);
	adv_network_free(n);
}

static void test_bad_line1(void **state)
{
	size_t skipped;
	int rc;
	char *err = NULL;
	struct adv_network *n = parse_fixture("badline1", &skipped, &rc, &err);

	assert_int_equal(rc, -EINVAL);
	assert_null(n);
	assert_non_null(err);
	assert_string_equal(err, "line 1: error parsing ip address 'notanip'");
	free(err);

	n = parse_fixture("emptydns", &skipped, &rc, NULL);
	assert_int_equal(rc, 0); /* "10.89.5.1 ": an empty second field is no servers */
	assert_int_equal(n->n_dns, 0);
	adv_network_free(n);

	n = parse_fixture("nonewline", &skipped, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(n->n_containers, 2);
	adv_network_free(n);
}

static void test_hostile_bytes(void **state)
{
	struct adv_network *n = NULL;
	char *err = NULL;
	size_t skipped;

	/* Empty file, only newlines, empty listen list, NUL in line 1. */
	assert_int_equal(adv_parse("x", "", 0, &n, NULL, NULL), -EINVAL);
	assert_int_equal(adv_parse("x", "\n\n\n", 3, &n, NULL, NULL), -EINVAL);
	assert_int_equal(adv_parse("x", " 1.1.1.1\n", 9, &n, NULL, NULL), -EINVAL);
	assert_int_equal(adv_parse("x", "10.0.0.1,\n", 10, &n, NULL, NULL), -EINVAL);
	assert_int_equal(adv_parse("x", "10.0.0\0.1\n", 10, &n, NULL, &err), -EINVAL);
	free(err);
	assert_int_equal(adv_parse("%int", "10.0.0.1\n", 9, &n, NULL, NULL), -EINVAL);
	assert_null(n);

	/* NUL inside a container line: that line is skipped. */
	static const char nul[] = "10.0.0.1\nid 10.0.0.2  a\0b\nid2 10.0.0.3  ok\n";
	assert_int_equal(adv_parse("x", nul, sizeof(nul) - 1, &n, &skipped, NULL), 0);
	assert_int_equal(skipped, 1);
	assert_int_equal(n->n_containers, 1);
	adv_network_free(n);
	n = NULL;

	/* Too many addresses in a list, a name too long, too many names. */
	size_t cap = 1 << 16;
	_cleanup_free_ char *big = malloc(cap);
	size_t o = (size_t)snprintf(big, cap, "10.0.0.1\nid ");
	for (int i = 0; i < ADV_MAX_IPS + 1; i++)
		o += (size_t)snprintf(big + o, cap - o, "%s10.0.%d.%d", i ? "," : "", i / 250,
				      i % 250 + 1);
	o += (size_t)snprintf(big + o, cap - o, "  n\nid2 10.0.0.2  ");
	for (int i = 0; i < ADV_MAX_NAME + 1; i++)
		big[o++] = 'a';
	o += (size_t)snprintf(big + o, cap - o, "\nid3 10.0.0.3  ");
	for (int i = 0; i < ADV_MAX_NAMES + 1; i++)
		o += (size_t)snprintf(big + o, cap - o, "%sn%d", i ? "," : "", i);
	o += (size_t)snprintf(big + o, cap - o, "\nid4 10.0.0.4  ok\n");
	assert_int_equal(adv_parse("x", big, o, &n, &skipped, NULL), 0);
	assert_int_equal(skipped, 3);
	assert_int_equal(n->n_containers, 1);
	adv_network_free(n);
	n = NULL;

	/* More container lines than allowed rejects the file. */
	size_t bcap = 64 + (size_t)(ADV_MAX_CONTAINERS + 1) * 24;
	_cleanup_free_ char *many = malloc(bcap);
	o = (size_t)snprintf(many, bcap, "10.0.0.1\n");
	for (int i = 0; i < ADV_MAX_CONTAINERS + 1; i++)
		o += (size_t)snprintf(many + o, bcap - o, "%x 10.0.0.2  a\n", i);
	assert_int_equal(adv_parse("x", many, o, &n, NULL, &err), -E2BIG);
	free(err);

	/* Too large a file. */
	assert_int_equal(adv_parse("x", many, (size_t)ADV_MAX_FILE + 1, &n, NULL, NULL), -EFBIG);
	assert_null(n);
}

static void test_format_exact(void **state)
{
	struct berth_ip l[2] = { ip("10.89.1.1"), ip("fd10:89:1::1") };
	struct berth_ip d[2] = { ip("8.8.8.8"), ip("1.1.1.1") };
	char *s;

	s = adv_format_header(l, 1, NULL, 0);
	assert_string_equal(s, "10.89.1.1\n");
	free(s);
	s = adv_format_header(l, 2, NULL, 0);
	assert_string_equal(s, "10.89.1.1,fd10:89:1::1\n");
	free(s);
	s = adv_format_header(l, 2, d, 2);
	assert_string_equal(s, "10.89.1.1,fd10:89:1::1 8.8.8.8,1.1.1.1\n");
	free(s);

	struct berth_ip v4 = ip("10.89.0.2");
	const char *names[] = { "c1", "0001c0ffeec0" };
	s = adv_format_container("0001c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee",
				 &v4, 1, NULL, 0, names, 2, NULL, 0);
	assert_string_equal(s, "0001c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee "
			       "10.89.0.2  c1,0001c0ffeec0\n");
	free(s);

	struct berth_ip a4 = ip("10.89.1.2"), a6 = ip("fd10:89:1::2");
	const char *n3[] = { "web", "f031bf33eecb", "www" };
	s = adv_format_container("f031bf33eecba75d0d84952337b1ceef6a239eb8e94b48aee0993d0791345325",
				 &a4, 1, &a6, 1, n3, 3, NULL, 0);
	assert_string_equal(s, "f031bf33eecba75d0d84952337b1ceef6a239eb8e94b48aee0993d0791345325 "
			       "10.89.1.2 fd10:89:1::2 web,f031bf33eecb,www\n");
	free(s);

	struct berth_ip b4 = ip("10.0.0.2"), b6 = ip("fdfd::2");
	const char *n1[] = { "testmulti1" };
	s = adv_format_container("f35256b5", &b4, 1, &b6, 1, n1, 1, d, 2);
	assert_string_equal(s, "f35256b5 10.0.0.2 fdfd::2 testmulti1 8.8.8.8,1.1.1.1\n");
	free(s);

	/* v6 only: the v4 field is empty. */
	s = adv_format_container("id", NULL, 0, &b6, 1, n1, 1, NULL, 0);
	assert_string_equal(s, "id  fdfd::2 testmulti1\n");
	free(s);
}

static void test_round_trip(void **state)
{
	struct berth_ip l[2] = { ip("10.89.1.1"), ip("fd10:89:1::1") };
	struct berth_ip d[1] = { ip("9.9.9.9") };
	struct berth_ip v4[2] = { ip("10.89.1.2"), ip("10.89.1.3") }, v6 = ip("fd10:89:1::2");
	const char *names[] = { "Web", "alias" };
	_cleanup_free_ char *h = adv_format_header(l, 2, d, 1);
	_cleanup_free_ char *c = adv_format_container("ID1", v4, 2, &v6, 1, names, 2, d, 1);
	char buf[512];
	struct adv_network *n = NULL;

	snprintf(buf, sizeof(buf), "%s%s", h, c);
	assert_int_equal(adv_parse("rt%int", buf, strlen(buf), &n, NULL, NULL), 0);
	assert_true(n->internal);
	assert_int_equal(n->n_listen, 2);
	assert_int_equal(n->n_dns, 1);
	assert_int_equal(n->n_containers, 1);
	assert_string_equal(n->containers[0].id, "id1");
	assert_int_equal(n->containers[0].n_v4, 2);
	assert_ip(&n->containers[0].v4[1], "10.89.1.3");
	assert_string_equal(n->containers[0].names[0], "web");
	assert_int_equal(n->containers[0].n_dns, 1);
	adv_network_free(n);
}

/* ---- adv_file_* on a temporary directory ---- */

struct tmpdir {
	char path[64];
	int fd;
};

static int tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));
	strcpy(t->path, "/tmp/test-aardvark-XXXXXX");
	if (!mkdtemp(t->path))
		return -1;
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = t;
	return t->fd < 0 ? -1 : 0;
}

static int tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;
	DIR *d = opendir(t->path);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(void)unlinkat(t->fd, de->d_name, 0);
	if (d)
		closedir(d);
	close(t->fd);
	rmdir(t->path);
	free(t);
	return 0;
}

static char *slurp(struct tmpdir *t, const char *name)
{
	char path[256];
	char *buf = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/%s", t->path, name);
	if (read_file_limited(path, ADV_MAX_FILE, &buf, &len) < 0)
		return NULL;
	return buf;
}

static size_t count_entries(struct tmpdir *t)
{
	size_t n = 0;
	DIR *d = opendir(t->path);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_file_ops(void **state)
{
	struct tmpdir *t = *state;
	const char *h = "10.89.0.1\n";
	const char *l1 = "0001c0ffee 10.89.0.2  c1,0001c0ffeec0\n";
	const char *l2 = "0002c0ffee 10.89.0.3  c2,0002c0ffeec0\n";
	char *s;
	struct stat st;

	assert_int_equal(adv_file_remove(t->fd, "benchnet", "0001c0ffee"), 0); /* absent */
	assert_int_equal(adv_file_set_dns(t->fd, "benchnet", NULL, 0), -ENOENT);
	assert_int_equal(adv_file_add(t->fd, "../x", h, l1), -EINVAL);
	assert_int_equal(adv_file_add(t->fd, "benchnet", h, l1), 0);
	assert_int_equal(adv_file_add(t->fd, "benchnet", "10.99.0.1\n", l2), 0); /* header kept */
	s = slurp(t, "benchnet");
	assert_string_equal(s, "10.89.0.1\n0001c0ffee 10.89.0.2  c1,0001c0ffeec0\n"
			       "0002c0ffee 10.89.0.3  c2,0002c0ffeec0\n");
	free(s);
	assert_int_equal(fstatat(t->fd, "benchnet", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(t), 1); /* no temporary file left */

	struct berth_ip d[2] = { ip("1.1.1.1"), ip("fd00::53") };
	assert_int_equal(adv_file_set_dns(t->fd, "benchnet", d, 2), 0);
	s = slurp(t, "benchnet");
	assert_string_equal(s, "10.89.0.1 1.1.1.1,fd00::53\n0001c0ffee 10.89.0.2  c1,0001c0ffeec0\n"
			       "0002c0ffee 10.89.0.3  c2,0002c0ffeec0\n");
	free(s);
	assert_int_equal(adv_file_set_dns(t->fd, "benchnet", d, 1), 0);
	assert_int_equal(adv_file_set_dns(t->fd, "benchnet", NULL, 0), 0);
	s = slurp(t, "benchnet");
	assert_string_equal(s, "10.89.0.1\n0001c0ffee 10.89.0.2  c1,0001c0ffeec0\n"
			       "0002c0ffee 10.89.0.3  c2,0002c0ffeec0\n");
	free(s);

	/* The result parses. */
	s = slurp(t, "benchnet");
	struct adv_network *n = NULL;
	assert_int_equal(adv_parse("benchnet", s, strlen(s), &n, NULL, NULL), 0);
	assert_int_equal(n->n_containers, 2);
	adv_network_free(n);
	free(s);

	assert_int_equal(adv_file_remove(t->fd, "benchnet", "0001c0ffee"), 0);
	s = slurp(t, "benchnet");
	assert_string_equal(s, "10.89.0.1\n0002c0ffee 10.89.0.3  c2,0002c0ffeec0\n");
	free(s);
	assert_int_equal(adv_file_remove(t->fd, "benchnet", "nosuchid"), 0);
	assert_int_equal(adv_file_remove(t->fd, "benchnet", "0002c0ffee"), 1);
	assert_int_equal(count_entries(t), 0);

	/* A header or line without '\n' gets one; internal file names work. */
	assert_int_equal(adv_file_add(t->fd, "net%int", "10.1.0.1", "id 10.1.0.2  a"), 0);
	s = slurp(t, "net%int");
	assert_string_equal(s, "10.1.0.1\nid 10.1.0.2  a\n");
	free(s);
	/* Every line containing the id goes, also a second one. */
	assert_int_equal(adv_file_add(t->fd, "net%int", "10.1.0.1", "id 10.1.0.3  b\n"), 0);
	assert_int_equal(adv_file_remove(t->fd, "net%int", "id"), 1);
	assert_int_equal(count_entries(t), 0);
}

/*
 * Regression: removal matched any line *containing* the id, so tearing down a
 * container whose id is a prefix (or part) of another's removed both.
 */
static void test_file_remove_exact_id(void **state)
{
	struct tmpdir *t = *state;
	char *s;

	assert_int_equal(adv_file_add(t->fd, "prefix", "10.2.0.1\n", "abc 10.2.0.2  a\n"), 0);
	assert_int_equal(adv_file_add(t->fd, "prefix", "10.2.0.1\n", "abcdef 10.2.0.3  b\n"), 0);
	assert_int_equal(adv_file_add(t->fd, "prefix", "10.2.0.1\n", "xabc 10.2.0.4  c,abc\n"), 0);
	assert_int_equal(adv_file_remove(t->fd, "prefix", "ab"), 0); /* no line has id "ab" */
	assert_int_equal(adv_file_remove(t->fd, "prefix", "abc"), 0);
	s = slurp(t, "prefix");
	assert_string_equal(s, "10.2.0.1\nabcdef 10.2.0.3  b\nxabc 10.2.0.4  c,abc\n");
	free(s);
	assert_int_equal(adv_file_remove(t->fd, "prefix", "abcdef"), 0);
	s = slurp(t, "prefix");
	assert_string_equal(s, "10.2.0.1\nxabc 10.2.0.4  c,abc\n");
	free(s);
	assert_int_equal(adv_file_remove(t->fd, "prefix", "xabc"), 1);
	assert_int_equal(count_entries(t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_benchnet),
		cmocka_unit_test_setup_teardown(test_file_remove_exact_id, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_dualstack_and_upstreams),
		cmocka_unit_test(test_internal_lowercase),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_bad_line1),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_format_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test_setup_teardown(test_file_ops, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
