// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: the UDP path. Queries are read and answered in batches
 * (recvmmsg/sendmmsg); forwarded ones are answered later by forward.c.
 */
#include "server-internal.h"

#include "basic/log.h"

#include <errno.h>
#include <sys/socket.h>

/*
 * UDP queries are read and answered in batches: one recvmmsg() takes up to
 * UDP_BATCH queued queries and one sendmmsg() sends their answers, instead of
 * two syscalls per query. The buffers are static; only the bytes a datagram
 * really uses are ever touched.
 */
#define UDP_BATCH 16
static uint8_t udp_in_batch[UDP_BATCH][DNS_MAX_UDP];
static uint8_t udp_out_batch[UDP_BATCH][DNS_MAX_UDP];

void udp_readable(struct server *s, struct listener *l)
{
	for (int round = 0; round < UDP_BURST / UDP_BATCH && l->udp_fd >= 0; round++) {
		struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
		struct iovec iin[UDP_BATCH], iout[UDP_BATCH];
		struct sockaddr_storage sa[UDP_BATCH];
		int n, n_out = 0;

		for (int i = 0; i < UDP_BATCH; i++) {
			iin[i] = (struct iovec){ .iov_base = udp_in_batch[i], .iov_len = DNS_MAX_UDP };
			in[i] = (struct mmsghdr){ .msg_hdr = {
							  .msg_name = &sa[i],
							  .msg_namelen = sizeof(sa[i]),
							  .msg_iov = &iin[i],
							  .msg_iovlen = 1,
						  } };
		}
		/* #syscalls recvmmsg */
		n = recvmmsg(l->udp_fd, in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_debug("recvmmsg: %m");
			return;
		}
		for (int i = 0; i < n; i++) {
			struct fwd tmpl = { .tcp = false, .listener_id = l->id };
			struct dns_upstreams ups = { 0 };
			struct berth_ip src;
			size_t olen = 0, len = in[i].msg_len;
			const uint8_t *q = udp_in_batch[i];

			if (in[i].msg_hdr.msg_namelen > sizeof(tmpl.sa))
				continue;
			memcpy(&tmpl.sa, &sa[i], in[i].msg_hdr.msg_namelen);
			tmpl.salen = in[i].msg_hdr.msg_namelen;
			ip_from_sa(&tmpl.sa, &src);
			switch (server_answer(s, &src, l->network, false, q, len, &olen, &ups)) {
			case DNS_REPLY:
				break;
			case DNS_FORWARD:
				(void)forward_start(s, &tmpl, &ups, q, len, &olen);
				break;
			case DNS_DROP:
				olen = 0;
				break;
			}
			if (olen == 0 || olen > DNS_MAX_UDP)
				continue;
			memcpy(udp_out_batch[n_out], s->resp, olen);
			iout[n_out] = (struct iovec){ .iov_base = udp_out_batch[n_out], .iov_len = olen };
			out[n_out] = (struct mmsghdr){ .msg_hdr = {
							       .msg_name = &sa[i],
							       .msg_namelen = tmpl.salen,
							       .msg_iov = &iout[n_out],
							       .msg_iovlen = 1,
						       } };
			n_out++;
		}
		/* UDP: a reply the socket cannot take now is lost, as with sendto(). */
		if (n_out > 0)
			/* #syscalls sendmmsg */
			(void)sendmmsg(l->udp_fd, out, (unsigned)n_out, MSG_DONTWAIT);
		if (n < UDP_BATCH)
			return; /* the socket is drained */
	}
}
