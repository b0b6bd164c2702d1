#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The state journal: a berth command killed (SIGKILL) at each step of an
# operation leaves a journal entry; the next command finishes the operation
# (stop, rm, disconnect) or rolls it back (create, start, connect), and the
# host is left clean. BERTH_TEST_CRASH_AT=<step> makes the engine kill
# itself at that step.
load helpers

setup() {
    require_sandbox
    engine_reset
    import_busybox
    b network create --subnet 10.89.7.0/24 -o isolate=true front >/dev/null
}

teardown() {
    engine_reset
}

crash() { # STEP ARGS...: berth ARGS killed at STEP
    local step=$1
    shift
    run env BERTH_TEST_CRASH_AT="$step" "$BERTH" "$@"
    if ((status != 137)); then
        echo "expected berth to be killed at $step (137), got $status: $output" >&2
        return 1
    fi
    # the entry the killed command left (a stop's may already be taken by
    # the container's monitor, see below)
    [[ $step == stop-killed || -n $(ls -A "$BERTH_ROOT/journal") ]]
    # the next command that takes the lock recovers (for stop, the
    # container's monitor may be that command: it takes the lock when the
    # process it waits for is gone)
    "$BERTH" ps -a >/dev/null 2>"$SBX_DIR/recover.err"
    [[ -z $(ls -A "$BERTH_ROOT/journal") ]]
}

# After recovery: no journal entry, container not running, nothing on the host.
assert_rolled_back() {
    run b inspect c
    assert_ok
    [[ $(jq -r '.[0].State.Status' <<<"$output") != running ]]
    assert_no_leftovers
    # and it starts cleanly, with its address
    run b start c
    assert_ok
    run b exec c ping -c1 -W2 10.89.7.1
    assert_ok
}

@test "kill -9 in the middle of start, at every step: rolled back" {
    for step in netns ipam setup mount started; do
        crash "$step" run -d --name c --network front busybox sleep 1000
        assert_rolled_back
        b rm -f c >/dev/null
        assert_no_leftovers
    done
}

@test "kill -9 of the monitor between runtime create and start: rolled back" {
    # the monitor dies; the parent sees it and undoes the start itself
    run env BERTH_TEST_CRASH_AT=runtime-created "$BERTH" run -d --name c --network front busybox sleep 1000
    assert_fail
    assert_contains "monitor exited"
    [[ -z $(ls -A "$BERTH_ROOT/journal") ]]
    assert_no_leftovers
    run b start c
    assert_ok
}

@test "kill -9 in the middle of create: the half-made container is removed" {
    crash created create --name c busybox true
    run b ps -aq
    assert_ok
    [[ -z $output ]]
    [[ -z $(ls -A "$BERTH_ROOT/containers") ]]
}

@test "kill -9 in the middle of stop and of rm: finished" {
    b run -d --name c --network front --ip 10.89.7.9 busybox sleep 1000 >/dev/null
    crash stop-killed stop -t 1 c
    run b ps -a
    assert_contains "Exited"
    assert_no_leftovers
    crash rm-cleaned rm c
    run b ps -aq
    [[ -z $output ]]
    assert_no_leftovers
    # its address went back to the pool
    run b run --rm --network front --ip 10.89.7.9 busybox true
    assert_ok
}

@test "kill -9 in the middle of connect (rolled back) and of disconnect (finished)" {
    b network create --subnet 10.89.8.0/24 -o isolate=true second >/dev/null
    b run -d --name c --network front busybox sleep 1000 >/dev/null
    crash connect-setup network connect second c
    run b inspect c
    [[ $(jq -r '.[0].NetworkSettings.Networks | keys | join(",")' <<<"$output") == front ]]
    run b exec c ip link show eth1
    assert_fail
    # one veth (eth0's) on the host
    [[ $(ip -o link show type veth | grep -vc ' vout@') == 1 ]]
    b network connect second c
    run b exec c ip link show eth1
    assert_ok
    crash disconnect-teardown network disconnect second c
    run b inspect c
    [[ $(jq -r '.[0].NetworkSettings.Networks | keys | join(",")' <<<"$output") == front ]]
    run b exec c ip link show eth1
    assert_fail
    [[ $(ip -o link show type veth | grep -vc ' vout@') == 1 ]]
}
