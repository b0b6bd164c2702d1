/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the image store, shared by image.c (store), image-json.c
 * (untrusted JSON: manifests, indexes, configs, references; fuzzed by
 * tests/fuzz/fuzz-image-manifest.c), image-layer.c (layer extraction),
 * image-import.c and image-pull.c. Limits are documented in
 * docs/engine.md, Images.
 */
#pragma once

#include "basic/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMG_MAX_JSON (4u << 20)		     /* manifest, index, config, index.json */
#define IMG_MAX_LAYERS 128
#define IMG_MAX_INDEX_ENTRIES 256
#define IMG_MAX_INDEX_DEPTH 4		     /* nested indexes */
#define IMG_MAX_PATH 4096		     /* bytes of an entry's path */
#define IMG_MAX_DEPTH 128		     /* components of an entry's path */
#define IMG_MAX_LAYER_ENTRIES 1000000u	     /* entries per layer (or rootfs tarball) */
#define IMG_MAX_LAYER_BYTES (32ULL << 30)    /* uncompressed bytes per layer */
#define IMG_MAX_BLOB_BYTES (32ULL << 30)     /* bytes of a compressed blob */
#define IMG_MAX_ARCHIVE_ENTRIES 10000u	     /* entries of an OCI archive */
#define IMG_MAX_NAME 512		     /* a reference */
#define IMG_MAX_NAMES 64		     /* names of one image */

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* "sha256:" + 64 lowercase hex digits + NUL */
#define IMG_DIGEST_LEN 71

struct img_desc {
	char *media_type; /* may be NULL */
	char digest[IMG_DIGEST_LEN + 1];
	unsigned long long size;
	char *os, *arch, *variant; /* platform (index entries), may be NULL */
	char *ref_name;		   /* annotation org.opencontainers.image.ref.name, may be NULL */
};
void img_desc_done(struct img_desc *d);

enum img_doc_kind {
	IMG_DOC_MANIFEST,
	IMG_DOC_INDEX,
};

struct img_manifest {
	struct img_desc config;
	struct img_desc *layers;
	size_t n_layers;
};
void img_manifest_done(struct img_manifest *m);

struct img_index {
	struct img_desc *m;
	size_t n;
};
void img_index_done(struct img_index *x);

struct img_config {
	json_t *json;	  /* the whole config document */
	json_t *config;	  /* borrowed from json: "config", or a new {} */
	long long created; /* 0 when absent */
	char **diff_ids;  /* "sha256:..." */
	size_t n_diff_ids;
};
void img_config_done(struct img_config *c);

/* Load an untrusted JSON object of at most IMG_MAX_JSON bytes. what names it in errors. */
int img_json_load(const char *buf, size_t len, const char *what, json_t **ret,
		  struct berth_error **reterr);
/*
 * Whether buf is a manifest or an index. content_type (HTTP, may be NULL)
 * is used when the document has no mediaType. Docker schema 1 is refused.
 */
int img_doc_kind(json_t *doc, const char *content_type, enum img_doc_kind *ret,
		 struct berth_error **reterr);
int img_manifest_parse(json_t *doc, struct img_manifest *ret, struct berth_error **reterr);
int img_index_parse(json_t *doc, struct img_index *ret, struct berth_error **reterr);
int img_config_parse(const char *buf, size_t len, struct img_config *ret,
		     struct berth_error **reterr);
/*
 * The entry of an index for linux/<arch> (the host's by default); with a
 * single entry without platform, that one. -ENOENT when none fits.
 */
int img_index_select(const struct img_index *x, const char *arch, size_t *ret,
		     struct berth_error **reterr);
/* "amd64", "arm64", ... for the machine berth runs on. */
const char *img_host_arch(void);
/* Layer media types berth extracts (tar, gzip, zstd). */
bool img_layer_type_supported(const char *media_type);

/* "sha256:<64 lowercase hex>" */
bool img_digest_valid(const char *s);
bool img_hex_valid(const char *s, size_t len);
/* RFC 3339 to unix seconds. -EINVAL when malformed. */
int img_parse_time(const char *s, long long *ret);

struct img_ref {
	char *registry; /* "docker.io", "localhost", "127.0.0.1:5000" */
	char *repo;	/* "library/busybox" */
	char *tag;	/* NULL with a digest only */
	char *digest;	/* NULL, or "sha256:..." */
};
void img_ref_done(struct img_ref *r);
/*
 * Parse a reference. Without a registry, default_registry is used, and for
 * "docker.io" a one-component repository gets "library/". Without a tag
 * and a digest, the tag is "latest".
 */
int img_ref_parse(const char *s, const char *default_registry, struct img_ref *ret,
		  struct berth_error **reterr);
/* "registry/repo:tag" (or "registry/repo@digest" without tag); NULL on ENOMEM. */
char *img_ref_name(const struct img_ref *r);
/* Whether the reference names a registry explicitly. */
bool img_ref_has_registry(const char *s);

/* sha256 (OpenSSL) */
struct img_sha256;
struct img_sha256 *img_sha256_new(void);
void img_sha256_update(struct img_sha256 *h, const void *p, size_t n);
/* "sha256:<hex>" into out; frees h. */
void img_sha256_final(struct img_sha256 *h, char out[IMG_DIGEST_LEN + 1]);
void img_sha256_free(struct img_sha256 *h);
void img_sha256_buf(const void *p, size_t n, char out[IMG_DIGEST_LEN + 1]);

/* A temporary directory in the store (image.c). */
struct img_tmp {
	char *path;  /* <root>/images/.tmp-XXXXXX */
	char *rootfs; /* <path>/rootfs */
	int lock_fd;
	int dir_fd;
};
struct eng_ctx;
int img_tmp_create(struct eng_ctx *ctx, struct img_tmp *ret, struct berth_error **reterr);
/* Remove the directory (nothing if already committed) and close. */
void img_tmp_done(struct img_tmp *t);

struct img_commit {
	json_t *config;	  /* the whole image config (borrowed) */
	json_t *manifest; /* may be NULL (borrowed) */
	const char *digest; /* manifest digest, may be NULL */
	char *const *names;
	size_t n_names;
	const char *source; /* "import", "pull" */
};
/*
 * Make the image appear: the id is the sha256 of config_blob. When the
 * image exists already, only its names are added. Names are taken away
 * from any other image. Takes the engine lock.
 */
int img_commit(struct eng_ctx *ctx, struct img_tmp *t, const char *config_blob, size_t blob_len,
	       const struct img_commit *c, char **ret_id, struct berth_error **reterr);



/* Layer extraction (image-layer.c). */
struct img_layer_opts {
	bool whiteouts;	      /* OCI layer: apply .wh. files; false for rootfs tarballs */
	const char *diff_id; /* verify the uncompressed stream's sha256; may be NULL */
	const char *what;    /* for messages */
};
/*
 * Apply the (compressed or not) tar in the file path to the directory
 * rootfs_fd. ret_diff_id (may be NULL) receives the sha256 of the
 * uncompressed stream.
 */
int img_layer_apply(int rootfs_fd, const char *path, const struct img_layer_opts *o,
		    char *ret_diff_id, struct berth_error **reterr);

/* A (compressed or not) tar file, read with the same filters and limits as layers. */
struct img_tar;
struct archive;
int img_tar_open(const char *path, struct img_tar **ret, struct archive **ret_tar,
		 struct berth_error **reterr);
void img_tar_close(struct img_tar *t);
/* Whether a read error was the uncompressed-size limit. */
bool img_tar_too_big(struct img_tar *t);
/* Normalised entry path (image-layer.c): -EINVAL for "..", -ENAMETOOLONG, -ELOOP (depth). */
int img_clean_path(const char *in, char *out, size_t outsz);

/*
 * Build an image from a manifest in the temporary directory t and commit
 * it (image-import.c). get_layer(ud, i) returns the path of layer i's blob,
 * already checked against its descriptor (digest and size); it is called
 * only when the image is not in the store yet, and put_layer(ud, i) (may be
 * NULL) after the layer is applied. config_blob is verified by the caller.
 */
struct img_build {
	json_t *manifest;		 /* may be NULL */
	const struct img_manifest *m;
	const char *config_blob;
	size_t config_len;
	const char *digest;		 /* manifest digest, may be NULL */
	char *const *names;
	size_t n_names;
	const char *source;
	int (*get_layer)(void *ud, size_t i, char **ret_path, struct berth_error **reterr);
	void (*put_layer)(void *ud, size_t i, const char *path);
	void *ud;
};
int img_build(struct eng_ctx *ctx, struct img_tmp *t, const struct img_build *b, char **ret_id,
	      struct berth_error **reterr);
