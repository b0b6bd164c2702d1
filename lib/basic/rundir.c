// SPDX-License-Identifier: Apache-2.0
#include "rundir.h"

#include "cleanup.h"
#include "fileio.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int try_dir(const char *path)
{
	int r = mkdir_p(path, 0755);
	if (r < 0)
		return r;
	return access(path, W_OK | X_OK) < 0 ? -errno : 0;
}

static int resolve_run_dir(const char *env, char *buf, size_t size)
{
	int r;

	if (env && *env) {
		if (env[0] != '/')
			return -EINVAL;
		if (snprintf(buf, size, "%s", env) >= (int)size)
			return -ENAMETOOLONG;
		return try_dir(buf);
	}
	r = try_dir(BERTH_RUN_DIR_DEFAULT);
	if (r >= 0) {
		if (snprintf(buf, size, "%s", BERTH_RUN_DIR_DEFAULT) >= (int)size)
			return -ENAMETOOLONG;
		return 0;
	}
	/* Rootless: /run/berth is not ours to write (EACCES, EPERM, EROFS). */
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (!xdg || xdg[0] != '/')
		return r;
	if (snprintf(buf, size, "%s/berth", xdg) >= (int)size)
		return -ENAMETOOLONG;
	return try_dir(buf);
}

/*
 * The directory found last, and the BERTH_RUN_DIR it was found for: a GC
 * walks thousands of records and would otherwise repeat the mkdir -p for
 * each path. One access() confirms it is still there and writable; anything
 * else (the variable changed, the directory went away) resolves it again.
 */
static struct {
	bool valid;
	char env[PATH_MAX];
	char dir[PATH_MAX];
} cache;

int berth_run_dir(char *buf, size_t size)
{
	const char *env = getenv("BERTH_RUN_DIR");
	const char *key = env ? env : "";
	int r;

	if (cache.valid && streq(cache.env, key) && access(cache.dir, W_OK | X_OK) == 0) {
		if (snprintf(buf, size, "%s", cache.dir) >= (int)size)
			return -ENAMETOOLONG;
		return 0;
	}
	cache.valid = false;
	r = resolve_run_dir(env, buf, size);
	if (r < 0)
		return r;
	if (strlen(key) < sizeof(cache.env) && strlen(buf) < sizeof(cache.dir)) {
		snprintf(cache.env, sizeof(cache.env), "%s", key);
		snprintf(cache.dir, sizeof(cache.dir), "%s", buf);
		cache.valid = true;
	}
	return 0;
}

int berth_run_path(const char *rel, char *buf, size_t size)
{
	char dir[PATH_MAX];
	int r = berth_run_dir(dir, sizeof(dir));
	if (r < 0)
		return r;
	if (snprintf(buf, size, "%s/%s", dir, rel) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int berth_lock_host(unsigned timeout_ms)
{
	char path[PATH_MAX];
	int r = berth_run_path("lock", path, sizeof(path));
	if (r < 0)
		return r;
	return lock_file_timeout(path, timeout_ms);
}
