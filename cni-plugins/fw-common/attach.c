// SPDX-License-Identifier: Apache-2.0
/* One attachment's elements in berth's table, with its state record (attach.h). */
#include "attach.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/rundir.h"
#include "basic/time-util.h"
#include "state/record.h"
#include "undo/undo.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_record *, berth_record_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_fw_batch *, berth_fw_batch_free)

int cni_fw_id(const struct cni_request *req, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s-%s", req->container_id ? req->container_id : "",
			 req->ifname ? req->ifname : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

size_t cni_fw_container_ips(const struct cni_request *req, bool all, struct berth_ipnet *ret,
			    size_t max)
{
	const struct cni_result *pr = req->prev_result;
	bool have4 = false, have6 = false;
	size_t n = 0;

	if (!pr)
		return 0;
	for (size_t i = 0; i < pr->n_ips && n < max; i++) {
		const struct cni_ipconfig *ip = &pr->ips[i];
		int idx = ip->interface;
		if (idx >= 0) {
			if ((size_t)idx >= pr->n_interfaces)
				continue;
			const struct cni_interface *itf = &pr->interfaces[idx];
			if (!itf->name || !req->ifname || strcmp(itf->name, req->ifname) != 0 ||
			    !itf->sandbox || !*itf->sandbox)
				continue;
		}
		bool v4 = ip->address.ip.family == AF_INET;
		if (!all && (v4 ? have4 : have6))
			continue;
		if (v4)
			have4 = true;
		else
			have6 = true;
		ret[n++] = ip->address;
	}
	return n;
}

static bool elem_shared(const struct berth_fw_elem *e)
{
	return e->kind == BERTH_FW_ELEM_SAME_BRIDGE || e->kind == BERTH_FW_ELEM_ISOLATED;
}

static int lock_host(struct cni_error **reterr)
{
	int fd = berth_lock_host(BERTH_LOCK_TIMEOUT_MS);
	if (fd == -ETIMEDOUT)
		return cni_error_set(reterr, ETIMEDOUT, CNI_ERR_TRY_AGAIN,
				     "timed out waiting for berth's host lock", NULL);
	if (fd < 0)
		return cni_error_set(reterr, -fd, CNI_ERR_BERTH_STATE,
				     "failed to take berth's host lock", "%s", strerror(-fd));
	return fd;
}

static int oom(struct cni_error **reterr)
{
	return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
}

static int fw_error(struct cni_error **reterr, int r, const char *what, const char *msg)
{
	return cni_error_set(reterr, -r, CNI_ERR_BERTH_KERNEL, what, "%s",
			     msg ? msg : strerror(-r));
}

/* ---- shared elements still in use ---------------------------------------------- */

struct in_use {
	const char *skip_id;
	const struct berth_fw_elem *e;
	bool found;
};

static int in_use_cb(const struct berth_record *rec, void *data)
{
	struct in_use *u = data;
	if (u->skip_id && strcmp(rec->id, u->skip_id) == 0)
		return 0;
	for (size_t i = 0; i < rec->n_elems; i++)
		if (berth_fw_elem_equal(&rec->elems[i], u->e)) {
			u->found = true;
			return -1;
		}
	return 0;
}

/* Is shared element e named by a record of owner other than skip_id? */
static bool shared_in_use(const char *owner, const char *skip_id, const struct berth_fw_elem *e)
{
	struct in_use u = {.skip_id = skip_id, .e = e};
	(void)berth_record_foreach(owner, in_use_cb, &u, NULL);
	return u.found;
}

/* The elements of rec to remove: all but shared ones somebody else still names. */
static size_t removable(const struct berth_record *rec, struct berth_fw_elem *ret)
{
	size_t n = 0;
	for (size_t i = 0; i < rec->n_elems; i++)
		if (!elem_shared(&rec->elems[i]) ||
		    !shared_in_use(rec->owner, rec->id, &rec->elems[i]))
			ret[n++] = rec->elems[i];
	return n;
}

/* ---- ADD --------------------------------------------------------------------------- */

static int record_build(const struct cni_request *req, const struct cni_fw_attach *a,
			const char *id, struct berth_record **ret)
{
	_cleanup_(berth_record_freep) struct berth_record *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->owner = strdup(a->owner);
	r->id = strdup(id);
	r->name = strdup(req->container_id);
	r->network = strdup(req->name);
	r->pending = true;
	r->forwards = calloc(a->n_pm ? a->n_pm : 1, sizeof(*r->forwards));
	r->elems = calloc(a->n_el ? a->n_el : 1, sizeof(*r->elems));
	if (!r->owner || !r->id || !r->name || !r->network || !r->forwards || !r->elems)
		return -ENOMEM;
	if (a->n_pm)
		memcpy(r->forwards, a->pm, a->n_pm * sizeof(*a->pm));
	r->n_forwards = a->n_pm;
	memcpy(r->elems, a->el, a->n_el * sizeof(*a->el));
	r->n_elems = a->n_el;
	*ret = TAKE_PTR(r);
	return 0;
}

static int conflict_error(const struct cni_fw_attach *a, const char *id, int tag,
			  struct cni_error **reterr)
{
	struct berth_fw_portmap mine[2];
	struct berth_record_owner ow;
	size_t n = 0;
	char where[BERTH_IP_STRLEN + 8] = "";

	for (size_t i = 0; i < a->n_pm && n < ARRAY_SIZE(mine); i++)
		if (a->pm_tags[i] == tag)
			mine[n++] = a->pm[i];
	if (n == 0)
		return cni_error_set(reterr, EEXIST, CNI_ERR_BERTH_PORT_CONFLICT,
				     "host port already forwarded", NULL);
	if (!berth_ip_is_unspecified(&mine[0].host_ip)) {
		char b[BERTH_IP_STRLEN];
		snprintf(where, sizeof(where), " on %s", berth_ip_fmt(&mine[0].host_ip, b));
	}
	int r = berth_record_forward_owner(mine, n, a->owner, id, &ow);
	if (r > 0)
		r = cni_error_set(
		    reterr, EEXIST, CNI_ERR_BERTH_PORT_CONFLICT, "host port already forwarded",
		    "runtimeConfig.portMappings[%d]: port %u/%s%s is already forwarded "
		    "to container %s (%s, set up by %s)",
		    tag, mine[0].host_port, berth_l4proto_name(mine[0].protocol), where,
		    ow.name ? ow.name : ow.id, ow.id, ow.owner);
	else
		r = cni_error_set(
		    reterr, EEXIST, CNI_ERR_BERTH_PORT_CONFLICT, "host port already forwarded",
		    "runtimeConfig.portMappings[%d]: port %u/%s%s is already forwarded "
		    "(by another mapping of this attachment, or by something berth has "
		    "no record of)",
		    tag, mine[0].host_port, berth_l4proto_name(mine[0].protocol), where);
	berth_record_owner_done(&ow);
	return r;
}

static void flush_udp(const struct berth_fw_portmap *pm, size_t n)
{
	uint16_t port = 0;
	int r = berth_fw_flush_udp(pm, n, &port);
	if (r < 0)
		log_warn("failed to flush conntrack entries of udp port %u: %s, ignoring", port,
			 strerror(-r));
	else if (r > 0)
		log_debug("flushed %d conntrack entries of forwarded udp ports", r);
}

int cni_fw_add(const struct cni_request *req, const struct cni_fw_attach *a,
	       struct cni_error **reterr)
{
	_cleanup_(berth_record_freep) struct berth_record *rec = NULL, *old = NULL;
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *msg = NULL;
	struct berth_undo *undo = NULL;
	struct berth_fw_elem old_el[BERTH_RECORD_MAX_ELEMS], undo_el[CNI_FW_MAX_ELEMS];
	char id[CNI_MAX_CONTAINER_ID + 32];
	int r;

	if (a->n_pm == 0 && a->n_el == 0)
		return 0;
	if (cni_fw_id(req, id, sizeof(id)) < 0)
		return cni_error_set(reterr, ENAMETOOLONG, CNI_ERR_INVALID_ENV,
				     "container id too long", NULL);
	lockfd = lock_host(reterr);
	if (lockfd < 0)
		return lockfd;
	if (berth_undo_new(&undo) < 0)
		return oom(reterr);

	r = berth_fw_table_exists(NULL);
	if (r < 0) {
		r = fw_error(reterr, r, "failed to look up berth's nftables table", NULL);
		goto fail;
	}
	bool table_existed = r > 0;
	if ((r = berth_fw_batch_new(NULL, &b)) < 0 ||
	    (!table_existed && (r = berth_fw_batch_ensure_table(b)) < 0)) {
		r = oom(reterr);
		goto fail;
	}
	/* An ADD without the DEL of an earlier one: its leftovers go in the same transaction. */
	r = berth_record_load(a->owner, id, &old);
	if (r >= 0 && table_existed) {
		log_debug("replacing the leftovers of an earlier ADD of %s", id);
		size_t n_old = removable(old, old_el);
		if ((old->n_forwards &&
		     (r = berth_fw_batch_del_portmaps(b, old->forwards, old->n_forwards)) < 0) ||
		    (r = berth_fw_batch_del_elems(b, old_el, n_old)) < 0) {
			r = cni_error_set(reterr, -r, CNI_ERR_BERTH_STATE, "invalid state record",
					  "%s of %s", id, a->owner);
			goto fail;
		}
	}
	for (size_t i = 0; i < a->n_pm; i++) {
		berth_fw_batch_set_tag(b, a->pm_tags[i]);
		r = berth_fw_batch_add_portmaps(b, &a->pm[i], 1);
		if (r < 0) {
			r = cni_error_set(reterr, -r, CNI_ERR_INVALID_CONFIG,
					  "invalid port mapping", "runtimeConfig.portMappings[%d]",
					  a->pm_tags[i]);
			goto fail;
		}
	}
	berth_fw_batch_set_tag(b, -1);
	r = berth_fw_batch_add_elems(b, a->el, a->n_el);
	if (r < 0) {
		r = cni_error_set(reterr, -r, CNI_ERR_INVALID_CONFIG, "invalid container address",
				  NULL);
		goto fail;
	}

	/* The record first, pending: no element exists without it. */
	if (record_build(req, a, id, &rec) < 0 || berth_undo_record(undo, a->owner, id) < 0) {
		r = oom(reterr);
		goto fail;
	}
	r = berth_record_write(rec);
	if (r < 0) {
		r = cni_error_set(reterr, -r, CNI_ERR_BERTH_STATE,
				  "failed to write berth's state record", "%s", strerror(-r));
		goto fail;
	}
	int failed_tag = -1, failed_errno = 0;
	r = berth_fw_commit_tagged(b, &msg, &failed_tag, &failed_errno);
	if (r < 0) {
		if (abs(failed_errno) == EEXIST && failed_tag >= 0)
			r = conflict_error(a, id, failed_tag, reterr);
		else
			r = fw_error(reterr, r, "failed to configure berth's firewall", msg);
		goto fail;
	}
	/* Committed: what a rollback takes back out (shared elements others name stay). */
	size_t n_undo = 0;
	for (size_t i = 0; i < a->n_el; i++)
		if (!elem_shared(&a->el[i]) || !shared_in_use(a->owner, id, &a->el[i]))
			undo_el[n_undo++] = a->el[i];
	if (!table_existed)
		r = berth_undo_fw_table(undo, BERTH_FW_TABLE_DEFAULT);
	else if ((r = berth_undo_fw_portmaps(undo, BERTH_FW_TABLE_DEFAULT, a->pm, a->n_pm)) >= 0)
		r = berth_undo_fw_elems(undo, BERTH_FW_TABLE_DEFAULT, undo_el, n_undo);
	if (r < 0) {
		r = oom(reterr);
		goto fail;
	}
	if (getenv("BERTH_TEST_FAIL_AFTER_COMMIT")) {
		r = cni_error_set(reterr, EIO, CNI_ERR_BERTH_STATE,
				  "failing after the commit (BERTH_TEST_FAIL_AFTER_COMMIT)", NULL);
		goto fail;
	}
	rec->pending = false;
	r = berth_record_write(rec);
	if (r < 0) {
		r = cni_error_set(reterr, -r, CNI_ERR_BERTH_STATE,
				  "failed to write berth's state record", "%s", strerror(-r));
		goto fail;
	}
	berth_undo_free(undo);
	flush_udp(a->pm, a->n_pm);
	return 0;
fail:
	log_debug("ADD failed, rolling back %zu step(s)", berth_undo_count(undo));
	(void)berth_undo_run(undo);
	berth_undo_free(undo);
	return r;
}

/* ---- DEL ---------------------------------------------------------------------------- */

int cni_fw_del(const struct cni_request *req, const char *owner, struct cni_error **reterr)
{
	_cleanup_(berth_record_freep) struct berth_record *rec = NULL;
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *msg = NULL;
	struct berth_fw_elem el[BERTH_RECORD_MAX_ELEMS];
	char id[CNI_MAX_CONTAINER_ID + 32];
	int r;

	if (cni_fw_id(req, id, sizeof(id)) < 0)
		return 0; /* no such record can exist */
	lockfd = lock_host(reterr);
	if (lockfd < 0)
		return lockfd;
	r = berth_record_load(owner, id, &rec);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_warn("state record %s of %s cannot be read (%s), removing it", id, owner,
			 strerror(-r));
		(void)berth_record_remove(owner, id);
		return 0;
	}
	size_t n = removable(rec, el);
	if (berth_fw_batch_new(NULL, &b) < 0 ||
	    (rec->n_forwards &&
	     berth_fw_batch_del_portmaps(b, rec->forwards, rec->n_forwards) < 0) ||
	    berth_fw_batch_del_elems(b, el, n) < 0)
		return oom(reterr);
	r = berth_fw_commit(b, &msg);
	if (r < 0 && r != -ENOENT)
		return fw_error(reterr, r, "failed to remove firewall elements", msg);
	r = berth_record_remove(owner, id);
	if (r < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_STATE,
				     "failed to remove berth's state record", "%s", strerror(-r));
	flush_udp(rec->forwards, rec->n_forwards);
	return 0;
}

/* ---- CHECK --------------------------------------------------------------------------- */

int cni_fw_check(const struct cni_request *req, const struct cni_fw_attach *a,
		 struct cni_error **reterr)
{
	_cleanup_(berth_record_freep) struct berth_record *rec = NULL;
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *msg = NULL;
	char id[CNI_MAX_CONTAINER_ID + 32];
	int r;

	if (a->n_pm == 0 && a->n_el == 0)
		return 0;
	if (cni_fw_id(req, id, sizeof(id)) < 0 || berth_record_load(a->owner, id, &rec) < 0)
		return cni_error_set(reterr, ENOENT, CNI_ERR_BERTH_CHECK,
				     "no state record of this attachment", "%s of %s", id,
				     a->owner);
	if (rec->pending)
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_CHECK,
				     "the ADD of this attachment never completed", NULL);
	if (berth_fw_batch_new(NULL, &b) < 0)
		return oom(reterr);
	if ((a->n_pm && (r = berth_fw_batch_add_portmaps(b, a->pm, a->n_pm)) < 0) ||
	    (r = berth_fw_batch_add_elems(b, a->el, a->n_el)) < 0)
		return cni_error_set(reterr, -r, CNI_ERR_INVALID_CONFIG, "invalid configuration",
				     NULL);
	r = berth_fw_batch_probe(b, &msg);
	if (r < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_CHECK, "firewall element missing",
				     "%s", msg ? msg : strerror(-r));
	return 0;
}

/* ---- GC ------------------------------------------------------------------------------- */

struct gc {
	const struct cni_request *req;
	char **valid;
	size_t n_valid;
	struct berth_fw_batch *b;
	char **stale; /* ids */
	size_t n_stale, cap_stale;
	struct berth_fw_elem *shared; /* stale shared elements, decided at the end */
	size_t n_shared, cap_shared;
	struct berth_fw_elem *kept; /* shared elements of records that stay */
	size_t n_kept, cap_kept;
	/* elements in concatenated-range sets, of stale records and of those that stay */
	struct berth_fw_elem *ranged_stale, *ranged_kept;
	size_t n_ranged_stale, cap_ranged_stale, n_ranged_kept, cap_ranged_kept;
	int err;
};

/*
 * The owner whose records are the only ones holding elements of a ranged kind
 * (portmap.c writes HAIRPIN, nat.c MASQ): its GC sees every element of that
 * kind that must stay, so it may rebuild the kind's sets instead of removing
 * elements one by one (berth_fw_elem_kind_ranged).
 */
static bool sole_writer(const char *owner, enum berth_fw_elem_kind k)
{
	return (k == BERTH_FW_ELEM_HAIRPIN && streq(owner, "cni-portmap")) ||
	       (k == BERTH_FW_ELEM_MASQ && streq(owner, "cni-nat"));
}

/* Fewer stale ranged elements than this are removed one by one, whatever stays. */
#define GC_REBUILD_MIN 16

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	void *p = reallocarray(*v, nc, size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = nc;
	return 0;
}

static int gc_cb(const struct berth_record *rec, void *data)
{
	struct gc *g = data;
	bool valid =
	    g->n_valid && bsearch(&rec->id, g->valid, g->n_valid, sizeof(*g->valid), cmp_str);
	bool ours = rec->network && strcmp(rec->network, g->req->name) == 0;

	if (!ours || valid) {
		for (size_t i = 0; i < rec->n_elems; i++) {
			if (berth_fw_elem_kind_ranged(rec->elems[i].kind)) {
				if (grow((void **)&g->ranged_kept, &g->cap_ranged_kept,
					 g->n_ranged_kept, sizeof(*g->ranged_kept)) < 0)
					return g->err = -ENOMEM;
				g->ranged_kept[g->n_ranged_kept++] = rec->elems[i];
			}
			if (!elem_shared(&rec->elems[i]))
				continue;
			if (grow((void **)&g->kept, &g->cap_kept, g->n_kept, sizeof(*g->kept)) < 0)
				return g->err = -ENOMEM;
			g->kept[g->n_kept++] = rec->elems[i];
		}
		return 0;
	}
	if (grow((void **)&g->stale, &g->cap_stale, g->n_stale, sizeof(*g->stale)) < 0)
		return g->err = -ENOMEM;
	g->stale[g->n_stale] = strdup(rec->id);
	if (!g->stale[g->n_stale])
		return g->err = -ENOMEM;
	g->n_stale++;
	int r =
	    rec->n_forwards ? berth_fw_batch_del_portmaps(g->b, rec->forwards, rec->n_forwards) : 0;
	for (size_t i = 0; r >= 0 && i < rec->n_elems; i++) {
		if (elem_shared(&rec->elems[i])) {
			if (grow((void **)&g->shared, &g->cap_shared, g->n_shared,
				 sizeof(*g->shared)) < 0)
				return g->err = -ENOMEM;
			g->shared[g->n_shared++] = rec->elems[i];
		} else if (berth_fw_elem_kind_ranged(rec->elems[i].kind)) {
			/* removed below, one by one or by a rebuild of their sets */
			if (grow((void **)&g->ranged_stale, &g->cap_ranged_stale,
				 g->n_ranged_stale, sizeof(*g->ranged_stale)) < 0)
				return g->err = -ENOMEM;
			g->ranged_stale[g->n_ranged_stale++] = rec->elems[i];
		} else {
			r = berth_fw_batch_del_elems(g->b, &rec->elems[i], 1);
		}
	}
	if (r < 0)
		return g->err = r;
	return 0;
}

/*
 * Queue the removal of the stale ranged elements: per kind, a rebuild of its
 * sets from the elements that stay when that is cheaper (more go than stay;
 * this owner writes every element of the kind), else one DELSETELEM each.
 */
static int gc_ranged(struct gc *g, const char *owner)
{
	static const enum berth_fw_elem_kind kinds[] = { BERTH_FW_ELEM_HAIRPIN,
							 BERTH_FW_ELEM_MASQ };
	int r;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t n_stale = 0, n_kept = 0;
		for (size_t i = 0; i < g->n_ranged_stale; i++)
			n_stale += g->ranged_stale[i].kind == kinds[k];
		if (n_stale == 0)
			continue;
		for (size_t i = 0; i < g->n_ranged_kept; i++)
			n_kept += g->ranged_kept[i].kind == kinds[k];
		if (n_stale >= GC_REBUILD_MIN && n_stale > n_kept && sole_writer(owner, kinds[k])) {
			_cleanup_free_ struct berth_fw_elem *keep =
			    calloc(n_kept ? n_kept : 1, sizeof(*keep));
			size_t n = 0;
			if (!keep)
				return -ENOMEM;
			for (size_t i = 0; i < g->n_ranged_kept; i++)
				if (g->ranged_kept[i].kind == kinds[k])
					keep[n++] = g->ranged_kept[i];
			log_debug("GC: rebuilding the sets of %s elements (%zu stale, %zu stay)",
				  berth_fw_elem_kind_to_string(kinds[k]), n_stale, n_kept);
			if ((r = berth_fw_batch_rebuild_elems(g->b, kinds[k], keep, n)) < 0)
				return r;
			continue;
		}
		for (size_t i = 0; i < g->n_ranged_stale; i++)
			if (g->ranged_stale[i].kind == kinds[k] &&
			    (r = berth_fw_batch_del_elems(g->b, &g->ranged_stale[i], 1)) < 0)
				return r;
	}
	return 0;
}

int cni_fw_gc(const struct cni_request *req, const char *owner, struct cni_error **reterr)
{
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *msg = NULL;
	struct gc g = {.req = req};
	int64_t t0 = berth_now_ms();
	int r, first = 0;

	lockfd = lock_host(reterr);
	if (lockfd < 0)
		return lockfd;
	g.valid = calloc(req->n_valid_attachments ? req->n_valid_attachments : 1, sizeof(*g.valid));
	if (!g.valid)
		return oom(reterr);
	for (size_t i = 0; i < req->n_valid_attachments; i++) {
		if (asprintf(&g.valid[i], "%s-%s", req->valid_attachments[i].container_id,
			     req->valid_attachments[i].ifname) < 0) {
			/* An incomplete valid set would remove valid state: remove nothing. */
			first = oom(reterr);
			goto out;
		}
		g.n_valid++;
	}
	if (g.n_valid)
		qsort(g.valid, g.n_valid, sizeof(*g.valid), cmp_str);
	if (berth_fw_batch_new(NULL, &g.b) < 0) {
		first = oom(reterr);
		goto out;
	}
	size_t bad = 0;
	r = berth_record_foreach(owner, gc_cb, &g, &bad);
	if (g.err < 0 || r < 0) {
		first = cni_error_set(reterr, -(g.err < 0 ? g.err : r), CNI_ERR_BERTH_STATE,
				      "failed to read berth's state records", "%s",
				      strerror(-(g.err < 0 ? g.err : r)));
		goto out;
	}
	if (bad)
		log_warn("%zu state record(s) of %s do not parse, ignoring them", bad, owner);
	for (size_t i = 0; i < g.n_shared; i++) {
		bool used = false;
		for (size_t j = 0; j < g.n_kept && !used; j++)
			used = berth_fw_elem_equal(&g.shared[i], &g.kept[j]);
		for (size_t j = 0; j < i && !used; j++)
			used = berth_fw_elem_equal(&g.shared[i], &g.shared[j]); /* queued already */
		if (!used && (r = berth_fw_batch_del_elems(g.b, &g.shared[i], 1)) < 0) {
			first = oom(reterr);
			goto out;
		}
	}
	if (g.n_stale == 0)
		goto out;
	if ((r = gc_ranged(&g, owner)) < 0) {
		first = oom(reterr);
		goto out;
	}
	r = berth_fw_commit(g.b, &msg);
	if (r < 0 && r != -ENOENT) {
		first = fw_error(reterr, r, "failed to remove stale firewall elements", msg);
		goto out;
	}
	for (size_t i = 0; i < g.n_stale; i++) {
		r = berth_record_remove(owner, g.stale[i]);
		if (r < 0 && first == 0)
			first = cni_error_set(reterr, -r, CNI_ERR_BERTH_STATE,
					      "failed to remove a stale state record", "%s: %s",
					      g.stale[i], strerror(-r));
	}
	log_debug("GC: removed %zu stale attachment(s) of %s in %llu ms", g.n_stale, owner,
		  (unsigned long long)(berth_now_ms() - t0));
out:
	for (size_t i = 0; i < g.n_valid; i++)
		free(g.valid[i]);
	free(g.valid);
	for (size_t i = 0; i < g.n_stale; i++)
		free(g.stale[i]);
	free(g.stale);
	free(g.shared);
	free(g.kept);
	free(g.ranged_stale);
	free(g.ranged_kept);
	berth_fw_batch_free(g.b);
	return first;
}

int cni_fw_status(struct cni_request *req, struct cni_error **reterr)
{
	int r = berth_fw_table_exists(NULL);
	if (r < 0)
		return cni_error_set(reterr, -r, CNI_ERR_NOT_AVAILABLE,
				     "berth's nftables table cannot be reached", "%s",
				     strerror(-r));
	return 0;
}
