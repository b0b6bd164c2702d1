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

TCP clients of berth-dns at SERVER:53 (print what they saw; exit 1 on a
failed check, 3 when the machine was too slow for a timing-bound check):

  tcp-bytewise SERVER NAME     one query sent one byte per segment
  tcp-split SERVER NAME        one query split at every interesting point
                               (inside the prefix, after it, in the question)
  tcp-pipeline SERVER NAME...  all queries in one write, the last one partial;
                               the rest of it follows once the others are answered
  tcp-noreader SERVER NAME     a client that never reads: the server stops
                               reading it, another client is served meanwhile,
                               and the server drops the connection
  tcp-many SERVER N NAME LIMIT [CMD...]
                               N connections: the first N - LIMIT are closed by
                               the server, the newest LIMIT still work; CMD (if
                               given) runs while they are open, its output printed
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


def a_query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def framed(msg):
    return struct.pack("!H", len(msg)) + msg


def tcp_connect(server, timeout=3.0, rcvbuf=None):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(timeout)
    s.connect((server, 53))
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_answer(s):
    """One framed response: (id, rcode, [A addresses])."""
    (n,) = struct.unpack("!H", recv_exact(s, 2))
    msg = recv_exact(s, n)
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    off = 12
    for _ in range(qd):
        off = qname_end(msg, off) + 4
    addrs = []
    for _ in range(an):
        if msg[off] & 0xC0 == 0xC0:
            off += 2
        else:
            off = qname_end(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return qid, flags & 0xF, addrs


def expect_answer(s, qid, what):
    rid, rcode, addrs = read_answer(s)
    if rid != qid:
        raise AssertionError("%s: answer id %#x, expected %#x" % (what, rid, qid))
    return " ".join(addrs) if addrs else "rcode=%d" % rcode


def tcp_bytewise(server, name):
    s = tcp_connect(server)
    data = framed(a_query(name, 0x0B01))
    for i in range(len(data)):
        s.sendall(data[i:i + 1])
        time.sleep(0.002)  # one segment each (TCP_NODELAY)
    print(expect_answer(s, 0x0B01, "bytewise"))
    return 0


def tcp_split(server, name):
    data = framed(a_query(name, 0x5B00))
    # inside the prefix, right after it, inside the header, inside the question
    cuts = [1, 2, 7, len(data) - 3]
    out = []
    s = tcp_connect(server)
    for k, cut in enumerate(cuts):
        d = framed(a_query(name, 0x5B00 + k))
        s.sendall(d[:cut])
        time.sleep(0.05)  # the first part arrives (and is read) on its own
        s.sendall(d[cut:])
        out.append(expect_answer(s, 0x5B00 + k, "split at %d" % cut))
    # two messages, the cut inside the second one's prefix
    a, b = framed(a_query(name, 0x5B10)), framed(a_query(name, 0x5B11))
    s.sendall(a + b[:1])
    time.sleep(0.05)
    s.sendall(b[1:])
    out.append(expect_answer(s, 0x5B10, "first of two"))
    out.append(expect_answer(s, 0x5B11, "second of two"))
    print(" | ".join(out))
    return 0


def tcp_pipeline(server, names):
    msgs = [framed(a_query(n, 0x9000 + i)) for i, n in enumerate(names)]
    s = tcp_connect(server)
    stream = b"".join(msgs)
    tail = 3
    s.sendall(stream[:-tail])
    out = [expect_answer(s, 0x9000 + i, "pipelined %d" % i) for i in range(len(msgs) - 1)]
    # the partial last query is not answered before the rest of it comes
    r, _, _ = select.select([s], [], [], 0.3)
    if r:
        print("answer before the last query was complete")
        return 1
    s.sendall(stream[-tail:])
    out.append(expect_answer(s, 0x9000 + len(msgs) - 1, "completed last"))
    print(" ".join(out))
    return 0


def tcp_state(s):
    """Linux TCP state of the socket (tcpi_state, first byte of TCP_INFO)."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8


def tcp_noreader(server, name):
    s = tcp_connect(server, rcvbuf=4096)
    s.setblocking(False)
    q = framed(a_query(name, 0x7E57))
    sent, stuck_since, start = 0, None, time.monotonic()
    # Send queries, never read: the server must stop taking them (backpressure).
    while True:
        now = time.monotonic()
        if now - start > 30:
            print("the server kept reading %d bytes of queries nobody reads answers of" % sent)
            return 1
        try:
            n = s.send(q * 64)
            sent += n
            stuck_since = None
        except BlockingIOError:
            if stuck_since is None:
                stuck_since = now
            elif now - stuck_since >= 1.0:
                break
            time.sleep(0.01)
        except (ConnectionResetError, BrokenPipeError):
            print("dropped before the backpressure was seen (%d bytes sent)" % sent)
            return 1
    print("server stopped reading after %d bytes of queries" % sent)
    # Another client is served meanwhile.
    o = tcp_connect(server)
    o.sendall(framed(a_query(name, 0x0111)))
    print("other client: %s" % expect_answer(o, 0x0111, "other client"))
    o.close()
    # And the stuck connection is dropped by the server (bounded wait).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if tcp_state(s) in (TCP_CLOSE, TCP_CLOSE_WAIT):
            print("dropped by the server after %.1f s" % (time.monotonic() - start))
            return 0
        time.sleep(0.05)
    print("the connection was not dropped (state %d)" % tcp_state(s))
    return 1


def closed_by_peer(s):
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def tcp_many(server, n, name, limit, cmd):
    conns = []
    t0 = time.monotonic()
    for _ in range(n):
        c = tcp_connect(server)
        c.setblocking(False)  # closed_by_peer() must not wait
        conns.append(c)
    t_connected = time.monotonic() - t0
    old, new = conns[:n - limit], conns[n - limit:]
    # Bounded wait until the server has closed exactly the oldest ones. All of
    # it must happen within 2.5 s of the first connect: the server's idle
    # timeout (3 s) would close connections too, and prove nothing.
    while True:
        elapsed = time.monotonic() - t0
        n_old = sum(1 for c in old if closed_by_peer(c))
        n_new = sum(1 for c in new if not closed_by_peer(c))
        if n_old == len(old) and n_new == len(new):
            break
        if elapsed > 2.5:
            print("after %.1f s: %d of the %d oldest closed, %d of the %d newest open" %
                  (elapsed, n_old, len(old), n_new, len(new)))
            # slow connects (a busy machine) cannot tell eviction from the timeout
            return 3 if t_connected > 1.5 else 1
        time.sleep(0.02)
    # The newest connections still work.
    answers = []
    for i, c in enumerate(new[-3:]):
        c.settimeout(2)
        c.sendall(framed(a_query(name, 0x3000 + i)))
        answers.append(expect_answer(c, 0x3000 + i, "newest connection %d" % i))
    if cmd:
        import subprocess
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        print("while open: %s" % res.stdout.decode().strip())
    elapsed = time.monotonic() - t0
    if elapsed > 2.9:
        print("too slow (%.1f s): inconclusive" % elapsed)
        return 3
    print("%d connections: oldest %d closed by the server, newest %d open; answers: %s (%.2f s)" %
          (n, len(old), len(new), " ".join(answers), elapsed))
    for c in conns:
        c.close()
    return 0


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) >= 2 else ("", [])
    try:
        if cmd == "slow-upstream" and len(args) == 4:
            slow_upstream(args[0], int(args[1]), args[2], args[3])
            return 0
        if cmd == "tcp-bytewise" and len(args) == 2:
            return tcp_bytewise(*args)
        if cmd == "tcp-split" and len(args) == 2:
            return tcp_split(*args)
        if cmd == "tcp-pipeline" and len(args) >= 3:
            return tcp_pipeline(args[0], args[1:])
        if cmd == "tcp-noreader" and len(args) == 2:
            return tcp_noreader(*args)
        if cmd == "tcp-many" and len(args) >= 4:
            return tcp_many(args[0], int(args[1]), args[2], int(args[3]), args[4:])
    except (OSError, EOFError, AssertionError, ValueError) as e:
        print("%s: %s" % (cmd, e))
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
