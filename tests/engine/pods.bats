#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Pods: an infra container holds the network; members join and leave
# without touching it; port mappings belong to the pod.
load helpers

setup() {
    require_sandbox
    engine_reset
    import_busybox
    b network create --subnet 10.89.9.0/24 podnet >/dev/null
}

teardown() {
    local p
    for p in $("$BERTH" pod ls -q 2>/dev/null); do "$BERTH" pod rm -f "$p" >/dev/null 2>&1 || true; done
    engine_reset
}

@test "members share the pod's network, hostname and published ports" {
    run b pod create --name p1 --network podnet -p 8085:80 --hostname podhost
    assert_ok
    b run -d --pod p1 --name web busybox httpd -f -p 80 -h /var/www >/dev/null
    # a second member reaches the first over the shared loopback, with the pod's address
    run b run --rm --pod p1 busybox sh -c 'hostname; ip -4 -o addr show eth0; timeout 5 wget -qO- http://127.0.0.1:80/'
    assert_ok
    assert_contains podhost
    assert_contains "inet 10.89.9.2/24"
    assert_contains "hello from berth"
    # the pod's port mapping reaches the member, from the outside
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8085/"
    assert_ok
    [[ $output == "hello from berth" ]]
    # the pod's name resolves on its network
    run b run --rm --network podnet busybox sh -c 'timeout 5 wget -qO- http://p1:80/'
    assert_ok
    [[ $output == "hello from berth" ]]
}

@test "members join and leave without touching the network" {
    b pod create --name p1 --network podnet -p 8085:80 >/dev/null
    b run -d --pod p1 --name web busybox httpd -f -p 80 -h /var/www >/dev/null
    infra=$(b pod inspect p1 | jq -r .InfraContainerID)
    ip0=$(ctr_ip "$infra" podnet)
    veths=$(ip -o link show type veth | grep -vc ' vout@')
    b run -d --pod p1 --name side busybox sleep 1000 >/dev/null
    b stop -t 1 side >/dev/null
    b rm side >/dev/null
    b stop -t 1 web >/dev/null
    b start web >/dev/null
    # same veth count, same address, still served
    [[ $(ip -o link show type veth | grep -vc ' vout@') == "$veths" ]]
    [[ $(ctr_ip "$infra" podnet) == "$ip0" ]]
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8085/"
    assert_ok
}

@test "the pod's network is the pod's: refused on members and on the infra container" {
    b pod create --name p1 --network podnet >/dev/null
    run b run --rm --pod p1 -p 8086:80 busybox true
    assert_fail
    assert_contains "belong to the pod"
    run b run --rm --pod p1 --network podnet busybox true
    assert_fail
    b create --pod p1 --name m busybox sleep 1000 >/dev/null
    run b network connect podnet m
    assert_fail
    assert_contains "shares the network of its pod"
    infra=$(b pod inspect p1 | jq -r .InfraContainerID)
    run b rm -f "$infra"
    assert_fail
    assert_contains "infra container of pod"
    run b run --rm --pod nosuchpod busybox true
    assert_fail
    assert_contains "no such pod"
}

@test "pod stop tears the network down, pod start brings it back, pod rm removes all" {
    b pod create --name p1 --network podnet -p 8085:80 >/dev/null
    b run -d --pod p1 --name web busybox httpd -f -p 80 -h /var/www >/dev/null
    run b pod stop -t 1 p1
    assert_ok
    run b pod ls
    assert_contains "Stopped"
    assert_no_leftovers
    run b pod start p1
    assert_ok
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8085/"
    assert_ok
    run b pod rm p1
    assert_fail
    assert_contains "running containers"
    run b pod rm -f p1
    assert_ok
    run b ps -aq
    [[ -z $output ]]
    run b pod ls -q
    [[ -z $output ]]
    assert_no_leftovers
}
