// SPDX-License-Identifier: Apache-2.0
/* Link deletion: one link, or several as one link-group RTM_DELLINK. */
#include "nl-util.h"
#include "link-internal.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/random.h>

int berth_link_delete(struct berth_netns *ns, int ifindex)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	if (ifindex <= 0)
		return -EINVAL;
	int r = nlu_msg_new(RTM_DELLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_delete_by_name(struct berth_netns *ns, const char *name)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	int r = link_msg_by_name(RTM_DELLINK, 0, name, &msg, NULL);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

struct group_ctx {
	uint32_t group;
	bool used;
};

static void group_reset(void *ud)
{
	((struct group_ctx *)ud)->used = false;
}

static void group_cb(struct nlattr **tb, void *ud)
{
	struct group_ctx *c = ud;
	uint32_t group;

	if (nlu_attr_u32(tb[IFLA_GROUP], &group) && group == c->group)
		c->used = true;
}

/* Is any link of ns in this group? One dump of the link table. */
static int group_in_use(struct berth_netns *ns, uint32_t group)
{
	struct group_ctx c = { .group = group };
	int r = link_dump(ns, 0, group_cb, group_reset, &c);
	return r < 0 ? r : c.used;
}

static int link_set_group(struct berth_netns *ns, int ifindex, uint32_t group)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	struct ifinfomsg *ifi;
	int r = nlu_msg_new(RTM_SETLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
	if (r < 0)
		return r;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	r = nlu_put_u32(msg, IFLA_GROUP, group);
	if (r < 0)
		return r;
	return nlu_transact(ns, msg, NULL, NULL);
}

int berth_link_delete_many(struct berth_netns *ns, const int *ifindexes, size_t n)
{
	uint32_t group = 0;
	int r;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ifindexes[i] <= 0)
			return -EINVAL;
	if (n == 1)
		return berth_link_delete(ns, ifindexes[0]);

	/* A group number no link of this namespace uses (bounded attempts). */
	for (int attempt = 0; attempt < 4 && !group; attempt++) {
		uint32_t g;
		if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g))
			break;
		g |= 0x40000000u; /* never 0, the default group, nor a small hand-picked one */
		r = group_in_use(ns, g);
		if (r < 0)
			return r;
		if (r == 0)
			group = g;
	}
	if (!group)
		goto one_by_one;

	size_t tagged = 0;
	for (size_t i = 0; i < n; i++) {
		r = link_set_group(ns, ifindexes[i], group);
		if (r == -ENODEV)
			continue; /* already gone */
		if (r < 0)
			goto one_by_one;
		tagged++;
	}
	if (tagged == 0)
		return -ENODEV;
	{
		_cleanup_nl_msg_ struct nl_msg *msg = NULL;
		struct ifinfomsg *ifi;
		r = nlu_msg_new(RTM_DELLINK, 0, sizeof(*ifi), &msg, (void **)&ifi);
		if (r < 0)
			goto one_by_one;
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = 0;
		r = nlu_put_u32(msg, IFLA_GROUP, group);
		if (r >= 0)
			r = nlu_transact(ns, msg, NULL, NULL);
		if (r >= 0)
			return 0;
	}
one_by_one:
	/* Whatever is left (a link moved back to its group keeps the number; harmless). */
	r = 0;
	for (size_t i = 0; i < n; i++) {
		int k = berth_link_delete(ns, ifindexes[i]);
		if (k < 0 && k != -ENODEV && r == 0)
			r = k;
	}
	return r;
}
