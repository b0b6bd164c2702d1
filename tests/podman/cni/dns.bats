#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# A user network with DNS under Podman's CNI backend: the conflist Podman
# writes chains dnsname after bridge, portmap, firewall and tuning; two
# containers resolve each other. Runs inside
# tests/podman/sandbox.sh --backend cni --cni-dir DIR.

load helpers

# dns_net NAME SUBNET: a user network with DNS; its conflist must name dnsname
dns_net() {
    run pm network create --subnet "$2" "$1"
    assert_status 0
    run jq -r '[.plugins[].type] | join(",")' "/etc/cni/net.d/$1.conflist"
    assert_eq "$output" "bridge,portmap,firewall,tuning,dnsname" "plugin chain of $1"
}

# two_on_dns_net SUBNET: network dnet with DNS, web server a and client b on it
# (a_ip set)
two_on_dns_net() {
    dns_net dnet "$1"
    run_web a --network dnet
    pm run -d --name b --network dnet "$IMAGE" sleep 300 >/dev/null
    a_ip=$(ctr_ip a dnet)
}

@test "user network with DNS: two containers resolve and reach each other" {
    two_on_dns_net 10.89.20.0/24
    b_ip=$(ctr_ip b dnet)
    assert_match "$a_ip" "10.89.20.*" "a's address"
    assert_match "$b_ip" "10.89.20.*" "b's address"
    # resolv.conf names the bridge's address first
    run cexec b "cat /etc/resolv.conf"
    echo "$output"
    assert_match "$output" "*nameserver 10.89.20.1*" "b's resolver"
    assert_match "$output" "*search*dns.podman*" "b's search domain"
    # by name and by FQDN, both ways
    wait_until 10 "lookup b a | grep -q 'Address: $a_ip'"
    run lookup b a
    echo "$output"
    assert_match "$output" "*Address: $a_ip*" "b resolves a"
    run lookup b a.dns.podman
    assert_match "$output" "*Address: $a_ip*" "b resolves a.dns.podman"
    run lookup a b
    echo "$output"
    assert_match "$output" "*Address: $b_ip*" "a resolves b"
    # connect by name
    run cexec b "nc -w 3 a 80 </dev/null"
    echo "$output"
    assert_eq "$output" "web-$b_ip" "b connects to a by name"
}

@test "user network with DNS: a removed container's name is gone" {
    two_on_dns_net 10.89.21.0/24
    wait_until 10 "lookup b a | grep -q 'Address: $a_ip'"
    run pm rm -f -t 0 a
    assert_status 0
    wait_until 10 "! lookup b a | grep -q 'Address: $a_ip'"
    run lookup b a
    echo "$output"
    [[ $output != *"Address: $a_ip"* ]] || fail "a still resolves after rm: $output"
}

@test "user network with DNS: names outside the network go to the host's resolver" {
    dns_net dnet 10.89.22.0/24
    pm run -d --name b --network dnet "$IMAGE" sleep 300 >/dev/null
    run lookup b www.outside.test
    echo "$output"
    assert_match "$output" "*Address: 198.19.0.1*" "forwarded name"
}
