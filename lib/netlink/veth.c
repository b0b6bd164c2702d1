// SPDX-License-Identifier: Apache-2.0
/* veth pairs: one RTM_NEWLINK, the peer born in its namespace. */
#include "nl-util.h"
#include "link-internal.h"

#include "basic/log.h"

#include <linux/if.h>
#include <stdio.h>
#include <string.h>

int berth_veth_create(struct berth_netns *ns, const struct berth_veth_spec *spec,
		      int *ret_host_ifindex, char *ret_host_name, int *ret_peer_ifindex,
		      bool *ret_conflict_peer)
{
	struct link_created c;
	char name[IFNAMSIZ];
	int r;

	if (!spec || !spec->peer_ns)
		return -EINVAL;
	if (spec->host_name && (!*spec->host_name || strlen(spec->host_name) >= IFNAMSIZ))
		return -EINVAL;

	/* A generated name that happens to exist gets a few more draws. */
	for (unsigned attempt = 0;; attempt++) {
		_cleanup_nl_msg_ struct nl_msg *msg = NULL;

		if (spec->host_name)
			snprintf(name, sizeof(name), "%s", spec->host_name);
		else {
			r = link_gen_veth_name(name);
			if (r < 0)
				return r;
		}
		r = link_build_veth(spec, name, &msg);
		if (r < 0)
			return r;
		r = link_create(ns, msg, name, &c);
		if (r != -EEXIST)
			break;

		/* Which name is taken? The peer is created first, so look there. */
		bool peer_taken = berth_link_get(spec->peer_ns, spec->peer_name, NULL) >= 0;
		if (!peer_taken && !spec->host_name && attempt < 3)
			continue;
		if (ret_conflict_peer)
			*ret_conflict_peer = peer_taken;
		return -EEXIST;
	}
	if (r < 0)
		return r;
	log_debug("created veth '%s' with peer '%s'", name, spec->peer_name);
	/* From here on the pair exists: its name is reported whatever happens. */
	if (ret_host_name)
		memcpy(ret_host_name, name, strlen(name) + 1);

	int host_ifindex = 0, peer_ifindex = 0;
	if (ret_host_ifindex) {
		r = link_created_ifindex(ns, name, &c, &host_ifindex);
		if (r < 0)
			return r;
	}
	if (ret_peer_ifindex) {
		if (c.echoed && c.link > 0)
			peer_ifindex = c.link; /* IFLA_LINK: the peer's index in its namespace */
		else {
			r = link_ifindex(spec->peer_ns, spec->peer_name, &peer_ifindex);
			if (r < 0)
				/* Deleting the host end deletes the pair. */
				return link_undo_create(ns, name, r);
		}
	}
	if (ret_host_ifindex)
		*ret_host_ifindex = host_ifindex;
	if (ret_peer_ifindex)
		*ret_peer_ifindex = peer_ifindex;
	if (ret_conflict_peer)
		*ret_conflict_peer = false;
	return 0;
}
