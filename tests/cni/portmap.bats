#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth's portmap against Debian's (chain: Debian's bridge + host-local, then
# portmap): the same result, the same reachability over real traffic (TCP and
# UDP from an "outside" namespace, TCP from the host on its address and on
# 127.0.0.1, hairpin from a second container), and nothing reachable after DEL.

bats_require_minimum_version 1.5.0

load portmap-helpers

setup() { pm_world_create; }
teardown() { world_destroy; }

PM='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp"}]'

reachability() {
    printf 'outside-tcp=%s outside-udp=%s host-tcp=%s localhost-tcp=%s hairpin-tcp=%s\n' \
        "$(tcp_get outside "$HOST_IP4" 8080)" "$(udp_get outside "$HOST_IP4" 5353)" \
        "$(tcp_get host "$HOST_IP4" 8080)" "$(tcp_get host 127.0.0.1 8080)" \
        "$(tcp_get c2 "$HOST_IP4" 8080)"
}

@test "differential: same result and the same reachability as Debian's portmap" {
    require_ref
    _ns_add c1
    _ns_add c2
    serve_tcp c1 80
    serve_udp c1 53
    for impl in berth ref; do
        conf=$(chain "pm-$impl" 1.0.0 '{"type":"portmap","capabilities":{"portMappings":true},"snat":true}')
        pcni_ok "$impl" ADD "$conf" c1 "$(maps "$PM")"
        printf '%s' "$output" >"$WORLD/result-$impl"
        pcni_ok "$impl" ADD "$conf" c2
        # (Debian's 1.1.1 CHECK fails on an IPv4-only container: "could not check ipv6 dnat")
        [[ $impl == ref ]] || pcni_ok "$impl" CHECK "$conf" c1 "$(maps "$PM")"
        reachability >"$WORLD/reach-$impl"
        pcni_ok "$impl" DEL "$conf" c1 "$(maps "$PM")"
        pcni_ok "$impl" DEL "$conf" c2
        after=$(tcp_get outside "$HOST_IP4" 8080)
        assert_eq "$after" "" "$impl: port 8080 after DEL"
    done
    assert_eq "$(shape "$(cat "$WORLD/result-berth")")" "$(shape "$(cat "$WORLD/result-ref")")" "result shape"
    assert_eq "$(jq -cS 'del(.dns, .interfaces[1].name, .interfaces[].mac)' "$WORLD/result-berth")" \
        "$(jq -cS 'del(.dns, .interfaces[1].name, .interfaces[].mac)' "$WORLD/result-ref")" "result"
    cat "$WORLD/reach-berth" "$WORLD/reach-ref"
    assert_eq "$(cat "$WORLD/reach-berth")" "$(cat "$WORLD/reach-ref")" "reachability"
    assert_eq "$(cat "$WORLD/reach-berth")" \
        "outside-tcp=c1-80 outside-udp=c1-53 host-tcp=c1-80 localhost-tcp=c1-80 hairpin-tcp=c1-80" \
        "everything reached"
}

@test "elements in berth's maps, one record; DEL removes exactly them, twice is fine" {
    _ns_add c1
    conf=$(chain pm 1.0.0 '{"type":"portmap","capabilities":{"portMappings":true}}')
    pcni_ok berth ADD "$conf" c1 "$(maps "$PM")"
    ip=$(ctr_ip c1)
    assert_eq "$(berth_map_elems host pf4_any)" "tcp . 8080 : $ip . 80
udp . 5353 : $ip . 53" "pf4_any"
    jq -e --arg ip "$ip" '.owner == "cni-portmap" and .id == "id-c1-eth0" and .pending == false and
        .network == "pm" and (.port_forwards | length) == 2 and
        .fw_elements == [{kind: "hairpin", net: "10.77.0.0/24", addr: $ip}]' <<<"$(pm_record id-c1-eth0)"
    pcni_ok berth DEL "$conf" c1
    assert_eq "$(berth_map_elems host pf4_any)" "" "pf4_any after DEL"
    assert_eq "$(pm_record id-c1-eth0)" "" "record after DEL"
    pcni_ok berth DEL "$conf" c1
}

@test "containerd's capitalised keys, hostIP, sctp; masqAll; validation names the field" {
    _ns_add c1
    conf=$(chain pm 1.0.0 '{"type":"portmap","capabilities":{"portMappings":true},"masqAll":true}')
    pcni_ok berth ADD "$conf" c1 "$(maps '[{"HostPort":8080,"ContainerPort":80,"Protocol":"TCP","HostIP":""},
        {"HostPort":9000,"ContainerPort":90,"Protocol":"sctp","HostIP":"198.18.0.1"}]')"
    ip=$(ctr_ip c1)
    assert_eq "$(berth_map_elems host pf4_any)" "tcp . 8080 : $ip . 80" "pf4_any"
    assert_eq "$(berth_map_elems host pf4_addr)" "198.18.0.1 . sctp . 9000 : $ip . 90" "pf4_addr"
    jq -e --arg ip "$ip" '.fw_elements == [{kind: "hairpin", net: "0.0.0.0/0", addr: $ip}]' \
        <<<"$(pm_record id-c1-eth0)"
    serve_tcp c1 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "masqAll forward"
    pcni_ok berth DEL "$conf" c1

    _ns_add c2
    for bad in '[{"hostPort":0,"containerPort":80}]' '[{"hostPort":8080,"containerPort":70000}]' \
        '[{"hostPort":8080,"containerPort":80,"protocol":"icmp"}]' \
        '[{"hostPort":8080,"containerPort":80,"hostIP":"not-an-ip"}]'; do
        pcni berth ADD "$conf" c2 "$(maps "$bad")"
        cni_fails 7
        assert_match "$(jq -r '.msg + " " + (.details // "")' <<<"$output")" 'portMappings\[0\]'
        pcni_ok berth DEL "$conf" c2 # a failed ADD is followed by a DEL (bridge, host-local)
    done
    for key in '"markMasqBit":32' '"markMasqBit":3,"externalSetMarkChain":"X"' \
        '"conditionsV4":[1]' '"backend":"firewalld"' '"snat":"yes"'; do
        conf=$(chain pmbad 1.0.0 "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},$key}")
        pcni berth ADD "$conf" c2 "$(maps "$PM")"
        cni_fails 7
        pcni_ok berth DEL "$conf" c2
    done
    # match conditions cannot be honoured by map elements: refused (2) on ADD, DEL still fine
    conf=$(chain pmbad 1.0.0 '{"type":"portmap","capabilities":{"portMappings":true},"conditionsV4":["!","-d","192.0.2.1"]}')
    pcni berth ADD "$conf" c2 "$(maps "$PM")"
    cni_fails 2
    assert_match "$(jq -r .details <<<"$output")" "conditionsV4"
    pcni_ok berth DEL "$conf" c2
    assert_eq "$(berth_map_elems host pf4_any)" "" "nothing applied"
}

@test "no mappings: prevResult passed through, nothing in the table" {
    _ns_add c1
    conf=$(chain pm 0.4.0 '{"type":"portmap","capabilities":{"portMappings":true}}')
    pcni_ok berth ADD "$conf" c1
    jq -e '.ips[0].address == "10.77.0.2/24" and .ips[0].version == "4"' <<<"$output"
    assert_eq "$(berth_table host)" "" "no table"
    pcni_ok berth CHECK "$conf" c1
    pcni_ok berth DEL "$conf" c1
}
