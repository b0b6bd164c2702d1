// SPDX-License-Identifier: Apache-2.0
/*
 * berth image import and berth pull: the commands that need libarchive,
 * libcurl and their dozens of shared libraries. They are built into
 * berth-image only; `berth` runs it for them (image-exec.c), so that every
 * other berth command starts without loading those libraries.
 */
#include "engine.h"
#include "image.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_image_import(struct eng_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_berth_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *id = NULL;
	const char *name = NULL;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) >= 0) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'q': break;
		case 'h': eng_image_usage(stdout); return 0;
		default: return eng_usage_fail("image import", "bad option");
		}
	}
	if (optind + 1 != argc)
		return eng_usage_fail("image import", "requires exactly one FILE");
	if (eng_image_import(ctx, argv[optind], name, &id, &err) < 0)
		return eng_fail(err);
	printf("%s\n", id);
	return 0;
}

int cmd_pull(struct eng_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tls-verify", optional_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_berth_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *id = NULL;
	struct eng_pull_opts o = {.tls_verify = true};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) >= 0) {
		switch (c) {
		case 't':
			if (!optarg || strcmp(optarg, "true") == 0)
				o.tls_verify = true;
			else if (strcmp(optarg, "false") == 0)
				o.tls_verify = false;
			else
				return eng_usage_fail("pull", "--tls-verify: 'true' or 'false'");
			break;
		case 'q': o.quiet = true; break;
		case 'h': eng_image_usage(stdout); return 0;
		default: return eng_usage_fail("pull", "bad option");
		}
	}
	if (optind + 1 != argc)
		return eng_usage_fail("pull", "requires exactly one image reference");
	if (eng_image_pull(ctx, argv[optind], &o, &id, &err) < 0)
		return eng_fail(err);
	printf("%s\n", id);
	return 0;
}
