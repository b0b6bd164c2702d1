// SPDX-License-Identifier: Apache-2.0
/*
 * The image store (image.h, docs/engine.md, Images): image.json records,
 * lookup by name or id, temporary directories and the commit that makes an
 * image appear, removal.
 */
#include "image.h"
#include "image-internal.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMAGE_JSON_MAX (16u << 20)

__attribute__((weak)) bool eng_image_in_use(struct eng_ctx *ctx, const char *id)
{
	return false;
}

/* --- sha256 --- */

struct img_sha256 {
	EVP_MD_CTX *md;
};

struct img_sha256 *img_sha256_new(void)
{
	struct img_sha256 *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		img_sha256_free(h);
		return NULL;
	}
	return h;
}

void img_sha256_update(struct img_sha256 *h, const void *p, size_t n)
{
	(void)EVP_DigestUpdate(h->md, p, n);
}

void img_sha256_final(struct img_sha256 *h, char out[IMG_DIGEST_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	(void)EVP_DigestFinal_ex(h->md, md, &n);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	img_sha256_free(h);
}

void img_sha256_free(struct img_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

void img_sha256_buf(const void *p, size_t n, char out[IMG_DIGEST_LEN + 1])
{
	unsigned char md[32];
	unsigned int len = 0;
	(void)EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* --- removal --- */

/* Take the engine lock unless the caller holds it already; *took says who releases it. */
static int img_lock(struct eng_ctx *ctx, bool *took, struct berth_error **reterr)
{
	*took = ctx->lock_fd < 0;
	return eng_lock(ctx, reterr);
}

static void img_unlock(struct eng_ctx *ctx, bool took)
{
	if (took)
		eng_unlock(ctx);
}

/* --- temporary directories --- */

static char *images_dir(struct eng_ctx *ctx)
{
	return eng_path(ctx->root, "images");
}

/* Remove .tmp-* directories nobody holds (a killed import/pull). Under the engine lock. */
static void sweep_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		_cleanup_free_ char *lock = NULL;
		if (asprintf(&lock, "%s/%s/lock", dir, de->d_name) < 0)
			break;
		_cleanup_close_ int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* in progress */
		int r = eng_rm_rf_at(dirfd(d), de->d_name);
		if (r < 0)
			log_warn("cannot remove %s/%s: %s, ignoring", dir, de->d_name, strerror(-r));
		else
			log_debug("removed the leftover %s/%s", dir, de->d_name);
	}
	closedir(d);
}

int img_tmp_create(struct eng_ctx *ctx, struct img_tmp *ret, struct berth_error **reterr)
{
	struct img_tmp t = {.lock_fd = -1, .dir_fd = -1};
	_cleanup_free_ char *dir = images_dir(ctx);
	bool took;
	int r;

	if (!dir)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if ((r = img_lock(ctx, &took, reterr)) < 0)
		return r;
	r = mkdir_p(dir, 0700);
	if (r < 0) {
		img_unlock(ctx, took);
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "create %s", dir);
	}
	sweep_tmp(dir);
	if (asprintf(&t.path, "%s/.tmp-XXXXXX", dir) < 0) {
		t.path = NULL;
		img_unlock(ctx, took);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	if (!mkdtemp(t.path)) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create a directory in %s",
				      dir);
		free(t.path);
		img_unlock(ctx, took);
		return r;
	}
	_cleanup_free_ char *lock = NULL;
	if (asprintf(&lock, "%s/lock", t.path) < 0 || asprintf(&t.rootfs, "%s/rootfs", t.path) < 0) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto fail;
	}
	t.lock_fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (t.lock_fd < 0 || flock(t.lock_fd, LOCK_EX) < 0) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", lock);
		goto fail;
	}
	if (mkdir(t.rootfs, 0755) < 0 ||
	    (t.dir_fd = open(t.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", t.rootfs);
		goto fail;
	}
	/* the rootfs is 0755 whatever the umask */
	(void)chmod(t.rootfs, 0755);
	/* downloads run without the engine lock: the flock on t/lock keeps sweepers away */
	img_unlock(ctx, took);
	*ret = t;
	return 0;
fail:
	img_tmp_done(&t);
	img_unlock(ctx, took);
	return r;
}

void img_tmp_done(struct img_tmp *t)
{
	if (t->path) {
		int r = eng_rm_rf_at(AT_FDCWD, t->path);
		if (r < 0)
			log_warn("cannot remove %s: %s, ignoring", t->path, strerror(-r));
	}
	if (t->dir_fd >= 0)
		(void)close(t->dir_fd);
	if (t->lock_fd >= 0)
		(void)close(t->lock_fd);
	free(t->path);
	free(t->rootfs);
	memset(t, 0, sizeof(*t));
	t->lock_fd = t->dir_fd = -1;
}

/* --- records --- */

void eng_image_free(struct eng_image *img)
{
	if (!img)
		return;
	free(img->id);
	for (size_t i = 0; i < img->n_names; i++)
		free(img->names[i]);
	free(img->names);
	free(img->dir);
	free(img->rootfs);
	free(img->digest);
	json_decref(img->config);
	json_decref(img->image_config);
	free(img);
}

void eng_image_list_free(struct eng_image **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		eng_image_free(v[i]);
	free(v);
}

static int image_load(const char *images, const char *id, struct eng_image **ret)
{
	_cleanup_free_ char *p = NULL, *buf = NULL;
	size_t len;
	int r;

	if (asprintf(&p, "%s/%s/image.json", images, id) < 0)
		return -ENOMEM;
	if ((r = read_file_limited(p, IMAGE_JSON_MAX, &buf, &len)) < 0)
		return r;
	json_t *j = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	struct eng_image *img = calloc(1, sizeof(*img));
	if (!img) {
		json_decref(j);
		return -ENOMEM;
	}
	img->id = strdup(id);
	img->dir = NULL;
	if (asprintf(&img->dir, "%s/%s", images, id) < 0)
		img->dir = NULL;
	if (asprintf(&img->rootfs, "%s/%s/rootfs", images, id) < 0)
		img->rootfs = NULL;
	json_t *names = json_object_get(j, "names"), *v;
	size_t i;
	img->names = calloc(json_array_size(names) + 1, sizeof(char *));
	if (img->names)
		json_array_foreach(names, i, v) if (json_is_string(v))
			img->names[img->n_names++] = strdup(json_string_value(v));
	img->created = json_integer_value(json_object_get(j, "created"));
	img->size = (unsigned long long)json_integer_value(json_object_get(j, "size"));
	const char *dg = json_string_value(json_object_get(j, "digest"));
	img->digest = dg ? strdup(dg) : NULL;
	img->image_config = json_incref(json_object_get(j, "image_config"));
	if (!img->image_config)
		img->image_config = json_object();
	json_t *cfg = json_object_get(img->image_config, "config");
	img->config = json_is_object(cfg) ? json_incref(cfg) : json_object();
	json_decref(j);
	bool ok = img->id && img->dir && img->rootfs && img->names && img->config &&
		  img->image_config && (!dg || img->digest);
	for (i = 0; ok && i < img->n_names; i++)
		ok = img->names[i] != NULL;
	if (!ok) {
		eng_image_free(img);
		return -ENOMEM;
	}
	*ret = img;
	return 0;
}

static int cmp_created(const void *a, const void *b)
{
	const struct eng_image *x = *(struct eng_image *const *)a, *y = *(struct eng_image *const *)b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

int eng_image_list(struct eng_ctx *ctx, struct eng_image ***ret, size_t *ret_n,
		   struct berth_error **reterr)
{
	_cleanup_free_ char *dir = images_dir(ctx);
	struct eng_image **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!dir)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "open %s", dir);
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 64 || !img_hex_valid(de->d_name, 64))
			continue;
		struct eng_image *img = NULL;
		int r = image_load(dir, de->d_name, &img);
		if (r == -ENOMEM) {
			closedir(d);
			eng_image_list_free(v, n);
			return berth_error_set(reterr, ENOMEM, "out of memory");
		}
		if (r < 0) {
			log_warn("image %s: cannot read image.json: %s, ignoring", de->d_name,
				 strerror(-r));
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct eng_image **nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				eng_image_free(img);
				closedir(d);
				eng_image_list_free(v, n);
				return berth_error_set(reterr, ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[n++] = img;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_created);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* --- lookup --- */

static bool image_has_name(const struct eng_image *img, const char *name)
{
	for (size_t i = 0; i < img->n_names; i++)
		if (strcmp(img->names[i], name) == 0)
			return true;
	return false;
}

/* Does stored name end with "/<suffix>" (a short name given without registry)? */
static bool name_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n > k && name[n - k - 1] == '/' && strcmp(name + n - k, suffix) == 0;
}

static int find_image(struct eng_image **v, size_t n, const char *ref, size_t *ret,
		      struct berth_error **reterr)
{
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	size_t hl = strlen(hex);
	bool is_hex = hl >= 4 && hl <= 64 && img_hex_valid(hex, hl);

	if (hl == 64 && is_hex)
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i]->id, hex) == 0) {
				*ret = i;
				return 0;
			}
	/* names: the exact normalised forms first */
	if (hex == ref) {
		struct img_ref r[2] = {0};
		bool ok[2];
		ok[0] = img_ref_parse(ref, "localhost", &r[0], NULL) == 0;
		ok[1] = !img_ref_has_registry(ref) && img_ref_parse(ref, "docker.io", &r[1], NULL) == 0;
		for (int k = 0; k < 2; k++) {
			if (!ok[k])
				continue;
			_cleanup_free_ char *full = img_ref_name(&r[k]);
			for (size_t i = 0; full && i < n; i++)
				if (image_has_name(v[i], full)) {
					img_ref_done(&r[0]);
					img_ref_done(&r[1]);
					*ret = i;
					return 0;
				}
		}
		/* then "<any registry>/<ref>" when only one image has it */
		if (ok[0] && !img_ref_has_registry(ref)) {
			_cleanup_free_ char *full = img_ref_name(&r[0]);
			const char *suffix = full ? full + strlen("localhost/") : NULL;
			size_t found = SIZE_MAX;
			bool ambiguous = false;
			for (size_t i = 0; suffix && i < n; i++)
				for (size_t j = 0; j < v[i]->n_names; j++)
					if (name_has_suffix(v[i]->names[j], suffix)) {
						if (found != SIZE_MAX && found != i)
							ambiguous = true;
						found = i;
					}
			if (ambiguous) {
				img_ref_done(&r[0]);
				img_ref_done(&r[1]);
				return berth_error_set(reterr, EINVAL,
						       "image '%s': the short name matches several "
						       "images, give the registry",
						       ref);
			}
			if (found != SIZE_MAX) {
				img_ref_done(&r[0]);
				img_ref_done(&r[1]);
				*ret = found;
				return 0;
			}
		}
		img_ref_done(&r[0]);
		img_ref_done(&r[1]);
	}
	if (is_hex) {
		size_t found = SIZE_MAX;
		for (size_t i = 0; i < n; i++)
			if (strncmp(v[i]->id, hex, hl) == 0) {
				if (found != SIZE_MAX)
					return berth_error_set(reterr, EINVAL,
							       "image id prefix '%s' is ambiguous",
							       ref);
				found = i;
			}
		if (found != SIZE_MAX) {
			*ret = found;
			return 0;
		}
	}
	return berth_error_set(reterr, ENOENT, "%s: image not known", ref);
}

int eng_image_lookup(struct eng_ctx *ctx, const char *ref, struct eng_image **ret,
		     struct berth_error **reterr)
{
	struct eng_image **v = NULL;
	size_t n = 0, i;
	int r;

	if ((r = eng_image_list(ctx, &v, &n, reterr)) < 0)
		return r;
	if ((r = find_image(v, n, ref, &i, reterr)) < 0) {
		eng_image_list_free(v, n);
		return r;
	}
	*ret = TAKE_PTR(v[i]);
	eng_image_list_free(v, n);
	return 0;
}

/* --- writing records --- */

static int write_record(const char *images, const char *id, json_t *rec)
{
	_cleanup_free_ char *p = NULL, *s = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!s || asprintf(&p, "%s/%s/image.json", images, id) < 0)
		return -ENOMEM;
	return write_file_atomic(p, s, strlen(s), 0600);
}

/* Rewrite the names of an existing image's record. */
static int set_names(const char *images, const char *id, char *const *names, size_t n)
{
	_cleanup_free_ char *p = NULL, *buf = NULL;
	size_t len;
	int r;

	if (asprintf(&p, "%s/%s/image.json", images, id) < 0)
		return -ENOMEM;
	if ((r = read_file_limited(p, IMAGE_JSON_MAX, &buf, &len)) < 0)
		return r;
	json_t *j = json_loadb(buf, len, 0, NULL), *a = json_array();
	if (!json_is_object(j) || !a) {
		json_decref(j);
		json_decref(a);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++)
		(void)json_array_append_new(a, json_string(names[i]));
	(void)json_object_set_new(j, "names", a);
	r = write_record(images, id, j);
	json_decref(j);
	return r;
}

/* Take `names` away from every image but keep_id. */
static int steal_names(struct eng_ctx *ctx, const char *images, const char *keep_id,
		       char *const *names, size_t n, struct berth_error **reterr)
{
	struct eng_image **v = NULL;
	size_t nv = 0;
	int r;

	if (n == 0)
		return 0;
	if ((r = eng_image_list(ctx, &v, &nv, reterr)) < 0)
		return r;
	for (size_t i = 0; i < nv; i++) {
		struct eng_image *img = v[i];
		if (strcmp(img->id, keep_id) == 0)
			continue;
		size_t k = 0;
		bool changed = false;
		for (size_t j = 0; j < img->n_names; j++) {
			bool taken = false;
			for (size_t m = 0; m < n; m++)
				taken = taken || strcmp(img->names[j], names[m]) == 0;
			if (taken) {
				free(img->names[j]);
				changed = true;
			} else
				img->names[k++] = img->names[j];
		}
		img->n_names = k;
		if (changed && (r = set_names(images, img->id, img->names, k)) < 0) {
			eng_image_list_free(v, nv);
			return berth_error_errno(reterr, r, BERTH_ERR_IO, "update image %.12s",
						 img->id);
		}
	}
	eng_image_list_free(v, nv);
	return 0;
}

/* Sum of regular file sizes below fd, hard links counted once. */
struct size_walk {
	unsigned long long total;
	unsigned long long *inos;
	size_t n, cap;
};

static void size_dir(int fd, struct size_walk *w, unsigned depth)
{
	if (depth > IMG_MAX_DEPTH + 8)
		return;
	DIR *d = fdopendir(fd);
	struct dirent *de;
	if (!d) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				size_dir(sub, w, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (st.st_nlink > 1) {
				bool seen = false;
				for (size_t i = 0; i < w->n && !seen; i++)
					seen = w->inos[i] == (unsigned long long)st.st_ino;
				if (seen)
					continue;
				if (w->n == w->cap) {
					size_t nc = w->cap ? w->cap * 2 : 64;
					unsigned long long *ni =
						realloc(w->inos, nc * sizeof(*ni));
					if (ni) {
						w->inos = ni;
						w->cap = nc;
					}
				}
				if (w->n < w->cap)
					w->inos[w->n++] = (unsigned long long)st.st_ino;
			}
			w->total += (unsigned long long)st.st_size;
		} else if (S_ISLNK(st.st_mode))
			w->total += (unsigned long long)st.st_size;
	}
	closedir(d);
}

static unsigned long long rootfs_size(const char *rootfs)
{
	struct size_walk w = {0};
	int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		size_dir(fd, &w, 0);
	free(w.inos);
	return w.total;
}

int img_commit(struct eng_ctx *ctx, struct img_tmp *t, const char *config_blob, size_t blob_len,
	       const struct img_commit *c, char **ret_id, struct berth_error **reterr)
{
	char digest[IMG_DIGEST_LEN + 1];
	_cleanup_free_ char *images = images_dir(ctx), *final = NULL;
	bool took;
	int r;

	if (!images)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	img_sha256_buf(config_blob, blob_len, digest);
	const char *id = digest + 7;
	if (asprintf(&final, "%s/%s", images, id) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if ((r = img_lock(ctx, &took, reterr)) < 0)
		return r;

	struct stat st;
	if (stat(final, &st) == 0) {
		/* the same image again: only add the names */
		struct eng_image *old = NULL;
		if ((r = image_load(images, id, &old)) < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_IO, "read image %.12s", id);
			goto out;
		}
		size_t n = old->n_names;
		char **all = calloc(n + c->n_names + 1, sizeof(char *));
		if (!all) {
			eng_image_free(old);
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
		memcpy(all, old->names, n * sizeof(char *));
		for (size_t i = 0; i < c->n_names; i++)
			if (!image_has_name(old, c->names[i]))
				all[n++] = c->names[i];
		r = set_names(images, id, all, n);
		free(all);
		eng_image_free(old);
		if (r < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_IO, "update image %.12s", id);
			goto out;
		}
		log_debug("image %.12s exists already", id);
	} else {
		json_t *rec = json_object(), *names = json_array();
		if (!rec || !names) {
			json_decref(rec);
			json_decref(names);
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < c->n_names; i++)
			(void)json_array_append_new(names, json_string(c->names[i]));
		struct img_config cfg = {0};
		long long created = 0;
		if (img_config_parse(config_blob, blob_len, &cfg, NULL) == 0) {
			created = cfg.created;
			img_config_done(&cfg);
		}
		if (created <= 0)
			created = (long long)time(NULL);
		(void)json_object_set_new(rec, "id", json_string(id));
		(void)json_object_set_new(rec, "names", names);
		(void)json_object_set_new(rec, "created", json_integer(created));
		(void)json_object_set_new(rec, "size", json_integer((json_int_t)rootfs_size(t->rootfs)));
		(void)json_object_set_new(rec, "imported", json_integer((json_int_t)time(NULL)));
		(void)json_object_set_new(rec, "source", json_string(c->source));
		(void)json_object_set(rec, "image_config", c->config);
		if (c->manifest)
			(void)json_object_set(rec, "manifest", c->manifest);
		if (c->digest)
			(void)json_object_set_new(rec, "digest", json_string(c->digest));
		_cleanup_free_ char *s = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(rec);
		if (!s) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
		if ((r = write_file_atomic_at(t->dir_fd, "image.json", s, strlen(s), 0600)) < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_IO, "write %s/image.json",
					      t->path);
			goto out;
		}
		/* the lock file goes before the rename: a committed image has none */
		(void)unlinkat(t->dir_fd, "lock", 0);
		if (rename(t->path, final) < 0) {
			r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "rename %s to %s",
					      t->path, final);
			goto out;
		}
		free(t->path);
		t->path = NULL; /* committed: nothing to remove */
	}
	if ((r = steal_names(ctx, images, id, c->names, c->n_names, reterr)) < 0)
		goto out;
	if (ret_id && !(*ret_id = strdup(id))) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	r = 0;
out:
	img_unlock(ctx, took);
	return r;
}

/* --- removal --- */

static int remove_locked(struct eng_ctx *ctx, const char *images, const struct eng_image *img,
			 struct berth_error **reterr)
{
	_cleanup_free_ char *gone = NULL;
	if (eng_image_in_use(ctx, img->id))
		return berth_error_set(reterr, EBUSY,
				       "image %.12s is in use by a container (remove the container "
				       "first)",
				       img->id);
	if (asprintf(&gone, "%s/.tmp-rm-%s", images, img->id) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	/* disappear at once; the tree goes afterwards (or with the next sweep) */
	if (rename(img->dir, gone) < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "remove %s", img->dir);
	int r = eng_rm_rf_at(AT_FDCWD, gone);
	if (r < 0)
		log_warn("cannot remove %s: %s, ignoring", gone, strerror(-r));
	return 0;
}

int eng_image_remove(struct eng_ctx *ctx, const char *ref, struct berth_error **reterr)
{
	_cleanup_free_ char *images = images_dir(ctx);
	struct eng_image *img = NULL;
	bool took;
	int r;

	if (!images)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if ((r = img_lock(ctx, &took, reterr)) < 0)
		return r;
	if ((r = eng_image_lookup(ctx, ref, &img, reterr)) >= 0) {
		r = remove_locked(ctx, images, img, reterr);
		eng_image_free(img);
	}
	img_unlock(ctx, took);
	return r;
}

int eng_image_untag(struct eng_ctx *ctx, const char *ref, char **ret_name,
		    struct berth_error **reterr)
{
	_cleanup_free_ char *images = images_dir(ctx);
	struct eng_image *img = NULL;
	bool took;
	int r;

	if (!images)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if ((r = img_lock(ctx, &took, reterr)) < 0)
		return r;
	if ((r = eng_image_lookup(ctx, ref, &img, reterr)) < 0)
		goto out;
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	bool by_id = strncmp(img->id, hex, strlen(hex)) == 0;
	if (!by_id && img->n_names > 1) {
		/* which name did ref resolve to? the one find_image would match */
		struct eng_image *one[1] = {NULL};
		size_t k = SIZE_MAX;
		for (size_t i = 0; i < img->n_names && k == SIZE_MAX; i++) {
			struct eng_image tmp = *img;
			size_t idx;
			tmp.names = &img->names[i];
			tmp.n_names = 1;
			one[0] = &tmp;
			if (find_image(one, 1, ref, &idx, NULL) == 0)
				k = i;
		}
		if (k != SIZE_MAX) {
			char *name = img->names[k];
			memmove(&img->names[k], &img->names[k + 1],
				(img->n_names - k - 1) * sizeof(char *));
			img->n_names--;
			r = set_names(images, img->id, img->names, img->n_names);
			if (r < 0) {
				free(name);
				r = berth_error_errno(reterr, r, BERTH_ERR_IO,
						      "update image %.12s", img->id);
				goto out;
			}
			*ret_name = name;
			r = 1;
			goto out;
		}
	}
	r = remove_locked(ctx, images, img, reterr);
out:
	eng_image_free(img);
	img_unlock(ctx, took);
	return r;
}

/* --- inspect --- */

static json_t *time_json(long long t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *eng_image_to_json(const struct eng_image *img)
{
	json_t *o = json_object(), *tags = json_array(), *digests = json_array();
	if (!o || !tags || !digests) {
		json_decref(o);
		json_decref(tags);
		json_decref(digests);
		return NULL;
	}
	for (size_t i = 0; i < img->n_names; i++) {
		const char *n = img->names[i];
		if (strchr(n, '@'))
			(void)json_array_append_new(digests, json_string(n));
		else
			(void)json_array_append_new(tags, json_string(n));
		if (img->digest && !strchr(n, '@')) {
			const char *colon = strrchr(n, ':');
			const char *slash = strrchr(n, '/');
			size_t len = colon && (!slash || colon > slash) ? (size_t)(colon - n)
									: strlen(n);
			char *d = NULL;
			if (asprintf(&d, "%.*s@%s", (int)len, n, img->digest) >= 0)
				(void)json_array_append_new(digests, json_string(d));
			free(d);
		}
	}
	json_t *ic = img->image_config;
	(void)json_object_set_new(o, "Id", json_string(img->id));
	(void)json_object_set_new(o, "Digest", img->digest ? json_string(img->digest) : json_null());
	(void)json_object_set_new(o, "RepoTags", tags);
	(void)json_object_set_new(o, "RepoDigests", digests);
	(void)json_object_set_new(o, "Created", time_json(img->created));
	(void)json_object_set(o, "Config", img->config);
	json_t *v;
	if ((v = json_object_get(ic, "architecture")))
		(void)json_object_set(o, "Architecture", v);
	if ((v = json_object_get(ic, "os")))
		(void)json_object_set(o, "Os", v);
	if ((v = json_object_get(ic, "author")))
		(void)json_object_set(o, "Author", v);
	(void)json_object_set_new(o, "Size", json_integer((json_int_t)img->size));
	json_t *rootfs = json_object_get(ic, "rootfs");
	json_t *ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
	json_t *rf = json_object();
	if (rf) {
		(void)json_object_set_new(rf, "Type", json_string("layers"));
		(void)json_object_set_new(rf, "Layers", json_is_array(ids) ? json_incref(ids)
									  : json_array());
		(void)json_object_set_new(o, "RootFS", rf);
	}
	if ((v = json_object_get(ic, "history")))
		(void)json_object_set(o, "History", v);
	json_t *labels = json_object_get(img->config, "Labels");
	(void)json_object_set(o, "Labels", labels ? labels : json_null());
	(void)json_object_set_new(o, "NamesHistory", json_array());
	(void)json_object_set_new(o, "Dir", json_string(img->dir));
	(void)json_object_set_new(o, "Rootfs", json_string(img->rootfs));
	return o;
}
