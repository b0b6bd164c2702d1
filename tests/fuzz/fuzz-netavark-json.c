// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the netavark input parser (nv_options_parse) and the error
 * object writer. Built with -Dfuzzing=true (clang) it is a libFuzzer binary:
 *   build/tests/fuzz-netavark-json tests/fuzz/corpus/netavark-json
 * Otherwise tests/fuzz/replay.c replays every file of the corpus directory
 * (sorted by name), so the corpus runs as an ordinary test.
 */
#include "options.h"
#include "status.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

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
		char *text = nv_error_text(err);
		free(nv_error_to_json(text ? text : "out of memory"));
		free(text);
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
