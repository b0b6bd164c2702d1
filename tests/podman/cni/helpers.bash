# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the Podman CNI-backend tests (tests/podman/cni/*.bats). They run
# inside `tests/podman/sandbox.sh --backend cni --cni-dir DIR`: Podman 4.3.1
# with network_backend = "cni" and cni_plugin_dirs = [DIR], conflists in the
# sandbox's private /etc/cni/net.d. The Podman helpers (../helpers.bash) are
# loaded first.
#
# Environment from sandbox.sh, besides ../helpers.bash's: SBX_CNI_DIR (the
# plugin directory), SBX_CNI_CONTROL (1: Debian's /usr/lib/cni).

# shellcheck source=../helpers.bash
source "$(dirname "${BASH_SOURCE[0]}")/../helpers.bash"

if [[ $SBX_BACKEND != cni || -z ${SBX_CNI_DIR:-} ]]; then
    echo "not inside tests/podman/sandbox.sh --backend cni" >&2
    exit 1
fi

CNI_LEASES=/var/lib/cni/networks
CNI_CACHE=/var/lib/cni/results

# plugin_source TYPE: "berth" or "debian" (the directory's .sources, written
# by cni-plugin-dir.sh; a directory given as it is counts as its own name)
plugin_source() {
    if [[ -f $SBX_CNI_DIR/.sources ]]; then
        awk -v t="$1" '$1 == t { print $2 }' "$SBX_CNI_DIR/.sources"
    elif ((SBX_CNI_CONTROL)); then
        echo debian
    else
        echo "$SBX_CNI_DIR"
    fi
}

# fail MSG...: fail the test with a message
fail() {
    echo "FAIL: $*" >&2
    return 1
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
    [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

# assert_match ACTUAL GLOB WHAT
assert_match() {
    # shellcheck disable=SC2053
    [[ $1 == $2 ]] || fail "$3: '$1' does not match '$2'"
}

# assert_empty VALUE WHAT: VALUE must be empty (it is printed otherwise)
assert_empty() {
    [[ -z $1 ]] || fail "$2: expected nothing, found:"$'\n'"$1"
}

# assert_status N: bats `run`'s $status
assert_status() {
    [[ $status -eq $1 ]] || fail "exit status $status, expected $1; output: $output"
}

# out_tcp_get HOST PORT: tcp_get from the outside namespace
out_tcp_get() { outns bash -c "$(declare -f tcp_get); tcp_get $1 $2"; }

# retry_get SECONDS EXPECTED-GLOB CMD...: run CMD (a tcp_get-like command)
# until its output matches, bounded; leaves the last output in $output
retry_get() {
    local limit=$1 want=$2 i
    shift 2
    for ((i = 0; i < limit * 5; i++)); do
        # shellcheck disable=SC2053
        output=$("$@" 2>/dev/null) && [[ $output == $want ]] && return 0
        sleep 0.2
    done
    fail "after ${limit}s '$*' gave '$output', expected '$want'"
}

# host_veths: the veth links of the sandbox host other than the sandbox's own
host_veths() {
    ip -o link show type veth | awk -F': ' '{ print $2 }' | sed 's/@.*//' |
        grep -v -E '^(vout|sbxpar0|sbxpar1)$' || true
}

# leases NETWORK: host-local's lease files (addresses) of NETWORK
leases() {
    [[ -d $CNI_LEASES/$1 ]] || return 0
    find "$CNI_LEASES/$1" -mindepth 1 -maxdepth 1 ! -name lock ! -name 'last_reserved_ip.*' \
        -printf '%f\n'
}

# ruleset_mentions WORD...: the lines of the whole nftables ruleset (berth's
# table, and iptables-nft's tables of the reference plugins) that contain one
# of the words (addresses, ports, container ids)
ruleset_mentions() {
    local args=() w
    for w in "$@"; do args+=(-e "$w"); done
    nft list ruleset | grep -wF "${args[@]}" || true
}

# berth_elements: the elements of every set and map of berth's table (none
# when the table does not exist)
berth_elements() {
    nft -j list table inet berth 2>/dev/null |
        jq -c '.nftables[] | (.set // .map // empty) | select(.elem) | {name, elem}' || true
}

# cni_cache_of ID: libcni's cached results of container ID
cni_cache_of() {
    [[ -d $CNI_CACHE ]] || return 0
    find "$CNI_CACHE" -mindepth 1 -name "*$1*" -printf '%f\n'
}

# ctr_id NAME: the full container id
ctr_id() { pm inspect -f '{{.Id}}' "$1"; }

# nlines TEXT: the number of non-empty lines of TEXT
nlines() { grep -c . <<<"$1" || true; }

# dns_entries NAME NET: how many entries dnsname holds for container NAME on
# network NET: Debian's keeps a dnsmasq hosts file, berth's an aardvark-dns
# file for berth-dns (lib/dnsconf; under berth's run directory)
dns_entries() {
    local f
    if [[ $(plugin_source dnsname) == berth ]]; then
        f=/run/berth/cni/dns/aardvark-dns/$2
        [[ -f $f ]] || { echo 0; return; }
        # fields are separated by exactly one space (an empty IPv6 list is an empty field)
        awk -F'[ ]' -v n="$1" 'NR > 1 { split($4, names, ","); if (names[1] == n) c++ } END { print c + 0 }' "$f"
    else
        f=/run/containers/cni/dnsname/$2/addnhosts
        [[ -f $f ]] || { echo 0; return; }
        grep -c -P "\t$1(\t|\$)" "$f" || true
    fi
}
