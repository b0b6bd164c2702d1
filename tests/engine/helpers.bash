# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the engine's tests (bats). Every file runs inside
# tests/engine/sandbox.sh, which exports BERTH, the BERTH_* directories and
# SBX_DIR, and runs bats in the sandbox's "host" network namespace: every
# network change here happens in the sandbox's own namespaces.

HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

require_sandbox() {
    [[ -n ${SBX_DIR:-} && -n ${BERTH:-} ]] || skip "not inside tests/engine/sandbox.sh"
    # shellcheck source=/dev/null
    . "$SBX_DIR/env.sh"
}

# The test image: Debian's busybox-static with every applet, and a web page.
# Built once per sandbox; imported once per root.
BUSYBOX_TAR=${SBX_DIR:-/tmp}/busybox-rootfs.tar
make_busybox_tar() {
    [[ -s $BUSYBOX_TAR ]] && return 0
    [[ -x /bin/busybox ]] || skip "busybox-static not installed"
    local root=$SBX_DIR/bbroot a
    rm -rf "$root"
    mkdir -p "$root"/{bin,etc,tmp,var/www,proc,sys,dev}
    cp /bin/busybox "$root/bin/"
    for a in $(/bin/busybox --list); do
        [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"
    done
    echo 'hello from berth' >"$root/var/www/index.html"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    tar -C "$root" -cf "$BUSYBOX_TAR.tmp" . && mv "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
}

import_busybox() {
    make_busybox_tar
    if ! "$BERTH" image inspect busybox >/dev/null 2>&1; then
        "$BERTH" image import --name busybox "$BUSYBOX_TAR" >/dev/null
    fi
}

# b ARGS...: run berth, output in $output / $status (bats `run`)
b() { "$BERTH" "$@"; }

# Remove every container and every network file: each test starts empty.
engine_reset() {
    local ids
    ids=$("$BERTH" ps -aq 2>/dev/null || true)
    [[ -z $ids ]] || "$BERTH" rm -f $ids >/dev/null 2>&1 || true
    "$BERTH" network prune -f >/dev/null 2>&1 || true
    rm -f "$BERTH_NETWORK_DIR"/*.json
}

# ctr_ip CTR NET: the container's address on NET
ctr_ip() { "$BERTH" inspect "$1" | jq -r --arg n "$2" '.[0].NetworkSettings.Networks[$n].IPAddress'; }

# wait_for DESCRIPTION TRIES CMD...: retry CMD every 0.1 s, at most TRIES times
wait_for() {
    local what=$1 tries=$2 i
    shift 2
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "timed out waiting for: $what" >&2
    return 1
}

assert_ok() {
    if ((status != 0)); then
        echo "expected success, got exit $status: $output" >&2
        return 1
    fi
}

assert_fail() {
    if ((status == 0)); then
        echo "expected failure, got success: $output" >&2
        return 1
    fi
}

assert_contains() {
    if [[ $output != *"$1"* ]]; then
        echo "expected output to contain '$1', got: $output" >&2
        return 1
    fi
}

# Nothing of a container is left on the host: no veth of its, no namespace file.
assert_no_leftovers() {
    local links
    links=$(ip -o link show type veth | grep -v ' vout@' || true)
    if [[ -n $links ]]; then
        echo "veths left on the host: $links" >&2
        return 1
    fi
    if [[ -n $(ls -A "$BERTH_RUNROOT/netns" 2>/dev/null) ]]; then
        echo "namespaces left: $(ls "$BERTH_RUNROOT/netns")" >&2
        return 1
    fi
    if grep -q " $BERTH_ROOT/containers/.*/merged " /proc/self/mountinfo; then
        echo "overlay mounts left: $(grep "$BERTH_ROOT" /proc/self/mountinfo)" >&2
        return 1
    fi
}
