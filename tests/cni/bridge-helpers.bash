# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the bridge + host-local tests. The world is berth-net's
# (tests/integration/helpers.bash world_create): host (the runtime's
# namespace, where cni-run and the plugins run, default routes to outside),
# outside (198.18.0.2, "the internet"), plus container namespaces c1, c2...
# The CNI network is 10.77.0.0/24 on bridge "cbr0", gateway 10.77.0.1,
# ipMasq, leases under $WORLD/ipam-<impl>.

# shellcheck source=helpers.bash
source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

CNI_SUBNET=10.77.0.0/24
CNI_GW=10.77.0.1

br_world_create() {
    world_create
    [[ -x $CNI_RUN ]] || { echo "runner not found: $CNI_RUN (build first)" >&2; return 1; }
    [[ -x $BERTH_CNI_DIR/bridge && -x $BERTH_CNI_DIR/host-local ]] ||
        { echo "plugins not found in $BERTH_CNI_DIR" >&2; return 1; }
}

ref_bridge_available() { [[ -x $REF_CNI_DIR/bridge && -x $REF_CNI_DIR/host-local ]]; }
require_ref_bridge() { ref_bridge_available || skip "reference plugins not installed in $REF_CNI_DIR"; }

# br_conflist NAME VERSION IMPL [EXTRA-BRIDGE-JSON] [EXTRA-IPAM-JSON]: bridge + host-local
br_conflist() {
    local f="$WORLD/$1.conflist"
    jq -n --arg v "$2" --arg dd "$WORLD/ipam-$3" --arg sn "$CNI_SUBNET" \
        --argjson extra "${4:-{\}}" --argjson iextra "${5:-{\}}" '{
        cniVersion: $v, name: "cnibr",
        plugins: [ ({type: "bridge", bridge: "cbr0", isGateway: true, ipMasq: true,
                     ipam: ({type: "host-local", dataDir: $dd, ranges: [[{subnet: $sn}]],
                             routes: [{dst: "0.0.0.0/0"}]} + $iextra)} + $extra) ] }' >"$f"
    echo "$f"
}

# brcni IMPL VERB CONFLIST CTR [ID] [cni-run options...]: run the chain for
# container CTR (its netns; "" = no netns) with id ID (default CTR) and eth0.
brcni() {
    local impl=$1 verb=$2 conf=$3 ctr=$4 id=${5:-$4} netns=""
    shift 4
    (($# > 0)) && shift
    [[ -n $ctr ]] && netns=/run/netns/$(ns_of "$ctr")
    [[ -n $ctr ]] || id=${id:-gone}
    local dirs=()
    if [[ $impl == ref ]]; then dirs=(--plugin-dir "$REF_CNI_DIR")
    else dirs=(--plugin-dir "$BERTH_CNI_DIR"); fi
    [[ -n ${EXTRA_PLUGIN_DIR:-} ]] && dirs=(--plugin-dir "$EXTRA_PLUGIN_DIR" "${dirs[@]}")
    run --separate-stderr inns host timeout 60 "$CNI_RUN" "${dirs[@]}" \
        --cache-dir "$WORLD/cache-$impl" "$@" "$verb" "$conf" "$netns" "$id" eth0
}

brcni_ok() {
    brcni "$@"
    if [[ $status -ne 0 ]]; then
        echo "brcni $* failed" >&2
        _show_run >&2
        return 1
    fi
}

# leases IMPL: the lease directory as "name<TAB>content" lines (lock and mode aside)
leases() {
    local d="$WORLD/ipam-$1/cnibr" f
    [[ -d $d ]] || return 0
    for f in "$d"/*; do
        [[ -f $f && ${f##*/} != lock ]] || continue
        printf '%s\t%s\n' "${f##*/}" "$(od -An -c "$f" | tr -s ' ' | tr -d '\n')"
    done | sort
}

# nat4_elems: the masquerade set of berth's table in host
nat4_elems() { inns host nft -j list set inet berth nat4 2>/dev/null | jq -c '[.nftables[].set.elem // empty] | flatten'; }

# addr_of CTR: the container's IPv4 address on eth0
addr_of() { ipn "$1" -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0].local'; }

# vlan_add_or_skip CONF CTR: ADD of a config that needs bridge VLAN filtering.
# Where the kernel lacks it, the ADD must fail with 101 and leave the host and
# the leases as they were; then the test is skipped with the reason.
vlan_add_or_skip() {
    _ns_add "$2"
    snapshot host >"$WORLD/before-host"
    brcni berth ADD "$1" "$2"
    if [[ $status -ne 0 ]]; then
        cni_fails 101
        assert_same_snapshot "$WORLD/before-host" host
        assert_eq "$(leases berth | grep -vc last_reserved || true)" "0" "lease released"
        skip "kernel without bridge VLAN filtering: $(jq -r .details <<<"$output")"
    fi
}
