#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Podman on the default network: address, route, egress (NAT), and -p in all
# forms. Runs inside tests/podman/sandbox.sh.

load helpers

@test "the backend in use is the one asked for" {
    run pm info --format '{{.Host.NetworkBackend}}'
    [[ $output == netavark ]]
    # Podman runs the first `netavark` in helper_binaries_dir
    run "$SBX_HELPERS/netavark" --version
    [[ $status -eq 0 && $output == "netavark 1.4.0" ]]
    if ! is_control; then
        [[ $(readlink -f "$SBX_HELPERS/netavark") == */bin/berth-net ]]
        run "$SBX_HELPERS/netavark" version
        [[ $(jq -r .berth_version <<<"$output") != null ]]
    fi
}

@test "podman run --rm true" {
    run pm run --rm "$IMAGE" true
    echo "$output"
    [[ $status -eq 0 ]]
    run pm run --rm --network none "$IMAGE" true
    [[ $status -eq 0 ]]
}

@test "default network: address, default route, egress through NAT" {
    out_listen 8080
    run pm run --rm "$IMAGE" sh -c \
        'ip -o -4 addr show eth0; ip route; nc -w 3 198.18.0.2 8080 </dev/null'
    echo "$output"
    [[ $status -eq 0 ]]
    [[ $output == *"inet 10.88."*"/16"* ]]
    [[ $output == *"default via 10.88.0.1 dev eth0"* ]]
    # the outside sees the sandbox host's address (masquerade)
    [[ $output == *"peer=$HOST4"* ]]
}

@test "default network: container reachable from the host, not the bridge from outside" {
    run_web web
    ip=$(ctr_ip web)
    run tcp_get "$ip" 80
    echo "$output"
    [[ $output == "web-10.88.0.1" ]]
    # the bridge is podman0 with the gateway address
    run ip -o -4 addr show podman0
    [[ $output == *"10.88.0.1/16"* ]]
}

@test "-p host port: from outside, from the host, 127.0.0.1, another container" {
    run_web web -p 8080:80
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    echo "outside: $output"
    [[ $output == "web-"* ]]
    run tcp_get "$HOST4" 8080
    echo "host addr: $output"
    [[ $output == "web-"* ]]
    run tcp_get 127.0.0.1 8080
    echo "localhost: $output"
    [[ $output == "web-"* ]]
    run pm run --rm "$IMAGE" sh -c "nc -w 3 $HOST4 8080 </dev/null"
    echo "container: $output"
    [[ $output == "web-"* ]]
}

@test "-p host_ip:port:port binds only that address" {
    ip addr add 192.0.2.10/32 dev lo
    run_web web -p 192.0.2.10:8081:80
    run tcp_get 192.0.2.10 8081
    echo "$output"
    [[ $output == "web-"* ]]
    run tcp_get "$HOST4" 8081
    echo "other address: $output"
    [[ $output != "web-"* ]]
    ip addr del 192.0.2.10/32 dev lo
}

@test "-p ranges: 9000-9002:9000-9002 and a random host port" {
    pm run -d --name rng -p 9000-9002:9000-9002 -p 80 "$IMAGE" sh -c \
        'for p in 9000 9001 9002 80; do socat -T5 TCP-LISTEN:$p,reuseaddr,fork SYSTEM:"echo port-$p" & done; wait'
    wait_until 10 "pm exec rng netstat -ltn | grep -q ':9002 '"
    for p in 9000 9001 9002; do
        run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 $p"
        echo "$p: $output"
        [[ $output == "port-$p" ]]
    done
    hp=$(pm port rng 80/tcp)
    hp=${hp##*:}
    [[ -n $hp ]]
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 $hp"
    [[ $output == "port-80" ]]
}

@test "-p udp: from outside and from the host" {
    pm run -d --name dnsish -p 5353:53/udp "$IMAGE" sh -c "$CTR_UDP_SERVER"
    wait_until 10 "pm exec dnsish netstat -lun | grep -q ':53 '"
    run out_udp_get "$HOST4" 5353
    echo "outside: $output"
    [[ $output == "udp-"* ]]
    run udp_get "$HOST4" 5353
    echo "host: $output"
    [[ $output == "udp-"* ]]
}

@test "-p: after the container is gone, the port answers no more" {
    run_web web -p 8080:80
    run tcp_get "$HOST4" 8080
    [[ $output == "web-"* ]]
    pm rm -f -t 0 web
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    [[ $output != "web-"* ]]
}
