// SPDX-License-Identifier: Apache-2.0
/* lib/basic/fileio.h: the atomic file replacement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"

/* Number of directory entries other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_write_replace(void **state)
{
	char dir[] = "/tmp/test-fileio-XXXXXX";
	char path[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	struct stat st;
	size_t len;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c1_eth0.json", dir);
	assert_int_equal(write_file_atomic(path, "{}", 2, 0600), 0);
	assert_int_equal(write_file_atomic(path, "{\"x\":1}", 7, 0600), 0);
	assert_int_equal(read_file_limited(path, 100, &data, &len), 0);
	assert_string_equal(data, "{\"x\":1}");
	assert_int_equal(len, 7);
	/* exactly the mode asked for, whatever the umask */
	mode_t old = umask(077);
	assert_int_equal(write_file_atomic(path, "", 0, 0644), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 0);
	/* no temporary left behind */
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_write_at(void **state)
{
	char dir[] = "/tmp/test-fileio-XXXXXX";
	char path[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	(void)state;

	assert_non_null(mkdtemp(dir));
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(write_file_atomic_at(dfd, "net1", "a\nb\n", 4, 0644), 0);
	snprintf(path, sizeof(path), "%s/net1", dir);
	assert_int_equal(read_file_limited(path, 100, &data, NULL), 0);
	assert_string_equal(data, "a\nb\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_write_bad(void **state)
{
	char dir[] = "/tmp/test-fileio-XXXXXX";
	char path[PATH_MAX];
	(void)state;

	assert_non_null(mkdtemp(dir));
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(write_file_atomic_at(dfd, "../x", "", 0, 0600), -EINVAL);
	assert_int_equal(write_file_atomic_at(dfd, ".hidden", "", 0, 0600), -EINVAL);
	assert_int_equal(write_file_atomic_at(dfd, "", "", 0, 0600), -EINVAL);
	assert_int_equal(write_file_atomic_at(dfd, NULL, "", 0, 0600), -EINVAL);
	assert_int_equal(write_file_atomic_at(dfd, "x", NULL, 1, 0600), -EINVAL);
	assert_int_equal(write_file_atomic("", "", 0, 0600), -EINVAL);
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(write_file_atomic(path, "", 0, 0600), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing/x", dir);
	assert_int_equal(write_file_atomic(path, "", 0, 0600), -ENOENT);
	/* a directory in the way: the rename fails, nothing is left */
	snprintf(path, sizeof(path), "%s/d", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(write_file_atomic(path, "x", 1, 0600) < 0);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_replace),
	    cmocka_unit_test(test_write_at),
	    cmocka_unit_test(test_write_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
