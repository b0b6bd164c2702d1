// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the aardvark-dns config parser (adv_parse), the writer
 * round trip, and the resolv.conf parser. Built with -Dfuzzing=true (clang) it
 * is a libFuzzer binary:
 *   build/tests/fuzz-aardvark-conf tests/fuzz/corpus/aardvark-conf
 * Otherwise tests/fuzz/replay.c replays every file of a corpus directory.
 */
#include "dnsconf/aardvark.h"
#include "resolve.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_network(const struct adv_network *n)
{
	if (n->n_listen == 0 || n->n_listen > ADV_MAX_IPS || n->n_dns > ADV_MAX_IPS)
		abort();
	for (size_t i = 0; i < n->n_containers; i++) {
		const struct adv_container *c = &n->containers[i];
		if (!c->id[0] || c->n_names == 0 || c->n_names > ADV_MAX_NAMES)
			abort();
		for (size_t k = 0; k < c->n_v4; k++)
			if (c->v4[k].family != AF_INET)
				abort();
		for (size_t k = 0; k < c->n_v6; k++)
			if (c->v6[k].family != AF_INET6)
				abort();
		for (size_t k = 0; k < c->n_names; k++) {
			size_t l = strlen(c->names[k]);
			if (l == 0 || l > ADV_MAX_NAME)
				abort();
			for (size_t j = 0; j < l; j++)
				if (c->names[k][j] >= 'A' && c->names[k][j] <= 'Z')
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adv_network *n = NULL;
	char *err = NULL;
	size_t skipped = 0;

	log_set_level(LOG_LEVEL_OFF);
	if (size > FUZZ_MAX_INPUT)
		return 0;
	int r = adv_parse("fuzz%int", (const char *)data, size, &n, &skipped, &err);
	if (r < 0) {
		if (n)
			abort();
		free(err);
	} else {
		check_network(n);
		/* Write it back and read it again: the same shape. */
		char *h = adv_format_header(n->listen, n->n_listen, n->dns, n->n_dns);
		size_t cap = 1024, len = 0;
		char *all = malloc(cap);
		if (!h || !all)
			abort();
		len = strlen(h);
		if (len + 1 > cap && !(all = realloc(all, cap = len + 1)))
			abort();
		memcpy(all, h, len);
		free(h);
		for (size_t i = 0; i < n->n_containers; i++) {
			const struct adv_container *c = &n->containers[i];
			char *l = adv_format_container(c->id, c->v4, c->n_v4, c->v6, c->n_v6,
						       (const char *const *)c->names, c->n_names,
						       c->dns, c->n_dns);
			if (!l)
				abort();
			size_t ll = strlen(l);
			if (len + ll + 1 > cap) {
				cap = (len + ll + 1) * 2;
				if (!(all = realloc(all, cap)))
					abort();
			}
			memcpy(all + len, l, ll);
			len += ll;
			free(l);
		}
		struct adv_network *n2 = NULL;
		if (adv_parse("fuzz", all, len, &n2, &skipped, NULL) < 0)
			abort();
		if (n2->n_containers != n->n_containers || n2->n_listen != n->n_listen ||
		    n2->n_dns != n->n_dns || skipped != 0)
			abort();
		adv_network_free(n2);
		free(all);
		adv_network_free(n);
	}

	struct berth_ip ns[DNS_MAX_UPSTREAMS];
	r = dns_parse_resolv_conf((const char *)data, size, ns, DNS_MAX_UPSTREAMS);
	if (r > DNS_MAX_UPSTREAMS)
		abort();
	return 0;
}
