// SPDX-License-Identifier: Apache-2.0
/* The undo log (undo.h). */
#include "undo/undo.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "dnsconf/aardvark.h"
#include "dnsconf/server.h"
#include "state/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum undo_kind {
	UNDO_LINK,
	UNDO_LINK_NAME,
	UNDO_ADDR,
	UNDO_ROUTE,
	UNDO_SYSCTL,
	UNDO_LINK_UP,
	UNDO_VLAN_FILTERING,
	UNDO_FW_TABLE,
	UNDO_FW_NETWORK,
	UNDO_FW_PORTMAPS,
	UNDO_FW_DNS_REDIRECT,
	UNDO_FW_ELEMS,
	UNDO_RECORD,
	UNDO_DNS_ENTRY,
};

struct undo_entry {
	enum undo_kind kind;
	struct berth_netns *ns; /* borrowed */
	int ifindex;
	struct berth_ipnet addr;
	struct berth_route_spec route;
	struct berth_ip ip;
	uint16_t port;
	char *s1, *s2, *s3;     /* key/old, table, owner/id, dir/file/id */
	struct berth_ipnet *subnets;
	struct berth_fw_network net;
	struct berth_fw_portmap *pm;
	struct berth_fw_elem *el;
	size_t n;
};

struct berth_undo {
	struct undo_entry *v;
	size_t n, cap;
};

int berth_undo_new(struct berth_undo **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

static void entry_done(struct undo_entry *e)
{
	free(e->s1);
	free(e->s2);
	free(e->s3);
	free(e->subnets);
	free(e->pm);
	free(e->el);
}

void berth_undo_free(struct berth_undo *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		entry_done(&u->v[i]);
	free(u->v);
	free(u);
}

size_t berth_undo_count(const struct berth_undo *u)
{
	return u ? u->n : 0;
}

static struct undo_entry *push(struct berth_undo *u, enum undo_kind kind, struct berth_netns *ns)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 16;
		struct undo_entry *v = realloc(u->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		u->v = v;
		u->cap = cap;
	}
	struct undo_entry *e = &u->v[u->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ns = ns;
	return e;
}

/* Drop the entry push() just made (its copies failed). */
static int pop_oom(struct berth_undo *u)
{
	entry_done(&u->v[--u->n]);
	return -ENOMEM;
}

static int copy_strings(struct berth_undo *u, struct undo_entry *e, const char *a, const char *b,
		const char *c)
{
	if ((a && !(e->s1 = strdup(a))) || (b && !(e->s2 = strdup(b))) ||
	    (c && !(e->s3 = strdup(c))))
		return pop_oom(u);
	return 0;
}

int berth_undo_link(struct berth_undo *u, struct berth_netns *ns, int ifindex)
{
	struct undo_entry *e = push(u, UNDO_LINK, ns);
	if (!e)
		return -ENOMEM;
	e->ifindex = ifindex;
	return 0;
}

int berth_undo_link_name(struct berth_undo *u, struct berth_netns *ns, const char *name)
{
	struct undo_entry *e = push(u, UNDO_LINK_NAME, ns);
	if (!e)
		return -ENOMEM;
	return copy_strings(u, e, name, NULL, NULL);
}

int berth_undo_addr(struct berth_undo *u, struct berth_netns *ns, int ifindex,
		    const struct berth_ipnet *addr)
{
	struct undo_entry *e = push(u, UNDO_ADDR, ns);
	if (!e)
		return -ENOMEM;
	e->ifindex = ifindex;
	e->addr = *addr;
	return 0;
}

int berth_undo_route(struct berth_undo *u, struct berth_netns *ns,
		     const struct berth_route_spec *route)
{
	struct undo_entry *e = push(u, UNDO_ROUTE, ns);
	if (!e)
		return -ENOMEM;
	e->route = *route;
	return 0;
}

int berth_undo_sysctl(struct berth_undo *u, struct berth_netns *ns, const char *key,
		      const char *old)
{
	struct undo_entry *e = push(u, UNDO_SYSCTL, ns);
	if (!e)
		return -ENOMEM;
	return copy_strings(u, e, key, old, NULL);
}

int berth_undo_link_up(struct berth_undo *u, struct berth_netns *ns, int ifindex)
{
	struct undo_entry *e = push(u, UNDO_LINK_UP, ns);
	if (!e)
		return -ENOMEM;
	e->ifindex = ifindex;
	return 0;
}

int berth_undo_vlan_filtering(struct berth_undo *u, struct berth_netns *ns, int ifindex)
{
	struct undo_entry *e = push(u, UNDO_VLAN_FILTERING, ns);
	if (!e)
		return -ENOMEM;
	e->ifindex = ifindex;
	return 0;
}

int berth_undo_fw_table(struct berth_undo *u, const char *table)
{
	struct undo_entry *e = push(u, UNDO_FW_TABLE, NULL);
	if (!e)
		return -ENOMEM;
	return copy_strings(u, e, NULL, table, NULL);
}

int berth_undo_fw_network(struct berth_undo *u, const char *table,
			  const struct berth_fw_network *n)
{
	struct undo_entry *e = push(u, UNDO_FW_NETWORK, NULL);
	if (!e)
		return -ENOMEM;
	e->net = *n;
	e->subnets = calloc(n->n_subnets ? n->n_subnets : 1, sizeof(*e->subnets));
	if (!e->subnets)
		return pop_oom(u);
	if (copy_strings(u, e, n->bridge, table, NULL) < 0)
		return -ENOMEM; /* copy_strings() dropped the entry */
	memcpy(e->subnets, n->subnets, n->n_subnets * sizeof(*e->subnets));
	e->net.bridge = e->s1;
	e->net.subnets = e->subnets;
	return 0;
}

int berth_undo_fw_portmaps(struct berth_undo *u, const char *table,
			   const struct berth_fw_portmap *pm, size_t n)
{
	if (n == 0)
		return 0;
	struct undo_entry *e = push(u, UNDO_FW_PORTMAPS, NULL);
	if (!e)
		return -ENOMEM;
	e->pm = malloc(n * sizeof(*pm));
	if (!e->pm)
		return pop_oom(u);
	memcpy(e->pm, pm, n * sizeof(*pm));
	e->n = n;
	return copy_strings(u, e, NULL, table, NULL);
}

int berth_undo_fw_elems(struct berth_undo *u, const char *table, const struct berth_fw_elem *el,
			size_t n)
{
	if (n == 0)
		return 0;
	struct undo_entry *e = push(u, UNDO_FW_ELEMS, NULL);
	if (!e)
		return -ENOMEM;
	e->el = malloc(n * sizeof(*el));
	if (!e->el)
		return pop_oom(u);
	memcpy(e->el, el, n * sizeof(*el));
	e->n = n;
	return copy_strings(u, e, NULL, table, NULL);
}

int berth_undo_fw_dns_redirect(struct berth_undo *u, const char *table,
			       const struct berth_ip *gateway, uint16_t port)
{
	struct undo_entry *e = push(u, UNDO_FW_DNS_REDIRECT, NULL);
	if (!e)
		return -ENOMEM;
	e->ip = *gateway;
	e->port = port;
	return copy_strings(u, e, NULL, table, NULL);
}

int berth_undo_record(struct berth_undo *u, const char *owner, const char *id)
{
	struct undo_entry *e = push(u, UNDO_RECORD, NULL);
	if (!e)
		return -ENOMEM;
	return copy_strings(u, e, owner, id, NULL);
}

int berth_undo_dns_entry(struct berth_undo *u, const char *dir, const char *filename,
			 const char *container_id)
{
	struct undo_entry *e = push(u, UNDO_DNS_ENTRY, NULL);
	if (!e)
		return -ENOMEM;
	return copy_strings(u, e, dir, filename, container_id);
}

static bool is_fw(const struct undo_entry *e)
{
	return e->kind == UNDO_FW_TABLE || e->kind == UNDO_FW_NETWORK ||
	       e->kind == UNDO_FW_PORTMAPS || e->kind == UNDO_FW_DNS_REDIRECT ||
	       e->kind == UNDO_FW_ELEMS;
}

static int queue_fw(struct berth_fw_batch *b, const struct undo_entry *e)
{
	switch (e->kind) {
	case UNDO_FW_NETWORK:
		return berth_fw_batch_del_network(b, &e->net);
	case UNDO_FW_PORTMAPS:
		return berth_fw_batch_del_portmaps(b, e->pm, e->n);
	case UNDO_FW_DNS_REDIRECT:
		return berth_fw_batch_del_dns_redirect(b, &e->ip, e->port);
	case UNDO_FW_ELEMS:
		return berth_fw_batch_del_elems(b, e->el, e->n);
	default:
		return 0;
	}
}

/*
 * Every firewall entry of one table in one transaction: when the operation
 * created the table, deleting it removes the rest with it.
 */
static int run_fw(struct berth_undo *u, const char *table)
{
	_cleanup_free_ char *msg = NULL;
	struct berth_fw_batch *b = NULL;
	bool del_table = false;
	int r;

	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].kind == UNDO_FW_TABLE && strcmp(u->v[i].s2, table) == 0)
			del_table = true;
	r = berth_fw_batch_new(table, &b);
	if (r < 0)
		return r;
	if (del_table)
		r = berth_fw_batch_del_table(b);
	for (size_t i = u->n; !del_table && r >= 0 && i-- > 0;)
		if (is_fw(&u->v[i]) && strcmp(u->v[i].s2, table) == 0)
			r = queue_fw(b, &u->v[i]);
	if (r >= 0)
		r = berth_fw_commit(b, &msg);
	berth_fw_batch_free(b);
	if (r < 0)
		log_warn("rollback: firewall of table %s: %s", table, msg ? msg : strerror(-r));
	else
		log_debug("rollback: firewall of table %s undone%s", table,
			  del_table ? " (table deleted)" : "");
	return r;
}

static int run_dns(const struct undo_entry *e, bool reload)
{
	_cleanup_close_ int dirfd = open(e->s1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = adv_file_remove(dirfd, e->s2, e->s3);
	if (r < 0)
		return r;
	if (reload)
		(void)adv_server_reload(dirfd);
	return 0;
}

static int run_one(struct berth_undo *u, size_t i)
{
	struct undo_entry *e = &u->v[i];
	int r = 0;

	switch (e->kind) {
	case UNDO_LINK:
		r = berth_link_delete(e->ns, e->ifindex);
		return r == -ENODEV ? 0 : r;
	case UNDO_LINK_NAME:
		r = berth_link_delete_by_name(e->ns, e->s1);
		return r == -ENODEV ? 0 : r;
	case UNDO_ADDR:
		r = berth_addr_del(e->ns, e->ifindex, &e->addr);
		return r == -EADDRNOTAVAIL || r == -ENODEV ? 0 : r;
	case UNDO_ROUTE:
		r = berth_route_del(e->ns, &e->route);
		return r == -ESRCH || r == -ENOENT || r == -ENODEV ? 0 : r;
	case UNDO_SYSCTL:
		r = berth_sysctl_set(e->ns, e->s1, e->s2, NULL, 0, NULL);
		return r == -ENOENT ? 0 : r; /* the key of a link deleted before is gone with it */
	case UNDO_LINK_UP:
		r = berth_link_set_down(e->ns, e->ifindex);
		return r == -ENODEV ? 0 : r;
	case UNDO_VLAN_FILTERING:
		r = berth_bridge_disable_vlan_filtering(e->ns, e->ifindex);
		return r == -ENODEV ? 0 : r;
	case UNDO_RECORD:
		return berth_record_remove(e->s1, e->s2);
	case UNDO_DNS_ENTRY: {
		/* tell the server once, after the last entry of that directory */
		bool last = true;
		for (size_t j = 0; j < i && last; j++)
			last = !(u->v[j].kind == UNDO_DNS_ENTRY && strcmp(u->v[j].s1, e->s1) == 0);
		return run_dns(e, last);
	}
	default:
		return 0; /* firewall entries: run_fw() */
	}
}

static const char *kind_name(enum undo_kind k)
{
	static const char *const names[] = {
		[UNDO_LINK] = "delete link",        [UNDO_LINK_NAME] = "delete link",
		[UNDO_ADDR] = "delete address",
		[UNDO_ROUTE] = "delete route",      [UNDO_SYSCTL] = "restore sysctl",
		[UNDO_LINK_UP] = "set link down",   [UNDO_VLAN_FILTERING] = "disable vlan filtering",
		[UNDO_FW_TABLE] = "firewall",       [UNDO_FW_NETWORK] = "firewall",
		[UNDO_FW_PORTMAPS] = "firewall",    [UNDO_FW_DNS_REDIRECT] = "firewall",
		[UNDO_RECORD] = "remove state record", [UNDO_DNS_ENTRY] = "remove DNS entry",
	};
	return names[k];
}

int berth_undo_run(struct berth_undo *u)
{
	int failed = 0;

	if (!u)
		return 0;
	/* The firewall first: nothing is forwarded to what is about to go. */
	for (size_t i = u->n; i-- > 0;) {
		if (!is_fw(&u->v[i]))
			continue;
		bool seen = false;
		for (size_t j = i + 1; j < u->n && !seen; j++)
			seen = is_fw(&u->v[j]) && strcmp(u->v[j].s2, u->v[i].s2) == 0;
		if (!seen && run_fw(u, u->v[i].s2) < 0)
			failed++;
	}
	for (size_t i = u->n; i-- > 0;) {
		if (is_fw(&u->v[i]))
			continue;
		int r = run_one(u, i);
		if (r < 0) {
			failed++;
			log_warn("rollback: %s failed: %s", kind_name(u->v[i].kind), strerror(-r));
		}
	}
	log_debug("rollback: %zu step(s) undone, %d failed", u->n, failed);
	for (size_t i = 0; i < u->n; i++)
		entry_done(&u->v[i]);
	u->n = 0;
	return failed;
}
