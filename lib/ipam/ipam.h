/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP address management: host-local semantics and a lease store that is
 * byte-compatible with the reference CNI host-local plugin's disk backend
 * (see docs/ipam.md). Front-end neutral: the CNI host-local plugin and the
 * engine fill these structs from their own configuration formats.
 *
 * Theory of operation: a configuration is a list of range sets; one address
 * is allocated per set. A set is a list of ranges (subnet + start/end +
 * gateway) that form one pool. Leases live in <data_dir>/<network>/, one file
 * per address named by the address text, holding "<id>\r\n<ifname>". Every
 * operation holds flock(<dir>/lock) for its whole duration and scans the
 * directory once, so files written by the reference plugin (or removed by
 * it) are always seen.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "net/ipaddr.h"

/* Limits on everything the input controls. */
#define BERTH_IPAM_MAX_SETS 16		 /* range sets per configuration */
#define BERTH_IPAM_MAX_RANGES 64	 /* ranges per set */
#define BERTH_IPAM_MAX_EXCLUDE 256	 /* exclusions per configuration */
#define BERTH_IPAM_MAX_REQUESTS 16	 /* requested addresses per allocation */
#define BERTH_IPAM_MAX_LEASES 131072	 /* directory entries scanned per operation */
#define BERTH_IPAM_MAX_FILE 4096	 /* bytes read from one lease or last_reserved_ip file */
#define BERTH_IPAM_MAX_ID 1024		 /* container id length */
#define BERTH_IPAM_MAX_NAME 255		 /* network name length (one path component) */
#define BERTH_IPAM_MAX_VALID 65536	 /* attachments passed to GC */
#define BERTH_IPAM_MAX_POOLS 64		 /* subnet pools given to the subnet chooser */
#define BERTH_IPAM_MAX_USED 4096	 /* used subnets given to the subnet chooser */
#define BERTH_IPAM_LOCK_TIMEOUT_MS 10000 /* default wait for the store lock */

/*
 * One range. Unset addresses (family 0) take the reference defaults when the
 * configuration is canonicalised: start = network+1, end = broadcast-1 (v4) or
 * the last address (v6), gateway = network+1.
 */
struct berth_ipam_range {
	struct berth_ipnet subnet; /* network address and prefix; host bits are an error */
	struct berth_ip start;
	struct berth_ip end;
	struct berth_ip gateway;
};

struct berth_ipam_rangeset {
	struct berth_ipam_range *ranges; /* not owned */
	size_t n_ranges;
};

struct berth_ipam_config {
	struct berth_ipam_rangeset *sets; /* not owned; index = N of last_reserved_ip.N */
	size_t n_sets;
	struct berth_ipnet *exclude; /* never handed out (a /32 or /128 for one address) */
	size_t n_exclude;
};

/* One allocated address, per range set, in set order. */
struct berth_ipam_alloc {
	struct berth_ip ip;
	unsigned prefixlen;	 /* the range's subnet prefix */
	struct berth_ip gateway; /* the range's gateway */
	size_t set;		 /* range set index */
	size_t range;		 /* range index inside the set */
};

/* A lease read from the store. ifname NULL: a legacy file holding the id only. */
struct berth_ipam_lease {
	struct berth_ip ip;
	char *id;
	char *ifname;
};

/* A (container id, interface name) pair that GC keeps. */
struct berth_ipam_attachment {
	const char *id;
	const char *ifname;
};

/*
 * Validate a configuration and fill in defaults (writes the ranges in place).
 * Errors (-EINVAL, -E2BIG) as host-local words them: subnet too small, host
 * bits set, start/end/gateway outside the subnet, start after end, mixed
 * families in a set, overlapping ranges or sets.
 */
int berth_ipam_config_canonicalize(struct berth_ipam_config *c, struct berth_error **reterr);

/* True when ip is inside one of the set's ranges (between start and end). */
bool berth_ipam_rangeset_contains(const struct berth_ipam_rangeset *s, const struct berth_ip *ip,
				  size_t *ret_range);

/* ---- the store ---- */

struct berth_ipam_store;

/*
 * Open (mkdir -p, 0755) <data_dir>/<network>/. network must be one path
 * component (no '/', not "." or "..", at most BERTH_IPAM_MAX_NAME bytes).
 * lock_timeout_ms 0 = BERTH_IPAM_LOCK_TIMEOUT_MS.
 */
int berth_ipam_store_open(const char *data_dir, const char *network, unsigned lock_timeout_ms,
			  struct berth_ipam_store **ret, struct berth_error **reterr);
struct berth_ipam_store *berth_ipam_store_free(struct berth_ipam_store *s);
const char *berth_ipam_store_path(const struct berth_ipam_store *s);

/*
 * Allocate one address per range set of a canonicalised configuration for
 * (id, ifname). requested: specific addresses, each served by the first set
 * containing it; the other sets get the next free address, round robin after
 * last_reserved_ip.<set>. All or nothing: on failure nothing stays reserved.
 * ret_allocs has room for c->n_sets entries.
 * Errors: -ENOSPC (set exhausted), -EADDRINUSE (requested address taken),
 * -EADDRNOTAVAIL (requested address outside every range, or the gateway, or
 * excluded), -EEXIST ((id, ifname) already holds an address in a set),
 * -EINVAL (bad id or ifname), -ETIMEDOUT (lock), other -errno from the store.
 */
int berth_ipam_allocate(struct berth_ipam_store *s, const struct berth_ipam_config *c,
			const char *id, const char *ifname, const struct berth_ip *requested,
			size_t n_requested, struct berth_ipam_alloc *ret_allocs,
			struct berth_error **reterr);

/*
 * Remove every lease of (id, ifname); when there is none, every legacy lease
 * holding id alone (as the reference does). Idempotent. Returns the number of
 * leases removed.
 */
int berth_ipam_release(struct berth_ipam_store *s, const char *id, const char *ifname,
		       struct berth_error **reterr);

/*
 * The same, looking first at the leases named by addrs[0..n) (a DEL's
 * prevResult): when n_expected of them (one per range set: all an
 * attachment can hold) belong to (id, ifname) they are removed and the
 * directory is not read; otherwise the full berth_ipam_release() follows.
 * DEL costs one file per address instead of one per lease of the network.
 */
int berth_ipam_release_addrs(struct berth_ipam_store *s, const char *id, const char *ifname,
			     const struct berth_ip *addrs, size_t n, size_t n_expected,
			     struct berth_error **reterr);

/* All leases, in directory order. Free with berth_ipam_leases_free(). */
int berth_ipam_list(struct berth_ipam_store *s, struct berth_ipam_lease **ret, size_t *ret_n,
		    struct berth_error **reterr);
void berth_ipam_leases_free(struct berth_ipam_lease *l, size_t n);

/* Returns 1 when (id, ifname) holds a lease (legacy id-only leases count), 0 when not. */
int berth_ipam_find(struct berth_ipam_store *s, const char *id, const char *ifname,
		    struct berth_error **reterr);

/*
 * CNI GC: remove every lease whose (id, ifname) is not in valid (legacy
 * id-only leases by id), plus berth's own leftover temporary file. lock and
 * last_reserved_ip.* and files not named by an address are never touched.
 * Returns the number of leases removed.
 */
int berth_ipam_gc(struct berth_ipam_store *s, const struct berth_ipam_attachment *valid,
		  size_t n_valid, struct berth_error **reterr);

/* ---- store format (exposed for the fuzzer and the tests) ---- */

/*
 * The file name of an address: the reference plugin's text form (Go's
 * net.IP.String(): dotted quad; RFC 5952 for v6, never a dotted tail).
 * buf has BERTH_IP_STRLEN bytes.
 */
const char *berth_ipam_ip_name(const struct berth_ip *ip, char *buf);

/*
 * Parse a directory entry as a lease: name must be an address, content is
 * "<id>\r\n<ifname>" or "<id>" after trimming whitespace. -EINVAL when the
 * name is not an address; -EBADMSG when the content is not a lease.
 */
int berth_ipam_lease_parse(const char *name, const char *content, size_t len,
			   struct berth_ipam_lease *ret);
void berth_ipam_lease_done(struct berth_ipam_lease *l);

/* The lease file content for (id, ifname): "<id>\r\n<ifname>", no newline. Caller frees. */
char *berth_ipam_lease_format(const char *id, const char *ifname);

/* Parse a last_reserved_ip.N file (an address, surrounding whitespace tolerated). */
int berth_ipam_last_reserved_parse(const char *content, size_t len, struct berth_ip *ret);

/* Container ids: 1..BERTH_IPAM_MAX_ID printable non-space ASCII bytes. */
bool berth_ipam_id_valid(const char *id);

/* ---- subnet chooser (Podman's behaviour) ---- */

struct berth_ipam_pool {
	struct berth_ipnet base;
	unsigned size; /* prefix length of the subnets handed out */
};

/* Podman's (containers.conf) default pools: 10.89.0.0/16 ... 10.128.0.0/9, all /24. */
const struct berth_ipam_pool *berth_ipam_default_pools(size_t *ret_n);

/*
 * The first subnet of the pools, in pool order and address order, that
 * overlaps none of used. -ENOSPC when every pool is full; -EINVAL on a bad
 * pool (size shorter than its base or longer than the family allows); -E2BIG
 * over the limits.
 */
int berth_ipam_pick_subnet(const struct berth_ipam_pool *pools, size_t n_pools,
			   const struct berth_ipnet *used, size_t n_used, struct berth_ipnet *ret);
