#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth-net and the DNS server: the aardvark-dns config files it writes, and
# how it starts, reloads and stops the server (netavark-protocol.md §6, §7).
#
# The server is the real aardvark-dns (Debian 12: /usr/lib/podman/aardvark-dns
# 1.4.0), or berth-dns when BERTH_DNS=<path> is set. Either runs in the
# world's host namespace, on the gateways. teardown() kills it through its pid
# file (and world_destroy kills whatever is left in our namespaces).
#
#   BERTH_NET=... bats dns-netavark.bats                       berth-net + aardvark-dns
#   BERTH_DNS=build/dns/berth-dns BERTH_NET=... bats ...       berth-net + berth-dns
#   NETAVARK_BIN=/usr/lib/podman/netavark bats ...             the control

load helpers

AARDVARK_DEFAULT=/usr/lib/podman/aardvark-dns

setup() {
    world_create
    DNS_BIN=${BERTH_DNS:-$AARDVARK_DEFAULT}
    [[ -x $DNS_BIN ]] || skip "no DNS server binary at $DNS_BIN"
    ADV_BIN=$DNS_BIN
    ADV_DIR=$NET_CONFIG/aardvark-dns
    net_new dnsnet podman1 10.89.0.0/24
    net_set dnsnet '.dns_enabled = true'
}

teardown() {
    kill_dns_server
    world_destroy
}

# ---------------------------------------------------------------------------
# helpers

# dns_exec ARGS...: like net_exec, with --aardvark-binary=$ADV_BIN. bats'
# fd 3 is closed, so that a daemon started underneath cannot hold bats up.
dns_exec() {
    local host
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    status=0
    ip netns exec "$host" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus \
        timeout 60 "$(net_bin)" --config "$NET_CONFIG" --rootless=false \
        --aardvark-binary="$ADV_BIN" "$@" \
        >"$WORLD/stdout" 2>"$WORLD/stderr" 3>&- </dev/null || status=$?
    output=$(cat "$WORLD/stdout")
    stderr=$(cat "$WORLD/stderr")
    return 0
}

dns_setup() {
    local host
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    status=0
    ip netns exec "$host" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus \
        timeout 60 "$(net_bin)" --config "$NET_CONFIG" --rootless=false \
        --aardvark-binary="$ADV_BIN" setup "/run/netns/$(ns_of "$1")" \
        <"$WORLD/ctrs/$1.json" >"$WORLD/stdout" 2>"$WORLD/stderr" 3>&- || status=$?
    output=$(cat "$WORLD/stdout")
    stderr=$(cat "$WORLD/stderr")
    return 0
}

dns_teardown() {
    local host
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    status=0
    ip netns exec "$host" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus \
        timeout 60 "$(net_bin)" --config "$NET_CONFIG" --rootless=false \
        --aardvark-binary="$ADV_BIN" teardown "/run/netns/$(ns_of "$1")" \
        <"$WORLD/ctrs/$1.json" >"$WORLD/stdout" 2>"$WORLD/stderr" 3>&- || status=$?
    output=$(cat "$WORLD/stdout")
    stderr=$(cat "$WORLD/stderr")
    return 0
}

dns_setup_ok() { dns_setup "$1" && assert_ok; }
dns_teardown_ok() {
    dns_teardown "$1" && assert_ok || return 1
    if [[ -n $output ]]; then
        echo "teardown printed something on stdout: $output" >&2
        return 1
    fi
}

# server_pid: the pid in the pid file (empty when there is none)
server_pid() { cat "$ADV_DIR/aardvark.pid" 2>/dev/null || true; }

# our_server PID: PID is alive and its --config is this world's directory
our_server() {
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$ADV_DIR"
}

server_gone() { ! our_server "$1"; }

# kill_dns_server: the server of this world, read from its pid file
kill_dns_server() {
    [[ -n ${ADV_DIR:-} ]] || return 0
    local pid
    pid=$(server_pid)
    our_server "$pid" || return 0
    kill "$pid" 2>/dev/null || true
    wait_for 20 0.1 server_gone "$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
}

# ctr_id CTR / ctr_short CTR: the container id, full and the 12-char alias
ctr_id() { jq -r .container_id "$WORLD/ctrs/$1.json"; }
ctr_short() { ctr_id "$1" | cut -c1-12; }

# dig_from CTR SERVER NAME [TYPE]: the answers (+short), bounded in time
dig_from() {
    inns "$1" timeout 10 dig +short +time=1 +tries=2 @"$2" "$3" "${4:-A}" 2>/dev/null || true
}

_resolves_to() { [[ $(dig_from "$1" "$2" "$3" "$5") == "$4" ]]; }

# assert_resolves CTR SERVER NAME EXPECTED [TYPE]: within a few seconds
# (the server reloads asynchronously after a SIGHUP)
assert_resolves() {
    wait_for 30 0.2 _resolves_to "$1" "$2" "$3" "$4" "${5:-A}" 2>/dev/null || {
        echo "$1: dig @$2 $3 ${5:-A} gave '$(dig_from "$1" "$2" "$3" "${5:-A}")', expected '$4'" >&2
        return 1
    }
}

# assert_file NAME EXPECTED: the aardvark file's exact content
assert_file() {
    local f=$ADV_DIR/$1
    if [[ ! -f $f ]]; then
        echo "no aardvark file $f; directory has: $(ls -A "$ADV_DIR" 2>&1)" >&2
        return 1
    fi
    assert_eq "$(cat "$f"; echo x)" "$(printf '%s' "$2"; echo x)" "content of $1"
}

assert_no_file() {
    if [[ -e $ADV_DIR/$1 ]]; then
        echo "$ADV_DIR/$1 still exists:" >&2
        cat "$ADV_DIR/$1" >&2
        return 1
    fi
}

# a fake server that fails: FAIL_MSG on stderr (may be empty), exit 1
fake_failing_server() {
    ADV_BIN=$WORLD/failing-aardvark-dns
    printf '#!/bin/sh\nprintf "%%s" "%s" >&2\nexit 1\n' "$1" >"$ADV_BIN"
    chmod 755 "$ADV_BIN"
}

# an upstream DNS server in the outside ns: upstream.test -> 192.0.2.7
start_upstream() {
    command -v dnsmasq >/dev/null || skip "dnsmasq not installed"
    bg outside dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address="$OUT_IP4" --listen-address="$OUT_IP6" \
        --address=/upstream.test/192.0.2.7 --user=root --pid-file= \
        --log-facility="$WORLD/dnsmasq.log"
    wait_for 50 0.1 _udp_bound53 outside
}
_udp_bound53() { inns "$1" ss -Hlun "sport = :53" | grep -q .; }

two_containers() {
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    ctr_set c1 '.networks.dnsnet.aliases += ["web"]'
    ctr_new c2
    ctr_join c2 dnsnet eth0 10.89.0.3
    ctr_set c2 '.networks.dnsnet.aliases += ["db"]'
}

# ---------------------------------------------------------------------------
# the files

@test "aardvark file: header, one line per container, as netavark writes them" {
    two_containers
    dns_setup_ok c1
    jq_ok '.dnsnet.dns_server_ips == ["10.89.0.1"] and .dnsnet.dns_search_domains == ["dns.podman"]'
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1),web
"
    dns_setup_ok c2
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1),web
$(ctr_id c2) 10.89.0.3  c2,$(ctr_short c2),db
"
    # nothing else in the directory but the pid file
    assert_eq "$(ls -A "$ADV_DIR" | sort | tr '\n' ' ')" "aardvark.pid dnsnet " "directory"
    dns_teardown_ok c2
    dns_teardown_ok c1
}

@test "aardvark file: dual stack, network and container dns servers" {
    net_new dual podman2 10.89.1.0/24 fd10:89:1::/64
    net_set dual '.dns_enabled = true | .network_dns_servers = ["192.0.2.53"]'
    ctr_new c1
    ctr_join c1 dual eth0 10.89.1.2 fd10:89:1::2
    ctr_set c1 '.networks.dual.aliases += ["www"] | .dns_servers = ["192.0.2.54", "2001:db8::54"]'
    dns_setup_ok c1
    jq_ok '.dual.dns_server_ips == ["10.89.1.1", "fd10:89:1::1"] and .dual.dns_search_domains == ["dns.podman"]'
    assert_file dual "10.89.1.1,fd10:89:1::1 192.0.2.53
$(ctr_id c1) 10.89.1.2 fd10:89:1::2 c1,$(ctr_short c1),www 192.0.2.54,2001:db8::54
"
    dns_teardown_ok c1
}

@test "aardvark file: an internal network's file is <name>%int" {
    berth_only "1.4 names the file without %int (1.11+)"
    net_set dnsnet '.internal = true'
    two_containers
    dns_setup_ok c1
    dns_setup_ok c2
    assert_no_file dnsnet
    assert_file 'dnsnet%int' "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1),web
$(ctr_id c2) 10.89.0.3  c2,$(ctr_short c2),db
"
    assert_resolves c1 10.89.0.1 db 10.89.0.3
    dns_teardown_ok c2
    dns_teardown_ok c1
    assert_no_file 'dnsnet%int'
}

@test "two networks: one file each; a container on both is in both" {
    net_new other podman2 10.89.2.0/24
    net_set other '.dns_enabled = true'
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    ctr_join c1 other eth1 10.89.2.2
    dns_setup_ok c1
    jq_ok '.dnsnet.dns_server_ips == ["10.89.0.1"] and .other.dns_server_ips == ["10.89.2.1"]'
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1)
"
    assert_file other "10.89.2.1
$(ctr_id c1) 10.89.2.2  c1,$(ctr_short c1)
"
    dns_teardown_ok c1
    assert_no_file dnsnet
    assert_no_file other
}

# ---------------------------------------------------------------------------
# the server

@test "the server is started as '<binary> --config <dir>/aardvark-dns -p 53 run'" {
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup_ok c1
    local pid
    pid=$(server_pid)
    assert_match "$pid" '^[0-9]+$' "pid file content"
    our_server "$pid"
    assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$ADV_BIN --config $ADV_DIR -p 53 run " "argv"
    # it runs in the host namespace of the world, listening on the gateway
    wait_for 50 0.1 _udp_bound53 host
    assert_match "$(inns host ss -Hlun 'sport = :53')" '10\.89\.0\.1:53'
    dns_teardown_ok c1
}

@test "two containers resolve each other by name and alias" {
    two_containers
    dns_setup_ok c1
    dns_setup_ok c2
    assert_resolves c1 10.89.0.1 c2 10.89.0.3
    assert_resolves c1 10.89.0.1 db 10.89.0.3
    assert_resolves c2 10.89.0.1 c1 10.89.0.2
    assert_resolves c2 10.89.0.1 web 10.89.0.2
    assert_resolves c2 10.89.0.1 "$(ctr_short c1)" 10.89.0.2
    assert_resolves c2 10.89.0.1 web.dns.podman 10.89.0.2
    dns_teardown_ok c2
    dns_teardown_ok c1
}

@test "dual stack: A and AAAA, asked over IPv4 and IPv6" {
    net_new dual podman2 10.89.1.0/24 fd10:89:1::/64
    net_set dual '.dns_enabled = true'
    ctr_new c1
    ctr_join c1 dual eth0 10.89.1.2 fd10:89:1::2
    ctr_new c2
    ctr_join c2 dual eth0 10.89.1.3 fd10:89:1::3
    dns_setup_ok c1
    dns_setup_ok c2
    assert_resolves c1 10.89.1.1 c2 10.89.1.3
    assert_resolves c1 10.89.1.1 c2 fd10:89:1::3 AAAA
    assert_resolves c1 fd10:89:1::1 c2 10.89.1.3
    dns_teardown_ok c2
    dns_teardown_ok c1
}

@test "a second setup sends SIGHUP to the running server (same pid), which then knows it" {
    two_containers
    dns_setup_ok c1
    local pid
    pid=$(server_pid)
    our_server "$pid"
    dns_setup_ok c2
    assert_eq "$(server_pid)" "$pid" "server pid after the second setup"
    our_server "$pid"
    assert_resolves c1 10.89.0.1 c2 10.89.0.3
    dns_teardown_ok c2
    dns_teardown_ok c1
}

@test "teardown removes the lines; the last one makes the server exit" {
    two_containers
    dns_setup_ok c1
    dns_setup_ok c2
    local pid
    pid=$(server_pid)
    dns_teardown_ok c2
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1),web
"
    assert_eq "$(server_pid)" "$pid" "server pid after the first teardown"
    our_server "$pid"
    dns_teardown_ok c1
    assert_no_file dnsnet
    wait_for 50 0.1 server_gone "$pid"
    wait_for 50 0.1 test ! -e "$ADV_DIR/aardvark.pid"
    # teardown is idempotent: no entries, no pid file, no server
    # (netavark 1.4 is not: its second teardown fails)
    is_control || dns_teardown_ok c1
}

@test "the server is started again after it exited" {
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup_ok c1
    local pid
    pid=$(server_pid)
    dns_teardown_ok c1
    wait_for 50 0.1 server_gone "$pid"
    dns_setup_ok c1
    our_server "$(server_pid)"
    assert_resolves c1 10.89.0.1 c1 10.89.0.2
    dns_teardown_ok c1
}

@test "NETAVARK_DNS_PORT=1053: the server listens on 1053, containers still ask gateway:53" {
    two_containers
    NETAVARK_DNS_PORT=1053 dns_setup_ok c1
    NETAVARK_DNS_PORT=1053 dns_setup_ok c2
    local pid
    pid=$(server_pid)
    our_server "$pid"
    assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$ADV_BIN --config $ADV_DIR -p 1053 run " "argv"
    assert_resolves c1 10.89.0.1 c2 10.89.0.3
    if ! is_control; then
        assert_eq "$(berth_map_elems host pf4_addr)" "$(printf '%s\n' \
            '10.89.0.1 . tcp . 53 : 10.89.0.1 . 1053' '10.89.0.1 . udp . 53 : 10.89.0.1 . 1053')" "pf4_addr"
    fi
    NETAVARK_DNS_PORT=1053 dns_teardown_ok c2
    NETAVARK_DNS_PORT=1053 dns_teardown_ok c1
    if ! is_control; then
        assert_eq "$(berth_map_elems host pf4_addr)" "" "pf4_addr after the last teardown"
    fi
}

# ---------------------------------------------------------------------------
# update

@test "update rewrites line 1 and reloads the server, which forwards to the new servers" {
    start_upstream
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup_ok c1
    local pid
    pid=$(server_pid)
    dns_exec update dnsnet --network-dns-servers "$OUT_IP4,$OUT_IP6"
    assert_ok
    assert_eq "$output" "" "stdout of update"
    assert_file dnsnet "10.89.0.1 $OUT_IP4,$OUT_IP6
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1)
"
    assert_eq "$(server_pid)" "$pid" "server pid after update"
    # the reload is what makes the server use the new upstream
    assert_resolves c1 10.89.0.1 upstream.test 192.0.2.7
    dns_teardown_ok c1
}

@test "update \"\" clears the servers (2.x)" {
    berth_only "1.4 rejects an empty value"
    net_set dnsnet '.network_dns_servers = ["192.0.2.53"]'
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup_ok c1
    assert_eq "$(head -n1 "$ADV_DIR/dnsnet")" "10.89.0.1 192.0.2.53" "line 1 before"
    dns_exec update dnsnet --network-dns-servers ""
    assert_ok
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1)
"
    dns_teardown_ok c1
}

@test "update of an internal network rewrites <name>%int" {
    berth_only "1.4 has no %int files"
    net_set dnsnet '.internal = true'
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup_ok c1
    dns_exec update dnsnet --network-dns-servers 192.0.2.53
    assert_ok
    assert_eq "$(head -n1 "$ADV_DIR/dnsnet%int")" "10.89.0.1 192.0.2.53" "line 1"
    dns_teardown_ok c1
}

@test "update: an invalid address is a usage error naming it" {
    berth_only "clap's message differs"
    dns_exec update dnsnet --network-dns-servers 192.0.2.53,nonsense
    assert_usage_error
    assert_match "$stderr" "'nonsense'"
}

@test "update without the binary or without the network's file: nothing to do (2.x)" {
    berth_only "1.4 fails when the file is missing"
    dns_exec update dnsnet --network-dns-servers 192.0.2.53
    assert_ok
    ADV_BIN=$WORLD/no-aardvark-dns
    dns_exec update dnsnet --network-dns-servers 192.0.2.53
    assert_ok
    assert_no_file dnsnet
}

# ---------------------------------------------------------------------------
# no server, failing server, refused configurations

@test "aardvark binary missing: setup succeeds, the StatusBlock names the gateways, no files" {
    ADV_BIN=$WORLD/no-aardvark-dns
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup_ok c1
    jq_ok '.dnsnet.dns_server_ips == ["10.89.0.1"] and .dnsnet.dns_search_domains == ["dns.podman"]'
    assert_no_file dnsnet
    assert_no_file aardvark.pid
    dns_teardown_ok c1
}

@test "a server that fails to start: setup fails with its stderr and leaves nothing behind" {
    berth_only "1.4 ignores the exit status of 'aardvark-dns run' (observed: setup succeeds)"
    fake_failing_server boom
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    snapshot host >"$WORLD/host.before"
    dns_setup c1
    assert_json_error "error while applying dns entries: aardvark-dns failed to start: boom"
    assert_eq "$(jq -r .error <<<"$output")" \
        "error while applying dns entries: aardvark-dns failed to start: boom" "message"
    assert_no_file dnsnet
    assert_no_link host podman1
    assert_eq "$(berth_table host)" "" "berth table"
    assert_same_snapshot "$WORLD/host.before" host
    # and a teardown afterwards is fine
    dns_teardown_ok c1
}

@test "a server that fails silently: 'exited unexpectedly without error message'" {
    berth_only "1.4 ignores the exit status of 'aardvark-dns run' (observed: setup succeeds)"
    fake_failing_server ""
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    dns_setup c1
    assert_json_error "error while applying dns entries: aardvark-dns exited unexpectedly without error message"
    assert_no_file dnsnet
    assert_no_link host podman1
}

@test "a failing server does not remove the entries of other containers" {
    berth_only "1.4 does not roll back"
    two_containers
    dns_setup_ok c1
    local pid
    pid=$(server_pid)
    # kill the server, so that the next setup has to start one
    kill_dns_server
    wait_for 50 0.1 server_gone "$pid"
    fake_failing_server boom
    dns_setup c2
    assert_json_error "aardvark-dns failed to start: boom"
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1),web
"
    link_exists host podman1
    ADV_BIN=$DNS_BIN
    dns_teardown_ok c1
}

@test "a dns server equal to the gateway is refused (DNS loop)" {
    berth_only "1.4 does not check"
    net_set dnsnet '.network_dns_servers = ["10.89.0.1"]'
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2
    snapshot host >"$WORLD/host.before"
    dns_setup c1
    assert_json_error "would cause aardvark-dns to forward queries to itself"
    assert_no_file dnsnet
    assert_same_snapshot "$WORLD/host.before" host
}

@test "a firewall failure after the DNS step removes the entries again" {
    berth_only "berth's port conflict check"
    two_containers
    ctr_set c1 '.port_mappings = [{host_ip: "", container_port: 80, host_port: 8080, range: 1, protocol: "tcp"}]'
    ctr_set c2 '.port_mappings = [{host_ip: "", container_port: 80, host_port: 8080, range: 1, protocol: "tcp"}]'
    dns_setup_ok c1
    dns_setup c2
    assert_json_error "port 8080/tcp is already forwarded"
    assert_file dnsnet "10.89.0.1
$(ctr_id c1) 10.89.0.2  c1,$(ctr_short c1),web
"
    dns_teardown_ok c1
}

@test "unmanaged bridge: the server listens on the bridge's own addresses" {
    berth_only "unmanaged mode is 1.14+"
    ipn host link add br-um type bridge
    ipn host addr add 10.89.5.1/24 dev br-um
    ipn host link set br-um up
    net_new um br-um 10.89.5.0/24
    net_set um '.dns_enabled = true | .options.mode = "unmanaged"'
    ctr_new c1
    ctr_join c1 um eth0 10.89.5.2
    dns_setup_ok c1
    jq_ok '.um.dns_server_ips == ["10.89.5.1"]'
    assert_file um "10.89.5.1
$(ctr_id c1) 10.89.5.2  c1,$(ctr_short c1)
"
    dns_teardown_ok c1
    link_exists host br-um
}

@test "unmanaged bridge without an address: setup refused" {
    berth_only "unmanaged mode is 1.14+"
    ipn host link add br-um type bridge
    ipn host link set br-um up
    net_new um br-um 10.89.5.0/24
    net_set um '.dns_enabled = true | .options.mode = "unmanaged"'
    ctr_new c1
    ctr_join c1 um eth0 10.89.5.2
    dns_setup c1
    assert_json_error "no usable IP address"
    assert_json_error "bridge 'br-um' in unmanaged mode has no usable IP addresses. Aardvark-dns requires at least one address (should not be an IPv6 link-local address) to bind to. Please add an IP address or disable DNS for this network (--disable-dns)."
}

@test "a failure after the firewall commit (the result cannot be written) rolls everything back" {
    berth_only "1.4 does not roll back"
    two_containers
    ctr_set c2 '.port_mappings = [{host_ip: "", container_port: 80, host_port: 8080, range: 1, protocol: "tcp"}]'
    dns_setup_ok c1
    snapshot host >"$WORLD/host.before"
    snapshot c2 >"$WORLD/c2.before"
    local file_before
    file_before=$(cat "$ADV_DIR/dnsnet")
    # stdout is full: the StatusBlock cannot be written, after the commit
    local host
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    status=0
    ip netns exec "$host" timeout 60 "$(net_bin)" --config "$NET_CONFIG" --rootless=false \
        --aardvark-binary="$ADV_BIN" setup "/run/netns/$(ns_of c2)" \
        <"$WORLD/ctrs/c2.json" >/dev/full 2>"$WORLD/stderr" 3>&- || status=$?
    [[ $status -ne 0 ]] || { echo "setup succeeded with stdout full" >&2; return 1; }
    # the firewall elements, the DNS entry and the state record are gone again
    assert_same_snapshot "$WORLD/host.before" host
    assert_same_snapshot "$WORLD/c2.before" c2
    assert_eq "$(cat "$ADV_DIR/dnsnet")" "$file_before" "the aardvark file"
    run state_record_exists c2
    [[ $status -ne 0 ]] || { echo "c2's state record was left behind" >&2; return 1; }
    dns_teardown_ok c1
}
