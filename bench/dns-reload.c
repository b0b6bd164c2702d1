/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dns-reload: how long a DNS server takes from SIGHUP to answering a name
 * that only the new configuration has (bench/dns.sh).
 *
 *   dns-reload SERVER-IPV4 PORT PID NAME [PRESENT-NAME]
 *
 * First it measures the round trip of 20 A queries for PRESENT-NAME (a name
 * the running configuration already has; default NAME) and
 * prints the median: that is the resolution of the measurement. Then it
 * sends SIGHUP to PID and, with CLOCK_MONOTONIC started just before the
 * kill(), sends an A query for NAME, waits for an answer (to it or to any
 * earlier query sent after the kill) at most 2 ms, and repeats until an answer
 * is NOERROR with at least one record. Output, one line:
 *
 *   reload_us=<kill() to that answer, µs> rtt_us=<median round trip> probes=<queries sent>
 *
 * With PID 0 it only measures the round trip (a readiness probe: exit 0 once
 * 20 queries were answered, 1 if one got no answer within 1 s).
 *
 * Resolution: the round trip, plus up to 2 ms when the server drops the
 * queries that arrive while it reloads (berth-dns keeps them in its socket).
 * Bounded: every wait is at most 1 s and the whole loop 10 s (exit 1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t build_query(unsigned char *q, unsigned short id, const char *name)
{
	size_t off = 12;
	const char *p = name;

	memset(q, 0, 12);
	q[0] = (unsigned char)(id >> 8), q[1] = (unsigned char)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		q[off++] = (unsigned char)len;
		memcpy(q + off, p, len);
		off += len;
		p += len + (dot ? 1 : 0);
	}
	q[off++] = 0;
	q[off++] = 0, q[off++] = 1; /* A */
	q[off++] = 0, q[off++] = 1; /* IN */
	return off;
}

/*
 * Send a query with this id; wait at most wait_ns for an answer to any query
 * with an id in [min_id, id]. 1 = answered with records, 0 = answered
 * without, -1 = no answer in time.
 */
static int ask(int fd, unsigned short min_id, unsigned short id, const char *name,
	       long long wait_ns)
{
	unsigned char q[300], r[1500];
	size_t len = build_query(q, id, name);
	long long deadline = now_ns() + wait_ns;

	if (send(fd, q, len, 0) < 0)
		return -1;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ns();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)(left / 1000000 + 1)) <= 0)
			continue;
		n = recv(fd, r, sizeof(r), 0);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1; /* ECONNREFUSED: nothing listens (yet) */
		if (n < 12 || (unsigned short)(r[0] << 8 | r[1]) < min_id ||
		    (unsigned short)(r[0] << 8 | r[1]) > id)
			continue; /* a late answer to a query from before */
		return (r[3] & 0x0f) == 0 && (r[6] | r[7]) != 0;
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long long rtt[20], t0;
	unsigned short id = 1, first;
	int fd, i, probes = 0;
	pid_t pid;

	if (argc < 5 || argc > 6 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: %s SERVER-IPV4 PORT PID NAME [PRESENT-NAME]\n", argv[0]);
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	pid = (pid_t)atoi(argv[3]);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dns-reload: socket");
		return 1;
	}
	for (i = 0; i < 20; i++) {
		long long t = now_ns();

		if (ask(fd, id, id, argc == 6 ? argv[5] : argv[4], 1000000000LL) < 0) {
			fprintf(stderr, "dns-reload: no answer from the server\n");
			return 1;
		}
		rtt[i] = now_ns() - t;
		id++;
	}
	qsort(rtt, 20, sizeof(rtt[0]), cmp_ll);
	if (pid == 0) { /* only the round trip: is the server up? */
		printf("rtt_us=%.0f\n", rtt[10] / 1e3);
		return 0;
	}

	t0 = now_ns();
	if (kill(pid, SIGHUP) < 0) {
		perror("dns-reload: kill");
		return 1;
	}
	first = id;
	while (now_ns() - t0 < 10000000000LL) {
		/* a server that is busy reloading answers later; one that drops
		 * queries while it reloads (aardvark-dns 1.4) needs a new one */
		int r = ask(fd, first, id, argv[4], 2000000LL);

		probes++;
		id++;
		if (r == 1) {
			printf("reload_us=%.0f rtt_us=%.0f probes=%d\n", (now_ns() - t0) / 1e3,
			       rtt[10] / 1e3, probes);
			return 0;
		}
	}
	fprintf(stderr, "dns-reload: %s not answered within 10 s of the SIGHUP\n", argv[4]);
	return 1;
}
