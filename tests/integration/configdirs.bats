#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Two --config directories on one host (Podman rootful, and a second user of
# berth-net): they share one `inet berth` table, so they must share one lock.
# The last teardown of one directory runs at the same moment as the first
# setup of the other; no firewall element of the other may be lost.

load helpers

setup() {
    world_create
    berth_only "berth's host-wide lock"
    CONF_A="$WORLD/config-a"
    CONF_B="$WORLD/config-b"
    mkdir -p "$CONF_A" "$CONF_B"
    net_new neta podman1 10.89.1.0/24
    net_new netb podman2 10.89.2.0/24
}

teardown() {
    world_destroy
}

# with_config DIR CMD...: run a net_* helper against another config directory
with_config() {
    local saved=$NET_CONFIG
    NET_CONFIG=$1
    shift
    "$@"
    NET_CONFIG=$saved
}

@test "last teardown of one config directory against the first setup of another" {
    local round
    for round in 1 2 3 4 5 6 7 8; do
        ctr_new "a$round"
        ctr_join "a$round" neta eth0 10.89.1.2
        ctr_set "a$round" --argjson p '[{"host_ip": "", "container_port": 80, "host_port": 8080, "range": 1, "protocol": "tcp"}]' '.port_mappings = $p'
        ctr_new "b$round"
        ctr_join "b$round" netb eth0 10.89.2.2
        ctr_set "b$round" --argjson p '[{"host_ip": "", "container_port": 80, "host_port": 9090, "range": 1, "protocol": "tcp"}]' '.port_mappings = $p'
        with_config "$CONF_A" net_setup "a$round"
        assert_ok

        # at the same moment: A's last teardown (its table decision) and B's first setup
        NET_OUT_PREFIX="$WORLD/a-" with_config "$CONF_A" net_teardown "a$round" &
        local pa=$!
        NET_OUT_PREFIX="$WORLD/b-" with_config "$CONF_B" net_setup "b$round" &
        local pb=$!
        wait "$pa"
        wait "$pb"
        [[ -z $(cat "$WORLD/a-stdout") ]] || { cat "$WORLD/a-stdout" >&2; return 1; }
        jq -e '.netb.interfaces.eth0' "$WORLD/b-stdout" >/dev/null ||
            { echo "round $round: setup in B failed: $(cat "$WORLD/b-stdout" "$WORLD/b-stderr")" >&2; return 1; }

        # nothing of B is lost: its network and its forward are in the table
        assert_eq "$(berth_map_elems host pf4_any | tr '\n' ' ')" "tcp . 9090 : 10.89.2.2 . 80 " \
            "round $round: forwards"
        assert_match "$(berth_table host)" "podman2" "round $round: B's bridge in the table"
        assert_no_match "$(berth_table host)" "podman1" "round $round: A's bridge in the table"
        assert_ping "b$round" 10.89.2.1
        with_config "$CONF_B" net_teardown "b$round"
        assert_ok
        assert_eq "$(berth_table host)" "" "round $round: table after the last teardown"
    done
}
