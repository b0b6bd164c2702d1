/* SPDX-License-Identifier: Apache-2.0 */
/* The setup result: netavark's StatusBlock map, one JSON line on stdout. */
#pragma once

#include "net/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nv_status_subnet {
	struct berth_ipnet ipnet; /* container address with the subnet's prefix length */
	struct berth_ip gateway;  /* family 0 = null */
};

struct nv_status_net {
	const char *name;            /* network name (key of the map) */
	const char *const *dns_search_domains;
	size_t n_dns_search_domains;
	const struct berth_ip *dns_server_ips;
	size_t n_dns_server_ips;
	bool has_interface;          /* false: "interfaces": {} */
	char ifname[16];
	uint8_t mac[6];
	struct nv_status_subnet subnets[32];
	size_t n_subnets;
};

/*
 * {"<net>":{"dns_search_domains":[...],"dns_server_ips":[...],
 *  "interfaces":{"eth0":{"mac_address":"..","subnets":[{"gateway":..,"ipnet":..}]}}},...}
 * Keys in netavark's order. Returns a malloc'd string without newline, NULL on ENOMEM.
 */
char *nv_status_to_json(const struct nv_status_net *nets, size_t n);

/*
 * An error in netavark's words: the context chain, then the root errno as
 * netavark prints it ("IO error: <strerror> (os error N)", "Netlink error:
 * ..."). Malloc'd; NULL on ENOMEM.
 */
struct berth_error;
char *nv_error_text(const struct berth_error *e);

/* {"error":"<msg>"} compact, malloc'd; NULL on ENOMEM. */
char *nv_error_to_json(const char *msg);
