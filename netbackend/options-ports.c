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
	char p[NV_PATH_MAX];
	int r = nv_json_get_array(root, "port_mappings", "", NV_MAX_PORT_MAPPINGS, &arr, reterr);
	if (r < 0 || !arr || json_array_size(arr) == 0)
		return r;

	o->port_mappings = calloc(json_array_size(arr), sizeof(*o->port_mappings));
	if (!o->port_mappings)
		return nv_oom(reterr);
	o->n_port_mappings = json_array_size(arr);

	for (size_t i = 0; i < o->n_port_mappings; i++) {
		const json_t *pm = json_array_get(arr, i);
		struct nv_port_mapping *m = &o->port_mappings[i];
		const char *host_ip = NULL, *proto = NULL;
		json_int_t cport = 0, hport = 0, range = 0;

		nv_pathf(p, "port_mappings[%zu]", i);
		if (!json_is_object(pm))
			return nv_load_error(reterr,
					     "invalid type at `%s`: expected an object, got %s", p,
					     nv_json_type_name(pm));
		if ((r = nv_json_get_uint(pm, "container_port", p, true, UINT16_MAX, &cport, NULL,
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

/* Port mappings, semantically (after decoding, with the netavark texts). */
int nv_ports_validate(const json_t *root, struct nv_options *o, struct berth_error **reterr)
{
	const json_t *arr = json_object_get(root, "port_mappings");
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

		if ((unsigned)m->host_port + m->range > 65536u)
			return berth_error_set(reterr, EINVAL,
					       "invalid port range for port %u: host port %u + range %u exceeds 65535",
					       m->host_port, m->host_port, m->range - 1u);
		if ((unsigned)m->container_port + m->range > 65536u)
			return berth_error_set(reterr, EINVAL,
					       "invalid port range for port %u: container port %u + range %u exceeds 65535",
					       m->host_port, m->container_port, m->range - 1u);
	}
	return 0;
}
