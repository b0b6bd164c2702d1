// SPDX-License-Identifier: Apache-2.0
/*
 * The lease store and the operations on it (docs/ipam.md).
 *
 * Layout of <data_dir>/<network>/, byte-compatible with the reference
 * host-local plugin's disk backend:
 *   <ip>                 "<id>\r\n<ifname>" (no newline); "<id>" in old files
 *   last_reserved_ip.<N> the last address reserved in range set N, no newline
 *   lock                 empty, flock()ed for the duration of every operation
 * berth's own files are dot-files the reference ignores by name (it matches
 * leases by content, so they exist only while berth holds the lock):
 *   .berth-lease.tmp     a lease being written, hard-linked to <ip> when complete
 *   .berth-last.tmp      a last_reserved_ip being written, renamed over it
 *
 * Every operation: lock, scan the directory once (bounded), act, unlock.
 * Nothing is cached between operations, so leases written or removed by the
 * reference plugin are always seen.
 */
#include "ipam.h"
#include "ipam-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/hash.h"
#include "basic/log.h"

#define LAST_PREFIX "last_reserved_ip."
#define LOCK_NAME "lock"
#define TMP_LEASE ".berth-lease.tmp"
#define TMP_LAST ".berth-last.tmp"

struct berth_ipam_store {
	char *path;
	char *lock_path;
	int dirfd;
	unsigned lock_timeout_ms;
};

/* ---- format ---- */

bool berth_ipam_id_valid(const char *id)
{
	size_t n = 0;
	if (!id)
		return false;
	for (const char *p = id; *p; p++, n++)
		if (*p <= ' ' || *p >= 0x7f || n >= BERTH_IPAM_MAX_ID)
			return false;
	return n > 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void trim(const char **p, size_t *len)
{
	while (*len > 0 && is_space(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*p)[*len - 1]))
		(*len)--;
}

void berth_ipam_lease_done(struct berth_ipam_lease *l)
{
	if (!l)
		return;
	free(l->id);
	free(l->ifname);
	l->id = l->ifname = NULL;
}

int berth_ipam_lease_parse(const char *name, const char *content, size_t len,
			   struct berth_ipam_lease *ret)
{
	struct berth_ipam_lease l = {0};

	if (berth_ip_parse(name, &l.ip) < 0)
		return -EINVAL;
	if (len > BERTH_IPAM_MAX_FILE || memchr(content, '\0', len))
		return -EBADMSG;
	trim(&content, &len);
	const char *sep = NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (content[i] == '\r' && content[i + 1] == '\n') {
			sep = content + i;
			break;
		}
	size_t idlen = sep ? (size_t)(sep - content) : len;
	l.id = strndup(content, idlen);
	if (!l.id)
		return -ENOMEM;
	if (sep) {
		l.ifname = strndup(sep + 2, len - idlen - 2);
		if (!l.ifname) {
			free(l.id);
			return -ENOMEM;
		}
	}
	*ret = l;
	return 0;
}

char *berth_ipam_lease_format(const char *id, const char *ifname)
{
	char *s = NULL;
	if (asprintf(&s, "%s\r\n%s", id, ifname) < 0)
		return NULL;
	return s;
}

int berth_ipam_last_reserved_parse(const char *content, size_t len, struct berth_ip *ret)
{
	char buf[BERTH_IP_STRLEN];

	if (len > BERTH_IPAM_MAX_FILE)
		return -EBADMSG;
	trim(&content, &len);
	if (len == 0 || len >= sizeof(buf) || memchr(content, '\0', len))
		return -EBADMSG;
	memcpy(buf, content, len);
	buf[len] = '\0';
	return berth_ip_parse(buf, ret) < 0 ? -EBADMSG : 0;
}

/* ---- open ---- */

static bool network_name_valid(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	return len > 0 && len <= BERTH_IPAM_MAX_NAME && !strchr(n, '/') && !streq(n, ".") &&
	       !streq(n, "..");
}

struct berth_ipam_store *berth_ipam_store_free(struct berth_ipam_store *s)
{
	if (!s)
		return NULL;
	if (s->dirfd >= 0)
		(void)close(s->dirfd);
	free(s->path);
	free(s->lock_path);
	free(s);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_ipam_store *, berth_ipam_store_free)

int berth_ipam_store_open(const char *data_dir, const char *network, unsigned lock_timeout_ms,
			  struct berth_ipam_store **ret, struct berth_error **reterr)
{
	_cleanup_(berth_ipam_store_freep) struct berth_ipam_store *s = NULL;
	int r;

	if (!data_dir || !*data_dir)
		return berth_error_set(reterr, EINVAL, "no IPAM data directory given");
	if (!network_name_valid(network))
		return berth_error_set(reterr, EINVAL, "invalid network name for the IPAM store");
	s = calloc(1, sizeof(*s));
	if (!s)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	s->dirfd = -1;
	s->lock_timeout_ms = lock_timeout_ms ? lock_timeout_ms : BERTH_IPAM_LOCK_TIMEOUT_MS;
	if (asprintf(&s->path, "%s/%s", data_dir, network) < 0) {
		s->path = NULL;
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	if (asprintf(&s->lock_path, "%s/" LOCK_NAME, s->path) < 0) {
		s->lock_path = NULL;
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	r = mkdir_p(s->path, 0755);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "creating '%s'", s->path);
	s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_PLAIN, "opening '%s'", s->path);
	*ret = TAKE_PTR(s);
	return 0;
}

const char *berth_ipam_store_path(const struct berth_ipam_store *s)
{
	return s->path;
}

static int store_lock(struct berth_ipam_store *s, struct berth_error **reterr)
{
	int fd = lock_file_timeout(s->lock_path, s->lock_timeout_ms);
	if (fd < 0)
		return berth_error_errno(reterr, fd, BERTH_ERR_PLAIN, "locking '%s'", s->lock_path);
	return fd;
}

/* ---- a hash set of addresses ---- */

struct ipset {
	struct berth_ip *slots; /* family 0 = empty */
	size_t cap, n;
};

static size_t ip_hash(const struct berth_ip *ip)
{
	return (size_t)berth_fnv1a64(BERTH_FNV64_INIT, ip->b, berth_ip_len(ip->family));
}

static bool ipset_contains(const struct ipset *set, const struct berth_ip *ip)
{
	if (set->cap == 0)
		return false;
	for (size_t i = ip_hash(ip) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (set->slots[i].family == 0)
			return false;
		if (berth_ip_equal(&set->slots[i], ip))
			return true;
	}
}

static int ipset_add(struct ipset *set, const struct berth_ip *ip)
{
	if ((set->n + 1) * 2 > set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 64;
		struct berth_ip *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		struct ipset bigger = {ns, ncap, 0};
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i].family)
				(void)ipset_add(&bigger, &set->slots[i]);
		free(set->slots);
		*set = bigger;
	}
	size_t i = ip_hash(ip) & (set->cap - 1);
	for (; set->slots[i].family; i = (i + 1) & (set->cap - 1))
		if (berth_ip_equal(&set->slots[i], ip))
			return 0;
	set->slots[i] = *ip;
	set->n++;
	return 1;
}

/* ---- one scan of the directory ---- */

struct entry {
	char name[BERTH_IP_STRLEN]; /* the directory entry, as found */
	bool parsed;		    /* lease holds id (and maybe ifname) */
	struct berth_ipam_lease lease;
};

struct scan {
	struct entry *e;
	size_t n, cap;
	struct ipset taken; /* every address that has a file, readable or not */
};

static void scan_done(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		berth_ipam_lease_done(&sc->e[i].lease);
	free(sc->e);
	free(sc->taken.slots);
	*sc = (struct scan){0};
}

static bool lease_matches(const struct berth_ipam_lease *l, const char *id, const char *ifname)
{
	return l->ifname && streq(l->id, id) && streq(l->ifname, ifname);
}

static bool lease_matches_legacy(const struct berth_ipam_lease *l, const char *id)
{
	return !l->ifname && streq(l->id, id);
}

/* The lease belongs to (id, ifname), or is a legacy lease of id. */
static bool lease_of(const struct entry *e, const char *id, const char *ifname)
{
	return e->parsed &&
	       (lease_matches(&e->lease, id, ifname) || lease_matches_legacy(&e->lease, id));
}

/*
 * One read() into a buffer one byte larger than the limit: lease files are
 * tiny regular files (read() returns all of them at once), and this is the
 * per-lease cost of every scan (GC of 1000 leases must stay well under
 * 100 ms). check_type: readdir() did not say what the entry is.
 */
static int read_entry(int dirfd, struct entry *e, char *buf, bool check_type)
{
	_cleanup_close_ int fd =
	    openat(dirfd, e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (check_type && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
		return -EBADMSG;
	do
		n = read(fd, buf, BERTH_IPAM_MAX_FILE + 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n > BERTH_IPAM_MAX_FILE)
		return -EFBIG;
	int r = berth_ipam_lease_parse(e->name, buf, (size_t)n, &e->lease);
	if (r < 0)
		return r;
	e->parsed = true;
	return 0;
}

static int store_scan(struct berth_ipam_store *s, struct scan *ret, struct berth_error **reterr)
{
	_cleanup_free_ char *buf = malloc(BERTH_IPAM_MAX_FILE + 1);
	struct scan sc = {0};
	size_t seen = 0;
	struct dirent *de;
	int r = 0;

	if (!buf)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_PLAIN, "opening '%s'", s->path);
	DIR *d = fdopendir(fd);
	if (!d) {
		r = -errno;
		(void)close(fd);
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "opening '%s'", s->path);
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				r = berth_error_errno(reterr, -errno, BERTH_ERR_PLAIN,
						      "reading '%s'", s->path);
				goto fail;
			}
			break;
		}
		if (++seen > BERTH_IPAM_MAX_LEASES) {
			r = berth_error_set(reterr, E2BIG, "more than %d entries in '%s'",
					    BERTH_IPAM_MAX_LEASES, s->path);
			goto fail;
		}
		struct berth_ip ip;
		if (de->d_name[0] == '.' || berth_ip_parse(de->d_name, &ip) < 0)
			continue;
		if (sc.n == sc.cap) {
			size_t ncap = sc.cap ? sc.cap * 2 : 64;
			struct entry *ne = realloc(sc.e, ncap * sizeof(*ne));
			if (!ne) {
				r = berth_error_set(reterr, ENOMEM, "out of memory");
				goto fail;
			}
			sc.e = ne;
			sc.cap = ncap;
		}
		struct entry *e = &sc.e[sc.n++];
		*e = (struct entry){0};
		strcpy(e->name, de->d_name); /* berth_ip_parse() bounded it */
		e->lease.ip = ip;
		/* Only regular files are read (no FIFOs or devices); they still take the address.
		 */
		int k = de->d_type == DT_REG || de->d_type == DT_UNKNOWN
			    ? read_entry(s->dirfd, e, buf, de->d_type == DT_UNKNOWN)
			    : -EBADMSG;
		if (k == -ENOENT) { /* removed by a writer that does not lock: not a lease */
			sc.n--;
			continue;
		}
		if (k == -ENOMEM) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto fail;
		}
		if (k < 0)
			log_debug("ipam: '%s/%s' is not a readable lease (%s), address kept taken",
				  s->path, e->name, strerror(-k));
		if (ipset_add(&sc.taken, &ip) < 0) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto fail;
		}
	}
	closedir(d);
	*ret = sc;
	return 0;
fail:
	closedir(d);
	scan_done(&sc);
	return r;
}

/* Take the store lock and scan: returns the lock fd (>= 0) with *sc filled, or -errno. */
static int store_begin(struct berth_ipam_store *s, struct scan *sc, struct berth_error **reterr)
{
	_cleanup_close_ int lock = store_lock(s, reterr);
	if (lock < 0)
		return lock;
	int r = store_scan(s, sc, reterr);
	if (r < 0)
		return r;
	return TAKE_FD(lock);
}

static int attachment_check(const char *id, const char *ifname, struct berth_error **reterr)
{
	if (!berth_ipam_id_valid(id))
		return berth_error_set(reterr, EINVAL, "invalid container id");
	if (!berth_ifname_valid(ifname))
		return berth_error_set(reterr, EINVAL, "invalid interface name");
	return 0;
}

/* ---- writes ---- */

/* Store files are small: one write(), a short one is an error (as write_string_file()). */
static int write_content(int fd, const char *content)
{
	size_t n = strlen(content);
	ssize_t k = write(fd, content, n);
	if (k < 0)
		return -errno;
	return (size_t)k == n ? 0 : -EIO;
}

/* Write content into a fresh temporary file in the store. */
static int write_tmp(struct berth_ipam_store *s, const char *tmp, const char *content)
{
	if (unlinkat(s->dirfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	int r = write_content(fd, content);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(s->dirfd, tmp, 0);
	return r;
}

/*
 * Reserve name for content: 1 reserved, 0 taken. The lease appears complete
 * or not at all (temp file hard-linked into place; link() fails when the name
 * exists, as O_EXCL does for the reference). A file system without hard links
 * gets the reference's O_EXCL create, with the file removed on a failed write.
 */
static int reserve_file(struct berth_ipam_store *s, const char *name, const char *content)
{
	int r = write_tmp(s, TMP_LEASE, content);
	if (r < 0)
		return r;
	if (linkat(s->dirfd, TMP_LEASE, s->dirfd, name, 0) == 0)
		r = 1;
	else if (errno == EEXIST)
		r = 0;
	else if (errno == EPERM || errno == EOPNOTSUPP || errno == EMLINK)
		r = -EOPNOTSUPP;
	else
		r = -errno;
	(void)unlinkat(s->dirfd, TMP_LEASE, 0);
	if (r != -EOPNOTSUPP)
		return r;

	int fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	r = write_content(fd, content);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(s->dirfd, name, 0);
		return r;
	}
	return 1;
}

static int write_last_reserved(struct berth_ipam_store *s, size_t set, const struct berth_ip *ip)
{
	char name[sizeof(LAST_PREFIX) + 24], text[BERTH_IP_STRLEN];
	snprintf(name, sizeof(name), LAST_PREFIX "%zu", set);
	int r = write_tmp(s, TMP_LAST, berth_ipam_ip_name(ip, text));
	if (r < 0)
		return r;
	if (renameat(s->dirfd, TMP_LAST, s->dirfd, name) < 0) {
		r = -errno;
		(void)unlinkat(s->dirfd, TMP_LAST, 0);
	}
	return r;
}

static int read_last_reserved(struct berth_ipam_store *s, size_t set, struct berth_ip *ret)
{
	char name[sizeof(LAST_PREFIX) + 24];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	snprintf(name, sizeof(name), LAST_PREFIX "%zu", set);
	_cleanup_close_ int fd =
	    openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int r = read_fd_limited(fd, BERTH_IPAM_MAX_FILE, &buf, &len);
	if (r < 0)
		return r;
	return berth_ipam_last_reserved_parse(buf, len, ret);
}

/* ---- allocation ---- */

static bool excluded(const struct berth_ipam_config *c, const struct berth_ip *ip,
		     const struct berth_ipnet **ret_x)
{
	for (size_t i = 0; i < c->n_exclude; i++)
		if (berth_ipnet_contains(&c->exclude[i], ip)) {
			if (ret_x)
				*ret_x = &c->exclude[i];
			return true;
		}
	return false;
}

static char *rangeset_text(const struct berth_ipam_rangeset *set)
{
	char *s = strdup("");
	for (size_t i = 0; s && i < set->n_ranges; i++) {
		char a[BERTH_IP_STRLEN], b[BERTH_IP_STRLEN];
		s = berth_strappendf(s, "%s%s-%s", i ? "," : "",
				     berth_ipam_ip_name(&set->ranges[i].start, a),
				     berth_ipam_ip_name(&set->ranges[i].end, b));
	}
	return s;
}

struct txn {
	struct berth_ipam_store *s;
	struct scan *sc;
	const char *content;
	char created[BERTH_IPAM_MAX_SETS][BERTH_IP_STRLEN];
	size_t n_created;
};

/* 1 reserved, 0 taken, < 0 error. */
static int txn_reserve(struct txn *t, const struct berth_ip *ip)
{
	char name[BERTH_IP_STRLEN];
	if (ipset_contains(&t->sc->taken, ip))
		return 0;
	berth_ipam_ip_name(ip, name);
	int r = reserve_file(t->s, name, t->content);
	if (r < 0)
		return r;
	if (ipset_add(&t->sc->taken, ip) < 0) {
		if (r == 1)
			(void)unlinkat(t->s->dirfd, name, 0);
		return -ENOMEM;
	}
	if (r == 1)
		strcpy(t->created[t->n_created++], name);
	return r;
}

static void txn_rollback(struct txn *t)
{
	for (size_t i = 0; i < t->n_created; i++)
		(void)unlinkat(t->s->dirfd, t->created[i], 0);
	t->n_created = 0;
}

/*
 * The next free address of one set: the set's ranges in order, starting
 * after last_reserved_ip.<set> (at the first range's start when that is
 * missing or outside the set), wrapping around, skipping the gateway, network
 * and broadcast addresses, exclusions (in one step each) and taken addresses.
 * Each step passes a taken address or an exclusion, so the walk is bounded by
 * the number of leases and exclusions, whatever the size of the ranges.
 */
static int allocate_next(struct txn *t, const struct berth_ipam_config *c, size_t si,
			 struct berth_ipam_alloc *ret)
{
	const struct berth_ipam_rangeset *set = &c->sets[si];
	struct {
		size_t range;
		struct berth_ip lo, hi;
	} seg[BERTH_IPAM_MAX_RANGES + 1];
	size_t n_seg = 0, n = set->n_ranges, ri;
	struct berth_ip last;

	if (read_last_reserved(t->s, si, &last) == 0 &&
	    berth_ipam_rangeset_contains(set, &last, &ri)) {
		const struct berth_ipam_range *r0 = &set->ranges[ri];
		if (ipam_ip_cmp(&last, &r0->end) < 0) {
			seg[n_seg].range = ri;
			seg[n_seg].lo = last;
			(void)berth_ip_inc(&seg[n_seg].lo);
			seg[n_seg++].hi = r0->end;
		}
		for (size_t k = 1; k < n; k++) {
			size_t j = (ri + k) % n;
			seg[n_seg].range = j;
			seg[n_seg].lo = set->ranges[j].start;
			seg[n_seg++].hi = set->ranges[j].end;
		}
		seg[n_seg].range = ri;
		seg[n_seg].lo = r0->start;
		seg[n_seg++].hi = last;
	} else {
		for (size_t j = 0; j < n; j++) {
			seg[n_seg].range = j;
			seg[n_seg].lo = set->ranges[j].start;
			seg[n_seg++].hi = set->ranges[j].end;
		}
	}

	for (size_t k = 0; k < n_seg; k++) {
		const struct berth_ipam_range *rg = &set->ranges[seg[k].range];
		struct berth_ip cur = seg[k].lo;
		const struct berth_ip *hi = &seg[k].hi;
		for (;;) {
			const struct berth_ipnet *x;
			if (excluded(c, &cur, &x)) {
				struct berth_ip xl;
				berth_ipnet_last(x, &xl);
				if (ipam_ip_cmp(&xl, hi) >= 0)
					break;
				cur = xl;
			} else if (!berth_ip_equal(&cur, &rg->gateway) &&
				   !ipam_ip_is_net_or_bcast(&rg->subnet, &cur)) {
				int r = txn_reserve(t, &cur);
				if (r < 0)
					return r;
				if (r > 0) {
					*ret = (struct berth_ipam_alloc){.ip = cur,
									 .prefixlen =
									     rg->subnet.prefixlen,
									 .gateway = rg->gateway,
									 .set = si,
									 .range = seg[k].range};
					return 0;
				}
			}
			if (ipam_ip_cmp(&cur, hi) >= 0)
				break;
			(void)berth_ip_inc(&cur);
		}
	}
	return -ENOSPC;
}

static bool config_shape_valid(const struct berth_ipam_config *c)
{
	if (c->n_sets == 0 || c->n_sets > BERTH_IPAM_MAX_SETS ||
	    c->n_exclude > BERTH_IPAM_MAX_EXCLUDE)
		return false;
	for (size_t i = 0; i < c->n_sets; i++) {
		const struct berth_ipam_rangeset *set = &c->sets[i];
		if (set->n_ranges == 0 || set->n_ranges > BERTH_IPAM_MAX_RANGES)
			return false;
		/* Canonicalised: every address filled in, in the subnet's family. */
		for (size_t j = 0; j < set->n_ranges; j++) {
			const struct berth_ipam_range *r = &set->ranges[j];
			int fam = r->subnet.ip.family;
			if ((fam != AF_INET && fam != AF_INET6) || r->start.family != fam ||
			    r->end.family != fam || r->gateway.family != fam)
				return false;
		}
	}
	return true;
}

int berth_ipam_allocate(struct berth_ipam_store *s, const struct berth_ipam_config *c,
			const char *id, const char *ifname, const struct berth_ip *requested,
			size_t n_requested, struct berth_ipam_alloc *ret_allocs,
			struct berth_error **reterr)
{
	const struct berth_ip *req_of_set[BERTH_IPAM_MAX_SETS] = {0};
	struct berth_ipam_alloc allocs[BERTH_IPAM_MAX_SETS];
	_cleanup_(scan_done) struct scan sc = {0};
	_cleanup_free_ char *content = NULL;
	char a[BERTH_IP_STRLEN];
	int r;

	r = attachment_check(id, ifname, reterr);
	if (r < 0)
		return r;
	if (!config_shape_valid(c))
		return berth_error_set(reterr, EINVAL,
				       "invalid IPAM configuration (not canonicalised?)");
	if (n_requested > BERTH_IPAM_MAX_REQUESTS)
		return berth_error_set(reterr, E2BIG, "too many requested addresses (at most %d)",
				       BERTH_IPAM_MAX_REQUESTS);

	/* Each requested address goes to the first set containing it. */
	for (size_t i = 0; i < n_requested; i++) {
		const struct berth_ip *ip = &requested[i];
		size_t si, ri = 0;
		for (si = 0; si < c->n_sets; si++)
			if (berth_ipam_rangeset_contains(&c->sets[si], ip, &ri))
				break;
		if (si == c->n_sets)
			return berth_error_set(reterr, EADDRNOTAVAIL,
					       "requested IP address %s is not in any range",
					       berth_ipam_ip_name(ip, a));
		const struct berth_ipam_range *rg = &c->sets[si].ranges[ri];
		if (req_of_set[si])
			return berth_error_set(
			    reterr, EINVAL, "more than one requested IP address in range set %zu",
			    si);
		if (berth_ip_equal(ip, &rg->gateway))
			return berth_error_set(reterr, EADDRNOTAVAIL,
					       "requested ip %s is subnet's gateway",
					       berth_ipam_ip_name(ip, a));
		if (excluded(c, ip, NULL) || ipam_ip_is_net_or_bcast(&rg->subnet, ip))
			return berth_error_set(reterr, EADDRNOTAVAIL,
					       "requested IP address %s is excluded",
					       berth_ipam_ip_name(ip, a));
		req_of_set[si] = ip;
	}

	content = berth_ipam_lease_format(id, ifname);
	if (!content)
		return berth_error_set(reterr, ENOMEM, "out of memory");

	_cleanup_close_ int lock = store_begin(s, &sc, reterr);
	if (lock < 0)
		return lock;

	/* No second address in a set for the same attachment (the CNI spec). */
	for (size_t si = 0; si < c->n_sets; si++) {
		if (req_of_set[si])
			continue;
		for (size_t i = 0; i < sc.n; i++) {
			const struct entry *e = &sc.e[i];
			if (lease_of(e, id, ifname) &&
			    berth_ipam_rangeset_contains(&c->sets[si], &e->lease.ip, NULL))
				return berth_error_set(reterr, EEXIST,
						       "%s has been allocated to %s, duplicate "
						       "allocation is not allowed",
						       berth_ipam_ip_name(&e->lease.ip, a), id);
		}
	}

	struct txn t = {.s = s, .sc = &sc, .content = content};
	for (size_t si = 0; si < c->n_sets; si++) {
		const struct berth_ipam_rangeset *set = &c->sets[si];
		if (req_of_set[si]) {
			const struct berth_ip *ip = req_of_set[si];
			size_t ri = 0;
			(void)berth_ipam_rangeset_contains(set, ip, &ri);
			r = txn_reserve(&t, ip);
			if (r == 0) {
				_cleanup_free_ char *txt = rangeset_text(set);
				r = berth_error_set(
				    reterr, EADDRINUSE,
				    "requested IP address %s is not available in range set %s",
				    berth_ipam_ip_name(ip, a), txt ? txt : "?");
				goto fail;
			}
			if (r < 0) {
				r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
						      "failed to allocate for range %zu", si);
				goto fail;
			}
			allocs[si] = (struct berth_ipam_alloc){
			    .ip = *ip,
			    .prefixlen = set->ranges[ri].subnet.prefixlen,
			    .gateway = set->ranges[ri].gateway,
			    .set = si,
			    .range = ri,
			};
		} else {
			r = allocate_next(&t, c, si, &allocs[si]);
			if (r == -ENOSPC) {
				_cleanup_free_ char *txt = rangeset_text(set);
				r = berth_error_set(reterr, ENOSPC,
						    "failed to allocate for range %zu: no IP "
						    "addresses available in range set: %s",
						    si, txt ? txt : "?");
				goto fail;
			}
			if (r < 0) {
				r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
						      "failed to allocate for range %zu", si);
				goto fail;
			}
		}
		r = write_last_reserved(s, si, &allocs[si].ip);
		if (r < 0) {
			r = berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
					      "writing " LAST_PREFIX "%zu in '%s'", si, s->path);
			goto fail;
		}
	}
	memcpy(ret_allocs, allocs, c->n_sets * sizeof(*allocs));
	return 0;
fail:
	txn_rollback(&t);
	return r;
}

/* ---- release, find, list ---- */

static int unlink_entry(struct berth_ipam_store *s, const struct entry *e)
{
	if (unlinkat(s->dirfd, e->name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int berth_ipam_release(struct berth_ipam_store *s, const char *id, const char *ifname,
		       struct berth_error **reterr)
{
	_cleanup_(scan_done) struct scan sc = {0};
	int r, removed = 0;

	r = attachment_check(id, ifname, reterr);
	if (r < 0)
		return r;
	_cleanup_close_ int lock = store_begin(s, &sc, reterr);
	if (lock < 0)
		return lock;
	for (int pass = 0; pass < 2 && removed == 0; pass++)
		for (size_t i = 0; i < sc.n; i++) {
			const struct entry *e = &sc.e[i];
			if (!e->parsed || !(pass == 0 ? lease_matches(&e->lease, id, ifname)
						      : lease_matches_legacy(&e->lease, id)))
				continue;
			r = unlink_entry(s, e);
			if (r < 0)
				return berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
							 "removing lease '%s/%s'", s->path,
							 e->name);
			removed++;
		}
	return removed;
}

int berth_ipam_release_addrs(struct berth_ipam_store *s, const char *id, const char *ifname,
			     const struct berth_ip *addrs, size_t n, size_t n_expected,
			     struct berth_error **reterr)
{
	_cleanup_free_ char *buf = NULL;
	int r, removed = 0;

	r = attachment_check(id, ifname, reterr);
	if (r < 0)
		return r;
	if (n == 0 || n_expected == 0 || n > BERTH_IPAM_MAX_SETS)
		return berth_ipam_release(s, id, ifname, reterr);
	buf = malloc(BERTH_IPAM_MAX_FILE + 1);
	if (!buf)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	{
		_cleanup_close_ int lock = store_lock(s, reterr);
		if (lock < 0)
			return lock;
		for (size_t i = 0; i < n; i++) {
			struct entry e = {0};
			berth_ipam_ip_name(&addrs[i], e.name);
			r = read_entry(s->dirfd, &e, buf, true);
			bool ours = r == 0 && e.parsed && lease_matches(&e.lease, id, ifname);
			berth_ipam_lease_done(&e.lease);
			if (!ours)
				continue;
			r = unlink_entry(s, &e);
			if (r < 0)
				return berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
							 "removing lease '%s/%s'", s->path, e.name);
			removed++;
		}
	}
	/* a lease per range set found by its address: nothing else can hold one */
	if ((size_t)removed >= n_expected)
		return removed;
	r = berth_ipam_release(s, id, ifname, reterr);
	return r < 0 ? r : removed + r;
}

int berth_ipam_find(struct berth_ipam_store *s, const char *id, const char *ifname,
		    struct berth_error **reterr)
{
	_cleanup_(scan_done) struct scan sc = {0};

	if (!id || !ifname)
		return berth_error_set(reterr, EINVAL, "invalid container id or interface name");
	_cleanup_close_ int lock = store_begin(s, &sc, reterr);
	if (lock < 0)
		return lock;
	for (size_t i = 0; i < sc.n; i++)
		if (lease_of(&sc.e[i], id, ifname))
			return 1;
	return 0;
}

void berth_ipam_leases_free(struct berth_ipam_lease *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		berth_ipam_lease_done(&l[i]);
	free(l);
}

int berth_ipam_list(struct berth_ipam_store *s, struct berth_ipam_lease **ret, size_t *ret_n,
		    struct berth_error **reterr)
{
	_cleanup_(scan_done) struct scan sc = {0};

	_cleanup_close_ int lock = store_begin(s, &sc, reterr);
	if (lock < 0)
		return lock;
	struct berth_ipam_lease *l = calloc(sc.n ? sc.n : 1, sizeof(*l));
	if (!l)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < sc.n; i++)
		if (sc.e[i].parsed) {
			l[n++] = sc.e[i].lease;
			sc.e[i].lease = (struct berth_ipam_lease){0};
		}
	*ret = l;
	*ret_n = n;
	return 0;
}

/* ---- GC ---- */

/* Open-addressing table of indices into the valid list, keyed by (id, ifname) or by id. */
struct keyset {
	size_t *slots; /* index + 1; 0 = empty */
	size_t cap;
	const struct berth_ipam_attachment *v;
	bool by_id;
};

static size_t key_hash(const char *id, const char *ifname)
{
	uint64_t h = berth_fnv1a64(BERTH_FNV64_INIT, id, strlen(id) + 1);
	if (ifname)
		h = berth_fnv1a64(h, ifname, strlen(ifname));
	return (size_t)h;
}

static bool key_eq(const struct keyset *k, size_t i, const char *id, const char *ifname)
{
	return streq(k->v[i].id, id) && (k->by_id || streq(k->v[i].ifname, ifname));
}

static int keyset_build(struct keyset *k, const struct berth_ipam_attachment *v, size_t n,
			bool by_id)
{
	size_t cap = 64;
	while (cap < n * 2)
		cap *= 2;
	k->slots = calloc(cap, sizeof(*k->slots));
	if (!k->slots)
		return -ENOMEM;
	k->cap = cap;
	k->v = v;
	k->by_id = by_id;
	for (size_t i = 0; i < n; i++) {
		size_t j = key_hash(v[i].id, by_id ? NULL : v[i].ifname) & (cap - 1);
		for (; k->slots[j]; j = (j + 1) & (cap - 1))
			if (key_eq(k, k->slots[j] - 1, v[i].id, v[i].ifname))
				break;
		if (!k->slots[j])
			k->slots[j] = i + 1;
	}
	return 0;
}

static bool keyset_contains(const struct keyset *k, const char *id, const char *ifname)
{
	for (size_t j = key_hash(id, k->by_id ? NULL : ifname) & (k->cap - 1); k->slots[j];
	     j = (j + 1) & (k->cap - 1))
		if (key_eq(k, k->slots[j] - 1, id, ifname))
			return true;
	return false;
}

int berth_ipam_gc(struct berth_ipam_store *s, const struct berth_ipam_attachment *valid,
		  size_t n_valid, struct berth_error **reterr)
{
	_cleanup_(scan_done) struct scan sc = {0};
	_cleanup_free_ size_t *pairs_slots = NULL, *ids_slots = NULL;
	struct keyset pairs, ids;
	int r, removed = 0;

	if (n_valid > BERTH_IPAM_MAX_VALID)
		return berth_error_set(reterr, E2BIG, "too many attachments (at most %d)",
				       BERTH_IPAM_MAX_VALID);
	for (size_t i = 0; i < n_valid; i++)
		if (!valid[i].id || !valid[i].ifname)
			return berth_error_set(reterr, EINVAL, "attachment %zu is incomplete", i);
	if (keyset_build(&pairs, valid, n_valid, false) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	pairs_slots = pairs.slots;
	if (keyset_build(&ids, valid, n_valid, true) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	ids_slots = ids.slots;

	_cleanup_close_ int lock = store_begin(s, &sc, reterr);
	if (lock < 0)
		return lock;
	for (size_t i = 0; i < sc.n; i++) {
		const struct entry *e = &sc.e[i];
		if (!e->parsed)
			continue;
		bool keep = e->lease.ifname ? keyset_contains(&pairs, e->lease.id, e->lease.ifname)
					    : keyset_contains(&ids, e->lease.id, NULL);
		if (keep)
			continue;
		r = unlink_entry(s, e);
		if (r < 0)
			return berth_error_errno(reterr, r, BERTH_ERR_PLAIN,
						 "removing lease '%s/%s'", s->path, e->name);
		removed++;
	}
	/* Leftovers of a berth that died holding the lock. */
	(void)unlinkat(s->dirfd, TMP_LEASE, 0);
	(void)unlinkat(s->dirfd, TMP_LAST, 0);
	return removed;
}
