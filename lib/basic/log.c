// SPDX-License-Identifier: Apache-2.0
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static enum log_level current_level = LOG_LEVEL_INFO;
static char current_target[32] = "berth";
static char current_ctx[32];

void log_set_target(const char *target)
{
	snprintf(current_target, sizeof(current_target), "%s", target ? target : "berth");
}

void log_set_context(const char *ctx)
{
	snprintf(current_ctx, sizeof(current_ctx), "%s", ctx ? ctx : "");
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static int level_from_word(const char *w, size_t n)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "off", LOG_LEVEL_OFF },     { "error", LOG_LEVEL_ERROR }, { "warn", LOG_LEVEL_WARN },
		{ "warning", LOG_LEVEL_WARN }, { "info", LOG_LEVEL_INFO },   { "debug", LOG_LEVEL_DEBUG },
		{ "trace", LOG_LEVEL_TRACE },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && strncasecmp(w, names[i].name, n) == 0)
			return (int)names[i].level;
	return -EINVAL;
}

int log_level_parse(const char *spec, const char *const *targets)
{
	int bare = -EINVAL, named = -EINVAL;
	const char *p = spec;

	if (!spec)
		return -EINVAL;
	/* Bounded by the string length: every iteration consumes at least one byte. */
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		if (eq) {
			size_t tlen = (size_t)(eq - p);
			int lvl = level_from_word(eq + 1, len - tlen - 1);
			for (size_t i = 0; targets && targets[i] && lvl >= 0; i++) {
				size_t l = strlen(targets[i]);
				/* "netavark" also matches "netavark::firewall" */
				if (tlen >= l && strncmp(p, targets[i], l) == 0 &&
				    (tlen == l || p[l] == ':'))
					named = lvl > named ? lvl : named;
			}
		} else if (len) {
			int lvl = level_from_word(p, len);
			if (lvl >= 0)
				bare = lvl;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return named >= 0 ? named : bare;
}

void log_emit(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = { "OFF", "ERROR", "WARN ", "INFO ", "DEBUG", "TRACE" };
	char buf[4096];
	int n;
	va_list ap;

	if (level > current_level || level == LOG_LEVEL_OFF)
		return;
	int saved = errno;
	if (current_ctx[0])
		n = snprintf(buf, sizeof(buf), "[%s %s] [c %s] ", tags[level], current_target,
			     current_ctx);
	else
		n = snprintf(buf, sizeof(buf), "[%s %s] ", tags[level], current_target);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(buf)) {
		va_start(ap, fmt);
		int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line so that concurrent processes do not interleave inside lines. */
	(void)!fwrite(buf, 1, (size_t)n, stderr);
	fflush(stderr);
	errno = saved;
}
