#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The example documents in configs/ work as documented (setup, then teardown).

load helpers

setup() {
    world_create
}

teardown() {
    world_destroy
}

# try_config FILE: setup and teardown of container c1 with configs/FILE
try_config() {
    local doc="$REPO_ROOT/configs/$1"
    _ns_add c1
    net_exec setup "/run/netns/$(ns_of c1)" <"$doc"
    assert_ok
    jq -e --slurpfile d "$doc" 'keys == ($d[0].networks | keys)' <<<"$output" >/dev/null
    net_exec teardown "/run/netns/$(ns_of c1)" <"$doc"
    assert_ok
    assert_eq "$output" "" "teardown stdout"
}

@test "configs/web-bridge.json" {
    try_config web-bridge.json
}

@test "configs/dual-stack.json" {
    try_config dual-stack.json
}

@test "configs/two-networks.json" {
    try_config two-networks.json
}

@test "configs/macvlan.json (parent: a veth named eth0)" {
    # the example's parent is eth0 on 192.168.122.0/24: give the host ns one
    ipn host link add eth0 type veth peer name eth0p
    ipn host link set eth0 up
    try_config macvlan.json
}
