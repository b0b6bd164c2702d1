#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ADD and DEL latency of a CNI chain, berth's plugins beside Debian's
# reference plugins measured in the same run, N containers in a row, each
# with one TCP port mapping; beside them the floor: the same chain of plugins
# that do nothing (bench/cni-floor), what the exec protocol alone costs
# here, six fork+execs per call for the runner to wait for; then the GC of N stale attachments (berth only:
# the reference plugins 1.1.1 predate GC).
#
#   bench/cni.sh [N]          N containers per implementation, 20..1000, default 1000
#
# The chain is bridge + host-local + portmap + firewall + tuning (spec 1.0.0
# for both; 1.1.0 for the GC). A call is what a runtime does for one
# container: tests/cni/cni-run executes every plugin of the chain in order
# (DEL in reverse), as libcni does; the same runner for both
# implementations. Each call is timed by bench/bench-run (fork+exec+wait of
# cni-run, which forks+execs the plugins), inside a "host" namespace the
# script creates, with N container namespaces of its own: nothing happens in
# the machine's own network.
#
# Environment:
#   BUILD       build directory (default build); built with ninja if stale
#   REF_DIR     the reference plugins (default /usr/lib/cni); "" to skip them
#   REF_N       containers for the reference (default min(N, 200): ~0.2 s a call)
#   ROUNDS      rounds, the implementations interleaved, order rotated (default 1)
#   KEEP_RAW=DIR  keep the raw timings
#
# The script installs nothing: scripts/deps.sh installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh

N=${1:-1000}
if [[ $# -gt 1 ]] || ! [[ $N =~ ^[0-9]+$ ]] || ((N < 20 || N > 1000)); then
    echo "usage: $0 [N]   (20 <= N <= 1000)" >&2
    exit 2
fi
REF_DIR=${REF_DIR-/usr/lib/cni}
REF_N=${REF_N:-$((N < 200 ? N : 200))}
ROUNDS=${ROUNDS:-1}
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || ((ROUNDS < 1 || ROUNDS > 10)); then
    echo "ROUNDS must be between 1 and 10" >&2
    exit 2
fi
if ! [[ $REF_N =~ ^[0-9]+$ ]] || ((REF_N < 20 || REF_N > N)); then
    echo "REF_N must be between 20 and N ($N)" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "$0 needs root (it creates network namespaces)" >&2
    exit 1
fi

missing=()
for t in ip nft iptables jq awk sort ninja meson timeout; do
    command -v "$t" >/dev/null || missing+=("$t")
done
if [[ -n $REF_DIR ]]; then
    for p in bridge host-local portmap firewall tuning; do
        [[ -x $REF_DIR/$p ]] || missing+=("$REF_DIR/$p (package containernetworking-plugins)")
    done
fi
bench_fail_missing "${missing[@]}"

BUILD=${BUILD:-build}
bench_build bench-build.log bench/bench-run bench/cni-floor tests/cni/cni-run \
    cni-plugins/bridge cni-plugins/host-local cni-plugins/portmap cni-plugins/firewall \
    cni-plugins/tuning
BUILD=$(cd "$BUILD" && pwd)
RUNNER=$BUILD/bench/bench-run
CNI_RUN=$BUILD/tests/cni/cni-run
FLOOR=$BUILD/bench/cni-floor
bench_require_built "$RUNNER" "$CNI_RUN" "$FLOOR"

WORK=$(mktemp -d /tmp/berth-cni-bench.XXXXXX)
# berth's run directory (lock, state records) of this run only: the machine's
# own /run/berth is neither read nor written. On a tmpfs, as /run is on
# Debian (systemd mounts it so); some build machines have /run on disk.
RUN_TMPFS=
if [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
    RUN_TMPFS=$(mktemp -d /dev/shm/berth-cni-bench-run.XXXXXX)
    export BERTH_RUN_DIR=$RUN_TMPFS
else
    export BERTH_RUN_DIR=$WORK/run
fi
P="berth-cb$$"
NAMESPACES_FILE=$WORK/namespaces
: >"$NAMESPACES_FILE"
ip -o link show | awk '{ print $2 }' | sort >"$WORK/own-links.before"

# berth's plugins, one directory (the build keeps each in its own)
mkdir -p "$WORK/berth-bin"
for p in bridge host-local portmap firewall tuning; do
    bench_require_built "$BUILD/cni-plugins/$p"
    ln -s "$BUILD/cni-plugins/$p" "$WORK/berth-bin/$p"
done
# the floor: every plugin of the chain (and the IPAM plugin) does nothing
mkdir -p "$WORK/floor-bin"
for p in bridge host-local portmap firewall tuning; do
    ln -s "$FLOOR" "$WORK/floor-bin/$p"
done

cleanup() {
    local ns
    while read -r ns; do
        [[ $ns == "$P"-* ]] && ip netns del "$ns" 2>/dev/null
    done <"$NAMESPACES_FILE"
    if [[ -n ${KEEP_RAW:-} ]]; then
        mkdir -p "$KEEP_RAW" && cp "$WORK"/*.tsv "$WORK"/*.err "$KEEP_RAW"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
    [[ -n $RUN_TMPFS ]] && rm -rf "$RUN_TMPFS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# conflist TAG VERSION: the chain, its lease store under $WORK/TAG
conflist() {
    jq -n --arg v "$2" --arg dd "$WORK/$1/ipam" --arg td "$WORK/$1/tuning" '{
        cniVersion: $v, name: "benchnet",
        plugins: [
          {type: "bridge", bridge: "cnibench0", isGateway: true, ipMasq: true,
           ipam: {type: "host-local", dataDir: $dd,
                  ranges: [[{subnet: "10.88.0.0/16"}]], routes: [{dst: "0.0.0.0/0"}]}},
          {type: "portmap", capabilities: {portMappings: true}},
          {type: "firewall"},
          {type: "tuning", dataDir: $td, sysctl: {"net.ipv4.conf.IFNAME.arp_notify": "1"}}
        ]}'
}

# plan TAG VERB COUNT: one cni-run call per container (the fixed arguments
# are given to bench-run), container i maps host port 10000+i
plan() {
    local tag=$1 verb=$2 count=$3 i
    for ((i = 1; i <= count; i++)); do
        printf '%s%d\t/dev/null\t--cap-args\t{"portMappings":[{"hostPort":%d,"containerPort":80,"protocol":"tcp"}]}\t%s\t%s\t/run/netns/%s-%s-c%d\tbench%06d\teth0\n' \
            "$verb" "$i" $((10000 + i)) "$verb" "$WORK/$tag.conflist" "$P" "$tag" "$i" "$i"
    done >"$WORK/$tag.$verb.plan"
}

# measure TAG VERB DIR: run the plan in TAG's host namespace
measure() {
    local tag=$1 verb=$2 dir=$3
    timeout -k 5 3600 "$RUNNER" -n "/run/netns/$P-$tag-host" -t 60 -e "$WORK/$tag.err" \
        -p "$WORK/$tag.$verb.plan" -o "$WORK/$tag.$verb.r$ROUND.tsv" -- \
        "$CNI_RUN" --plugin-dir "$dir" --cache-dir "$WORK/$tag/cache" ||
        echo "  $tag: some $verb calls failed in round $ROUND (KEEP_RAW=DIR to keep them)" >&2
    cat "$WORK/$tag.$verb.r$ROUND.tsv" >>"$WORK/$tag.$verb.tsv"
}

# run_impl TAG DIR COUNT: N ADDs then N DELs in a fresh world
run_impl() {
    local tag=$1 dir=$2 count=$3
    echo "  round $ROUND: $tag, $count containers" >&2
    world "$tag" "$count"
    mkdir -p "$WORK/$tag"
    conflist "$tag" 1.0.0 >"$WORK/$tag.conflist"
    plan "$tag" ADD "$count"
    plan "$tag" DEL "$count"
    measure "$tag" ADD "$dir"
    measure "$tag" DEL "$dir"
    destroy_world "$tag"
    rm -rf "${WORK:?}/$tag"
}

impls=(berth floor)
[[ -n $REF_DIR ]] && impls+=(ref)
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    order=("${impls[@]}")
    ((ROUND % 2 == 0)) && order=($(printf '%s\n' "${impls[@]}" | tac))
    for impl in "${order[@]}"; do
        case $impl in
        berth) run_impl berth "$WORK/berth-bin" "$N" ;;
        floor) run_impl floor "$WORK/floor-bin" "$REF_N" ;;
        ref) run_impl ref "$REF_DIR" "$REF_N" ;;
        esac
    done
done

# stat FILE FIRST LAST: median (ms) of the successful calls with sequence
# numbers FIRST..LAST (column 2), "-" when none
stat() {
    [[ -f $1 ]] || { echo "-"; return; }
    awk -F'\t' -v a="$2" -v b="$3" '$4 == 0 && $2 >= a && $2 <= b { print $3 / 1000 }' "$1" |
        sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
            else if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2];
            else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
failed() { [[ -f $1 ]] && awk -F'\t' '$4 != 0' "$1" | wc -l || echo 0; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx\n", a / b }'; }

echo
echo "CNI chain bridge+host-local+portmap+firewall+tuning, one port mapping per container"
echo "berth: $N containers, reference ($REF_DIR): $REF_N containers, $ROUNDS round(s); $(nproc) CPUs"
echo "floor: the same chain of plugins that do nothing (bench/cni-floor), $REF_N containers"
printf '%-34s %9s %9s %12s %9s %12s\n' "ms (one runtime call, fork+exec)" berth reference "ref/berth" floor "berth/floor"
for verb in ADD DEL; do
    b=$(stat "$WORK/berth.$verb.tsv" 1 "$N")
    r=$(stat "$WORK/ref.$verb.tsv" 1 "$REF_N")
    f=$(stat "$WORK/floor.$verb.tsv" 1 "$REF_N")
    printf '%-34s %9s %9s %12s %9s %12s\n' "$verb: median of 1..N" "$b" "$r" "$(ratio "$r" "$b")" "$f" "$(ratio "$b" "$f")"
    b1=$(stat "$WORK/berth.$verb.tsv" 1 10)
    bN=$(stat "$WORK/berth.$verb.tsv" $((N - 9)) "$N")
    r1=$(stat "$WORK/ref.$verb.tsv" 1 10)
    rN=$(stat "$WORK/ref.$verb.tsv" $((REF_N - 9)) "$REF_N")
    if [[ $verb == ADD ]] && ((REF_N < N)); then
        # the same containers as the reference's: ADD costs grow with the
        # number of interfaces on the host, the kernel's as much as anyone's
        bR=$(stat "$WORK/berth.ADD.tsv" 1 "$REF_N")
        printf '%-34s %9s %9s %12s\n' "ADD: median of 1..$REF_N" "$bR" "$r" "$(ratio "$r" "$bR")"
    fi
    printf '%-34s %9s %9s\n' "$verb: median of 1..10" "$b1" "$r1"
    printf '%-34s %9s %9s\n' "$verb: median of the last 10" "$bN" "$rN"
done
fb=$(($(failed "$WORK/berth.ADD.tsv") + $(failed "$WORK/berth.DEL.tsv")))
fr=$(($(failed "$WORK/ref.ADD.tsv") + $(failed "$WORK/ref.DEL.tsv")))
ff=$(($(failed "$WORK/floor.ADD.tsv") + $(failed "$WORK/floor.DEL.tsv")))
echo "failed calls (left out of every figure): berth $fb, reference $fr, floor $ff"

# GC: N stale attachments (ADDed, their runtime gone without DEL) collected
# by one GC call of the chain with an empty list of valid attachments. Twice:
# first as after a crash of the runtime, its sandboxes gone too (the kernel
# deleted the veths with the namespaces: what is left is berth's state,
# leases and firewall elements), then with the namespaces still there (GC
# deletes N veths as well: kernel time, ~1 ms each here).
# gc_run SUFFIX KEEP_NS: ADD N, lose the result cache, GC; prints the ms
gc_run() {
    local tag=gc$1
    echo "  GC: $N stale attachments (berth; their namespaces $([[ -n $2 ]] && echo kept || echo deleted))" >&2
    ROUND=$tag
    world "$tag" "$N"
    mkdir -p "$WORK/$tag"
    conflist "$tag" 1.1.0 >"$WORK/$tag.conflist"
    plan "$tag" ADD "$N"
    measure "$tag" ADD "$WORK/berth-bin" >&2
    # the runtime crashed and lost its result cache: only the plugins' GC can
    # find the leftovers (with the cache, cni-run would DEL each one first)
    rm -rf "$WORK/$tag/cache"
    if [[ -z $2 ]]; then
        grep "^$P-$tag-c" "$NAMESPACES_FILE" | sed 's/^/netns del /' >"$WORK/del.batch"
        ip -batch "$WORK/del.batch"
        # the kernel tears namespaces down in the background (their veths
        # with them): wait until it is done, so the GC is timed alone
        local tries=0
        while (($(ip -n "$P-$tag-host" -o link show master cnibench0 | wc -l) > 0)); do
            ((++tries > 600)) && { echo "  the namespaces' veths did not go within 60 s" >&2; break; }
            sleep 0.1
        done
    fi
    printf 'gc\t/dev/null\tGC\t%s\t/run/netns/%s-%s-outside\tnone\teth0\n' "$WORK/$tag.conflist" \
        "$P" "$tag" >"$WORK/$tag.GC.plan"
    measure "$tag" GC "$WORK/berth-bin" >&2
    local left
    left=$(find "$WORK/$tag/ipam" -type f ! -name 'last_reserved_ip*' ! -name lock 2>/dev/null | wc -l)
    echo $((left + $(find "$BERTH_RUN_DIR/state" -name '*.json' 2>/dev/null | wc -l))) >"$WORK/$tag.left"
    destroy_world "$tag"
    stat "$WORK/$tag.GC.tsv" 0 999999
}
gc_ms=$(gc_run "" "")
gc_live_ms=$(gc_run live 1)
left=$(($(cat "$WORK/gc.left") + $(cat "$WORK/gclive.left")))
echo "GC of $N stale attachments (one cni-run GC, every plugin of the chain): $gc_ms ms"
echo "  the same with their namespaces still there (GC deletes $N veths too): $gc_live_ms ms"
echo "  leases and state records left after the two GCs: $left"
echo
echo "goals (2 cores):"
goal() { # NAME VALUE OP LIMIT
    local ok
    ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { v += 0; if (op == ">=") print (v >= l); else print (v <= l) }')
    [[ $2 == - ]] && ok=0
    printf '  %s  %-52s %s %s %s\n' "$([[ $ok == 1 ]] && echo PASS || echo FAIL)" "$1" "$2" "$3" "$4"
}
goal "reference/berth ADD median >= 15x" "$(ratio "$(stat "$WORK/ref.ADD.tsv" 1 "$REF_N")" "$(stat "$WORK/berth.ADD.tsv" 1 "$N")" | tr -d x)" ">=" 15
floor_add=$(stat "$WORK/floor.ADD.tsv" 1 "$REF_N")
ref_add=$(stat "$WORK/ref.ADD.tsv" 1 "$REF_N")
echo "  (the floor alone allows reference/floor ADD = $(ratio "$ref_add" "$floor_add"))"
goal "reference/berth DEL median >= 4x" "$(ratio "$(stat "$WORK/ref.DEL.tsv" 1 "$REF_N")" "$(stat "$WORK/berth.DEL.tsv" 1 "$N")" | tr -d x)" ">=" 4
goal "berth ADD flat: last 10 / first 10 <= 1.25x" "$(ratio "$(stat "$WORK/berth.ADD.tsv" $((N - 9)) "$N")" "$(stat "$WORK/berth.ADD.tsv" 1 10)" | tr -d x)" "<=" 1.25
goal "GC of $N stale attachments < 100 ms" "$gc_ms" "<=" 100

ip -o link show | awk '{ print $2 }' | sort >"$WORK/own-links.after"
cmp -s "$WORK/own-links.before" "$WORK/own-links.after" ||
    echo "WARNING: the machine's own links changed during the run" >&2
