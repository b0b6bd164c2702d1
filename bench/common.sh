# SPDX-License-Identifier: Apache-2.0
# Shared preamble of the benchmark scripts (sourced, not run).

# bench_fail_missing NAME...: exit 1 naming what is missing (installs nothing;
# scripts/deps.sh does).
bench_fail_missing() {
    (($# == 0)) && return 0
    printf '%s: missing: %s\n' "$0" "$*" >&2
    echo "run scripts/deps.sh (as root) to install the benchmark's dependencies" >&2
    exit 1
}

# bench_build LOG TARGET...: configure $BUILD if needed and build the targets
# with ninja, or exit 1 pointing at the log.
bench_build() {
    local log=$1
    shift
    if [[ ! -f $BUILD/build.ninja ]]; then
        meson setup "$BUILD" >/dev/null
    fi
    if ! ninja -C "$BUILD" "$@" >"$BUILD/$log" 2>&1; then
        echo "$0: building $* in $BUILD failed; see $BUILD/$log" >&2
        exit 1
    fi
}

# bench_require_built FILE...: every file is an executable
bench_require_built() {
    local f
    for f in "$@"; do
        [[ -x $f ]] || { echo "$0: $f not built" >&2; exit 1; }
    done
}

# The benchmarks' worlds, in namespaces the script creates (named "$P-TAG-...",
# listed in $NAMESPACES_FILE so that the script's cleanup removes them; $WORK
# is the script's temporary directory).
# world TAG COUNT: host + outside + COUNT container namespaces (lo down in them)
world() {
    local tag=$1 count=$2 i h="$P-$1-host" o="$P-$1-outside"
    {
        echo "$h"
        echo "$o"
        for ((i = 1; i <= count; i++)); do echo "$P-$tag-c$i"; done
    } >>"$NAMESPACES_FILE"
    {
        echo "netns add $h"
        echo "netns add $o"
        for ((i = 1; i <= count; i++)); do echo "netns add $P-$tag-c$i"; done
    } >"$WORK/ns.batch"
    ip -batch "$WORK/ns.batch"
    ip -n "$h" link set lo up
    ip -n "$h" link add vout type veth peer name eth0 netns "$o"
    ip -n "$h" addr add 198.18.0.1/24 dev vout
    ip -n "$o" addr add 198.18.0.2/24 dev eth0
    ip -n "$h" link set vout up
    ip -n "$o" link set eth0 up
    ip -n "$h" route add default via 198.18.0.2
}

destroy_world() {
    local tag=$1
    grep "^$P-$tag-" "$NAMESPACES_FILE" | sed 's/^/netns del /' >"$WORK/del.batch" || true
    ip -batch "$WORK/del.batch" 2>/dev/null || true
    grep -v "^$P-$tag-" "$NAMESPACES_FILE" >"$WORK/ns.left" || true
    mv "$WORK/ns.left" "$NAMESPACES_FILE"
}

