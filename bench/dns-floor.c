/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dns-floor: the floor of the DNS benchmark (bench/dns.sh).
 *
 *   dns-floor ADDRESS PORT
 *
 * A trivial fixed-answer UDP responder: one socket, one epoll loop, and the
 * same batching as berth-dns (dns/udp.c): one recvmmsg() takes up to
 * FLOOR_BATCH queued queries and one sendmmsg() sends their answers, so the
 * berth-dns/floor ratio measures the cost of berth-dns's work per query, not
 * the syscalls the floor would spend. Every query gets the same answer, whatever it asks: its
 * own header and question back with QR, AA and RA set, and one A record
 * (name = pointer to the question, TTL 0, 10.89.0.2). No lookup, no
 * validation beyond "there is a question", no logging. What is left is the
 * cost of a datagram in and a datagram out (in batches), which no DNS server
 * can avoid.
 *
 * It runs in the foreground until SIGTERM/SIGINT (default action).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define FLOOR_BATCH 16 /* as UDP_BATCH in dns/udp.c */
#define FLOOR_BUF 4096

static const unsigned char rr[16] = {
	0xc0, 0x0c,		/* name: pointer to the question */
	0x00, 0x01, 0x00, 0x01, /* A, IN */
	0x00, 0x00, 0x00, 0x00, /* TTL 0 */
	0x00, 0x04, 10, 89, 0, 2,
};

/* Turn the query in buf (n bytes) into the answer in place; its length, 0 to drop it. */
static size_t answer(unsigned char *buf, size_t n)
{
	size_t off = 12;

	if (n < 17 || (buf[2] & 0x80) || buf[4] != 0 || buf[5] != 1)
		return 0; /* not a one-question query */
	while (off < n && buf[off] != 0 && buf[off] < 64)
		off += 1 + buf[off];
	off += 1 + 4; /* root label, type, class */
	if (off > n)
		return 0;
	buf[2] = (unsigned char)(0x80 | 0x04 | (buf[2] & 0x79)); /* QR AA, keep opcode RD */
	buf[3] = 0x80;                                            /* RA, NOERROR */
	buf[6] = 0, buf[7] = 1;                                   /* ANCOUNT 1 */
	buf[8] = buf[9] = buf[10] = buf[11] = 0;                  /* no NS, no AR */
	memcpy(buf + off, rr, sizeof(rr));
	return off + sizeof(rr);
}

int main(int argc, char **argv)
{
	static unsigned char bufs[FLOOR_BATCH][FLOOR_BUF];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, ep;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: %s IPV4-ADDRESS PORT\n", argv[0]);
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dns-floor: socket/bind");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("dns-floor: epoll");
		return 1;
	}
	for (;;) {
		struct epoll_event out;

		if (epoll_wait(ep, &out, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("dns-floor: epoll_wait");
			return 1;
		}
		for (;;) {
			struct mmsghdr in[FLOOR_BATCH], reply[FLOOR_BATCH];
			struct iovec iin[FLOOR_BATCH], iout[FLOOR_BATCH];
			struct sockaddr_storage from[FLOOR_BATCH];
			int n, n_out = 0;

			for (int i = 0; i < FLOOR_BATCH; i++) {
				iin[i] = (struct iovec){ .iov_base = bufs[i],
							 .iov_len = FLOOR_BUF - sizeof(rr) };
				in[i] = (struct mmsghdr){ .msg_hdr = {
								  .msg_name = &from[i],
								  .msg_namelen = sizeof(from[i]),
								  .msg_iov = &iin[i],
								  .msg_iovlen = 1,
							  } };
			}
			n = recvmmsg(fd, in, FLOOR_BATCH, MSG_DONTWAIT, NULL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break; /* EAGAIN: back to epoll */
			}
			for (int i = 0; i < n; i++) {
				size_t len = answer(bufs[i], in[i].msg_len);
				if (len == 0)
					continue;
				iout[n_out] = (struct iovec){ .iov_base = bufs[i], .iov_len = len };
				reply[n_out] = (struct mmsghdr){ .msg_hdr = {
									 .msg_name = &from[i],
									 .msg_namelen =
										 in[i].msg_hdr.msg_namelen,
									 .msg_iov = &iout[n_out],
									 .msg_iovlen = 1,
								 } };
				n_out++;
			}
			if (n_out > 0)
				(void)sendmmsg(fd, reply, (unsigned)n_out, MSG_DONTWAIT);
			if (n < FLOOR_BATCH)
				break; /* drained */
		}
	}
}
