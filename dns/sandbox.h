/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-dns: staged isolation, applied once every startup listener is bound.
 *
 *  1. capabilities: everything is dropped from the bounding, ambient,
 *     inheritable, permitted and effective sets except CAP_NET_BIND_SERVICE,
 *     which a reload needs to bind a new network's port 53 listener;
 *  2. PR_SET_NO_NEW_PRIVS;
 *  3. a seccomp allowlist (libseccomp) of the syscalls the loop, c-ares, the
 *     allocator, reloads and syslog need; anything else fails with EPERM
 *     rather than killing the process, so an unforeseen path (a glibc
 *     update, a rare c-ares branch) degrades into a logged error instead of
 *     a dead DNS server.
 *
 * Nothing here makes the start fail: each step that is not possible (no
 * privileges, no seccomp in the kernel) is logged and skipped.
 */
#pragma once

#include <stdbool.h>

/* Number of syscalls in the allowlist (for docs and tests). */
unsigned sandbox_allowlist_size(void);

/*
 * Apply the three stages; `seccomp` false skips stage 3 (BERTH_DNS_NO_SECCOMP,
 * sanitizer builds). Returns 0, or -errno only for programming errors.
 */
int sandbox_apply(bool seccomp);
