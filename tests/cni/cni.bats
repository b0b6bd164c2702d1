#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The loopback+tuning chain through cni-run, with berth's plugins and with
# Debian's reference plugins (/usr/lib/cni, spec <= 1.0.0) as the control:
# same result shape, same effect in the namespace, DEL restores, CHECK sees
# changes made behind its back, DEL without a netns succeeds.

bats_require_minimum_version 1.5.0

load helpers

setup() { cni_world_create; }
teardown() { world_destroy; }

@test "ADD gives the same result shape as the reference, for every version both support" {
    require_ref
    for v in 0.3.0 0.3.1 0.4.0 1.0.0; do
        conf=$(conflist "v${v//./}" "$v")
        for impl in berth ref; do
            cni_ok "$impl" ADD "$conf"
            printf '%s' "$output" >"$WORLD/result-$impl-$v"
            cni_ok "$impl" DEL "$conf"
        done
        berth=$(cat "$WORLD/result-berth-$v")
        ref=$(cat "$WORLD/result-ref-$v")
        assert_eq "$(shape "$berth")" "$(shape "$ref")" "result shape at $v"
        # The values too (the sandbox path, the addresses of lo).
        assert_eq "$(jq -cS 'del(.dns)' <<<"$berth")" "$(jq -cS 'del(.dns)' <<<"$ref")" "result at $v"
    done
}

@test "0.2.0 results: ip4/ip6 instead of ips" {
    conf=$(conflist v020 0.2.0)
    cni_ok berth ADD "$conf"
    jq -e '.cniVersion == "0.2.0" and .ip4.ip == "127.0.0.1/8" and .ip6.ip == "::1/128" and
           .interfaces == null and .ips == null and .dns == {}' <<<"$output"
    cni_ok berth DEL "$conf"

    # Debian's loopback 1.1.1 labels an `ips`-shaped result 0.2.0 (so its own
    # tuning then finds no address); compare tuning alone, fed a 0.2.0 prevResult.
    require_ref
    in=$(jq -c --arg dd "$WORLD/tuning-v020" '.plugins[1] + {cniVersion: "0.2.0", name: "cnitest",
        dataDir: $dd, prevResult: {cniVersion: "0.2.0", ip4: {ip: "10.0.0.2/24", gateway: "10.0.0.1",
        routes: [{dst: "0.0.0.0/0"}]}, ip6: {ip: "fd00::2/64"}, dns: {}}}' "$conf")
    for impl in berth ref; do
        for verb in ADD DEL; do
            run --separate-stderr inns host env CNI_COMMAND=$verb CNI_CONTAINERID=cid1 \
                CNI_NETNS="$CTR_NETNS" CNI_IFNAME=eth0 CNI_PATH=/nonexistent \
                "$(plugin_dir "$impl")/tuning" <<<"$in"
            [[ $status -eq 0 ]] || { _show_run; false; }
            [[ $verb == DEL ]] || printf '%s' "$output" >"$WORLD/result-$impl"
        done
    done
    assert_eq "$(jq -cS . "$WORLD/result-berth")" "$(jq -cS . "$WORLD/result-ref")" "0.2.0 result"
}

@test "ADD has the same effect in the namespace as the reference" {
    require_ref
    conf=$(conflist same 1.0.0)
    before=$(link_state)
    cni_ok ref ADD "$conf"
    ref=$(link_state)
    cni_ok ref DEL "$conf"
    # Debian's tuning 1.1.1 does not restore sysctls: put them back by hand.
    inns ctr sysctl -qw net.ipv4.conf.eth0.arp_ignore="$(jq -r .arp_ignore <<<"$before")"
    inns ctr sysctl -qw net.core.somaxconn="$(jq -r .somaxconn <<<"$before")"
    assert_eq "$(link_state)" "$before" "state after the reference's DEL (sysctls restored by hand)"

    cni_ok berth ADD "$conf"
    berth=$(link_state)
    assert_eq "$berth" "$ref" "namespace after ADD"
    jq -e '.eth0.mtu == 1400 and .eth0.address == "c2:11:22:33:44:55" and .lo_up and
           .eth0.promiscuity == 1 and .eth0.flags == ["ALLMULTI", "PROMISC"] and
           .arp_ignore == "1" and .somaxconn == "512"' <<<"$berth"
}

@test "DEL restores the old values (berth: sysctls too)" {
    conf=$(conflist restore 1.0.0)
    before=$(link_state)
    cni_ok berth ADD "$conf"
    [[ $(link_state) != "$before" ]]
    ls "$WORLD/tuning-restore/cid1_eth0.json"
    cni_ok berth DEL "$conf"
    assert_eq "$output" "" "DEL output"
    assert_eq "$(link_state)" "$before" "namespace after DEL"
    [[ ! -e $WORLD/tuning-restore/cid1_eth0.json ]]
    # A second DEL is fine.
    cni_ok berth DEL "$conf"
}

@test "DEL restores the link attributes like the reference" {
    require_ref
    conf=$(conflist restore-ref 1.0.0)
    attrs() { link_state | jq -c '{eth0, lo_up}'; }
    before=$(attrs)
    for impl in ref berth; do
        cni_ok "$impl" ADD "$conf"
        cni_ok "$impl" DEL "$conf"
        # Loopback DEL sets lo down, as before the test.
        assert_eq "$(attrs)" "$before" "$impl: link attributes after DEL"
    done
}

@test "CHECK passes after ADD and fails once the state changed behind its back" {
    for impl in berth ref; do
        [[ $impl == ref ]] && ! ref_available && continue
        conf=$(conflist "check-$impl" 1.0.0)
        cni_ok "$impl" ADD "$conf"
        cni_ok "$impl" CHECK "$conf"

        ipn ctr link set eth0 mtu 1300
        cni "$impl" CHECK "$conf"
        cni_fails
        ipn ctr link set eth0 mtu 1400
        cni_ok "$impl" CHECK "$conf"

        inns ctr sysctl -qw net.core.somaxconn=100
        cni "$impl" CHECK "$conf"
        cni_fails
        inns ctr sysctl -qw net.core.somaxconn=512

        ipn ctr link set eth0 address c2:11:22:33:44:56
        cni "$impl" CHECK "$conf"
        cni_fails
        ipn ctr link set eth0 address c2:11:22:33:44:55

        ipn ctr link set eth0 promisc off
        cni "$impl" CHECK "$conf"
        cni_fails
        ipn ctr link set eth0 promisc on

        ipn ctr link set lo down
        cni "$impl" CHECK "$conf"
        cni_fails
        ipn ctr link set lo up
        cni_ok "$impl" CHECK "$conf"
        cni_ok "$impl" DEL "$conf"
    done
    # berth's codes: 103 for a value that differs.
    conf=$(conflist check-codes 1.0.0)
    cni_ok berth ADD "$conf"
    ipn ctr link set eth0 allmulticast off
    cni berth CHECK "$conf"
    cni_fails 103
    jq -e '.details | test("all-multicast")' <<<"$output"
    cni_ok berth DEL "$conf"
}

@test "CHECK is refused below 0.4.0 and needs the cached result" {
    conf=$(conflist old 0.3.1)
    cni_ok berth ADD "$conf"
    run --separate-stderr inns host "$CNI_RUN" --plugin-dir "$BERTH_CNI_DIR" \
        --cache-dir "$WORLD/cache-berth" CHECK "$conf" "$CTR_NETNS" cid1 eth0
    [[ $status -eq 1 ]]
    cni_ok berth DEL "$conf"

    # The plugin itself refuses CHECK at 0.3.1 with code 1, as the reference.
    for impl in berth ref; do
        [[ $impl == ref ]] && ! ref_available && continue
        run --separate-stderr inns host env CNI_COMMAND=CHECK CNI_CONTAINERID=cid1 \
            CNI_NETNS="$CTR_NETNS" CNI_IFNAME=eth0 CNI_PATH=/nonexistent \
            "$(plugin_dir "$impl")/loopback" <<<'{"cniVersion":"0.3.1","name":"n","type":"loopback"}'
        cni_fails 1
    done
}

@test "DEL with an empty CNI_NETNS succeeds (and berth forgets its saved state)" {
    for impl in berth ref; do
        [[ $impl == ref ]] && ! ref_available && continue
        conf=$(conflist "nonetns-$impl" 1.0.0)
        cni_ok "$impl" ADD "$conf"
        cni_ok "$impl" DEL "$conf" ""
        assert_eq "$output" "" "$impl: DEL output"
    done
    [[ ! -e $WORLD/tuning-nonetns-berth/cid1_eth0.json ]]
}

@test "DEL after the namespace is gone succeeds" {
    conf=$(conflist gone 1.0.0)
    cni_ok berth ADD "$conf"
    ip netns del "$(ns_of ctr)"
    cni_ok berth DEL "$conf"
    [[ ! -e $WORLD/tuning-gone/cid1_eth0.json ]]
}

@test "capitalised config keys are honoured, as by the Go plugins" {
    for impl in berth ref; do
        [[ $impl == ref ]] && ! ref_available && continue
        f="$WORLD/caps-$impl.conflist"
        jq -n --arg dd "$WORLD/tuning-caps-$impl" '{cniVersion: "1.0.0", name: "cnitest",
            plugins: [{type: "loopback"}, {Type: "tuning", type: "tuning", DataDir: $dd, MTU: 1380}]}' >"$f"
        cni_ok "$impl" ADD "$f"
        assert_eq "$(ipn ctr -j link show eth0 | jq '.[0].mtu')" 1380 "$impl: mtu"
        cni_ok "$impl" DEL "$f"
        assert_eq "$(ipn ctr -j link show eth0 | jq '.[0].mtu')" 1500 "$impl: mtu after DEL"
    done
}

@test "berth: txQLen, IFNAME in sysctl keys, CNI_ARGS MAC and args.cni" {
    f="$WORLD/extra.conflist"
    jq -n --arg dd "$WORLD/tuning-extra" '{cniVersion: "1.1.0", name: "cnitest",
        plugins: [{type: "loopback"},
                  {type: "tuning", dataDir: $dd, txQLen: 77,
                   sysctl: {"net.ipv4.conf.IFNAME.arp_ignore": "2"},
                   args: {cni: {mtu: 1350}}}]}' >"$f"
    before=$(link_state)
    cni_ok berth ADD "$f" "$CTR_NETNS" --args "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=c2:00:00:00:00:07"
    jq -e '.cniVersion == "1.1.0" and .interfaces[0].name == "lo"' <<<"$output"
    state=$(link_state)
    jq -e '.eth0.txqlen == 77 and .eth0.mtu == 1350 and .eth0.address == "c2:00:00:00:00:07" and
           .arp_ignore == "2"' <<<"$state"
    cni_ok berth CHECK "$f" "$CTR_NETNS" --args "IgnoreUnknown=1;MAC=c2:00:00:00:00:07"
    ipn ctr link set eth0 txqueuelen 100
    cni berth CHECK "$f" "$CTR_NETNS" --args "IgnoreUnknown=1;MAC=c2:00:00:00:00:07"
    cni_fails 103
    cni_ok berth DEL "$f" "$CTR_NETNS" --args "IgnoreUnknown=1"
    assert_eq "$(link_state)" "$before" "namespace after DEL"

    # Unknown CNI_ARGS without IgnoreUnknown are refused (code 4).
    cni berth ADD "$f" "$CTR_NETNS" --args "K8S_POD_NAME=p"
    cni_fails 4
}

@test "berth: the tuning state defaults to \$BERTH_RUN_DIR/cni/tuning" {
    f="$WORLD/rundir.conflist"
    jq -n '{cniVersion: "1.0.0", name: "cnitest", plugins: [{type: "loopback"}, {type: "tuning", mtu: 1420}]}' >"$f"
    cni_ok berth ADD "$f"
    jq -e '.mtu == 1500' "$WORLD/run/cni/tuning/cid1_eth0.json"
    cni_ok berth DEL "$f"
    [[ ! -e $WORLD/run/cni/tuning/cid1_eth0.json ]]
}

@test "berth: sysctls outside net/ and the allow-list are refused" {
    for key in kernel.hostname net.. net.ipv4.conf.eth0..forwarding; do
        f="$WORLD/bad.conflist"
        jq -n --arg k "$key" --arg dd "$WORLD/tuning-bad" '{cniVersion: "1.0.0", name: "cnitest",
            plugins: [{type: "loopback"}, {type: "tuning", dataDir: $dd, sysctl: {($k): "1"}}]}' >"$f"
        cni berth ADD "$f"
        cni_fails 7
        jq -e '.msg == "invalid net sysctl key"' <<<"$output"
    done
    echo '^net\.core\.' >"$WORLD/allowlist.conf"
    export BERTH_CNI_TUNING_ALLOWLIST="$WORLD/allowlist.conf"
    f=$(conflist allow 1.0.0)
    cni berth ADD "$f"
    cni_fails 7
    jq -e '.msg == "sysctl is not allowed" and (.details | test("arp_ignore"))' <<<"$output"
    echo '^net\.ipv4\.conf\.eth0\.arp_ignore$' >>"$WORLD/allowlist.conf"
    cni_ok berth ADD "$f"
    cni_ok berth DEL "$f"
}

@test "berth: GC and STATUS at 1.1.0 through the runner" {
    f="$WORLD/gc.conflist"
    jq -n --arg dd "$WORLD/tuning-gc" '{cniVersion: "1.1.0", name: "cnitest",
        plugins: [{type: "loopback"}, {type: "tuning", dataDir: $dd, mtu: 1410}]}' >"$f"
    cni_ok berth ADD "$f"
    ls "$WORLD/cache-berth/results/cnitest-cid1-eth0"
    cni_ok berth STATUS "$f"
    # Still valid: nothing happens.
    cni_ok berth GC "$f" "" --valid cid1/eth0
    assert_eq "$(ipn ctr -j link show eth0 | jq '.[0].mtu')" 1410 "mtu while valid"
    # No longer valid: the runner DELs it (restoring the MTU), then sends GC.
    cni_ok berth GC "$f" "" --valid other/eth0
    assert_eq "$(ipn ctr -j link show eth0 | jq '.[0].mtu')" 1500 "mtu after GC"
    [[ ! -e $WORLD/cache-berth/results/cnitest-cid1-eth0 ]]
}

@test "VERSION: berth supports 0.1.0 to 1.1.0, the reference up to 1.0.0" {
    f=$(conflist ver 1.0.0)
    cni_ok berth VERSION "$f"
    jq -e 'length == 2 and all(.[]; .supportedVersions[-1] == "1.1.0" and .cniVersion == "1.0.0")' <<<"$output"
    if ref_available; then
        cni_ok ref VERSION "$f"
        jq -e 'length == 2 and all(.[]; .supportedVersions | index("1.0.0") != null)' <<<"$output"
    fi
}

@test "berth's DEL restores what the reference's ADD saved (same dataDir, same file format)" {
    require_ref
    conf=$(conflist handover 1.0.0)
    attrs() { link_state | jq -c '.eth0'; }
    before=$(attrs)
    cni_ok ref ADD "$conf"
    ls "$WORLD/tuning-handover/cid1_eth0.json"
    cp -r "$WORLD/cache-ref" "$WORLD/cache-berth"
    cni_ok berth DEL "$conf"
    assert_eq "$(attrs)" "$before" "eth0 after berth's DEL of the reference's ADD"
    [[ ! -e $WORLD/tuning-handover/cid1_eth0.json ]]
}

@test "berth: tuning GC removes the saved state of attachments that are not valid" {
    f="$WORLD/gcstate.conflist"
    jq -n --arg dd "$WORLD/tuning-gcstate" '{cniVersion: "1.1.0", name: "cnitest",
        plugins: [{type: "loopback"}, {type: "tuning", dataDir: $dd, mtu: 1410}]}' >"$f"
    cni_ok berth ADD "$f"
    # State whose DEL was missed (the runner's cache does not know it).
    echo '{"mtu":1500}' >"$WORLD/tuning-gcstate/ghost_x_eth1.json"
    echo '{}' >"$WORLD/tuning-gcstate/.cid1_eth0.json.123.tmp"
    cni_ok berth GC "$f" "" --valid cid1/eth0 --valid other/eth0
    [[ -e $WORLD/tuning-gcstate/cid1_eth0.json ]]
    [[ ! -e $WORLD/tuning-gcstate/ghost_x_eth1.json ]]
    [[ -e $WORLD/tuning-gcstate/.cid1_eth0.json.123.tmp ]]
    # The valid attachment still tears down cleanly.
    cni_ok berth DEL "$f"
    assert_eq "$(ipn ctr -j link show eth0 | jq '.[0].mtu')" 1500 "mtu after DEL"
}
