#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# bridge + host-local through cni-run, berth's plugins against Debian's
# reference plugins (/usr/lib/cni, spec <= 1.0.0): the same result shape, the
# same connectivity (container to container on the bridge, container to the
# outside namespace through ipMasq), the same lease files; and a host that
# switches between the two keeps its addresses.

bats_require_minimum_version 1.5.0

load bridge-helpers

setup() { br_world_create; }
teardown() { world_destroy; }

# connectivity: c1 <-> c2 over the bridge, c1 -> outside masqueraded
connectivity() {
    local a1 a2
    a1=$(addr_of c1)
    a2=$(addr_of c2)
    assert_ping c1 "$a2"
    assert_ping c2 "$a1"
    assert_ping c1 "$OUT_IP4"
    # outside has no route to 10.77.0.0/24: an answer means masquerade
    assert_no_match "$(ipn outside route get "$a1" 2>/dev/null || true)" "via" "outside's route to the container"
    assert_eq "$(peer_seen c1 "$OUT_IP4")" "$HOST_IP4" "source address seen outside"
}

@test "same result shape, connectivity and lease files as the reference (0.3.1, 0.4.0, 1.0.0)" {
    require_ref_bridge
    start_peer_echo
    for v in 0.3.1 0.4.0 1.0.0; do
        for impl in ref berth; do
            conf=$(br_conflist "v${v//./}-$impl" "$v" "$impl")
            _ns_add c1
            _ns_add c2
            brcni_ok "$impl" ADD "$conf" c1
            printf '%s' "$output" >"$WORLD/r1-$impl-$v"
            brcni_ok "$impl" ADD "$conf" c2
            printf '%s' "$output" >"$WORLD/r2-$impl-$v"
            connectivity
            leases "$impl" >"$WORLD/leases-$impl-$v"
            [[ $v == 0.3.1 ]] || brcni_ok "$impl" CHECK "$conf" c1
            brcni_ok "$impl" DEL "$conf" c1
            brcni_ok "$impl" DEL "$conf" c2
            assert_eq "$(leases "$impl" | grep -vc last_reserved || true)" "0" "leases after DEL ($impl $v)"
            ip netns del "$(ns_of c1)"
            ip netns del "$(ns_of c2)"
            # the bridge stays (as the reference); the next run starts clean
            ipn host link del cbr0
            rm -rf "$WORLD/ipam-$impl"
        done
        for n in 1 2; do
            berth=$(cat "$WORLD/r$n-berth-$v")
            ref=$(cat "$WORLD/r$n-ref-$v")
            assert_eq "$(shape "$berth")" "$(shape "$ref")" "result shape at $v"
            assert_eq "$(jq -c '[.interfaces[] | {name: (.name | sub("^veth.*"; "veth")), sandbox}]' <<<"$berth")" \
                "$(jq -c '[.interfaces[] | {name: (.name | sub("^veth.*"; "veth")), sandbox}]' <<<"$ref")" \
                "interface list at $v"
            assert_eq "$(jq -cS '[.ips, .routes, (.dns // {})]' <<<"$berth")" \
                "$(jq -cS '[.ips, .routes, (.dns // {})]' <<<"$ref")" "ips, routes, dns at $v"
        done
        # the lease files: same names, same content (the container ids)
        assert_eq "$(cat "$WORLD/leases-berth-$v")" "$(cat "$WORLD/leases-ref-$v")" "lease files at $v"
    done
}

@test "switching between the reference and berth keeps the addresses" {
    require_ref_bridge
    # one lease directory for both implementations; no ipMasq (the reference's
    # DEL fails on iptables chains that berth never made)
    conf=$(br_conflist switch 1.0.0 shared '{"ipMasq": false}')
    _ns_add c1
    _ns_add c2
    brcni_ok ref ADD "$conf" c1
    assert_eq "$(jq -r '.ips[0].address' <<<"$output")" "10.77.0.2/24" "ref's first address"
    brcni_ok berth ADD "$conf" c2
    assert_eq "$(jq -r '.ips[0].address' <<<"$output")" "10.77.0.3/24" "berth continues after ref's lease"
    assert_ping c2 "$(addr_of c1)"
    # berth's CHECK sees ref's lease (host-local) but not ref's veth name: IPAM only
    run --separate-stderr inns host env CNI_COMMAND=CHECK CNI_CONTAINERID=c1 \
        CNI_NETNS=/run/netns/$(ns_of c1) CNI_IFNAME=eth0 CNI_PATH="$BERTH_CNI_DIR" \
        "$BERTH_CNI_DIR/host-local" < <(jq -c '.plugins[0] + {cniVersion, name}' "$conf")
    assert_eq "$status" "0" "berth host-local CHECK of ref's lease"
    # ref releases berth's lease and berth releases ref's
    brcni_ok ref DEL "$conf" c2
    brcni_ok berth DEL "$conf" c1
    assert_eq "$(leases shared | grep -vc last_reserved || true)" "0" "no lease left"
    brcni_ok ref ADD "$conf" c2
    assert_eq "$(jq -r '.ips[0].address' <<<"$output")" "10.77.0.4/24" "ref continues after berth's last_reserved_ip"
    brcni_ok ref DEL "$conf" c2
}
