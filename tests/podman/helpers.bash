# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the Podman end-to-end tests. The bats files run INSIDE the
# sandbox (tests/podman/sandbox.sh): this shell is in the sandbox's "host"
# netns (sbx-host) and private mount namespace, `podman` uses the sandbox's
# containers.conf and storage. The "outside" namespace (the internet) is
# /run/netns/sbx-out of the sandbox's private /run.
#
# Environment from sandbox.sh: SBX_DIR SBX_BACKEND (berth|netavark) SBX_DNS
# SBX_IMAGE SBX_OUT_IP4 SBX_HOST_IP4 SBX_OUT_IP6 SBX_HOST_IP6 SBX_HELPERS.

IMAGE=${SBX_IMAGE:-localhost/berth-test:latest}
OUT4=${SBX_OUT_IP4:-198.18.0.2}
HOST4=${SBX_HOST_IP4:-198.18.0.1}
OUT6=${SBX_OUT_IP6:-2001:db8:ff::2}
HOST6=${SBX_HOST_IP6:-2001:db8:ff::1}

sandbox_guard() {
    if [[ -z ${SBX_DIR:-} || ! -e /run/netns/sbx-out ]]; then
        echo "not inside tests/podman/sandbox.sh; refusing to run podman here" >&2
        exit 1
    fi
}
sandbox_guard

is_control() { [[ $SBX_BACKEND == netavark ]]; }

# berth_only REASON: skip on the control (netavark 1.4 lacks the behaviour)
berth_only() {
    if is_control; then skip "netavark 1.4: $1"; fi
}

# pm ARGS: podman with a bound
pm() { timeout 120 podman "$@"; }

# outns CMD: run CMD in the outside namespace
outns() { nsenter --net=/run/netns/sbx-out -- "$@"; }

# bg CMD...: start CMD in the background (fds closed so that bats does not
# wait for it); its pid is killed in teardown
bg() {
    "$@" </dev/null >>"$BATS_TEST_TMPDIR/bg.log" 2>&1 3>&- &
    echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
}

# out_listen PORT [tcp|udp|tcp6] [ADDR]: a listener in the outside namespace
# that answers every connection with the peer address it sees (tcp6: IPv6
# only; socat prints the peer as [xxxx:xxxx:...], see exploded6)
out_listen() {
    local port=$1 proto=${2:-tcp} addr=${3:-}
    local bind=
    [[ -n $addr ]] && bind=",bind=$addr"
    case $proto in
    tcp) bg outns socat -T 5 "TCP-LISTEN:$port,reuseaddr,fork$bind" SYSTEM:'echo peer=$SOCAT_PEERADDR' ;;
    tcp6) bg outns socat -T 5 "TCP6-LISTEN:$port,reuseaddr,fork,ipv6only=1$bind" SYSTEM:'echo peer=$SOCAT_PEERADDR' ;;
    udp) bg outns socat -T 5 "UDP-RECVFROM:$port,fork$bind" SYSTEM:'echo peer=$SOCAT_PEERADDR' ;;
    esac
    wait_until 5 "outns ss -lnH | grep -q ':$port '"
}

# wait_until SECONDS CMD: poll CMD (a string for eval) every 0.1 s
wait_until() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 10; i++)); do
        if eval "$*" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "timed out after ${limit}s waiting for: $*" >&2
    return 1
}

# tcp_get [NETNS-CMD...] HOST PORT: connect and print what the server says
# (from the sandbox host; prefix with outns for the outside)
tcp_get() {
    local host=$1 port=$2
    [[ $host == *:* ]] && host="[$host]"
    timeout 10 socat -T 3 - "TCP:$host:$port,connect-timeout=3" </dev/null
}
# udp_get HOST PORT: the answer to a datagram, asked up to three times (2 s
# wait each: the bounded retry of tests/integration/udp-get.py);
# out_udp_get: the same from the outside namespace
UDP_GET=$(cd "$(dirname "${BASH_SOURCE[0]}")/../integration" && pwd)/udp-get.py
udp_get() { timeout 10 python3 "$UDP_GET" "$1" "$2"; }
out_udp_get() { outns timeout 10 python3 "$UDP_GET" "$1" "$2"; }

# in the image (socat is there; busybox wget segfaults in static builds)
CTR_TCP_SERVER='socat -T 5 TCP-LISTEN:80,reuseaddr,fork SYSTEM:"echo web-\$SOCAT_PEERADDR"'
CTR_TCP6_SERVER='socat -T 5 TCP6-LISTEN:80,reuseaddr,fork,ipv6only=0 SYSTEM:"echo web-\$SOCAT_PEERADDR"'
CTR_UDP_SERVER='socat -T 5 UDP-RECVFROM:53,fork SYSTEM:"echo udp-\$SOCAT_PEERADDR"'

# run_web NAME [podman run options...]: a detached container answering TCP 80
# (IPv4) with web-<peer address>; run_web6: the same on IPv6 and IPv4
run_web() {
    local name=$1
    shift
    pm run -d --name "$name" "$@" "$IMAGE" sh -c "$CTR_TCP_SERVER" >/dev/null || return 1
    wait_until 10 "pm exec $name netstat -ltn | grep -q ':80 '"
}
run_web6() {
    local name=$1
    shift
    pm run -d --name "$name" "$@" "$IMAGE" sh -c "$CTR_TCP6_SERVER" >/dev/null || return 1
    wait_until 10 "pm exec $name netstat -ltn | grep -q ':80 '"
}

# ctr_ip NAME [NETWORK]: the container's IPv4 address (on NETWORK)
ctr_ip() {
    if [[ -n ${2:-} ]]; then
        pm inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
    else
        pm inspect -f '{{.NetworkSettings.IPAddress}}' "$1"
    fi
}
ctr_ip6() {
    pm inspect -f "{{(index .NetworkSettings.Networks \"$2\").GlobalIPv6Address}}" "$1"
}

# exploded6 ADDR: the fully written IPv6 address, as socat prints peers
exploded6() {
    python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).exploded)' "$1"
}

# mtu_of LINK: a link's MTU in this netns (/sys/class/net shows the machine's
# netns: sysfs belongs to the netns that mounted it)
mtu_of() { ip -o link show "$1" | grep -o 'mtu [0-9]*' | cut -d' ' -f2; }

# Podman 4.3 prints this on stderr for every exec when conmon cannot reach
# syslog (the sandbox has no /dev/log); it is noise for the tests
_nosyslog() { grep -v '^failed to connect to syslog' >&2 || true; }

# cexec NAME CMD: run a shell command in a running container, bounded
cexec() {
    local name=$1
    shift
    timeout 30 podman exec "$name" sh -c "$*" 2> >(_nosyslog)
}

# lookup NAME QNAME [TYPE]: busybox nslookup in container NAME (its resolv.conf)
lookup() {
    local name=$1 q=$2 type=${3:-a}
    timeout 30 podman exec "$name" nslookup -type="$type" "$q" 2> >(_nosyslog)
}

common_teardown() {
    if [[ -f $BATS_TEST_TMPDIR/bg.pids ]]; then
        local p
        while read -r p; do
            pkill -P "$p" 2>/dev/null
            kill "$p" 2>/dev/null
        done <"$BATS_TEST_TMPDIR/bg.pids"
        rm -f "$BATS_TEST_TMPDIR/bg.pids"
    fi
    pm rm -af -t 0 >/dev/null 2>&1 || true
    pm pod rm -af -t 0 >/dev/null 2>&1 || true
    local n
    for n in $(pm network ls -q 2>/dev/null); do
        [[ $n == podman ]] || pm network rm -f "$n" >/dev/null 2>&1 || true
    done
}

teardown() { common_teardown; }

# leftovers: print what a fully torn down sandbox host must not have
leftovers() {
    ip -o link show | grep -v -E ': (lo|vout|sbxpar0|sbxpar1)[:@]' || true
    ip -o addr show | grep -v -E ': (lo|vout|sbxpar0|sbxpar1) ' || true
    ls /run/netns | grep -v -E '^sbx-(host|out)$' || true
}

# sbx_pids: "pid comm" of every process in the sandbox's mount namespace
sbx_pids() {
    local mnt d
    mnt=$(cat "$SBX_DIR/mntns")
    for d in /proc/[0-9]*; do
        [[ $(readlink "$d/ns/mnt" 2>/dev/null) == "$mnt" ]] || continue
        echo "${d#/proc/} $(cat "$d/comm" 2>/dev/null)"
    done
}
dns_server_pids() { sbx_pids | grep -E ' (aardvark-dns|berth-dns)$' || true; }
# helper processes that must not outlive the containers
leftover_pids() {
    sbx_pids | grep -E ' (conmon|aardvark-dns|berth-dns|berth-net|netavark|crun|catatonit|slirp4netns|rootlessport)$' || true
}

# the DNS server is Debian's aardvark-dns 1.4 (control, or --dns aardvark)
dns_is_aardvark() { [[ $SBX_BACKEND == netavark || $SBX_DNS == aardvark ]]; }

# refute_grep WHAT ERE TEXT: fail when a line of TEXT matches ERE. bash's
# errexit ignores a `! cmd` that is not the last command of a test, so a
# negative check must be an explicit assertion like this one.
refute_grep() {
    local hits
    hits=$(grep -E -e "$2" <<<"$3") || return 0
    echo "$1 left behind (lines matching /$2/):" >&2
    echo "$hits" >&2
    return 1
}
