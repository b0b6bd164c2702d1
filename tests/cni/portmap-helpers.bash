# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the portmap, firewall and nat tests: the integration world
# (tests/integration/helpers.bash: host + outside, one BERTH_RUN_DIR, berth-net
# runnable in it) plus container namespaces attached by a CNI chain whose
# bridge and host-local are Debian's (/usr/lib/cni) and whose meta plugins are
# berth's or Debian's:
#
#   outside  198.18.0.2 --- host 198.18.0.1 (vout), cnibr0 10.77.0.1/24
#                               |  bridge (Debian's plugin)
#                           c1 10.77.0.2, c2 10.77.0.3, ... (eth0)

CNI_HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=helpers.bash
source "$CNI_HELPERS_DIR/helpers.bash"
# shellcheck source=../integration/traffic-helpers.bash
source "$CNI_HELPERS_DIR/../integration/traffic-helpers.bash"

# pm_world_create [META...]: the world; META = berth plugins to put in front of
# Debian's bridge and host-local (default: portmap firewall nat).
pm_world_create() {
    [[ -x $REF_CNI_DIR/bridge && -x $REF_CNI_DIR/host-local ]] ||
        skip "Debian's bridge and host-local are needed ($REF_CNI_DIR)"
    world_create
    [[ -x $CNI_RUN ]] || { echo "runner not found: $CNI_RUN" >&2; return 1; }
    local p
    mkdir -p "$WORLD/pl-berth" "$WORLD/pl-ref"
    for p in bridge host-local portmap firewall; do
        ln -sf "$REF_CNI_DIR/$p" "$WORLD/pl-ref/$p"
    done
    ln -sf "$REF_CNI_DIR/bridge" "$WORLD/pl-berth/bridge"
    ln -sf "$REF_CNI_DIR/host-local" "$WORLD/pl-berth/host-local"
    for p in portmap firewall nat; do
        [[ -x $BERTH_CNI_DIR/$p ]] && ln -sf "$BERTH_CNI_DIR/$p" "$WORLD/pl-berth/$p"
    done
    return 0
}

# chain NAME VERSION [PLUGIN-JSON...]: a conflist bridge+host-local, then the
# plugins. CHAIN_BRIDGE / CHAIN_SUBNET override cnibr0 / 10.77.0.0/24.
chain() {
    local name=$1 v=$2 f="$WORLD/$1.conflist"
    shift 2
    local extra
    extra=$(printf '%s\n' "$@" | jq -sc .)
    jq -n --arg v "$v" --arg n "$name" --arg dd "$WORLD/ipam-$name" --argjson extra "$extra" \
        --arg br "${CHAIN_BRIDGE:-cnibr0}" --arg sn "${CHAIN_SUBNET:-10.77.0.0/24}" '{
        cniVersion: $v, name: $n,
        plugins: ([{type: "bridge", bridge: $br, isGateway: true,
                    ipam: {type: "host-local", subnet: $sn, dataDir: $dd,
                           routes: [{dst: "0.0.0.0/0"}]}}] + $extra) }' >"$f"
    echo "$f"
}

# serve_peer NAME PORT: a TCP server in NAME answering with the client's address
serve_peer() {
    bg "$1" socat TCP4-LISTEN:"$2",reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
    wait_for 50 0.1 _listening "$1" "$2"
}

# pcni IMPL VERB CONF CTR [cni-run options...]: the chain for container CTR
# (container id "id-CTR", ifname eth0) from the host namespace (bats `run`).
# PCNI_NETNS overrides the netns path (empty: none, as a DEL after the
# container's namespace is gone).
pcni() {
    local impl=$1 verb=$2 conf=$3 ctr=$4
    shift 4
    local netns=${PCNI_NETNS-/run/netns/$(ns_of "$ctr")}
    run --separate-stderr inns host "$CNI_RUN" --plugin-dir "$WORLD/pl-$impl" \
        --cache-dir "$WORLD/cache-$impl" "$@" "$verb" "$conf" "$netns" "id-$ctr" eth0
}

pcni_ok() {
    pcni "$@"
    if [[ $status -ne 0 ]]; then
        echo "pcni $* failed" >&2
        _show_run >&2
        return 1
    fi
}

# maps JSON: --cap-args with these portMappings
maps() { printf -- '--cap-args={"portMappings":%s}' "$1"; }

# ctr_ip CTR: the container's IPv4 address on eth0
ctr_ip() { ipn "$1" -4 -j addr show dev eth0 | jq -r '.[0].addr_info[0].local'; }

# pm_record ID: berth's state record of portmap attachment ID, or nothing
pm_record() { cat "$BERTH_RUN_DIR/state/cni-portmap/$1.json" 2>/dev/null || true; }

# gc_direct PLUGIN NETWORK ID/IFNAME...: GC (1.1.0) straight to berth's
# PLUGIN for NETWORK with these valid attachments (Debian's bridge knows no
# 1.1.0, so the chain cannot be GC'd through cni-run)
gc_direct() {
    local plugin=$1 net=$2 a valid='[]'
    shift 2
    for a in "$@"; do
        valid=$(jq -c --arg c "${a%/*}" --arg i "${a#*/}" '. + [{containerID: $c, ifname: $i}]' <<<"$valid")
    done
    run --separate-stderr inns host env CNI_COMMAND=GC CNI_PATH=/nonexistent "$BERTH_CNI_DIR/$plugin" \
        <<<"$(jq -nc --arg n "$net" --arg t "$plugin" --argjson v "$valid" \
            '{cniVersion: "1.1.0", name: $n, type: $t, "cni.dev/valid-attachments": $v}')"
    [[ $status -eq 0 ]] || { _show_run; return 1; }
}
