/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth's own nftables firewall, front-end neutral (docs/firewall.md).
 *
 * Everything lives in one table (`inet berth` by default; the CNI plugins will
 * use another name). Its rules are fixed: written the same way whatever the
 * number of networks, containers or ports. Everything variable lives in sets
 * and maps, so per-packet cost is a fixed number of lookups and per-change
 * cost is the number of elements that change.
 *
 * A change is built into one batch (struct berth_fw_batch) and committed as
 * one nftables transaction: all of it applies, or none of it.
 *
 * All functions return >= 0 or -errno; nothing here logs above debug.
 */
#pragma once

#include "net/ipaddr.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BERTH_FW_TABLE_DEFAULT "berth"
#define BERTH_FW_MAX_SUBNETS 32

enum berth_fw_isolate {
	BERTH_FW_ISOLATE_NONE,
	BERTH_FW_ISOLATE_TRUE,   /* no traffic to other isolated networks */
	BERTH_FW_ISOLATE_STRICT, /* no traffic to any other berth network */
};

/* One network as the firewall sees it: a bridge and its subnets. */
struct berth_fw_network {
	const char *bridge; /* interface name, <= 15 bytes */
	const struct berth_ipnet *subnets;
	size_t n_subnets;   /* <= BERTH_FW_MAX_SUBNETS */
	bool internal;      /* no NAT, no forwarding in or out */
	enum berth_fw_isolate isolate;
};

/*
 * One port forward: host_port + i -> container_ip:container_port + i for
 * i < range, for one L4 protocol.
 */
struct berth_fw_portmap {
	struct berth_ip host_ip;      /* family AF_INET/AF_INET6; the unspecified address
				       * (0.0.0.0 / ::) = any local address of that family */
	uint8_t protocol;             /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t host_port;           /* >= 1 */
	uint16_t container_port;      /* >= 1 */
	uint16_t range;               /* >= 1; both port ranges must end <= 65535 */
	struct berth_ip container_ip; /* same family as host_ip, a unicast address */
};

/*
 * Per-attachment elements of the CNI plugins (docs/firewall.md, "CNI
 * elements"), each a fact about one container address or one bridge:
 *
 *   HAIRPIN      cni_hp4/6 "net . addr": port-forwarded (DNATed) traffic from
 *                net to addr is masqueraded (portmap snat: net = the
 *                container's subnet; masqAll: net = 0.0.0.0/0 or ::/0)
 *   MASQ         cni_masq4/6 "addr" and cni_local4/6 "addr . net": traffic
 *                from addr to anything outside net (its subnet) and not
 *                multicast is masqueraded (nat plugin)
 *   ALLOW        cni_allow4/6 "addr": forwarded traffic from addr is
 *                accepted, to addr when established/related (firewall)
 *   SAME_BRIDGE  cni_iso_br "ifname" + cni_own_br "ifname . ifname": traffic
 *                between this bridge and another bridge with a policy is
 *                dropped (ingressPolicy same-bridge)
 *   ISOLATED     cni_iso_br "ifname": also traffic within the bridge is
 *                dropped (ingressPolicy isolated; needs br_netfilter)
 *   MACSPOOF     in table bridge <table>: spoof_ports "port" + spoof_ok
 *                "port . mac": frames from the bridge port `ifname` (a
 *                container's host veth) with another source MAC than `mac`
 *                are dropped (the bridge plugin's macspoofchk); adding one
 *                queues that table's creation too (once per batch)
 *
 * Added with NLM_F_CREATE only: adding what is there is a no-op (bridge
 * elements are shared by the containers of a bridge).
 */
struct berth_fw_batch;

enum berth_fw_elem_kind {
	BERTH_FW_ELEM_HAIRPIN,
	BERTH_FW_ELEM_MASQ,
	BERTH_FW_ELEM_ALLOW,
	BERTH_FW_ELEM_SAME_BRIDGE,
	BERTH_FW_ELEM_ISOLATED,
	BERTH_FW_ELEM_MACSPOOF,
	_BERTH_FW_ELEM_MAX,
	_BERTH_FW_ELEM_INVALID = -EINVAL,
};

struct berth_fw_elem {
	enum berth_fw_elem_kind kind;
	struct berth_ipnet net;      /* HAIRPIN, MASQ (host bits are ignored) */
	struct berth_ip addr;        /* HAIRPIN, MASQ, ALLOW; same family as net */
	char ifname[BERTH_IFNAMSIZ]; /* SAME_BRIDGE, ISOLATED: the bridge; MACSPOOF: the port */
	uint8_t mac[6];              /* MACSPOOF: the one source MAC allowed */
};

#define BERTH_FW_MAX_ELEMS 4096 /* per batch (adds + deletes) */

const char *berth_fw_elem_kind_to_string(enum berth_fw_elem_kind k);
int berth_fw_elem_kind_from_string(const char *s);
/* Do the two describe the same set elements? */
bool berth_fw_elem_equal(const struct berth_fw_elem *a, const struct berth_fw_elem *b);
/*
 * Queue the elements (add) or their removal (del, one DELSETELEM per element,
 * missing is fine). Everything is validated first: -EINVAL for an unknown
 * kind, a bad family or family mismatch, a multicast/unspecified addr, a bad
 * interface name; -E2BIG past BERTH_FW_MAX_ELEMS in one batch.
 */
int berth_fw_batch_add_elems(struct berth_fw_batch *b, const struct berth_fw_elem *e, size_t n);
int berth_fw_batch_del_elems(struct berth_fw_batch *b, const struct berth_fw_elem *e, size_t n);
/*
 * Is kind k stored in concatenated-range sets (HAIRPIN: cni_hp4/6, MASQ:
 * cni_local4/6)? nf_tables keeps those in pipapo sets, where removing one
 * element costs time linear in the set's size: a GC removing most of N
 * elements one by one spends O(N^2) in the commit (4 s at N = 1000).
 */
bool berth_fw_elem_kind_ranged(enum berth_fw_elem_kind k);
/*
 * Queue a flush of every set that elements of the ranged kind k live in
 * (MASQ: its cni_masq4/6 part too), then the add of keep[] (all of kind k):
 * for a caller that knows every element of kind k that must stay, and
 * removes more than it keeps. -EINVAL for another kind or a bad element.
 */
int berth_fw_batch_rebuild_elems(struct berth_fw_batch *b, enum berth_fw_elem_kind k,
				 const struct berth_fw_elem *keep, size_t n_keep);

/* Port-forward and DNS-redirect elements one batch may carry (adds + deletes). */
#define BERTH_FW_MAX_PORTMAP_ELEMS 65536

struct berth_fw_batch;

/* A new, empty batch for table `table` (NULL = BERTH_FW_TABLE_DEFAULT). */
int berth_fw_batch_new(const char *table, struct berth_fw_batch **ret);
void berth_fw_batch_free(struct berth_fw_batch *b);

/*
 * Create the table, its sets, maps and base chains if missing and (re)write
 * the fixed rules (flush + add of berth's own chains, so repeating it is
 * harmless and restores rules someone removed). Idempotent.
 */
int berth_fw_batch_ensure_table(struct berth_fw_batch *b);
/* Add a network's elements (and its isolation chain). Idempotent. */
int berth_fw_batch_add_network(struct berth_fw_batch *b, const struct berth_fw_network *n);
/* Remove a network's elements and isolation chain; already missing ones are fine. */
int berth_fw_batch_del_network(struct berth_fw_batch *b, const struct berth_fw_network *n);
/*
 * Forward host ports to containers: one map element per port of each range
 * (pf4_any/pf6_any for an unspecified host_ip, pf4_addr/pf6_addr otherwise).
 * The elements of one mapping go into one NEWSETELEM command (split into
 * several only above ~750 ports, to keep each netlink message < 64 KiB).
 * Added with NLM_F_EXCL: a key that is already forwarded (by another
 * container, or by this one) makes the commit fail with -EEXIST, and the
 * failing command carries the tag set with berth_fw_batch_set_tag().
 * Everything is validated before anything is queued: -EINVAL for a bad
 * family, family mismatch, unspecified/multicast container address, protocol
 * other than TCP/UDP/SCTP, port 0, range 0 or a range past port 65535;
 * -E2BIG when the batch would carry more than BERTH_FW_MAX_PORTMAP_ELEMS
 * elements. -ENOMEM while queuing may leave part of the mappings queued:
 * free the batch then.
 */
int berth_fw_batch_add_portmaps(struct berth_fw_batch *b, const struct berth_fw_portmap *pm,
				size_t n);
/*
 * Remove the elements berth_fw_batch_add_portmaps() added for the same input;
 * already missing ones are fine. One DELSETELEM per port (a missing element
 * must not keep its neighbours alive). Same validation as for adding.
 */
int berth_fw_batch_del_portmaps(struct berth_fw_batch *b, const struct berth_fw_portmap *pm,
				size_t n);
/*
 * DNS port redirection for a network with gateway `gateway` whose resolver
 * listens on `port`: gateway . udp . 53 -> gateway . port and the same for
 * tcp, in pf4_addr/pf6_addr (so it is matched before forwards for any
 * address). Added without NLM_F_EXCL: adding it again (every container of the
 * network does) is a no-op; a different port for the same gateway is -EEXIST
 * at commit. port 53 queues nothing. -EINVAL for an unspecified, multicast or
 * non-IP gateway or port 0.
 */
int berth_fw_batch_add_dns_redirect(struct berth_fw_batch *b, const struct berth_ip *gateway,
				    uint16_t port);
/*
 * Remove the redirection (missing is fine). The front end calls it when the
 * last container using that gateway's DNS goes away.
 */
int berth_fw_batch_del_dns_redirect(struct berth_fw_batch *b, const struct berth_ip *gateway,
				    uint16_t port);
/*
 * After adding UDP forwards: delete the conntrack entries whose original
 * tuple goes to their host ports (berth_conntrack_flush_dport, current
 * namespace), so flows set up before the mapping are NATed anew. Every
 * forward is tried; returns the number of entries deleted, or the first
 * -errno with *ret_failed_port (may be NULL) its host port.
 */
int berth_fw_flush_udp(const struct berth_fw_portmap *pm, size_t n, uint16_t *ret_failed_port);

/*
 * Tag for error attribution: every command queued after this call carries
 * `tag` (e.g. the index of the container or network it belongs to) until the
 * next call. The default is -1.
 */
void berth_fw_batch_set_tag(struct berth_fw_batch *b, int tag);

/* Delete the whole table (already missing is fine). */
int berth_fw_batch_del_table(struct berth_fw_batch *b);
/* Number of commands queued so far. */
size_t berth_fw_batch_size(const struct berth_fw_batch *b);

/*
 * Send the batch as one transaction in the current network namespace, read
 * every acknowledgement, and map failures back to the commands by sequence
 * number. Commands marked "missing is fine" that fail with ENOENT are dropped
 * and the batch is resent without them. On failure, *ret_msg (may be NULL)
 * receives a malloc'd text naming the failing command(s), e.g.
 * "add element to set nat4 in table inet berth: File exists".
 * An empty batch is a no-op.
 */
int berth_fw_commit(struct berth_fw_batch *b, char **ret_msg);
/*
 * berth_fw_commit(), and when the kernel refused the batch, the tag and the
 * errno (negative, e.g. -EEXIST) of the first failing command in batch order
 * (the cause; later failures are often consequences of the abort). Both are
 * -1 / 0 on success and when the failure belongs to no command (socket
 * error, permission refused for the whole batch). ret_* may be NULL.
 */
int berth_fw_commit_tagged(struct berth_fw_batch *b, char **ret_msg, int *ret_failed_tag,
			   int *ret_failed_errno);

/*
 * 1 when the table exists, 0 when it does not (one GETTABLE round trip).
 * Rewriting the fixed rules of an existing table makes the kernel wait for
 * an RCU grace period (~10-15 ms), so the front ends only queue
 * berth_fw_batch_ensure_table() for a missing table, and leave repairs of a
 * damaged one to a full rebuild (firewall-reload).
 */
int berth_fw_table_exists(const char *table);

/*
 * Names of the bridges in the table's `bridges` set (berth-managed networks
 * with firewall state). Returns the count (0 when the table does not exist);
 * *ret (may be NULL) is a NULL-terminated malloc'd array to free with
 * berth_strv_free().
 */
int berth_fw_list_bridges(const char *table, char ***ret);
void berth_strv_free(char **v);

/*
 * Look up instead of commit: for a batch holding only element additions
 * (add_portmaps, add_elems, add_dns_redirect),
 * ask the kernel for each element (GETSETELEM with its key, one round trip
 * each) and compare the data of map elements. Nothing is changed. 0 when
 * every element is there; -ENOENT (missing element, set or table) or -EILSEQ
 * (a map element with other data) for the first that is not, with *ret_msg
 * (may be NULL) naming it; -EINVAL when the batch holds other commands.
 */
int berth_fw_batch_probe(struct berth_fw_batch *b, char **ret_msg);

/* Write a text form of every queued command (golden files, debugging). */
int berth_fw_batch_dump(const struct berth_fw_batch *b, FILE *f);
