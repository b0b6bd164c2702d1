/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr, in env_logger's shape so that Podman's logs read alike:
 *   [INFO  berth_net] [c 636e8d72bb8c] created bridge 'podman1'
 * Every line of one invocation carries the context tag (the short container id)
 * so that one container's story can be followed across berth-net and berth-dns.
 *
 * Library code logs at debug or trace only; the deciding caller logs once.
 * Never logs to stdout: stdout is the protocol channel.
 */
#pragma once

#include <errno.h>

enum log_level {
	LOG_LEVEL_OFF = 0,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE,
};

/* Program target shown in every line ("berth_net"). */
void log_set_target(const char *target);
/* Context shown in every line, e.g. the 12-char container id; NULL clears it. */
void log_set_context(const char *ctx);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/*
 * Parse a RUST_LOG / BERTH_LOG style spec: "debug", "netavark=debug",
 * "warn,netavark=trace", ... Directives for other targets are ignored; a bare
 * level applies unless a directive names one of `targets` (NULL-terminated).
 * Returns the level, or -EINVAL when nothing in the spec is a level.
 */
int log_level_parse(const char *spec, const char *const *targets);

void log_emit(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_emit(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_emit(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_get_level() >= LOG_LEVEL_DEBUG)                                           \
			log_emit(LOG_LEVEL_DEBUG, __VA_ARGS__);                                   \
	} while (0)
#define log_trace(...)                                                                             \
	do {                                                                                       \
		if (log_get_level() >= LOG_LEVEL_TRACE)                                           \
			log_emit(LOG_LEVEL_TRACE, __VA_ARGS__);                                   \
	} while (0)
