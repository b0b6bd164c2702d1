#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""udp-get.py ADDR PORT [TRIES] [WAIT]: print the first answer to a datagram.

UDP may lose a datagram (or a loaded machine may be late to fork a listener's
child): ask up to TRIES times (default 3), waiting WAIT seconds (default 2)
for an answer each time, all from the same socket so that the same conntrack
entry carries every try. Prints the answer (stripped) and exits 0, or prints
nothing and exits 1. Used by tests/integration/ports.bats and tests/podman/.
"""
import socket
import sys


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    tries = min(int(sys.argv[3]), 20) if len(sys.argv) > 3 else 3
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(wait)
        s.connect((addr, port))
        for _ in range(tries):
            s.send(b"ping\n")
            try:
                print(s.recv(512).decode(errors="replace").strip())
                return 0
            except (socket.timeout, ConnectionRefusedError):
                pass
    return 1


if __name__ == "__main__":
    sys.exit(main())
