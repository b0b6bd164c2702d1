# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for berth-dns's integration tests (load after helpers.bash, whose
# namespace safety rules apply: every command runs in one of the test's own
# namespaces, never in the machine's).
#
# The world:
#
#   outside ns  198.18.0.2 (+ .3): dnsmasq fake upstreams ("the internet")
#       |  veth
#   host ns     198.18.0.1 on vout; bridge br0 10.89.0.1/24 fd10:89::1/64;
#               berth-dns runs here (-p 53), config in $DNS_CONFIG
#   c1, c2 ...  containers, a veth each into br0 (or br1 ... for more networks)
#
# Environment:
#   BERTH_DNS     the binary under test (default: build/dns/berth-dns)
#   AARDVARK_BIN  when set, run this binary instead (the control: Debian's
#                 /usr/lib/podman/aardvark-dns 1.4.0); berth-only tests skip.

dns_bin() {
    if [[ -n ${AARDVARK_BIN:-} ]]; then
        echo "$AARDVARK_BIN"
    else
        echo "${BERTH_DNS:-$REPO_ROOT/build/dns/berth-dns}"
    fi
}

dns_is_control() { [[ -n ${AARDVARK_BIN:-} ]]; }

# modern_only REASON: skip against aardvark-dns 1.4
modern_only() {
    if dns_is_control; then
        skip "aardvark-dns 1.4 differs: $1"
    fi
}

dns_world_create() {
    require_root
    local bin
    bin=$(dns_bin)
    if [[ ! -x $bin ]]; then
        echo "binary under test not found: $bin (build first, or set BERTH_DNS / AARDVARK_BIN)" >&2
        return 1
    fi
    command -v dig >/dev/null || skip "dig not installed"
    WORLD="$BATS_TEST_TMPDIR/world"
    WORLD_PREFIX=$(world_prefix)
    DNS_CONFIG="$WORLD/aardvark-dns"
    mkdir -p "$DNS_CONFIG"
    : >"$WORLD/namespaces"
    : >"$WORLD/pids"
    _reap_stale
    _ns_add host
    _ns_add outside
    ipn host link add vout type veth peer name eth0 netns "$(ns_of outside)"
    ipn host addr add 198.18.0.1/24 dev vout
    ipn outside addr add 198.18.0.2/24 dev eth0
    ipn outside addr add 198.18.0.3/24 dev eth0
    ipn host link set vout up
    ipn outside link set eth0 up
    dns_bridge_add br0 10.89.0.1/24 fd10:89::1/64
    # no upstream yet: a resolv.conf pointing at nothing that answers
    printf 'nameserver 198.18.0.9\n' >"$WORLD/resolv.conf"
}

# dns_bridge_add BRIDGE ADDR/LEN...: a bridge in the host ns with addresses
dns_bridge_add() {
    local br=$1 a
    shift
    ipn host link add "$br" type bridge
    inns host sysctl -qw "net.ipv6.conf.$br.accept_dad=0"
    for a in "$@"; do
        if [[ $a == *:* ]]; then
            ipn host addr add "$a" dev "$br" nodad
        else
            ipn host addr add "$a" dev "$br"
        fi
    done
    ipn host link set "$br" up
}

# dns_ctr NAME BRIDGE ADDR/LEN...: a container namespace on a bridge
dns_ctr() {
    local name=$1 br=$2 a
    shift 2
    _ns_add "$name"
    ipn host link add "v$name" type veth peer name eth0 netns "$(ns_of "$name")"
    ipn host link set "v$name" master "$br" up
    inns "$name" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    for a in "$@"; do
        if [[ $a == *:* ]]; then
            ipn "$name" addr add "$a" dev eth0 nodad
        else
            ipn "$name" addr add "$a" dev eth0
        fi
    done
    ipn "$name" link set eth0 up
}

# dns_net FILE HEADER [LINE...]: write one network file by hand
dns_net() {
    local f=$1 h=$2
    shift 2
    {
        printf '%s\n' "$h"
        local l
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$DNS_CONFIG/$f"
}

# dns_start [ENV=VAL...]: `<bin> --config DIR -p 53 run` in the host ns.
# Sets status, stderr. berth-dns reads $WORLD/resolv.conf through
# BERTH_DNS_RESOLV_CONF; the control gets it bind-mounted over
# /etc/resolv.conf in a private mount namespace.
dns_start() {
    local host bin
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    bin=$(dns_bin)
    status=0
    if dns_is_control; then
        ip netns exec "$host" env "$@" timeout 30 unshare -m --propagation private \
            sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
            "$WORLD/resolv.conf" "$bin" --config "$DNS_CONFIG" -p 53 run \
            >"$WORLD/dns.stdout" 2>"$WORLD/dns.stderr" || status=$?
    else
        ip netns exec "$host" env BERTH_DNS_RESOLV_CONF="$WORLD/resolv.conf" "$@" \
            timeout 30 "$bin" --config "$DNS_CONFIG" -p 53 run \
            >"$WORLD/dns.stdout" 2>"$WORLD/dns.stderr" || status=$?
    fi
    stderr=$(cat "$WORLD/dns.stderr")
    return 0
}

# dns_start_bound [ENV=VAL...]: like dns_start, but in a private mount
# namespace where $WORLD/resolv.conf is bind-mounted onto
# $WORLD/etc/resolv.conf, the file berth-dns reads (as a container engine
# bind-mounts resolv.conf). Writes to $WORLD/resolv.conf then show on the
# file only, never in $WORLD/etc.
dns_start_bound() {
    local host bin
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    bin=$(dns_bin)
    mkdir -p "$WORLD/etc"
    : >"$WORLD/etc/resolv.conf"
    status=0
    ip netns exec "$host" env BERTH_DNS_RESOLV_CONF="$WORLD/etc/resolv.conf" "$@" \
        timeout 30 unshare -m --propagation private \
        sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
        "$WORLD/resolv.conf" "$WORLD/etc/resolv.conf" "$bin" --config "$DNS_CONFIG" -p 53 run \
        >"$WORLD/dns.stdout" 2>"$WORLD/dns.stderr" || status=$?
    stderr=$(cat "$WORLD/dns.stderr")
    if [[ $status -ne 0 ]]; then
        echo "start failed: $status" >&2
        echo "$stderr" >&2
        return 1
    fi
}

dns_start_ok() {
    dns_start "$@"
    if [[ $status -ne 0 ]]; then
        echo "start failed: $status" >&2
        echo "$stderr" >&2
        return 1
    fi
}

dns_pid() { cat "$DNS_CONFIG/aardvark.pid"; }

# The daemon is alive and lives in our host namespace.
dns_alive() {
    local pid
    pid=$(dns_pid 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
        ip netns pids "$(ns_of host)" | grep -qx "$pid"
}

dns_hup() { kill -HUP "$(dns_pid)"; }

# q CTR [dig args...]: short answer from the server at 10.89.0.1
q() {
    local ctr=$1
    shift
    inns "$ctr" dig +short +tries=1 +time=2 @10.89.0.1 "$@" 2>&1
}

# qs CTR [dig args...]: the status word of a full answer (NOERROR, NXDOMAIN, timeout)
qs() {
    local ctr=$1 out
    shift
    out=$(inns "$ctr" dig +tries=1 +time=2 @10.89.0.1 "$@" 2>&1)
    if [[ $out =~ status:\ ([A-Z]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    else
        echo timeout
    fi
}

# sorted answer lines
qsorted() { q "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

# upstream_start ADDR NAME=IP...: dnsmasq in the outside ns answering
# --address=/NAME/IP, logging queries to $WORLD/dnsmasq-ADDR.log
upstream_start() {
    local addr=$1 a args=()
    shift
    command -v dnsmasq >/dev/null || skip "dnsmasq not installed"
    for a in "$@"; do args+=("--address=/${a%%=*}/${a#*=}"); done
    bg outside dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$addr" --pid-file= --user=root --log-queries \
        --log-facility="$WORLD/dnsmasq-$addr.log" "${args[@]}"
    wait_for 50 0.1 _udp_listening outside "$addr" 53
}

# _udp_listening NS ADDR PORT (IPv6 shows as [addr]:port or [addr]%zone:port)
_udp_listening() { inns "$1" ss -Hlun "sport = :$3" | grep -qF -e "$2:$3" -e "[$2]:$3" -e "[$2]%"; }

# write resolv.conf atomically (rename), as resolvconf/NetworkManager do
set_resolv() {
    printf '%s\n' "$@" >"$WORLD/resolv.conf.new"
    mv "$WORLD/resolv.conf.new" "$WORLD/resolv.conf"
}

# resolv_in_place FILE LINE...: truncate FILE, then write it, in two steps
# (the inode stays: how a bind-mounted resolv.conf is changed)
resolv_in_place() {
    local f=$1
    shift
    truncate -s 0 "$f"
    printf '%s\n' "$@" >>"$f"
}

# two_upstreams: dnsmasq on 198.18.0.2 (example.test=192.0.2.7) and on
# 198.18.0.3 (example.test=192.0.2.8); resolv.conf names the first
two_upstreams() {
    upstream_start 198.18.0.2 example.test=192.0.2.7
    upstream_start 198.18.0.3 example.test=192.0.2.8
    printf 'nameserver 198.18.0.2\n' >"$WORLD/resolv.conf"
}

# answered CTR NAME IP: one query from CTR to 10.89.0.1 gets exactly IP
answered() { [[ $(inns "$1" dig +short +tries=1 +time=1 @10.89.0.1 "$2" 2>&1) == "$3" ]]; }

# dns_tool ARGS...: tests/integration/dns-tool.py
dns_tool() { python3 "$HELPERS_DIR/dns-tool.py" "$@"; }

# established TCP connections to port 53 in the host ns
tcp_conns() { inns host ss -Htn state established "sport = :53" | wc -l; }
