#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build and run the whole test suite twice:
#   build       normal build (-Dwerror=true): unit, fuzz replay, integration
#   build-asan  ASan+UBSan build: the same suites, berth-net itself runs under
#               the sanitizers in the integration tests; any sanitizer report
#               file counts as a failure (tinc style)
# Ends with one line "N passed, N failed, N skipped" over both runs (from
# meson's testlog.json) and exits non-zero if anything failed.
# Integration tests need root (they skip otherwise) and only ever touch
# network namespaces they create themselves.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh || { echo "deps.sh failed" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
failures=0          # build failures and sanitizer reports (not in testlog.json)
logs=()

# configure DIR [meson options...]
configure() {
    local dir=$1
    shift
    if [[ -f $dir/build.ninja ]]; then
        meson setup --reconfigure "$dir" "$@"
    else
        meson setup "$dir" "$@"
    fi
}

# run_build NAME DIR [meson options...]
run_build() {
    local name=$1 dir=$2
    shift 2
    echo "=== $name: configure and build ($dir)"
    rm -f "$dir/meson-logs/testlog.json"
    if ! configure "$dir" "$@" || ! meson compile -C "$dir"; then
        echo "=== $name: BUILD FAILED"
        failures=$((failures + 1))
        return
    fi
    echo "=== $name: test"
    if ! meson test -C "$dir" --print-errorlogs --num-processes 2; then
        # meson does not echo a TAP test's diagnostics: show the failed
        # subtests with their "# ..." lines
        echo "=== $name: failed subtests"
        jq -r 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
               | "--- \(.name) (\(.result))", (.stdout // "" | split("\n")
               | map(select(test("^not ok|^#"))) | .[:150][])' \
            "$dir/meson-logs/testlog.json" 2>/dev/null || true
    fi
    logs+=("$dir/meson-logs/testlog.json")
}

start=$(date +%s)

run_build normal build -Dwerror=true

san_dir=$(mktemp -d /tmp/berth-sanitizer-logs.XXXXXX)
(
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:log_path=$san_dir/asan"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$san_dir/ubsan"
    export LSAN_OPTIONS="log_path=$san_dir/lsan"
    run_build asan build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
    # pass the sub-shell's results out through files
    printf '%s\n' "${logs[@]}" >"$san_dir/.logs"
    echo "$failures" >"$san_dir/.failures"
)
mapfile -t logs <"$san_dir/.logs"
failures=$(cat "$san_dir/.failures")

san_reports=$(find "$san_dir" -type f ! -name '.*' | sort)
if [[ -n $san_reports ]]; then
    echo "=== sanitizer reports:"
    for f in $san_reports; do
        echo "--- $f"
        head -60 "$f"
    done
    failures=$((failures + $(wc -l <<<"$san_reports")))
fi
rm -rf "$san_dir"

passed=0 failed=0 skipped=0
for log in "${logs[@]}"; do
    [[ -f $log ]] || { failed=$((failed + 1)); continue; }
    read -r p f s < <(jq -rs '[
        (map(select(.result == "OK" or .result == "EXPECTEDFAIL")) | length),
        (map(select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")) | length),
        (map(select(.result == "SKIP")) | length)] | @tsv' "$log")
    echo "=== $log: $p passed, $f failed, $s skipped"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
failed=$((failed + failures))
echo "=== both runs took $(($(date +%s) - start)) s (build failures and sanitizer reports count as failed)"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
