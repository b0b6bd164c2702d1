#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Setup/teardown latency of berth-net, Debian's netavark (when installed) and
# the kernel's floor (bench/veth-floor), N containers in a row on one network.
#
#   sudo bench/setup-teardown.sh [--plain | --ports | --all] [N]
#
#   --plain   N containers without port mappings (setup 1..N, teardown 1..N)
#   --ports   (a) N containers each with one TCP port mapping (host port
#             10000+i -> 80), setup 1..N, teardown 1..N;
#             (b) one container with a 1000-port range (host 20000-20999 ->
#             30000-30999) joining a network that already has a container,
#             set up and torn down RANGE_REPS times (default 5)
#   --all     both (the default)
#   N         containers per run, 20..1000, default 1000
#
# Everything happens in private namespaces this script creates (per
# implementation: a "host" netns with an "outside" netns behind a veth and a
# default route, plus N container netns), never in the machine's own network.
# Each call is timed by bench/bench-run, which enters the host netns once
# (setns) and then fork+execs the program directly for every call, the same
# way for berth-net, netavark and veth-floor.
#
# The whole comparison runs ROUNDS times, the implementations interleaved
# (round 1: floor, berth, netavark; round 2: berth, netavark, floor; ...), so
# that a slow spell of the machine does not fall on one implementation only.
# Each figure is over the calls of all rounds (a call's position, "2..N",
# counts within its own round). A call that fails is left out of the figures
# and counted apart ("failed calls").
#
# Environment:
#   BUILD         build directory (default build); built with ninja if stale
#   BERTH_NET     berth-net binary (default $BUILD/netbackend/berth-net)
#   NETAVARK_BIN  default /usr/lib/podman/netavark; "" to skip netavark
#   NETAVARK_N    containers for netavark in --plain (default N)
#   NETAVARK_PORTS_N  containers for netavark in --ports (default min(N, 200):
#                 netavark 1.4 + iptables takes ~0.1 s per call and grows)
#   RANGE_REPS    repetitions of the range setup/teardown (default 5)
#   ROUNDS        rounds, 1..10 (default 3)
#   CALL_TIMEOUT  seconds before a single call is killed (default 60)
#   KEEP_RAW=DIR  keep the raw timings (<mode>-<impl>.tsv)
#
# The script installs nothing: scripts/deps.sh installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh

MODE=all
case ${1:-} in
--plain) MODE=plain; shift ;;
--ports) MODE=ports; shift ;;
--all) MODE=all; shift ;;
-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
N=${1:-1000}
if [[ $# -gt 1 ]] || ! [[ $N =~ ^[0-9]+$ ]] || ((N < 20 || N > 1000)); then
    echo "usage: $0 [--plain | --ports | --all] [N]   (20 <= N <= 1000)" >&2
    exit 2
fi
NETAVARK_N=${NETAVARK_N:-$N}
NETAVARK_PORTS_N=${NETAVARK_PORTS_N:-$((N < 200 ? N : 200))}
RANGE_REPS=${RANGE_REPS:-5}
ROUNDS=${ROUNDS:-3}
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || ((ROUNDS < 1 || ROUNDS > 10)); then
    echo "ROUNDS must be between 1 and 10" >&2
    exit 2
fi
CALL_TIMEOUT=${CALL_TIMEOUT:-60}
for v in NETAVARK_N NETAVARK_PORTS_N; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]] || ((${!v} < 20 || ${!v} > N)); then
        echo "$v must be between 20 and N ($N)" >&2
        exit 2
    fi
done
if [[ $(id -u) -ne 0 ]]; then
    echo "$0 needs root (it creates network namespaces)" >&2
    exit 1
fi

# tools: fail clearly, install nothing (scripts/deps.sh does)
missing=()
for t in ip nft awk sort ninja meson timeout; do
    command -v "$t" >/dev/null || missing+=("$t")
done
NETAVARK_BIN=${NETAVARK_BIN-/usr/lib/podman/netavark}
if [[ -n $NETAVARK_BIN ]]; then
    [[ -x $NETAVARK_BIN ]] || missing+=("$NETAVARK_BIN (package netavark; NETAVARK_BIN= to skip)")
    # netavark 1.4 drives the firewall through the iptables binary
    command -v iptables >/dev/null || missing+=("iptables (needed by netavark 1.4)")
fi
bench_fail_missing "${missing[@]}"

BUILD=${BUILD:-build}
targets=(bench/bench-run bench/veth-floor)
[[ -z ${BERTH_NET:-} ]] && targets+=(netbackend/berth-net)
bench_build bench-build.log "${targets[@]}"
BERTH_NET=${BERTH_NET:-$PWD/$BUILD/netbackend/berth-net}
RUNNER=$PWD/$BUILD/bench/bench-run
FLOOR=$PWD/$BUILD/bench/veth-floor
bench_require_built "$BERTH_NET" "$RUNNER" "$FLOOR"

WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
# berth's run directory (lock, state records) of this run only: the machine's
# own /run/berth is neither read nor written
export BERTH_RUN_DIR=$WORK/run
P="berth-b$$"
NAMESPACES_FILE=$WORK/namespaces
: >"$NAMESPACES_FILE"
# a read-only look at the machine's own network, to prove we left it alone
ip -o link show | awk '{ print $2 }' | sort >"$WORK/own-links.before"
nft list tables 2>/dev/null | sort >"$WORK/own-nft.before" || true

cleanup() {
    local ns
    if [[ -f $NAMESPACES_FILE ]]; then
        while read -r ns; do
            [[ $ns == "$P"-* ]] && ip netns del "$ns" 2>/dev/null
        done <"$NAMESPACES_FILE"
    fi
    if [[ -n ${KEEP_RAW:-} ]]; then
        mkdir -p "$KEEP_RAW" && cp "$WORK"/*.tsv "$WORK"/*.err "$KEEP_RAW"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# settle: wait (at most 20 s) until the CPUs are idle, so that the kernel's
# asynchronous clean-up of the previous world's namespaces does not run
# during the next measurement
settle() {
    local i a b busy
    for ((i = 0; i < 40; i++)); do
        a=$(awk '/^cpu / { print $2+$3+$4+$7+$8, $5+$6 }' /proc/stat)
        sleep 0.5
        b=$(awk '/^cpu / { print $2+$3+$4+$7+$8, $5+$6 }' /proc/stat)
        busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
            t = y[1] - x[1] + y[2] - x[2]; printf "%d", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')
        ((busy < 10)) && return 0
        ((i == 0)) && echo "  (waiting for the CPUs to become idle ...)" >&2
    done
    echo "  (the CPUs are still $busy % busy after 20 s; measuring anyway: figures are pessimistic)" >&2
    BUSY_RUNS+=("$1: $busy %")
}
BUSY_RUNS=()

ip_of() { echo "10.89.$(($1 / 250)).$(($1 % 250 + 2))"; }

# document FILE I PORTS-JSON: the NetworkOptions of container I (Podman 4.3 shape)
document() {
    local id
    id=$(printf '%064x' "$2")
    printf '{"container_id":"%s","container_name":"bench%d","port_mappings":%s,"networks":{"bench":{"static_ips":["%s"],"aliases":["%s"],"interface_name":"eth0"}},"network_info":{"bench":{"name":"bench","id":"%s","driver":"bridge","network_interface":"podman1","created":"2024-01-01T00:00:00Z","subnets":[{"subnet":"10.89.0.0/16","gateway":"10.89.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false,"ipam_options":{"driver":"host-local"}}}}\n' \
        "$id" "$2" "$3" "$(ip_of "$2")" "${id:0:12}" "$(printf '%064x' 4242)" >"$1"
}

pm() { # HOST_PORT CONTAINER_PORT RANGE
    printf '[{"host_ip":"","container_port":%d,"host_port":%d,"range":%d,"protocol":"tcp"}]' "$2" "$1" "$3"
}

# measure TAG PROGRAM [ARGS...]: run plan $WORK/TAG.plan in TAG's host netns;
# the timings of round $ROUND are appended to $WORK/TAG.tsv with the round
# as a fifth column
measure() {
    local tag=$1
    shift
    env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus \
        timeout -k 5 900 "$RUNNER" -n "/run/netns/$P-$tag-host" -t "$CALL_TIMEOUT" \
        -e "$WORK/$tag.err" -p "$WORK/$tag.plan" -o "$WORK/$tag.r$ROUND.tsv" -- "$@" ||
        echo "  $tag: some calls failed in round $ROUND (see KEEP_RAW=DIR, $tag.err)" >&2
    if [[ -f $WORK/$tag.r$ROUND.tsv ]]; then
        awk -v r="$ROUND" '{ print $0 "\t" r }' "$WORK/$tag.r$ROUND.tsv" >>"$WORK/$tag.tsv"
    fi
}

impl_bin() { case $1 in berth) echo "$BERTH_NET" ;; netavark) echo "$NETAVARK_BIN" ;; esac; }

# run_seq MODE IMPL COUNT: setup 1..COUNT, teardown 1..COUNT (MODE plain|ports)
run_seq() {
    local mode=$1 impl=$2 count=$3 tag="$1-$2" i ports
    settle "$tag round $ROUND"
    world "$tag" "$count"
    rm -rf "$WORK/$tag-config"
    mkdir -p "$WORK/$tag-config"
    : >"$WORK/$tag.plan"
    for ((i = 1; i <= count; i++)); do
        ports=null
        [[ $mode == ports ]] && ports=$(pm $((10000 + i)) 80 1)
        document "$WORK/$tag-c$i.json" "$i" "$ports"
        printf 'setup\t%s\tsetup\t/run/netns/%s\n' "$WORK/$tag-c$i.json" "$P-$tag-c$i" >>"$WORK/$tag.plan"
    done
    for ((i = 1; i <= count; i++)); do
        printf 'teardown\t%s\tteardown\t/run/netns/%s\n' "$WORK/$tag-c$i.json" "$P-$tag-c$i" >>"$WORK/$tag.plan"
    done
    echo "  round $ROUND: $mode/$impl: $count setups + $count teardowns ..." >&2
    measure "$tag" "$(impl_bin "$impl")" --config "$WORK/$tag-config" --rootless=false \
        --aardvark-binary="$WORK/no-aardvark-dns"
    destroy_world "$tag"
}

# run_range IMPL: c1 (no ports) joins, then c2 with a 1000-port range is set
# up and torn down RANGE_REPS times, then c1 leaves
run_range() {
    local impl=$1 tag="range-$1" i
    settle "$tag round $ROUND"
    world "$tag" 2
    rm -rf "$WORK/$tag-config"
    mkdir -p "$WORK/$tag-config"
    document "$WORK/$tag-c1.json" 1 null
    document "$WORK/$tag-c2.json" 2 "$(pm 20000 30000 1000)"
    {
        printf 'join\t%s\tsetup\t/run/netns/%s\n' "$WORK/$tag-c1.json" "$P-$tag-c1"
        for ((i = 1; i <= RANGE_REPS; i++)); do
            printf 'setup\t%s\tsetup\t/run/netns/%s\n' "$WORK/$tag-c2.json" "$P-$tag-c2"
            printf 'teardown\t%s\tteardown\t/run/netns/%s\n' "$WORK/$tag-c2.json" "$P-$tag-c2"
        done
        printf 'leave\t%s\tteardown\t/run/netns/%s\n' "$WORK/$tag-c1.json" "$P-$tag-c1"
    } >"$WORK/$tag.plan"
    echo "  round $ROUND: range/$impl: $RANGE_REPS x (setup + teardown) with 1000 ports ..." >&2
    measure "$tag" "$(impl_bin "$impl")" --config "$WORK/$tag-config" --rootless=false \
        --aardvark-binary="$WORK/no-aardvark-dns"
    destroy_world "$tag"
}

# run_floor COUNT: the same sequence with veth-floor; the first setup also
# creates the bridge, the last teardown deletes the last veth and the bridge
# in one RTM_DELLINK (a link group), as berth does; no firewall at all
run_floor() {
    local count=$1 tag=floor i h
    settle "$tag round $ROUND"
    world "$tag" "$count"
    h="$P-$tag-host"
    printf 'setup\t/dev/null\tfirst\t/run/netns/%s\tveth1\tpodman1\teth0\t%s/16\t10.89.0.1\t10.89.0.1/16\n' \
        "$P-$tag-c1" "$(ip_of 1)" >"$WORK/$tag.plan"
    for ((i = 2; i <= count; i++)); do
        printf 'setup\t/dev/null\tadd\t/run/netns/%s\tveth%d\tpodman1\teth0\t%s/16\t10.89.0.1\n' \
            "$P-$tag-c$i" "$i" "$(ip_of "$i")" >>"$WORK/$tag.plan"
    done
    for ((i = 1; i < count; i++)); do
        printf 'teardown\t/dev/null\tdel\t/run/netns/%s\teth0\n' "$P-$tag-c$i" >>"$WORK/$tag.plan"
    done
    printf 'teardown\t/dev/null\tlast\tveth%d\tpodman1\n' "$count" >>"$WORK/$tag.plan"
    echo "  round $ROUND: floor: $count veth adds + $count deletes ..." >&2
    measure "$tag" "$FLOOR"
    destroy_world "$tag"
}

# stat TSV LABEL FROM TO WHAT: WHAT (median p95) of calls FROM..TO (1-based
# within LABEL and round, every round) that exited 0, in ms with 2 decimals;
# "-" when there is no such call
stat() {
    [[ -f $1 ]] || { echo -; return; }
    awk -F'\t' -v l="$2" -v from="$3" -v to="$4" '$1 == l {
            n[$5]++; if (n[$5] >= from && n[$5] <= to && $4 == 0) print $3 }' "$1" |
        sort -n |
        awk -v what="$5" '{ v[NR] = $1 }
            END { if (NR == 0) { print "-"; exit }
                  if (what == "median") x = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                  else { i = int(NR * 0.95 + 0.999); if (i < 1) i = 1; x = v[i] }
                  printf "%.2f", x / 1000 }'
}

failures() { [[ -f $1 ]] && awk -F'\t' '$4 != 0 { n++ } END { print n + 0 }' "$1" || echo -; }

ratio() { # A B: A/B with 2 decimals, "-" when either is missing
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 <= 0) print "-"; else printf "%.2f", a / b }'
}

# the columns of a table: berth, netavark (when run), floor
declare -A COUNT
COLS=()

# row TITLE LABEL FROM TO WHAT: FROM/TO may use n (that column's own count)
row() {
    local impl f t vals=() b nv fl
    for impl in "${COLS[@]}"; do
        local n=${COUNT[$impl]}
        f=$(($(sed "s/n/$n/g" <<<"$3")))
        t=$(($(sed "s/n/$n/g" <<<"$4")))
        vals+=("$(stat "$WORK/$TABLE-$impl.tsv" "$2" "$f" "$t" "$5")")
    done
    printf '%-32s' "$1"
    for v in "${vals[@]}"; do printf '%10s' "$v"; done
    b=${vals[0]} nv=- fl=${vals[${#vals[@]} - 1]}
    [[ ${COLS[1]:-} == netavark ]] && nv=${vals[1]}
    printf '%16s%13s\n' "$(ratio "$nv" "$b")x" "$(ratio "$b" "$fl")x"
}

header() {
    local impl
    printf '%-32s' "ms (fork+exec+wait)"
    for impl in "${COLS[@]}"; do printf '%10s' "$impl"; done
    printf '%16s%13s\n' "netavark/berth" "berth/floor"
    printf '%-32s' "containers (N)"
    for impl in "${COLS[@]}"; do printf '%10s' "${COUNT[$impl]}"; done
    echo
    printf '%-32s%10s\n' "rounds" "$ROUNDS"
}

fails_row() {
    local impl
    printf '%-32s' "failed calls (not in figures)"
    for impl in "${COLS[@]}"; do printf '%10s' "$(failures "$WORK/$TABLE-$impl.tsv")"; done
    echo
}

# goal TEXT VALUE OP LIMIT: print PASS/FAIL; VALUE "-" is n/a
NPASS=0 NFAIL=0
goal() {
    local verdict
    if [[ $2 == - || $4 == - ]]; then
        verdict="n/a "
    elif awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == "<" ? v < l : op == "<=" ? v <= l : v >= l) }'; then
        verdict=PASS NPASS=$((NPASS + 1))
    else
        verdict=FAIL NFAIL=$((NFAIL + 1))
    fi
    printf '  %s  %-62s %s %s %s\n' "$verdict" "$1" "$2" "$3" "$4"
}

t_start=$SECONDS
echo "berth setup/teardown benchmark: mode $MODE, N=$N, $ROUNDS round(s) ($(nproc) CPUs, kernel $(uname -r))" >&2
FLOOR_N=$N

# run_impl IMPL: everything of one implementation in this round
run_impl() {
    case $1 in
    floor) run_floor "$FLOOR_N" ;;
    berth | netavark)
        local n_plain=$N n_ports=$N
        if [[ $1 == netavark ]]; then
            [[ -n $NETAVARK_BIN ]] || return 0
            n_plain=$NETAVARK_N n_ports=$NETAVARK_PORTS_N
        fi
        if [[ $MODE == plain || $MODE == all ]]; then
            run_seq plain "$1" "$n_plain"
        fi
        if [[ $MODE == ports || $MODE == all ]]; then
            run_seq ports "$1" "$n_ports"
            run_range "$1"
        fi
        ;;
    esac
}

IMPL_ORDER=(floor berth netavark)
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    for ((k = 0; k < ${#IMPL_ORDER[@]}; k++)); do
        run_impl "${IMPL_ORDER[(k + ROUND - 1) % ${#IMPL_ORDER[@]}]}"
    done
done
# the floor's timings are the last column of both tables
if [[ -f $WORK/floor.tsv ]]; then
    cp "$WORK/floor.tsv" "$WORK/plain-floor.tsv"
    cp "$WORK/floor.tsv" "$WORK/ports-floor.tsv"
fi

if [[ $MODE == plain || $MODE == all ]]; then
    TABLE=plain
    COUNT=([berth]=$N [netavark]=$NETAVARK_N [floor]=$FLOOR_N)
    COLS=(berth)
    [[ -n $NETAVARK_BIN ]] && COLS+=(netavark)
    COLS+=(floor)
    echo
    echo "== containers without port mappings: setup 1..N, then teardown 1..N =="
    header
    row "setup: first (creates bridge)" setup 1 1 median
    row "setup: median of 2..N" setup 2 n median
    row "setup: p95 of 2..N" setup 2 n p95
    row "setup: median of 1..10" setup 1 10 median
    row "setup: median of N-9..N" setup n-9 n median
    row "teardown: median of 1..N-1" teardown 1 n-1 median
    row "teardown: p95 of 1..N-1" teardown 1 n-1 p95
    row "teardown: median of 1..10" teardown 1 10 median
    row "teardown: median of N-10..N-1" teardown n-10 n-1 median
    row "teardown: last (deletes bridge)" teardown n n median
    fails_row
    f=$WORK/plain-berth.tsv nf=$WORK/plain-netavark.tsv fl=$WORK/plain-floor.tsv
    bs=$(stat "$f" setup 2 "$N" median) bt=$(stat "$f" teardown 1 $((N - 1)) median)
    echo "Goals (berth, N=$N):"
    goal "setup median < 5 ms" "$bs" "<" 5
    goal "netavark/berth setup median >= 10x" "$(ratio "$(stat "$nf" setup 2 "$NETAVARK_N" median)" "$bs")" ">=" 10
    goal "berth/floor setup median <= 2.0x" "$(ratio "$bs" "$(stat "$fl" setup 2 "$FLOOR_N" median)")" "<=" 2.0
    goal "berth/floor teardown median <= 1.3x" "$(ratio "$bt" "$(stat "$fl" teardown 1 $((FLOOR_N - 1)) median)")" "<=" 1.3
    goal "first setup / median setup < 2x" "$(ratio "$(stat "$f" setup 1 1 median)" "$bs")" "<" 2
    goal "last teardown / median teardown < 2x" "$(ratio "$(stat "$f" teardown "$N" "$N" median)" "$bt")" "<" 2
    echo "  (info) the same ratio for the floor (the kernel alone): first/median setup" \
        "$(ratio "$(stat "$fl" setup 1 1 median)" "$(stat "$fl" setup 2 "$FLOOR_N" median)")x," \
        "last/median teardown $(ratio "$(stat "$fl" teardown "$FLOOR_N" "$FLOOR_N" median)" "$(stat "$fl" teardown 1 $((FLOOR_N - 1)) median)")x"
    goal "setup growth: median N-9..N / median 1..10 <= 1.25x" \
        "$(ratio "$(stat "$f" setup $((N - 9)) "$N" median)" "$(stat "$f" setup 1 10 median)")" "<=" 1.25
    goal "teardown growth: median N-10..N-1 / median 1..10 <= 1.25x" \
        "$(ratio "$(stat "$f" teardown $((N - 10)) $((N - 1)) median)" "$(stat "$f" teardown 1 10 median)")" "<=" 1.25
fi

if [[ $MODE == ports || $MODE == all ]]; then
    TABLE=ports
    COUNT=([berth]=$N [netavark]=$NETAVARK_PORTS_N [floor]=$FLOOR_N)
    COLS=(berth)
    [[ -n $NETAVARK_BIN ]] && COLS+=(netavark)
    COLS+=(floor)
    echo
    echo "== one TCP port mapping per container (host port 10000+i -> 80): setup 1..N, teardown 1..N =="
    [[ -n $NETAVARK_BIN && $NETAVARK_PORTS_N -lt $N ]] &&
        echo "   (netavark runs only $NETAVARK_PORTS_N containers here: ~0.1 s per call; NETAVARK_PORTS_N=$N for more)"
    echo "   (floor: the same veth-floor run as in the first table, no firewall at all)"
    header
    row "setup: first (creates bridge)" setup 1 1 median
    row "setup: median of 2..N" setup 2 n median
    row "setup: p95 of 2..N" setup 2 n p95
    row "setup: 10th" setup 10 10 median
    row "setup: Nth" setup n n median
    row "setup: median of 1..10" setup 1 10 median
    row "setup: median of N-9..N" setup n-9 n median
    row "teardown: median of 1..N-1" teardown 1 n-1 median
    row "teardown: p95 of 1..N-1" teardown 1 n-1 p95
    row "teardown: median of 1..10" teardown 1 10 median
    row "teardown: median of N-10..N-1" teardown n-10 n-1 median
    row "teardown: last (deletes bridge)" teardown n n median
    fails_row
    f=$WORK/ports-berth.tsv fl=$WORK/ports-floor.tsv
    bs=$(stat "$f" setup 2 "$N" median) bt=$(stat "$f" teardown 1 $((N - 1)) median)
    echo "Goals (berth, N=$N):"
    goal "setup with one mapping: median < 5 ms" "$bs" "<" 5
    goal "teardown with one mapping: berth/floor median <= 1.3x" \
        "$(ratio "$bt" "$(stat "$fl" teardown 1 $((FLOOR_N - 1)) median)")" "<=" 1.3
    goal "setup growth: median N-9..N / median 1..10 <= 1.25x" \
        "$(ratio "$(stat "$f" setup $((N - 9)) "$N" median)" "$(stat "$f" setup 1 10 median)")" "<=" 1.25
    echo "  (info) single calls, noisy: Nth/10th setup = $(ratio "$(stat "$f" setup "$N" "$N" median)" "$(stat "$f" setup 10 10 median)")x"

    echo
    echo "== one container with a 1000-port range (host 20000-20999 -> 30000-30999), $RANGE_REPS times =="
    printf '%-32s%10s%10s%16s\n' "ms (fork+exec+wait)" berth netavark "netavark/berth"
    printf '%-32s%10s\n' "rounds" "$ROUNDS"
    for spec in "setup: first|setup|1|1|median" "setup: median|setup|1|$RANGE_REPS|median" \
        "teardown: median|teardown|1|$RANGE_REPS|median"; do
        IFS='|' read -r title label from to what <<<"$spec"
        b=$(stat "$WORK/range-berth.tsv" "$label" "$from" "$to" "$what")
        nv=$(stat "$WORK/range-netavark.tsv" "$label" "$from" "$to" "$what")
        printf '%-32s%10s%10s%16s\n' "$title" "$b" "$nv" "$(ratio "$nv" "$b")x"
    done
    printf '%-32s%10s%10s\n' "failed calls (not in figures)" "$(failures "$WORK/range-berth.tsv")" "$(failures "$WORK/range-netavark.tsv")"
    echo "Goals (berth):"
    goal "1000-port range setup: median < 20 ms" "$(stat "$WORK/range-berth.tsv" setup 1 "$RANGE_REPS" median)" "<" 20
fi

echo
echo "Notes: the floor's first setup also creates the bridge (no firewall); its last teardown deletes the"
echo "last veth and the bridge in one RTM_DELLINK, as berth does: the kernel's own cost of those two rows."
echo "Growth goals allow 25 % for noise (medians of 10 calls). Run took $((SECONDS - t_start)) s."
fail_counts=()
for impl in berth netavark floor; do
    nfail=0
    for f in "$WORK"/*-"$impl".tsv "$WORK/$impl.tsv"; do
        [[ -f $f && $f != */plain-floor.tsv && $f != */ports-floor.tsv ]] || continue
        nfail=$((nfail + $(failures "$f")))
    done
    fail_counts+=("$impl $nfail")
done
echo "Failed calls, left out of every figure: $(IFS=,; echo "${fail_counts[*]}" | sed 's/,/, /g')."
echo "Goals: $NPASS passed, $NFAIL failed."
if ((${#BUSY_RUNS[@]})); then
    echo "Runs that started on a busy machine (other processes or the kernel's clean-up of earlier"
    echo "namespaces; CPU use when measuring began): ${BUSY_RUNS[*]}"
fi

# the machine's own network must be exactly as we found it
ip -o link show | awk '{ print $2 }' | sort >"$WORK/own-links.after"
nft list tables 2>/dev/null | sort >"$WORK/own-nft.after" || true
if ! cmp -s "$WORK/own-links.before" "$WORK/own-links.after" || ! cmp -s "$WORK/own-nft.before" "$WORK/own-nft.after"; then
    echo "WARNING: the machine's own links or nftables tables changed during the run (another process?)" >&2
fi
