#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Test helpers for dns-server.bats that dig and socat cannot play.

Every command runs inside one of the test's own namespaces (the caller wraps
it in `ip netns exec`), talks only to addresses of that world, and has a
bounded run time (every socket operation has a timeout).

  slow-upstream ADDR DELAY_MS IP LOG
      A UDP DNS server on ADDR:53 that answers every A query with IP after
      DELAY_MS, and appends "query NAME" to LOG when a query arrives.
      Runs until killed (the test's world_destroy does that).
"""
import os
import select
import socket
import struct
import sys
import time


def qname_end(msg, off):
    """Offset after the (uncompressed) question name starting at off."""
    while True:
        if off >= len(msg):
            raise ValueError("truncated name")
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0:
            raise ValueError("compressed question")
        off += 1 + n


def qname_text(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels)


def a_answer(query, ip):
    """A response to `query` with one A record (TTL 0) for its question."""
    end = qname_end(query, 12) + 4
    qid, flags = struct.unpack("!HH", query[:4])
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)
    rr = struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(ip)
    return hdr + query[12:end] + rr


def slow_upstream(addr, delay_ms, ip, log):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    pending = []  # (due, reply, peer)
    while True:
        timeout = None
        if pending:
            timeout = max(0.0, pending[0][0] - time.monotonic())
        r, _, _ = select.select([s], [], [], timeout)
        if r:
            msg, peer = s.recvfrom(65535)
            try:
                reply = a_answer(msg, ip)
                name = qname_text(msg, 12)
            except (ValueError, IndexError, struct.error):
                continue
            with open(log, "a") as f:
                f.write("query %s\n" % name)
            pending.append((time.monotonic() + delay_ms / 1000.0, reply, peer))
            pending.sort(key=lambda p: p[0])
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, reply, peer = pending.pop(0)
            s.sendto(reply, peer)


def main(argv):
    if len(argv) >= 2 and argv[1] == "slow-upstream" and len(argv) == 6:
        slow_upstream(argv[2], int(argv[3]), argv[4], argv[5])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
