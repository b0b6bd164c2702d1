// SPDX-License-Identifier: Apache-2.0
/*
 * The setup result (netavark's StatusBlock map) and the {"error": ...} object,
 * both as one compact JSON line. Keys are added in netavark's order; jansson
 * keeps insertion order when dumping.
 */
#include "status.h"

#include "basic/cleanup.h"
#include "basic/error.h"

#include <stdio.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>


static const int dump_flags = JSON_COMPACT | JSON_PRESERVE_ORDER;

/* Returns 0, or -1 on ENOMEM. Takes the reference to v in every case. */
static int append_new(json_t *arr, json_t *v)
{
	return v ? json_array_append_new(arr, v) : -1;
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	return v ? json_object_set_new(obj, key, v) : -1;
}

static json_t *ip_json(const struct berth_ip *ip)
{
	char buf[BERTH_IP_STRLEN];
	if (!ip->family)
		return json_null();
	return json_string(berth_ip_fmt(ip, buf));
}

static json_t *net_json(const struct nv_status_net *n)
{
	_cleanup_(json_decrefp) json_t *o = json_object();
	json_t *domains, *servers, *ifaces;

	/* set_new() consumes each value even on failure; create them one by one. */
	if (!o || set_new(o, "dns_search_domains", domains = json_array()) < 0 ||
	    set_new(o, "dns_server_ips", servers = json_array()) < 0 ||
	    set_new(o, "interfaces", ifaces = json_object()) < 0)
		return NULL;
	for (size_t i = 0; i < n->n_dns_search_domains; i++)
		if (append_new(domains, json_string(n->dns_search_domains[i])) < 0)
			return NULL;
	for (size_t i = 0; i < n->n_dns_server_ips; i++)
		if (append_new(servers, ip_json(&n->dns_server_ips[i])) < 0)
			return NULL;

	if (n->has_interface) {
		char mac[18];
		json_t *iface, *subnets;
		if (set_new(ifaces, n->ifname, iface = json_object()) < 0 ||
		    set_new(iface, "mac_address", json_string(berth_mac_fmt(n->mac, mac))) < 0 ||
		    set_new(iface, "subnets", subnets = json_array()) < 0)
			return NULL;
		for (size_t i = 0; i < n->n_subnets && i < ARRAY_SIZE(n->subnets); i++) {
			char buf[BERTH_IPNET_STRLEN];
			json_t *s;
			if (append_new(subnets, s = json_object()) < 0 ||
			    set_new(s, "gateway", ip_json(&n->subnets[i].gateway)) < 0 ||
			    set_new(s, "ipnet",
				    json_string(berth_ipnet_fmt(&n->subnets[i].ipnet, buf))) < 0)
				return NULL;
		}
	}
	return TAKE_PTR(o);
}

char *nv_status_to_json(const struct nv_status_net *nets, size_t n)
{
	_cleanup_(json_decrefp) json_t *root = json_object();
	if (!root)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (set_new(root, nets[i].name, net_json(&nets[i])) < 0)
			return NULL;
	return json_dumps(root, dump_flags);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A copy of s with invalid UTF-8 replaced by U+FFFD (like Rust's from_utf8_lossy). */
static char *utf8_lossy(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (l == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return out;
}

char *nv_error_to_json(const char *msg)
{
	_cleanup_free_ char *clean = utf8_lossy(msg ? msg : "");
	if (!clean)
		return NULL;
	_cleanup_(json_decrefp) json_t *root = json_object();
	if (!root || set_new(root, "error", json_string(clean)) < 0)
		return NULL;
	return json_dumps(root, dump_flags);
}

char *nv_error_text(const struct berth_error *e)
{
	const char *how;
	char *s = NULL;

	if (!e)
		return strdup("unknown error");
	switch (e->kind) {
	case BERTH_ERR_IO:
		how = "IO error: ";
		break;
	case BERTH_ERR_NETLINK:
		how = "Netlink error: ";
		break;
	case BERTH_ERR_PLAIN:
		how = "";
		break;
	default:
		return strdup(e->msg);
	}
	int r = e->kind == BERTH_ERR_PLAIN
			? asprintf(&s, "%s%s%s", e->msg, e->msg[0] ? ": " : "", strerror(e->errnum))
			: asprintf(&s, "%s%s%s%s (os error %d)", e->msg, e->msg[0] ? ": " : "", how,
				   strerror(e->errnum), e->errnum);
	return r < 0 ? NULL : s;
}
