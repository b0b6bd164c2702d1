/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delegation to an IPAM plugin, as libcni's invoke package does it: the
 * plugin `type` is looked up in CNI_PATH and executed with the same stdin
 * bytes and environment, only CNI_COMMAND changed; its stderr passes
 * through. The child is reaped, killed after DELEGATE_TIMEOUT_MS (tests may
 * shorten it with BERTH_CNI_DELEGATE_TIMEOUT_MS), and at most
 * DELEGATE_MAX_OUTPUT bytes of its stdout are kept (the rest is read and
 * dropped, so the child never blocks on a full pipe).
 */
#pragma once

#include "cni.h"

#define DELEGATE_TIMEOUT_MS 60000
#define DELEGATE_MAX_OUTPUT (1u << 20)

/*
 * Run `type` for verb cmd. Exit 0: *ret_out (may be NULL) gets its stdout,
 * NUL-terminated. Non-zero exit: the CNI error object it printed (code, msg,
 * details) becomes *reterr, prefixed with the plugin's name.
 */
int cni_delegate_run(const struct cni_request *req, const char *type, enum cni_cmd cmd,
		     char **ret_out, struct cni_error **reterr);

/*
 * The same in two steps, so the caller can work while the plugin runs (DEL
 * deletes the veth meanwhile): start forks and execs it and hands it its
 * stdin (the config's bytes must stay valid until finish); finish collects
 * its output and exit as cni_delegate_run does and frees d. A started
 * delegate that will not be finished is killed and reaped by
 * cni_delegate_free.
 */
struct cni_delegate;
int cni_delegate_start(const struct cni_request *req, const char *type, enum cni_cmd cmd,
		       struct cni_delegate **ret, struct cni_error **reterr);
int cni_delegate_finish(struct cni_delegate *d, char **ret_out, struct cni_error **reterr);
void cni_delegate_free(struct cni_delegate *d);

/* ADD: run it and parse its result in the config's version. */
int cni_delegate_add(const struct cni_request *req, const char *type, struct cni_result **ret,
		     struct cni_error **reterr);
