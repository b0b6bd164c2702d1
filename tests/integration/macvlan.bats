#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# macvlan and ipvlan drivers, and the bridge's vlan/vrf options.
# The parent interface is the host ns's veth towards the outside ns ("vout"),
# so a macvlan container sits directly on the outside's 198.18.0.0/24.

load helpers

setup() {
    world_create
}

teardown() {
    world_destroy
}

# probe_link WHAT IP-LINK-ARGS...: create a throwaway link in the host ns to
# see whether the kernel supports it; skip the test with the reason if not.
probe_link() {
    local what=$1 err
    shift
    if ! err=$(ipn host link add berthprobe "$@" 2>&1); then
        skip "kernel lacks $what: $err"
    fi
    ipn host link del berthprobe
}

@test "macvlan: container on the parent's segment reaches the outside" {
    net_new mv vout 198.18.0.0/24=198.18.0.2
    net_set mv '.driver = "macvlan"'
    ctr_new c1
    ctr_join c1 mv eth0 198.18.0.10
    setup_ok c1
    jq_ok '.mv.interfaces.eth0.subnets == [{"gateway": "198.18.0.2", "ipnet": "198.18.0.10/24"}]'
    jq_ok '.mv.dns_server_ips == [] and .mv.dns_search_domains == []'
    assert_match "$(ipn c1 -d link show eth0)" "macvlan mode bridge" "eth0"
    assert_match "$(ipn c1 route show default)" "default via 198\.18\.0\.2 dev eth0" "default route"
    assert_ping c1 "$OUT_IP4"
    assert_ping outside 198.18.0.10
    teardown_ok c1
    assert_no_link c1 eth0
    link_exists host vout
}

@test "macvlan: no parent given = the default route's interface" {
    net_new mv "" 198.18.0.0/24=198.18.0.2
    net_set mv '.driver = "macvlan" | del(.network_interface)'
    ctr_new c1
    ctr_join c1 mv eth0 198.18.0.11
    setup_ok c1
    assert_ping c1 "$OUT_IP4"
    teardown_ok c1
    assert_no_link c1 eth0
}

@test "macvlan: default route metric is 99" {
    berth_only "netavark 1.4 uses metric 100 for macvlan"
    net_new mv vout 198.18.0.0/24=198.18.0.2
    net_set mv '.driver = "macvlan"'
    ctr_new c1
    ctr_join c1 mv eth0 198.18.0.10
    setup_ok c1
    assert_match "$(ipn c1 route show default)" "default via 198\.18\.0\.2 dev eth0 proto static metric 99" "default route"
}

@test "macvlan: mtu option" {
    net_new mv vout 198.18.0.0/24=198.18.0.2
    net_set mv '.driver = "macvlan" | .options = {"mtu": "1400"}'
    ctr_new c1
    ctr_join c1 mv eth0 198.18.0.10
    setup_ok c1
    assert_match "$(ipn c1 link show eth0)" " mtu 1400 " "eth0"
}

@test "macvlan and a bridge network in one container" {
    net_new mv vout 198.18.0.0/24=198.18.0.2
    net_set mv '.driver = "macvlan"'
    net_new br podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 br eth0 10.89.1.2
    ctr_join c1 mv eth1 198.18.0.10
    setup_ok c1
    jq_ok 'keys == ["br", "mv"]'
    assert_ping c1 10.89.1.1
    assert_ping c1 "$OUT_IP4"
    teardown_ok c1
    assert_no_link c1 eth0
    assert_no_link c1 eth1
    assert_no_link host podman1
}

@test "ipvlan: container reaches the outside" {
    berth_only "ipvlan is netavark 1.5+"
    probe_link ipvlan link vout type ipvlan mode l2
    net_new iv vout 198.18.0.0/24=198.18.0.2
    net_set iv '.driver = "ipvlan"'
    ctr_new c1
    ctr_join c1 iv eth0 198.18.0.12
    setup_ok c1
    assert_match "$(ipn c1 -d link show eth0)" "ipvlan" "eth0"
    assert_ping c1 "$OUT_IP4"
    teardown_ok c1
    assert_no_link c1 eth0
}

@test "bridge vlan option: vlan filtering and the port's PVID" {
    berth_only "the vlan option is netavark 1.14+"
    probe_link "bridge vlan filtering" type bridge vlan_filtering 1
    net_new vl podman1 10.89.1.0/24
    net_opt vl vlan 10
    ctr_new c1
    ctr_join c1 vl eth0 10.89.1.2
    ctr_set c1 '.networks.vl.options = {"host_interface_name": "veth-c1"}'
    setup_ok c1
    assert_match "$(ipn host -d link show podman1)" "vlan_filtering 1" "bridge"
    assert_match "$(inns host bridge vlan show dev veth-c1)" "10 PVID Egress Untagged" "port vlans"
    teardown_ok c1
    assert_no_link host podman1
}

@test "bridge vlan option on an existing bridge: a failed setup turns vlan filtering off again" {
    berth_only "the vlan option is netavark 1.14+; 1.4 does not roll back"
    probe_link "bridge vlan filtering" type bridge vlan_filtering 1
    # the bridge exists already, without vlan filtering
    ipn host link add podman1 type bridge
    net_new vl podman1 10.89.1.0/24
    net_opt vl vlan 10
    net_new netb podman2 10.89.2.0/24
    ctr_new c1
    ctr_join c1 vl eth0 10.89.1.2
    ctr_join c1 netb eth1 10.89.2.2
    # the second network fails: its interface name is taken in the container
    ipn c1 link add eth1 type veth peer name eth1p
    take_snapshots c1
    net_setup c1
    assert_json_error "interface eth1 already exists on container namespace"
    assert_unchanged c1
}

@test "bridge vrf option: the bridge is enslaved to the VRF" {
    berth_only "the vrf option is netavark 1.8+"
    probe_link vrf type vrf table 100
    ipn host link add vrf-blue type vrf table 10
    ipn host link set vrf-blue up
    net_new vr podman1 10.89.1.0/24
    net_opt vr vrf vrf-blue
    ctr_new c1
    ctr_join c1 vr eth0 10.89.1.2
    setup_ok c1
    assert_match "$(ipn host link show podman1)" " master vrf-blue " "bridge"
    assert_ping c1 10.89.1.1
    teardown_ok c1
    assert_no_link host podman1
    link_exists host vrf-blue
}
