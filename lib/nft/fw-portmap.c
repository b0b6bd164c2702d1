// SPDX-License-Identifier: Apache-2.0
/* Port-forward elements (pf4/pf6 maps) and the DNS port redirection (docs/firewall.md). */
#include "nft/fw-internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "netlink/netlink.h"

/* Most elements of one port-forward map in one NEWSETELEM (see fw_elems_per_cmd). */
#define FW_ELEM_LIST_BYTES (48 * 1024)

static bool fw_ip_family_ok(const struct berth_ip *ip)
{
	return ip->family == AF_INET || ip->family == AF_INET6;
}

static int fw_portmap_check(const struct berth_fw_portmap *pm)
{
	if (!fw_ip_family_ok(&pm->host_ip) || pm->container_ip.family != pm->host_ip.family)
		return -EINVAL;
	if (berth_ip_is_unspecified(&pm->container_ip) || berth_ip_is_multicast(&pm->container_ip) ||
	    berth_ip_is_multicast(&pm->host_ip))
		return -EINVAL;
	if (!berth_l4proto_name(pm->protocol))
		return -EINVAL;
	if (pm->range < 1 || pm->host_port < 1 || pm->container_port < 1)
		return -EINVAL;
	if ((uint32_t)pm->host_port + pm->range - 1 > UINT16_MAX ||
	    (uint32_t)pm->container_port + pm->range - 1 > UINT16_MAX)
		return -EINVAL;
	return 0;
}

/* "[fd00::1]:8080" / "10.0.0.1:8080-8089" */
static void fw_fmt_endpoint(const struct berth_ip *ip, uint16_t port, uint16_t range, char *buf,
			    size_t size)
{
	char a[BERTH_IP_STRLEN];
	bool v6 = ip->family == AF_INET6;

	berth_ip_fmt(ip, a);
	if (range > 1)
		snprintf(buf, size, "%s%s%s:%u-%u", v6 ? "[" : "", a, v6 ? "]" : "", port,
			 (unsigned)port + range - 1);
	else
		snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", port);
}

/* Elements of one NEWSETELEM: keep the nested element list well below 64 KiB (u16 nla_len). */
static size_t fw_elems_per_cmd(uint32_t key_len, uint32_t data_len)
{
	/* element nest, key nest + value, data nest + value (all 4-byte aligned already) */
	size_t one = 4 + (4 + 4 + key_len) + (4 + 4 + data_len);
	return FW_ELEM_LIST_BYTES / one;
}

/* Key of a port-forward element: [addr .] proto . port, each field in a 4-byte register. */
static uint32_t fw_pf_key(uint8_t *key, const struct berth_ip *host, bool any, uint8_t proto,
			  uint16_t port)
{
	uint32_t off = 0;

	if (!any) {
		size_t alen = berth_ip_len(host->family);
		memcpy(key, host->b, alen);
		off = (uint32_t)alen;
	}
	memset(key + off, 0, 8);
	key[off] = proto;
	key[off + 4] = (uint8_t)(port >> 8);
	key[off + 5] = (uint8_t)port;
	return off + 8;
}

/* Data: addr . port */
static uint32_t fw_pf_data(uint8_t *data, const struct berth_ip *ip, uint16_t port)
{
	size_t alen = berth_ip_len(ip->family);

	memcpy(data, ip->b, alen);
	memset(data + alen, 0, 4);
	data[alen] = (uint8_t)(port >> 8);
	data[alen + 1] = (uint8_t)port;
	return (uint32_t)alen + 4;
}

static const char *fw_pf_map(int family, bool any)
{
	if (family == AF_INET)
		return any ? "pf4_any" : "pf4_addr";
	return any ? "pf6_any" : "pf6_addr";
}

/*
 * Queue one mapping: all its elements in as few NEWSETELEM commands as the
 * message size allows (one for ranges up to ~750 ports) when adding, one
 * DELSETELEM per element when deleting (a multi-element delete fails as a
 * whole with ENOENT if any one element is missing, and "missing is fine"
 * drops the whole command, which would leave the other elements behind).
 */
static int fw_portmap_queue(struct berth_fw_batch *b, bool add, const struct berth_fw_portmap *pm)
{
	bool any = berth_ip_is_unspecified(&pm->host_ip);
	const char *map = fw_pf_map(pm->host_ip.family, any);
	_cleanup_free_ uint8_t *keys = NULL, *datas = NULL;
	_cleanup_free_ struct fw_elem *elems = NULL;
	char h[BERTH_IP_STRLEN + 16], c[BERTH_IP_STRLEN + 16], detail[2 * sizeof(h) + 16];
	uint32_t key_len = 0, data_len = 0;

	keys = calloc(pm->range, 24);
	datas = calloc(pm->range, 20);
	elems = calloc(pm->range, sizeof(*elems));
	if (!keys || !datas || !elems)
		return -ENOMEM;

	for (uint32_t i = 0; i < pm->range; i++) {
		key_len = fw_pf_key(keys + 24 * i, &pm->host_ip, any, pm->protocol,
				    (uint16_t)(pm->host_port + i));
		data_len = fw_pf_data(datas + 20 * i, &pm->container_ip,
				      (uint16_t)(pm->container_port + i));
		elems[i] = (struct fw_elem){ .key = keys + 24 * i,
					     .key_len = key_len,
					     .data = datas + 20 * i,
					     .data_len = data_len };
	}

	fw_fmt_endpoint(&pm->host_ip, pm->host_port, pm->range, h, sizeof(h));
	fw_fmt_endpoint(&pm->container_ip, pm->container_port, pm->range, c, sizeof(c));
	snprintf(detail, sizeof(detail), "%s %s -> %s", berth_l4proto_name(pm->protocol), h, c);

	return fw_cmd_elems_each(b, add, NLM_F_EXCL, map, elems, pm->range,
				 fw_elems_per_cmd(key_len, data_len), detail);
}

static int fw_portmaps(struct berth_fw_batch *b, bool add, const struct berth_fw_portmap *pm,
		       size_t n)
{
	size_t total = 0;
	int r;

	if (!b || (n > 0 && !pm))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		r = fw_portmap_check(&pm[i]);
		if (r < 0)
			return r;
		total += pm[i].range;
		if (total > BERTH_FW_MAX_PORTMAP_ELEMS)
			return -E2BIG;
	}
	if (b->n_pf_elems + total > BERTH_FW_MAX_PORTMAP_ELEMS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		r = fw_portmap_queue(b, add, &pm[i]);
		if (r < 0)
			return r;
	}
	b->n_pf_elems += total;
	return 0;
}

int berth_fw_batch_add_portmaps(struct berth_fw_batch *b, const struct berth_fw_portmap *pm,
				size_t n)
{
	return fw_portmaps(b, true, pm, n);
}

int berth_fw_batch_del_portmaps(struct berth_fw_batch *b, const struct berth_fw_portmap *pm,
				size_t n)
{
	return fw_portmaps(b, false, pm, n);
}

static int fw_dns_redirect(struct berth_fw_batch *b, bool add, const struct berth_ip *gw,
			   uint16_t port)
{
	static const uint8_t protos[2] = { IPPROTO_UDP, IPPROTO_TCP };
	const char *map;
	uint8_t keys[2][24], data[20];
	struct fw_elem e[2];
	char g[BERTH_IP_STRLEN + 16], detail[2 * sizeof(g) + 32];
	int r;

	if (!b || !gw || !fw_ip_family_ok(gw) || berth_ip_is_unspecified(gw) ||
	    berth_ip_is_multicast(gw) || port == 0)
		return -EINVAL;
	if (port == 53)
		return 0; /* nothing to redirect */
	if (b->n_pf_elems + 2 > BERTH_FW_MAX_PORTMAP_ELEMS)
		return -E2BIG;

	map = fw_pf_map(gw->family, false);
	uint32_t dlen = fw_pf_data(data, gw, port);
	for (int i = 0; i < 2; i++)
		e[i] = (struct fw_elem){ .key = keys[i],
					 .key_len = fw_pf_key(keys[i], gw, false, protos[i], 53),
					 .data = data,
					 .data_len = dlen };

	fw_fmt_endpoint(gw, 53, 1, g, sizeof(g));
	snprintf(detail, sizeof(detail), "dns udp+tcp %s -> port %u", g, port);
	r = fw_cmd_elems_each(b, add, 0, map, e, 2, 2, detail);
	if (r >= 0)
		b->n_pf_elems += 2;
	return r;
}

int berth_fw_batch_add_dns_redirect(struct berth_fw_batch *b, const struct berth_ip *gateway,
				    uint16_t port)
{
	return fw_dns_redirect(b, true, gateway, port);
}

int berth_fw_batch_del_dns_redirect(struct berth_fw_batch *b, const struct berth_ip *gateway,
				    uint16_t port)
{
	return fw_dns_redirect(b, false, gateway, port);
}

int berth_fw_flush_udp(const struct berth_fw_portmap *pm, size_t n, uint16_t *ret_failed_port)
{
	int first = 0, total = 0;

	for (size_t i = 0; i < n; i++) {
		if (pm[i].protocol != IPPROTO_UDP)
			continue;
		int r = berth_conntrack_flush_dport(NULL, pm[i].host_ip.family, IPPROTO_UDP,
						    pm[i].host_port,
						    (uint16_t)(pm[i].host_port + pm[i].range - 1));
		if (r < 0 && first == 0) {
			first = r;
			if (ret_failed_port)
				*ret_failed_port = pm[i].host_port;
		} else if (r > 0) {
			total += r;
		}
	}
	return first < 0 ? first : total;
}
