#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Rollback: a setup that fails half-way leaves the host and the container
# namespaces exactly as they were (links, addresses, routes, ruleset).
#
# netavark 1.4 does not roll back (protocol doc §2.5). Against it these tests
# still check the error (so the failure scenario itself is validated), and
# skip the before/after comparison.

load helpers

setup() {
    world_create
}

teardown() {
    world_destroy
}

# assert_rolled_back CTR...: nothing changed since take_snapshots
assert_rolled_back() {
    if is_control; then
        skip "netavark 1.4 behaviour differs: no rollback of a failed setup (error checked)"
    fi
    assert_unchanged "$@"
}

@test "second network fails: its interface name exists in the container" {
    net_new neta podman1 10.89.1.0/24 fd10:89:1::/64
    net_new netb podman2 10.89.2.0/24
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2 fd10:89:1::2
    ctr_join c1 netb eth1 10.89.2.2
    ipn c1 link add eth1 type veth peer name eth1p
    take_snapshots c1
    net_setup c1
    assert_json_error "interface eth1 already exists on container namespace"
    assert_rolled_back c1
}

@test "only network fails: its interface name exists in the container" {
    net_new neta podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ipn c1 link add eth0 type veth peer name eth0p
    take_snapshots c1
    net_setup c1
    assert_json_error "interface eth0 already exists on container namespace"
    assert_rolled_back c1
}

@test "second network fails: its bridge name is taken by a veth" {
    net_new neta podman1 10.89.1.0/24
    net_new netb podman2 10.89.2.0/24
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ctr_join c1 netb eth1 10.89.2.2
    ipn host link add podman2 type veth peer name podman2p
    take_snapshots c1
    net_setup c1
    # netavark 1.4 prints the kind capitalised ("a Veth interface")
    assert_json_error "bridge interface podman2 already exists but is a "
    is_control || assert_json_error "bridge interface podman2 already exists but is a veth interface"
    assert_rolled_back c1
}

@test "rollback keeps a bridge that other containers use" {
    net_new neta podman1 10.89.1.0/24
    net_new netb podman2 10.89.2.0/24
    ctr_new c0
    ctr_join c0 neta eth0 10.89.1.5
    setup_ok c0
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ctr_join c1 netb eth1 10.89.2.2
    ipn c1 link add eth1 type veth peer name eth1p
    take_snapshots c0 c1
    net_setup c1
    assert_json_error "interface eth1 already exists on container namespace"
    # c0 is still fully connected
    assert_ping c0 10.89.1.1
    assert_ping c0 "$OUT_IP4"
    assert_rolled_back c0 c1
}

@test "second network fails: macvlan parent does not exist" {
    net_new neta podman1 10.89.1.0/24
    net_new mv nonexistent0 198.18.0.0/24=198.18.0.2
    net_set mv '.driver = "macvlan"'
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ctr_join c1 mv eth1 198.18.0.10
    take_snapshots c1
    net_setup c1
    assert_json_error
    assert_rolled_back c1
}

@test "rollback sets the container's lo down again when it was down before" {
    berth_only "no rollback of a failed setup"
    net_new neta podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    # a runtime that leaves lo down; the setup fails after it set lo up
    ipn c1 link set lo down
    ipn c1 link add eth0 type veth peer name eth0p
    take_snapshots c1
    net_setup c1
    assert_json_error "interface eth0 already exists on container namespace"
    assert_rolled_back c1
}
