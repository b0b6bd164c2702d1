#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The engine's CNI backend (engine/backend-cni.c): networks labelled
# berth.backend=cni, run by the chain the engine derives (berth's plugins)
# or by a user's conflist (berth.cni.conflist, here Debian's reference
# plugins in /usr/lib/cni). Runs inside tests/engine/sandbox.sh, which
# exports BERTH and the BERTH_* directories and runs us in its "host" netns:
#
#   BERTH_BUILD=build tests/engine/sandbox.sh -- bats tests/engine/cni.bats

REF_CNI=/usr/lib/cni

# a busybox rootfs (every applet a symlink) with a page for httpd, as a tarball
make_busybox_tar() {
    local dir=$1 out=$2 a
    mkdir -p "$dir/bin" "$dir/var/www" "$dir/etc"
    cp /bin/busybox "$dir/bin/busybox"
    for a in $(/bin/busybox --list); do
        [[ $a == busybox ]] || ln -sf busybox "$dir/bin/$a"
    done
    echo "hello from cni" >"$dir/var/www/index.html"
    tar -C "$dir" -cf "$out" .
}

setup_file() {
    [[ -n ${SBX_DIR:-} && -x ${BERTH:-} ]] || return 0
    make_busybox_tar "$SBX_DIR/cni-rootfs" "$SBX_DIR/cni-busybox.tar"
    "$BERTH" image import --name busybox "$SBX_DIR/cni-busybox.tar" >/dev/null
}

setup() {
    [[ -n ${SBX_DIR:-} ]] || skip "run inside tests/engine/sandbox.sh"
    [[ -x ${BERTH:-} ]] || skip "no berth binary at ${BERTH:-?}"
    CTRS=()
    NETS=()
    CNI_OPT=()
}

# remove what a test made, also when it failed
teardown() {
    local x
    for x in "${CTRS[@]}"; do
        "$BERTH" "${CNI_OPT[@]}" rm -f "$x" >/dev/null 2>&1 || true
    done
    for x in "${NETS[@]}"; do
        "$BERTH" network rm -f "$x" >/dev/null 2>&1 || true
    done
}

# wget URL with a bounded number of tries (the server may still be starting)
wget_retry() {
    local i
    for i in $(seq 50); do
        if out=$(wget -T 2 -qO- "$1" 2>/dev/null); then
            echo "$out"
            return 0
        fi
        sleep 0.1
    done
    echo "no answer from $1" >&2
    return 1
}

# the same, from a throw-away container NAME on network NET (URLs with a
# port: the static busybox's wget crashes looking up "http" without
# /etc/services, and with -T); each try and the whole run are bounded
ctr_wget() {
    timeout 120 "$BERTH" "${CNI_OPT[@]}" run --rm --name "$1" --network "$2" busybox sh -c \
        "for i in \$(seq 50); do timeout 5 wget -qO- '$3' && exit 0; sleep 0.1; done; exit 1"
}

ctr_ip() {
    "$BERTH" inspect "$1" | jq -r ".[0].NetworkSettings.Networks[\"$2\"].IPAddress"
}

cache_file() {
    local id
    id=$("$BERTH" inspect "$1" | jq -r '.[0].Id')
    echo "$BERTH_ROOT/cni/results/$2-$id-eth0"
}

@test "derived chain: run, inspect, reach, stop leaves nothing, restart keeps the address, rm" {
    NETS+=(cninet)
    run "$BERTH" network create --label berth.backend=cni cninet
    [ "$status" -eq 0 ]
    CTRS+=(c1)
    run "$BERTH" run -d --name c1 --network cninet -p 8081:80 busybox httpd -f -p 80 -h /var/www
    echo "$output"
    [ "$status" -eq 0 ]

    ip=$(ctr_ip c1 cninet)
    subnet=$(jq -r '.subnets[0].subnet' "$BERTH_NETWORK_DIR/cninet.json")
    gw=$(jq -r '.subnets[0].gateway' "$BERTH_NETWORK_DIR/cninet.json")
    [[ $ip == "${subnet%.*/*}".2 ]]
    "$BERTH" inspect c1 | jq -e ".[0].NetworkSettings.Networks.cninet.Gateway == \"$gw\""
    "$BERTH" inspect c1 | jq -e '.[0].NetworkSettings.Networks.cninet.MacAddress | test("^[0-9a-f:]{17}$")'
    # the engine's lease and host-local's, for the same address
    [ -e "$BERTH_ROOT/ipam/cninet/$ip" ]
    [ -e "$BERTH_ROOT/cni/networks/cninet/$ip" ]

    # the cache: libcni's format, the derived chain in it
    cache=$(cache_file c1 cninet)
    jq -e '.kind == "cniCacheV1" and .ifName == "eth0" and .networkName == "cninet"' "$cache"
    jq -e ".result.ips[0].address == \"$ip/${subnet#*/}\"" "$cache"
    [ "$(jq -r .config "$cache" | base64 -d | jq -r '[.plugins[].type] | join(",")')" = \
        bridge,portmap,firewall,tuning,dnsname ]
    veth=$(jq -r '.result.interfaces[1].name' "$cache")
    ip link show "$veth" >/dev/null

    # /etc/hosts from the converted status
    id=$("$BERTH" inspect c1 | jq -r '.[0].Id')
    grep -q "^$ip[[:space:]]" "$BERTH_ROOT/containers/$id/userdata/hosts"
    grep -q "^nameserver $gw" "$BERTH_ROOT/containers/$id/userdata/resolv.conf"

    # from the host to the published port, from another container by address and by name
    [ "$(wget_retry "http://$SBX_HOST_IP4:8081/")" = "hello from cni" ]
    [ "$(wget_retry "http://127.0.0.1:8081/")" = "hello from cni" ]
    CTRS+=(w1 w2)
    run ctr_wget w1 cninet "http://$ip:80/"
    [ "$status" -eq 0 ]
    [[ $output == *"hello from cni"* ]]
    run ctr_wget w2 cninet "http://c1:80/"
    [ "$status" -eq 0 ]
    [[ $output == *"hello from cni"* ]]
    # the throw-away container left no cache behind
    [ "$(ls "$BERTH_ROOT/cni/results" | wc -l)" -eq 1 ]

    # stop: no veth, no host-local lease, no firewall element, no cache
    run "$BERTH" stop c1
    [ "$status" -eq 0 ]
    run ip link show "$veth"
    [ "$status" -ne 0 ]
    [ ! -e "$BERTH_ROOT/cni/networks/cninet/$ip" ]
    run nft list ruleset
    [[ $output != *"$ip"* ]]
    [[ $output != *8081* ]]
    [ ! -e "$cache" ]
    # the engine keeps its address until rm
    [ -e "$BERTH_ROOT/ipam/cninet/$ip" ]

    # restart: the same address, reachable again
    run "$BERTH" start c1
    [ "$status" -eq 0 ]
    [ "$(ctr_ip c1 cninet)" = "$ip" ]
    [ -e "$cache" ]
    [ "$(wget_retry "http://$SBX_HOST_IP4:8081/")" = "hello from cni" ]

    run "$BERTH" rm -f c1
    [ "$status" -eq 0 ]
    [ ! -e "$cache" ]
    [ ! -e "$BERTH_ROOT/ipam/cninet/$ip" ]
    [ ! -e "$BERTH_ROOT/cni/networks/cninet/$ip" ]
    run nft list ruleset
    [[ $output != *"$ip"* ]]
}

@test "a plugin failing in the middle of the chain: its CNI error, and nothing left" {
    cat >"$SBX_DIR/bad.conflist" <<'EOF'
{ "cniVersion": "1.0.0", "name": "badnet",
  "plugins": [
    { "type": "bridge", "bridge": "cnibad0", "isGateway": true, "ipMasq": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.98.0.0/24" }]],
                "dataDir": "DATADIR" } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall", "backend": "firewalld" },
    { "type": "tuning" } ] }
EOF
    sed -i "s|DATADIR|$SBX_DIR/cni-bad|" "$SBX_DIR/bad.conflist"
    NETS+=(badnet)
    run "$BERTH" network create --subnet 10.98.0.0/24 --label berth.backend=cni \
        --label "berth.cni.conflist=$SBX_DIR/bad.conflist" badnet
    [ "$status" -eq 0 ]
    CTRS+=(cbad)
    run "$BERTH" run -d --name cbad --network badnet -p 8082:80 busybox httpd -f -p 80
    echo "$output"
    [ "$status" -ne 0 ]
    [[ $output == *"CNI plugin firewall failed (code 2): unsupported field value: backend"* ]]
    # the DEL of the chain removed the veth, the lease and the port forward
    [ -z "$(ip -o link show type veth master cnibad0 2>/dev/null)" ]
    [ -z "$(ls -A "$SBX_DIR/cni-bad/badnet" 2>/dev/null | grep -v -e lock -e last_reserved)" ]
    run nft list ruleset
    [[ $output != *8082* ]]
    [ -z "$(ls -A "$BERTH_ROOT/cni/results" 2>/dev/null)" ]
}

@test "a user conflist with the reference plugins (bridge, host-local, portmap) gets the engine's address" {
    [[ -x $REF_CNI/bridge && -x $REF_CNI/host-local && -x $REF_CNI/portmap ]] ||
        skip "no reference CNI plugins in $REF_CNI"
    command -v iptables >/dev/null || skip "the reference plugins need iptables"
    cat >"$SBX_DIR/ref.conflist" <<'EOF'
{ "cniVersion": "1.0.0", "name": "refnet",
  "plugins": [
    { "type": "bridge", "bridge": "cniref0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.99.0.0/24", "gateway": "10.99.0.1" }]],
                "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "DATADIR" } },
    { "type": "portmap", "capabilities": { "portMappings": true } } ] }
EOF
    sed -i "s|DATADIR|$SBX_DIR/cni-ref|" "$SBX_DIR/ref.conflist"
    CNI_OPT=(--cni-plugin-dir "$REF_CNI")
    NETS+=(refnet)
    run "$BERTH" network create --subnet 10.99.0.0/24 --label berth.backend=cni \
        --label "berth.cni.conflist=$SBX_DIR/ref.conflist" refnet
    [ "$status" -eq 0 ]
    CTRS+=(r1)
    run "$BERTH" "${CNI_OPT[@]}" run -d --name r1 --network refnet:ip=10.99.0.50 -p 8083:80 \
        busybox httpd -f -p 80 -h /var/www
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(ctr_ip r1 refnet)" = 10.99.0.50 ]
    [ -e "$SBX_DIR/cni-ref/refnet/10.99.0.50" ]
    cache=$(cache_file r1 refnet)
    jq -e '.result.ips[0].address == "10.99.0.50/24"' "$cache"

    [ "$(wget_retry "http://$SBX_HOST_IP4:8083/")" = "hello from cni" ]
    CTRS+=(w3)
    run ctr_wget w3 refnet "http://10.99.0.50:80/"
    [ "$status" -eq 0 ]
    [[ $output == *"hello from cni"* ]]

    run "$BERTH" "${CNI_OPT[@]}" stop r1
    [ "$status" -eq 0 ]
    [ ! -e "$SBX_DIR/cni-ref/refnet/10.99.0.50" ]
    [ ! -e "$cache" ]
    run iptables-save
    [[ $output != *10.99.0.50* ]]
    [ -z "$(ip -o link show type veth master cniref0 2>/dev/null)" ]

    run "$BERTH" "${CNI_OPT[@]}" rm r1
    [ "$status" -eq 0 ]
    [ ! -e "$BERTH_ROOT/ipam/refnet/10.99.0.50" ]
}

@test "a CNI network refuses a conflist that is too big or has too many plugins" {
    head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$SBX_DIR/big.conflist"
    NETS+=(bignet)
    run "$BERTH" network create --label berth.backend=cni \
        --label "berth.cni.conflist=$SBX_DIR/big.conflist" bignet
    [ "$status" -eq 0 ]
    CTRS+=(cbig)
    run "$BERTH" run -d --name cbig --network bignet busybox true
    [ "$status" -ne 0 ]
    [[ $output == *"larger than 1048576 bytes"* ]]

    jq -n '{cniVersion: "1.0.0", name: "many", plugins: [range(33) | {type: "tuning"}]}' \
        >"$SBX_DIR/many.conflist"
    NETS+=(manynet)
    run "$BERTH" network create --label berth.backend=cni \
        --label "berth.cni.conflist=$SBX_DIR/many.conflist" manynet
    [ "$status" -eq 0 ]
    CTRS+=(cmany)
    run "$BERTH" run -d --name cmany --network manynet busybox true
    [ "$status" -ne 0 ]
    [[ $output == *"more than 32 plugins"* ]]
}
