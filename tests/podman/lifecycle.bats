#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Network changes on running containers, restart, reload, pods, and a clean
# sandbox afterwards. Runs inside tests/podman/sandbox.sh.

load helpers

@test "network connect and disconnect on a running container" {
    pm network create --subnet 10.89.7.0/24 n1 >/dev/null
    pm network create --subnet 10.89.8.0/24 n2 >/dev/null
    run_web w --network n1
    pm run -d --name c --network n2 "$IMAGE" sleep 300 >/dev/null
    # before: w's name is unknown on n2 (c may still reach w's n1 address,
    # routed through the host: networks are not isolated)
    run lookup c w
    [[ $status -ne 0 ]]
    pm network connect --alias wconn n2 w
    w2=$(ctr_ip w n2)
    [[ $w2 == 10.89.8.* ]]
    run cexec w "ip -o -4 addr show"
    echo "$output"
    [[ $output == *"inet $w2/24"* ]]
    run cexec c "nc -w 3 $w2 80 </dev/null"
    echo "$output"
    [[ $output == "web-$(ctr_ip c n2)" ]]
    # the new name and alias are in n2's DNS
    run lookup c w
    echo "$output"
    [[ $output == *"Address: $w2"* ]]
    run lookup c wconn
    [[ $output == *"Address: $w2"* ]]
    pm network disconnect n2 w
    run cexec w "ip -o -4 addr show"
    [[ $output != *"$w2"* ]]
    run cexec c "nc -w 2 $w2 80 </dev/null"
    [[ $output != "web-"* ]]
    run lookup c w
    echo "$output"
    [[ $output != *"Address: $w2"* ]]
    # still fine on n1
    run tcp_get "$(ctr_ip w n1)" 80
    [[ $output == "web-"* ]]
}

@test "podman restart: same address, ports and name work again" {
    pm network create n1 >/dev/null
    run_web w --network n1 -p 8080:80
    ip1=$(ctr_ip w n1)
    pm run -d --name c --network n1 "$IMAGE" sleep 300 >/dev/null
    pm restart -t 0 w >/dev/null
    wait_until 10 "pm exec w netstat -ltn | grep -q ':80 '"
    ip2=$(ctr_ip w n1)
    echo "before $ip1 after $ip2"
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    echo "$output"
    [[ $output == "web-"* ]]
    run lookup c w
    [[ $output == *"Address: $ip2"* ]]
    run cexec c "nc -w 3 w 80 </dev/null"
    [[ $output == "web-"* ]]
}

@test "podman network reload: rules come back after a flush" {
    run_web w -p 8080:80
    run tcp_get "$HOST4" 8080
    [[ $output == "web-"* ]]
    nft flush ruleset
    iptables -t nat -F 2>/dev/null || true
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    echo "after flush: $output"
    [[ $output != "web-"* ]]
    run pm network reload w
    echo "$output"
    [[ $status -eq 0 ]]
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    echo "after reload: $output"
    [[ $output == "web-"* ]]
    out_listen 8090
    run cexec w "nc -w 3 $OUT4 8090 </dev/null"
    [[ $output == "peer=$HOST4" ]]
}

@test "podman pod create -p: two containers share the pod's network" {
    pm network create n1 >/dev/null
    pm pod create --name p --network n1 -p 8080:80 >/dev/null
    pm run -d --pod p --name web "$IMAGE" sh -c "$CTR_TCP_SERVER" >/dev/null
    wait_until 10 "pm exec web netstat -ltn | grep -q ':80 '"
    pm run -d --pod p --name side "$IMAGE" sleep 300 >/dev/null
    # side sees web on localhost: same netns
    run cexec side "nc -w 3 127.0.0.1 80 </dev/null"
    echo "$output"
    [[ $output == "web-127.0.0.1" ]]
    run cexec side "ip -o -4 addr show eth0"
    ip=$(ctr_ip "$(pm pod inspect -f '{{.InfraContainerID}}' p)" n1)
    [[ $output == *"inet $ip/"* ]]
    # the pod's port
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    echo "$output"
    [[ $output == "web-"* ]]
    run tcp_get 127.0.0.1 8080
    [[ $output == "web-"* ]]
    # another container reaches the pod by its name
    pm run -d --name c --network n1 "$IMAGE" sleep 300 >/dev/null
    run cexec c "nc -w 3 p 80 </dev/null"
    echo "by pod name: $output"
    [[ $output == "web-$(ctr_ip c n1)" ]]
}

@test "after podman rm -af and network rm: nothing left in the sandbox" {
    pm network create --ipv6 n1 >/dev/null
    pm network create --internal n2 >/dev/null
    run_web w --network n1,n2 -p 8080:80 -p 5353:53/udp
    run_web w2 -p 8081:80
    pm run -d --name c --network n1 "$IMAGE" sleep 300 >/dev/null
    [[ -n $(dns_server_pids) ]]
    pm rm -af -t 0
    pm network rm -f n1 n2 >/dev/null
    run leftovers
    echo "links/addresses/netns: $output"
    [[ -z $output ]]
    run ls -A /run/containers/networks/aardvark-dns
    echo "dns files: $output"
    [[ -z $output || $output == aardvark.pid ]]
    wait_until 10 "[[ -z \$(leftover_pids) ]]"
    # firewall: no rules of ours left
    if is_control; then
        run iptables-save
        echo "$output"
        # (netavark keeps its generic chains and the jumps into them, such as
        # "-A PREROUTING ... -j NETAVARK-HOSTPORT-DNAT"; per network and per
        # container rules must be gone)
        refute_grep "netavark rules of the containers" \
            '10\.8[89]\.|-j DNAT|NETAVARK-DN-|NETAVARK-[0-9A-F]{8,}|--dports? (8080|8081|5353)\b' \
            "$(grep -E '^-A (NETAVARK|POSTROUTING|PREROUTING|OUTPUT|FORWARD)' <<<"$output")"
    else
        run nft list ruleset
        echo "$output"
        # the table may stay (empty sets and maps); no container elements
        refute_grep "firewall elements of the containers" \
            '10\.8[89]\.|fd[0-9a-f]{2}:|8080|8081|5353' "$output"
    fi
    # the berth state records are gone
    if ! is_control; then
        run ls -A /run/berth/state/netavark
        [[ -z $output ]]
    fi
}
