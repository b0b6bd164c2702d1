/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containers: one directory per container under <root>/containers/<id>/
 * holding container.json (what it is and what state it is in), the OCI
 * bundle (bundle/config.json), the overlay (upper/, work/, merged/), its
 * /etc files (userdata/) and its log (ctr.log).
 *
 * container.json doubles as the write-ahead half of the state journal:
 * before a step that changes the system (netns, network setup, mount,
 * runtime) the step's flag is saved, and it is cleared only once the step
 * is undone; journal/<id> names the operation in progress. A command that
 * finds a journal entry left by a killed command finishes it (stop, rm,
 * disconnect) or rolls it back (create, start, connect) from those flags:
 * see eng_journal_recover().
 */
#pragma once

#include "engine.h"
#include "network.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define ENG_MAX_CONTAINERS 4096
#define ENG_MAX_CTR_NETWORKS 32
#define ENG_MAX_PORTS 256
#define ENG_MAX_ALIASES 32
#define ENG_STOP_TIMEOUT_S 10
#define ENG_BACKEND_TIMEOUT_MS 120000
#define ENG_RUNTIME_TIMEOUT_MS 60000

enum eng_state {
	ENG_STATE_CREATED,
	ENG_STATE_RUNNING,
	ENG_STATE_EXITED,
};

struct eng_container {
	json_t *j;	/* container.json (owned) */
	char *dir;	/* <root>/containers/<id> */
	const char *id, *name;
};

void eng_container_free(struct eng_container *c);
static inline void eng_container_freep(struct eng_container **c)
{
	eng_container_free(*c);
}

/* By name, full id or unique id prefix. -ENOENT: "no container with name or ID X found". */
int eng_container_get(struct eng_ctx *ctx, const char *ref, struct eng_container **ret,
		      struct berth_error **reterr);
int eng_container_list(struct eng_ctx *ctx, struct eng_container ***ret, size_t *ret_n,
		       struct berth_error **reterr);
void eng_container_list_free(struct eng_container **v, size_t n);
int eng_container_save(const struct eng_container *c, struct berth_error **reterr);

enum eng_state eng_container_state(const struct eng_container *c);
const char *eng_state_name(enum eng_state s);

/* networks users */
bool eng_network_in_use(struct eng_ctx *ctx, const char *net);
int eng_network_users_json(struct eng_ctx *ctx, const char *net, json_t **ret);
int eng_network_remove(struct eng_ctx *ctx, const struct eng_network *n, bool force,
		       struct berth_error **reterr);

/* What `berth create` is given (cmd-container.c parses it). */
struct eng_create_opts {
	const char *name, *hostname, *ip, *mac, *pod;
	const char *networks[ENG_MAX_CTR_NETWORKS];
	size_t n_networks;
	const char *aliases[ENG_MAX_ALIASES];
	size_t n_aliases;
	const char *ports[ENG_MAX_PORTS];
	size_t n_ports;
	const char *dns[16];
	size_t n_dns;
	const char *env[256];
	size_t n_env;
	const char *workdir;
	bool rm, detach;
	/* set by the pod code */
	const char *infra_rootfs; /* an infra container: this rootfs, no image */
	const char *pod_id, *infra_id; /* a member: its pod and the pod's infra container */
};

/* Create a container record (not started). args[0] is the image; the rest the command. */
int eng_container_create(struct eng_ctx *ctx, const struct eng_create_opts *o, int nargs,
			 char **args, struct eng_container **ret, struct berth_error **reterr);

/* Pods (pod.c): a pod's id and its infra container's id, by name, id or id prefix. */
int eng_pod_resolve(struct eng_ctx *ctx, const char *ref, char **ret_id, char **ret_infra,
		    struct berth_error **reterr);

/* ---- lifecycle (lifecycle.c) ---- */

/* Set up the network and start the process. attach: stay in the foreground, return its exit code. */
int eng_container_start(struct eng_ctx *ctx, struct eng_container *c, bool attach,
			int *ret_exit, struct berth_error **reterr);
/* Stop the process (SIGTERM, SIGKILL after timeout_s) and tear its network down. */
int eng_container_stop(struct eng_ctx *ctx, struct eng_container *c, int timeout_s,
		       struct berth_error **reterr);
/* Remove a container that is not running (force: stop it first); releases its addresses. */
int eng_container_remove(struct eng_ctx *ctx, struct eng_container *c, bool force,
			 struct berth_error **reterr);
/* Undo whatever the flags in the record say is set up. Best effort; idempotent. */
void eng_container_cleanup(struct eng_ctx *ctx, struct eng_container *c);
/* Refresh state from the runtime: a process that exited is cleaned up. */
void eng_container_refresh(struct eng_ctx *ctx, struct eng_container *c);

int eng_container_connect(struct eng_ctx *ctx, struct eng_container *c, const char *net,
			  json_t *opts, struct berth_error **reterr);
int eng_container_disconnect(struct eng_ctx *ctx, struct eng_container *c, const char *net,
			     struct berth_error **reterr);
/* Re-apply the firewall of running containers (berth-net firewall-reload semantics). */
int eng_container_reload(struct eng_ctx *ctx, struct eng_container *c, struct berth_error **reterr);

/* The journal (journal.c). */
int eng_journal_begin(struct eng_ctx *ctx, const char *id, const char *op, const char *arg);
void eng_journal_end(struct eng_ctx *ctx, const char *id);
/* Finish or roll back operations that a killed command left half done. Under the lock. */
void eng_journal_recover(struct eng_ctx *ctx);
/* Tests: BERTH_TEST_CRASH_AT=<step> kills the process (SIGKILL) at that step. */
void eng_crash_point(const char *step);

/* ---- commands ---- */
int cmd_network_connect(struct eng_ctx *ctx, int argc, char **argv);
int cmd_network_disconnect(struct eng_ctx *ctx, int argc, char **argv);
int cmd_network_reload(struct eng_ctx *ctx, int argc, char **argv);
int cmd_network_graph(struct eng_ctx *ctx, int argc, char **argv);
