// SPDX-License-Identifier: Apache-2.0
/* Glue between the netavark network model and berth's nftables layout. */
#include "driver.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nv_fw_network(const struct nv_network *n, struct berth_ipnet *storage,
		   struct berth_fw_network *ret)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		storage[i] = n->subnets[i].subnet;
	*ret = (struct berth_fw_network){
		.bridge = n->network_interface,
		.subnets = storage,
		.n_subnets = n->n_subnets,
		.internal = n->internal,
		.isolate = n->isolate == NV_ISOLATE_STRICT ? BERTH_FW_ISOLATE_STRICT
			   : n->isolate == NV_ISOLATE_TRUE ? BERTH_FW_ISOLATE_TRUE
							   : BERTH_FW_ISOLATE_NONE,
	};
}

int nv_fw_remove_networks(const struct nv_ctx *ctx, const struct nv_network *const *nets,
			  size_t n, struct berth_error **reterr)
{
	_cleanup_(nv_fw_batch_freep) struct berth_fw_batch *b = NULL;
	_cleanup_free_ char *msg = NULL;
	char **present = NULL;
	int r;

	if (ctx->fw_driver != NV_FW_NFTABLES || n == 0)
		return 0;
	r = berth_fw_batch_new(ctx->fw_table, &b);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");

	/* When these are the last networks in the table, remove the table itself. */
	int count = berth_fw_list_bridges(ctx->fw_table, &present);
	bool last = count >= 0;
	for (int i = 0; count > 0 && i < count && last; i++) {
		bool ours = false;
		for (size_t j = 0; j < n && !ours; j++)
			ours = strcmp(present[i], nets[j]->network_interface) == 0;
		last = ours;
	}
	berth_strv_free(present);

	if (count == 0)
		return 0; /* no table, or nothing of ours in it */
	if (last) {
		r = berth_fw_batch_del_table(b);
	} else {
		struct berth_ipnet storage[NV_MAX_SUBNETS];
		r = 0;
		for (size_t j = 0; j < n && r >= 0; j++) {
			struct berth_fw_network fn;
			nv_fw_network(nets[j], storage, &fn);
			r = berth_fw_batch_del_network(b, &fn);
		}
	}
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_PLAIN, "firewall");
	r = berth_fw_commit(b, &msg);
	if (r < 0)
		return msg ? berth_error_set(reterr, r, "failed to remove firewall rules: %s", msg)
			   : berth_error_errno(reterr, r, BERTH_ERR_NETLINK,
					       "failed to remove firewall rules");
	log_debug("removed firewall state of %zu network(s)%s", n, last ? " and the table" : "");
	return 0;
}
