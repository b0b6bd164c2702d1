// SPDX-License-Identifier: Apache-2.0
#include "state.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/hash.h"
#include "basic/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_SUBDIR "berth/containers"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static int state_dir(const struct nv_ctx *ctx, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/" STATE_SUBDIR, ctx->config_dir) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Podman's ids are 64 hex digits; anything else that is not a plain file name
 * is stored under a hash of it, so input can never reach outside the directory.
 */
static void state_name(const char *id, char buf[80])
{
	size_t n = strlen(id);
	bool plain = n > 0 && n <= 64 && id[0] != '.';
	for (const char *p = id; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.';
	if (plain) {
		snprintf(buf, 80, "%s.json", id);
		return;
	}
	uint64_t h = berth_fnv1a64(BERTH_FNV64_INIT, id, strlen(id));
	snprintf(buf, 80, "id-%016llx.json", (unsigned long long)h);
}

static int state_path(const struct nv_ctx *ctx, const char *id, char *buf, size_t size)
{
	char name[80];
	state_name(id, name);
	if (snprintf(buf, size, "%s/" STATE_SUBDIR "/%s", ctx->config_dir, name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int nv_state_write(const struct nv_ctx *ctx, const char *container_id, const char *doc,
		   size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
	int r;

	if ((r = state_dir(ctx, dir, sizeof(dir))) < 0 ||
	    (r = state_path(ctx, container_id, path, sizeof(path))) < 0)
		return r;
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t k = write(fd, doc + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -EIO;
			(void)unlink(tmp);
			return r;
		}
		off += (size_t)k;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return r;
	}
	return 0;
}

int nv_state_remove(const struct nv_ctx *ctx, const char *container_id)
{
	char path[PATH_MAX];
	int r = state_path(ctx, container_id, path, sizeof(path));
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int load_path(const char *path, struct nv_options **ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_berth_error_ struct berth_error *err = NULL;
	size_t len;
	int r = read_file_limited(path, NV_MAX_INPUT, &buf, &len);
	if (r < 0)
		return r;
	r = nv_options_parse(buf, len, ret, &err);
	if (r < 0)
		log_warn("state file %s does not parse (%s), ignoring", path, err ? err->msg : "?");
	return r;
}

int nv_state_load(const struct nv_ctx *ctx, const char *container_id, struct nv_options **ret)
{
	char path[PATH_MAX];
	int r = state_path(ctx, container_id, path, sizeof(path));
	if (r < 0)
		return r;
	return load_path(path, ret);
}

int nv_state_foreach(const struct nv_ctx *ctx,
		     int (*cb)(const struct nv_options *o, void *userdata), void *userdata)
{
	char dir[PATH_MAX];
	int r = state_dir(ctx, dir, sizeof(dir));
	if (r < 0)
		return r;
	_cleanup_(closedirp) DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;

	size_t seen = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX];
		struct nv_options *o = NULL;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0 || de->d_name[0] == '.')
			continue;
		if (++seen > NV_STATE_MAX_CONTAINERS)
			return -E2BIG;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (load_path(path, &o) < 0)
			continue;
		r = cb(o, userdata);
		nv_options_free(o);
		if (r < 0)
			return r;
	}
	return 0;
}
