#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# host-local on its own (as a single-plugin IPAM call, the way bridge
# delegates to it), berth's against Debian's: the same results and the same
# lease files for range sets, rangeStart/rangeEnd, gateway, requested
# addresses (CNI_ARGS IP, args.cni.ips, runtimeConfig.ips), runtimeConfig
# ipRanges and resolvConf; errors; GC (berth only).

bats_require_minimum_version 1.5.0

load helpers

setup() { cni_world_create; }
teardown() { world_destroy; }

# hl IMPL VERB ID CONFIG-JSON [ENV...]: run host-local directly
hl() {
    local impl=$1 verb=$2 id=$3 conf=$4
    shift 4
    run --separate-stderr inns host env CNI_COMMAND="$verb" CNI_CONTAINERID="$id" \
        CNI_NETNS="$CTR_NETNS" CNI_IFNAME=eth0 CNI_PATH="$(plugin_dir "$impl")" "$@" \
        "$(plugin_dir "$impl")/host-local" <<<"$conf"
}

hl_ok() {
    hl "$@"
    [[ $status -eq 0 ]] || { _show_run >&2; return 1; }
}

# hlconf IMPL VERSION IPAM-JSON [TOP-EXTRA]: a config whose leases go to $WORLD/hl-IMPL
hlconf() {
    jq -c --arg v "$2" --arg dd "$WORLD/hl-$1" --argjson ipam "$3" --argjson top "${4:-{\}}" -n \
        '{cniVersion: $v, name: "hlnet", type: "host-local-test",
          ipam: ({type: "host-local", dataDir: $dd} + $ipam)} + $top'
}

lease_dir() {
    local d="$WORLD/hl-$1/hlnet" f
    for f in "$d"/*; do
        [[ -f $f && ${f##*/} != lock ]] || continue
        printf '%s\t%s\n' "${f##*/}" "$(od -An -c "$f" | tr -s ' ' | tr -d '\n')"
    done | sort
}

@test "the same results and lease files as the reference" {
    require_ref
    printf 'nameserver 192.0.2.53\nsearch example.test\noptions ndots:2\ndomain example.test\n' \
        >"$WORLD/resolv.conf"
    ipam=$(jq -nc --arg rc "$WORLD/resolv.conf" '{
        ranges: [[{subnet: "10.10.0.0/16", rangeStart: "10.10.1.20", rangeEnd: "10.10.1.22",
                   gateway: "10.10.0.254"}, {subnet: "172.16.5.0/24"}],
                 [{subnet: "2001:db8:1::/64", rangeStart: "2001:db8:1::10", rangeEnd: "2001:db8:1::20"}]],
        routes: [{dst: "0.0.0.0/0"}, {dst: "192.168.0.0/16", gw: "10.10.5.1"}],
        resolvConf: $rc}')
    for v in 0.3.1 0.4.0 1.0.0; do
        for impl in berth ref; do
            rm -rf "$WORLD/hl-$impl"
            conf=$(hlconf "$impl" "$v" "$ipam")
            for id in a b c d; do
                hl_ok "$impl" ADD "$id" "$conf"
                printf '%s\n' "$output" >>"$WORLD/out-$impl-$v"
            done
            # a requested address (CNI_ARGS IP), then args.cni.ips, runtimeConfig.ips
            hl_ok "$impl" ADD e "$conf" CNI_ARGS="IP=172.16.5.77"
            printf '%s\n' "$output" >>"$WORLD/out-$impl-$v"
            c2=$(jq -c '.args = {cni: {ips: ["172.16.5.78/24", "2001:db8:1::15"]}}' <<<"$conf")
            hl_ok "$impl" ADD f "$c2"
            printf '%s\n' "$output" >>"$WORLD/out-$impl-$v"
            c3=$(jq -c '.runtimeConfig = {ips: ["172.16.5.79"]}' <<<"$conf")
            hl_ok "$impl" ADD g "$c3"
            printf '%s\n' "$output" >>"$WORLD/out-$impl-$v"
            lease_dir "$impl" >"$WORLD/leases-$impl-$v"
            hl_ok "$impl" DEL b "$conf"
            [[ $v == 0.3.1 ]] || hl_ok "$impl" CHECK a "$conf"
            lease_dir "$impl" >>"$WORLD/leases-$impl-$v"
        done
        assert_eq "$(jq -cS 'del(.dns) + {dns: (.dns // {})}' "$WORLD/out-berth-$v")" \
            "$(jq -cS 'del(.dns) + {dns: (.dns // {})}' "$WORLD/out-ref-$v")" "results at $v"
        assert_eq "$(cat "$WORLD/leases-berth-$v")" "$(cat "$WORLD/leases-ref-$v")" "leases at $v"
    done
}

@test "runtimeConfig.ipRanges is prepended; legacy subnet; errors as the reference" {
    require_ref
    for impl in berth ref; do
        conf=$(hlconf "$impl" 1.0.0 '{"subnet": "10.20.0.0/24", "rangeStart": "10.20.0.100"}' \
            '{"runtimeConfig": {"ipRanges": [[{"subnet": "10.30.0.0/24"}]]}}')
        hl_ok "$impl" ADD a "$conf"
        jq -c '[.ips[].address]' <<<"$output" >"$WORLD/rr-$impl"
        # taken requested address, the gateway, outside every range, too small, no ranges
        for bad in '{"subnet": "10.20.0.0/24"}|IP=10.20.0.1' \
            '{"subnet": "10.20.0.0/31"}|' '{}|' '{"subnet": "10.20.0.0/24"}|IP=10.99.0.1'; do
            c=$(hlconf "$impl" 1.0.0 "${bad%%|*}")
            args=${bad#*|}
            hl "$impl" ADD z "$c" CNI_ARGS="$args"
            [[ $status -ne 0 ]] || { echo "accepted: $bad" >&2; false; }
            jq -c .code <<<"$output" >>"$WORLD/codes-$impl"
        done
    done
    assert_eq "$(cat "$WORLD/rr-berth")" "$(cat "$WORLD/rr-ref")" "ipRanges first"
    assert_eq "$(cat "$WORLD/rr-berth")" '["10.30.0.2/24","10.20.0.100/24"]' "order"
}

@test "DEL is idempotent and works without a netns; CHECK fails without the lease" {
    conf=$(hlconf berth 1.0.0 '{"subnet": "10.20.0.0/24"}')
    hl_ok berth ADD a "$conf"
    hl_ok berth DEL a "$conf" CNI_NETNS=
    hl_ok berth DEL a "$conf" CNI_NETNS=
    hl berth CHECK a "$conf"
    cni_fails 103
}

@test "GC (1.1.0) removes every lease whose attachment is not valid" {
    conf=$(hlconf berth 1.1.0 '{"subnet": "10.20.0.0/24"}')
    for id in a b c; do hl_ok berth ADD "$id" "$conf"; done
    printf 'legacy' >"$WORLD/hl-berth/hlnet/10.20.0.50"
    gc=$(jq -c '. + {"cni.dev/valid-attachments": [{containerID: "b", ifname: "eth0"}]}' <<<"$conf")
    hl_ok berth GC "" "$gc" CNI_CONTAINERID= CNI_IFNAME= CNI_NETNS=
    assert_eq "$(lease_dir berth | grep -v last_reserved | cut -f1)" "10.20.0.3" "only b's lease left"
    [[ -e $WORLD/hl-berth/hlnet/lock && -e $WORLD/hl-berth/hlnet/last_reserved_ip.0 ]]
}
