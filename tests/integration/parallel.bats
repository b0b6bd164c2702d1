#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Concurrency: many setups and teardowns at once, racing to create and delete
# the same bridge and firewall table. Podman serialises its own calls with
# /run/lock/netavark.lock, but other callers (and several Podman instances
# with different run roots) do not, so berth-net must be safe on its own.

load helpers

setup() {
    world_create
    # netavark 1.4 is not safe without Podman's lock (concurrent calls fail
    # with "iptables: Chain already exists"): give the control that lock.
    # berth-net runs unlocked.
    if is_control; then
        NET_LOCK="$WORLD/netavark.lock"
    fi
}

teardown() {
    world_destroy
}

# run_parallel VERB CTR...: run VERB for every CTR at once; fail (showing
# the outputs) unless every call exited 0. Each call is bounded by net_exec's
# timeout; `wait` returns when all are done.
run_parallel() {
    local verb=$1 c pids=() failed=0 i=0
    shift
    for c in "$@"; do
        (
            NET_OUT_PREFIX="$WORLD/par-$c."
            net_exec "$verb" "/run/netns/$(ns_of "$c")" <"$(ctr_opts_file "$c")"
            echo "$status" >"$WORLD/par-$c.rc"
        ) 3>&- &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i" || true
    done
    for c in "$@"; do
        if [[ $(cat "$WORLD/par-$c.rc" 2>/dev/null) != 0 ]]; then
            echo "$verb $c failed: rc=$(cat "$WORLD/par-$c.rc" 2>/dev/null)" >&2
            echo "  stdout: $(cat "$WORLD/par-$c.stdout" 2>/dev/null)" >&2
            echo "  stderr: $(cat "$WORLD/par-$c.stderr" 2>/dev/null)" >&2
            failed=1
        fi
    done
    return $failed
}

@test "20 parallel setups on one new network, then 20 parallel teardowns" {
    local i ctrs=()
    net_new par podman1 10.89.1.0/24 fd10:89:1::/64
    for i in $(seq 1 20); do
        ctr_new "c$i"
        ctr_join "c$i" par eth0 "10.89.1.$((i + 1))" "fd10:89:1::$((i + 1))"
        ctrs+=("c$i")
    done
    run_parallel setup "${ctrs[@]}"
    for i in $(seq 1 20); do
        jq -e --arg ip "10.89.1.$((i + 1))/24" '.par.interfaces.eth0.subnets[0].ipnet == $ip' \
            "$WORLD/par-c$i.stdout" >/dev/null
    done
    assert_eq "$(ipn host -o link show master podman1 | wc -l)" 20 "ports on the bridge"
    for i in $(seq 1 20); do
        assert_ping "c$i" 10.89.1.1
        assert_ping "c$i" "10.89.1.$(((i % 20) + 2))"
    done
    assert_ping c1 fd10:89:1::21
    assert_ping c20 "$OUT_IP4"

    run_parallel teardown "${ctrs[@]}"
    assert_no_link host podman1
    assert_eq "$(ipn host -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\n' ' ')" "lo vout " "host links"
    for i in $(seq 1 20); do
        assert_no_link "c$i" eth0
    done
    if ! is_control; then
        assert_no_match "$(inns host nft list ruleset)" "berth" "host ruleset"
    fi
}

@test "parallel setups across 3 networks, then parallel teardowns" {
    local n i ctrs=()
    for n in 1 2 3; do
        net_new "net$n" "podman$n" "10.89.$n.0/24"
    done
    for n in 1 2 3; do
        for i in $(seq 1 8); do
            ctr_new "c$n-$i"
            ctr_join "c$n-$i" "net$n" eth0 "10.89.$n.$((i + 1))"
            ctrs+=("c$n-$i")
        done
    done
    run_parallel setup "${ctrs[@]}"
    for n in 1 2 3; do
        assert_eq "$(ipn host -o link show master "podman$n" | wc -l)" 8 "ports on podman$n"
        assert_ping "c$n-1" "10.89.$n.9"
        assert_ping "c$n-8" "10.89.$(((n % 3) + 1)).2"
        assert_ping "c$n-4" "$OUT_IP4"
    done
    run_parallel teardown "${ctrs[@]}"
    for n in 1 2 3; do
        assert_no_link host "podman$n"
    done
    if ! is_control; then
        assert_no_match "$(inns host nft list ruleset)" "berth" "host ruleset"
    fi
}

@test "parallel setup and teardown on one network at the same time" {
    local i
    net_new par podman1 10.89.1.0/24
    for i in $(seq 1 10); do
        ctr_new "c$i"
        ctr_join "c$i" par eth0 "10.89.1.$((i + 1))"
    done
    # c1..c5 exist first; then c1..c5 leave while c6..c10 join
    run_parallel setup c1 c2 c3 c4 c5
    (run_parallel teardown c1 c2 c3 c4 c5 && touch "$WORLD/td-ok") 3>&- &
    local td=$!
    run_parallel setup c6 c7 c8 c9 c10
    wait "$td" || true
    [[ -e $WORLD/td-ok ]]
    assert_eq "$(ipn host -o link show master podman1 | wc -l)" 5 "ports on the bridge"
    for i in $(seq 6 10); do
        assert_ping "c$i" 10.89.1.1
    done
}
