// SPDX-License-Identifier: Apache-2.0
/*
 * The state journal: <root>/journal/<id> names the operation in progress
 * on container <id> ({"op": "start", "arg": null}). Entries are written
 * and removed under the engine lock, so one found by a command that has
 * just taken the lock was left by a command that died in the middle; the
 * container record's flags say what that command had set up
 * (container.h). See eng_journal_recover() in lifecycle.c.
 */
#include "container.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int eng_journal_begin(struct eng_ctx *ctx, const char *id, const char *op, const char *arg)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "journal");
	_cleanup_free_ char *path = eng_path(ctx->root, "journal/%s", id);
	json_auto_t *j = json_pack("{s:s, s:s?}", "op", op, "arg", arg);
	_cleanup_free_ char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!dir || !path || !s)
		return -ENOMEM;
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	return write_file_atomic(path, s, strlen(s), 0600);
}

void eng_journal_end(struct eng_ctx *ctx, const char *id)
{
	_cleanup_free_ char *path = eng_path(ctx->root, "journal/%s", id);
	if (path)
		(void)unlink(path);
}

void eng_crash_point(const char *step)
{
	const char *at = getenv("BERTH_TEST_CRASH_AT");
	if (at && strcmp(at, step) == 0)
		(void)kill(getpid(), SIGKILL);
}
