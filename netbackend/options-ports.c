// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkOptions: port_mappings. Pass 1 checks the keys and the u16 ranges,
 * pass 2 the host address, the protocol and the ends of the port ranges, with
 * netavark's texts.
 */
#include "options-internal.h"

#include "basic/cleanup.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int nv_ports_decode(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const json_t *arr;
	void *mem;
	char p[NV_PATH_MAX];
	int r = nv_json_get_array_alloc(root, "port_mappings", "", NV_MAX_PORT_MAPPINGS,
					sizeof(*o->port_mappings), &arr, &mem, &o->n_port_mappings,
					reterr);
	if (r < 0)
		return r;
	o->port_mappings = mem;

	for (size_t i = 0; i < o->n_port_mappings; i++) {
		const json_t *pm = json_array_get(arr, i);
		struct nv_port_mapping *m = &o->port_mappings[i];
		const char *host_ip = NULL, *proto = NULL;
		json_int_t cport = 0, hport = 0, range = 0;

		nv_pathf(p, "port_mappings[%zu]", i);
		if ((r = nv_json_expect_object(pm, p, reterr)) < 0 ||
		    (r = nv_json_get_uint(pm, "container_port", p, true, UINT16_MAX, &cport, NULL,
					  reterr)) < 0 ||
		    (r = nv_json_get_string(pm, "host_ip", p, true, &host_ip, reterr)) < 0 ||
		    (r = nv_json_get_uint(pm, "host_port", p, true, UINT16_MAX, &hport, NULL,
					  reterr)) < 0 ||
		    (r = nv_json_get_string(pm, "protocol", p, true, &proto, reterr)) < 0 ||
		    (r = nv_json_get_uint(pm, "range", p, true, UINT16_MAX, &range, NULL,
					  reterr)) < 0)
			return r;
		m->container_port = (uint16_t)cport;
		m->host_port = (uint16_t)hport;
		m->range = range == 0 ? 1 : (uint16_t)range;
	}
	return 0;
}

/* port .. port + range - 1 must stay within 65535 (port: the host or the container end). */
static int check_range(const struct nv_port_mapping *m, const char *end, uint16_t port,
		       struct berth_error **reterr)
{
	if ((unsigned)port + m->range <= 65536u)
		return 0;
	return berth_error_set(reterr, EINVAL,
			       "invalid port range for port %u: %s port %u + range %u exceeds 65535",
			       m->host_port, end, port, m->range - 1u);
}

/* Port mappings, semantically (after decoding, with the netavark texts). */
int nv_ports_validate(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const json_t *arr = json_object_get(root, "port_mappings");
	int r;

	for (size_t i = 0; i < o->n_port_mappings; i++) {
		const json_t *pm = json_array_get(arr, i);
		struct nv_port_mapping *m = &o->port_mappings[i];
		const char *host_ip = json_string_value(json_object_get(pm, "host_ip"));
		const char *proto = json_string_value(json_object_get(pm, "protocol"));

		if (streq(host_ip, "")) {
			m->host_ip.family = 0;
		} else if (berth_ip_parse(host_ip, &m->host_ip) < 0) {
			return berth_error_set(reterr, EINVAL,
					       "invalid host ip \"%s\" provided for port %u", host_ip,
					       m->host_port);
		} else {
			m->host_ip_any = berth_ip_is_unspecified(&m->host_ip);
		}

		if (streq(proto, "tcp"))
			m->protocol = IPPROTO_TCP;
		else if (streq(proto, "udp"))
			m->protocol = IPPROTO_UDP;
		else if (streq(proto, "sctp"))
			m->protocol = IPPROTO_SCTP;
		else
			return berth_error_set(reterr, EINVAL,
					       "invalid protocol \"%s\" provided for port %u", proto,
					       m->host_port);

		if ((r = check_range(m, "host", m->host_port, reterr)) < 0 ||
		    (r = check_range(m, "container", m->container_port, reterr)) < 0)
			return r;
	}
	return 0;
}
