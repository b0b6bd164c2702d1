// SPDX-License-Identifier: Apache-2.0
/* berth-net update: the upstream DNS servers of a network (dns.c does the work). */
#include "commands.h"
#include "dns.h"

int nv_cmd_update(const struct nv_ctx *ctx, const char *network, const struct berth_ip *dns,
		  size_t n_dns, struct berth_error **reterr)
{
	return nv_dns_update(ctx, network, dns, n_dns, reterr);
}
