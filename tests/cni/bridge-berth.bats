#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth-only behaviour of bridge + host-local: 1.1.0, GC of stale leases and
# state records, DEL after the namespace is gone, CHECK after breaking things,
# rollback of a failed ADD (a failing IPAM delegate; a failure after IPAM
# allocated), validation, and a berth-net container beside a CNI container.

bats_require_minimum_version 1.5.0

load bridge-helpers

setup() { br_world_create; }
teardown() { world_destroy; }

# record_of CTR: the file of CTR's state record (lib/state names files by id or by a hash of it)
record_of() {
    local f
    for f in "$BERTH_RUN_DIR"/state/cni/*.json; do
        [[ -e $f ]] && jq -e --arg id "bridge-$1:eth0" '.id == $id' "$f" >/dev/null &&
            { echo "$f"; return 0; }
    done
    echo "$BERTH_RUN_DIR/state/cni/no-record-of-$1"
}

@test "1.1.0: ADD result, CHECK, DEL; the state record and the firewall elements" {
    conf=$(br_conflist v110 1.1.0 berth)
    _ns_add c1
    brcni_ok berth ADD "$conf" c1
    jq -e '.cniVersion == "1.1.0" and (.interfaces | length) == 3 and
           .interfaces[0].name == "cbr0" and (.interfaces[1].name | startswith("veth")) and
           .interfaces[2].sandbox != null and .ips[0].interface == 2 and
           .ips[0].address == "10.77.0.2/24" and .ips[0].gateway == "10.77.0.1"' <<<"$output"
    jq -e '.owner == "cni" and .name == "cnibr" and .pending == false and
           .networks[0].bridge == "cbr0" and .networks[0].subnets == ["10.77.0.0/24"]' \
        "$(record_of c1)"
    assert_eq "$(nat4_elems)" '[{"prefix":{"addr":"10.77.0.0","len":24}}]' "nat4"
    ipn host -4 addr show dev cbr0 | grep -q "inet $CNI_GW/24"
    assert_eq "$(sysctl_of host net.ipv4.ip_forward)" "1" "ip_forward"
    brcni_ok berth CHECK "$conf" c1
    brcni_ok berth DEL "$conf" c1
    [[ ! -e $(record_of c1) ]]
    assert_eq "$(nat4_elems)" '[]' "nat4 after the last port left"
    # DEL again: idempotent
    brcni_ok berth DEL "$conf" c1
    brcni_ok berth DEL "$conf" ""
}

@test "hairpinMode, portIsolation, promiscMode, mtu and the MAC are applied" {
    conf=$(br_conflist opts 1.0.0 berth '{"hairpinMode": true, "portIsolation": true, "mtu": 1400}')
    _ns_add c1
    brcni_ok berth ADD "$conf" c1 c1 --args "IgnoreUnknown=1;MAC=c2:11:22:33:44:55"
    veth=$(jq -r '.interfaces[1].name' <<<"$output")
    ipn host -d -j link show dev "$veth" | jq -e '.[0].linkinfo.info_slave_data |
        .hairpin == true and .isolated == true'
    assert_eq "$(ipn c1 -j link show dev eth0 | jq -r '.[0].address')" "c2:11:22:33:44:55" "MAC"
    assert_eq "$(ipn c1 -j link show dev eth0 | jq -r '.[0].mtu')" "1400" "container MTU"
    assert_eq "$(ipn host -j link show dev "$veth" | jq -r '.[0].mtu')" "1400" "host veth MTU"
    brcni_ok berth DEL "$conf" c1

    conf=$(br_conflist promisc 1.0.0 berth '{"promiscMode": true, "bridge": "cbr1"}')
    brcni_ok berth ADD "$conf" c1
    ipn host -j link show dev cbr1 | jq -e '.[0].flags | index("PROMISC") != null'
    brcni_ok berth DEL "$conf" c1
}

@test "invalid fields are refused with code 7 (or 2) naming the field, before any change" {
    _ns_add c1
    snapshot host >"$WORLD/before"
    for extra in '{"mtu": "x"}' '{"mtu": 20}' '{"vlan": 5000}' '{"bridge": "a-name-much-too-long"}' \
        '{"hairpinMode": true, "promiscMode": true}' '{"isGateway": "yes"}' \
        '{"ipam": {"type": "../x"}}' '{"disableContainerInterface": true}' \
        '{"vlanTrunk": "x"}' '{"vlanTrunk": [{"minID": 5}]}' '{"vlanTrunk": [{"id": 0}]}' \
        '{"vlanTrunk": [{"minID": 9, "maxID": 3}]}' '{"vlanTrunk": [{}]}'; do
        conf=$(br_conflist bad 1.0.0 berth "$extra")
        brcni berth ADD "$conf" c1
        cni_fails 7
        key=$(jq -r 'keys[0]' <<<"$extra")
        [[ $key == ipam ]] && key=ipam.type
        jq -e --arg k "$key" '(.msg + " " + (.details // "")) | contains($k)' <<<"$output" >/dev/null ||
            { echo "error does not name $key: $output" >&2; false; }
    done
    conf=$(br_conflist bad 1.0.0 berth '{"macspoofchk": "yes"}')
    brcni berth ADD "$conf" c1
    cni_fails 7
    conf=$(br_conflist bad 1.0.0 berth '{}' '{"ranges": [[{"subnet": "10.9.0.0/31"}]]}')
    brcni berth ADD "$conf" c1
    cni_fails 7
    assert_same_snapshot "$WORLD/before" host
}

@test "GC (1.1.0) removes the leases and records of attachments not in the valid list" {
    conf=$(br_conflist gc 1.1.0 berth)
    _ns_add c1
    _ns_add c2
    brcni_ok berth ADD "$conf" c1
    brcni_ok berth ADD "$conf" c2
    # c2 vanishes without a DEL (its netns and veth are gone) and the runtime
    # forgot it (no cached result: the runner synthesises no DEL, GC must do it)
    ip netns del "$(ns_of c2)"
    rm "$WORLD/cache-berth/results/cnibr-c2-eth0"
    # a stale lease written by someone else
    printf 'stale\r\neth0' >"$WORLD/ipam-berth/cnibr/10.77.0.99"
    brcni_ok berth GC "$conf" "" gc --valid c1/eth0
    assert_eq "$(leases berth | grep -v last_reserved | cut -f1)" "10.77.0.2" "leases after GC"
    [[ -e $(record_of c1) && ! -e $(record_of c2) ]]
    # c1 still has the bridge: the network's elements stay
    assert_eq "$(nat4_elems)" '[{"prefix":{"addr":"10.77.0.0","len":24}}]' "nat4 after GC"
    # c1 vanishes too: GC removes its record and, the bridge having no port left, the elements
    ip netns del "$(ns_of c1)"
    rm "$WORLD/cache-berth/results/cnibr-c1-eth0"
    brcni_ok berth GC "$conf" "" gc
    assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "no lease"
    [[ ! -e $(record_of c1) ]]
    assert_eq "$(nat4_elems)" '[]' "nat4 after the last GC"
    brcni_ok berth STATUS "$conf" "" gc
}

@test "DEL with the namespace gone releases the lease, the record and the firewall elements" {
    conf=$(br_conflist gone 1.0.0 berth)
    _ns_add c1
    brcni_ok berth ADD "$conf" c1
    veth=$(jq -r '.interfaces[1].name' <<<"$output")
    ip netns del "$(ns_of c1)"
    brcni_ok berth DEL "$conf" "" c1
    assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "leases"
    [[ ! -e $(record_of c1) ]]
    refute link_exists host "$veth"
    assert_eq "$(nat4_elems)" '[]' "nat4"
    link_exists host cbr0 # the bridge stays, as the reference

    # the same with CNI_NETNS still naming the vanished namespace
    _ns_add c2
    brcni_ok berth ADD "$conf" c2
    veth=$(jq -r '.interfaces[1].name' <<<"$output")
    ip netns del "$(ns_of c2)"
    brcni_ok berth DEL "$conf" c2
    assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "leases"
    [[ ! -e $(record_of c2) ]]
    refute link_exists host "$veth"
    assert_eq "$(nat4_elems)" '[]' "nat4"
}

@test "CHECK fails when what ADD made is gone or changed" {
    conf=$(br_conflist check 1.0.0 berth)
    _ns_add c1
    brcni_ok berth ADD "$conf" c1
    veth=$(jq -r '.interfaces[1].name' <<<"$output")
    brcni_ok berth CHECK "$conf" c1

    ipn c1 addr del 10.77.0.2/24 dev eth0
    brcni berth CHECK "$conf" c1
    cni_fails 103
    jq -e '.details | contains("10.77.0.2/24")' <<<"$output"
    ipn c1 addr add 10.77.0.2/24 dev eth0
    brcni_ok berth CHECK "$conf" c1

    ipn host link set "$veth" nomaster
    brcni berth CHECK "$conf" c1
    cni_fails 103
    jq -e '.details | contains("not on the bridge")' <<<"$output"
    ipn host link set "$veth" master cbr0

    rm "$WORLD/ipam-berth/cnibr/10.77.0.2"
    brcni berth CHECK "$conf" c1
    cni_fails 103
    printf 'c1\r\neth0' >"$WORLD/ipam-berth/cnibr/10.77.0.2"

    ipn c1 link del eth0
    brcni berth CHECK "$conf" c1
    cni_fails 103
    brcni_ok berth DEL "$conf" c1
}

@test "a failing IPAM delegate rolls everything back" {
    mkdir -p "$WORLD/plugins"
    cat >"$WORLD/plugins/failipam" <<'SH'
#!/bin/sh
# allocates through berth's host-local, then fails (ADD only)
out=$("$BERTH_CNI_DIR/host-local")
rc=$?
[ "$CNI_COMMAND" = ADD ] || { printf '%s' "$out"; exit $rc; }
printf '{"code":11,"msg":"injected failure","details":"failipam"}'
exit 1
SH
    chmod +x "$WORLD/plugins/failipam"
    export BERTH_CNI_DIR
    conf=$(br_conflist failipam 1.0.0 berth '{}' '{"type": "failipam"}')
    _ns_add c1
    snapshot host >"$WORLD/before-host"
    snapshot c1 >"$WORLD/before-c1"
    EXTRA_PLUGIN_DIR=$WORLD/plugins brcni berth ADD "$conf" c1
    cni_fails 11
    jq -e '.msg == "injected failure"' <<<"$output"
    assert_same_snapshot "$WORLD/before-host" host
    assert_same_snapshot "$WORLD/before-c1" c1
    assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "lease released"
    [[ ! -e $(record_of c1) ]]

    # a delegate that is not in CNI_PATH
    conf=$(br_conflist noipam 1.0.0 berth '{}' '{"type": "no-such-ipam"}')
    brcni berth ADD "$conf" c1
    cni_fails 7
    assert_same_snapshot "$WORLD/before-host" host
}

@test "a failure after IPAM allocated rolls back everything, IPAM included" {
    conf=$(br_conflist badroute 1.0.0 berth '{}' \
        '{"routes": [{"dst": "0.0.0.0/0"}, {"dst": "192.0.2.0/24", "gw": "198.51.100.1"}]}')
    _ns_add c1
    snapshot host >"$WORLD/before-host"
    snapshot c1 >"$WORLD/before-c1"
    brcni berth ADD "$conf" c1
    cni_fails
    jq -e '.details | contains("192.0.2.0/24")' <<<"$output"
    assert_same_snapshot "$WORLD/before-host" host
    assert_same_snapshot "$WORLD/before-c1" c1
    assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "lease released"
    [[ ! -e $(record_of c1) ]]
    # a good ADD afterwards works (round robin continues after last_reserved_ip, as upstream)
    conf=$(br_conflist good 1.0.0 berth)
    brcni_ok berth ADD "$conf" c1
    assert_eq "$(jq -r '.ips[0].address' <<<"$output")" "10.77.0.3/24" "next address"
    assert_ping c1 "$CNI_GW"
    brcni_ok berth DEL "$conf" c1
}

@test "a berth-net container and a CNI bridge container on one host" {
    start_peer_echo
    net_new bn podman9 10.89.5.0/24
    ctr_new c3
    ctr_join c3 bn eth0 10.89.5.2
    setup_ok c3
    conf=$(br_conflist mixed 1.0.0 berth)
    _ns_add c1
    brcni_ok berth ADD "$conf" c1
    assert_eq "$(peer_seen c1 "$OUT_IP4")" "$HOST_IP4" "CNI container masqueraded"
    assert_eq "$(peer_seen c3 "$OUT_IP4")" "$HOST_IP4" "berth-net container masqueraded"
    jq -e 'length == 2' <<<"$(nat4_elems)"
    # berth-net's firewall-reload rebuilds both from the state records of every owner
    inns host nft flush ruleset
    net_exec firewall-reload
    assert_ok
    jq -e 'length == 2 and (map(.prefix.addr) | sort) == ["10.77.0.0", "10.89.5.0"]' <<<"$(nat4_elems)"
    assert_eq "$(peer_seen c1 "$OUT_IP4")" "$HOST_IP4" "CNI container masqueraded after reload"

    # the CNI container leaves: berth-net's elements and addresses stay
    brcni_ok berth DEL "$conf" c1
    assert_eq "$(nat4_elems)" '[{"prefix":{"addr":"10.89.5.0","len":24}}]' "nat4 after CNI DEL"
    ipn host -4 addr show dev podman9 | grep -q "inet 10.89.5.1/24"
    assert_eq "$(peer_seen c3 "$OUT_IP4")" "$HOST_IP4" "berth-net container still masqueraded"

    # back, and berth-net's container leaves: the CNI elements stay
    brcni_ok berth ADD "$conf" c1
    teardown_ok c3
    assert_eq "$(nat4_elems)" '[{"prefix":{"addr":"10.77.0.0","len":24}}]' "nat4 after berth-net teardown"
    ipn host -4 addr show dev cbr0 | grep -q "inet $CNI_GW/24"
    assert_eq "$(peer_seen c1 "$OUT_IP4")" "$HOST_IP4" "CNI container still masqueraded"
    brcni_ok berth DEL "$conf" c1
}

@test "dual stack: a v4 and a v6 range set, ping over v4 and v6, masquerade for both" {
    ipam='{"ranges": [[{"subnet": "10.77.0.0/24"}], [{"subnet": "fd77::/64"}]],
           "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}'
    conf=$(br_conflist dual 1.0.0 berth '{}' "$ipam")
    _ns_add c1
    _ns_add c2
    brcni_ok berth ADD "$conf" c1
    jq -e '[.ips[].address] == ["10.77.0.2/24", "fd77::2/64"] and
           [.ips[].gateway] == ["10.77.0.1", "fd77::1"]' <<<"$output"
    brcni_ok berth ADD "$conf" c2
    ipn host -6 addr show dev cbr0 | grep -q "inet6 fd77::1/64"
    assert_eq "$(sysctl_of host net.ipv6.conf.all.forwarding)" "1" "v6 forwarding"
    assert_ping c1 fd77::3
    assert_ping c1 10.77.0.3
    assert_ping c1 "$OUT_IP6"
    assert_ping c1 "$OUT_IP4"
    inns host nft -j list set inet berth nat6 | jq -e '[.nftables[].set.elem // empty] | flatten |
        . == [{"prefix": {"addr": "fd77::", "len": 64}}]'
    brcni_ok berth DEL "$conf" c1
    brcni_ok berth DEL "$conf" c2
}

@test "vlan: bridge VLAN filtering (skipped where the kernel lacks it); a failed ADD rolls back" {
    conf=$(br_conflist vlan 1.0.0 berth '{"vlan": 10}')
    vlan_add_or_skip "$conf" c1
    veth=$(jq -r '.interfaces[1].name' <<<"$output")
    ipn host -d -j link show dev cbr0 | jq -e '.[0].linkinfo.info_data.vlan_filtering == 1'
    bridge -n "$(ns_of host)" -j vlan show dev "$veth" | jq -e '.[0].vlans[] | select(.vlan == 10)'
    brcni_ok berth DEL "$conf" c1
}

@test "macspoofchk: frames with another source MAC are dropped at the port; CHECK, firewall-reload, DEL and GC" {
    conf=$(br_conflist spoof 1.1.0 berth '{"macspoofchk": true}')
    _ns_add c1
    _ns_add c2
    brcni_ok berth ADD "$conf" c1
    veth1=$(jq -r '.interfaces[1].name' <<<"$output")
    mac1=$(jq -r '.interfaces[2].mac' <<<"$output")
    brcni_ok berth ADD "$conf" c2
    ip2=$(jq -r '.ips[0].address | split("/")[0]' <<<"$output")
    assert_match "$(spoof_elems)" "$veth1 \\. $mac1" "c1's port and MAC"
    assert_ping c1 "$ip2"
    # c1 changes its MAC: its frames (ARP included) no longer pass the bridge
    ipn c1 link set eth0 address 02:00:5e:00:53:99
    ipn c1 neigh flush dev eth0
    ipn c2 neigh flush dev eth0
    assert_no_ping c1 "$ip2"
    ipn c1 link set eth0 address "$mac1"
    assert_ping c1 "$ip2"
    brcni_ok berth CHECK "$conf" c1
    # the ruleset flushed (a firewalld reload, say): CHECK sees it, firewall-reload restores it
    inns host nft flush ruleset
    brcni berth CHECK "$conf" c1
    cni_fails 103
    jq -e '.details | contains("macspoofchk")' <<<"$output"
    net_exec firewall-reload
    assert_ok
    assert_match "$(spoof_elems)" "$veth1 \\. $mac1" "c1's elements after firewall-reload"
    brcni_ok berth CHECK "$conf" c1
    brcni_ok berth DEL "$conf" c1
    refute grep -q "$veth1" <<<"$(spoof_elems)"
    # c2 goes stale (no DEL, no cached result): GC removes its elements
    rm "$WORLD/cache-berth/results/cnibr-c2-eth0"
    brcni_ok berth GC "$conf" "" gc
    assert_eq "$(spoof_elems)" "" "no guarded port left"
}

# the elements of table bridge berth's spoof_ok, one per line
spoof_elems() {
    inns host nft -j list set bridge berth spoof_ok 2>/dev/null | jq -r '
        .nftables[] | select(.set) | (.set.elem // [])[] | .concat | join(" . ")'
}

@test "vlanTrunk and preserveDefaultVlan: tagged VLANs on the port (skipped where the kernel lacks VLAN filtering)" {
    conf=$(br_conflist trunk 1.0.0 berth \
        '{"vlanTrunk": [{"id": 20}, {"minID": 100, "maxID": 102}, {"id": 101}], "preserveDefaultVlan": false}')
    vlan_add_or_skip "$conf" c1
    veth=$(jq -r '.interfaces[1].name' <<<"$output")
    ipn host -d -j link show dev cbr0 | jq -e '.[0].linkinfo.info_data.vlan_filtering == 1'
    vlans=$(bridge -n "$(ns_of host)" -c -j vlan show dev "$veth" |
        jq -c '[.[0].vlans[] | [.vlan, (.vlanEnd // .vlan)]]')
    assert_eq "$vlans" "[[20,20],[100,102]]" "the port's VLANs (VLAN 1 removed)"
    brcni_ok berth DEL "$conf" c1
}

@test "isDefaultGateway, enabledad, disableContainerInterface" {
    # no routes from IPAM: isDefaultGateway adds the default route (and to the result)
    conf=$(br_conflist defgw 1.0.0 berth '{"isDefaultGateway": true}' '{"routes": []}')
    _ns_add c1
    brcni_ok berth ADD "$conf" c1
    jq -e '.routes == [{"dst": "0.0.0.0/0", "gw": "10.77.0.1"}]' <<<"$output"
    ipn c1 route show default | grep -q "via $CNI_GW dev eth0"
    assert_eq "$(sysctl_of c1 net.ipv6.conf.eth0.accept_dad)" "0" "accept_dad without enabledad"
    brcni_ok berth DEL "$conf" c1

    conf=$(br_conflist dad 1.0.0 berth '{"enabledad": true}')
    brcni_ok berth ADD "$conf" c1
    assert_eq "$(sysctl_of c1 net.ipv6.conf.eth0.accept_dad)" "1" "accept_dad with enabledad"
    brcni_ok berth DEL "$conf" c1

    # L2 only: no IPAM, the container end left down
    jq '.plugins[0] |= (del(.ipam) + {disableContainerInterface: true, ipMasq: false})' \
        "$(br_conflist l2 1.0.0 berth)" >"$WORLD/l2only.conflist"
    brcni_ok berth ADD "$WORLD/l2only.conflist" c1
    jq -e '(.ips // []) == [] and (.interfaces | length) == 3' <<<"$output"
    ipn c1 -j link show dev eth0 | jq -e '.[0].flags | index("UP") == null'
    brcni_ok berth DEL "$WORLD/l2only.conflist" c1
    ! link_exists c1 eth0
}

@test "a hanging IPAM delegate is killed after the timeout, a flooding one is bounded; both roll back" {
    mkdir -p "$WORLD/plugins"
    cat >"$WORLD/plugins/hangipam" <<SH
#!/bin/sh
# exec keeps the pid: the one the plugin must kill
[ "\$CNI_COMMAND" = ADD ] && echo \$\$ >"$WORLD/hang.pid" && exec sleep 600
exit 0
SH
    cat >"$WORLD/plugins/floodipam" <<'SH'
#!/bin/sh
[ "$CNI_COMMAND" = ADD ] && exec head -c 3000000 /dev/zero
exit 0
SH
    chmod +x "$WORLD/plugins/hangipam" "$WORLD/plugins/floodipam"
    _ns_add c1
    snapshot host >"$WORLD/before-host"
    conf=$(br_conflist hang 1.0.0 berth '{}' '{"type": "hangipam"}')
    start=$(date +%s)
    BERTH_CNI_DELEGATE_TIMEOUT_MS=1000 EXTRA_PLUGIN_DIR=$WORLD/plugins \
        brcni berth ADD "$conf" c1 c1 --args "IgnoreUnknown=1"
    cni_fails 11
    (($(date +%s) - start < 20))
    pid=$(cat "$WORLD/hang.pid")
    ! kill -0 "$pid" 2>/dev/null || { ps -o pid,ppid,etimes,cmd -p "$pid" >&2; false; }
    assert_same_snapshot "$WORLD/before-host" host

    conf=$(br_conflist flood 1.0.0 berth '{}' '{"type": "floodipam"}')
    EXTRA_PLUGIN_DIR=$WORLD/plugins brcni berth ADD "$conf" c1
    cni_fails 6
    assert_same_snapshot "$WORLD/before-host" host
}

@test "parallel ADDs and DELs of six containers (host-wide lock): distinct addresses, all reachable" {
    conf=$(br_conflist par 1.0.0 berth)
    local i pids=()
    for i in 1 2 3 4 5 6; do _ns_add "p$i"; done
    for i in 1 2 3 4 5 6; do
        inns host timeout 60 "$CNI_RUN" --plugin-dir "$BERTH_CNI_DIR" --cache-dir "$WORLD/cache-par" \
            ADD "$conf" "/run/netns/$(ns_of "p$i")" "p$i" eth0 >"$WORLD/par-$i.out" 2>"$WORLD/par-$i.err" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { cat "$WORLD/par-$((i + 1)).err" >&2; false; }; done
    addrs=$(for i in 1 2 3 4 5 6; do jq -r '.ips[0].address' "$WORLD/par-$i.out"; done | sort -u)
    assert_eq "$(wc -l <<<"$addrs")" "6" "distinct addresses"
    for i in 2 3 4 5 6; do assert_ping p1 "$(addr_of "p$i")"; done
    pids=()
    for i in 1 2 3 4 5 6; do
        inns host timeout 60 "$CNI_RUN" --plugin-dir "$BERTH_CNI_DIR" --cache-dir "$WORLD/cache-par" \
            DEL "$conf" "/run/netns/$(ns_of "p$i")" "p$i" eth0 >/dev/null 2>"$WORLD/par-$i.err" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { cat "$WORLD/par-$((i + 1)).err" >&2; false; }; done
    assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "leases"
    assert_eq "$(ls "$BERTH_RUN_DIR/state/cni" | wc -l)" "0" "records"
    assert_eq "$(nat4_elems)" '[]' "nat4"
}

@test "0.2.0: the ip4 shape from bridge + host-local" {
    conf=$(br_conflist v020 0.2.0 berth)
    _ns_add c1
    brcni_ok berth ADD "$conf" c1
    jq -e '.cniVersion == "0.2.0" and .ip4.ip == "10.77.0.2/24" and .ip4.gateway == "10.77.0.1" and
           .ip4.routes == [{"dst": "0.0.0.0/0"}] and .interfaces == null' <<<"$output"
    assert_ping c1 "$CNI_GW"
    brcni_ok berth DEL "$conf" c1
}

@test "forceAddress: a different bridge address in the subnet is an error naming both, or replaced" {
    # up, with a MAC of its own and no IPv6: the kernel's own changes (qdisc,
    # a MAC taken from the ports, IPv6 routes added some time after the link
    # comes up) stay out of the snapshot
    ipn host link add cbr0 address 02:00:00:00:00:01 type bridge
    inns host sysctl -qw net.ipv6.conf.cbr0.disable_ipv6=1
    ipn host addr add 10.77.0.254/24 dev cbr0
    ipn host link set cbr0 up
    _ns_add c1
    # the bridge's carrier (a route's "linkdown") follows its ports asynchronously
    snapshot host | sed 's/ linkdown//' >"$WORLD/before-host"
    conf=$(br_conflist noforce 1.0.0 berth)
    brcni berth ADD "$conf" c1
    cni_fails 101
    jq -e '.details | contains("already has an IP address different from 10.77.0.1/24") and
           contains("10.77.0.254/24")' <<<"$output"
    diff -u "$WORLD/before-host" <(snapshot host | sed 's/ linkdown//')
    conf=$(br_conflist force 1.0.0 berth '{"forceAddress": true}')
    brcni_ok berth ADD "$conf" c1
    ipn host -4 addr show dev cbr0 | grep -q "inet $CNI_GW/24"
    assert_no_match "$(ipn host -4 addr show dev cbr0)" "10\.77\.0\.254" "old bridge address"
    assert_ping c1 "$CNI_GW"
    brcni_ok berth DEL "$conf" c1
}
