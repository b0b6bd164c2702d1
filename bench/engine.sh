#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Engine benchmark: `berth run --rm IMAGE true` with a network and with
# `--network none`, beside `podman run --rm IMAGE true` (Podman 4.3.1 on
# Debian's netavark 1.4 + aardvark-dns) with a network and with
# `--network none`, all four variants alternating within one run
# (berth-net, berth-none, podman-netavark, podman-none, berth-net, ...) so
# that a machine that gets busier or quieter affects all of them alike.
#
#   bench/engine.sh [-n RUNS] [-w WARMUP] [-b BUILD_DIR] [-d]
#
#   -n RUNS     timed runs per variant (default 50)
#   -w WARMUP   untimed rounds of all four variants first (default 3)
#   -b DIR      meson build dir with engine/berth, berth-net, berth-dns
#               (default $BERTH_BUILD or <repo>/build)
#   -d          use each engine's default network "podman" (no DNS server)
#               instead of a created network "benchnet" (DNS enabled: berth
#               starts berth-dns, Podman aardvark-dns)
#
# Prints median, p95 and mean per variant, each engine's network share (its
# median with the network minus its median with --network none), the ratio
# of the shares (goal <= 0.1) and the whole-run ratio berth/podman of the
# medians with the network (goal < 1).
#
# Both engines run the same image (the busybox-static + socat tarball that
# tests/podman/sandbox.sh builds), in one run, driven from one shell:
# Podman inside tests/podman/sandbox.sh (--backend netavark), which itself
# runs inside tests/engine/sandbox.sh; berth from a worker process that
# enters the engine sandbox's mount and network namespaces (nsenter), so
# that berth runs exactly in the engine's sandbox. Each run is timed the same
# way on both sides (date +%s%N around `timeout 60 CMD`). Nothing runs in the
# machine's network namespace. Needs root, podman, crun, Debian's netavark.
# Default: about 1.5 minutes on 2 cores (a round of the four takes ~1.2 s).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SELF=$HERE/engine.sh
RUN_TIMEOUT=60   # each berth/podman run
REPLY_TIMEOUT=90 # the controller's wait for the worker's answer
MAX_FAILED=5     # failed runs before the benchmark gives up

# elapsed NAME CMD...: "NAME <ns>" on stdout, or "NAME FAIL" (error on stderr)
elapsed() {
    local name=$1 t0 t1
    shift
    t0=$(date +%s%N)
    if ! timeout "$RUN_TIMEOUT" "$@" >/dev/null 2>"$TMPDIR/run-$name.err"; then
        echo "$name failed: $(head -c 2000 "$TMPDIR/run-$name.err")" >&2
        echo "$name FAIL"
        return 0
    fi
    t1=$(date +%s%N)
    echo "$name $((t1 - t0))"
}

# ---------------------------------------------------------------------------
# the berth worker: in the engine sandbox's mount and network namespaces;
# reads variant names on stdin, answers one "NAME ns|FAIL" line each
if [[ ${1:-} == __worker ]]; then
    shift
    tarball=$1 net=$2
    mkdir -p "$TMPDIR"
    # the engine's world: what tests/engine/sandbox.sh exported (BERTH, BERTH_ROOT, ...)
    # shellcheck disable=SC1090
    source "$ENGINE_ENV"
    if ! timeout "$RUN_TIMEOUT" "$BERTH" image import --name bench "$tarball" >/dev/null; then
        echo "setup FAIL"
        exit 1
    fi
    if [[ $net != podman ]] && ! timeout "$RUN_TIMEOUT" "$BERTH" network create "$net" >/dev/null; then
        echo "setup FAIL"
        exit 1
    fi
    echo "setup ok"
    while read -r v; do
        case $v in
            berth-net) elapsed "$v" "$BERTH" run --rm --network "$net" bench true ;;
            berth-none) elapsed "$v" "$BERTH" run --rm --network none bench true ;;
            check)
                # nothing may be left behind: containers, links, netns, processes
                left_c=$("$BERTH" ps -a -q | wc -l)
                left_l=$(ip -o link show | grep -c -v -E ': (lo|vout)[:@]' || true)
                left_n=$(find "$BERTH_RUNROOT/netns" -mindepth 1 2>/dev/null | wc -l)
                left_p=0
                for p in $(ip netns pids host); do
                    case $(cat "/proc/$p/comm" 2>/dev/null) in
                        berth | berth-dns | berth-net | crun) left_p=$((left_p + 1)) ;;
                    esac
                done
                echo "check containers=$left_c links=$left_l netns=$left_n processes=$left_p"
                ;;
            quit) exit 0 ;;
            *) echo "$v FAIL" ;;
        esac
    done
    exit 0
fi

# ---------------------------------------------------------------------------
# the controller: inside tests/podman/sandbox.sh (its netns sbx-host, with
# Podman's environment), which runs inside tests/engine/sandbox.sh
if [[ ${1:-} == __inner ]]; then
    shift
    runs=$1 warmup=$2 out=$3 net=$4
    img=$SBX_IMAGE
    [[ -s $SBX_DIR/rootfs.tar ]] ||
        { echo "no $SBX_DIR/rootfs.tar from tests/podman/sandbox.sh" >&2; exit 1; }
    [[ $(CONTAINERS_CONF=$CONTAINERS_CONF podman info --format '{{.Host.NetworkBackend}}') == netavark ]] ||
        { echo "Podman does not run netavark" >&2; exit 1; }
    [[ $(readlink -f "$SBX_HELPERS/netavark") == /usr/lib/podman/netavark ]] ||
        { echo "Podman's netavark is not Debian's" >&2; exit 1; }
    if [[ $net != podman ]]; then
        timeout "$RUN_TIMEOUT" podman network create "$net" >/dev/null
    fi

    # the worker, in the engine sandbox (ENGINE_PID is its shell there)
    mkfifo "$SBX_DIR/w.req" "$SBX_DIR/w.resp"
    nsenter --mount=/proc/"$ENGINE_PID"/ns/mnt --net=/proc/"$ENGINE_PID"/ns/net -- \
        "$SELF" __worker "$SBX_DIR/rootfs.tar" "$net" <"$SBX_DIR/w.req" >"$SBX_DIR/w.resp" &
    wpid=$!
    exec 3>"$SBX_DIR/w.req" 4<"$SBX_DIR/w.resp"
    stop_worker() {
        echo quit >&3 2>/dev/null || true
        exec 3>&- 4<&-
        for _ in $(seq 50); do kill -0 "$wpid" 2>/dev/null || return 0; sleep 0.1; done
        kill -KILL "$wpid" 2>/dev/null || true
    }
    trap stop_worker EXIT
    ask() { # VARIANT: its answer line on stdout
        local line
        echo "$1" >&3
        if ! read -r -t "$REPLY_TIMEOUT" line <&4; then
            echo "worker did not answer for $1 within ${REPLY_TIMEOUT}s" >&2
            exit 1
        fi
        echo "$line"
    }
    read -r -t "$REPLY_TIMEOUT" line <&4 || line="setup FAIL"
    [[ $line == "setup ok" ]] || { echo "berth worker setup failed" >&2; exit 1; }

    one() { # VARIANT: "VARIANT ns|FAIL"
        case $1 in
            berth-*) ask "$1" ;;
            podman-netavark) elapsed "$1" podman run --rm --network "$net" "$img" true ;;
            podman-none) elapsed "$1" podman run --rm --network none "$img" true ;;
        esac
    }
    variants=(berth-net berth-none podman-netavark podman-none)
    failed=0
    round() { # FILE: one run of every variant, appended to FILE
        local v r
        for v in "${variants[@]}"; do
            r=$(one "$v") # a worker that does not answer ends the benchmark here
            echo "$r" >>"$1"
            [[ $r != *FAIL ]] || ((++failed <= MAX_FAILED)) ||
                { echo "more than $MAX_FAILED failed runs" >&2; exit 1; }
        done
    }
    for ((i = 0; i < warmup; i++)); do round /dev/null; done
    : >"$out"
    for ((i = 0; i < runs; i++)); do round "$out"; done
    # nothing may be left behind by either engine
    echo "berth left after the runs: $(ask check | cut -d' ' -f2-)" >>"$out.notes"
    left_c=$(podman ps -a -q | wc -l)
    left_l=$(ip -o link show | grep -c -v -E ': (lo|vout|sbxpar[01])[:@]' || true)
    echo "podman left after the runs: containers=$left_c links=$left_l" >>"$out.notes"
    exit 0
fi

# ---------------------------------------------------------------------------
# inside tests/engine/sandbox.sh (netns "host"): hand the engine's world to
# the worker and start the Podman sandbox with the controller
if [[ ${1:-} == __engine ]]; then
    shift
    export ENGINE_PID=$$ ENGINE_ENV=$SBX_DIR/bench-engine.env
    declare -p BERTH BERTH_ROOT BERTH_RUNROOT BERTH_NETWORK_DIR BERTH_RUN_DIR |
        sed 's/^declare -x/export/; s/^declare --/export/' >"$ENGINE_ENV"
    limit=$(($1 * 4 * 3 + $2 * 4 * 3 + 300)) # 3 s per run is far above any seen
    exec "$REPO/tests/podman/sandbox.sh" --backend netavark --timeout "$limit" \
        -- "$SELF" __inner "$@"
fi

# ---------------------------------------------------------------------------
# outer part
# shellcheck source=bench/common.sh
source "$HERE/common.sh"

runs=50 warmup=3 build=${BERTH_BUILD:-$REPO/build} net=benchnet
while getopts "n:w:b:dh" o; do
    case $o in
        n) runs=$OPTARG ;;
        w) warmup=$OPTARG ;;
        b) build=$(readlink -f "$OPTARG") ;;
        d) net=podman ;;
        *) sed -n '2,34p' "$0"; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ && $warmup =~ ^[0-9]+$ ]] || { echo "$0: bad -n or -w" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "$0: needs root" >&2; exit 1; }
missing=()
for tool in podman crun conmon nsenter unshare ip python3 timeout; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x /usr/lib/podman/netavark ]] || missing+=("Debian's netavark (/usr/lib/podman/netavark)")
[[ -x /bin/busybox ]] || missing+=(busybox-static)
bench_fail_missing "${missing[@]}"
bench_require_built "$build/engine/berth" "$build/netbackend/berth-net" "$build/dns/berth-dns"

out=$(mktemp /tmp/berth-engine-bench.XXXXXX)
trap 'rm -f "$out" "$out.notes"' EXIT
echo "berth run / podman run --rm <image> true: $runs runs per variant (+$warmup warm-up rounds)," \
    "alternating berth-net, berth-none, podman-netavark, podman-none in one run"
echo "network: $net ($([[ $net == podman ]] && echo "the default network, no DNS" ||
    echo "created on both sides, DNS enabled"));" \
    "load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus; $(podman --version)," \
    "$(/usr/lib/podman/netavark --version); berth $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?')"
start=$(date +%s)
"$REPO/tests/engine/sandbox.sh" --build "$build" -- "$SELF" __engine "$runs" "$warmup" "$out" "$net"
echo "took $(($(date +%s) - start)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$out.notes"

python3 - "$out" <<'EOF'
import statistics, sys
data, failed = {}, {}
for line in open(sys.argv[1]):
    v, ns = line.split()
    if ns == "FAIL":
        failed[v] = failed.get(v, 0) + 1
    else:
        data.setdefault(v, []).append(int(ns) / 1e6)

def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]

order = ("berth-net", "berth-none", "podman-netavark", "podman-none")
print(f"{'variant':<16} {'median ms':>10} {'p95 ms':>10} {'mean ms':>10} {'runs':>5} {'failed':>7}")
med = {}
for v in order:
    xs = data.get(v, [])
    if not xs:
        sys.exit(f"no successful run of {v}")
    med[v] = statistics.median(xs)
    print(f"{v:<16} {med[v]:>10.1f} {p95(xs):>10.1f} {statistics.mean(xs):>10.1f} {len(xs):>5} {failed.get(v, 0):>7}")
sb = med["berth-net"] - med["berth-none"]
sp = med["podman-netavark"] - med["podman-none"]
print(f"network share (median with network minus median with --network none):"
      f" berth {sb:.1f} ms, podman+netavark {sp:.1f} ms")
ratio = sb / sp if sp > 0 else float("nan")
print(f"share ratio berth/podman = {ratio:.3f} (goal <= 0.1): {'PASS' if ratio <= 0.1 else 'FAIL'}")
whole = med["berth-net"] / med["podman-netavark"]
print(f"whole run berth/podman (medians with network) = {whole:.3f} (goal < 1):"
      f" {'PASS' if whole < 1 else 'FAIL'}; with --network none:"
      f" {med['berth-none'] / med['podman-none']:.3f}")
if failed:
    print(f"failed runs (not in the figures): {sum(failed.values())}")
EOF
