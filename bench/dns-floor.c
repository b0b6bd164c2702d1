/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dns-floor: the floor of the DNS benchmark (bench/dns.sh).
 *
 *   dns-floor ADDRESS PORT
 *
 * A trivial fixed-answer UDP responder: one socket, one epoll loop,
 * recvfrom/sendto. Every query gets the same answer, whatever it asks: its
 * own header and question back with QR, AA and RA set, and one A record
 * (name = pointer to the question, TTL 0, 10.89.0.2). No lookup, no
 * validation beyond "there is a question", no logging. What is left is the
 * cost of a datagram in and a datagram out, which no DNS server can avoid.
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

int main(int argc, char **argv)
{
	static unsigned char buf[4096];
	static const unsigned char rr[16] = {
		0xc0, 0x0c,		/* name: pointer to the question */
		0x00, 0x01, 0x00, 0x01, /* A, IN */
		0x00, 0x00, 0x00, 0x00, /* TTL 0 */
		0x00, 0x04, 10, 89, 0, 2,
	};
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
			struct sockaddr_storage from;
			socklen_t fromlen = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf) - sizeof(rr), 0,
					     (struct sockaddr *)&from, &fromlen);
			size_t off = 12;

			if (n < 0) {
				if (errno == EINTR)
					continue;
				break; /* EAGAIN: back to epoll */
			}
			if (n < 17 || (buf[2] & 0x80) || buf[4] != 0 || buf[5] != 1)
				continue; /* not a one-question query */
			while (off < (size_t)n && buf[off] != 0 && buf[off] < 64)
				off += 1 + buf[off];
			off += 1 + 4; /* root label, type, class */
			if (off > (size_t)n)
				continue;
			buf[2] = (unsigned char)(0x80 | 0x04 | (buf[2] & 0x79)); /* QR AA, keep opcode RD */
			buf[3] = 0x80;                                            /* RA, NOERROR */
			buf[6] = 0, buf[7] = 1;                                   /* ANCOUNT 1 */
			buf[8] = buf[9] = buf[10] = buf[11] = 0;                  /* no NS, no AR */
			memcpy(buf + off, rr, sizeof(rr));
			(void)sendto(fd, buf, off + sizeof(rr), 0, (struct sockaddr *)&from, fromlen);
		}
	}
}
