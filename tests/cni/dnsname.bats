#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth's dnsname plugin after Debian's bridge + host-local (/usr/lib/cni),
# driving the built berth-dns, in namespaces of the test's own:
#
#   outside  198.18.0.2: a dnsmasq fake upstream (example.test = 192.0.2.7)
#      | veth
#   host     198.18.0.1 on vout; cni-run, the plugins and berth-dns run here;
#            the bridge plugin makes cnidns0 with the gateway 10.89.7.1
#   c1, c2   containers: eth0 made by the bridge plugin
#
# Names: c1/c2 (CNI_ARGS K8S_POD_NAME), aliases c1-alias/c2-alias
# (runtimeConfig.aliases, as Podman's CNI backend sends them).

bats_require_minimum_version 1.5.0

load helpers

NET=dnstest
GW=10.89.7.1

setup() {
    require_root
    [[ -x $REF_CNI_DIR/bridge && -x $REF_CNI_DIR/host-local ]] ||
        skip "reference bridge/host-local not installed in $REF_CNI_DIR"
    command -v dig >/dev/null || skip "dig not installed"
    DNS_BIN=${BERTH_DNS:-$REPO_ROOT/build/dns/berth-dns}
    [[ -x $DNS_BIN ]] || { echo "berth-dns not found: $DNS_BIN (build first)" >&2; return 1; }
    [[ -x $CNI_RUN && -x $BERTH_CNI_DIR/dnsname ]] || { echo "build first" >&2; return 1; }
    WORLD="$BATS_TEST_TMPDIR/world"
    WORLD_PREFIX=$(world_prefix)
    mkdir -p "$WORLD/run"
    : >"$WORLD/namespaces"
    : >"$WORLD/pids"
    _reap_stale
    _ns_add host
    _ns_add outside
    _ns_add c1
    _ns_add c2
    ipn host link add vout type veth peer name eth0 netns "$(ns_of outside)"
    ipn host addr add 198.18.0.1/24 dev vout
    ipn outside addr add 198.18.0.2/24 dev eth0
    ipn host link set vout up
    ipn outside link set eth0 up
    export BERTH_RUN_DIR="$WORLD/run"
    printf 'nameserver 198.18.0.2\n' >"$WORLD/resolv.conf"
    # berth-dns inherits the plugin's environment (test hook of berth-dns)
    export BERTH_DNS_RESOLV_CONF="$WORLD/resolv.conf"
    DNSDIR="$WORLD/run/cni/dns/aardvark-dns"
    CONF=$(dn_conflist "$DNS_BIN")
}

teardown() { world_destroy; }

# dn_conflist SERVER [DOMAIN]: bridge + host-local + dnsname at 1.0.0
dn_conflist() {
    local f="$WORLD/$NET-$(basename "$1")-${2:-dns.podman}.conflist"
    jq -n --arg net "$NET" --arg dd "$WORLD/ipam" --arg srv "$1" --arg dom "${2:-dns.podman}" '{
        cniVersion: "1.0.0", name: $net,
        plugins: [ {type: "bridge", bridge: "cnidns0", isGateway: true,
                    ipam: {type: "host-local", subnet: "10.89.7.0/24", dataDir: $dd}},
                   {type: "dnsname", domainName: $dom, dnsServerPath: $srv,
                    capabilities: {aliases: true}} ] }' >"$f"
    echo "$f"
}

# dn VERB CTR [CONF] [NETNS]: the chain for container CTR (id cid-CTR, eth0)
dn() {
    local verb=$1 ctr=$2 conf=${3:-$CONF}
    local netns=${4-/run/netns/$(ns_of "$ctr")}
    run --separate-stderr inns host "$CNI_RUN" --plugin-dir "$BERTH_CNI_DIR" \
        --plugin-dir "$REF_CNI_DIR" --cache-dir "$WORLD/cache" \
        --args "IgnoreUnknown=1;K8S_POD_NAME=$ctr" \
        --cap-args "{\"aliases\":{\"$NET\":[\"$ctr-alias\"]}}" \
        "$verb" "$conf" "$netns" "cid-$ctr" eth0
}

dn_ok() {
    dn "$@"
    if [[ $status -ne 0 ]]; then
        echo "dn $* failed" >&2
        _show_run >&2
        return 1
    fi
}

# ip4 CTR: eth0's IPv4 address
ip4() { ipn "$1" -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family == "inet") | .local'; }

# ans CTR NAME EXPECTED: one query from CTR to the gateway answers exactly EXPECTED
ans() { [[ $(inns "$1" dig +short +tries=1 +time=1 "@$GW" "$2" 2>&1) == "$3" ]]; }

# status_of CTR NAME: the status word of the answer (NOERROR, NXDOMAIN; timeout)
status_of() {
    local out
    out=$(inns "$1" dig +tries=1 +time=1 "@$GW" "$2" 2>&1)
    if [[ $out =~ status:\ ([A-Z]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo timeout; fi
}
status_is() { [[ $(status_of "$1" "$2") == "$3" ]]; }

server_pid() { cat "$DNSDIR/aardvark.pid" 2>/dev/null; }
pid_gone() { [[ ! -e /proc/$1 ]] || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
server_gone() {
    local pid
    pid=$(server_pid) && [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && return 1
    return 0
}

upstream_start() {
    command -v dnsmasq >/dev/null || skip "dnsmasq not installed"
    bg outside dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address=198.18.0.2 --pid-file= --user=root \
        --address=/example.test/192.0.2.7
    wait_for 50 0.1 _udp53 outside 198.18.0.2
}
_udp53() { inns "$1" ss -Hlun "sport = :53" | grep -qF "$2:53"; }

@test "two containers resolve each other's name and alias through the gateway" {
    dn_ok ADD c1
    r1=$output
    dn_ok ADD c2
    a1=$(ip4 c1)
    a2=$(ip4 c2)
    [[ -n $a1 && -n $a2 && $a1 != "$a2" ]]
    # the result: the gateway first in nameservers, domainName in search
    jq -e --arg gw "$GW" '.dns.nameservers[0] == $gw and .dns.search == ["dns.podman"]' <<<"$r1"
    # the file berth-dns reads
    grep -qx "$GW" "$DNSDIR/$NET"
    grep -qx "cid-c1-eth0 $a1  c1,c1-alias" "$DNSDIR/$NET"
    grep -qx "cid-c2-eth0 $a2  c2,c2-alias" "$DNSDIR/$NET"
    # the second ADD's SIGHUP is asynchronous: bounded retries
    wait_for 100 0.1 ans c1 c2 "$a2"
    wait_for 100 0.1 ans c1 c2-alias "$a2"
    wait_for 100 0.1 ans c2 c1 "$a1"
    wait_for 100 0.1 ans c2 c1-alias "$a1"
    wait_for 100 0.1 ans c2 c1.dns.podman "$a1"
    # the server runs in the runtime's (host) namespace, on the gateway
    pid=$(server_pid)
    ip netns pids "$(ns_of host)" | grep -qx "$pid"
    inns host ss -Hlun "sport = :53" | grep -qF "$GW:53"
    # CHECK passes while the entry is there
    dn_ok CHECK c1
}

@test "names outside the network are forwarded upstream" {
    upstream_start
    dn_ok ADD c1
    wait_for 100 0.1 ans c1 example.test 192.0.2.7
    wait_for 100 0.1 status_is c1 nosuch.dns.podman NXDOMAIN
}

@test "DEL removes the name (NXDOMAIN), twice is fine, the last DEL ends the server" {
    dn_ok ADD c1
    dn_ok ADD c2
    a2=$(ip4 c2)
    wait_for 100 0.1 ans c1 c2 "$a2"
    pid=$(server_pid)
    dn_ok DEL c2
    refute grep -q "cid-c2-eth0" "$DNSDIR/$NET"
    # a name under the search domain that berth-dns does not know is NXDOMAIN
    # (a bare unknown name is forwarded upstream, as in aardvark-dns)
    wait_for 100 0.1 status_is c1 c2.dns.podman NXDOMAIN
    wait_for 100 0.1 status_is c1 c2-alias.dns.podman NXDOMAIN
    status_is c1 c1.dns.podman NOERROR
    # DEL again, and DEL without a namespace: success
    dn_ok DEL c2
    dn_ok DEL c2 "$CONF" ""
    # CHECK sees that the entry is gone (dnsname alone: bridge's CHECK needs eth0)
    in=$(jq -c --arg net "$NET" '.plugins[1] + {cniVersion: "1.0.0", name: $net,
        prevResult: {cniVersion: "1.0.0", ips: [{address: "10.89.7.3/24", gateway: "10.89.7.1"}]}}' \
        "$CONF")
    run --separate-stderr inns host env CNI_COMMAND=CHECK CNI_CONTAINERID=cid-c2 \
        CNI_NETNS="/run/netns/$(ns_of c2)" CNI_IFNAME=eth0 CNI_ARGS="K8S_POD_NAME=c2" \
        "$BERTH_CNI_DIR/dnsname" <<<"$in"
    [[ $status -eq 1 ]]
    assert_eq "$(jq .code <<<"$output")" 103 "CHECK error code"
    # the last DEL: the file goes, the server exits
    dn_ok DEL c1
    [[ ! -e $DNSDIR/$NET ]]
    wait_for 50 0.1 server_gone
    # the process itself exits (a zombie waiting for its reaper counts as gone)
    wait_for 100 0.1 pid_gone "$pid"
    dn_ok DEL c1
}

@test "GC removes the entries of attachments that are not valid" {
    dn_ok ADD c1
    dn_ok ADD c2
    gc=$(jq -c --arg net "$NET" '.plugins[1] + {cniVersion: "1.1.0", name: $net,
        "cni.dev/valid-attachments": [{containerID: "cid-c1", ifname: "eth0"}]}' "$CONF")
    run --separate-stderr inns host env CNI_COMMAND=GC "$BERTH_CNI_DIR/dnsname" <<<"$gc"
    [[ $status -eq 0 ]] || { _show_run; false; }
    grep -q "^cid-c1-eth0 " "$DNSDIR/$NET"
    refute grep -q "^cid-c2-eth0 " "$DNSDIR/$NET"
    a1=$(ip4 c1)
    wait_for 100 0.1 status_is c1 c2.dns.podman NXDOMAIN
    wait_for 100 0.1 ans c2 c1 "$a1"
    # nothing valid: the file goes, the server ends
    gc=$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$gc")
    run --separate-stderr inns host env CNI_COMMAND=GC "$BERTH_CNI_DIR/dnsname" <<<"$gc"
    [[ $status -eq 0 ]] || { _show_run; false; }
    [[ ! -e $DNSDIR/$NET ]]
    wait_for 50 0.1 server_gone
}

@test "a DNS server that fails to start fails the ADD and leaves no entry" {
    bad=$(dn_conflist /bin/false)
    dn ADD c1 "$bad"
    [[ $status -eq 1 ]] || { _show_run; false; }
    assert_eq "$(jq .code <<<"$output")" 102 "error code"
    jq -e '.msg == "failed to start the DNS server"' <<<"$output"
    [[ ! -e $DNSDIR/$NET ]]
    [[ -z $(server_pid) ]]
    dn_ok DEL c1 "$bad"
    # the same container with a working server afterwards
    dn_ok ADD c1
    wait_for 100 0.1 ans c1 c1 "$(ip4 c1)"
}

@test "K8S_POD_NAME is required; ADD without prevResult is refused" {
    in=$(jq -c --arg net "$NET" '.plugins[1] + {cniVersion: "1.0.0", name: $net}' "$CONF")
    run --separate-stderr inns host env CNI_COMMAND=ADD CNI_CONTAINERID=cid-c1 \
        CNI_NETNS="/run/netns/$(ns_of c1)" CNI_IFNAME=eth0 CNI_ARGS="K8S_POD_NAME=c1" \
        "$BERTH_CNI_DIR/dnsname" <<<"$in"
    [[ $status -eq 1 ]]
    jq -e '.msg == "must be called as chained plugin"' <<<"$output"
    run --separate-stderr inns host env CNI_COMMAND=ADD CNI_CONTAINERID=cid-c1 \
        CNI_NETNS="/run/netns/$(ns_of c1)" CNI_IFNAME=eth0 "$BERTH_CNI_DIR/dnsname" <<<"$in"
    [[ $status -eq 1 ]]
    assert_eq "$(jq .code <<<"$output")" 4 "error code"
    [[ ! -e $DNSDIR ]]
}

@test "parallel ADDs: every entry written once, one server" {
    for c in c3 c4 c5 c6; do _ns_add "$c"; done
    for c in c1 c2 c3 c4 c5 c6; do
        inns host "$CNI_RUN" --plugin-dir "$BERTH_CNI_DIR" --plugin-dir "$REF_CNI_DIR" \
            --cache-dir "$WORLD/cache" --args "IgnoreUnknown=1;K8S_POD_NAME=$c" \
            ADD "$CONF" "/run/netns/$(ns_of "$c")" "cid-$c" eth0 \
            >"$WORLD/add-$c.out" 2>"$WORLD/add-$c.err" &
    done
    fails=0
    for job in $(jobs -p); do wait "$job" || fails=$((fails + 1)); done
    if ((fails)); then cat "$WORLD"/add-*.out "$WORLD"/add-*.err >&2; false; fi
    for c in c1 c2 c3 c4 c5 c6; do
        assert_eq "$(grep -c "^cid-$c-eth0 " "$DNSDIR/$NET")" 1 "entries of $c"
    done
    assert_eq "$(wc -l <"$DNSDIR/$NET")" 7 "header + 6 lines"
    # one berth-dns for the directory
    assert_eq "$(inns host ss -Hlunp "sport = :53" | grep -c "$GW:53")" 1 "udp listeners"
    wait_for 100 0.1 ans c1 c6 "$(ip4 c6)"
    wait_for 100 0.1 ans c6 c3 "$(ip4 c3)"
}

@test "0.4.0 and 0.3.1 configs: dns in the result, names resolve" {
    for v in 0.3.1 0.4.0; do
        conf="$WORLD/v$v.conflist"
        jq --arg v "$v" '.cniVersion = $v' "$CONF" >"$conf"
        dn_ok ADD c1 "$conf"
        jq -e --arg v "$v" --arg gw "$GW" '.cniVersion == $v and .ips[0].version == "4" and
            .dns.nameservers == [$gw] and .dns.search == ["dns.podman"]' <<<"$output"
        wait_for 100 0.1 ans c1 c1-alias "$(ip4 c1)"
        dn_ok DEL c1 "$conf"
        [[ ! -e $DNSDIR/$NET ]]
        wait_for 50 0.1 server_gone
    done
}

@test "STATUS (1.1.0): fails with 50 while the DNS server binary is missing" {
    in=$(jq -c --arg net "$NET" '.plugins[1] + {cniVersion: "1.1.0", name: $net}' "$CONF")
    run --separate-stderr inns host env CNI_COMMAND=STATUS "$BERTH_CNI_DIR/dnsname" <<<"$in"
    [[ $status -eq 0 && -z $output ]] || { _show_run; false; }
    in=$(jq -c '.dnsServerPath = "/nonexistent/berth-dns"' <<<"$in")
    run --separate-stderr inns host env CNI_COMMAND=STATUS "$BERTH_CNI_DIR/dnsname" <<<"$in"
    [[ $status -eq 1 ]]
    assert_eq "$(jq .code <<<"$output")" 50 "error code"
}

@test "names are answered under another domainName" {
    CONF=$(dn_conflist "$DNS_BIN" cluster.test)
    dn_ok ADD c1
    jq -e '.dns.search == ["cluster.test"]' <<<"$output"
    dn_ok ADD c2
    a1=$(ip4 c1)
    wait_for 100 0.1 ans c2 c1.cluster.test "$a1"
    wait_for 100 0.1 ans c2 c1 "$a1"
    dn_ok DEL c2
    dn_ok DEL c1
}
