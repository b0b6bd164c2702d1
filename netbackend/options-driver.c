// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkOptions: a network's `options` map ({string: string}), validated per
 * driver. The values are strings that netavark parses with Rust's
 * str::parse(), so the integer and boolean errors carry Rust's texts:
 * "unable to parse \"<name>\": <why>".
 */
#include "options-internal.h"

#include "basic/cleanup.h"
#include "netlink/netlink.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* --- small parsers with Rust's error texts ----------------------------------- */

/* str::parse::<u64-ish>() for an unsigned type with the given max. */
static const char *parse_rust_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v = 0;
	if (*s == '+')
		s++;
	if (!*s)
		return "cannot parse integer from empty string";
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return "invalid digit found in string";
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return "number too large to fit in target type";
		v = v * 10 + d;
	}
	*ret = v;
	return NULL;
}

static const char *parse_rust_i32(const char *s, int32_t *ret)
{
	unsigned long long v;
	bool neg = *s == '-';
	if (neg) {
		s++;
		if (*s == '+' || !*s)
			return "invalid digit found in string";
	}
	const char *e = parse_rust_uint(s, neg ? 2147483648ULL : 2147483647ULL, &v);
	if (e)
		return neg && strstr(e, "too large") ? "number too small to fit in target type" : e;
	*ret = neg ? (int32_t)(-(long long)v) : (int32_t)v;
	return NULL;
}

/* options.<name> as u32 / u16 / bool: "unable to parse \"<name>\": <why>". */
static int opt_u32(const json_t *opts, const char *name, unsigned long long max, uint32_t *ret,
		   bool *has, struct berth_error **reterr)
{
	const char *s = nv_json_map_get(opts, name);
	unsigned long long v;
	if (!s)
		return 0;
	const char *e = parse_rust_uint(s, max, &v);
	if (e)
		return berth_error_set(reterr, EINVAL, "unable to parse \"%s\": %s", name, e);
	*ret = (uint32_t)v;
	if (has)
		*has = true;
	return 0;
}

static int opt_bool(const json_t *opts, const char *name, bool *ret, struct berth_error **reterr)
{
	const char *s = nv_json_map_get(opts, name);
	if (!s)
		return 0;
	if (streq(s, "true"))
		*ret = true;
	else if (streq(s, "false"))
		*ret = false;
	else
		return berth_error_set(reterr, EINVAL,
				       "unable to parse \"%s\": provided string was not `true` or `false`",
				       name);
	return 0;
}

/* --- per driver ------------------------------------------------------------------ */

int nv_driver_options_validate(struct nv_network *net, const json_t *opts,
			       struct berth_error **reterr)
{
	const char *s;
	uint32_t vlan = 0;
	bool has_vlan = false;
	int r;

	net->metric = net->driver == NV_DRIVER_BRIDGE ? 100 : 99;
	net->vlan = -1;

	if ((r = opt_u32(opts, "mtu", UINT32_MAX, &net->mtu, NULL, reterr)) < 0 ||
	    (r = opt_u32(opts, "metric", UINT32_MAX, &net->metric, NULL, reterr)) < 0 ||
	    (r = opt_bool(opts, "no_default_route", &net->no_default_route, reterr)) < 0)
		return r;

	if (net->driver == NV_DRIVER_BRIDGE) {
		s = nv_json_map_get(opts, "mode");
		if (!s || !*s || streq(s, "managed"))
			net->unmanaged = false;
		else if (streq(s, "unmanaged"))
			net->unmanaged = true;
		else
			return berth_error_set(reterr, EINVAL, "invalid bridge mode \"%s\"", s);

		s = nv_json_map_get(opts, "isolate");
		if (!s || streq(s, "false"))
			net->isolate = NV_ISOLATE_FALSE;
		else if (streq(s, "true"))
			net->isolate = NV_ISOLATE_TRUE;
		else if (streq(s, "strict"))
			net->isolate = NV_ISOLATE_STRICT;
		else
			return berth_error_set(reterr, EINVAL, "invalid isolate option \"%s\"", s);

		if ((r = opt_u32(opts, "vlan", UINT16_MAX, &vlan, &has_vlan, reterr)) < 0)
			return r;
		if (has_vlan) {
			if (vlan > 4094)
				return berth_error_set(reterr, EINVAL,
						       "vlan must be between 0 and 4094");
			net->vlan = (int)vlan;
		}

		s = nv_json_map_get(opts, "vrf");
		if (s) {
			if ((r = nv_check_ifname("vrf name", s, reterr)) < 0)
				return r;
			if (!(net->vrf = strdup(s)))
				return nv_oom(reterr);
		}
		return 0;
	}

	s = nv_json_map_get(opts, "mode");
	if (net->driver == NV_DRIVER_MACVLAN) {
		net->mode = BERTH_MACVLAN_BRIDGE;
		if (s && *s && (net->mode = berth_macvlan_mode_from_string(s)) < 0)
			return berth_error_set(reterr, EINVAL, "invalid macvlan mode \"%s\"", s);
	} else {
		net->mode = BERTH_IPVLAN_L2;
		if (s && *s && (net->mode = berth_ipvlan_mode_from_string(s)) < 0)
			return berth_error_set(reterr, EINVAL, "invalid ipvlan mode \"%s\"", s);
	}

	s = nv_json_map_get(opts, "bclim");
	if (s) {
		int32_t bclim;
		const char *e = parse_rust_i32(s, &bclim);
		if (e)
			return berth_error_set(reterr, EINVAL, "unable to parse \"bclim\": %s", e);
		/* IFLA_MACVLAN_BC_CUTOFF is an s32 carried in a u32 attribute. */
		net->bclim = (uint32_t)bclim;
		net->has_bclim = true;
	}
	return 0;
}
