#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Setup/teardown latency of berth-net, Debian's netavark (when installed) and
# the kernel's floor (bench/veth-floor), N containers in a row on one network.
#
#   sudo bench/setup-teardown.sh [N]        N = 200 by default, at most 1000
#
# Per implementation, in a private world of namespaces (host + outside +
# N containers, never the machine's own network):
#   setup of containers 1..N in a row (the first creates the bridge and the
#   firewall), then teardown of 1..N in the same order (the last deletes them).
# Each call is timed by bench/bench-run (fork + exec + wait, CLOCK_MONOTONIC).
#
# Environment: BUILD (default build), BERTH_NET, NETAVARK_BIN (default
# /usr/lib/podman/netavark; set to "" to skip), KEEP_RAW=DIR to keep timings.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-200}
if ! [[ $N =~ ^[0-9]+$ ]] || ((N < 20 || N > 1000)); then
    echo "usage: $0 [N]   (20 <= N <= 1000)" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "$0 needs root (it creates network namespaces)" >&2
    exit 1
fi

BUILD=${BUILD:-build}
[[ -f $BUILD/build.ninja ]] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" >/dev/null
BERTH_NET=${BERTH_NET:-$PWD/$BUILD/netbackend/berth-net}
NETAVARK_BIN=${NETAVARK_BIN-/usr/lib/podman/netavark}
RUNNER=$PWD/$BUILD/bench/bench-run
FLOOR=$PWD/$BUILD/bench/veth-floor

WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
P="berth-b$$"
NAMESPACES_FILE=$WORK/namespaces
: >"$NAMESPACES_FILE"

cleanup() {
    local ns
    if [[ -f $NAMESPACES_FILE ]]; then
        while read -r ns; do
            [[ $ns == "$P"-* ]] && ip netns del "$ns" 2>/dev/null
        done <"$NAMESPACES_FILE"
    fi
    if [[ -n ${KEEP_RAW:-} ]]; then
        mkdir -p "$KEEP_RAW" && cp "$WORK"/*.tsv "$KEEP_RAW"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# world IMPL: host + outside + N container namespaces, all in one ip batch
world() {
    local impl=$1 i h="$P-$impl-host" o="$P-$impl-outside"
    {
        echo "netns add $h"
        echo "netns add $o"
        for ((i = 1; i <= N; i++)); do echo "netns add $P-$impl-c$i"; done
    } >"$WORK/ns.batch"
    ip -batch "$WORK/ns.batch"
    {
        echo "$h"
        echo "$o"
        for ((i = 1; i <= N; i++)); do echo "$P-$impl-c$i"; done
    } >>"$NAMESPACES_FILE"
    ip -n "$h" link set lo up
    ip -n "$h" link add vout type veth peer name eth0 netns "$o"
    ip -n "$h" addr add 198.18.0.1/24 dev vout
    ip -n "$o" addr add 198.18.0.2/24 dev eth0
    ip -n "$h" link set vout up
    ip -n "$o" link set eth0 up
    ip -n "$h" route add default via 198.18.0.2
}

destroy_world() {
    local impl=$1 ns
    grep "^$P-$impl-" "$NAMESPACES_FILE" | sed 's/^/netns del /' >"$WORK/del.batch" || true
    ip -batch "$WORK/del.batch" 2>/dev/null || true
    grep -v "^$P-$impl-" "$NAMESPACES_FILE" >"$WORK/ns.left" || true
    mv "$WORK/ns.left" "$NAMESPACES_FILE"
}

ip_of() { echo "10.89.$(($1 / 250)).$(($1 % 250 + 2))"; }

# documents IMPL: one NetworkOptions file per container (Podman 4.3 shape)
documents() {
    local impl=$1 i id
    for ((i = 1; i <= N; i++)); do
        id=$(printf '%064x' "$i")
        printf '{"container_id":"%s","container_name":"bench%d","networks":{"bench":{"static_ips":["%s"],"aliases":["%s"],"interface_name":"eth0"}},"network_info":{"bench":{"name":"bench","id":"%s","driver":"bridge","network_interface":"podman1","created":"2024-01-01T00:00:00Z","subnets":[{"subnet":"10.89.0.0/16","gateway":"10.89.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false,"ipam_options":{"driver":"host-local"}}}}\n' \
            "$id" "$i" "$(ip_of "$i")" "${id:0:12}" "$(printf '%064x' 4242)" >"$WORK/$impl-c$i.json"
    done
}

# run_impl IMPL BIN: setup 1..N, teardown 1..N
run_impl() {
    local impl=$1 bin=$2 i
    world "$impl"
    documents "$impl"
    mkdir -p "$WORK/$impl-config"
    : >"$WORK/$impl.plan"
    for ((i = 1; i <= N; i++)); do
        printf 'setup\t%s\tsetup\t/run/netns/%s\n' "$WORK/$impl-c$i.json" "$P-$impl-c$i" >>"$WORK/$impl.plan"
    done
    for ((i = 1; i <= N; i++)); do
        printf 'teardown\t%s\tteardown\t/run/netns/%s\n' "$WORK/$impl-c$i.json" "$P-$impl-c$i" >>"$WORK/$impl.plan"
    done
    echo "  $impl: $N setups + $N teardowns ..." >&2
    ip netns exec "$P-$impl-host" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus \
        "$RUNNER" -p "$WORK/$impl.plan" -o "$WORK/$impl.tsv" -- \
        "$bin" --config "$WORK/$impl-config" --rootless=false \
        --aardvark-binary="$WORK/no-aardvark-dns" || echo "  $impl: some calls failed" >&2
    destroy_world "$impl"
}

# run_floor: the same sequence with veth-floor (the bridge exists already)
run_floor() {
    local impl=floor i h
    world "$impl"
    h="$P-$impl-host"
    ip -n "$h" link add podman1 type bridge
    ip -n "$h" addr add 10.89.0.1/16 dev podman1
    ip -n "$h" link set podman1 up
    : >"$WORK/$impl.plan"
    for ((i = 1; i <= N; i++)); do
        printf 'setup\t/dev/null\tadd\t/run/netns/%s\tveth%d\tpodman1\teth0\t%s/16\t10.89.0.1\n' \
            "$P-$impl-c$i" "$i" "$(ip_of "$i")" >>"$WORK/$impl.plan"
    done
    for ((i = 1; i <= N; i++)); do
        printf 'teardown\t/dev/null\tdel\t/run/netns/%s\teth0\n' "$P-$impl-c$i" >>"$WORK/$impl.plan"
    done
    echo "  floor: $N veth adds + $N deletes ..." >&2
    ip netns exec "$h" "$RUNNER" -p "$WORK/$impl.plan" -o "$WORK/$impl.tsv" -- "$FLOOR" ||
        echo "  floor: some calls failed" >&2
    destroy_world "$impl"
}

# stat FILE LABEL FROM TO WHAT: WHAT in (median p95 mean) of calls FROM..TO
# (1-based within LABEL), in ms with 2 decimals
stat() {
    awk -F'\t' -v l="$2" '$1 == l { n++; if (n >= '"$3"' && n <= '"$4"') print $3 }' "$1" | sort -n |
        awk -v what="$5" '{ v[NR] = $1; s += $1 }
            END { if (NR == 0) { print "-"; exit }
                  if (what == "median") x = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                  else if (what == "p95") { i = int(NR * 0.95 + 0.999); if (i < 1) i = 1; x = v[i] }
                  else x = s / NR
                  printf "%.2f", x / 1000 }'
}

failures() { awk -F'\t' '$4 != 0 { n++ } END { print n + 0 }' "$1"; }

echo "berth setup/teardown benchmark: N=$N containers on one network ($(nproc) CPUs, kernel $(uname -r))" >&2
impls=()
run_impl berth "$BERTH_NET"
impls+=(berth)
if [[ -n $NETAVARK_BIN && -x $NETAVARK_BIN ]]; then
    run_impl netavark "$NETAVARK_BIN"
    impls+=(netavark)
fi
run_floor
impls+=(floor)

row() { # TITLE LABEL FROM TO WHAT
    local impl v vals=() b n f
    for impl in "${impls[@]}"; do
        v=$(stat "$WORK/$impl.tsv" "$2" "$3" "$4" "$5")
        vals+=("$v")
    done
    printf '%-30s' "$1"
    for v in "${vals[@]}"; do printf '%12s' "$v"; done
    b=${vals[0]} f=${vals[${#vals[@]} - 1]}
    if [[ ${#impls[@]} -eq 3 ]]; then
        n=${vals[1]}
        awk -v b="$b" -v n="$n" -v f="$f" 'BEGIN {
            if (b > 0 && n != "-") printf "%15.1fx", n / b; else printf "%16s", "-"
            if (f > 0) printf "%15.2fx\n", b / f; else printf "%16s\n", "-" }'
    else
        awk -v b="$b" -v f="$f" 'BEGIN { if (f > 0) printf "%15.2fx\n", b / f; else printf "%16s\n", "-" }'
    fi
}

echo
printf '%-30s' "ms (fork+exec+wait)"
for impl in "${impls[@]}"; do printf '%12s' "$impl"; done
if [[ ${#impls[@]} -eq 3 ]]; then printf '%16s%16s\n' "netavark/berth" "berth/floor"; else printf '%16s\n' "berth/floor"; fi
last=$N
row "setup: first (creates bridge)" setup 1 1 median
row "setup: median of 2..N" setup 2 "$last" median
row "setup: p95 of 2..N" setup 2 "$last" p95
row "setup: median of 1..10" setup 1 10 median
row "setup: median of N-9..N" setup $((N - 9)) "$N" median
row "teardown: median of 1..N-1" teardown 1 $((N - 1)) median
row "teardown: p95 of 1..N-1" teardown 1 $((N - 1)) p95
row "teardown: median of 1..10" teardown 1 10 median
row "teardown: median of N-10..N-1" teardown $((N - 10)) $((N - 1)) median
row "teardown: last (deletes bridge)" teardown "$N" "$N" median
printf '%-30s' "failed calls"
for impl in "${impls[@]}"; do printf '%12s' "$(failures "$WORK/$impl.tsv")"; done
echo
echo
echo "Goals: berth setup median < 5 ms; berth teardown median within 1.3x of the floor."
echo "The floor's first setup/last teardown have no bridge work (it is pre-created)."
