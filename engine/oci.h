/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI runtime side: the bundle's config.json generated from the
 * container record and its image, and the calls to the runtime (crun).
 */
#pragma once

#include "container.h"

#include <sys/types.h>

/*
 * Build the runtime spec for c. rootfs: the merged overlay; netns: NULL =
 * the host's; etc_dir: whose userdata/{hosts,resolv.conf,hostname} are
 * mounted (c's own, or its pod's infra container's); share_pid > 0: join
 * that process's ipc and uts namespaces (a pod's infra).
 */
json_t *eng_oci_spec(const struct eng_container *c, const char *rootfs, const char *netns,
		     const char *etc_dir, pid_t share_pid);

/* The default seccomp profile (OCI form; the runtime compiles it with libseccomp). */
json_t *eng_oci_seccomp_default(void);

/*
 * Run the runtime: argv after "<runtime> --cgroup-manager=<m> --root
 * <run_root>/runtime". stdio inherited unless out is given (collected).
 */
int eng_runtime(struct eng_ctx *ctx, char *const *args, char **ret_out,
		struct berth_error **reterr);
/* Arguments for execv of the runtime (for exec and the monitor). NULL-terminated, caller frees. */
char **eng_runtime_argv(struct eng_ctx *ctx, char *const *args);
void eng_strv_free(char **v);
