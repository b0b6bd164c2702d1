// SPDX-License-Identifier: Apache-2.0
/*
 * `berth image import`: a rootfs tarball or an OCI image archive (a tar of
 * an OCI image layout), and img_build(), which turns a verified manifest
 * into a committed image (shared with pull).
 */
#include "image.h"
#include "image-internal.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int img_build(struct eng_ctx *ctx, struct img_tmp *t, const struct img_build *b, char **ret_id,
	      struct berth_error **reterr)
{
	struct img_config cfg = {0};
	char digest[IMG_DIGEST_LEN + 1];
	_cleanup_free_ char *final = NULL;
	int r;

	if ((r = img_config_parse(b->config_blob, b->config_len, &cfg, reterr)) < 0)
		return r;
	if (cfg.n_diff_ids && cfg.n_diff_ids != b->m->n_layers) {
		r = berth_error_set(reterr, EINVAL,
				    "the config lists %zu layers (diff_ids), the manifest %zu",
				    cfg.n_diff_ids, b->m->n_layers);
		goto out;
	}
	img_sha256_buf(b->config_blob, b->config_len, digest);
	final = eng_path(ctx->root, "images/%s", digest + 7);
	struct stat st;
	if (!final) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	if (stat(final, &st) == 0)
		log_debug("image %.12s is in the store already", digest + 7);
	else {
		_cleanup_close_ int rootfs_fd = open(t->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfs_fd < 0) {
			r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "open %s", t->rootfs);
			goto out;
		}
		for (size_t i = 0; i < b->m->n_layers; i++) {
			_cleanup_free_ char *path = NULL;
			char what[128];
			snprintf(what, sizeof(what), "layer %.19s", b->m->layers[i].digest);
			if ((r = b->get_layer(b->ud, i, &path, reterr)) < 0)
				goto out;
			struct img_layer_opts o = {
				.whiteouts = true,
				.diff_id = cfg.n_diff_ids ? cfg.diff_ids[i] : NULL,
				.what = what,
			};
			r = img_layer_apply(rootfs_fd, path, &o, NULL, reterr);
			if (b->put_layer)
				b->put_layer(b->ud, i, path);
			if (r < 0)
				goto out;
		}
	}
	struct img_commit c = {
		.config = cfg.json,
		.manifest = b->manifest,
		.digest = b->digest,
		.names = b->names,
		.n_names = b->n_names,
		.source = b->source,
	};
	r = img_commit(ctx, t, b->config_blob, b->config_len, &c, ret_id, reterr);
out:
	img_config_done(&cfg);
	return r;
}

/* --- OCI archives --- */

struct oci_archive {
	char *index;	/* index.json */
	size_t index_len;
	bool layout;	/* oci-layout seen */
	char *blobs;	/* <tmp>/blobs */
	int blobs_fd;
	size_t n_blobs;
};

static int read_entry_mem(struct archive *a, const char *what, size_t max, char **ret,
			  size_t *ret_len, struct berth_error **reterr)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return berth_error_set(reterr, EFBIG, "%s: larger than %zu bytes",
						       what, max);
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return berth_error_set(reterr, ENOMEM, "out of memory");
			}
			buf = nb;
		}
		la_ssize_t k = archive_read_data(a, buf + n, cap - n);
		if (k < 0) {
			free(buf);
			return berth_error_set(reterr, EINVAL, "%s: %s", what,
					       archive_error_string(a));
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > max) {
		free(buf);
		return berth_error_set(reterr, EFBIG, "%s: larger than %zu bytes", what, max);
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int copy_blob(struct oci_archive *o, struct archive *a, const char *hex,
		     struct berth_error **reterr)
{
	char want[IMG_DIGEST_LEN + 1], got[IMG_DIGEST_LEN + 1];
	unsigned long long total = 0;
	char buf[64 * 1024];
	int r;

	snprintf(want, sizeof(want), "sha256:%s", hex);
	_cleanup_close_ int fd =
		openat(o->blobs_fd, hex, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return berth_error_set(reterr, EINVAL, "blob %s appears twice in the archive",
					       want);
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s/%s", o->blobs,
					 hex);
	}
	struct img_sha256 *h = img_sha256_new();
	if (!h)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (;;) {
		la_ssize_t k = archive_read_data(a, buf, sizeof(buf));
		if (k < 0) {
			img_sha256_free(h);
			return berth_error_set(reterr, EINVAL, "blob %s: %s", want,
					       archive_error_string(a));
		}
		if (k == 0)
			break;
		total += (unsigned long long)k;
		if (total > IMG_MAX_BLOB_BYTES) {
			img_sha256_free(h);
			return berth_error_set(reterr, EFBIG, "blob %s: larger than %llu bytes",
					       want, IMG_MAX_BLOB_BYTES);
		}
		img_sha256_update(h, buf, (size_t)k);
		for (size_t off = 0; off < (size_t)k;) {
			ssize_t w = write(fd, buf + off, (size_t)k - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				r = -errno;
				img_sha256_free(h);
				return berth_error_errno(reterr, r, BERTH_ERR_IO, "write blob %s",
							 want);
			}
			off += (size_t)w;
		}
	}
	img_sha256_final(h, got);
	if (strcmp(got, want) != 0)
		return berth_error_set(reterr, EBADMSG,
				       "blob %s: digest mismatch: the content has digest %s", want,
				       got);
	return 0;
}

static int oci_archive_unpack(const char *file, struct oci_archive *o, bool *ret_is_oci,
			      struct berth_error **reterr)
{
	struct img_tar *t = NULL;
	struct archive *a;
	struct archive_entry *e;
	char clean[IMG_MAX_PATH + 2];
	unsigned n = 0;
	int r;

	if ((r = img_tar_open(file, &t, &a, reterr)) < 0)
		return r;
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = berth_error_set(reterr, EINVAL, "%s", archive_error_string(a));
			goto out;
		}
		if (++n > IMG_MAX_ARCHIVE_ENTRIES) {
			r = berth_error_set(reterr, E2BIG, "more than %u entries in an OCI archive",
					    IMG_MAX_ARCHIVE_ENTRIES);
			goto out;
		}
		const char *name = archive_entry_pathname(e);
		if (!name || img_clean_path(name, clean, sizeof(clean)) < 0 ||
		    archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!o->blobs) {
			/* first pass: only tell whether it is an OCI layout */
			if (strcmp(clean, "oci-layout") == 0)
				o->layout = true;
			else if (strcmp(clean, "index.json") == 0)
				o->index_len = 1;
			if (o->layout && o->index_len)
				break;
			continue;
		}
		if (strcmp(clean, "oci-layout") == 0) {
			_cleanup_free_ char *buf = NULL;
			size_t len;
			json_t *j = NULL;
			if ((r = read_entry_mem(a, "oci-layout", 4096, &buf, &len, reterr)) < 0 ||
			    (r = img_json_load(buf, len, "oci-layout", &j, reterr)) < 0)
				goto out;
			const char *v = json_string_value(json_object_get(j, "imageLayoutVersion"));
			bool ok = v && strcmp(v, "1.0.0") == 0;
			json_decref(j);
			if (!ok) {
				r = berth_error_set(reterr, ENOTSUP,
						    "oci-layout: imageLayoutVersion is not 1.0.0");
				goto out;
			}
			o->layout = true;
		} else if (strcmp(clean, "index.json") == 0) {
			if (o->index) {
				r = berth_error_set(reterr, EINVAL, "index.json appears twice");
				goto out;
			}
			if ((r = read_entry_mem(a, "index.json", IMG_MAX_JSON, &o->index,
						&o->index_len, reterr)) < 0)
				goto out;
		} else if (strncmp(clean, "blobs/sha256/", 13) == 0 && strlen(clean) == 13 + 64 &&
			   img_hex_valid(clean + 13, 64)) {
			if ((r = copy_blob(o, a, clean + 13, reterr)) < 0)
				goto out;
			o->n_blobs++;
		} else
			log_debug("OCI archive: ignoring '%s'", clean);
	}
	if (ret_is_oci)
		*ret_is_oci = o->layout && o->index_len;
	r = 0;
out:
	img_tar_close(t);
	return r;
}

/* A blob of the unpacked archive, checked against its descriptor. */
static int blob_check(struct oci_archive *o, const struct img_desc *d, char **ret_path,
		      struct berth_error **reterr)
{
	struct stat st;
	char *p = NULL;
	if (asprintf(&p, "%s/%s", o->blobs, d->digest + 7) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (lstat(p, &st) < 0) {
		free(p);
		return berth_error_set(reterr, ENOENT, "blob %s is not in the archive", d->digest);
	}
	if ((unsigned long long)st.st_size != d->size) {
		free(p);
		return berth_error_set(reterr, EBADMSG,
				       "blob %s: size %lld, the descriptor says %llu", d->digest,
				       (long long)st.st_size, d->size);
	}
	*ret_path = p;
	return 0;
}

static int blob_load(struct oci_archive *o, const struct img_desc *d, char **ret, size_t *ret_len,
		     struct berth_error **reterr)
{
	_cleanup_free_ char *p = NULL;
	int r;
	if (d->size > IMG_MAX_JSON)
		return berth_error_set(reterr, EFBIG, "blob %s: larger than %u bytes", d->digest,
				       IMG_MAX_JSON);
	if ((r = blob_check(o, d, &p, reterr)) < 0)
		return r;
	if ((r = read_file_limited(p, IMG_MAX_JSON, ret, ret_len)) < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "read blob %s", d->digest);
	return 0;
}

struct oci_build {
	struct oci_archive *o;
	const struct img_manifest *m;
};

static int oci_get_layer(void *ud, size_t i, char **ret_path, struct berth_error **reterr)
{
	struct oci_build *b = ud;
	return blob_check(b->o, &b->m->layers[i], ret_path, reterr);
}

static int import_oci(struct eng_ctx *ctx, struct img_tmp *t, const char *file, const char *name,
		      char **ret_id, struct berth_error **reterr)
{
	struct oci_archive o = {.blobs_fd = -1};
	_cleanup_free_ char *ref_name = NULL, *manifest_buf = NULL, *config_buf = NULL;
	_cleanup_free_ char *norm = NULL;
	json_t *doc = NULL;
	struct img_desc desc = {0};
	struct img_manifest m = {0};
	size_t len, config_len;
	int r;

	if (asprintf(&o.blobs, "%s/blobs", t->path) < 0) {
		o.blobs = NULL;
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	if (mkdir(o.blobs, 0700) < 0 ||
	    (o.blobs_fd = open(o.blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", o.blobs);
		goto out;
	}
	o.layout = false;
	o.index_len = 0;
	if ((r = oci_archive_unpack(file, &o, NULL, reterr)) < 0)
		goto out;
	if (!o.layout || !o.index) {
		r = berth_error_set(reterr, EINVAL, "no oci-layout or index.json in the archive");
		goto out;
	}
	if ((r = img_json_load(o.index, o.index_len, "index.json", &doc, reterr)) < 0)
		goto out;
	/* index.json, then nested indexes, down to one manifest */
	const char *what = "index.json";
	for (int depth = 0;; depth++) {
		enum img_doc_kind kind;
		if (depth > IMG_MAX_INDEX_DEPTH) {
			r = berth_error_set(reterr, ELOOP, "indexes nested deeper than %d",
					    IMG_MAX_INDEX_DEPTH);
			goto out;
		}
		if (depth == 0)
			kind = IMG_DOC_INDEX;
		else if ((r = img_doc_kind(doc, NULL, &kind, reterr)) < 0)
			goto out;
		if (kind == IMG_DOC_MANIFEST)
			break;
		struct img_index x = {0};
		size_t sel;
		if ((r = img_index_parse(doc, &x, reterr)) < 0 ||
		    (r = img_index_select(&x, NULL, &sel, reterr)) < 0) {
			img_index_done(&x);
			(void)berth_error_wrap(reterr, "%s", what);
			goto out;
		}
		img_desc_done(&desc);
		desc = x.m[sel];
		memset(&x.m[sel], 0, sizeof(x.m[sel]));
		img_index_done(&x);
		if (depth == 0 && desc.ref_name && !ref_name && !(ref_name = strdup(desc.ref_name))) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
		json_decref(doc);
		doc = NULL;
		free(manifest_buf);
		manifest_buf = NULL;
		if ((r = blob_load(&o, &desc, &manifest_buf, &len, reterr)) < 0 ||
		    (r = img_json_load(manifest_buf, len, "manifest", &doc, reterr)) < 0)
			goto out;
		what = "index";
	}
	if ((r = img_manifest_parse(doc, &m, reterr)) < 0)
		goto out;
	if ((r = blob_load(&o, &m.config, &config_buf, &config_len, reterr)) < 0)
		goto out;
	/* every layer present with its size before anything is extracted */
	for (size_t i = 0; i < m.n_layers; i++) {
		_cleanup_free_ char *p = NULL;
		if ((r = blob_check(&o, &m.layers[i], &p, reterr)) < 0)
			goto out;
	}
	const char *use = name ? name : ref_name;
	if (use) {
		struct img_ref ref = {0};
		if ((r = img_ref_parse(use, "localhost", &ref, reterr)) < 0) {
			(void)berth_error_wrap(reterr, "image name");
			goto out;
		}
		norm = img_ref_name(&ref);
		img_ref_done(&ref);
		if (!norm) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
	}
	struct oci_build ob = {.o = &o, .m = &m};
	struct img_build b = {
		.manifest = doc,
		.m = &m,
		.config_blob = config_buf,
		.config_len = config_len,
		.digest = desc.digest[0] ? desc.digest : NULL,
		.names = norm ? &norm : NULL,
		.n_names = norm ? 1 : 0,
		.source = "import",
		.get_layer = oci_get_layer,
		.ud = &ob,
	};
	r = img_build(ctx, t, &b, ret_id, reterr);
out:
	img_manifest_done(&m);
	img_desc_done(&desc);
	json_decref(doc);
	free(o.index);
	free(o.blobs);
	if (o.blobs_fd >= 0)
		(void)close(o.blobs_fd);
	return r;
}

static int import_rootfs(struct eng_ctx *ctx, struct img_tmp *t, const char *file,
			 const char *name, char **ret_id, struct berth_error **reterr)
{
	char diff_id[IMG_DIGEST_LEN + 1], now[64];
	_cleanup_free_ char *norm = NULL, *blob = NULL;
	int r;

	if (name) {
		struct img_ref ref = {0};
		if ((r = img_ref_parse(name, "localhost", &ref, reterr)) < 0)
			return berth_error_wrap(reterr, "--name");
		norm = img_ref_name(&ref);
		img_ref_done(&ref);
		if (!norm)
			return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	_cleanup_close_ int rootfs_fd = open(t->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfs_fd < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "open %s", t->rootfs);
	struct img_layer_opts o = {.whiteouts = false, .what = "rootfs tarball"};
	if ((r = img_layer_apply(rootfs_fd, file, &o, diff_id, reterr)) < 0)
		return r;
	time_t tt = time(NULL);
	struct tm tm;
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	json_t *cfg = json_pack("{s:s,s:s,s:s,s:{},s:{s:s,s:[s]},s:[{s:s,s:s,s:s}]}", "created",
				now, "architecture", img_host_arch(), "os", "linux", "config",
				"rootfs", "type", "layers", "diff_ids", diff_id, "history",
				"created", now, "created_by", "berth image import", "comment", base);
	if (!cfg || !(blob = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS))) {
		json_decref(cfg);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	struct img_commit c = {
		.config = cfg,
		.names = norm ? &norm : NULL,
		.n_names = norm ? 1 : 0,
		.source = "import",
	};
	r = img_commit(ctx, t, blob, strlen(blob), &c, ret_id, reterr);
	json_decref(cfg);
	return r;
}

int eng_image_import(struct eng_ctx *ctx, const char *file, const char *name, char **ret_id,
		     struct berth_error **reterr)
{
	struct img_tmp t = {.lock_fd = -1, .dir_fd = -1};
	struct oci_archive probe = {.blobs_fd = -1};
	bool is_oci = false;
	int r;

	if (access(file, R_OK) < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "import %s", file);
	/* a first look: an OCI layout has oci-layout and index.json */
	if ((r = oci_archive_unpack(file, &probe, &is_oci, reterr)) < 0)
		return berth_error_wrap(reterr, "import %s", file);
	if ((r = img_tmp_create(ctx, &t, reterr)) < 0)
		return berth_error_wrap(reterr, "import %s", file);
	log_debug("importing %s as %s", file, is_oci ? "an OCI archive" : "a rootfs tarball");
	r = is_oci ? import_oci(ctx, &t, file, name, ret_id, reterr)
		   : import_rootfs(ctx, &t, file, name, ret_id, reterr);
	img_tmp_done(&t);
	if (r < 0)
		return berth_error_wrap(reterr, "import %s", file);
	return 0;
}
