// SPDX-License-Identifier: Apache-2.0
/*
 * Applying a layer (or a rootfs tarball) to a root file system being built.
 *
 * Theory of operation. The compressed file is read by a first libarchive
 * object (decompression filters, "raw" format) whose output feeds a second
 * one (tar format) through a callback: that callback counts the
 * uncompressed bytes (the bomb limit) and hashes them (the diff_id). An OCI
 * layer is read twice: the first pass applies its whiteouts (they concern
 * the lower layers only, whatever their place in the tar) and checks the
 * diff_id, the second extracts everything else. Entries are extracted by
 * libarchive's write_disk with the SECURE_* flags, the process' working
 * directory being the rootfs; before that, berth itself normalises every
 * path (no "..", no absolute path, bounded length and depth) and refuses an
 * entry whose parent directory, or hard link target, would be reached
 * through a symlink (openat2 RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH).
 * Whiteouts are resolved the same way and never follow a symlink.
 */
#include "engine.h"
#include "image-internal.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct stack {
	int fd;
	struct archive *raw; /* filters, raw format */
	struct archive *tar; /* tar format, fed from raw */
	struct img_sha256 *h;
	unsigned long long ubytes;
	bool empty;
	bool too_big;
	char buf[64 * 1024];
};

static la_ssize_t stack_read(struct archive *a, void *data, const void **buf)
{
	struct stack *s = data;
	if (s->empty)
		return 0;
	la_ssize_t n = archive_read_data(s->raw, s->buf, sizeof(s->buf));
	if (n < 0) {
		archive_set_error(a, archive_errno(s->raw), "%s", archive_error_string(s->raw));
		return -1;
	}
	s->ubytes += (unsigned long long)n;
	if (s->ubytes > IMG_MAX_LAYER_BYTES + (1u << 20)) {
		s->too_big = true;
		archive_set_error(a, EFBIG, "more than %llu uncompressed bytes",
				  IMG_MAX_LAYER_BYTES);
		return -1;
	}
	if (s->h && n > 0)
		img_sha256_update(s->h, s->buf, (size_t)n);
	*buf = s->buf;
	return n;
}

static void stack_free(struct stack *s)
{
	if (!s)
		return;
	if (s->tar)
		archive_read_free(s->tar);
	if (s->raw)
		archive_read_free(s->raw);
	if (s->fd >= 0)
		(void)close(s->fd);
	img_sha256_free(s->h);
	free(s);
}

static int stack_open(const char *path, bool hash, struct stack **ret, struct berth_error **reterr)
{
	struct stack *s = calloc(1, sizeof(*s));
	struct archive_entry *e;
	int r;

	if (s)
		s->fd = -1;
	if (!s || !(s->raw = archive_read_new()) || !(s->tar = archive_read_new()) ||
	    (hash && !(s->h = img_sha256_new()))) {
		stack_free(s);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	/* in-process decompressors only (no external programs) */
	(void)archive_read_support_filter_gzip(s->raw);
	(void)archive_read_support_filter_bzip2(s->raw);
	(void)archive_read_support_filter_xz(s->raw);
	(void)archive_read_support_filter_lzma(s->raw);
	(void)archive_read_support_filter_zstd(s->raw);
	(void)archive_read_support_filter_lz4(s->raw);
	(void)archive_read_support_format_raw(s->raw);
	(void)archive_read_support_format_empty(s->raw);
	s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (s->fd < 0) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "open %s", path);
		stack_free(s);
		return r;
	}
	/* archive_read_open_fd does not close the fd: stack_free does */
	if (archive_read_open_fd(s->raw, s->fd, 64 * 1024) != ARCHIVE_OK) {
		r = berth_error_set(reterr, EINVAL, "%s", archive_error_string(s->raw));
		stack_free(s);
		return r;
	}
	r = archive_read_next_header(s->raw, &e);
	if (r == ARCHIVE_EOF)
		s->empty = true;
	else if (r != ARCHIVE_OK) {
		r = berth_error_set(reterr, EINVAL, "%s", archive_error_string(s->raw));
		stack_free(s);
		return r;
	}
	(void)archive_read_support_format_tar(s->tar);
	(void)archive_read_support_format_empty(s->tar);
	if (archive_read_open(s->tar, s, NULL, stack_read, NULL) != ARCHIVE_OK) {
		r = berth_error_set(reterr, EINVAL, "not a tar archive: %s",
				    archive_error_string(s->tar));
		stack_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int img_tar_open(const char *path, struct img_tar **ret, struct archive **ret_tar,
		 struct berth_error **reterr)
{
	struct stack *s = NULL;
	int r = stack_open(path, false, &s, reterr);
	if (r < 0)
		return r;
	*ret = (struct img_tar *)s;
	*ret_tar = s->tar;
	return 0;
}

void img_tar_close(struct img_tar *t)
{
	stack_free((struct stack *)t);
}

bool img_tar_too_big(struct img_tar *t)
{
	return ((struct stack *)t)->too_big;
}

/*
 * Normalise an entry path: no leading "/" or "./", no "." components, no
 * "//", no trailing "/". "" is the root itself. -EINVAL for "..", too long
 * or too deep paths.
 */
int img_clean_path(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	unsigned depth = 0;
	const char *p = in;

	if (strlen(in) > IMG_MAX_PATH)
		return -ENAMETOOLONG;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (++depth > IMG_MAX_DEPTH)
			return -ELOOP;
		if (o + n + 2 > outsz)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return 0;
}

static int openat2_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Split "a/b/c" into parent "a/b" and name "c" (parent "" for "c"). */
static void split(char *path, const char **parent, const char **name)
{
	char *slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		*parent = path;
		*name = slash + 1;
	} else {
		*parent = "";
		*name = path;
	}
}

static int apply_whiteout(int rootfs_fd, const char *clean, unsigned long long *n_removed,
			  struct berth_error **reterr)
{
	char buf[IMG_MAX_PATH + 2];
	const char *parent, *name;
	int r;

	snprintf(buf, sizeof(buf), "%s", clean);
	split(buf, &parent, &name);
	if (strcmp(name, WH_OPAQUE) != 0 && strncmp(name, WH_PREFIX WH_PREFIX, 8) == 0)
		return 0; /* other aufs metadata (.wh..wh.plnk, ...) */
	int pfd = openat2_beneath(rootfs_fd, parent, O_RDONLY | O_DIRECTORY);
	if (pfd == -ENOENT || pfd == -ENOTDIR || pfd == -ELOOP || pfd == -EXDEV) {
		/* nothing below it in the lower layers, or only through a symlink */
		log_debug("whiteout '%s': no directory '%s' (%s), ignoring", clean, parent,
			  strerror(-pfd));
		return 0;
	}
	if (pfd < 0)
		return berth_error_errno(reterr, pfd, BERTH_ERR_IO, "whiteout '%s'", clean);
	if (strcmp(name, WH_OPAQUE) == 0) {
		/* opaque: the directory's lower content goes, the directory stays */
		_cleanup_close_ int dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (!d) {
			r = -errno;
			(void)close(pfd);
			return berth_error_errno(reterr, r, BERTH_ERR_IO, "whiteout '%s'", clean);
		}
		dfd = -1;
		struct dirent *de;
		r = 0;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				int k = eng_rm_rf_at(pfd, de->d_name);
				if (k < 0)
					r = k;
				(*n_removed)++;
			}
		closedir(d);
	} else {
		const char *target = name + strlen(WH_PREFIX);
		if (!*target || strcmp(target, ".") == 0 || strcmp(target, "..") == 0) {
			(void)close(pfd);
			return berth_error_set(reterr, EINVAL, "whiteout '%s': bad name", clean);
		}
		r = eng_rm_rf_at(pfd, target);
		(*n_removed)++;
	}
	(void)close(pfd);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "whiteout '%s'", clean);
	return 0;
}

static bool is_whiteout(const char *clean)
{
	const char *slash = strrchr(clean, '/');
	const char *name = slash ? slash + 1 : clean;
	return strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0;
}

/* Keep user.* and security.* xattrs; trusted.* (overlayfs' own) and the rest go. */
static void filter_xattrs(struct archive_entry *e)
{
	const char *name;
	const void *value;
	size_t size;
	struct kept {
		char *name;
		void *value;
		size_t size;
	} *kept = NULL;
	size_t n = 0, total;
	bool drop = false;

	total = (size_t)archive_entry_xattr_reset(e);
	if (total == 0)
		return;
	kept = calloc(total, sizeof(*kept));
	if (!kept) {
		archive_entry_xattr_clear(e);
		return;
	}
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (strncmp(name, "user.", 5) && strncmp(name, "security.", 9)) {
			drop = true;
			continue;
		}
		if (n < total && (kept[n].name = strdup(name)) &&
		    (kept[n].value = malloc(size ? size : 1))) {
			memcpy(kept[n].value, value, size);
			kept[n].size = size;
			n++;
		} else if (n < total) {
			free(kept[n].name);
			kept[n].name = NULL;
		}
	}
	if (drop) {
		archive_entry_xattr_clear(e);
		for (size_t i = 0; i < n; i++)
			archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
	}
	for (size_t i = 0; i < n; i++) {
		free(kept[i].name);
		free(kept[i].value);
	}
	free(kept);
}

/* The parent of clean must be a real directory below the rootfs (or not exist yet). */
static int check_parent(int rootfs_fd, const char *clean, char *last_ok, const char *what,
			const char *kind, struct berth_error **reterr)
{
	char buf[IMG_MAX_PATH + 2];
	const char *parent, *name;

	snprintf(buf, sizeof(buf), "%s", clean);
	split(buf, &parent, &name);
	if (!*parent || strcmp(parent, last_ok) == 0)
		return 0;
	int fd = openat2_beneath(rootfs_fd, parent, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		(void)close(fd);
		snprintf(last_ok, IMG_MAX_PATH + 2, "%s", parent);
		return 0;
	}
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0; /* created (or replaced) as a directory by the extraction */
	if (fd == -ELOOP || fd == -EXDEV)
		return berth_error_set(reterr, EPERM,
				       "%s: %s '%s' would be written through a symlink", what,
				       kind, clean);
	return berth_error_errno(reterr, fd, BERTH_ERR_IO, "%s: '%s'", what, clean);
}

static int extract_flags(void)
{
	return ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	       ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_UNLINK |
	       ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	       ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_SPARSE;
}

/* One pass over the layer. extract false: whiteouts only. */
static int layer_pass(int rootfs_fd, const char *path, const struct img_layer_opts *o,
		      bool extract, char *ret_diff_id, struct berth_error **reterr)
{
	struct stack *s = NULL;
	struct archive *disk = NULL;
	struct archive_entry *e;
	char clean[IMG_MAX_PATH + 2], link[IMG_MAX_PATH + 2], last_ok[IMG_MAX_PATH + 2] = "";
	unsigned long long n_entries = 0, bytes = 0, n_wh = 0;
	int saved_cwd = -1, r;

	r = stack_open(path, ret_diff_id != NULL, &s, reterr);
	if (r < 0)
		return berth_error_wrap(reterr, "%s", o->what);
	if (extract) {
		if (!(disk = archive_write_disk_new())) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
		(void)archive_write_disk_set_options(disk, extract_flags());
		/* numeric uid/gid: names mean nothing outside the image */
		saved_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (saved_cwd < 0 || fchdir(rootfs_fd) < 0) {
			r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "%s: enter rootfs",
					      o->what);
			goto out;
		}
	}
	for (;;) {
		r = archive_read_next_header(s->tar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = berth_error_set(reterr, s->too_big ? EFBIG : EINVAL, "%s: %s", o->what,
					    archive_error_string(s->tar));
			goto out;
		}
		if (++n_entries > IMG_MAX_LAYER_ENTRIES) {
			r = berth_error_set(reterr, E2BIG, "%s: more than %u entries", o->what,
					    IMG_MAX_LAYER_ENTRIES);
			goto out;
		}
		const char *name = archive_entry_pathname(e);
		if (!name) {
			r = berth_error_set(reterr, EINVAL, "%s: entry %llu has no path", o->what,
					    n_entries);
			goto out;
		}
		int k = img_clean_path(name, clean, sizeof(clean));
		if (k < 0) {
			r = berth_error_set(reterr, EPERM, "%s: entry '%.200s': %s", o->what, name,
					    k == -EINVAL ? "path leaves the root file system"
							 : "path too long or too deep");
			goto out;
		}
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
			bytes += (unsigned long long)archive_entry_size(e);
		if (bytes > IMG_MAX_LAYER_BYTES) {
			r = berth_error_set(reterr, EFBIG, "%s: more than %llu bytes", o->what,
					    IMG_MAX_LAYER_BYTES);
			goto out;
		}
		bool wh = o->whiteouts && is_whiteout(clean);
		if (!extract) {
			if (wh && (r = apply_whiteout(rootfs_fd, clean, &n_wh, reterr)) < 0) {
				(void)berth_error_wrap(reterr, "%s", o->what);
				goto out;
			}
			continue;
		}
		if (wh)
			continue;
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFSOCK)
			continue;
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			if ((k = img_clean_path(hl, link, sizeof(link))) < 0 || !*link) {
				r = berth_error_set(reterr, EPERM,
						    "%s: hard link '%.200s' -> '%.200s' leaves the "
						    "root file system",
						    o->what, name, hl);
				goto out;
			}
			if ((r = check_parent(rootfs_fd, link, last_ok, o->what, "hard link target",
					      reterr)) < 0)
				goto out;
			archive_entry_set_hardlink(e, link);
		}
		if (!*clean) {
			/* the root itself: its owner and mode */
			if (type == AE_IFDIR) {
				if (fchown(rootfs_fd, (uid_t)archive_entry_uid(e),
					   (gid_t)archive_entry_gid(e)) < 0 ||
				    fchmod(rootfs_fd, archive_entry_perm(e) & 07777) < 0)
					log_debug("%s: the root's owner or mode: %m", o->what);
			}
			continue;
		}
		if ((r = check_parent(rootfs_fd, clean, last_ok, o->what, "entry", reterr)) < 0)
			goto out;
		archive_entry_set_pathname(e, clean);
		filter_xattrs(e);
		k = archive_write_header(disk, e);
		if (k == ARCHIVE_WARN)
			log_debug("%s: '%s': %s", o->what, clean, archive_error_string(disk));
		else if (k != ARCHIVE_OK) {
			r = berth_error_set(reterr, EPERM, "%s: entry '%.200s': %s", o->what, clean,
					    archive_error_string(disk));
			goto out;
		}
		if (k == ARCHIVE_OK || k == ARCHIVE_WARN) {
			const void *buf;
			size_t len;
			la_int64_t off;
			for (;;) {
				k = archive_read_data_block(s->tar, &buf, &len, &off);
				if (k == ARCHIVE_EOF)
					break;
				if (k != ARCHIVE_OK && k != ARCHIVE_WARN) {
					r = berth_error_set(reterr, s->too_big ? EFBIG : EINVAL,
							    "%s: '%.200s': %s", o->what, clean,
							    archive_error_string(s->tar));
					goto out;
				}
				if (archive_write_data_block(disk, buf, len, off) < ARCHIVE_WARN) {
					r = berth_error_set(reterr, EIO, "%s: write '%.200s': %s",
							    o->what, clean,
							    archive_error_string(disk));
					goto out;
				}
			}
		}
		k = archive_write_finish_entry(disk);
		if (k < ARCHIVE_WARN) {
			r = berth_error_set(reterr, EIO, "%s: '%.200s': %s", o->what, clean,
					    archive_error_string(disk));
			goto out;
		}
	}
	if (ret_diff_id) {
		/* the end-of-archive blocks and padding are part of the diff_id */
		la_ssize_t n;
		while (!s->empty && (n = archive_read_data(s->raw, s->buf, sizeof(s->buf))) > 0)
			img_sha256_update(s->h, s->buf, (size_t)n);
		if (!s->empty && n < 0) {
			r = berth_error_set(reterr, EINVAL, "%s: %s", o->what,
					    archive_error_string(s->raw));
			goto out;
		}
		img_sha256_final(s->h, ret_diff_id);
		s->h = NULL;
	}
	log_debug("%s: %llu entries, %llu bytes, %llu whiteouts (%s)", o->what, n_entries, bytes,
		  n_wh, extract ? "extracted" : "scanned");
	r = 0;
out:
	if (disk) {
		(void)archive_write_close(disk);
		archive_write_free(disk);
	}
	if (saved_cwd >= 0) {
		if (fchdir(saved_cwd) < 0)
			log_debug("cannot return to the working directory: %m");
		(void)close(saved_cwd);
	}
	stack_free(s);
	return r;
}

int img_layer_apply(int rootfs_fd, const char *path, const struct img_layer_opts *o,
		    char *ret_diff_id, struct berth_error **reterr)
{
	char diff_id[IMG_DIGEST_LEN + 1];
	int r;

	if (o->whiteouts || o->diff_id) {
		if ((r = layer_pass(rootfs_fd, path, o, false, diff_id, reterr)) < 0)
			return r;
		if (o->diff_id && strcmp(diff_id, o->diff_id) != 0)
			return berth_error_set(reterr, EBADMSG,
					       "%s: uncompressed digest %s does not match the "
					       "config's diff_id %s",
					       o->what, diff_id, o->diff_id);
		if ((r = layer_pass(rootfs_fd, path, o, true, NULL, reterr)) < 0)
			return r;
	} else if ((r = layer_pass(rootfs_fd, path, o, true, diff_id, reterr)) < 0)
		return r;
	if (ret_diff_id)
		memcpy(ret_diff_id, diff_id, IMG_DIGEST_LEN + 1);
	return 0;
}
