/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth, the engine: what every command shares.
 *
 * The engine is daemonless: each command takes the engine lock
 * (<root>/lock), reads what it needs from disk, does its work and exits.
 * Where things live (each overridable, for tests and rootless use):
 *
 *   <root>       --root, $BERTH_ROOT, /var/lib/berth
 *     lock              the engine lock (flock)
 *     images/<id>/      image store (image.h)
 *     containers/<id>/  one directory per container (container.h)
 *     pods/<id>/        one directory per pod (pod.c)
 *     infra/rootfs/     the pods' infra containers' root (catatonit)
 *     ipam/<network>/   the engine's leases (lib/ipam, host-local format)
 *     cni/              the CNI backend's result cache and leases (backend-cni.c)
 *     journal/          the state journal (journal.c)
 *   <net_dir>    --network-config-dir, $BERTH_NETWORK_DIR, /etc/berth/networks
 *                       one Podman-format JSON file per network
 *   <run_root>   --runroot, $BERTH_RUNROOT, <berth run dir>/engine
 *     netns/<id>        network namespaces held by bind mounts
 *     networks/         berth-net's --config directory (aardvark-dns files)
 *     runtime/          the OCI runtime's state (crun --root)
 *
 * Commands print results on stdout and errors on stderr as
 * "Error: <what failed>: <why>", exiting 125 (Podman's code) on an engine
 * error, or the container's code for run (in the foreground) and exec.
 */
#pragma once

#include "basic/error.h"

#include <stdbool.h>
#include <stddef.h>

#define ENG_EXIT_ERROR 125
#define ENG_ROOT_DEFAULT "/var/lib/berth"
#define ENG_NET_DIR_DEFAULT "/etc/berth/networks"
#define ENG_LOCK_TIMEOUT_MS 60000

struct eng_ctx {
	char *root;	/* absolute */
	char *net_dir;	/* absolute */
	char *run_root; /* absolute */
	char *runtime;	/* OCI runtime binary (crun) */
	char *netavark; /* the netavark-protocol backend binary (berth-net) */
	char *cni_path; /* where CNI plugins are looked up (colon list) */
	char *dns_bin;	/* the aardvark-dns-protocol server (berth-dns) */
	int lock_fd;	/* -1 when not held */
	char **argv;	/* the command line, for berth-image (image-exec.c) */
};

/* "<root>/<rel>" (or run_root) into a malloc'd string; NULL on ENOMEM. */
char *eng_path(const char *base, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Take the engine lock (idempotent), waiting at most ENG_LOCK_TIMEOUT_MS. */
int eng_lock(struct eng_ctx *ctx, struct berth_error **reterr);
void eng_unlock(struct eng_ctx *ctx);

/* Print an error as "Error: ..." on stderr; returns ENG_EXIT_ERROR. */
int eng_fail(const struct berth_error *e);
/* Print a usage error for a command; returns ENG_EXIT_ERROR. */
int eng_usage_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Remove name (in dirfd, or AT_FDCWD) and, for a directory, everything
 * below it, without following symlinks; nothing there is fine.
 */
int eng_rm_rf_at(int dirfd, const char *name);

/* Now as RFC 3339 with nanoseconds in UTC, as Go's time.Time marshals it. */
void eng_now_rfc3339(char buf[64]);

/* A random 64-hex-digit id (getrandom) into buf[65]. */
int eng_random_id(char buf[65]);

/*
 * Commands: argv[0] is the command's name (e.g. "network"); each returns
 * the process exit status.
 */
int cmd_network(struct eng_ctx *ctx, int argc, char **argv);
int cmd_image(struct eng_ctx *ctx, int argc, char **argv);
int cmd_pull(struct eng_ctx *ctx, int argc, char **argv);
int cmd_image_import(struct eng_ctx *ctx, int argc, char **argv);
int cmd_container(struct eng_ctx *ctx, int argc, char **argv); /* run|create|start|... */
int cmd_pod(struct eng_ctx *ctx, int argc, char **argv);
