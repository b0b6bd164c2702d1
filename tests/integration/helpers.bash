# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for berth-net's integration tests (bats 1.8).
#
# SAFETY: every test builds its own world of network namespaces and never
# touches the machine's own network namespace. All `ip`, `nft`, `sysctl`,
# `ping` and `socat` calls below go through `ip -n <ns>` / `ip netns exec <ns>`
# with one of this world's namespaces; the helpers refuse to run with an
# empty namespace name.
#
# The world:
#
#   outside ns  198.18.0.2/24, 2001:db8:ff::2/64 on eth0 ("the internet")
#       |  veth
#   host ns     198.18.0.1/24, 2001:db8:ff::1/64 on "vout", default routes via
#               the outside ns. berth-net (or netavark) runs here.
#   c1, c2 ...  container namespaces, /run/netns/<prefix>-<name>
#
# Environment:
#   BERTH_NET     the binary under test (default: build/netbackend/berth-net)
#   NETAVARK_BIN  when set, run this binary instead (the control: Debian's
#                 /usr/lib/podman/netavark 1.4.0); berth-only tests skip.

HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HELPERS_DIR/../.." && pwd)

OUT_IP4=198.18.0.2
HOST_IP4=198.18.0.1
OUT_IP6=2001:db8:ff::2
HOST_IP6=2001:db8:ff::1

# ---------------------------------------------------------------------------
# binary selection and skips

net_bin() {
    if [[ -n ${NETAVARK_BIN:-} ]]; then
        echo "$NETAVARK_BIN"
    else
        echo "${BERTH_NET:-$REPO_ROOT/build/netbackend/berth-net}"
    fi
}

is_control() { [[ -n ${NETAVARK_BIN:-} ]]; }

# berth_only REASON: skip when running against the real netavark 1.4.
berth_only() {
    if is_control; then
        skip "netavark 1.4 behaviour differs: $1"
    fi
}

require_root() {
    if [[ $(id -u) -ne 0 ]]; then
        skip "needs root"
    fi
}

# ---------------------------------------------------------------------------
# the world

# Namespace names: berth-t<pid>-<test number>-<role>. Unique per run and test.
world_prefix() { echo "berth-t$$-${BATS_TEST_NUMBER:-0}"; }

_ns_guard() {
    if [[ -z ${1:-} || $1 != berth-t* ]]; then
        echo "refusing to act on namespace '${1:-}' (not one of the test's own)" >&2
        return 1
    fi
}

# ns_of NAME: the netns name of a world member (host, outside, c1, ...)
ns_of() { echo "$WORLD_PREFIX-$1"; }

# inns NAME CMD...: run CMD inside world member NAME's namespace
inns() {
    local ns
    ns=$(ns_of "$1")
    _ns_guard "$ns" || return 1
    shift
    ip netns exec "$ns" "$@"
}

# ipn NAME ARGS...: `ip -n <ns of NAME> ARGS...`
ipn() {
    local ns
    ns=$(ns_of "$1")
    _ns_guard "$ns" || return 1
    shift
    ip -n "$ns" "$@"
}

_ns_add() {
    local ns
    ns=$(ns_of "$1")
    _ns_guard "$ns" || return 1
    ip netns add "$ns"
    echo "$ns" >>"$WORLD/namespaces"
    ip -n "$ns" link set lo up
}

# Delete namespaces left behind by earlier runs that died (their pid is gone).
_reap_stale() {
    local f pid
    for f in /run/netns/berth-t*; do
        [[ -e $f ]] || continue
        f=${f##*/}
        pid=${f#berth-t}
        pid=${pid%%-*}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        if ! kill -0 "$pid" 2>/dev/null; then
            _kill_ns_procs "$f"
            ip netns del "$f" 2>/dev/null || true
        fi
    done
}

# Kill processes living in one of OUR namespaces (listeners, pings, and
# anything the binary under test started there).
_kill_ns_procs() {
    local ns=$1 pids
    _ns_guard "$ns" || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    if [[ -n ${pids// /} ]]; then
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        sleep 0.1
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        # shellcheck disable=SC2086
        [[ -z ${pids// /} ]] || kill -9 $pids 2>/dev/null || true
    fi
}

# world_create: host + outside namespaces joined by a veth; call from setup().
world_create() {
    require_root
    local bin
    bin=$(net_bin)
    if [[ ! -x $bin ]]; then
        echo "binary under test not found: $bin (build first, or set BERTH_NET / NETAVARK_BIN)" >&2
        return 1
    fi
    WORLD="$BATS_TEST_TMPDIR/world"
    WORLD_PREFIX=$(world_prefix)
    NET_CONFIG="$WORLD/config"
    # berth's host-wide lock and state records: one run directory per world
    # (a real host has one, /run/berth; parallel worlds must not share it)
    export BERTH_RUN_DIR="$WORLD/run"
    mkdir -p "$WORLD/nets" "$WORLD/ctrs" "$NET_CONFIG" "$BERTH_RUN_DIR"
    : >"$WORLD/namespaces"
    : >"$WORLD/pids"
    _reap_stale

    _ns_add host
    _ns_add outside
    ipn host link add vout type veth peer name eth0 netns "$(ns_of outside)"
    inns host sysctl -qw net.ipv6.conf.vout.accept_dad=0
    inns outside sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    ipn host addr add "$HOST_IP4/24" dev vout
    ipn host addr add "$HOST_IP6/64" dev vout nodad
    ipn outside addr add "$OUT_IP4/24" dev eth0
    ipn outside addr add "$OUT_IP6/64" dev eth0 nodad
    ipn host link set vout up
    ipn outside link set eth0 up
    ipn host route add default via "$OUT_IP4" dev vout
    ipn host -6 route add default via "$OUT_IP6" dev vout
    # Start from forwarding off, so that tests see what the binary sets.
    inns host sysctl -qw net.ipv4.ip_forward=0
}

# world_destroy: call from teardown(). Kills our processes, deletes our
# namespaces. Never fails.
world_destroy() {
    [[ -n ${WORLD:-} && -f $WORLD/namespaces ]] || return 0
    local pid ns
    while read -r pid; do
        [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
    done <"$WORLD/pids"
    while read -r ns; do
        [[ -n $ns ]] || continue
        _kill_ns_procs "$ns"
    done <"$WORLD/namespaces"
    while read -r ns; do
        [[ -n $ns ]] || continue
        _ns_guard "$ns" || continue
        ip netns del "$ns" 2>/dev/null || true
    done <"$WORLD/namespaces"
    : >"$WORLD/namespaces"
    return 0
}

# bg NAME CMD...: start CMD in the background inside NAME's namespace;
# its pid is killed by world_destroy. Output goes to $WORLD/bg-<pid>.log.
bg() {
    local ns
    ns=$(ns_of "$1")
    _ns_guard "$ns" || return 1
    shift
    ip netns exec "$ns" "$@" </dev/null >"$WORLD/bg.log" 2>&1 3>&- &
    echo $! >>"$WORLD/pids"
}

# ---------------------------------------------------------------------------
# networks (Podman's Network JSON) and containers (NetworkOptions)

# _first_host CIDR: the first host address of a subnet (the default gateway)
_first_host() {
    local cidr=$1 addr plen
    addr=${cidr%/*}
    plen=${cidr#*/}
    if [[ $addr == *:* ]]; then
        # IPv6: tests use subnets written as "<prefix>::/<len>"
        echo "${addr%::}::1"
    else
        local a b c d n mask
        IFS=. read -r a b c d <<<"$addr"
        n=$(((a << 24) | (b << 16) | (c << 8) | d))
        mask=$(((0xffffffff << (32 - plen)) & 0xffffffff))
        n=$(((n & mask) + 1))
        echo "$(((n >> 24) & 255)).$(((n >> 16) & 255)).$(((n >> 8) & 255)).$((n & 255))"
    fi
}

_rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# net_new NAME IFACE SUBNET[=GATEWAY] ...   (a bridge network, Podman 4.3 style)
#   SUBNET=GW sets the gateway, SUBNET= none, SUBNET alone = first host.
net_new() {
    local name=$1 iface=$2
    shift 2
    local subnets='[]' s cidr gw v6=false
    for s in "$@"; do
        cidr=${s%%=*}
        if [[ $s == *=* ]]; then gw=${s#*=}; else gw=$(_first_host "$cidr"); fi
        [[ $cidr == *:* ]] && v6=true
        if [[ -n $gw ]]; then
            subnets=$(jq -c --arg s "$cidr" --arg g "$gw" '. + [{subnet: $s, gateway: $g}]' <<<"$subnets")
        else
            subnets=$(jq -c --arg s "$cidr" '. + [{subnet: $s}]' <<<"$subnets")
        fi
    done
    jq -n --arg name "$name" --arg id "$(_rand_hex 32)" --arg iface "$iface" \
        --argjson subnets "$subnets" --argjson v6 "$v6" '{
            name: $name, id: $id, driver: "bridge", network_interface: $iface,
            created: "2024-01-01T00:00:00Z", subnets: $subnets,
            ipv6_enabled: $v6, internal: false, dns_enabled: false,
            ipam_options: {driver: "host-local"}
        }' >"$WORLD/nets/$name.json"
}

# net_set NAME JQ-FILTER: edit a network, e.g. net_set n '.internal = true'
net_set() {
    local f="$WORLD/nets/$1.json" tmp
    tmp=$(jq "$2" "$f") && printf '%s\n' "$tmp" >"$f"
}

# net_opt NAME KEY VALUE: set network_info.options.KEY
net_opt() { net_set "$1" ".options[\"$2\"] = \"$3\""; }

# ctr_new NAME: a container: its own netns (lo up, as the runtime leaves it)
# and an empty NetworkOptions document.
ctr_new() {
    local name=$1
    _ns_add "$name"
    jq -n --arg id "$(_rand_hex 32)" --arg name "$name" \
        '{container_id: $id, container_name: $name, networks: {}, network_info: {}}' \
        >"$WORLD/ctrs/$name.json"
}

# ctr_join CTR NET IFNAME IP...: put container CTR on network NET
ctr_join() {
    local ctr=$1 net=$2 ifname=$3
    shift 3
    local ips
    ips=$(printf '%s\n' "$@" | jq -R . | jq -sc 'map(select(. != ""))')
    local short
    short=$(jq -r '.container_id[0:12]' "$WORLD/ctrs/$ctr.json")
    ctr_set "$ctr" --slurpfile net "$WORLD/nets/$net.json" --arg n "$net" \
        --arg ifn "$ifname" --argjson ips "$ips" --arg short "$short" \
        '.networks[$n] = {static_ips: $ips, aliases: [$short], interface_name: $ifn}
         | .network_info[$n] = $net[0]'
}

# ctr_set CTR [jq args...] FILTER: edit a container's NetworkOptions
ctr_set() {
    local ctr=$1
    shift
    local f="$WORLD/ctrs/$ctr.json" tmp
    tmp=$(jq "$@" "$f") && printf '%s\n' "$tmp" >"$f"
}

# ctr_refresh CTR: re-copy network_info from the network files (after net_set)
ctr_refresh() {
    local ctr=$1 n
    for n in $(jq -r '.network_info | keys[]' "$WORLD/ctrs/$ctr.json"); do
        ctr_set "$ctr" --slurpfile net "$WORLD/nets/$n.json" --arg n "$n" '.network_info[$n] = $net[0]'
    done
}

ctr_opts_file() { echo "$WORLD/ctrs/$1.json"; }

# ---------------------------------------------------------------------------
# running the binary under test in the host namespace

# net_exec ARGS... : run the binary in the host ns with Podman's global flags.
# stdin is passed through. Sets status, output (stdout) and stderr.
net_exec() {
    local host
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    # NET_OUT_PREFIX lets parallel callers keep their outputs apart
    local o=${NET_OUT_PREFIX:-$WORLD/}
    # NET_LOCK: serialise calls through flock(1) on this file, like Podman's
    # /run/lock/netavark.lock (used for the netavark control in parallel.bats)
    local lock=()
    [[ -n ${NET_LOCK:-} ]] && lock=(flock -w 120 "$NET_LOCK")
    # NET_AARDVARK: the DNS server binary (default: one that does not exist)
    status=0
    # shellcheck disable=SC2046
    $(mntns_prefix) ip netns exec "$host" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus \
        "${lock[@]}" timeout 60 "$(net_bin)" --config "$NET_CONFIG" --rootless=false \
        --aardvark-binary="${NET_AARDVARK:-$WORLD/no-aardvark-dns}" "$@" \
        >"${o}stdout" 2>"${o}stderr" || status=$?
    output=$(cat "${o}stdout")
    stderr=$(cat "${o}stderr")
    return 0
}

# A mount namespace of its own for the binary under test (failures.bats mounts
# a small tmpfs or a read-only bind mount on the config directory there): a
# slave of the machine's, so that namespaces made later (/run/netns/...)
# appear in it while its own mounts never reach the machine. mntns_start makes
# it (a sleeping process that world_destroy kills), inmnt CMD runs CMD in it;
# while NET_MNTNS_PID is set, net_exec and the snapshots run in it.
mntns_start() {
    unshare -m --propagation slave sleep 600 </dev/null >/dev/null 2>&1 3>&- &
    NET_MNTNS_PID=$!
    echo "$NET_MNTNS_PID" >>"$WORLD/pids"
    wait_for 50 0.1 _mntns_ready "$NET_MNTNS_PID"
}
_mntns_ready() { [[ $(readlink "/proc/$1/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]]; }
mntns_prefix() { [[ -z ${NET_MNTNS_PID:-} ]] || echo "nsenter -t $NET_MNTNS_PID -m --"; }
inmnt() {
    [[ -n ${NET_MNTNS_PID:-} ]] || { echo "inmnt: no mntns_start" >&2; return 1; }
    nsenter -t "$NET_MNTNS_PID" -m -- "$@"
}

# net_setup CTR / net_teardown CTR: the two verbs with the container's document
net_setup() { net_exec setup "/run/netns/$(ns_of "$1")" <"$WORLD/ctrs/$1.json"; }
net_teardown() { net_exec teardown "/run/netns/$(ns_of "$1")" <"$WORLD/ctrs/$1.json"; }

_show_run() {
    echo "exit status: $status"
    echo "stdout: $output"
    echo "stderr: $stderr"
}

# assert_ok: last net_exec exited 0
assert_ok() {
    if [[ $status -ne 0 ]]; then
        echo "expected success" >&2
        _show_run >&2
        return 1
    fi
}

# setup_ok CTR / teardown_ok CTR: run and assert success
setup_ok() { net_setup "$1" && assert_ok; }
teardown_ok() {
    net_teardown "$1" && assert_ok || return 1
    if [[ -n $output ]]; then
        echo "teardown printed something on stdout: $output" >&2
        return 1
    fi
}

# assert_json_error [SUBSTRING]: exit 1, stdout exactly one JSON object whose
# only key is "error" (Podman decodes it with DisallowUnknownFields), and the
# message contains SUBSTRING when given.
assert_json_error() {
    if [[ $status -ne 1 ]]; then
        echo "expected exit status 1" >&2
        _show_run >&2
        return 1
    fi
    if ! jq -se 'length == 1 and (.[0] | type == "object") and (.[0] | keys == ["error"]) and (.[0].error | type == "string" and length > 0)' \
        <<<"$output" >/dev/null 2>&1; then
        echo "stdout is not exactly one {\"error\": \"...\"} object" >&2
        _show_run >&2
        return 1
    fi
    if [[ -n ${1:-} ]]; then
        local msg
        msg=$(jq -r .error <<<"$output")
        if [[ $msg != *"$1"* ]]; then
            echo "error message does not contain '$1'" >&2
            _show_run >&2
            return 1
        fi
    fi
}

# assert_usage_error: exit 2 and nothing on stdout
assert_usage_error() {
    if [[ $status -ne 2 || -n $output ]]; then
        echo "expected a usage error: exit 2, empty stdout" >&2
        _show_run >&2
        return 1
    fi
}

# jq_ok FILTER: the last stdout satisfies a jq boolean filter
jq_ok() {
    if ! jq -e "$1" <<<"$output" >/dev/null; then
        echo "jq check failed: $1" >&2
        echo "on: $output" >&2
        return 1
    fi
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
    if [[ "$1" != "$2" ]]; then
        echo "${3:-value} mismatch" >&2
        echo "  expected: $2" >&2
        echo "  actual:   $1" >&2
        return 1
    fi
}

# refute CMD...: CMD must fail (a `! cmd` in the middle of a test never fails
# it: errexit ignores a negated command)
refute() {
    if "$@"; then
        echo "expected to fail: $*" >&2
        return 1
    fi
}

# assert_match TEXT REGEX [WHAT]
assert_match() {
    if ! [[ $1 =~ $2 ]]; then
        echo "${3:-text} does not match /$2/:" >&2
        echo "$1" >&2
        return 1
    fi
}

# assert_no_match TEXT REGEX [WHAT]
assert_no_match() {
    if [[ $1 =~ $2 ]]; then
        echo "${3:-text} unexpectedly matches /$2/:" >&2
        echo "$1" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------
# waiting and traffic

# wait_for TRIES DELAY CMD...: retry CMD up to TRIES times
wait_for() {
    local tries=$1 delay=$2 i
    shift 2
    for ((i = 0; i < tries; i++)); do
        if "$@"; then return 0; fi
        sleep "$delay"
    done
    echo "timed out waiting for: $*" >&2
    return 1
}

# can_ping FROM ADDR: one ping (v4 or v6) from world member FROM, 1 s wait
can_ping() {
    local fam=-4
    [[ $2 == *:* ]] && fam=-6
    inns "$1" timeout 5 ping "$fam" -n -q -c1 -W1 "$2" >/dev/null 2>&1
}

# assert_ping FROM ADDR: reachable within a few tries (ARP/NDP warm-up)
assert_ping() {
    wait_for 5 0.2 can_ping "$1" "$2" || {
        echo "$1 cannot ping $2" >&2
        return 1
    }
}

# assert_no_ping FROM ADDR: 3 pings, none answered
assert_no_ping() {
    local fam=-4
    [[ $2 == *:* ]] && fam=-6
    if inns "$1" timeout 5 ping "$fam" -n -q -c3 -i0.3 -W1 "$2" >/dev/null 2>&1; then
        echo "$1 can ping $2, but should not" >&2
        return 1
    fi
}

# start_peer_echo [PORT]: a TCP listener in the outside ns that answers every
# connection with the peer address it sees.
start_peer_echo() {
    local port=${1:-8080}
    bg outside socat TCP4-LISTEN:"$port",reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
    bg outside socat TCP6-LISTEN:"$port",ipv6only=1,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
    wait_for 50 0.1 _listening outside "$port" 2
}

# _listening NAME PORT [COUNT]: COUNT sockets listen on PORT
_listening() { [[ $(inns "$1" ss -Hltn "sport = :$2" | grep -c LISTEN) -ge ${3:-1} ]]; }

# peer_seen FROM ADDR [PORT]: connect from FROM and print what the listener saw
peer_seen() {
    local addr=$2
    [[ $addr == *:* ]] && addr="[$addr]"
    inns "$1" timeout 5 socat -T3 - "TCP:$addr:${3:-8080},connect-timeout=2" </dev/null 2>/dev/null
}

# ---------------------------------------------------------------------------
# state snapshots (to prove that nothing changed)

# The sysctls berth-net writes (netbackend/driver-bridge.c and setup.c tables),
# read for every interface of a namespace plus "all" and "default".
SNAPSHOT_SYSCTLS4="route_localnet forwarding rp_filter arp_notify"
SNAPSHOT_SYSCTLS6="forwarding accept_dad accept_ra autoconf"

# snapshot_sysctls NAME: "key = value" lines of a member's namespace
snapshot_sysctls() {
    # shellcheck disable=SC2016
    inns "$1" bash -c '
        cd /proc/sys/net || exit 1
        echo "net.ipv4.ip_forward = $(cat ipv4/ip_forward)"
        for d in ipv4/conf/*/; do
            for k in $1; do [[ -e $d$k ]] && echo "$d$k = $(cat "$d$k")"; done
        done
        if [[ -d ipv6/conf ]]; then
            for d in ipv6/conf/*/; do
                for k in $2; do [[ -e $d$k ]] && echo "$d$k = $(cat "$d$k")"; done
            done
        fi
        exit 0' _ "$SNAPSHOT_SYSCTLS4" "$SNAPSHOT_SYSCTLS6" | sort
}

# snapshot_config: the files under the config directory (berth's state
# records, the aardvark-dns files) with a hash of their contents; lock files
# (empty, kept by design) and directories are left out
snapshot_config() {
    local d
    # the config directory (aardvark-dns files) and berth's run directory
    # (state records; its lock file is kept by design)
    for d in "${NET_CONFIG:-}" "${BERTH_RUN_DIR:-}"; do
        [[ -n $d ]] || continue
        echo "# $d"
        # shellcheck disable=SC2016,SC2046
        $(mntns_prefix) bash -c '[[ -d $1 ]] || exit 0; cd "$1" &&
            find . -type f ! -name "*.lock" ! -name lock -print0 | sort -z |
            xargs -0 -r sha256sum' _ "$d"
    done
}

# snapshot NAME: links (and whether a bridge filters VLANs), addresses,
# routes, the whole ruleset and the sysctls berth-net writes of a member; for
# the host also the config directory
snapshot() {
    # operstate, carrier and DAD progress change asynchronously: left out;
    # so are IPv6 link-local addresses and their local routes, which the
    # kernel adds on its own some time after a link comes up (berth never
    # adds one); an address leaves "tentative" (and gets its local route)
    # only once its link has carrier, so wait (bounded) until none is tentative
    wait_for 30 0.1 _no_tentative "$1" 2>/dev/null || true
    echo "## links"
    ipn "$1" -o link show | sed -E 's/^[0-9]+: //; s/ state [A-Z]+ / /; s/,?LOWER_UP//; s/NO-CARRIER,?//'
    echo "## bridges"
    ipn "$1" -d -j link show type bridge |
        jq -r '.[] | "\(.ifname) vlan_filtering=\(.linkinfo.info_data.vlan_filtering)"'
    echo "## addresses"
    ipn "$1" -o addr show | { grep -v ' inet6 fe80:' || true; } |
        sed -E 's/^[0-9]+: //; s/ tentative//; s/valid_lft.*//'
    echo "## routes"
    ipn "$1" route show table all | { grep -v '^local fe80:' || true; }
    ipn "$1" -6 route show table all | { grep -v '^local fe80:' || true; }
    echo "## ruleset"
    inns "$1" nft list ruleset
    echo "## sysctls"
    snapshot_sysctls "$1"
    # SNAPSHOT_NO_CONFIG=1: the kernel state only
    if [[ $1 == host && -z ${SNAPSHOT_NO_CONFIG:-} ]]; then
        echo "## config directory"
        snapshot_config
    fi
}

_no_tentative() { [[ -z $(ipn "$1" -6 addr show tentative) ]]; }

# assert_same_snapshot BEFORE-FILE NAME
assert_same_snapshot() {
    local now
    now=$(snapshot "$2")
    if ! diff -u "$1" <(printf '%s\n' "$now") >&2; then
        echo "state of '$2' changed (diff above: - before, + after)" >&2
        return 1
    fi
}

# take_snapshots CTR...: snapshots of the host and the given containers
take_snapshots() {
    local m
    for m in host "$@"; do
        snapshot "$m" >"$WORLD/$m.before"
    done
}

# assert_unchanged CTR...: nothing changed since take_snapshots
assert_unchanged() {
    local m
    for m in host "$@"; do
        assert_same_snapshot "$WORLD/$m.before" "$m" || return 1
    done
}

# link_exists NAME IFNAME
link_exists() { ipn "$1" link show dev "$2" >/dev/null 2>&1; }

# sysctl_of NAME KEY: read a sysctl inside a member's namespace
sysctl_of() { inns "$1" cat "/proc/sys/${2//.//}"; }

# berth_table NAME: the berth nftables table in a member's ns (empty if none)
berth_table() { inns "$1" nft list table inet berth 2>/dev/null || true; }

# assert_no_link NAME IFNAME (bash ignores `! cmd` under errexit: use this)
assert_no_link() {
    if link_exists "$1" "$2"; then
        echo "link $2 still exists in $1:" >&2
        ipn "$1" link show dev "$2" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------
# berth's nftables table, read through `nft` (the test oracle)

# berth_map_elems NAME MAP: the elements of one of berth's maps in a member's
# ns, one per line, sorted, written like nft writes them ("tcp . 8080 :
# 10.89.1.2 . 80"); nothing when the table or map does not exist.
berth_map_elems() {
    inns "$1" nft -j list map inet berth "$2" 2>/dev/null | jq -r '
        .nftables[] | select(.map) | (.map.elem // [])[]
        | map(if type == "object" and has("concat") then (.concat | map(tostring) | join(" . "))
              else tostring end)
        | join(" : ")' | sort
}

# berth_rule_count NAME: number of rules in berth's table, counted in nft's
# JSON (a rule with an inline set or vmap counts like any other); 0 when the
# table does not exist, a failure when nft or jq fails otherwise.
berth_rule_count() {
    local out
    if ! out=$(inns "$1" nft -j list table inet berth 2>&1); then
        if [[ $out == *"No such file or directory"* ]]; then
            echo 0
            return 0
        fi
        echo "nft -j list table inet berth failed in $1: $out" >&2
        return 1
    fi
    jq -e '[.nftables[] | select(has("rule"))] | length' <<<"$out"
}

# state_record_exists CTR: berth's state record of a container exists
state_record_exists() {
    local id
    id=$(jq -r .container_id "$WORLD/ctrs/$1.json")
    [[ -e $BERTH_RUN_DIR/state/netavark/$id.json ]]
}

# ruleset_canon NAME: a member's whole nftables ruleset as canonical JSON:
# no handles, set/map elements sorted, objects sorted, rules grouped by
# chain in their order. Equal output means the same rules and elements,
# whatever order they were created in.
ruleset_canon() {
    inns "$1" nft -j list ruleset | jq -S '
        [.nftables[] | select(has("metainfo") | not)
         | walk(if type == "object" then del(.handle) else . end)] as $all
        | {objects: ($all | map(select(has("rule") | not))
                     | map(if .set then .set.elem |= (if . then sort else . end)
                           elif .map then .map.elem |= (if . then sort else . end)
                           else . end) | sort),
           rules: ($all | map(select(has("rule"))) | group_by(.rule.table, .rule.chain))}'
}
