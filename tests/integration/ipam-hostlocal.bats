#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Differential test of lib/ipam's lease store against Debian's reference
# host-local plugin (containernetworking-plugins 1.1.1): each reads what the
# other writes, and both choose the same next address. No network is touched:
# host-local only reads its config and writes files under its dataDir, here a
# temporary directory.
#
# Environment:
#   IPAM_TOOL   tests/integration/ipam-tool (default: build/tests/integration/ipam-tool)
#   HOST_LOCAL  the reference plugin (default: /usr/lib/cni/host-local)

TEST_DIR=$(cd "$(dirname "$BATS_TEST_FILENAME")" && pwd)
REPO_ROOT=$(cd "$TEST_DIR/../.." && pwd)
TOOL=${IPAM_TOOL:-$REPO_ROOT/build/tests/integration/ipam-tool}
HOST_LOCAL=${HOST_LOCAL:-/usr/lib/cni/host-local}
NET=ipamnet

setup() {
    [[ -x $HOST_LOCAL ]] || skip "reference host-local not installed ($HOST_LOCAL; scripts/deps.sh)"
    [[ -x $TOOL ]] || skip "ipam-tool not built ($TOOL)"
    command -v jq >/dev/null || skip "jq not installed"
    DATA=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-ipam-XXXXXX")
    STORE=$DATA/$NET
    # default ranges: one v4 set (a /29: .2-.6 usable), one v6 set
    V4=10.88.0.0/29
    V6=2001:db8:1::/64
}

teardown() {
    [[ -n ${DATA:-} && -d $DATA ]] && rm -rf -- "$DATA"
}

# conf [DATADIR]: the host-local config for the current $V4 / $V6 sets
conf() {
    local ranges='[[{"subnet":"'$V4'"}]'
    [[ -n $V6 ]] && ranges+=',[{"subnet":"'$V6'"}]'
    ranges+=']'
    printf '{"cniVersion":"1.0.0","name":"%s","ipam":{"type":"host-local","dataDir":"%s","ranges":%s}}' \
        "$NET" "${1:-$DATA}" "$ranges"
}

# ref CMD ID [IFNAME [DATADIR [CNI_ARGS]]]: run the reference plugin; $output is its JSON
ref() {
    run env -i PATH=/usr/bin:/bin CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_IFNAME="${3:-eth0}" \
        CNI_NETNS=/nonexistent CNI_PATH="$(dirname "$HOST_LOCAL")" CNI_ARGS="${5:-}" \
        "$HOST_LOCAL" < <(conf "${4:-}")
}

# ref_add ID [IFNAME]: the addresses the reference allocated, one per line
ref_add() {
    ref ADD "$@"
    [[ $status -eq 0 ]] || { echo "host-local ADD $*: $output" >&2; return 1; }
    REF_IPS=$(jq -r '.ips[].address' <<<"$output")
}

# berth_add ID [IFNAME [DATADIR]]: berth's allocation, one "address/prefix" per line
berth_add() {
    local sets=("$V4")
    [[ -n $V6 ]] && sets+=("$V6")
    run "$TOOL" "${3:-$DATA}" "$NET" alloc "$1" "${2:-eth0}" "${sets[@]}"
    [[ $status -eq 0 ]] || { echo "berth alloc $*: $output" >&2; return 1; }
    BERTH_IPS=$(cut -d' ' -f1 <<<"$output")
}

berth() {
    run "$TOOL" "$DATA" "$NET" "$@"
}

expect() {
    if [[ "$1" != "$2" ]]; then
        echo "expected: $2" >&2
        echo "got:      $1" >&2
        return 1
    fi
}

@test "berth reads the reference's leases and continues its round robin" {
    ref_add c1cid1385420766
    expect "$REF_IPS" $'10.88.0.2/29\n2001:db8:1::2/64'
    ref_add c2cid
    expect "$REF_IPS" $'10.88.0.3/29\n2001:db8:1::3/64'

    berth list
    [[ $status -eq 0 ]]
    expect "$(sort <<<"$output")" "$(printf '%s\n' \
        '10.88.0.2 c1cid1385420766 eth0' '10.88.0.3 c2cid eth0' \
        '2001:db8:1::2 c1cid1385420766 eth0' '2001:db8:1::3 c2cid eth0')"
    berth find c2cid eth0
    [[ $status -eq 0 ]]

    berth_add c3
    expect "$BERTH_IPS" $'10.88.0.4/29\n2001:db8:1::4/64'

    # the duplicate check sees the reference's lease
    run "$TOOL" "$DATA" "$NET" alloc c1cid1385420766 eth0 "$V4" "$V6"
    [[ $status -eq 2 ]]
    [[ $output == *"10.88.0.2 has been allocated to c1cid1385420766, duplicate allocation is not allowed"* ]]
}

@test "the reference reads berth's leases and continues berth's round robin" {
    berth_add b1
    expect "$BERTH_IPS" $'10.88.0.2/29\n2001:db8:1::2/64'
    # berth's bytes are the reference's format
    expect "$(od -An -c "$STORE/10.88.0.2" | tr -s ' ')" " b 1 \r \n e t h 0"
    expect "$(cat "$STORE/last_reserved_ip.0")" "10.88.0.2"

    ref_add r1
    expect "$REF_IPS" $'10.88.0.3/29\n2001:db8:1::3/64'

    # the reference's duplicate check sees berth's lease
    ref ADD b1
    [[ $status -ne 0 ]]
    [[ $output == *"has been allocated to b1, duplicate allocation is not allowed"* ]]
    # and its requested-IP check
    ref ADD r9 eth0 "" "IP=10.88.0.2"
    [[ $status -ne 0 ]]
    [[ $output == *"requested IP address 10.88.0.2 is not available in range set 10.88.0.1-10.88.0.6"* ]]
    run "$TOOL" --ip 10.88.0.3 "$DATA" "$NET" alloc b9 eth0 "$V4" "$V6"
    [[ $status -eq 2 ]]
    [[ $output == *"requested IP address 10.88.0.3 is not available in range set 10.88.0.1-10.88.0.6"* ]]
}

@test "release crosses over: each removes the other's leases" {
    ref_add r1
    berth_add b1
    berth release r1 eth0
    [[ $status -eq 0 && $output == 2 ]]
    [[ ! -e $STORE/10.88.0.2 && ! -e $STORE/2001:db8:1::2 ]]
    ref DEL b1
    [[ $status -eq 0 ]]
    [[ ! -e $STORE/10.88.0.3 && ! -e $STORE/2001:db8:1::3 ]]
    # idempotent on both sides
    berth release b1 eth0
    [[ $status -eq 0 && $output == 0 ]]
    ref DEL r1
    [[ $status -eq 0 ]]
    berth list
    [[ $status -eq 0 && -z $output ]]
}

@test "alternating allocations walk the range once, wrap, and run out together" {
    V6=
    local want=(10.88.0.2 10.88.0.3 10.88.0.4 10.88.0.5 10.88.0.6)
    for i in 0 1 2 3 4; do
        if ((i % 2 == 0)); then
            ref_add "c$i"
            expect "$REF_IPS" "${want[$i]}/29"
        else
            berth_add "c$i"
            expect "$BERTH_IPS" "${want[$i]}/29"
        fi
    done
    ref ADD full1
    [[ $status -ne 0 && $output == *"no IP addresses available in range set: 10.88.0.1-10.88.0.6"* ]]
    run "$TOOL" "$DATA" "$NET" alloc full2 eth0 "$V4"
    [[ $status -eq 2 && $output == *"no IP addresses available in range set: 10.88.0.1-10.88.0.6"* ]]

    # a freed address is found again after the wrap, by both
    ref DEL c1
    berth_add n1
    expect "$BERTH_IPS" "10.88.0.3/29"
    berth release c3 eth0
    ref_add n2
    expect "$REF_IPS" "10.88.0.5/29"
}

@test "the same operations give the same files with either implementation" {
    local A=$DATA/ref B=$DATA/berth
    mkdir -p "$A" "$B"
    # through the end of the /29 and around (f takes .2 again)
    local ops=("add a" "add b" "add c" "del b" "add d" "add e" "del a" "add f" "add g" "del d" "add h")
    for op in "${ops[@]}"; do
        set -- $op
        if [[ $1 == add ]]; then
            ref ADD "$2" eth0 "$A"
            [[ $status -eq 0 ]] || { echo "ref $op: $output" >&2; false; }
            berth_add "$2" eth0 "$B"
        else
            ref DEL "$2" eth0 "$A"
            [[ $status -eq 0 ]]
            run "$TOOL" "$B" "$NET" release "$2" eth0
            [[ $status -eq 0 ]]
        fi
    done
    # names and contents, lock excluded (modes differ: 0750 upstream, 0600 berth)
    dump() {
        (cd "$1/$NET" && for f in $(ls | grep -vx lock | sort); do printf '%s=' "$f"; od -An -c "$f" | tr -s ' \n' ' '; echo; done)
    }
    expect "$(dump "$B")" "$(dump "$A")"
}

@test "berth GC removes the reference's stale leases and keeps the valid ones" {
    ref_add keep1
    ref_add stale1
    berth_add stale2
    berth_add keep2 eth1
    berth gc keep1/eth0 keep2/eth1
    [[ $status -eq 0 && $output == 4 ]]
    berth list
    expect "$(sort <<<"$output")" "$(printf '%s\n' \
        '10.88.0.2 keep1 eth0' '10.88.0.5 keep2 eth1' \
        '2001:db8:1::2 keep1 eth0' '2001:db8:1::5 keep2 eth1')"
    [[ -e $STORE/lock && -e $STORE/last_reserved_ip.0 && -e $STORE/last_reserved_ip.1 ]]
    # the reference still works on the collected store, after berth's last reservation
    ref_add next
    expect "$REF_IPS" $'10.88.0.6/29\n2001:db8:1::6/64'
}

@test "the reference's legacy id-only leases are honoured" {
    V6=
    mkdir -p "$STORE"
    printf 'oldid' >"$STORE/10.88.0.2"
    berth list
    expect "$output" "10.88.0.2 oldid -"
    berth_add n1
    expect "$BERTH_IPS" "10.88.0.3/29"
    berth release oldid eth0
    [[ $output == 1 && ! -e $STORE/10.88.0.2 ]]
}

@test "pick-subnet follows Podman's default pools" {
    run "$TOOL" pick-subnet
    expect "$output" "10.89.0.0/24"
    run "$TOOL" pick-subnet 10.89.0.0/24 10.89.1.0/24 10.89.3.0/24
    expect "$output" "10.89.2.0/24"
    run "$TOOL" pick-subnet 10.89.0.0/16
    expect "$output" "10.90.0.0/24"
}

@test "v6 lease names are the reference's text form" {
    # two equal zero runs: the first is compressed (2001:db8::1:0:0:2)
    V4=10.88.0.0/24
    V6=2001:db8:0:0:1::/120
    ref_add r1
    expect "$REF_IPS" $'10.88.0.2/24\n2001:db8::1:0:0:2/120'
    berth_add b1
    expect "$BERTH_IPS" $'10.88.0.3/24\n2001:db8::1:0:0:3/120'
    [[ -e $STORE/2001:db8::1:0:0:2 && -e $STORE/2001:db8::1:0:0:3 ]]
    expect "$(cat "$STORE/last_reserved_ip.1")" "2001:db8::1:0:0:3"
    ref DEL b1
    [[ ! -e $STORE/2001:db8::1:0:0:3 ]]
}

@test "v6 subnets of IPv4-compatible addresses are refused (the reference makes them IPv4)" {
    V6=
    V4=::a00:0/120
    ref_add r1
    expect "$REF_IPS" "10.0.0.2/24"
    run "$TOOL" "$DATA" "$NET" alloc b1 eth0 "$V4"
    [[ $status -eq 2 && $output == *"IPv4-compatible or IPv4-mapped"* ]]
}
