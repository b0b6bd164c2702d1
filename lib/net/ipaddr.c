// SPDX-License-Identifier: Apache-2.0
#include "ipaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int berth_ip_parse(const char *s, struct berth_ip *ret)
{
	struct berth_ip ip = { 0 };

	if (!s || !*s || strlen(s) >= BERTH_IP_STRLEN)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, &ip.v6) != 1)
			return -EINVAL;
		ip.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, &ip.v4) != 1)
			return -EINVAL;
		ip.family = AF_INET;
	}
	*ret = ip;
	return 0;
}

int berth_ipnet_parse(const char *s, struct berth_ipnet *ret)
{
	char buf[BERTH_IPNET_STRLEN];
	struct berth_ipnet net = { 0 };
	uint32_t plen;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (berth_ip_parse(buf, &net.ip) < 0)
		return -EINVAL;
	if (berth_parse_u32(slash + 1, &plen) < 0 || plen > berth_ip_len(net.ip.family) * 8)
		return -EINVAL;
	net.prefixlen = plen;
	*ret = net;
	return 0;
}

const char *berth_ip_fmt(const struct berth_ip *ip, char *buf)
{
	if (!ip || (ip->family != AF_INET && ip->family != AF_INET6) ||
	    !inet_ntop(ip->family, ip->b, buf, BERTH_IP_STRLEN))
		strcpy(buf, "<none>");
	return buf;
}

const char *berth_ipnet_fmt(const struct berth_ipnet *net, char *buf)
{
	char ip[BERTH_IP_STRLEN];
	snprintf(buf, BERTH_IPNET_STRLEN, "%s/%u", berth_ip_fmt(&net->ip, ip), net->prefixlen);
	return buf;
}

bool berth_ip_equal(const struct berth_ip *a, const struct berth_ip *b)
{
	return a->family == b->family && memcmp(a->b, b->b, berth_ip_len(a->family)) == 0;
}

static void mask_bytes(uint8_t *b, size_t len, unsigned prefixlen, bool set_host)
{
	for (size_t i = 0; i < len; i++) {
		unsigned bit0 = (unsigned)i * 8;
		uint8_t mask;
		if (prefixlen >= bit0 + 8)
			mask = 0xff;
		else if (prefixlen <= bit0)
			mask = 0;
		else
			mask = (uint8_t)(0xff << (8 - (prefixlen - bit0)));
		b[i] = set_host ? (uint8_t)(b[i] | ~mask) : (uint8_t)(b[i] & mask);
	}
}

void berth_ipnet_network(const struct berth_ipnet *net, struct berth_ipnet *ret)
{
	*ret = *net;
	mask_bytes(ret->ip.b, berth_ip_len(net->ip.family), net->prefixlen, false);
}

void berth_ipnet_last(const struct berth_ipnet *net, struct berth_ip *ret)
{
	*ret = net->ip;
	mask_bytes(ret->b, berth_ip_len(net->ip.family), net->prefixlen, true);
}

bool berth_ipnet_contains(const struct berth_ipnet *net, const struct berth_ip *ip)
{
	struct berth_ipnet a, b;
	if (net->ip.family != ip->family)
		return false;
	berth_ipnet_network(net, &a);
	b.ip = *ip;
	b.prefixlen = net->prefixlen;
	berth_ipnet_network(&b, &b);
	return berth_ip_equal(&a.ip, &b.ip);
}

bool berth_ipnet_overlaps(const struct berth_ipnet *a, const struct berth_ipnet *b)
{
	if (a->ip.family != b->ip.family)
		return false;
	return a->prefixlen <= b->prefixlen ? berth_ipnet_contains(a, &b->ip)
					    : berth_ipnet_contains(b, &a->ip);
}

bool berth_ip_is_multicast(const struct berth_ip *ip)
{
	if (ip->family == AF_INET)
		return (ip->b[0] & 0xf0) == 0xe0;
	return ip->b[0] == 0xff;
}

bool berth_ip_is_unspecified(const struct berth_ip *ip)
{
	static const uint8_t zero[16];
	return memcmp(ip->b, zero, berth_ip_len(ip->family)) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int berth_mac_parse_groups(const char *s, uint8_t ret[6], enum berth_mac_error *ret_why)
{
	enum berth_mac_error why = BERTH_MAC_LENGTH;
	uint8_t mac[6];
	size_t n = 0;
	const char *p = s;

	if (!s)
		goto fail;
	/* Bounded by the string: every round consumes a group and its separator. */
	for (;;) {
		size_t len = strcspn(p, ":-");
		if (n < 6) {
			unsigned v = 0;
			if (len == 0) {
				why = BERTH_MAC_EMPTY_GROUP;
				goto fail;
			}
			for (size_t i = 0; i < len; i++) {
				int d = hexval(p[i]);
				if (d < 0) {
					why = BERTH_MAC_BAD_DIGIT;
					goto fail;
				}
				v = v * 16 + (unsigned)d;
				if (v > 0xff) {
					why = BERTH_MAC_GROUP_TOO_LARGE;
					goto fail;
				}
			}
			mac[n] = (uint8_t)v;
		}
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	if (n != 6)
		goto fail;
	memcpy(ret, mac, 6);
	return 0;
fail:
	if (ret_why)
		*ret_why = why;
	return -EINVAL;
}

int berth_mac_parse(const char *s, uint8_t ret[6])
{
	/* The canonical form: two hex digits per byte, one separator throughout. */
	if (!s || strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (s[i * 3 + 2] != s[2])
			return -EINVAL;
	return berth_mac_parse_groups(s, ret, NULL);
}

const char *berth_mac_fmt(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

bool berth_ifname_valid(const char *name)
{
	size_t n;
	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n >= BERTH_IFNAMSIZ)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	return true;
}

int berth_parse_u32(const char *s, uint32_t *ret)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int berth_parse_bool(const char *s, bool *ret)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) {
		*ret = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

const char *berth_l4proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		return NULL;
	}
}
