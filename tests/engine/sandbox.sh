#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run a command with the berth engine in a world of its own, so that the
# machine is left untouched:
#
#   sandbox.sh [--build DIR] [--keep] [--tap] [--timeout SEC] [--] CMD [ARGS...]
#
#   --tap          CMD speaks TAP: a missing prerequisite (not root, a tool
#                  missing) prints "1..0 # SKIP reason" and exits 0
#   --timeout SEC  hard limit for CMD (default 900)
#
# - a private mount namespace (unshare -m --propagation private) with its own
#   tmpfs on /run (so /run/netns and berth's run directory are private); on a
#   host whose /sys/fs/cgroup is the hybrid v1 + v2 layout, the v2 mount at
#   /sys/fs/cgroup/unified is unmounted there only (crun refuses the mixed
#   layout, and the engine then runs without cgroups);
# - network namespaces made inside it:
#       out    198.18.0.2/24, 2001:db8:ff::2/64   "the internet"
#         | veth
#       host   198.18.0.1/24, 2001:db8:ff::1/64   the engine's host; CMD runs
#              here (entered with nsenter, so the mount namespace is kept)
# - the engine's directories under a temp dir: BERTH_ROOT, BERTH_RUNROOT,
#   BERTH_NETWORK_DIR, BERTH_RUN_DIR, and BERTH (the binary) exported;
#   SBX_DIR is the temp dir, SBX_OUT_IP4/SBX_HOST_IP4 the addresses above;
#   sbx_out CMD... (a function in $SBX_DIR/env.sh) runs CMD in "out".
# Teardown (also on failure): every process left in the mount namespace or in
# its network namespaces is killed by pid, then the temp dir is removed.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
BUILD=${BERTH_BUILD:-$REPO/build}
KEEP=0
TAP=0
TIMEOUT=900
while (($#)); do
    case $1 in
    --build) BUILD=$(readlink -f "$2"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    --tap) TAP=1; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
    esac
done
(($#)) || { echo "usage: sandbox.sh [--build DIR] [--keep] [--] CMD..." >&2; exit 2; }

skip_all() {
    if ((TAP)); then
        echo "1..0 # SKIP $1"
        exit 0
    fi
    echo "sandbox.sh: $1" >&2
    exit 77
}

if [[ ${SBX_INNER:-} != 1 ]]; then
    [[ $(id -u) -eq 0 ]] || skip_all "needs root"
    for tool in unshare nsenter ip crun jq; do
        command -v "$tool" >/dev/null || skip_all "$tool not installed"
    done
    [[ -x $BUILD/engine/berth ]] || skip_all "berth not built in $BUILD"
    SBX_DIR=$(mktemp -d /tmp/berth-engine.XXXXXX)
    export SBX_DIR SBX_INNER=1 BERTH_BUILD=$BUILD
    rc=0
    timeout -k 10 "$TIMEOUT" unshare -m --propagation private -- "$SELF" --build "$BUILD" -- "$@" || rc=$?
    # the inner teardown killed everything; this only removes what is left on disk
    if ((KEEP == 0)); then
        rm -rf --one-file-system "$SBX_DIR" 2>/dev/null || true
    else
        echo "sandbox.sh: kept $SBX_DIR" >&2
    fi
    exit $rc
fi

# ---- inside the private mount namespace ----
MNT_NS=$(readlink /proc/self/ns/mnt)
mount -t tmpfs -o mode=755 tmpfs /run
if [[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]] && mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified
fi

teardown() {
    set +e
    local me=$$ pid ns
    # every process of this mount namespace but us, and every process in our netns
    for _ in 1 2 3; do
        local pids=()
        for pid in /proc/[0-9]*; do
            pid=${pid#/proc/}
            [[ $pid == "$me" || $pid == "$BASHPID" ]] && continue
            [[ $(readlink "/proc/$pid/ns/mnt" 2>/dev/null) == "$MNT_NS" ]] && pids+=("$pid")
        done
        for ns in host out; do
            [[ -e /run/netns/$ns ]] && pids+=($(ip netns pids "$ns" 2>/dev/null))
        done
        ((${#pids[@]})) || break
        kill -KILL "${pids[@]}" 2>/dev/null
        for _ in $(seq 50); do
            local alive=0
            for pid in "${pids[@]}"; do [[ -e /proc/$pid ]] && alive=1; done
            ((alive)) || break
            sleep 0.1
        done
    done
    for ns in host out; do ip netns delete "$ns" 2>/dev/null; done
    # the engine's overlay and namespace mounts die with this mount namespace
}
trap teardown EXIT

ip netns add host
ip netns add out
ip -n host link set lo up
ip -n out link set lo up
ip link add vout netns host type veth peer name eth0 netns out
ip -n host addr add 198.18.0.1/24 dev vout
ip -n out addr add 198.18.0.2/24 dev eth0
ip -n host addr add 2001:db8:ff::1/64 dev vout nodad
ip -n out addr add 2001:db8:ff::2/64 dev eth0 nodad
ip -n host link set vout up
ip -n out link set eth0 up
ip -n host route add default via 198.18.0.2
ip -n host -6 route add default via 2001:db8:ff::2

export BERTH=$BUILD/engine/berth
export BERTH_ROOT=$SBX_DIR/root BERTH_RUNROOT=$SBX_DIR/runroot
export BERTH_NETWORK_DIR=$SBX_DIR/networks BERTH_RUN_DIR=$SBX_DIR/berth-run
export SBX_OUT_IP4=198.18.0.2 SBX_HOST_IP4=198.18.0.1 SBX_OUT_IP6=2001:db8:ff::2
mkdir -p "$BERTH_RUN_DIR"
cat >"$SBX_DIR/env.sh" <<'EOS'
sbx_out() { nsenter --net=/run/netns/out -- "$@"; }
sbx_host() { nsenter --net=/run/netns/host -- "$@"; }
EOS
rc=0
nsenter --net=/run/netns/host -- "$@" || rc=$?
exit $rc
