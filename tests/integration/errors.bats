#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Errors: usage errors (exit 2, nothing on stdout), input errors (exit 1,
# exactly {"error": "..."} on stdout) and that a refused setup changes nothing.

load helpers

setup() {
    world_create
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
}

teardown() {
    world_destroy
}

# edit JQ-FILTER: change c1's NetworkOptions
edit() { ctr_set c1 "$1"; }

# refused_setup [SUBSTRING]: setup of c1 fails with a JSON error (containing
# SUBSTRING when given) and neither the host nor the container ns changed.
refused_setup() {
    snapshot host >"$WORLD/host.before"
    snapshot c1 >"$WORLD/c1.before"
    net_setup c1
    assert_json_error "${1:-}"
    assert_same_snapshot "$WORLD/host.before" host
    assert_same_snapshot "$WORLD/c1.before" c1
}

# berth_says SUBSTRING: berth's message is more precise than netavark 1.4's
berth_says() {
    is_control && return 0
    assert_json_error "$1"
}

# --- usage errors -----------------------------------------------------------

@test "usage: unknown flag -> exit 2, empty stdout" {
    net_exec --bogus setup "/run/netns/$(ns_of c1)" </dev/null
    assert_usage_error
}

@test "usage: unknown subcommand -> exit 2, empty stdout" {
    net_exec frobnicate </dev/null
    assert_usage_error
}

@test "usage: setup without the netns argument -> exit 2, empty stdout" {
    net_exec setup <"$(ctr_opts_file c1)"
    assert_usage_error
    net_exec teardown <"$(ctr_opts_file c1)"
    assert_usage_error
}

@test "--version prints netavark 1.4.0" {
    net_exec --version </dev/null
    assert_ok
    assert_eq "$output" "netavark 1.4.0" "--version"
}

@test "version prints JSON with .version" {
    net_exec version </dev/null
    assert_ok
    jq_ok '.version == "1.4.0"'
}

# --- bad input ----------------------------------------------------------------

@test "malformed JSON" {
    printf '{"container_id": ' >"$(ctr_opts_file c1)"
    refused_setup "failed to load network options"
}

@test "empty stdin" {
    : >"$(ctr_opts_file c1)"
    refused_setup "failed to load network options"
}

@test "malformed JSON on teardown" {
    printf '[1, 2' >"$(ctr_opts_file c1)"
    net_teardown c1
    assert_json_error "failed to load network options"
}

@test "missing required field container_name" {
    edit 'del(.container_name)'
    refused_setup "failed to load network options"
    berth_says "container_name"
}

@test "missing required field network_info" {
    edit 'del(.network_info)'
    refused_setup "failed to load network options"
    berth_says "network_info"
}

@test "networks names a network missing from network_info" {
    berth_only "netavark 1.4 silently sets up nothing and prints {}"
    edit 'del(.network_info.mynet)'
    refused_setup "network info for network mynet not found"
}

@test "bad subnet CIDR" {
    edit '.network_info.mynet.subnets[0].subnet = "10.89.1.0/33"'
    refused_setup
    berth_says "10.89.1.0/33"
}

@test "bad static IP" {
    edit '.networks.mynet.static_ips = ["10.89.1.300"]'
    refused_setup
    berth_says "10.89.1.300"
}

@test "static IP outside the subnet" {
    berth_only "netavark 1.4 does not check it and fails late, leaving the bridge behind"
    edit '.networks.mynet.static_ips = ["10.89.2.2"]'
    refused_setup "not all static IPs matched a subnet"
}

@test "no static IPs" {
    edit 'del(.networks.mynet.static_ips)'
    refused_setup "no static ips provided"
}

@test "empty interface name" {
    edit '.networks.mynet.interface_name = ""'
    refused_setup "no container interface name given"
}

@test "interface name over 15 bytes" {
    berth_only "netavark 1.4 fails late (ERANGE from the kernel), leaving the bridge behind"
    edit '.networks.mynet.interface_name = "eth0123456789abc"'
    refused_setup "eth0123456789abc"
}

@test "bridge name over 15 bytes" {
    berth_only "netavark 1.4 reports ERANGE from the kernel without naming the bridge"
    edit '.network_info.mynet.network_interface = "podman1234567890"'
    refused_setup "podman1234567890"
}

@test "bad MAC address" {
    berth_only "netavark 1.4 checks the MAC only after creating the bridge"
    edit '.networks.mynet.static_mac = "zz:bb:cc:dd:ee:ff"'
    refused_setup "zz:bb:cc:dd:ee:ff"
}

@test "MAC address with 5 bytes" {
    berth_only "netavark 1.4 checks the MAC only after creating the bridge"
    edit '.networks.mynet.static_mac = "aa:bb:cc:dd:ee"'
    refused_setup "aa:bb:cc:dd:ee"
}

@test "unknown network driver" {
    edit '.network_info.mynet.driver = "frob"'
    refused_setup "frob"
}

@test "unsupported ipam driver" {
    edit '.network_info.mynet.ipam_options.driver = "someDriver"'
    refused_setup "unsupported ipam driver someDriver"
}

@test "dhcp ipam driver is refused" {
    edit '.network_info.mynet.ipam_options.driver = "dhcp"'
    refused_setup "dhcp"
}

@test "dhcp ipam on a managed bridge: netavark's message" {
    berth_only "netavark 1.4 predates the dhcp check"
    edit '.network_info.mynet.ipam_options.driver = "dhcp"'
    refused_setup "cannot use dhcp ipam driver without using the option mode=unmanaged"
}

# --- bad namespace path -------------------------------------------------------

@test "netns path is a regular file" {
    : >"$WORLD/regular-file"
    snapshot host >"$WORLD/host.before"
    net_exec setup "$WORLD/regular-file" <"$(ctr_opts_file c1)"
    assert_json_error
    assert_same_snapshot "$WORLD/host.before" host
}

@test "netns path does not exist" {
    snapshot host >"$WORLD/host.before"
    net_exec setup "/run/netns/$(ns_of nonexistent)" <"$(ctr_opts_file c1)"
    assert_json_error "invalid namespace path"
    assert_same_snapshot "$WORLD/host.before" host
}
