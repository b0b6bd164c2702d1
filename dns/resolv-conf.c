// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: resolv.conf's nameserver lines, with IPv6 zones (see resolve.h).
 */
#include "resolve.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

static bool zone_ok(const char *z, size_t n)
{
	if (n == 0 || n >= BERTH_IFNAMSIZ)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '%')
			return false;
	}
	return true;
}

int dns_parse_nameservers(const char *buf, size_t len, struct dns_nameserver *ret, size_t max)
{
	size_t pos = 0, count = 0;

	if (!buf && len)
		return -EINVAL;
	if (max > DNS_MAX_UPSTREAMS)
		max = DNS_MAX_UPSTREAMS;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);

		/* Comments run from '#' or ';' to the end of the line. */
		for (size_t i = 0; i < n; i++)
			if (line[i] == '#' || line[i] == ';') {
				n = i;
				break;
			}
		/* Tokens separated by blanks. */
		const char *tok[3];
		size_t tlen[3], nt = 0, i = 0;
		bool nul = false;
		while (i < n) {
			while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
				i++;
			if (i >= n)
				break;
			size_t s = i;
			while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
				if (line[i] == '\0')
					nul = true;
				i++;
			}
			if (nt < 3) {
				tok[nt] = line + s;
				tlen[nt] = i - s;
			}
			nt++;
		}
		if (nt == 0 || tlen[0] != 10 || memcmp(tok[0], "nameserver", 10) != 0)
			continue;
		if (nt != 2 || nul)
			return -EINVAL;

		char a[BERTH_IP_STRLEN];
		struct dns_nameserver ns = { 0 };
		const char *pct = memchr(tok[1], '%', tlen[1]);
		size_t alen = pct ? (size_t)(pct - tok[1]) : tlen[1];
		if (alen == 0 || alen >= sizeof(a))
			return -EINVAL;
		memcpy(a, tok[1], alen);
		a[alen] = '\0';
		if (berth_ip_parse(a, &ns.ip) < 0)
			return -EINVAL;
		if (pct) {
			size_t zlen = tlen[1] - alen - 1;
			if (ns.ip.family != AF_INET6 || !zone_ok(pct + 1, zlen))
				return -EINVAL;
			memcpy(ns.zone, pct + 1, zlen);
			ns.zone[zlen] = '\0';
			/* A number is an interface index; anything else a name (resolved later). */
			if (ns.zone[0] >= '0' && ns.zone[0] <= '9' &&
			    (berth_parse_u32(ns.zone, &ns.scope_id) < 0 || ns.scope_id == 0))
				return -EINVAL;
		}
		if (count < max && ret)
			ret[count] = ns;
		if (count < max)
			count++;
	}
	return (int)count;
}

int dns_parse_resolv_conf(const char *buf, size_t len, struct berth_ip *ret, size_t max)
{
	struct dns_nameserver ns[DNS_MAX_UPSTREAMS];
	int r = dns_parse_nameservers(buf, len, ns, max);

	for (int i = 0; ret && i < r; i++)
		ret[i] = ns[i].ip;
	return r;
}

int dns_nameserver_resolve_zone(struct dns_nameserver *ns)
{
	unsigned idx;

	if (!ns)
		return -EINVAL;
	if (ns->zone[0] == '\0' || ns->scope_id != 0)
		return 0;
	/* #syscalls socket ioctl close (if_nametoindex: SIOCGIFINDEX on a scratch socket) */
	idx = if_nametoindex(ns->zone);
	if (idx == 0)
		return errno == ENODEV || errno == 0 ? -ENODEV : -errno;
	ns->scope_id = idx;
	return 0;
}
