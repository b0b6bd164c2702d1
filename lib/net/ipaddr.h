/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP addresses, prefixes, MAC addresses and interface names: parsing,
 * formatting and the few set operations the drivers need. libc only.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BERTH_IFNAMSIZ 16 /* IFNAMSIZ: 15 bytes + NUL */
#define BERTH_IP_STRLEN 46  /* INET6_ADDRSTRLEN */
#define BERTH_IPNET_STRLEN 50

struct berth_ip {
	int family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	};
};

struct berth_ipnet {
	struct berth_ip ip;  /* address as written (host bits may be set) */
	unsigned prefixlen;  /* 0..32 or 0..128 */
};

static inline size_t berth_ip_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ip += 1; returns false (and leaves ip wrapped to zero) on overflow. */
static inline bool berth_ip_inc(struct berth_ip *ip)
{
	for (size_t i = berth_ip_len(ip->family); i-- > 0;)
		if (++ip->b[i] != 0)
			return true;
	return false;
}

/* ip -= 1; returns false on underflow. */
static inline bool berth_ip_dec(struct berth_ip *ip)
{
	for (size_t i = berth_ip_len(ip->family); i-- > 0;)
		if (ip->b[i]-- != 0)
			return true;
	return false;
}

/* "10.89.1.2", "fd10::2". -EINVAL on anything else (no prefix, no zone). */
int berth_ip_parse(const char *s, struct berth_ip *ret);
/* "10.89.1.0/24". A missing prefix is an error. */
int berth_ipnet_parse(const char *s, struct berth_ipnet *ret);
/* Writes into buf of BERTH_IP_STRLEN / BERTH_IPNET_STRLEN bytes and returns buf. */
const char *berth_ip_fmt(const struct berth_ip *ip, char *buf);
const char *berth_ipnet_fmt(const struct berth_ipnet *net, char *buf);

bool berth_ip_equal(const struct berth_ip *a, const struct berth_ip *b);
/* The network address: host bits cleared. */
void berth_ipnet_network(const struct berth_ipnet *net, struct berth_ipnet *ret);
/* Last address of the prefix (broadcast for v4). */
void berth_ipnet_last(const struct berth_ipnet *net, struct berth_ip *ret);
bool berth_ipnet_contains(const struct berth_ipnet *net, const struct berth_ip *ip);
/* True when the two prefixes share at least one address. */
bool berth_ipnet_overlaps(const struct berth_ipnet *a, const struct berth_ipnet *b);
bool berth_ip_is_multicast(const struct berth_ip *ip);
bool berth_ip_is_unspecified(const struct berth_ip *ip);

/* "aa:bb:cc:dd:ee:ff" or "aa-bb-...": exactly 6 bytes of two hex digits. */
int berth_mac_parse(const char *s, uint8_t ret[6]);

/* Why berth_mac_parse_groups() refused a string (the first problem found). */
enum berth_mac_error {
	BERTH_MAC_EMPTY_GROUP,     /* "aa::bb...", a leading or trailing separator */
	BERTH_MAC_BAD_DIGIT,       /* a character that is neither hex nor ':' / '-' */
	BERTH_MAC_GROUP_TOO_LARGE, /* a group above 0xff */
	BERTH_MAC_LENGTH,          /* not 6 groups */
};
/*
 * netavark's grammar: groups of hex digits separated by ':' or '-' (mixed
 * allowed), each group's value <= 0xff ("a:b:c:d:e:f" is fine, so is "00ff");
 * groups past the sixth are not examined, only counted. -EINVAL with the
 * reason in *ret_why (may be NULL).
 */
int berth_mac_parse_groups(const char *s, uint8_t ret[6], enum berth_mac_error *ret_why);
const char *berth_mac_fmt(const uint8_t mac[6], char buf[18]);

/* Linux interface name rules: 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
bool berth_ifname_valid(const char *name);

/* "tcp", "udp", "sctp" for IPPROTO_TCP/UDP/SCTP; NULL for anything else. */
const char *berth_l4proto_name(int proto);

/* Strict unsigned parsers (no sign, no whitespace, no trailing garbage, in range). */
int berth_parse_u32(const char *s, uint32_t *ret);
int berth_parse_bool(const char *s, bool *ret); /* "true"/"false" (also 1/0, yes/no) */
