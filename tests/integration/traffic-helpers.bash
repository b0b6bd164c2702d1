# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Traffic through port forwards (shared by tests/integration/ports.bats and the
# CNI portmap tests): servers in a namespace answering "<NAME>-<PORT>", and
# clients with bounded waits (UDP asked up to three times).

# serve_tcp CTR PORT: a TCP server in CTR answering "<CTR>-<PORT>"
# (no ':' in SYSTEM commands: socat splits addresses on it)
serve_tcp() {
    bg "$1" socat TCP4-LISTEN:"$2",reuseaddr,fork SYSTEM:"echo $1-$2"
    wait_for 50 0.1 _listening "$1" "$2"
}

# serve_udp CTR PORT: a UDP server in CTR answering "<CTR>-<PORT>"
serve_udp() {
    bg "$1" socat UDP4-RECVFROM:"$2",reuseaddr,fork SYSTEM:"echo $1-$2"
    wait_for 50 0.1 _udp_bound "$1" "$2"
}
_udp_bound() { inns "$1" ss -Hlun "sport = :$2" | grep -q .; }

# tcp_get FROM ADDR PORT: what a TCP connection from FROM reads
tcp_get() {
    local addr=$2
    [[ $addr == *:* ]] && addr="[$addr]"
    inns "$1" timeout 5 socat -T2 - "TCP:$addr:$3,connect-timeout=2" </dev/null 2>/dev/null || true
}

# udp_get FROM ADDR PORT: the answer to a datagram, asked up to three times
# with a 2 s wait each (udp-get.py; not socat: after EOF on stdin it waits
# only 0.5 s (-t) for the answer, too short on a loaded machine)
udp_get() {
    inns "$1" timeout 8 python3 "$HELPERS_DIR/udp-get.py" "$2" "$3" 2>/dev/null || true
}
