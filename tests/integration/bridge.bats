#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Bridge driver: StatusBlock, connectivity, NAT, internal and isolated
# networks, routes, MTU, MAC, sysctls, teardown.

load helpers

setup() {
    world_create
}

teardown() {
    world_destroy
}

MAC_RE='^([0-9a-f]{2}:){5}[0-9a-f]{2}$'

@test "setup returns the StatusBlock (v4)" {
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    # one line, one entry per network
    assert_eq "$(wc -l <"$WORLD/stdout")" 1 "stdout line count"
    jq_ok 'keys == ["mynet"]'
    jq_ok '.mynet.interfaces | keys == ["eth0"]'
    jq_ok '.mynet.interfaces.eth0.subnets == [{"gateway": "10.89.1.1", "ipnet": "10.89.1.2/24"}]'
    jq_ok '.mynet.dns_server_ips == [] and .mynet.dns_search_domains == []'
    local mac
    mac=$(jq -r .mynet.interfaces.eth0.mac_address <<<"$output")
    assert_match "$mac" "$MAC_RE" "mac_address"
    # the MAC is the container interface's
    assert_match "$(ipn c1 link show eth0)" "link/ether $mac " "eth0"
    assert_match "$(ipn c1 -o -4 addr show dev eth0)" "inet 10\.89\.1\.2/24 " "eth0 addresses"
    assert_match "$(ipn host -o -4 addr show dev podman1)" "inet 10\.89\.1\.1/24 " "bridge addresses"
    assert_match "$(ipn host link show podman1)" "state UP" "bridge"
}

@test "setup returns the StatusBlock (dual stack, DNS on)" {
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    net_set mynet '.dns_enabled = true'
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
    setup_ok c1
    jq_ok '.mynet.interfaces.eth0.subnets == [{"gateway": "10.89.1.1", "ipnet": "10.89.1.2/24"}, {"gateway": "fd10:89:1::1", "ipnet": "fd10:89:1::2/64"}]'
    # Both name the gateways even with the aardvark-dns binary absent
    # (--aardvark-binary points nowhere), although nothing answers there
    # (dns-netavark.bats runs a server).
    jq_ok '.mynet.dns_server_ips == ["10.89.1.1", "fd10:89:1::1"]'
    jq_ok '.mynet.dns_search_domains == ["dns.podman"]'
}

@test "two networks in one call: one StatusBlock entry each" {
    net_new neta podman1 10.89.1.0/24
    net_new netb podman2 10.89.2.0/24
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ctr_join c1 netb eth1 10.89.2.2
    setup_ok c1
    jq_ok 'keys == ["neta", "netb"]'
    jq_ok '.neta.interfaces | keys == ["eth0"]'
    jq_ok '.netb.interfaces | keys == ["eth1"]'
    jq_ok '.netb.interfaces.eth1.subnets[0].ipnet == "10.89.2.2/24"'
    link_exists c1 eth0
    link_exists c1 eth1
    link_exists host podman1
    link_exists host podman2
    teardown_ok c1
    assert_no_link host podman1
    assert_no_link host podman2
}

@test "container to container on one bridge, v4 and v6" {
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    setup_ok c1
    setup_ok c2
    assert_ping c1 10.89.1.3
    assert_ping c2 10.89.1.2
    assert_ping c1 10.89.1.1
    assert_ping c1 fd10:89:1::3
    assert_ping c2 fd10:89:1::2
    assert_ping c1 fd10:89:1::1
}

@test "container reaches the outside through NAT (source = host address)" {
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
    setup_ok c1
    start_peer_echo 8080
    assert_ping c1 "$OUT_IP4"
    local seen
    seen=$(peer_seen c1 "$OUT_IP4" 8080)
    assert_eq "$seen" "$HOST_IP4" "source address seen outside"
    seen=$(peer_seen c1 "$OUT_IP6" 8080)
    # socat prints IPv6 peers in full
    assert_eq "$seen" "[2001:0db8:00ff:0000:0000:0000:0000:0001]" "source address seen outside (v6)"
}

@test "internal network: no egress, but containers reach each other" {
    net_new inet podman1 10.89.1.0/24
    net_set inet '.internal = true'
    ctr_new c1
    ctr_join c1 inet eth0 10.89.1.2
    ctr_new c2
    ctr_join c2 inet eth0 10.89.1.3
    setup_ok c1
    setup_ok c2
    assert_ping c1 10.89.1.3
    # no default route in the container
    assert_eq "$(ipn c1 route show default)" "" "default route on an internal network"
    # even with a route, nothing is forwarded or masqueraded to the outside
    ipn c1 route add default via 10.89.1.1 dev eth0
    start_peer_echo 8080
    local seen=""
    seen=$(peer_seen c1 "$OUT_IP4" 8080) || true
    assert_eq "$seen" "" "answer from outside"
    assert_no_ping c1 "$OUT_IP4"
}

@test "isolate=true: two isolated networks cannot reach each other" {
    net_new neta podman1 10.89.1.0/24
    net_opt neta isolate true
    net_new netb podman2 10.89.2.0/24
    net_opt netb isolate true
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ctr_new c2
    ctr_join c2 netb eth0 10.89.2.2
    setup_ok c1
    setup_ok c2
    assert_eq "$(sysctl_of host net.ipv4.ip_forward)" 1 "ip_forward"
    assert_ping c1 10.89.1.1
    assert_ping c2 10.89.2.1
    assert_no_ping c1 10.89.2.2
    assert_no_ping c2 10.89.1.2
    # but both still reach the outside
    assert_ping c1 "$OUT_IP4"
    assert_ping c2 "$OUT_IP4"
}

@test "isolate unset: two plain networks reach each other" {
    net_new neta podman1 10.89.1.0/24
    net_new netb podman2 10.89.2.0/24
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2
    ctr_new c2
    ctr_join c2 netb eth0 10.89.2.2
    setup_ok c1
    setup_ok c2
    assert_ping c1 10.89.2.2
    assert_ping c2 10.89.1.2
}

@test "isolate=strict: no traffic to any other container network" {
    berth_only "isolate=strict is netavark 1.7+"
    net_new strictnet podman1 10.89.1.0/24
    net_opt strictnet isolate strict
    net_new plain podman2 10.89.2.0/24
    ctr_new c1
    ctr_join c1 strictnet eth0 10.89.1.2
    ctr_new c2
    ctr_join c2 plain eth0 10.89.2.2
    setup_ok c1
    setup_ok c2
    assert_no_ping c1 10.89.2.2
    assert_no_ping c2 10.89.1.2
    assert_ping c1 "$OUT_IP4"
    assert_ping c2 "$OUT_IP4"
}

@test "default route with metric 100, and the metric option" {
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    net_new other podman2 10.89.2.0/24
    net_opt other metric 200
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
    ctr_join c1 other eth1 10.89.2.2
    setup_ok c1
    local routes
    routes=$(ipn c1 route show default)
    assert_match "$routes" "default via 10\.89\.1\.1 dev eth0 proto static metric 100" "v4 default routes"
    assert_match "$routes" "default via 10\.89\.2\.1 dev eth1 proto static metric 200" "v4 default routes"
    assert_match "$(ipn c1 -6 route show default)" "default via fd10:89:1::1 dev eth0 proto static metric 100" "v6 default route"
}

@test "no_default_route=true" {
    berth_only "no_default_route is netavark 1.7+"
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    net_opt mynet no_default_route true
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
    setup_ok c1
    assert_eq "$(ipn c1 route show default)" "" "v4 default route"
    assert_eq "$(ipn c1 -6 route show default)" "" "v6 default route"
    assert_ping c1 10.89.1.1
}

@test "static routes, including route_type blackhole" {
    berth_only "network routes are netavark 1.7+, route_type newer"
    net_new mynet podman1 10.89.1.0/24
    net_set mynet '.routes = [
        {"destination": "192.0.2.0/24", "gateway": "10.89.1.254"},
        {"destination": "198.19.0.0/16", "gateway": "10.89.1.253", "metric": 50},
        {"destination": "198.19.128.0/17", "route_type": "blackhole"}]'
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    local routes
    routes=$(ipn c1 route show)
    assert_match "$routes" "192\.0\.2\.0/24 via 10\.89\.1\.254 dev eth0" "routes"
    assert_match "$routes" "198\.19\.0\.0/16 via 10\.89\.1\.253 dev eth0 .*metric 50" "routes"
    assert_match "$routes" "blackhole 198\.19\.128\.0/17" "routes"
    teardown_ok c1
    # teardown removes every route setup added, also those bound to no interface
    assert_eq "$(ipn c1 route show)" "" "routes left in the container after teardown"
}

@test "mtu option sets both veth ends" {
    net_new mynet podman1 10.89.1.0/24
    net_opt mynet mtu 1400
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    assert_match "$(ipn c1 link show eth0)" " mtu 1400 " "eth0"
    local hostif
    hostif=$(ipn host -o link show master podman1 | awk -F': ' '{print $2}' | cut -d@ -f1)
    assert_match "$(ipn host link show "$hostif")" " mtu 1400 " "host veth"
}

@test "mtu default: the MTU of the default route's interface" {
    berth_only "MTU from the default route is netavark 1.16+ (1.4 uses 1500)"
    ipn host link set vout mtu 1450
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    assert_match "$(ipn c1 link show eth0)" " mtu 1450 " "eth0"
}

@test "static_mac" {
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    ctr_set c1 '.networks.mynet.static_mac = "0a:58:0a:59:01:05"'
    setup_ok c1
    jq_ok '.mynet.interfaces.eth0.mac_address == "0a:58:0a:59:01:05"'
    assert_match "$(ipn c1 link show eth0)" "link/ether 0a:58:0a:59:01:05 " "eth0"
}

@test "host_interface_name names the host end of the veth" {
    berth_only "netavark 1.4 ignores host_interface_name (kernel names veth0, ...)"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    ctr_set c1 '.networks.mynet.options = {"host_interface_name": "veth-c1"}'
    setup_ok c1
    assert_match "$(ipn host link show veth-c1)" " master podman1 " "host veth"
    teardown_ok c1
    assert_no_link host veth-c1
}

@test "sysctls: ip_forward in the host" {
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    assert_eq "$(sysctl_of host net.ipv4.ip_forward)" 0 "ip_forward before"
    setup_ok c1
    assert_eq "$(sysctl_of host net.ipv4.ip_forward)" 1 "ip_forward"
}

@test "sysctls: arp_notify on the container interface" {
    berth_only "netavark 1.4 leaves arp_notify at 0 (observed)"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    assert_eq "$(sysctl_of c1 net.ipv4.conf.eth0.arp_notify)" 1 "arp_notify on eth0"
}

@test "sysctls: route_localnet on the bridge at creation" {
    berth_only "netavark 1.4 sets route_localnet only with port mappings"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    assert_eq "$(sysctl_of host net.ipv4.conf.podman1.route_localnet)" 1 "route_localnet on the bridge"
}

@test "internal network leaves ip_forward alone" {
    berth_only "netavark 1.4 sets ip_forward for internal networks too"
    net_new inet podman1 10.89.1.0/24
    net_set inet '.internal = true'
    ctr_new c1
    ctr_join c1 inet eth0 10.89.1.2
    setup_ok c1
    assert_eq "$(sysctl_of host net.ipv4.ip_forward)" 0 "ip_forward"
}

@test "teardown removes the container side, then the bridge with the last container" {
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    setup_ok c1
    setup_ok c2
    teardown_ok c1
    assert_no_link c1 eth0
    link_exists host podman1
    assert_eq "$(ipn host -o link show master podman1 | wc -l)" 1 "ports left on the bridge"
    assert_ping c2 10.89.1.1
    teardown_ok c2
    assert_no_link c2 eth0
    assert_no_link host podman1
    # nothing but the outside veth and lo is left in the host ns
    assert_eq "$(ipn host -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\n' ' ')" "lo vout " "host links"
    assert_no_match "$(ipn host route show table all; ipn host -6 route show table all)" "10\.89\.1|fd10:89:1" "host routes"
    assert_no_match "$(ipn c1 -o addr show; ipn c1 route show table all)" "10\.89\.1|fd10:89:1" "container c1 state"
}

@test "teardown: no berth table is left after the last container" {
    berth_only "berth's own nftables table"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    assert_match "$(berth_table host)" "table inet berth" "berth table after setup"
    teardown_ok c1
    assert_no_match "$(inns host nft list ruleset)" "berth" "host ruleset"
}

@test "a second teardown of the same container succeeds" {
    berth_only "netavark 1.4 fails when the veth is already gone"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    teardown_ok c1
    teardown_ok c1
}

@test "teardown with the container netns already deleted cleans the host" {
    berth_only "netavark 1.4 fails when the netns is gone (fixed in 2.1)"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    setup_ok c1
    ip netns del "$(ns_of c1)"
    teardown_ok c1
    assert_no_link host podman1
    assert_no_match "$(inns host nft list ruleset)" "berth" "host ruleset"
}

@test "unmanaged bridge: used as is, never deleted" {
    berth_only "mode=unmanaged is netavark 1.14+"
    ipn host link add brx type bridge
    ipn host addr add 10.89.5.1/24 dev brx
    ipn host link set brx up
    local before
    before=$(inns host nft list ruleset)
    net_new unm brx 10.89.5.0/24
    net_opt unm mode unmanaged
    ctr_new c1
    ctr_join c1 unm eth0 10.89.5.2
    setup_ok c1
    assert_eq "$(ipn host -o link show master brx | wc -l)" 1 "ports on brx"
    assert_ping c1 10.89.5.1
    assert_eq "$(inns host nft list ruleset)" "$before" "ruleset (no firewall for unmanaged)"
    teardown_ok c1
    link_exists host brx
    assert_match "$(ipn host -o addr show dev brx)" "10\.89\.5\.1/24" "brx address"
    assert_eq "$(ipn host -o link show master brx | wc -l)" 0 "ports on brx"
}

@test "networks given as an array (netavark 2.x form)" {
    berth_only "array-form networks are netavark 2.x"
    net_new mynet podman1 10.89.1.0/24
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2
    ctr_set c1 '.networks |= [to_entries[] | {name: .key} + .value]'
    setup_ok c1
    jq_ok '.mynet.interfaces.eth0.subnets[0].ipnet == "10.89.1.2/24"'
    teardown_ok c1
    assert_no_link host podman1
}
