#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth-net killed with SIGKILL in the middle of a setup, at each step that
# leaves something behind: after the links exist, after the state record is
# written and before the nftables commit, after the commit. Then teardown
# and firewall-reload: nothing half-done stays, nothing is replayed that was
# never applied. berth stops itself at the step (BERTH_TEST_STOP_AT, raise
# SIGSTOP) so that the kill lands exactly there.

load helpers

setup() {
    world_create
    berth_only "BERTH_TEST_STOP_AT is berth's"
    net_new neta podman1 10.89.1.0/24
    net_new netb podman2 10.89.2.0/24
    # c0: a container that stays, so the table and another network exist
    ctr_new c0
    ctr_join c0 neta eth0 10.89.1.5
    ctr_set c0 --argjson p '[{"host_ip": "", "container_port": 80, "host_port": 8081, "range": 1, "protocol": "tcp"}]' '.port_mappings = $p'
    setup_ok c0
    ctr_new c1
    ctr_join c1 netb eth0 10.89.2.2
    ctr_set c1 --argjson p '[{"host_ip": "", "container_port": 80, "host_port": 8080, "range": 1, "protocol": "tcp"}]' '.port_mappings = $p'
}

teardown() {
    world_destroy
}

_stopped() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat") == T ]]; }

# setup_killed_at STEP CTR: start CTR's setup, wait until berth-net stopped
# itself at STEP, SIGKILL it there.
setup_killed_at() {
    local host pid
    host=$(ns_of host)
    _ns_guard "$host" || return 1
    # ip netns exec and env exec: $! is berth-net itself
    ip netns exec "$host" env BERTH_TEST_STOP_AT="$1" "$(net_bin)" --config "$NET_CONFIG" \
        --rootless=false --aardvark-binary="$WORLD/no-aardvark-dns" \
        setup "/run/netns/$(ns_of "$2")" <"$WORLD/ctrs/$2.json" >"$WORLD/killed.out" 2>&1 &
    pid=$!
    if ! wait_for 300 0.1 _stopped "$pid"; then
        kill -9 "$pid" 2>/dev/null || true
        cat "$WORLD/killed.out" >&2
        return 1
    fi
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    # it printed nothing on stdout: Podman saw no success
    assert_eq "$(cat "$WORLD/killed.out")" "" "output of the killed setup"
}

elems() { berth_map_elems host "$1" | tr '\n' ' '; }

# after_kill: firewall-reload replays only c0; teardown of c1 leaves the
# world as it was before c1's setup; c0 still works.
after_kill() {
    net_exec firewall-reload
    assert_ok
    assert_eq "$(elems pf4_any)" "tcp . 8081 : 10.89.1.5 . 80 " "forwards after firewall-reload"
    assert_no_match "$(berth_table host)" "10\.89\.2\." "c1's network in the table after reload"
    net_teardown c1
    assert_ok
    assert_same_snapshot "$WORLD/host.before" host
    assert_same_snapshot "$WORLD/c1.before" c1
    run state_record_exists c1
    [[ $status -ne 0 ]] || { echo "c1's state record is left" >&2; return 1; }
    assert_eq "$(elems pf4_any)" "tcp . 8081 : 10.89.1.5 . 80 " "forwards after teardown"
    assert_ping c0 10.89.1.1
}

@test "SIGKILL after the links exist, before the firewall" {
    snapshot host >"$WORLD/host.before"
    snapshot c1 >"$WORLD/c1.before"
    setup_killed_at links c1
    link_exists c1 eth0
    run state_record_exists c1
    [[ $status -ne 0 ]] || { echo "a record exists before the firewall step" >&2; return 1; }
    after_kill
}

@test "SIGKILL after the state record is written, before the nftables commit" {
    snapshot host >"$WORLD/host.before"
    snapshot c1 >"$WORLD/c1.before"
    setup_killed_at record c1
    state_record_exists c1
    jq -e '.pending == true' "$BERTH_RUN_DIR/state/netavark/$(jq -r .container_id "$WORLD/ctrs/c1.json").json" >/dev/null
    # the commit never happened: nothing of c1 in the table
    assert_eq "$(elems pf4_any)" "tcp . 8081 : 10.89.1.5 . 80 " "forwards before reload"
    after_kill
}

@test "SIGKILL after the nftables commit, before the record is final" {
    snapshot host >"$WORLD/host.before"
    snapshot c1 >"$WORLD/c1.before"
    setup_killed_at commit c1
    assert_match "$(elems pf4_any)" "tcp \. 8080 : 10\.89\.2\.2 \. 80" "c1's forward was committed"
    after_kill
}

@test "SIGKILL after the commit, teardown first, then firewall-reload" {
    snapshot host >"$WORLD/host.before"
    snapshot c1 >"$WORLD/c1.before"
    setup_killed_at commit c1
    net_teardown c1
    assert_ok
    assert_same_snapshot "$WORLD/host.before" host
    net_exec firewall-reload
    assert_ok
    assert_same_snapshot "$WORLD/host.before" host
    assert_same_snapshot "$WORLD/c1.before" c1
}
