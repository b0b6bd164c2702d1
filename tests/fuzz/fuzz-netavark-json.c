// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the netavark input parser (nv_options_parse) and the error
 * object writer. Built with -Dfuzzing=true (clang) it is a libFuzzer binary:
 *   build/tests/fuzz-netavark-json tests/fuzz/corpus/netavark-json
 * Otherwise main() replays every file of the corpus directory given as argv[1]
 * (sorted by name), so the corpus runs as an ordinary test.
 */
#include "options.h"
#include "status.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nv_options *o = NULL;
	struct berth_error *err = NULL;

	log_set_level(LOG_LEVEL_OFF); /* alias warnings would flood the output */
	if (nv_options_parse((const char *)data, size, &o, &err) < 0) {
		if (!err || !err->msg)
			abort();
		free(nv_error_to_json(err->msg));
		berth_error_free(err);
		if (o)
			abort(); /* ret_* must stay untouched on failure */
		return 0;
	}
	/* Invariants the drivers rely on. */
	if (o->n_network_info != o->n_networks)
		abort();
	for (size_t i = 0; i < o->n_networks; i++)
		if (o->networks[i].network != &o->network_info[i])
			abort();
	nv_options_free(o);
	return 0;
}

#ifndef BERTH_LIBFUZZER
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
		int r = read_file_limited(path, NV_MAX_INPUT + 1, &buf, &len);
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
#endif
