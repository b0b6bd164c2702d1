/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DNS server of an aardvark-dns config directory (aardvark-dns or
 * berth-dns, whichever binary a front end names): starting it, telling it to
 * reload, and the directory lock, exactly as netavark does it
 * (netavark-protocol.md §6, §7), so that every front end that writes entries
 * (berth-net, the dnsname CNI plugin, the engine) drives the server the same
 * way and can share a directory with a real netavark.
 *
 * <config>/aardvark.lock   flock held around every read-modify-write
 * <config>/aardvark-dns/   the entries (lib/dnsconf/aardvark.h) and aardvark.pid
 */
#pragma once

#include "basic/error.h"

#include <stdbool.h>
#include <stdint.h>

#define ADV_LOCK_TIMEOUT_MS 60000
#define ADV_START_TIMEOUT_MS 10000
#define ADV_STDERR_MAX (64u << 10)

/* Take <config_dir>/aardvark.lock (ADV_LOCK_TIMEOUT_MS). Returns the fd or -errno. */
int adv_lock(const char *config_dir);
/* "<config_dir>/aardvark-dns" into buf (PATH_MAX). */
int adv_dir_path(const char *config_dir, char *buf, size_t size);

/*
 * SIGHUP the server named by <dir>/aardvark.pid when it is alive and serves
 * this directory (its --config is this directory). Returns 1 when it was
 * signalled, 0 when there is no such server.
 */
int adv_server_reload(int dirfd);

struct adv_server_spec {
	const char *binary;    /* aardvark-dns or berth-dns */
	const char *dir;       /* the aardvark-dns directory */
	uint16_t port;         /* -p */
	const char *log_level; /* RUST_LOG for the child ("info", ...) */
	const char *filter_domain; /* -f: the search domain stripped from queries
				    * (".dns.podman" when NULL, the servers' default) */
};
/*
 * Start `<binary> --config <dir> -p <port> run` with stdin and stdout on
 * /dev/null and stderr captured, and wait (at most ADV_START_TIMEOUT_MS) for
 * its foreground process, which exits once the daemon it leaves is ready.
 * A failure carries what the server wrote on stderr.
 */
int adv_server_start(const struct adv_server_spec *spec, struct berth_error **reterr);
