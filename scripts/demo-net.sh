#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# berth-net demo: installs dependencies, builds, then wires three "containers"
# on two networks with berth-net, exactly as Podman would call netavark, and
# shows addresses, reachability, NAT and isolation. Everything happens in
# throwaway network namespaces (berth-demo-<pid>-*); the machine's own network
# is never touched, and everything is removed at the end.
#
#   outside  198.18.0.2   plays "the internet"
#      | veth
#   host     198.18.0.1   berth-net runs here; bridges podman1, podman2
#      |-- web (10.89.10.0/24, bridge podman1): c1 .2, c2 .3
#      '-- db  (10.89.20.0/24, bridge podman2, internal): c2 .3, c3 .2
#
# Usage, as root: ./scripts/demo-net.sh (BERTH_NET=path overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
    echo "demo.sh needs root (it creates network namespaces): run it as root" >&2
    exit 1
fi

bash scripts/deps.sh
if [[ -z ${BERTH_NET:-} ]]; then
    [[ -f build/build.ninja ]] || meson setup build >/dev/null
    meson compile -C build >/dev/null
    BERTH_NET=$PWD/build/netbackend/berth-net
fi

P="berth-demo-$$"
HOST=$P-host
WORK=$(mktemp -d /tmp/berth-demo.XXXXXX)
NAMESPACES=()
BG_PIDS=()

if [[ -t 1 ]]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B= G= R= N=; fi
bold() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
ok() { printf '  %sOK%s    %s\n' "$G" "$N" "$*"; }
bad() { printf '  %sFAIL%s  %s\n' "$R" "$N" "$*"; FAILED=1; }
FAILED=0

cleanup() {
    local pid ns
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in "${NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

netns() { ip netns add "$1"; NAMESPACES+=("$1"); ip -n "$1" link set lo up; }

# berth VERB CTR: run berth-net in the host ns like Podman does
berth() {
    ip netns exec "$HOST" timeout 30 "$BERTH_NET" --config "$WORK/config" --rootless=false \
        "$1" "/run/netns/$P-$2" <"$WORK/$2.json"
}

network() { # NAME BRIDGE SUBNET GATEWAY INTERNAL
    jq -n --arg n "$1" --arg b "$2" --arg s "$3" --arg g "$4" --argjson i "$5" \
        --arg id "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" '{
        name: $n, id: $id,
        driver: "bridge", network_interface: $b, created: "2024-01-01T00:00:00Z",
        subnets: [{subnet: $s, gateway: $g}], ipv6_enabled: false, internal: $i,
        dns_enabled: false, ipam_options: {driver: "host-local"}}'
}

container() { # NAME then NET=IP:IFNAME ...
    local name=$1 doc
    shift
    doc=$(jq -n --arg n "$name" --arg id "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
        '{container_id: $id, container_name: $n, networks: {}, network_info: {}}')
    local spec net ip ifn
    for spec in "$@"; do
        net=${spec%%=*} ip=${spec#*=} ifn=${ip#*:} ip=${ip%%:*}
        doc=$(jq --arg net "$net" --arg ip "$ip" --arg ifn "$ifn" --argjson info "$(cat "$WORK/$net.net")" \
            '.networks[$net] = {static_ips: [$ip], aliases: [.container_id[0:12]], interface_name: $ifn}
             | .network_info[$net] = $info' <<<"$doc")
    done
    printf '%s\n' "$doc" >"$WORK/$name.json"
}

check() { # DESCRIPTION EXPECT(yes|no) CMD...
    local what=$1 expect=$2 tries=1 i r=1
    shift 2
    [[ $expect == yes ]] && tries=3   # allow for ARP on the first packet
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then r=0; break; fi
    done
    if [[ $r -eq 0 ]]; then
        [[ $expect == yes ]] && ok "$what" || bad "$what (it worked, but must not)"
    else
        [[ $expect == no ]] && ok "$what: blocked, as it should be" || bad "$what"
    fi
}

ping_from() { ip netns exec "$P-$1" timeout 5 ping -n -q -c1 -W2 "$2"; }

bold "berth-net: $("$BERTH_NET" --version) ($BERTH_NET)"

bold "1. A throwaway world: host and outside namespaces"
netns "$HOST"
netns "$P-outside"
ip -n "$HOST" link add vout type veth peer name eth0 netns "$P-outside"
ip -n "$HOST" addr add 198.18.0.1/24 dev vout
ip -n "$P-outside" addr add 198.18.0.2/24 dev eth0
ip -n "$HOST" link set vout up
ip -n "$P-outside" link set eth0 up
ip -n "$HOST" route add default via 198.18.0.2
echo "  host ns $HOST: 198.18.0.1 on vout, default route via the outside ns 198.18.0.2"

network web podman1 10.89.10.0/24 10.89.10.1 false >"$WORK/web.net"
network db podman2 10.89.20.0/24 10.89.20.1 true >"$WORK/db.net"
container c1 web=10.89.10.2:eth0
container c2 web=10.89.10.3:eth0 db=10.89.20.3:eth1
container c3 db=10.89.20.2:eth0

bold "2. Setting up three containers (the JSON Podman would send is in $WORK)"
echo "  networks: web (bridge podman1, 10.89.10.0/24) and db (bridge podman2, 10.89.20.0/24, internal)"
for c in c1 c2 c3; do
    netns "$P-$c"
    echo "  \$ berth-net --config ... --rootless=false setup /run/netns/$P-$c < $c.json"
    t0=$(date +%s%N)
    out=$(berth setup "$c")
    t1=$(date +%s%N)
    echo "    -> $(jq -c 'map_values(.interfaces | map_values(.subnets | map(.ipnet)))' <<<"$out")   ($(((t1 - t0) / 1000000)) ms incl. ip netns exec; see bench/)"
done

bold "3. Addresses inside each container"
for c in c1 c2 c3; do
    echo "  [$c]"
    ip -n "$P-$c" -br addr show | sed 's/^/    /'
done
echo "  [host]"
ip -n "$HOST" -br addr show | sed 's/^/    /'

bold "4. Reachability"
check "c1 -> c2 (same network web)" yes ping_from c1 10.89.10.3
check "c2 -> c3 (same internal network db)" yes ping_from c2 10.89.20.2
check "c1 -> the outside 198.18.0.2 (through NAT)" yes ping_from c1 198.18.0.2
ip netns exec "$P-outside" socat TCP4-LISTEN:8080,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' \
    </dev/null >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do
    ip netns exec "$P-outside" ss -Hltn 'sport = :8080' | grep -q LISTEN && break
    sleep 0.1
done
seen=$(ip netns exec "$P-c1" timeout 5 socat -T3 - TCP:198.18.0.2:8080,connect-timeout=2 </dev/null 2>/dev/null || true)
if [[ $seen == 198.18.0.1 ]]; then
    ok "a TCP server outside sees c1 as $seen (the host's address, masqueraded)"
else
    bad "the outside server saw '$seen', expected 198.18.0.1"
fi
check "c1 -> c3 (c3 is only on the internal network)" no ping_from c1 10.89.20.2
check "c3 -> the outside (internal network: no egress)" no ping_from c3 198.18.0.2

bold "5. berth's firewall in the host ns (one table, sets instead of per-container rules)"
ip netns exec "$HOST" nft list ruleset | sed 's/^/    /'

bold "6. Tearing everything down"
for c in c3 c2 c1; do
    berth teardown "$c"
    echo "  teardown $c: ok"
done
echo "  links left in the host ns:"
ip -n "$HOST" -br link show | sed 's/^/    /'
rules=$(ip netns exec "$HOST" nft list ruleset)
if [[ -z $rules ]]; then
    ok "no firewall rules left in the host ns"
else
    echo "  ruleset left in the host ns:"
    printf '%s\n' "$rules" | sed 's/^/    /'
fi
if ip -n "$HOST" link show podman1 >/dev/null 2>&1 || ip -n "$HOST" link show podman2 >/dev/null 2>&1; then
    bad "a bridge was left behind"
else
    ok "bridges podman1 and podman2 are gone"
fi

bold "Done: the namespaces are deleted on exit"
if [[ $FAILED -ne 0 ]]; then
    echo "Some checks failed (see FAIL above)."
    exit 1
fi
echo "All checks passed."
