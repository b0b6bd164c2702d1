/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth's run directory and its host-wide lock, shared by every front end.
 *
 * berth-net, berth-dns, the CNI plugins and the engine change the same
 * kernel objects (the `inet berth` table, bridges, addresses) whatever
 * config directory each was given, so they serialise on one lock at one
 * fixed path, and keep their state records under one directory:
 *
 *   $BERTH_RUN_DIR              when set (tests give each world its own)
 *   /run/berth                  otherwise, when it can be written (root)
 *   $XDG_RUNTIME_DIR/berth      otherwise (rootless: each user has their
 *                               own network namespace, so their own lock)
 *
 *   <run>/lock                  the lock (flock), see berth_lock_host()
 *   <run>/state/<owner>/        state records (lib/state/record.h)
 *
 * /run is a tmpfs: like the kernel state it describes, it is gone after a
 * reboot.
 */
#pragma once

#include <stddef.h>

#define BERTH_RUN_DIR_DEFAULT "/run/berth"
#define BERTH_LOCK_TIMEOUT_MS 60000

/* The run directory (created 0755 if missing) into buf. -errno. */
int berth_run_dir(char *buf, size_t size);
/* "<run>/<rel>" into buf (the run directory created if missing). */
int berth_run_path(const char *rel, char *buf, size_t size);

/*
 * Take the host-wide lock <run>/lock, waiting at most timeout_ms. Returns the
 * fd holding it (close-on-exec; closing it releases the lock) or -errno
 * (-ETIMEDOUT when the wait ran out). No signal handler is installed.
 */
int berth_lock_host(unsigned timeout_ms);
