/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The aardvark-dns config directory format (see
 * ../shared/reference/netavark-protocol.md §6 and aardvark-dns-behaviour.md §3),
 * shared by its writer (berth-net) and its reader (berth-dns).
 *
 * One file per DNS-enabled network, named after the network (`<name>%int`
 * for internal networks):
 *   line 1:   <listen-ip>[,<listen-ip>...][ <network-dns-server>[,...]]
 *   then:     <id> <v4>[,<v4>...] <v6>[,<v6>...] <name>[,<alias>...][ <dns-server>[,...]]
 * Fields are separated by exactly one space; an empty list is an empty field.
 *
 * All functions return >= 0 or -errno; nothing logs above debug.
 */
#pragma once

#include "net/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>

/* Limits on what a file may contain (a larger file or field is rejected). */
#define ADV_MAX_FILE (16u << 20)
#define ADV_MAX_CONTAINERS 65536 /* lines per file */
#define ADV_MAX_IPS 64           /* per list */
#define ADV_MAX_NAMES 256        /* names per container */
#define ADV_MAX_NAME 253         /* bytes per name */
#define ADV_PID_FILE "aardvark.pid"
#define ADV_INTERNAL_SUFFIX "%int"

struct adv_container {
	char *id;                 /* lowercased */
	struct berth_ip *v4;
	size_t n_v4;
	struct berth_ip *v6;
	size_t n_v6;
	char **names;             /* lowercased, name first then aliases, as in the file */
	size_t n_names;
	struct berth_ip *dns;     /* field 5, the container's own upstream servers */
	size_t n_dns;
};

struct adv_network {
	char *name;               /* file name without "%int" */
	bool internal;            /* file name ends in "%int" */
	struct berth_ip *listen;  /* line 1 field 1, at least one */
	size_t n_listen;
	struct berth_ip *dns;     /* line 1 field 2 */
	size_t n_dns;
	struct adv_container *containers;
	size_t n_containers;
};

/*
 * Parse one file's content. `filename` is the file's name in the directory.
 * Malformed container lines are skipped (counted in *ret_skipped, may be
 * NULL); a bad line 1 rejects the file (-EINVAL). On error *ret_err (may be
 * NULL) receives a malloc'd reason ("line 3: improperly formatted").
 */
int adv_parse(const char *filename, const char *buf, size_t len, struct adv_network **ret,
	      size_t *ret_skipped, char **ret_err);
void adv_network_free(struct adv_network *n);

/* ---- writer side ---- */

/* "<ip>,<ip>[ <dns>,<dns>]\n" (malloc'd). */
char *adv_format_header(const struct berth_ip *listen, size_t n_listen, const struct berth_ip *dns,
			size_t n_dns);
/* "<id> <v4s> <v6s> <names>[ <dns>]\n" (malloc'd). Names must be valid (no ',', ' ', '\n'). */
char *adv_format_container(const char *id, const struct berth_ip *v4, size_t n_v4,
			   const struct berth_ip *v6, size_t n_v6, const char *const *names,
			   size_t n_names, const struct berth_ip *dns, size_t n_dns);

/*
 * Edit the file `filename` in the directory dirfd atomically (write a
 * temporary file, rename it into place, so a reader never sees half a file).
 * The caller holds the directory's lock.
 *  - add: create the file with `header` if it does not exist, then append
 *    `line` (an existing header is kept);
 *  - remove: drop every line after the header whose id (first field) is
 *    `container_id`, matched whole;
 *    delete the file when only the header is left. Returns 1 when the file
 *    was deleted, 0 otherwise (also when it did not exist);
 *  - set_dns: rewrite line 1's second field (n_dns == 0 removes it); -ENOENT
 *    when the file does not exist.
 * The temporary file is ".<filename>.<8 hex digits>" (mode 0644) in the same
 * directory; readers skip dot files (network names never start with a dot).
 * filename must not be empty, start with '.', or contain '/' (-EINVAL).
 * A result larger than ADV_MAX_FILE is refused with -EFBIG.
 */
int adv_file_add(int dirfd, const char *filename, const char *header, const char *line);
int adv_file_remove(int dirfd, const char *filename, const char *container_id);
int adv_file_set_dns(int dirfd, const char *filename, const struct berth_ip *dns, size_t n_dns);
