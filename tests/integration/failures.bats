#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Failures injected into setup and teardown, in real topologies:
# - the config directory is full (a small tmpfs, filled up) or read-only (a
#   read-only bind mount) while berth-net writes its state record or the
#   aardvark-dns files: setup fails with a JSON error and rolls back; teardown
#   still removes the kernel state. The mounts exist only in a private mount
#   namespace (helpers.bash: mntns_start) that berth-net runs in.
# - later steps of setup fail: the kernel refuses an address or a static
#   route, nftables refuses the transaction for a reason other than EEXIST,
#   the DNS server fails to start.
# After a failed setup the host and the container are exactly as before
# (snapshot: links, addresses, routes, ruleset, sysctls, config directory).
#
# netavark 1.4 does not roll back a failed setup: berth only.

load helpers

setup() {
    world_create
    berth_only "no rollback of a failed setup"
    DNS_SERVER=${BERTH_DNS:-$REPO_ROOT/build/dns/berth-dns}
}

teardown() {
    world_destroy
}

# config_tmpfs: a 64 KiB tmpfs on the config directory (private mount ns)
config_tmpfs() {
    mntns_start
    inmnt mount -t tmpfs -o size=64k,mode=755 berth-test "${1:-$NET_CONFIG}"
}

# config_fill: fill the tmpfs up; creating an empty file still works there,
# writing a byte fails with ENOSPC
config_fill() {
    local d=${1:-$NET_CONFIG}
    inmnt dd if=/dev/zero of="$d/fill" bs=4096 2>/dev/null || true
    if inmnt sh -c "echo x >'$d/.probe'" 2>/dev/null; then
        echo "the tmpfs $d is not full" >&2
        return 1
    fi
    inmnt rm -f "$d/.probe"
}

# config_readonly SUBDIR [BASE]: SUBDIR of the config directory (or of BASE) read-only
config_readonly() {
    local d=${2:-$NET_CONFIG}/$1
    mkdir -p "$d"
    [[ -n ${NET_MNTNS_PID:-} ]] || mntns_start
    inmnt mount --bind "$d" "$d"
    inmnt mount -o remount,bind,ro "$d"
    if inmnt touch "$d/.probe" 2>/dev/null; then
        echo "$d is not read-only" >&2
        return 1
    fi
}

# dns_net: a DNS-enabled dual-stack bridge network "dnsnet" with c1 on it,
# and the real DNS server binary under test
dns_net() {
    [[ -x $DNS_SERVER ]] || {
        echo "no DNS server binary at $DNS_SERVER (build first, or set BERTH_DNS)" >&2
        return 1
    }
    NET_AARDVARK=$DNS_SERVER
    net_new dnsnet podman1 10.89.0.0/24 fd10:89::/64
    net_set dnsnet '.dns_enabled = true'
    ctr_new c1
    ctr_join c1 dnsnet eth0 10.89.0.2 fd10:89::2
    ctr_set c1 '.port_mappings = [{host_ip: "", container_port: 80, host_port: 8080, range: 1, protocol: "tcp"}]'
}

# plain_net: a dual-stack bridge network "neta" with c1 on it, a port forward
plain_net() {
    net_new neta podman1 10.89.1.0/24 fd10:89:1::/64
    ctr_new c1
    ctr_join c1 neta eth0 10.89.1.2 fd10:89:1::2
    ctr_set c1 '.port_mappings = [{host_ip: "", container_port: 80, host_port: 8080, range: 1, protocol: "tcp"}]'
}

# assert_no_dns_server: no process left in the host namespace
assert_no_dns_server() {
    local pids
    wait_for 50 0.1 _no_host_procs 2>/dev/null || true
    pids=$(ip netns pids "$(ns_of host)")
    if [[ -n $pids ]]; then
        echo "processes left in the host namespace:" >&2
        ps -o pid,args -p "$(tr '\n' ',' <<<"$pids" | sed 's/,$//')" >&2 || true
        return 1
    fi
}
_no_host_procs() { [[ -z $(ip netns pids "$(ns_of host)") ]]; }

# ---------------------------------------------------------------------------
# a full or read-only config directory

@test "run directory full (ENOSPC) while writing the state record: setup fails, rolls back" {
    plain_net
    # state records live in berth's run directory (BERTH_RUN_DIR, /run/berth)
    config_tmpfs "$BERTH_RUN_DIR"
    config_fill "$BERTH_RUN_DIR"
    take_snapshots c1
    net_setup c1
    assert_json_error "failed to write berth's state record"
    assert_match "$(jq -r .error <<<"$output")" "No space left on device" "error message"
    assert_unchanged c1
}

@test "config directory full (ENOSPC) while writing the aardvark-dns file: setup fails, rolls back" {
    dns_net
    config_tmpfs
    config_fill
    take_snapshots c1
    net_setup c1
    assert_json_error
    assert_match "$(jq -r .error <<<"$output")" "No space left on device" "error message"
    assert_unchanged c1
    assert_no_dns_server
}

@test "state directory read-only (EROFS) while writing the state record: setup fails, rolls back" {
    plain_net
    mkdir -p "$BERTH_RUN_DIR/state/netavark"
    config_readonly state "$BERTH_RUN_DIR"
    take_snapshots c1
    net_setup c1
    assert_json_error "failed to write berth's state record"
    assert_match "$(jq -r .error <<<"$output")" "Read-only file system" "error message"
    assert_unchanged c1
}

@test "aardvark-dns directory read-only (EROFS) while writing its file: setup fails, rolls back" {
    dns_net
    config_readonly aardvark-dns
    take_snapshots c1
    net_setup c1
    assert_json_error
    assert_match "$(jq -r .error <<<"$output")" "Read-only file system" "error message"
    assert_unchanged c1
    assert_no_dns_server
}

# warm_up: c0 on dnsnet set up and torn down, so that what a teardown keeps
# by design (ip_forward and the other forwarding sysctls) is in the snapshot
warm_up() {
    ctr_new c0
    ctr_join c0 dnsnet eth0 10.89.0.3 fd10:89::3
    setup_ok c0
    teardown_ok c0
    assert_no_dns_server
}

@test "teardown with a full config directory still removes the kernel state" {
    dns_net
    config_tmpfs
    warm_up
    SNAPSHOT_NO_CONFIG=1 take_snapshots
    setup_ok c1
    config_fill
    # removing files needs no space: the teardown succeeds
    teardown_ok c1
    SNAPSHOT_NO_CONFIG=1 assert_unchanged
    assert_no_link host podman1
    assert_no_dns_server
}

@test "teardown of one of two containers with a full config directory removes its kernel state" {
    dns_net
    config_tmpfs
    warm_up
    ctr_new c2
    ctr_join c2 dnsnet eth0 10.89.0.4 fd10:89::4
    setup_ok c2
    SNAPSHOT_NO_CONFIG=1 take_snapshots c2
    setup_ok c1
    config_fill
    # the aardvark-dns file must be rewritten without c1: that may fail, the
    # kernel state must go all the same
    net_teardown c1
    [[ $status -eq 0 ]] || assert_json_error
    SNAPSHOT_NO_CONFIG=1 assert_unchanged c2
}

@test "teardown with a read-only config directory still removes the kernel state" {
    dns_net
    mntns_start
    warm_up
    SNAPSHOT_NO_CONFIG=1 take_snapshots
    setup_ok c1
    config_readonly berth
    config_readonly aardvark-dns
    net_teardown c1
    # the entry cannot be removed from the aardvark-dns file: that is the
    # error (and the server, which still has the entry, is left running)
    assert_json_error "failed to remove the dns entries of network dnsnet"
    SNAPSHOT_NO_CONFIG=1 assert_unchanged
    assert_no_link host podman1
}

# ---------------------------------------------------------------------------
# later steps of setup

@test "the kernel refuses the container's address (IPv6 disabled there): setup rolls back" {
    plain_net
    inns c1 sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    take_snapshots c1
    net_setup c1
    assert_json_error "add ip addr fd10:89:1::2/64 to eth0 in container namespace"
    assert_unchanged c1
}

@test "the kernel refuses the bridge's address (IPv6 disabled on the host): setup rolls back" {
    plain_net
    inns host sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    take_snapshots c1
    net_setup c1
    assert_json_error "add ip addr fd10:89:1::1/64 to bridge podman1"
    assert_unchanged c1
}

@test "the kernel refuses a static route (gateway not on any link): setup rolls back" {
    plain_net
    net_set neta '.routes = [{destination: "192.0.2.0/24", gateway: "10.99.0.1"}]'
    ctr_refresh c1
    take_snapshots c1
    net_setup c1
    assert_json_error "add route to 192.0.2.0/24"
    assert_unchanged c1
}

@test "nftables refuses the transaction (a full set, not EEXIST): setup rolls back" {
    plain_net
    # a table inet berth left by someone else, whose nat4 set holds one element at most
    inns host nft add table inet berth
    inns host nft add set inet berth nat4 '{ type ipv4_addr; flags interval; size 1; }'
    inns host nft add element inet berth nat4 '{ 192.0.2.0/24 }'
    take_snapshots c1
    net_setup c1
    assert_json_error "failed to configure firewall"
    assert_unchanged c1
}

@test "the DNS server fails to start (exits 1): setup rolls back" {
    dns_net
    NET_AARDVARK=$WORLD/failing-dns-server
    printf '#!/bin/sh\necho "no luck" >&2\nexit 1\n' >"$NET_AARDVARK"
    chmod 755 "$NET_AARDVARK"
    take_snapshots c1
    net_setup c1
    assert_json_error "aardvark-dns failed to start: no luck"
    assert_unchanged c1
}
