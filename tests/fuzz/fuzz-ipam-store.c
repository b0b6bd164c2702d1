// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the IPAM lease store: the lease and last_reserved_ip
 * parsers with their round trips, and a real store directory holding the
 * input as a file that list, allocate, release and GC then read back.
 * Input: "<file name>\n<file content>". Built with -Dfuzzing=true (clang) it
 * is a libFuzzer binary:
 *   build/tests/fuzz-ipam-store tests/fuzz/corpus/ipam-store
 * Otherwise tests/fuzz/replay.c replays every file of the corpus directory.
 */
#include "ipam/ipam.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_MAX_INPUT (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[] = "/tmp/berth-fuzz-ipam-XXXXXX";
static char store_dir[sizeof(fuzz_dir) + 8];

static void check_roundtrip(const char *name, const char *content, size_t len)
{
	struct berth_ipam_lease l, m;
	char text[BERTH_IP_STRLEN];

	if (berth_ipam_lease_parse(name, content, len, &l) == 0) {
		if (!l.id || (l.ip.family != AF_INET && l.ip.family != AF_INET6))
			abort();
		/* The file name berth writes parses back to the same address. */
		struct berth_ip back;
		if (berth_ip_parse(berth_ipam_ip_name(&l.ip, text), &back) < 0 ||
		    !berth_ip_equal(&back, &l.ip))
			abort();
		/* The content berth writes parses back to the same lease. */
		if (l.ifname) {
			_cleanup_free_ char *c = berth_ipam_lease_format(l.id, l.ifname);
			if (!c || berth_ipam_lease_parse(text, c, strlen(c), &m) < 0)
				abort();
			if (strcmp(m.id, l.id) != 0 || !m.ifname || strcmp(m.ifname, l.ifname) != 0)
				abort();
			berth_ipam_lease_done(&m);
		}
		berth_ipam_lease_done(&l);
	}
	struct berth_ip ip, back;
	if (berth_ipam_last_reserved_parse(content, len, &ip) == 0) {
		berth_ipam_ip_name(&ip, text);
		if (berth_ipam_last_reserved_parse(text, strlen(text), &back) < 0 ||
		    !berth_ip_equal(&ip, &back))
			abort();
	}
}

static void write_file(const char *name, const char *content, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", store_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (write(fd, content, len) < 0) {
		/* a short store is still a store */
	}
	close(fd);
}

static void clear_store(void)
{
	DIR *d = opendir(store_dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static void exercise_store(const char *name, const char *content, size_t len)
{
	struct berth_ipam_store *s = NULL;
	struct berth_ipam_range r[2] = {0};
	struct berth_ipam_rangeset sets[2] = {{&r[0], 1}, {&r[1], 1}};
	struct berth_ipam_config c = {sets, 2, NULL, 0};
	struct berth_ipam_alloc a[2];

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > 255)
		return;
	if (berth_ipam_store_open(fuzz_dir, "n", 1000, &s, NULL) < 0)
		abort();
	clear_store();
	write_file(name, content, len);
	write_file("last_reserved_ip.0", content, len);
	write_file("last_reserved_ip.1", content, len);

	struct berth_ipam_lease *l = NULL;
	size_t n = 0;
	if (berth_ipam_list(s, &l, &n, NULL) == 0) {
		if (n > 1)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!l[i].id)
				abort();
		berth_ipam_leases_free(l, n);
	}
	if (berth_ipnet_parse("10.0.0.0/29", &r[0].subnet) < 0 ||
	    berth_ipnet_parse("fd00::/125", &r[1].subnet) < 0 ||
	    berth_ipam_config_canonicalize(&c, NULL) < 0)
		abort();
	int k = berth_ipam_allocate(s, &c, "fuzz", "eth0", NULL, 0, a, NULL);
	if (k == 0 && (!berth_ipam_rangeset_contains(&sets[0], &a[0].ip, NULL) ||
		       !berth_ipam_rangeset_contains(&sets[1], &a[1].ip, NULL)))
		abort();
	if (k == 0 && berth_ipam_find(s, "fuzz", "eth0", NULL) != 1)
		abort();
	(void)berth_ipam_release(s, "fuzz", "eth0", NULL);
	(void)berth_ipam_gc(s, NULL, 0, NULL);
	clear_store();
	berth_ipam_store_free(s);
}

static void remove_dirs(void)
{
	clear_store();
	(void)rmdir(store_dir);
	(void)rmdir(fuzz_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	log_set_level(LOG_LEVEL_OFF);
	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!ready) {
		if (!mkdtemp(fuzz_dir))
			abort();
		snprintf(store_dir, sizeof(store_dir), "%s/n", fuzz_dir);
		(void)atexit(remove_dirs);
		ready = true;
	}
	const char *nl = memchr(data, '\n', size);
	size_t nlen = nl ? (size_t)(nl - (const char *)data) : size;
	if (nlen > 1024)
		return 0;
	char name[1025];
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	const char *content = nl ? nl + 1 : "";
	size_t clen = nl ? size - nlen - 1 : 0;

	check_roundtrip(name, content, clen);
	if (!memchr(name, '\0', nlen))
		exercise_store(name, content, clen);
	return 0;
}
