#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth's nat plugin: a bridge without ipMasq plus nat gives the container
# masqueraded access to the outside (which has no route back to the
# container subnet), while traffic within the subnet keeps its source; DEL
# takes it away, CHECK and GC as the other plugins. (No reference plugin.)

bats_require_minimum_version 1.5.0

load portmap-helpers

setup() { pm_world_create; }
teardown() { world_destroy; }

@test "masquerade to the outside, not within the subnet; DEL, CHECK, GC" {
    _ns_add c1
    _ns_add c2
    serve_peer outside 7000
    plain=$(chain plain 1.0.0)
    pcni_ok berth ADD "$plain" c1
    assert_eq "$(tcp_get c1 "$OUT_IP4" 7000)" "" "without nat: no way back"
    pcni_ok berth DEL "$plain" c1

    conf=$(chain nat 1.0.0 '{"type":"nat"}')
    pcni_ok berth ADD "$conf" c1
    jq -e '.ips[0].address == "10.77.0.2/24"' <<<"$output"
    pcni_ok berth ADD "$conf" c2
    assert_eq "$(tcp_get c1 "$OUT_IP4" 7000)" "$HOST_IP4" "masqueraded to the host address"
    serve_peer c2 7000
    assert_eq "$(tcp_get c1 10.77.0.3 7000)" "10.77.0.2" "same subnet: source kept"
    assert_match "$(berth_table host)" 'set cni_masq4 \{[^}]*elements = \{ 10\.77\.0\.2, 10\.77\.0\.3 \}'
    pcni_ok berth CHECK "$conf" c1
    inns host nft delete element inet berth cni_masq4 '{ 10.77.0.2 }'
    pcni berth CHECK "$conf" c1
    cni_fails 103
    pcni_ok berth DEL "$conf" c1
    pcni_ok berth ADD "$conf" c1

    gc_direct nat nat id-c2/eth0
    assert_eq "$(tcp_get c1 "$OUT_IP4" 7000)" "" "c1's masquerade gone after GC"
    assert_eq "$(tcp_get c2 "$OUT_IP4" 7000)" "$HOST_IP4" "c2 still masqueraded"
    assert_eq "$(ls "$BERTH_RUN_DIR/state/cni-nat")" "id-c2-eth0.json" "records after GC"
    pcni_ok berth DEL "$conf" c2
    assert_no_match "$(berth_table host)" '10\.77\.0\.'
}

@test "ADD needs a prevResult with an address; a failed ADD leaves nothing" {
    run --separate-stderr inns host env CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/proc/self/ns/net \
        CNI_NETNS_OVERRIDE=1 CNI_IFNAME=eth0 CNI_PATH=/x "$BERTH_CNI_DIR/nat" \
        <<<'{"cniVersion":"1.0.0","name":"n","type":"nat"}'
    cni_fails 7
    _ns_add c1
    conf=$(chain nat 1.0.0 '{"type":"nat"}')
    BERTH_TEST_FAIL_AFTER_COMMIT=1 pcni berth ADD "$conf" c1
    cni_fails 102
    assert_eq "$(berth_table host)" "" "no table"
    assert_eq "$(ls "$BERTH_RUN_DIR/state/cni-nat" 2>/dev/null)" "" "no record"
}
