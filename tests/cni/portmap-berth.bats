#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth's portmap beyond the reference: host-port conflicts naming the owner
# (another CNI attachment, a berth-net container in the same world and run
# directory, both ways), berth-net's firewall-reload restoring CNI forwards,
# CHECK noticing a missing element, rollback of a failed ADD, DEL after the
# namespace is gone, and GC of 1000 stale attachments (timed, not asserted).

bats_require_minimum_version 1.5.0

load portmap-helpers

setup() { pm_world_create; }
teardown() {
    world_destroy
    [[ -z ${SHM_RUN:-} ]] || rm -rf "$SHM_RUN"
}

PMCONF='{"type":"portmap","capabilities":{"portMappings":true}}'
M8080='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]'

@test "a host port forwarded by another attachment: refused, the owner named, nothing applied" {
    _ns_add c1
    _ns_add c2
    conf=$(chain pm 1.0.0 "$PMCONF")
    pcni_ok berth ADD "$conf" c1 "$(maps "$M8080")"
    pcni berth ADD "$conf" c2 "$(maps '[{"hostPort":9000,"containerPort":90},{"hostPort":8080,"containerPort":80}]')"
    cni_fails 110
    assert_eq "$(jq -r .details <<<"$output")" \
        "runtimeConfig.portMappings[1]: port 8080/tcp is already forwarded to container id-c1 (id-c1-eth0, set up by cni-portmap)" \
        "conflict details"
    assert_eq "$(berth_map_elems host pf4_any)" "tcp . 8080 : $(ctr_ip c1) . 80" "only c1's forward"
    assert_eq "$(pm_record id-c2-eth0)" "" "no record of c2"
    pcni_ok berth DEL "$conf" c2
    # UDP on the same port number is another key
    pcni_ok berth ADD "$conf" c2 "$(maps '[{"hostPort":8080,"containerPort":80,"protocol":"udp"}]')"
}

@test "conflicts with a berth-net container in the same world, both ways" {
    _ns_add c1
    conf=$(chain pm 1.0.0 "$PMCONF")
    pcni_ok berth ADD "$conf" c1 "$(maps "$M8080")"

    net_new mynet podman1 10.89.1.0/24
    ctr_new web
    ctr_join web mynet eth0 10.89.1.2
    ctr_set web '.port_mappings = [{"host_ip":"","container_port":80,"host_port":8080,"range":1,"protocol":"tcp"},
                                   {"host_ip":"","container_port":90,"host_port":9090,"range":1,"protocol":"tcp"}]'
    net_setup web
    [[ $status -ne 0 ]] || { _show_run; false; }
    assert_eq "$output" '{"error":"port 8080/tcp is already forwarded to container id-c1 (id-c1-eth0, set up by cni-portmap)"}' \
        "berth-net names the CNI owner"

    ctr_set web '.port_mappings = [{"host_ip":"","container_port":90,"host_port":9090,"range":1,"protocol":"tcp"}]'
    setup_ok web
    _ns_add c2
    pcni berth ADD "$conf" c2 "$(maps '[{"hostPort":9090,"containerPort":90}]')"
    cni_fails 110
    id=$(jq -r .container_id "$WORLD/ctrs/web.json")
    assert_eq "$(jq -r .details <<<"$output")" \
        "runtimeConfig.portMappings[0]: port 9090/tcp is already forwarded to container web ($id, set up by netavark)" \
        "the plugin names berth-net's container"
    pcni_ok berth DEL "$conf" c2
    teardown_ok web
}

@test "berth-net firewall-reload restores the CNI plugin's forwards" {
    _ns_add c1
    conf=$(chain pm 1.0.0 "$PMCONF")
    pcni_ok berth ADD "$conf" c1 "$(maps "$M8080")"
    serve_tcp c1 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "before"
    before=$(berth_map_elems host pf4_any; berth_table host | grep -c cni_hp4)
    inns host nft flush ruleset
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "" "after nft flush ruleset"
    net_exec firewall-reload
    assert_ok
    assert_eq "$(berth_map_elems host pf4_any; berth_table host | grep -c cni_hp4)" "$before" "elements back"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "after firewall-reload"
    assert_eq "$(tcp_get host 127.0.0.1 8080)" "c1-80" "localhost after firewall-reload"
    pcni_ok berth CHECK "$conf" c1 "$(maps "$M8080")"
}

@test "CHECK fails when an element is missing or points elsewhere" {
    _ns_add c1
    conf=$(chain pm 1.0.0 "$PMCONF")
    pcni_ok berth ADD "$conf" c1 "$(maps "$M8080")"
    pcni_ok berth CHECK "$conf" c1 "$(maps "$M8080")"
    inns host nft delete element inet berth pf4_any '{ tcp . 8080 }'
    pcni berth CHECK "$conf" c1 "$(maps "$M8080")"
    cni_fails 103
    assert_match "$(jq -r .details <<<"$output")" '0.0.0.0:8080 -> .* of set pf4_any'
    inns host nft add element inet berth pf4_any '{ tcp . 8080 : 10.77.0.99 . 80 }'
    pcni berth CHECK "$conf" c1 "$(maps "$M8080")"
    cni_fails 103
    assert_match "$(jq -r .details <<<"$output")" 'maps to something else'
}

@test "a failed ADD leaves nothing: after the commit, and with other attachments present" {
    _ns_add c1
    _ns_add c2
    conf=$(chain pm 1.0.0 "$PMCONF")
    BERTH_TEST_FAIL_AFTER_COMMIT=1 pcni berth ADD "$conf" c1 "$(maps "$M8080")"
    cni_fails 102
    assert_eq "$(berth_table host)" "" "the table this ADD created is gone"
    assert_eq "$(pm_record id-c1-eth0)" "" "no record"
    pcni_ok berth DEL "$conf" c1

    pcni_ok berth ADD "$conf" c2 "$(maps '[{"hostPort":7000,"containerPort":70}]')"
    before=$(inns host nft list table inet berth)
    BERTH_TEST_FAIL_AFTER_COMMIT=1 pcni berth ADD "$conf" c1 "$(maps "$M8080")"
    cni_fails 102
    assert_eq "$(inns host nft list table inet berth)" "$before" "table as before"
    assert_eq "$(pm_record id-c1-eth0)" "" "no record"
    pcni_ok berth DEL "$conf" c1
}

@test "DEL with the netns gone, and without prevResult, removes the elements" {
    _ns_add c1
    conf=$(chain pm 1.0.0 "$PMCONF")
    pcni_ok berth ADD "$conf" c1 "$(maps "$M8080")"
    ip netns del "$(ns_of c1)"
    PCNI_NETNS="" pcni_ok berth DEL "$conf" c1
    assert_eq "$(berth_map_elems host pf4_any)" "" "pf4_any"
    assert_eq "$(pm_record id-c1-eth0)" "" "record"
    # the plugin alone, no prevResult, no netns, no mappings: success
    run --separate-stderr inns host env CNI_COMMAND=DEL CNI_CONTAINERID=id-c1 CNI_NETNS= \
        CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$BERTH_CNI_DIR/portmap" <<<'{"cniVersion":"1.0.0","name":"pm","type":"portmap"}'
    [[ $status -eq 0 ]] || { _show_run; false; }
}

@test "GC of 1000 stale attachments: one transaction, valid ones kept, hairpin set rebuilt (timed)" {
    # The run directory on tmpfs, as /run/berth is (the world's is on the test
    # machine's disk, where 1000 unlinks cost ~1 s of discard I/O).
    SHM_RUN=$(mktemp -d /dev/shm/berth-gc-test.XXXXXX)
    export BERTH_RUN_DIR=$SHM_RUN
    _ns_add c1
    netns=/run/netns/$(ns_of c1)
    # 1000 attachments of network gcnet and one of another network, straight from the plugin.
    inns host bash -c '
        set -e
        for i in $(seq 0 1000); do
            net=gcnet; [[ $i -eq 1000 ]] && net=othernet
            printf "{\"cniVersion\":\"1.1.0\",\"name\":\"%s\",\"type\":\"portmap\",
                \"runtimeConfig\":{\"portMappings\":[{\"hostPort\":%d,\"containerPort\":80}]},
                \"prevResult\":{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"10.77.%d.%d/16\"}]}}" \
                "$net" $((20000 + i)) $((i / 200)) $((i % 200 + 2)) |
            CNI_COMMAND=ADD CNI_CONTAINERID=gc$i CNI_NETNS='"$netns"' CNI_IFNAME=eth0 CNI_PATH=/x \
                "'"$BERTH_CNI_DIR"'/portmap" >/dev/null
        done'
    assert_eq "$(berth_map_elems host pf4_any | wc -l)" 1001 "forwards before GC"
    assert_eq "$(ls "$BERTH_RUN_DIR/state/cni-portmap" | wc -l)" 1001 "records before GC"
    assert_eq "$(hairpin_elems | wc -l)" 1001 "hairpin elements before GC"
    run --separate-stderr inns host bash -c '
        t0=$(date +%s%N)
        printf "{\"cniVersion\":\"1.1.0\",\"name\":\"gcnet\",\"type\":\"portmap\",
                \"cni.dev/valid-attachments\":[{\"containerID\":\"gc7\",\"ifname\":\"eth0\"}]}" |
            BERTH_LOG=debug CNI_COMMAND=GC CNI_PATH=/x "'"$BERTH_CNI_DIR"'/portmap"
        rc=$?
        t1=$(date +%s%N)
        echo "exec_ms=$(( (t1 - t0) / 1000000 ))"
        exit $rc'
    [[ $status -eq 0 ]] || { _show_run; false; }
    gc_line=$(grep -o 'GC: removed .*' <<<"$stderr")
    echo "# $gc_line; the whole plugin exec: ${output#exec_ms=} ms" >&3
    assert_eq "$(berth_map_elems host pf4_any | sort)" "tcp . 20007 : 10.77.0.9 . 80
tcp . 21000 : 10.77.5.2 . 80" "the valid one and the other network's remain"
    assert_eq "$(ls "$BERTH_RUN_DIR/state/cni-portmap" | sort | tr '\n' ' ')" "gc1000-eth0.json gc7-eth0.json " "records"
    # 999 of 1001 hairpin elements stale: the set was flushed and refilled
    # with those of the two attachments that stay (one transaction)
    assert_match "$stderr" "rebuilding the sets of hairpin elements \(999 stale, 2 stay\)"
    assert_eq "$(hairpin_elems | sort | tr '\n' ' ')" "10.77.0.0/16 . 10.77.0.9 10.77.0.0/16 . 10.77.5.2 " "hairpin elements after GC"
}

# the elements of cni_hp4 as "subnet . address", one per line
hairpin_elems() {
    inns host nft -j list set inet berth cni_hp4 | jq -r '
        .nftables[] | select(.set) | (.set.elem // [])[] | .concat
        | map(if type == "object" then "\(.prefix.addr)/\(.prefix.len)" else . end) | join(" . ")'
}

@test "udp: a running flow follows the mapping to the next container (conntrack flushed)" {
    _ns_add c1
    _ns_add c2
    conf=$(chain pm 1.0.0 "$PMCONF")
    M5000='[{"hostPort":5000,"containerPort":5000,"protocol":"udp"}]'
    pcni_ok berth ADD "$conf" c1 "$(maps "$M5000")"
    : >"$WORLD/recv-c1"
    : >"$WORLD/recv-c2"
    bg c1 socat -u UDP4-RECV:5000 OPEN:"$WORLD/recv-c1",creat,append
    bg c2 socat -u UDP4-RECV:5000 OPEN:"$WORLD/recv-c2",creat,append
    wait_for 50 0.1 _udp_bound c1 5000
    # one datagram every 0.1 s from the fixed source port 40000, for 20 s at most
    bg outside sh -c "for i in \$(seq 1 200); do echo dgram-\$i; sleep 0.1; done |
        socat -u - UDP4-SENDTO:$HOST_IP4:5000,sourceport=40000,reuseaddr"
    wait_for 30 0.1 test -s "$WORLD/recv-c1"
    pcni_ok berth DEL "$conf" c1
    pcni_ok berth ADD "$conf" c2 "$(maps "$M5000")"
    wait_for 50 0.1 _udp_bound c2 5000
    wait_for 30 0.1 test -s "$WORLD/recv-c2" || {
        echo "c2 got nothing from the old flow within 3 s" >&2
        inns host cat /proc/net/nf_conntrack 2>/dev/null | grep 'dport=5000' >&2 || true
        return 1
    }
}
