#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Podman's CNI backend over a container's life: network connect/disconnect on
# a running container, and `podman rm -f` leaving nothing behind. Runs inside
# tests/podman/sandbox.sh --backend cni --cni-dir DIR.

load helpers

@test "network connect and disconnect on a running container" {
    pm network create --subnet 10.89.30.0/24 n1 >/dev/null
    pm network create --subnet 10.89.31.0/24 n2 >/dev/null
    run_web w --network n1
    pm run -d --name c --network n2 "$IMAGE" sleep 300 >/dev/null
    veths_before=$(nlines "$(host_veths)")
    run pm network connect n2 w
    assert_status 0
    w2=$(ctr_ip w n2)
    assert_match "$w2" "10.89.31.*" "w's address on n2"
    run cexec w "ip -o -4 addr show"
    echo "$output"
    assert_match "$output" "*eth1*inet $w2/24*" "w's second interface"
    assert_eq "$(nlines "$(host_veths)")" "$((veths_before + 1))" "host veths after connect"
    assert_eq "$(leases n2 | sort | tr '\n' ' ')" \
        "$(printf '%s\n' "$w2" "$(ctr_ip c n2)" | sort | tr '\n' ' ')" "n2's leases"
    # reachable on the new network, from the host and from n2's other container
    retry_get 10 "web-10.89.31.1" tcp_get "$w2" 80
    run cexec c "nc -w 3 $w2 80 </dev/null"
    echo "$output"
    assert_eq "$output" "web-$(ctr_ip c n2)" "c reaches w on n2"
    # and the name is in n2's DNS
    wait_until 10 "lookup c w | grep -q 'Address: $w2'"

    run pm network disconnect n2 w
    assert_status 0
    run cexec w "ip -o -4 addr show"
    [[ $output != *"$w2"* ]] || fail "w keeps $w2 after disconnect: $output"
    assert_eq "$(nlines "$(host_veths)")" "$veths_before" "host veths after disconnect"
    assert_eq "$(leases n2)" "$(ctr_ip c n2)" "n2's leases after disconnect"
    assert_empty "$(ruleset_mentions "$w2")" "ruleset lines naming $w2"
    run tcp_get "$w2" 80
    [[ $output != "web-"* ]] || fail "$w2 still answers: $output"
    # still fine on n1
    retry_get 10 "web-*" tcp_get "$(ctr_ip w n1)" 80
}

@test "podman rm -f leaves nothing: no veth, lease, cache entry or firewall element" {
    pm network create --subnet 10.89.32.0/24 n1 >/dev/null
    elements_before=$(berth_elements)
    veths_before=$(host_veths)
    run_web w --network n1 -p 18082:80
    pm run -d --name d --network podman -p 18083:80 "$IMAGE" sh -c "$CTR_TCP_SERVER" >/dev/null
    wait_until 10 "pm exec d netstat -ltn | grep -q ':80 '"
    w_ip=$(ctr_ip w n1)
    d_ip=$(ctr_ip d)
    w_id=$(ctr_id w)
    d_id=$(ctr_id d)
    retry_get 10 "web-*" out_tcp_get "$HOST4" 18082
    retry_get 10 "web-*" out_tcp_get "$HOST4" 18083
    # while they run: the things that must go
    [[ -n $(leases n1) && -n $(leases podman) ]] || fail "no leases while running"
    [[ -n $(cni_cache_of "$w_id") ]] || fail "no libcni cache entry for w"
    assert_eq "$(nlines "$(host_veths)")" "$(($(nlines "$veths_before") + 2))" \
        "host veths while running"
    assert_eq "$(dns_entries w n1)" 1 "w in dnsname's entries"
    # the check below can see port forwards: while they run, they are there
    [[ -n $(ruleset_mentions 18082) ]] || fail "no rule or element for port 18082 while running"

    run pm rm -f -t 0 w d
    assert_status 0
    assert_eq "$(host_veths)" "$veths_before" "veths after rm -f"
    assert_empty "$(leases n1)" "n1's leases after rm -f"
    assert_empty "$(leases podman)" "podman's leases after rm -f"
    assert_empty "$(cni_cache_of "$w_id")$(cni_cache_of "$d_id")" "libcni cache after rm -f"
    assert_empty "$(ruleset_mentions "$w_ip" "$d_ip" 18082 18083 "$w_id" "$d_id")" \
        "ruleset lines naming the containers, their addresses or ports"
    assert_eq "$(berth_elements)" "$elements_before" "berth's set and map elements"
    assert_eq "$(dns_entries w n1)" 0 "w in dnsname's entries after rm -f"
    run out_tcp_get "$HOST4" 18082
    [[ $output != "web-"* ]] || fail "port 18082 still forwarded: $output"
}
