#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build and run the whole test suite twice:
#   build       normal build (-Dwerror=true): unit, fuzz replay, integration, podman
#   build-asan  ASan+UBSan build: the same suites, berth-net itself runs under
#               the sanitizers in the integration tests; any sanitizer report
#               file counts as a failure (tinc style)
# Ends with one line "N passed, N failed, N skipped" over both runs and exits
# non-zero if anything failed. The counts are of subtests: every TAP result
# line (cmocka and bats), or the whole test for a test without TAP; the
# skipped ones are listed with their reasons before that line.
#
# Runs as root with every tool installed (scripts/deps.sh): a missing tool or
# a run without root fails before the build, a suite that is not registered
# fails the run, and a subtest that skips because a prerequisite is missing
# counts as failed. Only a missing kernel feature (or a behaviour the control
# lacks) may skip. Integration tests only ever touch network namespaces they
# create themselves.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh must run as root: the integration and podman suites need it" >&2
    exit 1
fi

bash scripts/deps.sh || { echo "deps.sh failed" >&2; exit 1; }

# Every tool a suite needs (a test that does not find one would skip).
REQUIRED_TOOLS=(bats jq python3 ip nft ping socat ss dig dnsmasq flock timeout nsenter unshare
    podman crun conmon catatonit slirp4netns newuidmap meson ninja
    docker-registry skopeo dot man groff wget)
REQUIRED_FILES=(/usr/lib/podman/netavark /usr/lib/podman/aardvark-dns /bin/busybox)
missing=()
for t in "${REQUIRED_TOOLS[@]}"; do
    command -v "$t" >/dev/null || missing+=("$t")
done
for f in "${REQUIRED_FILES[@]}"; do
    [[ -x $f ]] || missing+=("$f")
done
if ((${#missing[@]})); then
    echo "missing after scripts/deps.sh: ${missing[*]}" >&2
    exit 1
fi

# Every test meson must register (some are registered only when a tool is
# found): one that is absent fails the run.
REQUIRED_TESTS=(
    integration/{netlink-live,nft-live,undo-live,conntrack-live}
    integration/{errors,bridge,rollback,macvlan,parallel,configs,ports,failures,kill,configdirs}
    integration/{ipam-hostlocal,brport-live,cni,cni-dnsname,cni-bridge,cni-bridge-berth,cni-host-local}
    integration/{cni-portmap,cni-portmap-berth,cni-firewall,cni-nat,containerd-cni,containerd-cni-control}
    integration/{dns-netavark,dns-netavark-berth-dns,dns-netavark-control-berth-dns,dns-server}
    podman/podman-{basic,dns,networks,lifecycle,rootless}{,-control} podman/podman-dns-aardvark
    podman/podman-cni-{basic,dns,lifecycle}{,-control}
    engine/engine-{networks,containers,pods,journal,image,cni}
    fuzz/fuzz-image-manifest-replay docs/man-lint
)
# A skip whose reason says a prerequisite is missing (a tool, root) is a
# failure here: CI has them all.
PREREQ_SKIP='needs root|not installed|missing [a-z]|not found|no DNS server binary'

export DEBIAN_FRONTEND=noninteractive
failures=0          # build failures, unregistered tests, sanitizer reports
logs=()             # "TESTLOG MESON-EXIT-STATUS" per build

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

# check_registered NAME DIR: every REQUIRED_TESTS entry is registered
check_registered() {
    local name=$1 dir=$2 list t missing=()
    if ! list=$(meson test -C "$dir" --list 2>/dev/null); then
        echo "=== $name: meson test --list failed"
        return 1
    fi
    for t in "${REQUIRED_TESTS[@]}"; do
        grep -qx "berth:${t%%/*} / ${t#*/}" <<<"$list" || missing+=("$t")
    done
    if ((${#missing[@]})); then
        echo "=== $name: tests not registered (a tool missing at configure time?): ${missing[*]}"
        return 1
    fi
}

# run_build NAME DIR [meson options...]
run_build() {
    local name=$1 dir=$2 rc=0
    shift 2
    echo "=== $name: configure and build ($dir)"
    rm -f "$dir/meson-logs/testlog.json"
    if ! configure "$dir" "$@" || ! meson compile -C "$dir"; then
        echo "=== $name: BUILD FAILED"
        failures=$((failures + 1))
        return
    fi
    check_registered "$name" "$dir" || failures=$((failures + 1))
    echo "=== $name: test"
    meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
    if ((rc != 0)); then
        # meson does not echo a TAP test's diagnostics: show the failed
        # subtests with their "# ..." lines
        echo "=== $name: failed subtests (meson test exited $rc)"
        if ! jq -r 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
               | "--- \(.name) (\(.result))", (.stdout // "" | split("\n")
               | map(select(test("^not ok|^#"))) | .[:150][])' \
            "$dir/meson-logs/testlog.json"; then
            echo "=== $name: cannot read $dir/meson-logs/testlog.json"
            failures=$((failures + 1))
        fi
    fi
    logs+=("$dir/meson-logs/testlog.json $rc")
}

# count_subtests TESTLOG: one line per subtest, "pass|fail|skip<TAB>test<TAB>
# subtest<TAB>reason". A test with a TAP plan counts its result lines (a
# "1..0 # SKIP" plan is one skip), plus one failure when meson failed it
# without a failed subtest (crash, timeout, short plan); any other test counts
# once by its result.
count_subtests() {
    jq -r '
        def tapline:
            if test("^not ok\\b") then
                (capture("(?i)^not ok\\s*[0-9]*\\s*(-\\s*)?(?<n>[^#]*?)\\s*(#\\s*(?<d>[a-z]+)\\s*(?<r>.*))?$")
                 // {n: ., d: null, r: ""})
                | if (.d // "" | ascii_upcase) == "TODO" then ["pass", .n, ""] else ["fail", .n, .r // ""] end
            else
                (capture("(?i)^ok\\s*[0-9]*\\s*(-\\s*)?(?<n>[^#]*?)\\s*(#\\s*(?<d>[a-z]+)\\s*(?<r>.*))?$")
                 // {n: ., d: null, r: ""})
                | (.d // "" | ascii_upcase) as $d
                | if $d | startswith("SKIP") then ["skip", .n, .r // ""]
                  elif $d == "TODO" then ["fail", .n, "unexpected pass"]
                  else ["pass", .n, ""] end
            end;
        .name as $t
        | (.stdout // "" | split("\n")) as $lines
        | ($lines | map(select(test("^1\\.\\.[0-9]+")))) as $plans
        | if ($plans | length) > 0 then
              ([$lines[] | select(test("^(not )?ok\\b")) | tapline]) as $subs
              | ($plans[0] | capture("(?i)^1\\.\\.0\\s*#\\s*skip\\S*\\s*(?<r>.*)$") // null) as $planskip
              | ($subs[] | [.[0], $t, .[1], .[2]]),
                (if $planskip and ($subs | length) == 0 then ["skip", $t, "(whole file)", $planskip.r]
                 else empty end),
                (if (.result | IN("OK", "SKIP", "EXPECTEDFAIL") | not)
                    and ($subs | map(select(.[0] == "fail")) | length) == 0 then
                     ["fail", $t, "(test)", "meson result \(.result), exit status \(.returncode)"]
                 else empty end)
          elif .result | IN("OK", "EXPECTEDFAIL") then ["pass", $t, "", ""]
          elif .result == "SKIP" then ["skip", $t, "", "exit status \(.returncode)"]
          else ["fail", $t, "", "meson result \(.result), exit status \(.returncode)"]
          end
        | map(gsub("\t"; " ")) | @tsv' "$1"
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
[[ $failures =~ ^[0-9]+$ ]] || failures=1

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
skip_list=()
for entry in "${logs[@]}"; do
    [[ -n $entry ]] || continue
    log=${entry% *}
    rc=${entry##* }
    if [[ ! -f $log ]]; then
        echo "=== $log: missing (meson test exited $rc)"
        failed=$((failed + 1))
        continue
    fi
    if ! rows=$(count_subtests "$log"); then
        echo "=== $log: cannot count its results (jq failed)"
        failed=$((failed + 1))
        continue
    fi
    p=0 f=0 s=0
    while IFS=$'\t' read -r kind test sub reason; do
        [[ -n $kind ]] || continue
        case $kind in
        pass) p=$((p + 1)) ;;
        fail) f=$((f + 1)) ;;
        skip)
            if [[ $reason =~ $PREREQ_SKIP ]]; then
                echo "=== a prerequisite is missing, counted as failed: $test / $sub: $reason"
                f=$((f + 1))
            else
                s=$((s + 1))
                skip_list+=("${log%/meson-logs/*}: $test${sub:+ / $sub}: ${reason:-(no reason given)}")
            fi
            ;;
        esac
    done <<<"$rows"
    if ((rc != 0 && f == 0)); then
        echo "=== $log: meson test exited $rc, no failed test in its log: counted as one failure"
        f=1
    fi
    if ((p + f + s == 0)); then
        echo "=== $log: no results"
        f=1
    fi
    echo "=== $log: $p passed, $f failed, $s skipped (subtests)"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
if ((${#logs[@]} == 0)); then
    failed=$((failed + 1))
fi
failed=$((failed + failures))
if ((${#skip_list[@]})); then
    echo "=== skipped subtests:"
    printf '  %s\n' "${skip_list[@]}"
fi
echo "=== both runs took $(($(date +%s) - start)) s (build failures, unregistered tests and sanitizer reports count as failed)"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
