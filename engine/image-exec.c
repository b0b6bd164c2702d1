// SPDX-License-Identifier: Apache-2.0
/*
 * In `berth`: image import and pull run berth-image, the same engine built
 * with libarchive and libcurl (cmd-image-fetch.c), with the same command
 * line and environment. Loading those libraries (44 shared objects with
 * their dependencies) costs every process about 8 ms, which the commands
 * that run containers would otherwise pay too. berth-image is looked up
 * next to berth (an install's <bindir>, or the build tree), then in
 * <libexecdir>/berth.
 */
#include "engine.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BERTH_LIBEXECDIR
#define BERTH_LIBEXECDIR "/usr/local/libexec/berth"
#endif

static int run_image_helper(struct eng_ctx *ctx)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	path[0] = '\0';
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/berth-image", self);
		}
	}
	if (!path[0] || access(path, X_OK) < 0)
		snprintf(path, sizeof(path), "%s/berth-image", BERTH_LIBEXECDIR);
	fflush(NULL);
	eng_unlock(ctx);
	execv(path, ctx->argv);
	fprintf(stderr, "Error: run %s: %s\n", path, strerror(errno));
	return ENG_EXIT_ERROR;
}

int cmd_image_import(struct eng_ctx *ctx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return run_image_helper(ctx);
}

int cmd_pull(struct eng_ctx *ctx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return run_image_helper(ctx);
}
