#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Podman-level benchmark: `podman run --rm <image> true` on the default
# network with berth (the installed layout: berth-net as netavark), with
# Debian's netavark 1.4, and with `--network none` as the floor. The three
# variants alternate within one run (berth, netavark, none, berth, ...), so a
# machine that gets busier or quieter affects all of them alike.
#
#   bench/podman-run.sh [-n RUNS] [-w WARMUP] [-b BUILD_DIR]
#
# Prints median, p95 and mean per variant, the network share of each backend
# (its median minus the floor's median) and the ratio berth / netavark.
# Goal (issue #5): ratio <= 0.2.
#
# Everything runs inside tests/podman/sandbox.sh (private mount and network
# namespaces, vfs storage in a temp dir): the machine is untouched. Needs
# root, podman and Debian's netavark. Default 40 runs per variant (about
# 1.5 minutes on 2 cores).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

if [[ ${1:-} == __inner ]]; then
    shift
    runs=$1 warmup=$2 out=$3
    img=${SBX_IMAGE}
    conf_b=$CONTAINERS_CONF
    conf_n=$SBX_DIR/containers-netavark.conf
    sed 's|^helper_binaries_dir = .*|helper_binaries_dir = ["/usr/lib/podman"]|' "$conf_b" >"$conf_n"
    grep -q '^helper_binaries_dir = \["/usr/lib/podman"\]' "$conf_n"

    one() { # VARIANT -> elapsed ns on stdout
        local conf args=()
        case $1 in
            berth) conf=$conf_b ;;
            netavark) conf=$conf_n ;;
            none) conf=$conf_b; args=(--network none) ;;
        esac
        local t0 t1
        t0=$(date +%s%N)
        if ! CONTAINERS_CONF=$conf timeout 60 podman run --rm "${args[@]}" "$img" true \
            >/dev/null 2>"$SBX_DIR/run.err"; then
            echo "podman run failed ($1): $(cat "$SBX_DIR/run.err")" >&2
            return 1
        fi
        t1=$(date +%s%N)
        echo $((t1 - t0))
    }
    # check that each variant really runs what it claims
    CONTAINERS_CONF=$conf_b podman info --format '{{.Host.NetworkBackend}}' >/dev/null
    [[ $(readlink -f "$SBX_HELPERS/netavark") == */berth-net ]] ||
        { echo "berth variant does not run berth-net" >&2; exit 1; }
    for ((i = 0; i < warmup; i++)); do
        for v in berth netavark none; do one $v >/dev/null; done
    done
    : >"$out"
    for ((i = 0; i < runs; i++)); do
        for v in berth netavark none; do
            echo "$v $(one $v)" >>"$out"
        done
    done
    # nothing may be left behind by either backend
    left=$(ip -o link show | grep -c -v -E ': (lo|vout|sbxpar[01])[:@]' || true)
    if ((left)); then
        echo "warning: $left links left after the runs:" >&2
        ip -o link show >&2
    fi
    exit 0
fi

runs=40 warmup=3 build=${BERTH_BUILD:-$REPO/build}
while getopts "n:w:b:h" o; do
    case $o in
        n) runs=$OPTARG ;;
        w) warmup=$OPTARG ;;
        b) build=$OPTARG ;;
        *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }
[[ -x /usr/lib/podman/netavark ]] || { echo "needs Debian's netavark (scripts/deps.sh)" >&2; exit 1; }

out=$(mktemp /tmp/berth-podman-bench.XXXXXX)
trap 'rm -f "$out"' EXIT
load=$(cut -d' ' -f1 /proc/loadavg)
echo "podman run --rm <image> true: $runs runs per variant (+$warmup warm-up), alternating; load $load on $(nproc) cpus"
"$REPO/tests/podman/sandbox.sh" --backend berth --dns berth --build "$build" --timeout 900 \
    -- "$HERE/podman-run.sh" __inner "$runs" "$warmup" "$out"

python3 - "$out" <<'EOF'
import statistics, sys
data = {}
for line in open(sys.argv[1]):
    v, ns = line.split()
    data.setdefault(v, []).append(int(ns) / 1e6)

def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]

print(f"{'variant':<10} {'median ms':>10} {'p95 ms':>10} {'mean ms':>10} {'runs':>5}")
med = {}
for v in ("berth", "netavark", "none"):
    xs = data[v]
    med[v] = statistics.median(xs)
    print(f"{v:<10} {med[v]:>10.1f} {p95(xs):>10.1f} {statistics.mean(xs):>10.1f} {len(xs):>5}")
sb = med["berth"] - med["none"]
sn = med["netavark"] - med["none"]
print(f"network share (median minus floor): berth {sb:.1f} ms, netavark {sn:.1f} ms")
ratio = sb / sn if sn > 0 else float("nan")
verdict = "PASS" if ratio <= 0.2 else "FAIL"
print(f"ratio berth/netavark = {ratio:.3f} (goal <= 0.2): {verdict}")
EOF
