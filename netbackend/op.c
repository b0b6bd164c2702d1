// SPDX-License-Identifier: Apache-2.0
#include "op.h"

#include "basic/rundir.h"

#include <errno.h>

int nv_open_netns(const char *path, struct berth_netns **ret, struct berth_error **reterr)
{
	int r = berth_netns_open_path(path, ret);
	if (r == -EINVAL)
		return berth_error_set(reterr, EINVAL,
				       "invalid namespace path: %s is not a network namespace", path);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "invalid namespace path");
	return 0;
}

int nv_lock_host(struct berth_error **reterr)
{
	int r = berth_lock_host(BERTH_LOCK_TIMEOUT_MS);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to take berth's lock");
	return r;
}
