// SPDX-License-Identifier: Apache-2.0
/*
 * bridge: a veth pair between CNI_NETNS and a host bridge (cni.md §4.1), the
 * addresses from the IPAM plugin (delegated by exec, delegate.h), masquerade
 * through berth's nftables table.
 *
 * Theory of operation: every config field is validated before anything
 * changes. ADD then runs under berth's host-wide lock (berth_lock_host) and
 * records every change in an undo log (lib/undo): the bridge when it created
 * it, the veth pair, sysctls, the gateway address, the state record and the
 * firewall elements. On any failure the log is replayed and, when the IPAM
 * plugin had allocated, its DEL is run: a failed ADD leaves nothing.
 *
 * The host end of the veth pair is named from the attachment:
 * "veth" + 8 hex digits of FNV-1a(containerID, ifname), so DEL and CHECK find
 * it without any state, also after the container's namespace is gone.
 *
 * ipMasq: the network (bridge + the subnets of the container's addresses) is
 * added to berth's table (berth_fw_batch_add_network: masquerade to outside
 * the subnets, forwarding accepted) and described in a state record (owner
 * "cni", id "bridge-<containerID>:<ifname>", name = the network name) so that
 * berth-net's firewall-reload rebuilds it. The elements belong to the
 * bridge: they are removed when the bridge's last port leaves (DEL, GC).
 * The bridge itself is never deleted (as the reference).
 */
#include "cni.h"
#include "delegate.h"

#include "basic/cleanup.h"
#include "basic/hash.h"
#include "basic/log.h"
#include "basic/rundir.h"
#include "netlink/brport.h"
#include "netlink/iface.h"
#include "netlink/netlink.h"
#include "nft/firewall.h"
#include "state/record.h"
#include "undo/undo.h"

#include <linux/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BR_RECORD_OWNER "cni"
#define BR_RECORD_PREFIX "bridge-"
#define BR_DEFAULT "cni0"
#define BR_MAX_ADDRS 64

DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_netns *, berth_netns_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_undo *, berth_undo_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_fw_batch *, berth_fw_batch_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct berth_record *, berth_record_free)
#define _cleanup_netns_ _cleanup_(berth_netns_freep)

struct br_conf {
	const char *bridge;
	bool is_gw, is_default_gw, force_address, ip_masq, hairpin, promisc;
	bool enabledad, disable_ctr_if, port_isolation, macspoofchk, preserve_default_vlan;
	long long mtu, vlan;
	struct berth_vlan_range trunk[BERTH_VLAN_MAX_RANGES]; /* vlanTrunk, merged, sorted */
	size_t n_trunk;
	bool has_mac;
	uint8_t mac[6];
	const char *ipam_type; /* NULL: no IPAM (L2 only) */
	json_t *dns;	       /* replaces the IPAM result's dns */
};

#define invalid(reterr, fmt, ...)                                                                  \
	cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG, "invalid network config", fmt,       \
		      __VA_ARGS__)

static int parse_mac(struct br_conf *c, const char *s, const char *field, struct cni_error **reterr)
{
	if (berth_mac_parse(s, c->mac) < 0)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "%s: not a MAC address '%s'", field,
				     s);
	c->has_mac = true;
	return 0;
}

/*
 * vlanTrunk: entries {"id": N} and/or {"minID": A, "maxID": B} (both or
 * neither), VLANs 1..4094, as upstream; the union, merged into ranges.
 */
static int parse_vlan_trunk(const json_t *arr, struct br_conf *c, struct cni_error **reterr)
{
	uint8_t want[4096] = { 0 };
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		char where[32];
		long long id = 0, min = 0, max = 0;
		int has_min, has_max, has_id;

		snprintf(where, sizeof(where), "vlanTrunk[%zu]", i);
		if (!json_is_object(e))
			return invalid(reterr, "%s: must be an object", where);
		if ((has_min = cni_json_int(e, where, "minID", 1, 4094, &min, reterr)) < 0 ||
		    (has_max = cni_json_int(e, where, "maxID", 1, 4094, &max, reterr)) < 0 ||
		    (has_id = cni_json_int(e, where, "id", 1, 4094, &id, reterr)) < 0)
			return has_min < 0 ? has_min : has_max < 0 ? has_max : has_id;
		if (has_min != has_max)
			return invalid(reterr, "%s: minID and maxID must be given together (%s missing)",
				       where, has_min ? "maxID" : "minID");
		if (has_min && min > max)
			return invalid(reterr, "%s: minID %lld is greater than maxID %lld", where,
				       min, max);
		if (!has_min && !has_id)
			return invalid(reterr, "%s: needs id or minID and maxID", where);
		for (long long v = min; has_min && v <= max; v++)
			want[v] = 1;
		if (has_id)
			want[id] = 1;
	}
	c->n_trunk = 0;
	for (unsigned v = 1; v <= 4094; v++) {
		if (!want[v])
			continue;
		unsigned end = v;
		while (end < 4094 && want[end + 1])
			end++;
		/* at most 2047 ranges fit in 1..4094: the array cannot overflow */
		c->trunk[c->n_trunk++] = (struct berth_vlan_range){ (uint16_t)v, (uint16_t)end };
		v = end;
	}
	return 0;
}

static int conf_parse(const struct cni_request *req, struct br_conf *c, struct cni_error **reterr)
{
	const json_t *o = req->config;
	const char *s;
	json_t *v;
	int r;

	c->bridge = BR_DEFAULT;
	r = cni_json_string(o, "", "bridge", CNI_MAX_STRING, &s, reterr);
	if (r < 0)
		return r;
	if (r > 0 && *s) {
		if (!berth_ifname_valid(s))
			return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
					     "invalid network config",
					     "bridge: not a valid interface name '%s'", s);
		c->bridge = s;
	}
	struct {
		const char *key;
		bool *to;
	} bools[] = {
	    {"isGateway", &c->is_gw},
	    {"isDefaultGateway", &c->is_default_gw},
	    {"forceAddress", &c->force_address},
	    {"ipMasq", &c->ip_masq},
	    {"hairpinMode", &c->hairpin},
	    {"promiscMode", &c->promisc},
	    {"enabledad", &c->enabledad},
	    {"disableContainerInterface", &c->disable_ctr_if},
	    {"portIsolation", &c->port_isolation},
	    {"macspoofchk", &c->macspoofchk},
	    {"preserveDefaultVlan", &c->preserve_default_vlan},
	};
	c->preserve_default_vlan = true; /* upstream's default */
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
		if ((r = cni_json_bool(o, "", bools[i].key, bools[i].to, reterr)) < 0)
			return r;
	if (c->is_default_gw)
		c->is_gw = true;
	if ((r = cni_json_int(o, "", "mtu", 0, 65535, &c->mtu, reterr)) < 0)
		return r;
	if (c->mtu != 0 && c->mtu < 68)
		return invalid(reterr, "%s: must be 0 or at least 68", "mtu");
	if ((r = cni_json_int(o, "", "vlan", 0, 4094, &c->vlan, reterr)) < 0)
		return r;
	if ((r = cni_json_string(o, "", "ipMasqBackend", 64, &s, reterr)) < 0)
		return r; /* berth always uses nftables */
	if ((r = cni_json_array(o, "", "vlanTrunk", 4096, &v, reterr)) < 0)
		return r;
	if (r > 0 && (r = parse_vlan_trunk(v, c, reterr)) < 0)
		return r;
	if (c->hairpin && c->promisc)
		return invalid(reterr, "%s: cannot be set with promiscMode", "hairpinMode");

	json_t *ipam;
	r = cni_json_object(o, "", "ipam", 256, &ipam, reterr);
	if (r < 0)
		return r;
	if (r > 0 && json_object_size(ipam) > 0) {
		r = cni_json_string(ipam, "ipam", "type", 255, &c->ipam_type, reterr);
		if (r < 0)
			return r;
		if (r == 0 || !*c->ipam_type)
			return invalid(reterr, "%s: missing", "ipam.type");
		if (strchr(c->ipam_type, '/') || streq(c->ipam_type, ".") ||
		    streq(c->ipam_type, ".."))
			return invalid(reterr, "%s: not a plugin name", "ipam.type");
	}
	if (c->disable_ctr_if && c->ipam_type)
		return invalid(reterr, "%s: cannot be used with IPAM", "disableContainerInterface");
	if ((r = cni_json_object(o, "", "dns", 16, &c->dns, reterr)) < 0)
		return r;

	/* MAC: CNI_ARGS MAC=, args.cni.mac, runtimeConfig.mac (the later wins). */
	const char *mac = cni_request_arg(req, "MAC");
	if (mac && (r = parse_mac(c, mac, "CNI_ARGS MAC", reterr)) < 0)
		return r;
	if (req->args_cni) {
		if ((r = cni_json_string(req->args_cni, "args.cni", "mac", 64, &s, reterr)) < 0)
			return r;
		if (r > 0 && (r = parse_mac(c, s, "args.cni.mac", reterr)) < 0)
			return r;
	}
	if (req->runtime_config) {
		r = cni_json_string(req->runtime_config, "runtimeConfig", "mac", 64, &s, reterr);
		if (r < 0)
			return r;
		if (r > 0 && (r = parse_mac(c, s, "runtimeConfig.mac", reterr)) < 0)
			return r;
	}
	return 0;
}

/* "veth" + 8 hex of FNV-1a(id NUL ifname). */
static void veth_name_of(const char *id, const char *ifname, char buf[BERTH_IFNAMSIZ])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	h = berth_fnv1a64(h, id, strlen(id) + 1);
	h = berth_fnv1a64(h, ifname, strlen(ifname));
	snprintf(buf, BERTH_IFNAMSIZ, "veth%08x", (unsigned)(h ^ (h >> 32)));
}

static void host_veth_name(const struct cni_request *req, char buf[BERTH_IFNAMSIZ])
{
	veth_name_of(req->container_id, req->ifname, buf);
}

static void record_id(const struct cni_request *req, char *buf, size_t size)
{
	/* ':' is in neither a container id nor an interface name: the id splits back. */
	snprintf(buf, size, BR_RECORD_PREFIX "%s:%s", req->container_id, req->ifname);
}

static int kernel(struct cni_error **reterr, int r, const char *what, const char *name)
{
	return cni_error_set(reterr, r, CNI_ERR_BERTH_KERNEL, what, "'%s': %s", name, strerror(-r));
}

/* lib's error as the CNI error object; takes e. */
static int from_berth(struct cni_error **reterr, struct berth_error *e, unsigned code,
		      const char *what)
{
	int r = cni_error_from_berth(reterr, e, code, what);
	berth_error_free(e);
	return r;
}

static void mac_text(const uint8_t mac[6], char buf[18])
{
	berth_mac_fmt(mac, buf);
}

/* The gateway address on the bridge (isGateway), cni.md §4.1 and complaint 11. */
static int bridge_gateway(struct berth_netns *host, struct berth_undo *u, int bridx,
			  const struct br_conf *c, const struct berth_ipnet *gw,
			  struct cni_error **reterr)
{
	struct berth_ipnet have[BR_MAX_ADDRS];
	char a[BERTH_IPNET_STRLEN], b[BERTH_IPNET_STRLEN];
	int n = berth_addr_list(host, bridx, gw->ip.family, have, ARRAY_SIZE(have));
	if (n < 0)
		return kernel(reterr, n, "failed to list the bridge's addresses", c->bridge);
	for (int i = 0; i < n; i++) {
		if (berth_ip_equal(&have[i].ip, &gw->ip))
			return 0;
	}
	for (int i = 0; i < n; i++) {
		if (!berth_ipnet_overlaps(&have[i], gw))
			continue;
		if (!c->force_address)
			return cni_error_set(
			    reterr, EEXIST, CNI_ERR_BERTH_KERNEL, "bridge address conflict",
			    "\"%s\" already has an IP address different from %s: %s", c->bridge,
			    berth_ipnet_fmt(gw, a), berth_ipnet_fmt(&have[i], b));
		int r = berth_addr_del(host, bridx, &have[i]);
		if (r < 0 && r != -EADDRNOTAVAIL)
			return kernel(reterr, r, "failed to remove the bridge's old address",
				      c->bridge);
	}
	int r = berth_addr_add(host, bridx, gw, true);
	if (r < 0 && r != -EEXIST)
		return kernel(reterr, r, "failed to add the gateway address to the bridge",
			      c->bridge);
	if (r == 0 && berth_undo_addr(u, host, bridx, gw) < 0) {
		(void)berth_addr_del(host, bridx, gw);
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	}
	return 0;
}

static int network_of(const struct cni_result *res, struct berth_ipnet *ret, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < res->n_ips && n < max; i++) {
		struct berth_ipnet net;
		berth_ipnet_network(&res->ips[i].address, &net);
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = ret[j].prefixlen == net.prefixlen &&
			      berth_ip_equal(&ret[j].ip, &net.ip);
		if (!dup)
			ret[n++] = net;
	}
	return (int)n;
}

/*
 * ipMasq and macspoofchk: the record (pending), the network's elements and
 * the port's MAC-spoofing elements in one transaction, the record (committed).
 */
static int setup_fw(const struct cni_request *req, const struct br_conf *c,
		    const struct cni_result *res, const char *hname, const uint8_t ctr_mac[6],
		    struct berth_undo *u, struct cni_error **reterr)
{
	struct berth_record rec = {.owner = (char *)BR_RECORD_OWNER, .name = (char *)req->name};
	struct berth_fw_elem spoof = {.kind = BERTH_FW_ELEM_MACSPOOF};
	struct berth_record_net rn = {0};
	char id[BERTH_RECORD_MAX_ID + 1];
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *msg = NULL;
	char **present = NULL;
	int r;

	record_id(req, id, sizeof(id));
	rec.id = id;
	if (c->ip_masq && res->n_ips > 0) {
		snprintf(rn.bridge, sizeof(rn.bridge), "%s", c->bridge);
		rn.n_subnets = (size_t)network_of(res, rn.subnets, BERTH_FW_MAX_SUBNETS);
		rec.nets = &rn;
		rec.n_nets = 1;
	}
	if (c->macspoofchk) {
		snprintf(spoof.ifname, sizeof(spoof.ifname), "%s", hname);
		memcpy(spoof.mac, ctr_mac, sizeof(spoof.mac));
		rec.elems = &spoof;
		rec.n_elems = 1;
	}
	rec.pending = rec.n_nets > 0 || rec.n_elems > 0;
	if (berth_undo_record(u, BR_RECORD_OWNER, id) < 0)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	r = berth_record_write(&rec);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to write berth's state record", "%s: %s", id,
				     strerror(-r));
	if (rec.n_nets == 0 && rec.n_elems == 0)
		return 0;

	struct berth_fw_network fn;
	bool table_existed = true, bridge_present = true;
	if (rec.n_nets > 0) {
		berth_record_fw_network(&rec, 0, &fn);
		r = berth_fw_table_exists(NULL);
		if (r < 0)
			return kernel(reterr, r, "firewall: failed to look up the table",
				      BERTH_FW_TABLE_DEFAULT);
		table_existed = r > 0;
		bridge_present = false;
	}
	if (rec.n_nets > 0 && table_existed) {
		int cnt = berth_fw_list_bridges(NULL, &present);
		for (int i = 0; cnt > 0 && i < cnt && !bridge_present; i++)
			bridge_present = streq(present[i], c->bridge);
		berth_strv_free(present);
	}
	if ((r = berth_fw_batch_new(NULL, &b)) < 0 ||
	    (!table_existed && (r = berth_fw_batch_ensure_table(b)) < 0) ||
	    (rec.n_nets > 0 && (r = berth_fw_batch_add_network(b, &fn)) < 0) ||
	    (rec.n_elems > 0 && (r = berth_fw_batch_add_elems(b, rec.elems, rec.n_elems)) < 0))
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_KERNEL, "firewall", "%s",
				     strerror(-r));
	r = berth_fw_commit(b, &msg);
	if (r < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_KERNEL,
				     "failed to configure the firewall", "%s",
				     msg ? msg : strerror(-r));
	r = 0;
	if (!table_existed)
		r = berth_undo_fw_table(u, BERTH_FW_TABLE_DEFAULT);
	else if (!bridge_present)
		r = berth_undo_fw_network(u, BERTH_FW_TABLE_DEFAULT, &fn);
	if (r >= 0 && rec.n_elems > 0)
		r = berth_undo_fw_elems(u, BERTH_FW_TABLE_DEFAULT, rec.elems, rec.n_elems);
	if (r < 0)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	rec.pending = false;
	r = berth_record_write(&rec);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to write berth's state record", "%s: %s", id,
				     strerror(-r));
	return 0;
}

/* The attachment's own elements (macspoofchk), of any number of records, in one transaction. */
static int teardown_elems(struct berth_record *const *recs, size_t n, struct cni_error **reterr)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *msg = NULL;
	size_t queued = 0;
	int r = berth_fw_batch_new(NULL, &b);

	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!recs[i] || recs[i]->n_elems == 0)
			continue;
		r = berth_fw_batch_del_elems(b, recs[i]->elems, recs[i]->n_elems);
		queued += recs[i]->n_elems;
	}
	if (r >= 0 && queued > 0)
		r = berth_fw_commit(b, &msg);
	if (r < 0 && r != -ENOENT)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_KERNEL,
				     "failed to remove firewall elements", "%s",
				     msg ? msg : strerror(-r));
	return 0;
}

/* The network's elements go when the bridge has no port left (or is gone). */
static int teardown_masq(const struct berth_record *rec, struct berth_netns *host,
			 struct cni_error **reterr)
{
	for (size_t i = 0; i < rec->n_nets; i++) {
		struct berth_link_info li;
		struct berth_fw_network fn;
		_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
		_cleanup_free_ char *msg = NULL;
		int r = berth_link_get(host, rec->nets[i].bridge, &li);
		if (r == 0 && berth_link_count_ports_max(host, li.ifindex, 1) > 0)
			continue; /* other containers still use it */
		r = berth_fw_table_exists(NULL);
		if (r <= 0)
			continue;
		berth_record_fw_network(rec, i, &fn);
		if ((r = berth_fw_batch_new(NULL, &b)) < 0 ||
		    (r = berth_fw_batch_del_network(b, &fn)) < 0 ||
		    (r = berth_fw_commit(b, &msg)) < 0)
			return cni_error_set(reterr, -r, CNI_ERR_BERTH_KERNEL,
					     "failed to remove firewall elements", "%s",
					     msg ? msg : strerror(-r));
	}
	return 0;
}

static int lock_host(int *ret_fd, struct cni_error **reterr)
{
	int fd = berth_lock_host(BERTH_LOCK_TIMEOUT_MS);
	if (fd < 0)
		return cni_error_set(reterr, fd,
				     fd == -ETIMEDOUT ? CNI_ERR_TRY_AGAIN : CNI_ERR_BERTH_STATE,
				     "failed to take berth's host lock", "%s", strerror(-fd));
	*ret_fd = fd;
	return 0;
}

static void default_gateway(const struct berth_ipnet *addr, struct berth_ip *ret)
{
	struct berth_ipnet net;
	berth_ipnet_network(addr, &net);
	*ret = net.ip;
	size_t len = berth_ip_len(ret->family);
	for (size_t i = len; i-- > 0;)
		if (++ret->b[i] != 0)
			break;
}

static const struct cni_ipconfig *gw_of(const struct cni_result *res, int family)
{
	for (size_t i = 0; i < res->n_ips; i++)
		if (res->ips[i].address.ip.family == family && res->ips[i].gateway.family)
			return &res->ips[i];
	return NULL;
}

/* host and ctr outlive the undo log (its entries borrow them). */
static int do_add(struct cni_request *req, const struct br_conf *c, struct berth_netns *host,
		  struct berth_netns *ctr, struct berth_undo *u, struct cni_result **io_res,
		  struct cni_error **reterr)
{
	struct berth_link_info br, hv, cv;
	char hname[BERTH_IFNAMSIZ], mac[3][18];
	struct berth_error *e = NULL;
	bool created = false;
	int r;

	if (berth_link_get(ctr, req->ifname, &cv) == 0)
		return cni_error_set(reterr, EEXIST, CNI_ERR_BERTH_KERNEL,
				     "container interface already exists",
				     "'%s' already exists in %s", req->ifname, req->netns);

	/* The bridge. */
	struct berth_bridge_spec bs = {.name = c->bridge, .mtu = (unsigned)c->mtu};
	r = berth_bridge_ensure(host, &bs, &br, &created);
	if (r == -EEXIST)
		return cni_error_set(reterr, EEXIST, CNI_ERR_INVALID_CONFIG,
				     "invalid network config",
				     "\"%s\" already exists but is not a bridge", c->bridge);
	if (r == -ENOTRECOVERABLE)
		(void)berth_undo_link_name(u, host, c->bridge);
	if (r < 0)
		return kernel(reterr, r, "failed to create the bridge", c->bridge);
	if (created && berth_undo_link(u, host, br.ifindex) < 0) {
		(void)berth_link_delete(host, br.ifindex);
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	}
	if (c->promisc && !(br.flags & IFF_PROMISC) &&
	    (r = berth_link_set_flags(host, br.ifindex, IFF_PROMISC, IFF_PROMISC)) < 0)
		return kernel(reterr, r, "failed to set the bridge promiscuous", c->bridge);
	if (created &&
	    berth_sysctl_set_undo(host, NULL, "0", &e, "net/ipv6/conf/%s/accept_ra", c->bridge) < 0)
		berth_error_freep(&e); /* no IPv6: fine */
	if ((r = berth_link_up_undo(host, br.ifindex, u)) < 0)
		return kernel(reterr, r, "failed to set the bridge up", c->bridge);
	if ((c->vlan > 0 || c->n_trunk > 0) && !br.vlan_filtering) {
		if ((r = berth_bridge_enable_vlan_filtering(host, br.ifindex)) < 0)
			return kernel(reterr, r, "vlan: failed to enable VLAN filtering",
				      c->bridge);
		if (berth_undo_vlan_filtering(u, host, br.ifindex) < 0)
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
	}

	/* The veth pair, the container end created in its namespace. */
	host_veth_name(req, hname);
	struct berth_veth_spec vs = {
	    .host_name = hname,
	    .peer_name = req->ifname,
	    .peer_ns = ctr,
	    .mtu = (unsigned)c->mtu,
	    .peer_mac = c->has_mac ? c->mac : NULL,
	    .master_ifindex = br.ifindex,
	};
	int hidx = 0, pidx = 0;
	bool conflict_peer = false;
	char hactual[BERTH_IFNAMSIZ] = "";
	r = berth_veth_create(host, &vs, &hidx, hactual, &pidx, &conflict_peer);
	if (r == -ENOTRECOVERABLE)
		(void)berth_undo_link_name(u, host, hactual);
	if (r == -EEXIST)
		return cni_error_set(reterr, EEXIST, CNI_ERR_BERTH_KERNEL,
				     "failed to create the veth pair", "'%s' already exists%s",
				     conflict_peer ? req->ifname : hname,
				     conflict_peer ? " in the container" : " on the host");
	if (r < 0)
		return kernel(reterr, r, "failed to create the veth pair", hname);
	if (berth_undo_link(u, host, hidx) < 0) {
		(void)berth_link_delete(host, hidx);
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	}
	if ((r = berth_link_get(ctr, req->ifname, &cv)) < 0)
		return kernel(reterr, r, "failed to find the container interface", req->ifname);
	if ((c->hairpin || c->port_isolation) &&
	    (r = berth_bridge_port_set_flags(host, hidx, c->hairpin ? 1 : -1,
					     c->port_isolation ? 1 : -1)) < 0)
		return kernel(reterr, r, "failed to set the bridge port's flags", hname);
	if (c->vlan > 0 && (r = berth_bridge_port_set_vlan(host, hidx, (uint16_t)c->vlan)) < 0)
		return kernel(reterr, r, "vlan: failed to set the port's VLAN", hname);
	if (c->n_trunk > 0 &&
	    (r = berth_bridge_port_vlans(host, hidx, true, c->trunk, c->n_trunk)) < 0)
		return kernel(reterr, r, "vlanTrunk: failed to add the port's VLANs", hname);
	/* the port joined with the bridge's default PVID 1: upstream drops it on request */
	if ((c->vlan > 0 || c->n_trunk > 0) && !c->preserve_default_vlan && c->vlan != 1 &&
	    (r = berth_bridge_port_vlans(host, hidx, false,
					 &(struct berth_vlan_range){ 1, 1 }, 1)) < 0 &&
	    r != -ENOENT)
		return kernel(reterr, r, "preserveDefaultVlan: failed to remove VLAN 1", hname);

	/* IPAM: done by the caller; here the addresses go in. */
	struct cni_result *res = *io_res;
	bool v6 = false;
	for (size_t i = 0; i < res->n_ips; i++) {
		res->ips[i].interface = 2;
		if (!res->ips[i].gateway.family && c->is_gw)
			default_gateway(&res->ips[i].address, &res->ips[i].gateway);
		v6 |= res->ips[i].address.ip.family == AF_INET6;
	}
	const struct berth_sysctl_rule ctr_rules[] = {
	    {"net/ipv6/conf/", true, "/accept_dad", c->enabledad ? "1" : "0", BERTH_SC_TOLERANT},
	    {"net/ipv6/conf/", true, "/enhanced_dad", "1",
	     c->enabledad ? BERTH_SC_TOLERANT : BERTH_SC_V6 | BERTH_SC_INTERNAL},
	    {"net/ipv4/conf/", true, "/arp_notify", "1", BERTH_SC_ALWAYS},
	    {"net/ipv6/conf/", true, "/disable_ipv6", "0", BERTH_SC_V6 | BERTH_SC_TOLERANT},
	    {"net/ipv6/conf/", true, "/keep_addr_on_down", "1", BERTH_SC_V6 | BERTH_SC_TOLERANT},
	};
	if (berth_sysctl_apply(ctr, u, req->ifname, ctr_rules, ARRAY_SIZE(ctr_rules),
			       BERTH_SC_EXTERNAL | (v6 ? BERTH_SC_V6 : 0), &e) < 0)
		return from_berth(reterr, e, CNI_ERR_BERTH_KERNEL, "container sysctls");

	/* isDefaultGateway: a default route per family unless one is configured. */
	if (c->is_default_gw) {
		for (int f = 0; f < 2; f++) {
			int fam = f ? AF_INET6 : AF_INET;
			const struct cni_ipconfig *g = gw_of(res, fam);
			bool have = false;
			for (size_t i = 0; i < res->n_routes && !have; i++)
				have = res->routes[i].dst.ip.family == fam &&
				       res->routes[i].dst.prefixlen == 0;
			if (!g || have)
				continue;
			struct cni_route rt = {.dst = {.ip = {.family = fam}}, .gw = g->gateway};
			if ((r = cni_result_add_route(res, &rt)) < 0)
				return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL,
						     "too many routes", NULL);
		}
	}
	struct berth_ipnet addrs[CNI_MAX_IPS];
	_cleanup_free_ struct berth_route_spec *routes = calloc(res->n_routes + 1, sizeof(*routes));
	if (!routes)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	for (size_t i = 0; i < res->n_ips; i++)
		addrs[i] = res->ips[i].address;
	for (size_t i = 0; i < res->n_routes; i++) {
		const struct cni_route *rt = &res->routes[i];
		struct berth_route_spec *rs = &routes[i];
		rs->dst = rt->dst;
		rs->gateway = rt->gw;
		rs->oif = cv.ifindex;
		if (rt->priority) {
			rs->metric = rt->priority;
			rs->has_metric = true;
		}
		if (rt->has_table)
			rs->table = (uint32_t)rt->table;
		if (!rs->gateway.family) {
			const struct cni_ipconfig *g = gw_of(res, rt->dst.ip.family);
			if (g)
				rs->gateway = g->gateway;
		}
	}
	struct berth_iface_config ic = {
	    .ifname = req->ifname,
	    .where = "container namespace",
	    .addrs = addrs,
	    .n_addrs = res->n_ips,
	    .up = !c->disable_ctr_if,
	    .routes = routes,
	    .n_routes = res->n_routes,
	};
	if (berth_iface_configure(ctr, cv.ifindex, &ic, u, &e) < 0)
		return from_berth(reterr, e, CNI_ERR_BERTH_KERNEL,
				  "failed to configure the container interface");

	/* isGateway: the gateway on the bridge, forwarding on. */
	if (c->is_gw) {
		bool fam4 = false, fam6 = false;
		for (size_t i = 0; i < res->n_ips; i++) {
			const struct cni_ipconfig *ip = &res->ips[i];
			if (!ip->gateway.family)
				continue;
			struct berth_ipnet gw = {.ip = ip->gateway,
						 .prefixlen = ip->address.prefixlen};
			if ((r = bridge_gateway(host, u, br.ifindex, c, &gw, reterr)) < 0)
				return r;
			fam4 |= gw.ip.family == AF_INET;
			fam6 |= gw.ip.family == AF_INET6;
		}
		if (fam4 && berth_sysctl_set_undo(host, u, "1", &e, "net/ipv4/ip_forward") < 0)
			return from_berth(reterr, e, CNI_ERR_BERTH_KERNEL, "ip_forward");
		if (fam6 &&
		    berth_sysctl_set_undo(host, u, "1", &e, "net/ipv6/conf/all/forwarding") < 0)
			return from_berth(reterr, e, CNI_ERR_BERTH_KERNEL, "ipv6 forwarding");
	}

	if ((r = setup_fw(req, c, res, hname, cv.mac, u, reterr)) < 0)
		return r;

	/* The result: bridge, host veth, container interface. */
	if ((r = berth_link_get(host, c->bridge, &br)) < 0 ||
	    (r = berth_link_get_by_index(host, hidx, &hv)) < 0 ||
	    (r = berth_link_get(ctr, req->ifname, &cv)) < 0)
		return kernel(reterr, r, "failed to read the links back", req->ifname);
	mac_text(br.mac, mac[0]);
	mac_text(hv.mac, mac[1]);
	mac_text(cv.mac, mac[2]);
	/* IPAM plugins return no interfaces; put ours first. */
	for (size_t i = 0; i < res->n_interfaces; i++) {
		free(res->interfaces[i].name);
		free(res->interfaces[i].mac);
		free(res->interfaces[i].sandbox);
		free(res->interfaces[i].socket_path);
		free(res->interfaces[i].pci_id);
	}
	res->n_interfaces = 0;
	if (cni_result_add_interface(res, br.name, mac[0], NULL) < 0 ||
	    cni_result_add_interface(res, hv.name, mac[1], NULL) < 0 ||
	    cni_result_add_interface(res, req->ifname, mac[2], req->netns) < 0)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	return 0;
}

static int br_add(struct cni_request *req, struct cni_result **ret_result,
		  struct cni_error **reterr)
{
	struct br_conf c = {0};
	/* Declared before the undo log: freed after it. */
	_cleanup_netns_ struct berth_netns *host = NULL, *ctr = NULL;
	_cleanup_(berth_undo_freep) struct berth_undo *u = NULL;
	_cleanup_cni_result_ struct cni_result *res = NULL;
	_cleanup_close_ int lock = -1;
	bool ipam_done = false;
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if (c.dns) {
		/* Validate the replacement dns before anything changes. */
		json_auto_t *j = json_pack("{sO}", "dns", c.dns);
		_cleanup_cni_result_ struct cni_result *tmp = NULL;
		if (!j)
			return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL,
					     "out of memory", NULL);
		if ((r = cni_result_from_json(j, CNI_VERSION_1_1_0, "", &tmp, reterr)) < 0) {
			(*reterr)->code = CNI_ERR_INVALID_CONFIG;
			return r;
		}
	}
	if ((r = berth_netns_open_current(&host)) < 0)
		return kernel(reterr, r, "failed to open the host namespace", "self");
	if ((r = cni_netns_open(req->netns, &ctr, reterr)) < 0)
		return r;
	if ((r = lock_host(&lock, reterr)) < 0)
		return r;
	if ((r = berth_undo_new(&u)) < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);

	if (c.ipam_type) {
		r = cni_delegate_add(req, c.ipam_type, &res, reterr);
		if (r < 0) {
			/* A failed ADD may have allocated: DEL is idempotent. */
			_cleanup_cni_error_ struct cni_error *ignored = NULL;
			(void)cni_delegate_run(req, c.ipam_type, CNI_CMD_DEL, NULL, &ignored);
			return r;
		}
		ipam_done = true;
		if (res->n_ips > CNI_MAX_IPS) {
			r = cni_error_set(reterr, E2BIG, CNI_ERR_BERTH_INTERNAL,
					  "IPAM returned too many addresses", NULL);
			goto fail;
		}
	} else if (!(res = cni_result_new())) {
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	}
	if (c.dns) {
		json_auto_t *j = json_pack("{sO}", "dns", c.dns);
		_cleanup_cni_result_ struct cni_result *tmp = NULL;
		if (!j || cni_result_from_json(j, CNI_VERSION_1_1_0, "", &tmp, reterr) < 0) {
			r = -EINVAL;
			goto fail;
		}
		struct cni_dns d = res->dns;
		res->dns = tmp->dns;
		tmp->dns = d;
	}

	r = do_add(req, &c, host, ctr, u, &res, reterr);
	if (r < 0)
		goto fail;
	*ret_result = TAKE_PTR(res);
	return 0;

fail:
	if (berth_undo_run(u) > 0)
		log_warn("ADD rollback: some changes could not be undone");
	if (ipam_done) {
		_cleanup_cni_error_ struct cni_error *e2 = NULL;
		if (cni_delegate_run(req, c.ipam_type, CNI_CMD_DEL, NULL, &e2) < 0)
			log_warn("ADD rollback: IPAM DEL failed: %s", e2 && e2->msg ? e2->msg : "");
	}
	return r;
}

/* DEL's links: the container interface (when its namespace is there) and the host veth. */
static int del_links(const struct cni_request *req, struct berth_netns **ret_host,
		     struct cni_error **reterr)
{
	_cleanup_netns_ struct berth_netns *ctr = NULL;
	struct berth_link_info li;
	char hname[BERTH_IFNAMSIZ];
	int r;

	if ((r = berth_netns_open_current(ret_host)) < 0)
		return kernel(reterr, r, "failed to open the host namespace", "self");
	if (req->netns && berth_netns_open_path(req->netns, &ctr) == 0 &&
	    berth_link_get(ctr, req->ifname, &li) == 0 && !strcmp(li.kind, "veth")) {
		r = berth_link_delete(ctr, li.ifindex);
		if (r < 0 && r != -ENODEV)
			return kernel(reterr, r, "failed to delete the container interface",
				      req->ifname);
	}
	host_veth_name(req, hname);
	r = berth_link_delete_by_name(*ret_host, hname);
	if (r < 0 && r != -ENODEV)
		return kernel(reterr, r, "failed to delete the host veth", hname);
	return 0;
}

static int br_del(struct cni_request *req, struct cni_error **reterr)
{
	struct br_conf c = {0};
	_cleanup_netns_ struct berth_netns *host = NULL;
	_cleanup_(berth_record_freep) struct berth_record *rec = NULL;
	_cleanup_close_ int lock = -1;
	char id[BERTH_RECORD_MAX_ID + 1];
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if ((r = lock_host(&lock, reterr)) < 0)
		return r;
	/*
	 * The IPAM plugin's DEL runs while the veth goes: the kernel spends
	 * most of a veth deletion waiting for RCU grace periods, time the
	 * plugin can use on the other CPU.
	 */
	struct cni_delegate *ipam = NULL;
	if (c.ipam_type &&
	    (r = cni_delegate_start(req, c.ipam_type, CNI_CMD_DEL, &ipam, reterr)) < 0)
		return r;
	if ((r = del_links(req, &host, reterr)) < 0) {
		cni_delegate_free(ipam);
		return r;
	}
	if (ipam && (r = cni_delegate_finish(ipam, NULL, reterr)) < 0)
		return r;

	record_id(req, id, sizeof(id));
	r = berth_record_load(BR_RECORD_OWNER, id, &rec);
	if (r == 0) {
		if ((r = teardown_elems(&rec, 1, reterr)) < 0 ||
		    (r = teardown_masq(rec, host, reterr)) < 0)
			return r;
	} else if (r != -ENOENT) {
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to read berth's state record", "%s: %s", id,
				     strerror(-r));
	}
	r = berth_record_remove(BR_RECORD_OWNER, id);
	if (r < 0)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to remove berth's state record", "%s: %s", id,
				     strerror(-r));
	return 0;
}

#define mismatch(reterr, fmt, ...)                                                                 \
	cni_error_set(reterr, ENOENT, CNI_ERR_BERTH_CHECK, "CHECK failed", fmt, __VA_ARGS__)

/* macspoofchk: the port is guarded and the container's MAC is the one allowed. */
static int check_macspoof(const char *hname, const uint8_t mac[6], struct cni_error **reterr)
{
	_cleanup_(berth_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *msg = NULL;
	struct berth_fw_elem e = {.kind = BERTH_FW_ELEM_MACSPOOF};
	int r;

	snprintf(e.ifname, sizeof(e.ifname), "%s", hname);
	memcpy(e.mac, mac, sizeof(e.mac));
	if ((r = berth_fw_batch_new(NULL, &b)) < 0 || (r = berth_fw_batch_add_elems(b, &e, 1)) < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL, "firewall", "%s",
				     strerror(-r));
	r = berth_fw_batch_probe(b, &msg);
	if (r == -ENOENT || r == -EILSEQ)
		return mismatch(reterr, "macspoofchk: %s", msg ? msg : "element missing");
	if (r < 0)
		return kernel(reterr, r, "macspoofchk: failed to look up the elements", hname);
	return 0;
}

static int br_check(struct cni_request *req, struct cni_error **reterr)
{
	struct br_conf c = {0};
	_cleanup_netns_ struct berth_netns *host = NULL, *ctr = NULL;
	struct berth_link_info br, cv, hv;
	char hname[BERTH_IFNAMSIZ], m[18];
	int r;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	const struct cni_result *prev = req->prev_result;
	if (!prev)
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "prevResult: required for CHECK");
	if (c.ipam_type &&
	    (r = cni_delegate_run(req, c.ipam_type, CNI_CMD_CHECK, NULL, reterr)) < 0)
		return r;
	if ((r = berth_netns_open_current(&host)) < 0)
		return kernel(reterr, r, "failed to open the host namespace", "self");
	if (berth_link_get(host, c.bridge, &br) < 0)
		return mismatch(reterr, "bridge '%s' does not exist", c.bridge);
	if (strcmp(br.kind, "bridge"))
		return mismatch(reterr, "'%s' is not a bridge", c.bridge);
	if (c.promisc && !(br.flags & IFF_PROMISC))
		return mismatch(reterr, "bridge '%s' is not promiscuous", c.bridge);
	if ((r = cni_netns_open(req->netns, &ctr, reterr)) < 0)
		return r;
	if (berth_link_get(ctr, req->ifname, &cv) < 0)
		return mismatch(reterr, "container interface '%s' does not exist", req->ifname);
	if (strcmp(cv.kind, "veth"))
		return mismatch(reterr, "container interface '%s' is not a veth", req->ifname);
	int ci = cni_result_find_interface(prev, req->ifname, true);
	if (ci >= 0 && prev->interfaces[ci].mac &&
	    strcasecmp(prev->interfaces[ci].mac, berth_mac_fmt(cv.mac, m)))
		return mismatch(reterr, "container interface '%s' has another MAC address",
				req->ifname);
	host_veth_name(req, hname);
	if (berth_link_get(host, hname, &hv) < 0)
		return mismatch(reterr, "host veth '%s' does not exist", hname);
	if (hv.master != br.ifindex)
		return mismatch(reterr, "host veth '%s' is not on the bridge", hname);

	struct berth_ipnet have[BR_MAX_ADDRS];
	int n = berth_addr_list(ctr, cv.ifindex, AF_UNSPEC, have, ARRAY_SIZE(have));
	if (n < 0)
		return kernel(reterr, n, "failed to list addresses", req->ifname);
	for (size_t i = 0; i < prev->n_ips; i++) {
		const struct cni_ipconfig *ip = &prev->ips[i];
		if (ip->interface >= 0 && ip->interface != ci)
			continue;
		bool found = false;
		for (int k = 0; k < n && !found; k++)
			found = berth_ip_equal(&have[k].ip, &ip->address.ip) &&
				have[k].prefixlen == ip->address.prefixlen;
		if (!found) {
			char a[BERTH_IPNET_STRLEN];
			return mismatch(reterr, "address %s is missing in the container",
					berth_ipnet_fmt(&ip->address, a));
		}
	}
	if (c.macspoofchk)
		return check_macspoof(hname, cv.mac, reterr);
	return 0;
}

struct gc_ctx {
	const struct cni_request *req;
	char **stale; /* record ids */
	size_t n, cap;
};

static bool attachment_valid(const struct cni_request *req, const char *id)
{
	for (size_t i = 0; i < req->n_valid_attachments; i++) {
		char want[BERTH_RECORD_MAX_ID + 1];
		snprintf(want, sizeof(want), BR_RECORD_PREFIX "%s:%s",
			 req->valid_attachments[i].container_id, req->valid_attachments[i].ifname);
		if (streq(want, id))
			return true;
	}
	return false;
}

static int gc_cb(const struct berth_record *r, void *data)
{
	struct gc_ctx *g = data;
	if (strncmp(r->id, BR_RECORD_PREFIX, strlen(BR_RECORD_PREFIX)) || !r->name ||
	    !streq(r->name, g->req->name) || attachment_valid(g->req, r->id))
		return 0;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		char **v = realloc(g->stale, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		g->stale = v;
		g->cap = cap;
	}
	if (!(g->stale[g->n] = strdup(r->id)))
		return -ENOMEM;
	g->n++;
	return 0;
}

static int br_gc(struct cni_request *req, struct cni_error **reterr)
{
	struct br_conf c = {0};
	_cleanup_netns_ struct berth_netns *host = NULL;
	_cleanup_close_ int lock = -1;
	struct gc_ctx g = {.req = req};
	int r, first = 0;

	if ((r = conf_parse(req, &c, reterr)) < 0)
		return r;
	if (c.ipam_type) {
		first = cni_delegate_run(req, c.ipam_type, CNI_CMD_GC, NULL, reterr);
		if (first < 0)
			log_warn("GC: IPAM GC failed, continuing");
	}
	if ((r = lock_host(&lock, reterr)) < 0)
		return r;
	if ((r = berth_netns_open_current(&host)) < 0)
		return kernel(reterr, r, "failed to open the host namespace", "self");
	r = berth_record_foreach(BR_RECORD_OWNER, gc_cb, &g, NULL);
	/*
	 * The stale attachments' host veths go too, all in one kernel batch (one
	 * RCU grace period, not one per link): a namespace deleted a moment ago
	 * may still hold them (netns cleanup is asynchronous), which would keep
	 * the bridge "in use".
	 */
	_cleanup_free_ int *doomed = r >= 0 && g.n ? calloc(g.n, sizeof(*doomed)) : NULL;
	size_t n_doomed = 0;
	for (size_t i = 0; doomed && i < g.n; i++) {
		char *sep = strrchr(g.stale[i], ':');
		struct berth_link_info li;
		char vname[BERTH_IFNAMSIZ];
		if (!sep)
			continue;
		*sep = '\0';
		veth_name_of(g.stale[i] + strlen(BR_RECORD_PREFIX), sep + 1, vname);
		*sep = ':';
		if (berth_link_get(host, vname, &li) >= 0 && streq(li.kind, "veth"))
			doomed[n_doomed++] = li.ifindex;
	}
	if (n_doomed) {
		int k = berth_link_delete_many(host, doomed, n_doomed);
		if (k < 0 && k != -ENODEV)
			log_warn("GC: deleting %zu stale veth(s): %s", n_doomed, strerror(-k));
	}
	/* The attachments' own elements (macspoofchk) in one transaction. */
	_cleanup_free_ struct berth_record **recs =
	    r >= 0 && g.n ? calloc(g.n, sizeof(*recs)) : NULL;
	for (size_t i = 0; recs && i < g.n; i++)
		if (berth_record_load(BR_RECORD_OWNER, g.stale[i], &recs[i]) < 0)
			recs[i] = NULL;
	if (recs) {
		_cleanup_cni_error_ struct cni_error *e = NULL;
		if (teardown_elems(recs, g.n, &e) < 0) {
			log_warn("GC: %s", e && e->details ? e->details : "firewall elements");
			/* the records stay, so a later GC finds the elements again */
			for (size_t i = 0; i < g.n; i++)
				if (recs[i] && recs[i]->n_elems > 0) {
					berth_record_free(recs[i]);
					recs[i] = NULL;
					free(g.stale[i]);
					g.stale[i] = NULL;
				}
		}
	}
	/* Each network's elements once, not once per stale attachment of it. */
	char done[8][BERTH_IFNAMSIZ];
	size_t n_done = 0;
	for (size_t i = 0; r >= 0 && recs && i < g.n; i++) {
		_cleanup_(berth_record_freep) struct berth_record *rec = TAKE_PTR(recs[i]);
		_cleanup_cni_error_ struct cni_error *e = NULL;
		bool seen = false;
		if (!g.stale[i])
			continue;
		for (size_t k = 0; rec && rec->n_nets == 1 && k < n_done; k++)
			seen |= streq(done[k], rec->nets[0].bridge);
		if (rec && rec->n_nets == 1 && !seen && n_done < ARRAY_SIZE(done))
			snprintf(done[n_done++], BERTH_IFNAMSIZ, "%s", rec->nets[0].bridge);
		if (rec && !seen && teardown_masq(rec, host, &e) < 0) {
			log_warn("GC: %s: %s", g.stale[i], e && e->details ? e->details : "");
			continue;
		}
		if (berth_record_remove(BR_RECORD_OWNER, g.stale[i]) == 0)
			log_debug("GC: removed stale record '%s'", g.stale[i]);
	}
	for (size_t i = 0; i < g.n; i++)
		free(g.stale[i]);
	free(g.stale);
	if (r < 0 && r != -ENOENT)
		return cni_error_set(reterr, r, CNI_ERR_BERTH_STATE,
				     "failed to read berth's state records", "%s", strerror(-r));
	return first < 0 ? first : 0;
}

static int br_status(struct cni_request *req, struct cni_error **reterr)
{
	struct br_conf c = {0};
	int r = conf_parse(req, &c, reterr);
	if (r < 0)
		return r;
	if (c.ipam_type)
		return cni_delegate_run(req, c.ipam_type, CNI_CMD_STATUS, NULL, reterr);
	return 0;
}

static const char *const br_args[] = {"MAC", "IP", NULL};

static const struct cni_plugin br_plugin = {
    .name = "bridge",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = br_args,
    .add = br_add,
    .del = br_del,
    .check = br_check,
    .status = br_status,
    .gc = br_gc,
};

int main(int argc, char **argv)
{
	return cni_plugin_main(&br_plugin, argc, argv);
}
