#!/usr/bin/env bash
# shellcheck disable=SC2034 # the tables are arrays read through namerefs (row, rowr)
# SPDX-License-Identifier: Apache-2.0
# DNS benchmark (issue #4): dnsperf against berth-dns, Debian's aardvark-dns
# (when installed) and a trivial fixed-answer UDP responder (bench/dns-floor,
# batched with recvmmsg/sendmmsg of 16 like berth-dns, so that berth-dns/floor
# is the distance to a real floor), one server at a time, same names, same
# client, same run. Also berth-dns's
# resident memory with 1000 containers and its reload time with 10,000.
#
#   sudo bench/dns.sh
#
# World: a private "host" netns with a bridge (10.89.0.1/16) where each server
# listens on 10.89.0.1:53, and a private "client" netns behind a veth on that
# bridge with 10.89.0.2, the address of container c0, so that the servers
# know the client. The servers get AARDVARK_NO_PROXY=1 and the host netns has
# no route out: nothing is ever forwarded. The machine's own network is never
# touched; every server this script starts is killed and both namespaces are
# deleted on exit, failure or Ctrl-C.
#
# Figures: queries/s = completed queries / run time over all rounds (the goal
# uses the median of the per-round berth-dns/floor ratios, each pair back to
# back); server CPU per query = utime+stime of the server process (all its
# threads, /proc/PID/stat) over the dnsperf runs / completed queries; latency
# avg from dnsperf; p50/p99/p99.9 from a separate dnsperf -v run at the same
# load (one "> RCODE name type seconds" line per query, 1 us resolution);
# memory from /proc/PID/status after the runs. Reload: the config is rewritten
# (rename) with RELOAD_CONTAINERS containers whose last one has a new name,
# bench/dns-reload sends SIGHUP and queries that name until it answers.
#
# Environment:
#   BUILD          build directory (default build); built with ninja if stale
#   BERTH_DNS      berth-dns binary (default $BUILD/dns/berth-dns)
#   AARDVARK_BIN   default /usr/lib/podman/aardvark-dns; "" to skip
#   DURATION       seconds per dnsperf throughput run (default 10)
#   ROUNDS         throughput runs per server, interleaved (default 3)
#   LAT_DURATION   seconds of the dnsperf -v run for the latency percentiles (default 5)
#   INFLIGHT       dnsperf -q: queries in flight (default 16)
#   CLIENTS        dnsperf -c: client sockets (default 16)
#   CONTAINERS     containers in the config (default 1000)
#   RELOAD_CONTAINERS  containers in the reload config (default 10000)
#   RELOAD_REPS    reloads measured per server (default 5)
#   KEEP_RAW=DIR   keep dnsperf's outputs and the configs
#
# The script installs nothing: scripts/deps.sh installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh

case ${1:-} in
-h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "usage: $0   (settings through the environment, see --help)" >&2; exit 2 ;;
esac
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
LAT_DURATION=${LAT_DURATION:-5}
INFLIGHT=${INFLIGHT:-16}
CLIENTS=${CLIENTS:-16}
CONTAINERS=${CONTAINERS:-1000}
RELOAD_CONTAINERS=${RELOAD_CONTAINERS:-10000}
RELOAD_REPS=${RELOAD_REPS:-5}
for v in DURATION:1:60 ROUNDS:1:5 LAT_DURATION:1:60 INFLIGHT:1:1000 CLIENTS:1:1000 \
    CONTAINERS:10:20000 RELOAD_CONTAINERS:10:60000 RELOAD_REPS:1:20; do
    IFS=: read -r name lo hi <<<"$v"
    if ! [[ ${!name} =~ ^[0-9]+$ ]] || ((${!name} < lo || ${!name} > hi)); then
        echo "$name must be between $lo and $hi" >&2
        exit 2
    fi
done
if [[ $(id -u) -ne 0 ]]; then
    echo "$0 needs root (it creates network namespaces)" >&2
    exit 1
fi

missing=()
for t in ip dnsperf awk sort ninja meson timeout getconf; do
    command -v "$t" >/dev/null || missing+=("$t")
done
AARDVARK_BIN=${AARDVARK_BIN-/usr/lib/podman/aardvark-dns}
if [[ -n $AARDVARK_BIN && ! -x $AARDVARK_BIN ]]; then
    echo "$0: $AARDVARK_BIN not installed (package aardvark-dns): running without it" >&2
    AARDVARK_BIN=
fi
bench_fail_missing "${missing[@]}"

BUILD=${BUILD:-build}
targets=(bench/dns-floor bench/dns-reload)
[[ -z ${BERTH_DNS:-} ]] && targets+=(dns/berth-dns)
bench_build bench-dns-build.log "${targets[@]}"
BERTH_DNS=${BERTH_DNS:-$PWD/$BUILD/dns/berth-dns}
FLOOR=$PWD/$BUILD/bench/dns-floor
PROBE=$PWD/$BUILD/bench/dns-reload
bench_require_built "$BERTH_DNS" "$FLOOR" "$PROBE"
TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/berth-dnsbench.XXXXXX)
# berth's run directory (lock, state records) of this run only: the machine's
# own /run/berth is neither read nor written
export BERTH_RUN_DIR=$WORK/run
P="bdns$$"
HOST=$P-host
CLIENT=$P-client
GW=10.89.0.1
PIDS_FILE=$WORK/pids # "pid comm" of every server started, for the cleanup
: >"$PIDS_FILE"
NS_MADE=()
ip -o link show | awk '{ print $2 }' | sort >"$WORK/own-links.before"

# a pid we started, if it still is the same program and not a zombie (the
# daemons' parent is init, which may reap them late)
alive() {
    [[ -r /proc/$1/comm && $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] &&
        [[ $(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

stop_server() { # pid comm
    local pid=$1 comm=$2 i
    alive "$pid" "$comm" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$pid" "$comm" || break
        sleep 0.1
    done
    alive "$pid" "$comm" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true # reaps the floor (our child); the daemons are not
}

cleanup() {
    local pid comm ns
    while read -r pid comm; do
        stop_server "$pid" "$comm"
    done <"$PIDS_FILE"
    for ns in "${NS_MADE[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    ip -o link show | awk '{ print $2 }' | sort >"$WORK/own-links.after"
    if ! cmp -s "$WORK/own-links.before" "$WORK/own-links.after"; then
        echo "$0: WARNING: the machine's own links changed during the run (not by this script?):" >&2
        diff "$WORK/own-links.before" "$WORK/own-links.after" >&2 || true
    fi
    if [[ -n ${KEEP_RAW:-} ]]; then
        mkdir -p "$KEEP_RAW" && cp -r "$WORK"/*.out "$WORK"/conf-* "$KEEP_RAW"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# settle: wait (at most 10 s) for the CPUs to be idle; note the runs that start busy
BUSY_RUNS=()
settle() {
    local i a b busy
    for ((i = 0; i < 20; i++)); do
        a=$(awk '/^cpu / { print $2+$3+$4+$7+$8, $5+$6 }' /proc/stat)
        sleep 0.5
        b=$(awk '/^cpu / { print $2+$3+$4+$7+$8, $5+$6 }' /proc/stat)
        busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
            t = y[1] - x[1] + y[2] - x[2]; printf "%d", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')
        ((busy < 10)) && return 0
    done
    BUSY_RUNS+=("$1: $busy %")
}

# ---- the world -------------------------------------------------------------
NS_MADE+=("$HOST")
ip netns add "$HOST"
NS_MADE+=("$CLIENT")
ip netns add "$CLIENT"
ip -n "$HOST" link set lo up
ip -n "$CLIENT" link set lo up
ip -n "$HOST" link add br0 type bridge
ip -n "$HOST" addr add "$GW/16" dev br0
ip -n "$HOST" link set br0 up
ip -n "$HOST" link add veth0 type veth peer name eth0 netns "$CLIENT"
ip -n "$HOST" link set veth0 master br0 up
ip -n "$CLIENT" addr add 10.89.0.2/16 dev eth0
ip -n "$CLIENT" link set eth0 up

# config DIR COUNT [LAST-NAME]: one network "podman1" with COUNT containers
# c<i>: id, 10.89.x.y (c0 = 10.89.0.2), fd10:89::x, names "c<i>,a<i>,<short id>"
# (name, alias, short id, as Podman writes them). LAST-NAME renames the last one.
config() {
    local dir=$1 count=$2 last=${3:-}
    mkdir -p "$dir"
    awk -v n="$count" -v gw="$GW" -v last="$last" 'BEGIN {
        print gw
        for (i = 0; i < n; i++) {
            id = sprintf("%08xc0ffee%050x", i, i); a = i + 2
            name = (last != "" && i == n - 1) ? last : "c" i
            printf "%s 10.89.%d.%d fd10:89::%x %s,a%d,%s\n", id, int(a / 256), a % 256, a,
                name, i, substr(id, 1, 12)
        } }' >"$dir/podman1.tmp"
    mv "$dir/podman1.tmp" "$dir/podman1" # atomic, as a reload must see all or nothing
}

# the query file: A for names, A for aliases, AAAA for names, A with the search domain
QUERIES=$WORK/queries
awk -v n="$CONTAINERS" 'BEGIN { for (k = 0; k < 4 * n; k++) { i = (k * 7919) % n; t = k % 4
    if (t == 0) print "c" i " A"; else if (t == 1) print "a" i " A"
    else if (t == 2) print "c" i " AAAA"; else print "c" i ".dns.podman A" } }' >"$QUERIES"

ready() { # wait (at most 10 s) until something on GW:53 answers c0
    local i
    for ((i = 0; i < 40; i++)); do
        ip netns exec "$CLIENT" timeout 5 "$PROBE" "$GW" 53 0 c0 >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    echo "$0: the server on $GW:53 does not answer" >&2
    return 1
}

SERVER_PID=
start_server() { # impl confdir
    local impl=$1 dir=$2 i
    SERVER_PID=
    case $impl in
    floor)
        ip netns exec "$HOST" "$FLOOR" "$GW" 53 &
        SERVER_PID=$!
        echo "$SERVER_PID dns-floor" >>"$PIDS_FILE"
        ;;
    berth-dns | aardvark-dns)
        local bin=$BERTH_DNS
        [[ $impl == aardvark-dns ]] && bin=$AARDVARK_BIN
        rm -f "$dir/aardvark.pid"
        if ! ip netns exec "$HOST" env AARDVARK_NO_PROXY=1 timeout 30 "$bin" -c "$dir" -p 53 run \
            >"$WORK/$impl.start.err" 2>&1; then
            echo "$0: $impl did not start:" >&2
            cat "$WORK/$impl.start.err" >&2
            return 1
        fi
        for ((i = 0; i < 50; i++)); do
            [[ -s $dir/aardvark.pid ]] && break
            sleep 0.1
        done
        SERVER_PID=$(cat "$dir/aardvark.pid" 2>/dev/null || true)
        [[ $SERVER_PID =~ ^[0-9]+$ ]] || { echo "$0: $impl wrote no pid file" >&2; return 1; }
        echo "$SERVER_PID $(cat "/proc/$SERVER_PID/comm")" >>"$PIDS_FILE"
        ;;
    esac
    ready
}

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime+stime
vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }                 # kB

# dnsperf OUT DURATION [extra args]: run from the client ns, 16 in flight
dnsperf_run() {
    local out=$1 dur=$2
    shift 2
    ip netns exec "$CLIENT" timeout $((dur + 30)) /usr/bin/time -f 'client-cpu %U %S' \
        dnsperf -s "$GW" -p 53 -d "$QUERIES" -c "$CLIENTS" -q "$INFLIGHT" -l "$dur" "$@" \
        >"$out" 2>"$out.err"
}
field() { awk -v k="$2" '{ sub(/^ +/, "") } index($0, k) == 1 { $0 = substr($0, length(k) + 1); print $1; exit }' "$1"; }

IMPLS=(floor berth-dns)
[[ -n $AARDVARK_BIN ]] && IMPLS+=(aardvark-dns)
for impl in berth-dns aardvark-dns; do config "$WORK/conf-$impl" "$CONTAINERS"; done

echo "berth DNS benchmark: dnsperf -c $CLIENTS -q $INFLIGHT, ${DURATION} s x $ROUNDS rounds per server," \
    "$CONTAINERS containers ($(nproc) CPUs, kernel $(uname -r))" >&2
declare -A RQPS SENT NDONE LOST TIME CPU CCPU RSS HWM RSS0 RANON RFILE PSS P50 P99 P999 AVG LAT_QPS ROUND_QPS
for impl in "${IMPLS[@]}"; do
    SENT[$impl]=0 NDONE[$impl]=0 LOST[$impl]=0 TIME[$impl]=0 CPU[$impl]=0 CCPU[$impl]=0 AVG[$impl]=0
    ROUND_QPS[$impl]=
done
for ((r = 1; r <= ROUNDS; r++)); do
    for impl in "${IMPLS[@]}"; do
        echo "  round $r: $impl, ${DURATION} s ..." >&2
        start_server "$impl" "$WORK/conf-$impl"
        pid=$SERVER_PID
        comm=$(cat "/proc/$pid/comm")
        [[ $r == 1 ]] && RSS0[$impl]=$(vm "$pid" VmRSS)
        settle "$impl round $r"
        c0=$(cpu_ticks "$pid")
        dnsperf_run "$WORK/$impl.$r.out" "$DURATION" || { echo "$0: dnsperf failed:" >&2; cat "$WORK/$impl.$r.out.err" >&2; exit 1; }
        c1=$(cpu_ticks "$pid")
        o=$WORK/$impl.$r.out
        done_=$(field "$o" "Queries completed:")
        SENT[$impl]=$((SENT[$impl] + $(field "$o" "Queries sent:")))
        NDONE[$impl]=$((NDONE[$impl] + done_))
        LOST[$impl]=$((LOST[$impl] + $(field "$o" "Queries lost:")))
        TIME[$impl]=$(awk -v a="${TIME[$impl]}" -v b="$(field "$o" "Run time (s):")" 'BEGIN { print a + b }')
        AVG[$impl]=$(awk -v a="${AVG[$impl]}" -v b="$(field "$o" "Average Latency (s):")" -v n="$done_" \
            'BEGIN { print a + b * n }') # weighted by queries, divided below
        CPU[$impl]=$((CPU[$impl] + c1 - c0))
        CCPU[$impl]=$(awk -v a="${CCPU[$impl]}" '/^client-cpu/ { a += $2 + $3 } END { print a }' "$o.err")
        ROUND_QPS[$impl]+="$(field "$o" "Queries per second:" | awk '{ printf "%.0f ", $1 }')"
        RQPS[$impl:$r]=$(field "$o" "Queries per second:")
        if ((r == ROUNDS)); then
            # the latency distribution: a separate run with -v (one line per query,
            # "> NOERROR name type latency"), same load
            echo "  $impl: latency run with -v, ${LAT_DURATION} s ..." >&2
            settle "$impl latency"
            dnsperf_run "$WORK/$impl.lat.out" "$LAT_DURATION" -v
            LAT_QPS[$impl]=$(field "$WORK/$impl.lat.out" "Queries per second:")
            read -r P50[$impl] P99[$impl] P999[$impl] < <(awk '$1 == ">" && $NF ~ /^[0-9.]+$/ { print $NF }' \
                "$WORK/$impl.lat.out" | sort -g | awk '{ v[NR] = $1 } END {
                    if (NR == 0) { print "nan nan nan"; exit }
                    i50 = int(NR * 0.50); i99 = int(NR * 0.99); i999 = int(NR * 0.999)
                    if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; if (i999 < 1) i999 = 1
                    printf "%.3f %.3f %.3f\n", v[i50] * 1000, v[i99] * 1000, v[i999] * 1000 }')
            RSS[$impl]=$(vm "$pid" VmRSS)
            HWM[$impl]=$(vm "$pid" VmHWM)
            RANON[$impl]=$(vm "$pid" RssAnon)
            RFILE[$impl]=$(vm "$pid" RssFile)
            PSS[$impl]=$(awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo -)
        fi
        stop_server "$pid" "$comm"
    done
done

# ---- reload: RELOAD_CONTAINERS containers, SIGHUP, time until a new name answers
reload_impls=(berth-dns)
[[ -n $AARDVARK_BIN ]] && reload_impls+=(aardvark-dns)
declare -A RL_MED RL_MAX RL_RTT RL_ALL RL_RSS
for impl in "${reload_impls[@]}"; do
    dir=$WORK/conf-reload-$impl
    echo "  reload: $impl with $RELOAD_CONTAINERS containers, $RELOAD_REPS reloads ..." >&2
    config "$dir" "$RELOAD_CONTAINERS" new0
    start_server "$impl" "$dir"
    pid=$SERVER_PID
    comm=$(cat "/proc/$pid/comm")
    : >"$WORK/reload-$impl.out"
    for ((k = 1; k <= RELOAD_REPS; k++)); do
        # the last container is renamed new<k>: that name exists only after the reload
        config "$dir" "$RELOAD_CONTAINERS" "new$k"
        ((k == 1)) && settle "$impl reload"
        if ! ip netns exec "$CLIENT" timeout 20 "$PROBE" "$GW" 53 "$pid" "new$k" c0 >>"$WORK/reload-$impl.out"; then
            echo "$0: $impl: reload $k not measured" >&2
            echo "reload_us=nan rtt_us=nan" >>"$WORK/reload-$impl.out"
        fi
        sleep 0.2
    done
    RL_RSS[$impl]=$(vm "$pid" VmRSS)
    RL_ALL[$impl]=$(sed -n 's/^reload_us=\([^ ]*\).*/\1/p' "$WORK/reload-$impl.out" | tr '\n' ' ')
    read -r RL_MED[$impl] RL_MAX[$impl] < <(tr ' ' '\n' <<<"${RL_ALL[$impl]}" | grep -E '^[0-9]+$' | sort -n |
        awk '{ v[NR] = $1 } END { if (!NR) print "nan nan"; else printf "%.2f %.2f\n", v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }')
    RL_RTT[$impl]=$(sed -n 's/.*rtt_us=\([0-9]*\).*/\1/p' "$WORK/reload-$impl.out" | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "nan" }')
    stop_server "$pid" "$comm"
done

# ---- report ----------------------------------------------------------------
us_per_tick=$(awk -v t="$TCK" 'BEGIN { print 1e6 / t }')
declare -A QPS SCPU CLCPU AVGMS
for impl in "${IMPLS[@]}"; do
    QPS[$impl]=$(awk -v d="${NDONE[$impl]}" -v t="${TIME[$impl]}" 'BEGIN { printf "%.0f", (t > 0 ? d / t : 0) }')
    SCPU[$impl]=$(awk -v c="${CPU[$impl]}" -v u="$us_per_tick" -v d="${NDONE[$impl]}" 'BEGIN { printf "%.2f", d ? c * u / d : 0 }')
    CLCPU[$impl]=$(awk -v c="${CCPU[$impl]}" -v d="${NDONE[$impl]}" 'BEGIN { printf "%.2f", d ? c * 1e6 / d : 0 }')
    AVGMS[$impl]=$(awk -v a="${AVG[$impl]}" -v d="${NDONE[$impl]}" 'BEGIN { printf "%.3f", d ? a / d * 1000 : 0 }')
done
row() { # label key-array [format]
    local label=$1 arr=$2 impl
    local -n a=$arr
    printf '%-40s' "$label"
    for impl in "${IMPLS[@]}"; do printf '%14s' "${a[$impl]:--}"; done
    printf '\n'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a ~ /^[0-9.]+$/) printf "%.2fx", a / b; else printf "-" }'; }

echo
printf '%-40s' ""
for impl in "${IMPLS[@]}"; do printf '%14s' "$impl"; done
printf '%16s%16s\n' "berth/floor" "aardvark/berth"
rowr() { # label array: values and ratios
    local label=$1 arr=$2
    local -n a=$arr
    printf '%-40s' "$label"
    for impl in "${IMPLS[@]}"; do printf '%14s' "${a[$impl]:--}"; done
    printf '%16s%16s\n' "$(ratio "${a[berth-dns]}" "${a[floor]}")" "$(ratio "${a[aardvark-dns]:-}" "${a[berth-dns]}")"
}
# queries/s goal: berth-dns/floor of each round (the two runs are back to back,
# so a burst of other work on the machine hits one pair, not the whole sum)
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
    ratios+=("$(awk -v a="${RQPS[berth-dns:$r]}" -v b="${RQPS[floor:$r]}" 'BEGIN { printf "%.3f", a / b }')")
done
QRATIO=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }')
declare -A LOSTS RQ
for impl in "${IMPLS[@]}"; do
    LOSTS[$impl]="${LOST[$impl]}/${SENT[$impl]}"
    RQ[$impl]=${ROUND_QPS[$impl]% }
    RQ[$impl]=${RQ[$impl]// //}
done
rowr "queries/s (completed / run time)" QPS
for impl in "${IMPLS[@]}"; do printf '  %-38s%s\n' "$impl, queries/s per round" "${RQ[$impl]}"; done
printf '  %-38s%s\n' "berth-dns/floor per round" "${ratios[*]}"
row "lost / sent" LOSTS
rowr "latency avg, ms (dnsperf)" AVGMS
rowr "latency p50, ms (-v run)" P50
rowr "latency p99, ms (-v run)" P99
rowr "latency p99.9, ms (-v run)" P999
row "  queries/s of the -v run" LAT_QPS
rowr "server CPU per query, us" SCPU
rowr "dnsperf CPU per query, us (client)" CLCPU
rowr "server VmRSS after start, kB" RSS0
rowr "server VmRSS after the runs, kB" RSS
rowr "server VmHWM (peak RSS), kB" HWM
rowr "  of VmRSS: RssAnon (heap, data), kB" RANON
rowr "  of VmRSS: RssFile (libc, ...), kB" RFILE
rowr "  Pss (shared pages divided), kB" PSS
echo
echo "Reload with $RELOAD_CONTAINERS containers ($((3 * RELOAD_CONTAINERS)) names: name, alias, short id):" \
    "SIGHUP -> a name that only the new file has answers"
printf '%-40s' ""
for impl in "${reload_impls[@]}"; do printf '%14s' "$impl"; done
printf '\n'
printf '%-40s' "reload, ms, median of $RELOAD_REPS"
for impl in "${reload_impls[@]}"; do printf '%14s' "${RL_MED[$impl]}"; done
printf '\n%-40s' "reload, ms, max"
for impl in "${reload_impls[@]}"; do printf '%14s' "${RL_MAX[$impl]}"; done
printf '\n%-40s' "resolution: probe round trip, us"
for impl in "${reload_impls[@]}"; do printf '%14s' "${RL_RTT[$impl]}"; done
printf '\n%-40s' "VmRSS with $RELOAD_CONTAINERS containers, kB"
for impl in "${reload_impls[@]}"; do printf '%14s' "${RL_RSS[$impl]}"; done
printf '\n'
for impl in "${reload_impls[@]}"; do echo "  $impl, every reload (us): ${RL_ALL[$impl]}"; done

goal() { # label value op limit
    local ok
    ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { if (v !~ /^[0-9.]+$/) { print 0; exit }
        print (op == "<" ? v < l : op == "<=" ? v <= l : v >= l) }')
    printf '  %-4s  %-56s %s %s %s\n' "$([[ $ok == 1 ]] && echo PASS || echo FAIL)" "$1" "$2" "$3" "$4"
}
echo
echo "Goals (berth-dns):"
goal "queries/s: berth-dns/floor, median of the $ROUNDS rounds >= 0.90" "$QRATIO" ">=" 0.90
goal "server CPU per query <= 10 us" "${SCPU[berth-dns]}" "<=" 10
goal "p99 latency < 0.5 ms (16 in flight, -v run)" "${P99[berth-dns]}" "<" 0.5
goal "VmRSS with $CONTAINERS containers < 2 MB (2048 kB), after the runs" "${RSS[berth-dns]}" "<" 2048
goal "reload of $RELOAD_CONTAINERS containers < 50 ms (median)" "${RL_MED[berth-dns]}" "<" 50
echo "  (info) the floor's own p99: ${P99[floor]} ms; server CPU per query: ${SCPU[floor]} us"
if ((${#BUSY_RUNS[@]})); then
    echo "  (note) runs that started with the CPUs busy (> 10 %): ${BUSY_RUNS[*]}"
fi
