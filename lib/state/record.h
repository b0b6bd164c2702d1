/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State records: what berth has set up for one attachment, in a form that
 * belongs to no front end, so that firewall-reload, port-conflict messages
 * and teardown never re-parse a front end's input.
 *
 * One JSON file per attachment, <run>/state/<owner>/<id>.json
 * (lib/basic/rundir.h), written atomically (temporary file + rename):
 *
 *   {"version":1,"owner":"netavark","id":"636e...","name":"web","pending":false,
 *    "networks":[{"bridge":"podman1","subnets":["10.89.1.0/24"],
 *                 "internal":false,"isolate":"none"}],
 *    "dns_redirects":[{"gateway":"10.89.1.1","port":5353}],
 *    "port_forwards":[{"host_ip":"0.0.0.0","protocol":"tcp","host_port":8080,
 *                      "container_port":80,"range":1,"container_ip":"10.89.1.2"}]}
 *
 * "networks" are the managed bridge networks whose firewall elements the
 * attachment needs; "port_forwards" and "dns_redirects" are exactly the
 * elements its setup added. The CNI plugins' other elements (struct
 * berth_fw_elem) are in "fw_elements" (present only when not empty):
 *
 *    "fw_elements":[{"kind":"hairpin","net":"10.1.0.0/16","addr":"10.1.0.5"},
 *                   {"kind":"same-bridge","bridge":"cni0"}]
 *
 * A record is written with "pending": true *before* the nftables commit it
 * describes, and rewritten without it after the commit. A process killed in
 * between leaves a pending record: teardown still removes what it names
 * (missing elements are fine) and firewall-reload never replays it, so
 * nothing that was never applied comes back.
 *
 * All functions return >= 0 or -errno.
 */
#pragma once

#include "net/ipaddr.h"
#include "nft/firewall.h"

#include <stdbool.h>
#include <stddef.h>

#define BERTH_RECORD_MAX_BYTES (8u << 20)
#define BERTH_RECORD_MAX_NETWORKS 64
#define BERTH_RECORD_MAX_FORWARDS 8192
#define BERTH_RECORD_MAX_REDIRECTS 64
#define BERTH_RECORD_MAX_RECORDS 65536
#define BERTH_RECORD_MAX_ID 255
#define BERTH_RECORD_MAX_ELEMS 256

struct berth_record_net {
	char bridge[BERTH_IFNAMSIZ];
	struct berth_ipnet subnets[BERTH_FW_MAX_SUBNETS];
	size_t n_subnets;
	bool internal;
	enum berth_fw_isolate isolate;
};

struct berth_record_redirect {
	struct berth_ip gateway;
	uint16_t port;
};

struct berth_record {
	char *owner; /* front end: "netavark", "cni", "engine" ([a-z0-9-], <= 32) */
	char *id;    /* attachment id within the owner (any text <= 255 bytes) */
	char *name;  /* container name for messages, may be NULL */
	char *network; /* CNI: the network (config) name, GC's scope; may be NULL */
	bool pending;
	struct berth_record_net *nets;
	size_t n_nets;
	struct berth_record_redirect *redirects;
	size_t n_redirects;
	struct berth_fw_portmap *forwards;
	size_t n_forwards;
	struct berth_fw_elem *elems; /* may be NULL when n_elems is 0 */
	size_t n_elems;
};

void berth_record_free(struct berth_record *r);

/* The firewall's view of network i (pointers into the record). */
void berth_record_fw_network(const struct berth_record *r, size_t i, struct berth_fw_network *ret);

/* Serialise / parse (exposed for the fuzzer and the unit tests). */
int berth_record_to_json(const struct berth_record *r, char **ret, size_t *ret_len);
int berth_record_from_json(const char *buf, size_t len, struct berth_record **ret);

/* Write atomically; the state directory is created if missing. */
int berth_record_write(const struct berth_record *r);
/* -ENOENT when there is none. */
int berth_record_load(const char *owner, const char *id, struct berth_record **ret);
/* Missing is fine. */
int berth_record_remove(const char *owner, const char *id);
/*
 * Call cb for every record that parses (others are skipped and counted in
 * *ret_bad, may be NULL), of one owner or of all (owner NULL), in directory
 * order. Stops when cb returns < 0 and returns that. At most
 * BERTH_RECORD_MAX_RECORDS records are read (-E2BIG past that).
 */
int berth_record_foreach(const char *owner, int (*cb)(const struct berth_record *r, void *data),
			 void *data, size_t *ret_bad);

/*
 * Who forwards what would clash with pm[0..n) (the same host address, or
 * both "any", same family and protocol, overlapping host ports)? Searches the
 * records of every owner except (skip_owner, skip_id) (either may be NULL).
 * Returns 1 and fills *ret (free with berth_record_owner_done()) when found,
 * 0 when no record has such a forward, -errno.
 */
struct berth_record_owner {
	char *owner, *id, *name; /* name may be NULL */
};
int berth_record_forward_owner(const struct berth_fw_portmap *pm, size_t n, const char *skip_owner,
			       const char *skip_id, struct berth_record_owner *ret);
void berth_record_owner_done(struct berth_record_owner *o);
/* Do two forwards use the same map keys (what nftables refuses with EEXIST)? */
bool berth_fw_portmap_clash(const struct berth_fw_portmap *a, const struct berth_fw_portmap *b);
