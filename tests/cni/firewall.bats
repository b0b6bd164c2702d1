#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth's firewall plugin (berth's nftables table) and Debian's (iptables):
# the same result, the same traffic where the two are comparable (a host
# whose forward policy is accept: containers reach the outside and each
# other; ingressPolicy same-bridge drops traffic between two bridges with
# the policy and keeps it within one), plus berth's elements, DEL, CHECK
# and GC.

bats_require_minimum_version 1.5.0

load portmap-helpers

setup() { pm_world_create; }
teardown() { world_destroy; }

fwconf() { # NAME POLICY [BRIDGE SUBNET]
    CHAIN_BRIDGE=${3:-cnibr0} CHAIN_SUBNET=${4:-10.77.0.0/24} \
        chain "$1" 1.0.0 "{\"type\":\"firewall\",\"backend\":\"\",\"ingressPolicy\":\"$2\"}"
}

# traffic: c1 (bridge 0) to outside, to c3 (bridge 0), to c2 (bridge 1)
traffic() {
    printf 'outside=%s same-bridge=%s other-bridge=%s\n' \
        "$(tcp_get c1 "$OUT_IP4" 7000 | sed 's/^198.18.0.1$/masq/')" \
        "$(tcp_get c1 10.77.0.3 7000)" "$(tcp_get c1 10.78.0.2 7000)"
}

@test "differential: result and traffic as Debian's firewall, every ingressPolicy" {
    require_ref
    [[ -x $REF_CNI_DIR/firewall ]] || skip "no reference firewall plugin"
    _ns_add c1
    _ns_add c2
    _ns_add c3
    # the outside has no route back to the containers: they are masqueraded
    # by hand in the host (neither plugin NATs)
    inns host nft add table ip t_masq
    inns host nft add chain ip t_masq post '{ type nat hook postrouting priority 100; }'
    inns host nft add rule ip t_masq post oifname vout masquerade
    serve_peer outside 7000
    for policy in open same-bridge isolated; do
        # isolated acts within a bridge: the kernel shows bridged frames to the
        # forward hooks only with br_netfilter (in this namespace only)
        # (Debian's 1.1.1 knows no "isolated": berth alone, checked below)
        impls="berth ref"
        if [[ $policy == isolated ]]; then
            inns host sysctl -qw net.bridge.bridge-nf-call-iptables=1 ||
                skip "br_netfilter not available: isolated not checked"
            impls=berth
        fi
        for impl in $impls; do
            a=$(fwconf "fw0-$impl-$policy" "$policy")
            b=$(fwconf "fw1-$impl-$policy" "$policy" cnibr1 10.78.0.0/24)
            pcni_ok "$impl" ADD "$a" c1
            printf '%s' "$output" >"$WORLD/result-$impl"
            pcni_ok "$impl" ADD "$b" c2
            pcni_ok "$impl" ADD "$a" c3
            pcni_ok "$impl" CHECK "$a" c1
            serve_peer c2 7000
            serve_peer c3 7000
            traffic >"$WORLD/traffic-$impl-$policy"
            _kill_ns_procs "$(ns_of c2)"
            _kill_ns_procs "$(ns_of c3)"
            pcni_ok "$impl" DEL "$a" c1
            pcni_ok "$impl" DEL "$b" c2
            pcni_ok "$impl" DEL "$a" c3
        done
        [[ $policy != isolated ]] || continue
        cat "$WORLD/traffic-berth-$policy" "$WORLD/traffic-ref-$policy"
        assert_eq "$(cat "$WORLD/traffic-berth-$policy")" "$(cat "$WORLD/traffic-ref-$policy")" \
            "traffic with ingressPolicy $policy"
        assert_eq "$(shape "$(cat "$WORLD/result-berth")")" "$(shape "$(cat "$WORLD/result-ref")")" \
            "result shape"
    done
    assert_eq "$(cat "$WORLD/traffic-berth-open")" \
        "outside=masq same-bridge=10.77.0.2 other-bridge=10.77.0.2" "open"
    assert_eq "$(cat "$WORLD/traffic-berth-same-bridge")" \
        "outside=masq same-bridge=10.77.0.2 other-bridge=" "same-bridge"
    assert_eq "$(cat "$WORLD/traffic-berth-isolated")" \
        "outside=masq same-bridge= other-bridge=" "isolated"
}

@test "elements: accepts per address, shared bridge elements removed with the last container" {
    _ns_add c1
    _ns_add c3
    a=$(fwconf fw same-bridge)
    pcni_ok berth ADD "$a" c1
    pcni_ok berth ADD "$a" c3
    assert_match "$(berth_table host)" 'set cni_allow4 \{[^}]*elements = \{ 10\.77\.0\.2, 10\.77\.0\.3 \}'
    assert_match "$(berth_table host)" 'set cni_iso_br \{[^}]*elements = \{ "cnibr0" \}'
    assert_match "$(berth_table host)" 'set cni_own_br \{[^}]*elements = \{ "cnibr0" \. "cnibr0" \}'
    pcni_ok berth DEL "$a" c1
    assert_match "$(berth_table host)" 'set cni_iso_br \{[^}]*elements = \{ "cnibr0" \}'
    assert_no_match "$(berth_table host)" '10\.77\.0\.2'
    pcni_ok berth DEL "$a" c3
    assert_no_match "$(berth_table host)" 'cnibr0|10\.77\.0\.3'
    pcni_ok berth DEL "$a" c3
}

@test "CHECK notices a missing accept; validation; 0.3.1 refused; GC keeps the valid" {
    _ns_add c1
    _ns_add c3
    a=$(fwconf fw isolated)
    pcni_ok berth ADD "$a" c1
    pcni_ok berth CHECK "$a" c1
    inns host nft delete element inet berth cni_allow4 '{ 10.77.0.2 }'
    pcni berth CHECK "$a" c1
    cni_fails 103
    assert_match "$(jq -r .details <<<"$output")" '10\.77\.0\.2 of set cni_allow4'
    pcni_ok berth DEL "$a" c1

    for bad in '"ingressPolicy":"closed"' '"backend":"ebtables"' '"ingressPolicy":3'; do
        conf=$(chain fwbad 1.0.0 "{\"type\":\"firewall\",$bad}")
        pcni berth ADD "$conf" c1
        cni_fails 7
        pcni_ok berth DEL "$conf" c1
    done
    conf=$(chain fwbad 1.0.0 '{"type":"firewall","backend":"firewalld"}')
    pcni berth ADD "$conf" c1
    cni_fails 2
    pcni_ok berth DEL "$conf" c1
    conf=$(chain fwold 0.3.1 '{"type":"firewall"}')
    pcni berth ADD "$conf" c1
    cni_fails 1
    conf=$(chain fwold 0.4.0) # (DEL at 0.3.1 fails the same way: undo the bridge without it)
    pcni_ok berth DEL "$conf" c1

    g=$(chain fwgc 1.0.0 '{"type":"firewall","ingressPolicy":"isolated"}')
    pcni_ok berth ADD "$g" c1
    pcni_ok berth ADD "$g" c3
    gc_direct firewall fwgc id-c3/eth0
    assert_no_match "$(berth_table host)" '10\.77\.0\.2'
    assert_match "$(berth_table host)" 'set cni_iso_br \{[^}]*elements = \{ "cnibr0" \}'
    assert_eq "$(ls "$BERTH_RUN_DIR/state/cni-firewall")" "id-c3-eth0.json" "records after GC"
}
