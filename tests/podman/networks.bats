#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# User networks: several per container, network create options, macvlan and
# ipvlan, static addresses. Runs inside tests/podman/sandbox.sh.

load helpers

teardown() {
    common_teardown
    ip addr flush dev sbxpar1 2>/dev/null || true
}

# reach FROM HOST [PORT]: FROM (a container) connects to HOST:PORT (80) and
# prints the answer
reach() {
    cexec "$1" "nc -w 3 $2 ${3:-80} </dev/null"
}

@test "--network a,b: one container on two networks, reachable on both, names per network" {
    pm network create --subnet 10.89.1.0/24 na >/dev/null
    pm network create --subnet 10.89.2.0/24 nb >/dev/null
    run_web m --network na,nb
    pm run -d --name x --network na "$IMAGE" sleep 300 >/dev/null
    pm run -d --name y --network nb "$IMAGE" sleep 300 >/dev/null
    ma=$(ctr_ip m na)
    mb=$(ctr_ip m nb)
    [[ $ma == 10.89.1.* && $mb == 10.89.2.* ]]
    run cexec m "ip -o -4 addr show"
    echo "$output"
    # eth0 and eth1, one per network (Podman 4.3 names them in map order)
    grep -q "eth[01] *inet $ma/24" <<<"$output"
    grep -q "eth[01] *inet $mb/24" <<<"$output"
    # reachable on both networks
    run reach x "$ma"
    [[ $output == "web-$(ctr_ip x na)" ]]
    run reach y "$mb"
    [[ $output == "web-$(ctr_ip y nb)" ]]
    # names per network: x sees m (on na) but not y; y sees m (on nb) but not x
    run lookup x m
    echo "$output"
    [[ $output == *"Address: $ma"* && $output != *"Address: $mb"* ]]
    run lookup y m
    echo "$output"
    [[ $output == *"Address: $mb"* && $output != *"Address: $ma"* ]]
    run lookup x y
    [[ $status -ne 0 ]]
    run lookup y x
    [[ $status -ne 0 ]]
    # m resolves both; aardvark-dns 1.4 answers only the names of the
    # network whose address was asked, and busybox asks the first server
    # of resolv.conf only
    if ! dns_is_aardvark; then
        run lookup m x
        [[ $output == *"Address: $(ctr_ip x na)"* ]]
        run lookup m y
        [[ $output == *"Address: $(ctr_ip y nb)"* ]]
    fi
}

@test "network create --internal: no way out, but the members talk" {
    pm network create --internal ni >/dev/null
    out_listen 8080
    run_web w --network ni
    pm run -d --name c --network ni "$IMAGE" sleep 300 >/dev/null
    run cexec c "ip route"
    echo "$output"
    [[ $output != *default* ]]
    run cexec c "nc -w 2 $OUT4 8080 </dev/null"
    echo "$output"
    [[ $output != *peer=* ]]
    run reach c "$(ctr_ip w ni)"
    [[ $output == "web-"* ]]
}

@test "network create --ipv6: dual stack, v6 egress, v6 port forward, AAAA" {
    pm network create --ipv6 n6 >/dev/null
    run pm network inspect -f '{{range .Subnets}}{{.Subnet}} {{end}}' n6
    echo "$output"
    [[ $output == *:* ]]
    out_listen 8086 tcp6
    run_web6 w --network n6 -p 8086:80
    pm run -d --name c --network n6 "$IMAGE" sleep 300 >/dev/null
    w6=$(ctr_ip6 w n6)
    [[ -n $w6 ]]
    run cexec c "ip -o -6 addr show eth0 scope global; ip -6 route"
    echo "$output"
    [[ $output == *"default via"* ]]
    # v6 egress to the outside: masqueraded to the host's v6 address
    run cexec c "nc -w 3 $OUT6 8086 </dev/null"
    echo "egress6: $output"
    [[ $output == "peer=[$(exploded6 "$HOST6")]" ]]
    # v6 port forward from outside
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST6 8086"
    echo "pf6: $output"
    [[ $output == "web-"* ]]
    # container to container on v6
    run cexec c "nc -w 3 $w6 80 </dev/null"
    [[ $output == "web-"* ]]
    run lookup c w aaaa
    echo "$output"
    [[ $output == *"Address: $w6"* ]]
}

@test "network create --subnet --gateway --ip-range" {
    pm network create --subnet 10.99.0.0/24 --gateway 10.99.0.254 --ip-range 10.99.0.128/25 nr >/dev/null
    run_web w --network nr
    ip=$(ctr_ip w nr)
    echo "ip=$ip"
    [[ $ip == 10.99.0.* && ${ip##*.} -ge 128 ]]
    run cexec w "ip route"
    echo "$output"
    [[ $output == *"default via 10.99.0.254"* ]]
    br=$(pm network inspect -f '{{.NetworkInterface}}' nr)
    run ip -o -4 addr show "$br"
    [[ $output == *"10.99.0.254/24"* ]]
    out_listen 8080
    run cexec w "nc -w 3 $OUT4 8080 </dev/null"
    [[ $output == "peer=$HOST4" ]]
}

@test "network create -o mtu=1400" {
    pm network create -o mtu=1400 nm >/dev/null
    pm run -d --name c --network nm "$IMAGE" sleep 300 >/dev/null
    run cexec c "cat /sys/class/net/eth0/mtu"
    [[ $output == 1400 ]]
    br=$(pm network inspect -f '{{.NetworkInterface}}' nm)
    [[ $(mtu_of "$br") == 1400 ]]
    # the host end of the veth too
    veth=$(ip -o link show master "$br" | awk -F'[ :@]+' '{print $2; exit}')
    [[ $(mtu_of "$veth") == 1400 ]]
}

@test "network create -o isolate=true: isolated networks do not reach each other" {
    # netavark 1.x semantics: traffic between two isolated networks is
    # dropped; an isolated network still reaches non-isolated ones (2.x calls
    # that "true", and has "strict" for full isolation)
    run pm network create -o isolate=true niso1
    if [[ $status -ne 0 ]]; then
        skip "podman 4.3.1 refuses the option: $output"
    fi
    pm network create -o isolate=true niso2 >/dev/null
    pm network create nopen >/dev/null
    run_web w --network niso1
    run_web w2 --network nopen
    pm run -d --name c --network niso2 "$IMAGE" sleep 300 >/dev/null
    pm run -d --name d --network niso1 "$IMAGE" sleep 300 >/dev/null
    # same network: fine
    run reach d "$(ctr_ip w niso1)"
    [[ $output == "web-"* ]]
    # from another isolated network: blocked
    run reach c "$(ctr_ip w niso1)"
    echo "iso2->iso1: $output"
    [[ $output != "web-"* ]]
    # and the other way round
    run_web w3 --network niso2
    run reach d "$(ctr_ip w3 niso2)"
    echo "iso1->iso2: $output"
    [[ $output != "web-"* ]]
    # from an isolated network to a normal one: allowed (1.x)
    run reach c "$(ctr_ip w2 nopen)"
    echo "iso2->open: $output"
    [[ $output == "web-"* ]]
    # egress still works
    out_listen 8080
    run cexec c "nc -w 3 $OUT4 8080 </dev/null"
    [[ $output == "peer=$HOST4" ]]
}

@test "network create -o metric=: the default route's metric" {
    run pm network create -o metric=250 nmet
    if [[ $status -ne 0 ]]; then
        skip "podman 4.3.1 refuses the option: $output"
    fi
    pm run -d --name c --network nmet "$IMAGE" sleep 300 >/dev/null
    run cexec c "ip route"
    echo "$output"
    [[ $output == *"default via"*"metric 250"* ]]
}

@test "network create --driver macvlan on a link inside the sandbox" {
    ip addr add 192.168.77.200/24 dev sbxpar1
    pm network create --driver macvlan -o parent=sbxpar0 --subnet 192.168.77.0/24 \
        --gateway 192.168.77.1 nmv >/dev/null
    bg socat -T 5 TCP-LISTEN:8077,bind=192.168.77.200,reuseaddr,fork SYSTEM:'echo peer=$SOCAT_PEERADDR'
    wait_until 5 "ss -lnH | grep -q ':8077 '"
    pm run -d --name c --network nmv --mac-address 02:42:c0:a8:4d:0a "$IMAGE" sleep 300 >/dev/null
    ip=$(ctr_ip c nmv)
    [[ $ip == 192.168.77.* ]]
    run cexec c "ip -o link show eth0; ip route"
    echo "$output"
    [[ $output == *"02:42:c0:a8:4d:0a"* ]]
    [[ $output == *"default via 192.168.77.1"* ]]
    # traffic leaves through the parent, unmasqueraded
    run cexec c "nc -w 3 192.168.77.200 8077 </dev/null"
    echo "$output"
    [[ $output == "peer=$ip" ]]
}

@test "network create --driver ipvlan on a link inside the sandbox" {
    if ! ip link add sbxipvl type ipvlan link sbxpar0 mode l2 2>/dev/null; then
        skip "this kernel has no ipvlan support (ip link add type ipvlan fails)"
    fi
    ip link del sbxipvl
    ip addr add 192.168.78.200/24 dev sbxpar1
    pm network create --driver ipvlan -o parent=sbxpar0 --subnet 192.168.78.0/24 nipv >/dev/null
    bg socat -T 5 TCP-LISTEN:8078,bind=192.168.78.200,reuseaddr,fork SYSTEM:'echo peer=$SOCAT_PEERADDR'
    wait_until 5 "ss -lnH | grep -q ':8078 '"
    pm run -d --name c --network nipv "$IMAGE" sleep 300 >/dev/null
    ip=$(ctr_ip c nipv)
    run cexec c "nc -w 3 192.168.78.200 8078 </dev/null"
    [[ $output == "peer=$ip" ]]
}

@test "static --ip, --ip6 and --mac-address on a dual-stack network" {
    pm network create --subnet 10.89.5.0/24 --subnet fd00:5::/64 nst >/dev/null
    run_web6 w --network nst --ip 10.89.5.77 --ip6 fd00:5::77 --mac-address 02:00:00:00:05:77
    pm run -d --name c --network nst "$IMAGE" sleep 300 >/dev/null
    run cexec w "ip -o addr show eth0; ip -o link show eth0"
    echo "$output"
    [[ $output == *"inet 10.89.5.77/24"* ]]
    [[ $output == *"inet6 fd00:5::77/64"* ]]
    [[ $output == *"02:00:00:00:05:77"* ]]
    [[ $(ctr_ip w nst) == 10.89.5.77 ]]
    run reach c 10.89.5.77
    [[ $output == "web-"* ]]
    run cexec c "nc -w 3 fd00:5::77 80 </dev/null"
    [[ $output == "web-"* ]]
    # the neighbour entry in c carries the static MAC
    run cexec c "ip neigh show 10.89.5.77"
    echo "$output"
    [[ $output == *"02:00:00:00:05:77"* ]]
}
