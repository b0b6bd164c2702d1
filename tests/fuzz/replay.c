// SPDX-License-Identifier: Apache-2.0
/*
 * Corpus replay for the fuzz targets, linked into each of them when they are
 * not built for libFuzzer: runs LLVMFuzzerTestOneInput() on every file of the
 * directory given as argv[1], in name order, so that corpora are ordinary
 * tests (meson suite 'fuzz').
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"

/* Larger than every target's own input limit, so that over-limit inputs still reach them. */
#define REPLAY_MAX_INPUT (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				abort();
			names = nn;
		}
		if (!(names[n++] = strdup(de->d_name)))
			abort();
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);

	for (size_t i = 0; i < n; i++) {
		char path[4096];
		_cleanup_free_ char *buf = NULL;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		int r = read_file_limited(path, REPLAY_MAX_INPUT, &buf, &len);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(names[i]);
	}
	free(names);
	printf("ok %zu files\n", n);
	return 0;
}
