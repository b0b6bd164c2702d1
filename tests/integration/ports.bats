#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Port forwarding (protocol doc §5.2), checked by behaviour only: who can
# reach a container through a host port. The same cases were observed to work
# with netavark 1.4.0.

load helpers
load traffic-helpers

setup() {
    world_create
    net_new mynet podman1 10.89.1.0/24 fd10:89:1::/64
    ctr_new c1
    ctr_join c1 mynet eth0 10.89.1.2 fd10:89:1::2
}

teardown() {
    world_destroy
}

# ports JSON-ARRAY: c1's port_mappings
ports() { ctr_set c1 --argjson p "$1" '.port_mappings = $p'; }

pm() { # HOST_IP HOST_PORT CONTAINER_PORT RANGE PROTO
    printf '{"host_ip": "%s", "container_port": %d, "host_port": %d, "range": %d, "protocol": "%s"}' \
        "$1" "$3" "$2" "$4" "$5"
}

@test "tcp forward: reached from the outside through the host address" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    serve_tcp c1 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "answer via 198.18.0.1:8080"
}

@test "tcp forward: reached from a host process, on the host address and on 127.0.0.1" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    serve_tcp c1 80
    assert_eq "$(tcp_get host "$HOST_IP4" 8080)" "c1-80" "answer via 198.18.0.1:8080"
    assert_eq "$(tcp_get host 10.89.1.1 8080)" "c1-80" "answer via the bridge address"
    assert_eq "$(tcp_get host 127.0.0.1 8080)" "c1-80" "answer via 127.0.0.1:8080"
}

@test "tcp forward: hairpin from another container on the same bridge" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    setup_ok c1
    setup_ok c2
    serve_tcp c1 80
    assert_eq "$(tcp_get c2 "$HOST_IP4" 8080)" "c1-80" "answer via 198.18.0.1:8080 from c2"
    # (not c1 itself: the bridge port has hairpin off, in netavark and berth)
}

@test "udp forward from the outside" {
    ports "[$(pm "" 5353 53 1 udp)]"
    setup_ok c1
    serve_udp c1 53
    assert_eq "$(udp_get outside "$HOST_IP4" 5353)" "c1-53" "answer via 198.18.0.1:5353/udp"
}

@test "port range maps one to one" {
    ports "[$(pm "" 9000 7000 3 tcp)]"
    setup_ok c1
    serve_tcp c1 7000
    serve_tcp c1 7002
    assert_eq "$(tcp_get outside "$HOST_IP4" 9000)" "c1-7000" "9000 -> 7000"
    assert_eq "$(tcp_get outside "$HOST_IP4" 9002)" "c1-7002" "9002 -> 7002"
    assert_eq "$(tcp_get outside "$HOST_IP4" 9003)" "" "9003 is not forwarded"
}

@test "host_ip limits the forward to that address" {
    ipn host addr add 198.18.0.5/24 dev vout
    ports "[$(pm 198.18.0.5 8080 80 1 tcp)]"
    setup_ok c1
    serve_tcp c1 80
    assert_eq "$(tcp_get outside 198.18.0.5 8080)" "c1-80" "answer via 198.18.0.5:8080"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "" "answer via 198.18.0.1:8080"
}

@test "IPv6 forward from the outside" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    bg c1 socat TCP6-LISTEN:80,ipv6only=1,reuseaddr,fork SYSTEM:"echo c1-80-v6"
    wait_for 50 0.1 _listening c1 80
    assert_eq "$(tcp_get outside "$HOST_IP6" 8080)" "c1-80-v6" "answer via [2001:db8:ff::1]:8080"
}

@test "teardown removes the forward" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    setup_ok c1
    setup_ok c2
    serve_tcp c1 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "before teardown"
    teardown_ok c1
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "" "after teardown"
}

@test "invalid host_ip is refused" {
    ports "[$(pm abcd 8080 80 1 tcp)]"
    snapshot host >"$WORLD/host.before"
    net_setup c1
    # netavark 1.4 only fails in iptables, after creating the bridge
    assert_json_error
    if ! is_control; then
        assert_json_error 'invalid host ip "abcd" provided for port 8080'
        assert_same_snapshot "$WORLD/host.before" host
    fi
}

# ---------------------------------------------------------------------------
# More cases: other networks, big ranges, conflicts, firewall state, DNS port,
# conntrack, localhost, driver none.

# serve_peer CTR PORT: a TCP server in CTR answering with the peer address it sees
serve_peer() {
    bg "$1" socat TCP4-LISTEN:"$2",reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'
    wait_for 50 0.1 _listening "$1" "$2"
}

# ctr_ports CTR JSON-ARRAY: any container's port_mappings
ctr_ports() { ctr_set "$1" --argjson p "$2" '.port_mappings = $p'; }

# short_id CTR: the first 12 characters of a container's id
short_id() { jq -r '.container_id[0:12]' "$WORLD/ctrs/$1.json"; }

@test "hairpin from a container on another network via the host address (masqueraded)" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    net_new net2 podman2 10.89.2.0/24
    ctr_new c2
    ctr_join c2 net2 eth0 10.89.2.2
    setup_ok c1
    setup_ok c2
    serve_peer c1 80
    # c2 (10.89.2.2) -> 198.18.0.1:8080 -> DNAT 10.89.1.2:80, masqueraded on
    # podman1: c1 sees the bridge address and its reply finds the way back
    assert_eq "$(tcp_get c2 "$HOST_IP4" 8080)" "10.89.1.1" "peer seen by c1 (c2 via 198.18.0.1:8080)"
    assert_eq "$(tcp_get c2 10.89.2.1 8080)" "10.89.1.1" "peer seen by c1 (c2 via its own gateway)"
}

@test "a range of 100 ports: every host port reaches its container port" {
    ports "[$(pm "" 9000 7000 100 tcp)]"
    setup_ok c1
    cat >"$WORLD/multi.py" <<'PY'
import selectors, socket, sys
name, base, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
for p in range(base, base + n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p))
    s.listen(16)
    sel.register(s, selectors.EVENT_READ, p)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.sendall(("%s-%d\n" % (name, key.data)).encode())
        c.close()
PY
    bg c1 python3 -u "$WORLD/multi.py" c1 7000 100
    wait_for 50 0.1 _listening c1 7099
    local i got bad=()
    for ((i = 0; i < 100; i++)); do
        got=$(tcp_get outside "$HOST_IP4" $((9000 + i)))
        [[ $got == "c1-$((7000 + i))" ]] || bad+=("$((9000 + i)) -> '$got'")
    done
    if ((${#bad[@]})); then
        echo "${#bad[@]} of 100 ports not forwarded as expected:" >&2
        printf '  %s\n' "${bad[@]}" >&2
        return 1
    fi
    assert_eq "$(tcp_get outside "$HOST_IP4" 9100)" "" "9100 (past the range) is not forwarded"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8999)" "" "8999 (before the range) is not forwarded"
}

@test "host_ip: forwarded on that address only, not on another address of the host" {
    ipn host addr add 198.18.0.3/24 dev vout
    ports "[$(pm "$HOST_IP4" 8080 80 1 tcp)]"
    setup_ok c1
    serve_tcp c1 80
    # a host process on the other address: proves the packet reached the host un-NATed
    bg host socat TCP4-LISTEN:8080,bind=198.18.0.3,reuseaddr,fork SYSTEM:"echo host-8080"
    wait_for 50 0.1 _listening host 8080
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "outside -> 198.18.0.1:8080"
    assert_eq "$(tcp_get outside 198.18.0.3 8080)" "host-8080" "outside -> 198.18.0.3:8080 (not forwarded)"
    assert_eq "$(tcp_get host "$HOST_IP4" 8080)" "c1-80" "host process -> 198.18.0.1:8080"
    assert_eq "$(tcp_get host 198.18.0.3 8080)" "host-8080" "host process -> 198.18.0.3:8080 (not forwarded)"
}

@test "sctp forward (when the kernel has SCTP)" {
    local why
    if ! why=$(inns host python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>&1); then
        skip "kernel without SCTP in the test namespace: ${why##*$'\n'}"
    fi
    ports "[$(pm "" 8080 80 1 sctp)]"
    setup_ok c1
    bg c1 socat SCTP4-LISTEN:80,reuseaddr,fork SYSTEM:"echo c1-80-sctp"
    wait_for 50 0.1 _sctp_listening c1 80
    local got
    got=$(inns outside timeout 5 socat -T2 - "SCTP4:$HOST_IP4:8080,connect-timeout=2" </dev/null 2>/dev/null) || true
    assert_eq "$got" "c1-80-sctp" "outside -> 198.18.0.1:8080/sctp"
}
_sctp_listening() { inns "$1" ss -HlnS "sport = :$2" 2>/dev/null | grep -q .; }

@test "conflict: a host port forwarded to another container is refused, nothing left behind" {
    berth_only "netavark 1.4 installs the second forward anyway (docs/netavark-compat.md)"
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    serve_tcp c1 80
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    ctr_ports c2 "[$(pm "" 8080 80 1 tcp)]"
    local before_elems
    before_elems=$(berth_map_elems host pf4_any)
    snapshot host >"$WORLD/host.before"
    snapshot c2 >"$WORLD/c2.before"
    net_setup c2
    assert_json_error
    assert_eq "$output" "{\"error\":\"port 8080/tcp is already forwarded to container c1 ($(short_id c1))\"}" "error line"
    assert_same_snapshot "$WORLD/host.before" host
    assert_same_snapshot "$WORLD/c2.before" c2
    if state_record_exists c2; then
        echo "a state record was written for the failed container c2" >&2
        return 1
    fi
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "c1's forward after the refused setup"

    # Podman tears the failed container down: c1's forward must survive it
    teardown_ok c2
    assert_eq "$(berth_map_elems host pf4_any)" "$before_elems" "pf4_any after tearing down the failed c2"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "c1's forward after tearing down the failed c2"

    # the same on a network that does not exist yet: its bridge and firewall
    # elements are rolled back too
    net_new net2 podman2 10.89.2.0/24
    ctr_new c3
    ctr_join c3 net2 eth0 10.89.2.2
    ctr_ports c3 "[$(pm "" 8079 80 3 tcp)]"
    snapshot host >"$WORLD/host.before"
    net_setup c3
    assert_eq "$output" "{\"error\":\"ports 8079-8081/tcp are already forwarded to container c1 ($(short_id c1))\"}" "error line (range)"
    assert_same_snapshot "$WORLD/host.before" host
    assert_no_link host podman2
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "c1's forward after the refused range"
}

# The conflict message must name the container whose forward really holds the
# port, not one whose mapping only clashes on paper: c2 is only on an internal
# network, so its -p 8080:80 adds no element (accepted, as netavark does);
# 8080 is held by c1. An earlier berth named whichever record came first in
# the directory; directory order follows the (random) ids, so the check runs
# 16 rounds with fresh ids for c2 and passes only if every round names c1.
@test "conflict error names the container that holds the port, not one whose mapping installed nothing" {
    berth_only "netavark 1.4 has no conflict error"
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    net_new intnet podman9 10.89.9.0/24
    net_set intnet '.internal = true'
    ctr_new c2
    ctr_join c2 intnet eth0 10.89.9.2
    ctr_ports c2 "[$(pm "" 8080 80 1 tcp)]"
    ctr_new c3
    ctr_join c3 mynet eth0 10.89.1.3
    ctr_ports c3 "[$(pm "" 8080 80 1 tcp)]"
    local round want wrong=()
    want="{\"error\":\"port 8080/tcp is already forwarded to container c1 ($(short_id c1))\"}"
    for ((round = 1; round <= 16; round++)); do
        ctr_set c2 --arg id "$(_rand_hex 32)" '.container_id = $id'
        setup_ok c2
        assert_eq "$(berth_map_elems host pf4_any)" "tcp . 8080 : 10.89.1.2 . 80" "pf4_any (c2 added nothing)"
        net_setup c3
        assert_json_error
        [[ $output == "$want" ]] || wrong+=("round $round: $output")
        teardown_ok c2
    done
    if ((${#wrong[@]})); then
        echo "expected every round: $want" >&2
        printf '  %s\n' "${wrong[@]}" >&2
        return 1
    fi
}

@test "forward target: the first non-internal network of the container" {
    # netavark 1.4 set up the networks in hash-map order: it forwarded to
    # mynet (the last one in the input) when checked
    berth_only "netavark 1.4's choice among several networks does not follow the input order"
    net_new intnet podman9 10.89.9.0/24
    net_set intnet '.internal = true'
    net_new net2 podman2 10.89.2.0/24
    # c1: internal network first, then net2, then mynet (from setup())
    ctr_set c1 '.networks = {} | .network_info = {}'
    ctr_join c1 intnet eth0 10.89.9.2
    ctr_join c1 net2 eth1 10.89.2.2
    ctr_join c1 mynet eth2 10.89.1.2 fd10:89:1::2
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    # one listener per address: the answer tells where the DNAT went
    local a
    for a in intnet:10.89.9.2 net2:10.89.2.2 mynet:10.89.1.2; do
        bg c1 socat TCP4-LISTEN:80,bind="${a#*:}",reuseaddr,fork SYSTEM:"echo via-${a%%:*}"
    done
    wait_for 50 0.1 _listening c1 80 3
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "via-net2" "outside -> 198.18.0.1:8080"
    assert_eq "$(berth_map_elems host pf4_any)" "tcp . 8080 : 10.89.2.2 . 80" "pf4_any"
}

@test "same host port with another protocol or another host_ip is accepted" {
    ipn host addr add 198.18.0.3/24 dev vout
    ports "[$(pm "" 8080 80 1 tcp)]"
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    ctr_ports c2 "[$(pm "" 8080 80 1 udp)]"
    ctr_new c3
    ctr_join c3 mynet eth0 10.89.1.4 fd10:89:1::4
    ctr_ports c3 "[$(pm 198.18.0.3 8080 80 1 tcp)]"
    setup_ok c1
    setup_ok c2
    setup_ok c3
    serve_tcp c1 80
    serve_udp c2 80
    serve_tcp c3 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "tcp 198.18.0.1:8080"
    assert_eq "$(udp_get outside "$HOST_IP4" 8080)" "c2-80" "udp 198.18.0.1:8080"
    if ! is_control; then
        # berth: the specific address wins over "any" (docs/firewall.md);
        # netavark 1.4's iptables rules let the first container's forward win
        assert_eq "$(tcp_get outside 198.18.0.3 8080)" "c3-80" "tcp 198.18.0.3:8080"
    fi
}

@test "teardown stops forwarding at once and removes exactly that container's elements" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    ctr_ports c2 "[$(pm "" 8081 80 1 tcp), $(pm "" 8082 82 1 udp)]"
    setup_ok c1
    setup_ok c2
    serve_tcp c1 80
    serve_tcp c2 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "8080 before teardown"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8081)" "c2-80" "8081 before teardown"
    if ! is_control; then
        assert_eq "$(berth_map_elems host pf4_any)" "$(printf '%s\n' \
            'tcp . 8080 : 10.89.1.2 . 80' 'tcp . 8081 : 10.89.1.3 . 80' 'udp . 8082 : 10.89.1.3 . 82')" \
            "pf4_any with two containers"
        assert_eq "$(berth_map_elems host pf6_any)" "$(printf '%s\n' \
            'tcp . 8080 : fd10:89:1::2 . 80' 'tcp . 8081 : fd10:89:1::3 . 80' 'udp . 8082 : fd10:89:1::3 . 82')" \
            "pf6_any with two containers"
    fi
    teardown_ok c1
    # no wait: the next connection must already miss
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "" "8080 right after c1's teardown"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8081)" "c2-80" "8081 (c2) after c1's teardown"
    if ! is_control; then
        assert_eq "$(berth_map_elems host pf4_any)" "$(printf '%s\n' \
            'tcp . 8081 : 10.89.1.3 . 80' 'udp . 8082 : 10.89.1.3 . 82')" "pf4_any after c1's teardown"
        assert_eq "$(berth_map_elems host pf6_any)" "$(printf '%s\n' \
            'tcp . 8081 : fd10:89:1::3 . 80' 'udp . 8082 : fd10:89:1::3 . 82')" "pf6_any after c1's teardown"
    fi
}

@test "rule count does not grow with port mappings or containers" {
    berth_only "counts rules of berth's nftables table"
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    local base
    base=$(berth_rule_count host)
    assert_eq "$base" 37 "rules with 1 container, 1 mapping (4+1+1+15+16, docs/firewall.md)"
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3
    ctr_ports c2 "[$(pm "" 10000 10000 1000 tcp)]"
    setup_ok c2
    assert_eq "$(berth_rule_count host)" "$base" "rules after a 1000-port range"
    local i
    for ((i = 3; i <= 50; i++)); do
        ctr_new "c$i"
        ctr_join "c$i" mynet eth0 "10.89.1.$((i + 1))"
        ctr_ports "c$i" "[$(pm "" $((20000 + i)) 80 1 tcp)]"
        setup_ok "c$i"
    done
    assert_eq "$(berth_map_elems host pf4_any | wc -l)" 1049 "pf4_any elements (1 + 1000 + 48)"
    assert_eq "$(berth_rule_count host)" "$base" "rules with 50 containers"
}

@test "nft flush ruleset, then firewall-reload restores forwards, masquerade and isolation" {
    berth_only "netavark 1.4 has no firewall-reload"
    net_opt mynet isolate true
    ctr_refresh c1
    ports "[$(pm "" 8080 80 1 tcp)]"
    net_new net2 podman2 10.89.2.0/24
    net_opt net2 isolate true
    ctr_new c2
    ctr_join c2 net2 eth0 10.89.2.2
    setup_ok c1
    setup_ok c2
    serve_tcp c1 80
    start_peer_echo 8080
    local seen rules_before
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "forward before the flush"
    seen=$(peer_seen c1 "$OUT_IP4") || true
    assert_eq "$seen" "$HOST_IP4" "egress source before the flush"
    assert_no_ping c1 10.89.2.2
    rules_before=$(ruleset_canon host)

    inns host nft flush ruleset
    assert_eq "$(inns host nft list ruleset)" "" "ruleset after the flush"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "" "forward after the flush"
    seen=$(peer_seen c1 "$OUT_IP4") || true
    assert_no_match "$seen" "^$HOST_IP4\$" "egress source after the flush (no NAT left)"
    assert_ping c1 10.89.2.2 # isolation gone

    net_exec firewall-reload
    assert_ok
    assert_eq "$output" "" "firewall-reload stdout"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "forward after firewall-reload"
    seen=$(peer_seen c1 "$OUT_IP4") || true
    assert_eq "$seen" "$HOST_IP4" "egress source after firewall-reload"
    assert_no_ping c1 10.89.2.2
    assert_no_ping c2 10.89.1.2
    # the same rules and elements (state records are replayed in directory
    # order, so nft may list elements and chains in another order)
    assert_eq "$(ruleset_canon host)" "$rules_before" "ruleset restored by firewall-reload (canonical JSON)"
    local rules_after
    rules_after=$(inns host nft list ruleset)

    net_exec firewall-reload
    assert_ok
    assert_eq "$(inns host nft list ruleset)" "$rules_after" "ruleset after a second firewall-reload"
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "c1-80" "forward after the second firewall-reload"
}

# dns_listeners: UDP and TCP listeners on the gateway, port 1053, in the host ns
dns_listeners() {
    bg host socat UDP4-RECVFROM:1053,bind=10.89.1.1,reuseaddr,fork SYSTEM:"echo dns-udp"
    bg host socat TCP4-LISTEN:1053,bind=10.89.1.1,reuseaddr,fork SYSTEM:"echo dns-tcp"
    wait_for 50 0.1 _udp_bound host 1053
    wait_for 50 0.1 _listening host 1053
}

@test "NETAVARK_DNS_PORT=1053: gateway:53 is redirected to gateway:1053 (udp and tcp)" {
    net_set mynet '.dns_enabled = true'
    ctr_refresh c1
    NETAVARK_DNS_PORT=1053 net_setup c1
    assert_ok
    dns_listeners
    assert_eq "$(udp_get c1 10.89.1.1 53)" "dns-udp" "udp 10.89.1.1:53 from c1"
    if is_control; then
        return 0 # netavark 1.4 redirects UDP only (protocol doc §5.3)
    fi
    assert_eq "$(tcp_get c1 10.89.1.1 53)" "dns-tcp" "tcp 10.89.1.1:53 from c1"
    assert_eq "$(berth_map_elems host pf4_addr)" "$(printf '%s\n' \
        '10.89.1.1 . tcp . 53 : 10.89.1.1 . 1053' '10.89.1.1 . udp . 53 : 10.89.1.1 . 1053')" "pf4_addr"
    # the redirection is shared by the network's containers: it stays until
    # the last one goes
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    NETAVARK_DNS_PORT=1053 net_setup c2
    assert_ok
    NETAVARK_DNS_PORT=1053 net_teardown c1
    assert_ok
    assert_eq "$(udp_get c2 10.89.1.1 53)" "dns-udp" "udp 10.89.1.1:53 from c2 after c1's teardown"
    assert_eq "$(tcp_get c2 10.89.1.1 53)" "dns-tcp" "tcp 10.89.1.1:53 from c2 after c1's teardown"
    NETAVARK_DNS_PORT=1053 net_teardown c2
    assert_ok
    assert_eq "$(berth_map_elems host pf4_addr)" "" "pf4_addr after the last teardown"
}

@test "NETAVARK_DNS_PORT unset: no DNS redirection" {
    net_set mynet '.dns_enabled = true'
    ctr_refresh c1
    (unset NETAVARK_DNS_PORT; net_setup c1; assert_ok)
    dns_listeners
    assert_eq "$(udp_get c1 10.89.1.1 53)" "" "udp 10.89.1.1:53 from c1"
    assert_eq "$(tcp_get c1 10.89.1.1 53)" "" "tcp 10.89.1.1:53 from c1"
    if ! is_control; then
        assert_eq "$(berth_map_elems host pf4_addr)" "" "pf4_addr"
        assert_eq "$(berth_map_elems host pf6_addr)" "" "pf6_addr"
    fi
}

@test "NETAVARK_DNS_PORT invalid (abc, 70000) is refused, nothing changes" {
    net_set mynet '.dns_enabled = true'
    ctr_refresh c1
    snapshot host >"$WORLD/host.before"
    NETAVARK_DNS_PORT=abc net_setup c1
    assert_json_error "Invalid NETAVARK_DNS_PORT abc"
    is_control || assert_eq "$output" '{"error":"Invalid NETAVARK_DNS_PORT abc: invalid digit found in string"}'
    NETAVARK_DNS_PORT=70000 net_setup c1
    assert_json_error "Invalid NETAVARK_DNS_PORT 70000"
    is_control || assert_eq "$output" '{"error":"Invalid NETAVARK_DNS_PORT 70000: number too large to fit in target type"}'
    assert_same_snapshot "$WORLD/host.before" host
}

@test "udp: a flow to a forwarded port follows the mapping to a new container (conntrack flushed)" {
    # netavark 1.4 leaves the conntrack entry: the flow stays DNATed to the old
    # container's address (observed: "[UNREPLIED] src=10.89.1.2" after c2's setup)
    berth_only "netavark 1.4 does not flush UDP conntrack entries of forwarded ports"
    ports "[$(pm "" 5000 5000 1 udp)]"
    ctr_new c2
    ctr_join c2 mynet eth0 10.89.1.3 fd10:89:1::3
    ctr_set c2 --argjson p "[$(pm "" 5000 5000 1 udp)]" '.port_mappings = $p'
    setup_ok c1
    : >"$WORLD/recv-c1"
    : >"$WORLD/recv-c2"
    bg c1 socat -u UDP4-RECV:5000 OPEN:"$WORLD/recv-c1",creat,append
    bg c2 socat -u UDP4-RECV:5000 OPEN:"$WORLD/recv-c2",creat,append
    wait_for 50 0.1 _udp_bound c1 5000
    wait_for 50 0.1 _udp_bound c2 5000
    # one datagram every 0.1 s from the fixed source port 40000, for 20 s at most
    bg outside sh -c "for i in \$(seq 1 200); do echo dgram-\$i; sleep 0.1; done |
        socat -u - UDP4-SENDTO:$HOST_IP4:5000,sourceport=40000,reuseaddr"
    wait_for 30 0.1 test -s "$WORLD/recv-c1"
    teardown_ok c1
    setup_ok c2
    local n1
    n1=$(wc -l <"$WORLD/recv-c1")
    wait_for 30 0.1 test -s "$WORLD/recv-c2" || {
        echo "c2 got nothing from the old flow within 3 s; c1 got $n1 datagrams" >&2
        inns host cat /proc/net/nf_conntrack 2>/dev/null | grep 'dport=5000' >&2 || true
        return 1
    }
}

@test "localhost: 127.0.0.1 is forwarded, ::1 is not (documented limitation)" {
    ports "[$(pm "" 8080 80 1 tcp)]"
    setup_ok c1
    serve_tcp c1 80
    bg c1 socat TCP6-LISTEN:80,ipv6only=1,reuseaddr,fork SYSTEM:"echo c1-80-v6"
    wait_for 50 0.1 _listening c1 80 2
    assert_eq "$(tcp_get host 127.0.0.1 8080)" "c1-80" "host process -> 127.0.0.1:8080"
    assert_eq "$(tcp_get host "$HOST_IP6" 8080)" "c1-80-v6" "host process -> [2001:db8:ff::1]:8080"
    # IPv6 ::1 cannot be DNATed to a non-local address: not forwarded
    assert_eq "$(tcp_get host ::1 8080)" "" "host process -> [::1]:8080"
}

@test "firewall driver none: setup succeeds, nothing is forwarded, no berth table" {
    berth_only "netavark 1.4 has no firewall driver 'none'"
    ports "[$(pm "" 8080 80 1 tcp)]"
    NETAVARK_FW=none net_setup c1
    assert_ok
    serve_tcp c1 80
    assert_eq "$(tcp_get outside "$HOST_IP4" 8080)" "" "outside -> 198.18.0.1:8080"
    assert_eq "$(tcp_get host 10.89.1.1 8080)" "" "host process -> 10.89.1.1:8080"
    assert_eq "$(berth_table host)" "" "berth table"
    assert_eq "$(inns host nft list ruleset)" "" "host ruleset"
    NETAVARK_FW=none net_teardown c1
    assert_ok
}
