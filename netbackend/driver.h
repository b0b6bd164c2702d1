/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interface between the setup/teardown commands and the drivers.
 *
 * A setup is a sequence of steps, each of which, when it changes something,
 * pushes the inverse operation on an undo log. If any later step fails, the
 * log is replayed in reverse: links we created are deleted (which removes their
 * addresses and routes), sysctls we changed get their old value back. The
 * firewall is one nftables transaction committed last, so it needs no undo.
 */
#pragma once

#include "basic/error.h"
#include "commands.h"
#include "netlink/netlink.h"
#include "nft/firewall.h"
#include "options.h"
#include "status.h"

static inline void nv_fw_batch_freep(struct berth_fw_batch **b)
{
	berth_fw_batch_free(*b);
}

enum nv_undo_kind {
	NV_UNDO_LINK_DELETE,
	NV_UNDO_SYSCTL_RESTORE,
};

struct nv_undo {
	enum nv_undo_kind kind;
	struct berth_netns *ns; /* borrowed: s->host or s->ctr */
	int ifindex;
	char *key;              /* sysctl key */
	char old[32];           /* sysctl old value */
};

struct nv_setup {
	const struct nv_ctx *ctx;
	const struct nv_options *opts;
	struct berth_netns *host;
	struct berth_netns *ctr;
	struct nv_undo *undo;
	size_t n_undo, cap_undo;
	struct berth_fw_batch *fw; /* NULL when the firewall driver is "none" */
	size_t n_fw_networks;
};

int nv_undo_push_link(struct nv_setup *s, struct berth_netns *ns, int ifindex);
/* Set a sysctl in ns, remembering the old value for rollback when it changed. */
int nv_sysctl(struct nv_setup *s, struct berth_netns *ns, const char *value, struct berth_error **reterr,
	      const char *keyfmt, ...) __attribute__((format(printf, 5, 6)));

/* Per-network setup of one driver; fills the status entry. */
int nv_bridge_setup(struct nv_setup *s, const struct nv_per_network *pn, struct nv_status_net *st,
		    struct berth_error **reterr);
int nv_vlan_setup(struct nv_setup *s, const struct nv_per_network *pn, struct nv_status_net *st,
		  struct berth_error **reterr);

/* A table of sysctls: "<pre><ifname><post>" (ifname only when `per_if`). */
enum nv_sysctl_when {
	NV_SC_ALWAYS = 0,
	NV_SC_V6 = 1 << 0,        /* the network has an IPv6 subnet */
	NV_SC_INTERNAL = 1 << 1,  /* internal network only */
	NV_SC_EXTERNAL = 1 << 2,  /* non-internal network only */
	NV_SC_TOLERANT = 1 << 3,  /* a missing key (no IPv6) or read-only /proc is fine */
};
struct nv_sysctl_rule {
	const char *pre;
	bool per_if;
	const char *post;
	const char *value;
	unsigned when; /* enum nv_sysctl_when */
};
/* Write the rules whose conditions `have` (NV_SC_V6 | NV_SC_INTERNAL or _EXTERNAL) meets. */
int nv_sysctl_apply(struct nv_setup *s, struct berth_netns *ns, const char *ifname,
		    const struct nv_sysctl_rule *rules, size_t n, unsigned have,
		    struct berth_error **reterr);

/*
 * Container-side sysctls as netavark sets them: IPv6 autoconf off always;
 * with `full` (managed bridges) also accept_dad=0 (IPv6), arp_notify=1 and
 * rp_filter=2 (loose).
 */
int nv_container_sysctls(struct nv_setup *s, const struct nv_per_network *pn, bool full,
			 struct berth_error **reterr);

/*
 * Container-side configuration shared by all drivers: addresses,
 * link up, default and static routes, and the status entry's subnets/MAC.
 */
int nv_container_configure(struct nv_setup *s, const struct nv_per_network *pn, int ifindex,
			   struct nv_status_net *st, struct berth_error **reterr);

/*
 * The kernel route for one of the network's static routes: unicast routes go
 * through the container's interface `ifindex` (and vanish with it); typed
 * routes (blackhole, unreachable, prohibit) have no interface, so teardown
 * deletes them with nv_container_routes_teardown().
 */
void nv_route_spec(const struct nv_network *n, const struct nv_route *nr, int ifindex,
		   struct berth_route_spec *ret);

/* The firewall's view of a bridge network; subnets copied into storage (NV_MAX_SUBNETS). */
void nv_fw_network(const struct nv_network *n, struct berth_ipnet *storage,
		   struct berth_fw_network *ret);

/*
 * The host-side veth name berth uses when the input names none: derived from
 * the container id and the network name, so that teardown finds it even when
 * the container's namespace is gone. buf >= 16 bytes.
 */
const char *nv_host_veth_name(const char *container_id, const char *network, char *buf);

/* Teardown state: collected errors; bridges that become empty. */
struct nv_teardown {
	const struct nv_ctx *ctx;
	const struct nv_options *opts;
	struct berth_netns *host;
	struct berth_netns *ctr; /* NULL when the namespace is gone */
	char *errors;            /* "\n\t- e1\n\t- e2" */
	size_t n_errors;
	char *first_error;
};

void nv_teardown_error(struct nv_teardown *t, struct berth_error *e);
/*
 * Find the container's veth on this network. Its host end is not deleted
 * here but returned in *ret_veth_ifindex: the caller deletes it after the
 * firewall changes, with every other link of the teardown, in one kernel
 * batch. (Only when berth cannot find its host end is the interface deleted
 * here, from the container side.) For a managed bridge, *ret_bridge_empty
 * tells whether no other port is left (complete teardown: the caller removes
 * the network's firewall state, then the bridge, in the same link batch).
 */
int nv_bridge_teardown(struct nv_teardown *t, const struct nv_per_network *pn, bool *ret_bridge_empty,
		       int *ret_bridge_ifindex, int *ret_veth_ifindex, struct berth_error **reterr);
int nv_vlan_teardown(struct nv_teardown *t, const struct nv_per_network *pn,
		     struct berth_error **reterr);
/*
 * Delete the routes setup added that are bound to no interface (typed
 * routes) from the container's namespace; already gone is fine.
 */
int nv_container_routes_teardown(struct nv_teardown *t, const struct nv_per_network *pn,
				 struct berth_error **reterr);

/* Take berth-net's lock in the config directory (created if missing). Returns the fd. */
int nv_lock(const struct nv_ctx *ctx, struct berth_error **reterr);

/* Open the host namespace and the container namespace given by path. */
int nv_open_netns(const char *path, struct berth_netns **ret, struct berth_error **reterr);

/*
 * The firewall side of a teardown, in one transaction: the container's port
 * forwards (from `state`, its record; NULL = none known) and the elements of
 * networks whose bridge became empty; the whole table when no other network
 * is left in it. The committed batch is handed back in *ret_batch (NULL when
 * nothing was committed) for the caller to free once its links are deleted:
 * freeing it closes the nftables socket, which waits for the kernel to free
 * the deleted elements (an RCU grace period) — a wait that then overlaps
 * with the link deletion's own instead of adding to it.
 */
int nv_fw_teardown(const struct nv_ctx *ctx, const struct nv_options *state,
		   const struct nv_network *const *nets, size_t n, struct berth_fw_batch **ret_batch,
		   struct berth_error **reterr);

/*
 * The port forwards of a container: every mapping, for each family, to the
 * container's first address of that family on the first managed, non-internal
 * bridge network (input order) that has one. Returns the count (<= max) and,
 * in ret_tags[i], the index of the port mapping each entry comes from.
 */
int nv_fw_portmaps(const struct nv_options *o, struct berth_fw_portmap *ret, int *ret_tags,
		   size_t max);
#define NV_FW_MAX_PORTMAPS (2 * NV_MAX_PORT_MAPPINGS)

/*
 * Queue the creation of berth's table with its fixed rules when it does not
 * exist yet. An existing table is left alone (see berth_fw_table_exists()).
 */
int nv_fw_ensure_table(const struct nv_ctx *ctx, struct berth_fw_batch *b);

/* Queue a network's elements (and DNS redirects when dns_port != 53). */
int nv_fw_add_network(const struct nv_ctx *ctx, struct berth_fw_batch *b, const struct nv_network *n);
int nv_fw_del_network(const struct nv_ctx *ctx, struct berth_fw_batch *b, const struct nv_network *n);

/* Forget UDP conntrack entries of the forwarded host ports (errors are logged). */
void nv_fw_flush_udp(const struct berth_fw_portmap *pm, size_t n);

/* "port 8080/tcp is already forwarded to container web (0123456789ab)", from the state records. */
int nv_fw_conflict_error(const struct nv_ctx *ctx, const struct nv_options *o, size_t mapping,
			 struct berth_error **reterr);
