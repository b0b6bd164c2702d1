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
 * Stage 3 alone: load the allowlist filter into the calling thread (and its
 * future children). Needs no_new_privs or CAP_SYS_ADMIN. 0 or -errno.
 * Tests call it in a forked child to see the filter at work.
 */
int sandbox_seccomp_install(void);
/*
 * Write the same filter as BPF (struct sock_filter[], as seccomp_load()
 * loads it) to fd, so that a test can compare it with the filter of the
 * running server. 0 or -errno.
 */
int sandbox_seccomp_export_bpf(int fd);

/*
 * Apply the three stages; `seccomp` false skips stage 3 (BERTH_DNS_NO_SECCOMP,
 * sanitizer builds). Returns 0, or -errno only for programming errors.
 */
int sandbox_apply(bool seccomp);
