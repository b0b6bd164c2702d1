/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine's image store (docs/engine.md, Images).
 *
 *   <root>/images/<id>/image.json   what berth knows of the image (names,
 *                                   the OCI image config, the manifest)
 *   <root>/images/<id>/rootfs/      the flattened root file system; never
 *                                   modified after import (containers use it
 *                                   as an overlay lowerdir)
 *   <root>/images/.tmp-<random>/    an import or pull in progress, held by a
 *                                   flock on its "lock" file; removed by the
 *                                   next import/pull once nobody holds it
 *
 * The id is the sha256 of the image's config blob (as in Podman and Docker).
 * An image appears only by the rename of a complete temporary directory, and
 * image.json is replaced atomically, so a killed berth never leaves half an
 * image visible.
 */
#pragma once

#include <stdio.h>

#include "engine.h"

#include "basic/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct eng_image {
	char *id;	  /* 64 hex digits */
	char **names;	  /* "localhost/busybox:latest", "198.18.0.1:5000/busybox:1.0" */
	size_t n_names;
	char *dir;	  /* <root>/images/<id> */
	char *rootfs;	  /* <root>/images/<id>/rootfs */
	json_t *config;	  /* the OCI image config's "config" object, {} when none */
	long long created; /* unix seconds */
	unsigned long long size; /* bytes of rootfs content */
	char *digest;	  /* "sha256:..." of the manifest it was pulled or imported by; may be NULL */
	json_t *image_config; /* the whole OCI image config */
};

/*
 * Find an image by name, full id ("sha256:" allowed) or unique id prefix of
 * at least 4 hex digits. Names are normalised: "busybox" matches
 * "localhost/busybox:latest" and "docker.io/library/busybox:latest", then
 * any stored "<registry>/busybox:latest" when only one matches.
 * -ENOENT ("image not known"), -EINVAL (ambiguous prefix or name).
 */
int eng_image_lookup(struct eng_ctx *ctx, const char *ref, struct eng_image **ret,
		     struct berth_error **reterr);
void eng_image_free(struct eng_image *img);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct eng_image *, eng_image_free)

/* Every image of the store, sorted by creation time (newest first). */
int eng_image_list(struct eng_ctx *ctx, struct eng_image ***ret, size_t *ret_n,
		   struct berth_error **reterr);
void eng_image_list_free(struct eng_image **v, size_t n);

/*
 * Remove an image (all its names). Takes the engine lock. -EBUSY when
 * eng_image_in_use() says a container uses it.
 */
int eng_image_remove(struct eng_ctx *ctx, const char *ref, struct berth_error **reterr);

/*
 * `berth image rm REF`: when REF is one of several names of an image, only
 * that name goes (Podman's untag: returns 1, *ret_name the name); otherwise
 * the whole image (returns 0).
 */
int eng_image_untag(struct eng_ctx *ctx, const char *ref, char **ret_name,
		    struct berth_error **reterr);

/*
 * Whether a container uses the image `id`. The container code provides it;
 * the weak default in image.c says no.
 */
bool eng_image_in_use(struct eng_ctx *ctx, const char *id);

/* The image as the JSON object `berth image inspect` prints. */
json_t *eng_image_to_json(const struct eng_image *img);

/*
 * Import FILE (a rootfs tarball or an OCI image archive). name may be NULL.
 * On success *ret_id (malloc'd) is the image id.
 */
int eng_image_import(struct eng_ctx *ctx, const char *file, const char *name, char **ret_id,
		     struct berth_error **reterr);

struct eng_pull_opts {
	bool tls_verify;
	bool quiet; /* no progress on stderr */
};
/* Pull REF from its registry. On success *ret_id (malloc'd) is the image id. */
int eng_image_pull(struct eng_ctx *ctx, const char *ref, const struct eng_pull_opts *opts,
		   char **ret_id, struct berth_error **reterr);

/* The image commands' usage text. */
void eng_image_usage(FILE *f);
