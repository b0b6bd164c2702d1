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
