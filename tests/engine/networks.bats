#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth network create|ls|inspect|rm|prune: Podman's file format and rules.
load helpers

setup() {
    require_sandbox
    engine_reset
}

@test "network create writes a Podman network file" {
    run b network create front
    assert_ok
    [[ $output == front ]]
    f=$BERTH_NETWORK_DIR/front.json
    [[ -f $f ]]
    # Podman's key order and its 5-space indent
    [[ $(jq -r 'keys_unsorted | join(",")' "$f") == name,id,driver,network_interface,created,subnets,ipv6_enabled,internal,dns_enabled,ipam_options ]]
    grep -q '^     "name": "front",$' "$f"
    [[ $(jq -r .id "$f") =~ ^[0-9a-f]{64}$ ]]
    [[ $(jq -r .network_interface "$f") == podman1 ]]
    [[ $(jq -r '.subnets[0].subnet' "$f") == 10.89.0.0/24 ]]
    [[ $(jq -r '.subnets[0].gateway' "$f") == 10.89.0.1 ]]
    [[ $(jq -r .dns_enabled "$f") == true ]]
    [[ $(jq -r .ipam_options.driver "$f") == host-local ]]
    # the next one takes the next bridge and the next free subnet
    run b network create back
    [[ $(jq -r .network_interface "$BERTH_NETWORK_DIR/back.json") == podman2 ]]
    [[ $(jq -r '.subnets[0].subnet' "$BERTH_NETWORK_DIR/back.json") == 10.89.1.0/24 ]]
}

@test "network create: explicit subnet, gateway, range, options, labels, ipv6, internal" {
    run b network create --subnet 192.0.2.0/24 --gateway 192.0.2.254 --ip-range 192.0.2.128/25 \
        --subnet 2001:db8:1::/64 -o mtu=1400 -o isolate=true --label team=a --internal --disable-dns n1
    assert_ok
    f=$BERTH_NETWORK_DIR/n1.json
    [[ $(jq -r '.subnets[0].gateway' "$f") == 192.0.2.254 ]]
    [[ $(jq -r '.subnets[0].lease_range.start_ip' "$f") == 192.0.2.129 ]]
    [[ $(jq -r '.subnets[0].lease_range.end_ip' "$f") == 192.0.2.254 ]]
    [[ $(jq -r '.subnets[1].subnet' "$f") == 2001:db8:1::/64 ]]
    [[ $(jq -r .ipv6_enabled "$f") == true ]]
    [[ $(jq -r .internal "$f") == true ]]
    [[ $(jq -r .dns_enabled "$f") == false ]]
    [[ $(jq -r .options.mtu "$f") == 1400 ]]
    [[ $(jq -r .labels.team "$f") == a ]]
    # --ipv6 without a v6 subnet adds a ULA /64
    run b network create --ipv6 n6
    assert_ok
    [[ $(jq -r '.subnets[1].subnet' "$BERTH_NETWORK_DIR/n6.json") =~ ^fd[0-9a-f:]+::/64$ ]]
}

@test "network create refuses what Podman refuses" {
    b network create dup
    run b network create dup
    assert_fail
    assert_contains "network name dup already used: network already exists"
    run b network create --ignore dup
    assert_ok
    run b network create 'bad!name'
    assert_fail
    assert_contains "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
    run b network create --subnet 10.89.0.0/24 overlap
    assert_fail
    assert_contains "is already used"
    run b network create --subnet 192.0.2.0/24 --gateway 198.18.5.1 gw
    assert_fail
    assert_contains "gateway 198.18.5.1 not in subnet 192.0.2.0/24"
    run b network create --subnet nonsense x
    assert_fail
    run b network create --driver nope x
    assert_fail
    # nothing was written for the refused ones
    [[ $(ls "$BERTH_NETWORK_DIR") == dup.json ]]
}

@test "network ls, inspect, the default network, rm, prune" {
    b network create aa >/dev/null
    b network create bb >/dev/null
    run b network ls
    assert_ok
    [[ ${lines[0]} == "NETWORK ID    NAME                DRIVER" ]]
    assert_contains "2f259bab93aa  podman              bridge"
    run b network ls -q
    [[ $output == $'aa\nbb\npodman' ]]
    run b network inspect podman
    assert_ok
    [[ $(jq -r '.[0].network_interface' <<<"$output") == podman0 ]]
    [[ $(jq -r '.[0].subnets[0].subnet' <<<"$output") == 10.88.0.0/16 ]]
    id=$(jq -r .id "$BERTH_NETWORK_DIR/aa.json")
    run b network inspect "${id:0:8}"
    [[ $(jq -r '.[0].name' <<<"$output") == aa ]]
    run b network inspect nosuch
    assert_fail
    assert_contains "unable to find network with name or ID nosuch: network not found"
    run b network rm podman
    assert_fail
    run b network rm aa
    assert_ok
    [[ ! -e $BERTH_NETWORK_DIR/aa.json ]]
    run b network prune -f
    [[ $output == bb ]]
    [[ -z $(ls "$BERTH_NETWORK_DIR") ]]
}

@test "a network in use is kept by rm and prune; rm -f removes its containers" {
    import_busybox
    b network create used >/dev/null
    b create --name c1 --network used busybox true >/dev/null
    run b network rm used
    assert_fail
    assert_contains "has associated containers with it"
    run b network prune -f
    [[ -z $output ]]
    [[ -f $BERTH_NETWORK_DIR/used.json ]]
    run b network inspect used
    [[ $(jq -r '.[0].containers | length' <<<"$output") == 1 ]]
    run b network rm -f used
    assert_ok
    run b ps -a -q
    [[ -z $output ]]
}

@test "Podman reads the network files berth writes" {
    command -v podman >/dev/null || skip "podman not installed"
    b network create --subnet 192.0.2.0/24 shared >/dev/null
    st=$SBX_DIR/podman-storage
    run podman --root "$st/root" --runroot "$st/run" --storage-driver vfs \
        --network-config-dir "$BERTH_NETWORK_DIR" network inspect shared
    assert_ok
    [[ $(jq -r '.[0].subnets[0].subnet' <<<"$output") == 192.0.2.0/24 ]]
    [[ $(jq -r '.[0].network_interface' <<<"$output") == podman1 ]]
    # and berth reads Podman's
    run podman --root "$st/root" --runroot "$st/run" --storage-driver vfs \
        --network-config-dir "$BERTH_NETWORK_DIR" network create --subnet 192.0.3.0/24 frompodman
    assert_ok
    run b network inspect frompodman
    assert_ok
    [[ $(jq -r '.[0].subnets[0].subnet' <<<"$output") == 192.0.3.0/24 ]]
}
