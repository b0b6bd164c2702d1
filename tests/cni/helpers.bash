# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the CNI plugin tests. The world (namespaces named and cleaned as
# in tests/integration/helpers.bash, whose helpers are reused):
#
#   host   the runtime's namespace: cni-run and the plugins run here
#   ctr    the container: eth0 (a veth whose peer "vh0" is in host)
#
# Environment:
#   CNI_RUN        the runner (default build/tests/cni/cni-run)
#   BERTH_CNI_DIR  berth's plugins (default build/cni-plugins)
#   REF_CNI_DIR    Debian's reference plugins (default /usr/lib/cni)

CNI_HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/helpers.bash
source "$CNI_HELPERS_DIR/../integration/helpers.bash"

CNI_RUN=${CNI_RUN:-$REPO_ROOT/build/tests/cni/cni-run}
BERTH_CNI_DIR=${BERTH_CNI_DIR:-$REPO_ROOT/build/cni-plugins}
REF_CNI_DIR=${REF_CNI_DIR:-/usr/lib/cni}

# cni_world_create: host + ctr; call from setup().
cni_world_create() {
    require_root
    [[ -x $CNI_RUN ]] || { echo "runner not found: $CNI_RUN (build first)" >&2; return 1; }
    [[ -x $BERTH_CNI_DIR/tuning ]] || { echo "plugins not found in $BERTH_CNI_DIR" >&2; return 1; }
    WORLD="$BATS_TEST_TMPDIR/world"
    WORLD_PREFIX=$(world_prefix)
    mkdir -p "$WORLD/cache" "$WORLD/run"
    : >"$WORLD/namespaces"
    : >"$WORLD/pids"
    _reap_stale
    _ns_add host
    _ns_add ctr
    ipn ctr link set lo down
    ipn host link add vh0 type veth peer name eth0 netns "$(ns_of ctr)"
    CTR_NETNS=/run/netns/$(ns_of ctr)
    # berth's state dir, should a config not name one.
    export BERTH_RUN_DIR="$WORLD/run"
}

ref_available() { [[ -x $REF_CNI_DIR/loopback && -x $REF_CNI_DIR/tuning ]]; }
require_ref() { ref_available || skip "reference plugins not installed in $REF_CNI_DIR"; }

# plugin_dir berth|ref
plugin_dir() { if [[ $1 == ref ]]; then echo "$REF_CNI_DIR"; else echo "$BERTH_CNI_DIR"; fi; }

# cni IMPL VERB CONFLIST [NETNS] [cni-run options...]: run the chain from the
# host namespace (bats `run`, stdout and stderr apart). NETNS defaults to ctr's.
cni() {
    local impl=$1 verb=$2 conf=$3 netns=${4-$CTR_NETNS}
    shift 3
    (($# > 0)) && shift
    run --separate-stderr inns host "$CNI_RUN" --plugin-dir "$(plugin_dir "$impl")" \
        --cache-dir "$WORLD/cache-$impl" "$@" "$verb" "$conf" "$netns" cid1 eth0
}

cni_ok() {
    cni "$@"
    if [[ $status -ne 0 ]]; then
        echo "cni $* failed" >&2
        _show_run >&2
        return 1
    fi
}

# cni_fails CODE: the last cni call failed with a JSON error of that code (any when empty)
cni_fails() {
    if [[ $status -ne 1 ]]; then
        echo "expected failure" >&2
        _show_run >&2
        return 1
    fi
    jq -e 'type == "object" and (.code | type == "number") and (.msg | type == "string")' \
        <<<"$output" >/dev/null || { echo "no error object: $output" >&2; return 1; }
    if [[ -n ${1:-} ]]; then
        assert_eq "$(jq .code <<<"$output")" "$1" "error code"
    fi
}

# shape JSON: the keys and value types of a result (an empty dns counts as absent:
# Debian's tuning re-emits it as {}).
shape() {
    jq -cS 'def shape: if type == "object" then with_entries(.value |= shape)
                       elif type == "array" then map(shape) else type end;
            (if .dns == {} then del(.dns) else . end) | shape' <<<"$1"
}

# link_state: what the chain changes on ctr's eth0 and lo, as one JSON object.
link_state() {
    local eth lo
    eth=$(ipn ctr -d -j link show eth0 |
        jq -c '.[0] | {mtu, address, txqlen, promiscuity, allmulti,
                       flags: ([.flags[] | select(. == "PROMISC" or . == "ALLMULTI")] | sort)}')
    lo=$(ipn ctr -j link show lo | jq -c '.[0].flags | index("UP") != null')
    jq -cn --argjson e "$eth" --argjson l "$lo" \
        --arg arp "$(inns ctr sysctl -n net.ipv4.conf.eth0.arp_ignore)" \
        --arg som "$(inns ctr sysctl -n net.core.somaxconn)" \
        '{eth0: $e, lo_up: $l, arp_ignore: $arp, somaxconn: $som}'
}

# conflist NAME VERSION [EXTRA-TUNING-JSON]: write the loopback+tuning chain.
conflist() {
    local f="$WORLD/$1.conflist"
    jq -n --arg v "$2" --arg dd "$WORLD/tuning-$1" --argjson extra "${3:-{\}}" '{
        cniVersion: $v, name: "cnitest",
        plugins: [ {type: "loopback"},
                   ({type: "tuning", dataDir: $dd, mtu: 1400, mac: "c2:11:22:33:44:55",
                     promisc: true, allmulti: true,
                     sysctl: {"net.ipv4.conf.eth0.arp_ignore": "1", "net.core.somaxconn": "512"}}
                    + $extra) ] }' >"$f"
    echo "$f"
}
