/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What portmap, firewall and nat share: one attachment's elements in berth's
 * `inet berth` table (lib/nft/firewall.h), kept in a state record
 * (lib/state/record.h) of owner "cni-<plugin>" and id "<containerID>-<ifname>",
 * all under berth's host-wide lock.
 *
 *   ADD    validate, then one transaction: the table if missing, the
 *          attachment's port forwards and elements; the record is written
 *          pending before the commit and final after it (firewall-reload of
 *          berth-net restores committed records of every owner). A host port
 *          someone else forwards fails with the owner named. Any failure
 *          leaves nothing (undo log).
 *   DEL    removes exactly what the record names (missing is fine), then the
 *          record; no record = nothing to do. Needs no netns.
 *   CHECK  every element the config asks for is in the kernel (and map data
 *          points at the container).
 *   GC     one transaction removing the elements of every record of this
 *          network whose attachment is not in cni.dev/valid-attachments.
 *
 * Elements shared between attachments (an ingress policy's bridge elements)
 * are removed only when no other record of the same owner names them.
 */
#pragma once

#include "cni.h"
#include "nft/firewall.h"

#include <stdbool.h>
#include <stddef.h>

/* berth's code for "a host port is already forwarded" (docs/cni.md). */
#define CNI_ERR_BERTH_PORT_CONFLICT 110

#define CNI_FW_MAX_ELEMS 64

struct cni_fw_attach {
	const char *owner;	     /* "cni-portmap", "cni-firewall", "cni-nat" */
	struct berth_fw_portmap *pm; /* port forwards */
	int *pm_tags;		     /* per forward: index in runtimeConfig.portMappings */
	size_t n_pm;
	struct berth_fw_elem el[CNI_FW_MAX_ELEMS];
	size_t n_el;
};

/* "<containerID>-<ifname>" into buf. */
int cni_fw_id(const struct cni_request *req, char *buf, size_t size);

/*
 * The container's addresses as portmap and firewall see them: the first IPv4
 * and first IPv6 address (all addresses when `all`) of prevResult whose
 * interface is CNI_IFNAME with a sandbox (addresses without an interface
 * index count too). Returns the count.
 */
size_t cni_fw_container_ips(const struct cni_request *req, bool all, struct berth_ipnet *ret,
			    size_t max);

int cni_fw_add(const struct cni_request *req, const struct cni_fw_attach *a,
	       struct cni_error **reterr);
int cni_fw_del(const struct cni_request *req, const char *owner, struct cni_error **reterr);
int cni_fw_check(const struct cni_request *req, const struct cni_fw_attach *a,
		 struct cni_error **reterr);
int cni_fw_gc(const struct cni_request *req, const char *owner, struct cni_error **reterr);
/* STATUS: berth's table can be queried (code 50 otherwise). */
int cni_fw_status(struct cni_request *req, struct cni_error **reterr);
