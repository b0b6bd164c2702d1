// SPDX-License-Identifier: Apache-2.0
/* NetworkOptions: the rules for interface names, network names and ids. */
#include "options-internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

bool nv_id_valid(const char *s, const char *forbidden)
{
	if (strlen(s) > NV_MAX_NAME || strpbrk(s, forbidden))
		return false;
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return false;
	return true;
}

bool nv_network_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NV_MAX_NAME || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

int nv_check_ifname(const char *what, const char *name, struct berth_error **reterr)
{
	if (strlen(name) >= BERTH_IFNAMSIZ)
		return berth_error_set(reterr, EINVAL, "%s \"%s\" is longer than 15 bytes", what,
				       name);
	if (!berth_ifname_valid(name))
		return berth_error_set(reterr, EINVAL, "invalid %s \"%s\"", what, name);
	return 0;
}
