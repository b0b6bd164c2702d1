// SPDX-License-Identifier: Apache-2.0
/*
 * berth image import|ls|inspect|rm|pull, berth pull (docs/engine.md, Images).
 * Output in Podman's shapes: ids on stdout, progress and errors on stderr.
 */
#include "engine.h"
#include "image.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void eng_image_usage(FILE *f)
{
	fprintf(f, "Usage: berth image COMMAND\n"
		   "\n"
		   "  import [--name NAME[:TAG]] FILE   a rootfs tarball or an OCI image archive\n"
		   "  ls [--format json] [-q]           list images\n"
		   "  inspect REF...                    JSON of images\n"
		   "  rm REF...                         remove images (or one of their names)\n"
		   "  pull [--tls-verify=false] [-q] REF\n");
}

/* go-units' HumanDuration, as Podman prints CREATED */
static void human_duration(long long s, char *buf, size_t n)
{
	if (s < 1)
		snprintf(buf, n, "Less than a second");
	else if (s == 1)
		snprintf(buf, n, "1 second");
	else if (s < 60)
		snprintf(buf, n, "%lld seconds", s);
	else if (s / 60 == 1)
		snprintf(buf, n, "About a minute");
	else if (s < 3600)
		snprintf(buf, n, "%lld minutes", s / 60);
	else if (s / 3600 == 1)
		snprintf(buf, n, "About an hour");
	else if (s < 48 * 3600)
		snprintf(buf, n, "%lld hours", s / 3600);
	else if (s < 14 * 86400)
		snprintf(buf, n, "%lld days", s / 86400);
	else if (s < 60 * 86400)
		snprintf(buf, n, "%lld weeks", s / (7 * 86400));
	else if (s < 730 * 86400)
		snprintf(buf, n, "%lld months", s / (30 * 86400));
	else
		snprintf(buf, n, "%lld years", s / (365 * 86400));
}

/* go-units' HumanSize (decimal, 3 significant digits) */
static void human_size(unsigned long long b, char *buf, size_t n)
{
	static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)b;
	size_t i = 0;
	while (v >= 1000 && i + 1 < ARRAY_SIZE(u)) {
		v /= 1000;
		i++;
	}
	snprintf(buf, n, "%.3g %s", v, u[i]);
}

/* Split "reg/repo:tag" into repository and tag ("<none>" for digests). */
static void split_name(const char *name, char *repo, size_t rn, char *tag, size_t tn)
{
	const char *at = strchr(name, '@');
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');
	if (at) {
		snprintf(repo, rn, "%.*s", (int)(at - name), name);
		snprintf(tag, tn, "<none>");
	} else if (colon && (!slash || colon > slash)) {
		snprintf(repo, rn, "%.*s", (int)(colon - name), name);
		snprintf(tag, tn, "%s", colon + 1);
	} else {
		snprintf(repo, rn, "%s", name);
		snprintf(tag, tn, "<none>");
	}
}

static int image_ls(struct eng_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	_cleanup_berth_error_ struct berth_error *err = NULL;
	const char *format = NULL;
	bool quiet = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) >= 0) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'q': quiet = true; break;
		case 'h': eng_image_usage(stdout); return 0;
		default: return eng_usage_fail("image ls", "bad option");
		}
	}
	if (optind < argc)
		return eng_usage_fail("image ls", "unexpected argument '%s'", argv[optind]);
	if (format && strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
		return eng_usage_fail("image ls", "--format: 'json' or 'table'");

	struct eng_image **v = NULL;
	size_t n = 0;
	if (eng_image_list(ctx, &v, &n, &err) < 0)
		return eng_fail(err);
	if (format && strcmp(format, "json") == 0) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n; i++) {
			json_t *o = eng_image_to_json(v[i]), *names = json_array();
			for (size_t j = 0; names && j < v[i]->n_names; j++)
				(void)json_array_append_new(names, json_string(v[i]->names[j]));
			char created[64];
			human_duration((long long)time(NULL) - v[i]->created, created,
				       sizeof(created) - 4);
			strcat(created, " ago");
			json_t *row = json_pack("{s:s,s:o,s:O,s:O,s:I,s:I,s:O,s:s}", "Id", v[i]->id,
						"Names", names, "RepoTags",
						json_object_get(o, "RepoTags"), "RepoDigests",
						json_object_get(o, "RepoDigests"), "Size",
						(json_int_t)v[i]->size, "Created",
						(json_int_t)v[i]->created, "Digest",
						json_object_get(o, "Digest"), "CreatedAt", created);
			json_decref(o);
			if (row)
				(void)json_array_append_new(a, row);
		}
		char *s = a ? json_dumps(a, JSON_INDENT(4)) : NULL;
		json_decref(a);
		eng_image_list_free(v, n);
		if (!s) {
			fprintf(stderr, "Error: out of memory\n");
			return ENG_EXIT_ERROR;
		}
		printf("%s\n", s);
		free(s);
		return 0;
	}
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%.12s\n", v[i]->id);
		eng_image_list_free(v, n);
		return 0;
	}
	/* one row per name (or one <none> row), columns as wide as their content */
	size_t wr = strlen("REPOSITORY"), wt = strlen("TAG"), wc = strlen("CREATED");
	char repo[600], tag[200], created[64], size[32];
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			printf("%-*s  %-*s  %-12s  %-*s  %s\n", (int)wr, "REPOSITORY", (int)wt, "TAG",
			       "IMAGE ID", (int)wc, "CREATED", "SIZE");
		for (size_t i = 0; i < n; i++) {
			human_duration((long long)time(NULL) - v[i]->created, created,
				       sizeof(created) - 4);
			strcat(created, " ago");
			human_size(v[i]->size, size, sizeof(size));
			size_t rows = v[i]->n_names ? v[i]->n_names : 1;
			for (size_t j = 0; j < rows; j++) {
				if (v[i]->n_names)
					split_name(v[i]->names[j], repo, sizeof(repo), tag,
						   sizeof(tag));
				else {
					snprintf(repo, sizeof(repo), "<none>");
					snprintf(tag, sizeof(tag), "<none>");
				}
				if (pass == 0) {
					wr = strlen(repo) > wr ? strlen(repo) : wr;
					wt = strlen(tag) > wt ? strlen(tag) : wt;
					wc = strlen(created) > wc ? strlen(created) : wc;
				} else
					printf("%-*s  %-*s  %.12s  %-*s  %s\n", (int)wr, repo,
					       (int)wt, tag, v[i]->id, (int)wc, created, size);
			}
		}
	}
	eng_image_list_free(v, n);
	return 0;
}

static int image_inspect(struct eng_ctx *ctx, int argc, char **argv)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		eng_image_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return eng_usage_fail("image inspect", "requires at least one image");
	json_t *a = json_array();
	if (!a) {
		fprintf(stderr, "Error: out of memory\n");
		return ENG_EXIT_ERROR;
	}
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		struct eng_image *img = NULL;
		if (eng_image_lookup(ctx, argv[i], &img, &err) < 0) {
			ret = eng_fail(err);
			berth_error_freep(&err);
			continue;
		}
		json_t *o = eng_image_to_json(img);
		if (o)
			(void)json_array_append_new(a, o);
		eng_image_free(img);
	}
	char *s = json_dumps(a, JSON_INDENT(4));
	json_decref(a);
	if (s)
		printf("%s\n", s);
	free(s);
	return ret;
}

static int image_rm(struct eng_ctx *ctx, int argc, char **argv)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		eng_image_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return eng_usage_fail("image rm", "requires at least one image");
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		struct eng_image *img = NULL;
		char *untagged = NULL;
		if (eng_image_lookup(ctx, argv[i], &img, &err) < 0) {
			ret = eng_fail(err);
			berth_error_freep(&err);
			continue;
		}
		int r = eng_image_untag(ctx, argv[i], &untagged, &err);
		if (r < 0) {
			ret = eng_fail(err);
			berth_error_freep(&err);
		} else if (r == 1) {
			printf("Untagged: %s\n", untagged);
			free(untagged);
		} else {
			for (size_t j = 0; j < img->n_names; j++)
				printf("Untagged: %s\n", img->names[j]);
			printf("Deleted: %s\n", img->id);
		}
		eng_image_free(img);
	}
	return ret;
}

int cmd_image(struct eng_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		eng_image_usage(stderr);
		return ENG_EXIT_ERROR;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "import") == 0)
		return cmd_image_import(ctx, argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return image_ls(ctx, argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return image_inspect(ctx, argc, argv);
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
		return image_rm(ctx, argc, argv);
	if (strcmp(sub, "pull") == 0)
		return cmd_pull(ctx, argc, argv);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		eng_image_usage(stdout);
		return 0;
	}
	return eng_usage_fail("image", "unknown command '%s'", sub);
}
