#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Podman 4.3.1's CNI backend on its default network with the plugins of one
# directory: address, route, egress through ipMasq, -p. Runs inside
# tests/podman/sandbox.sh --backend cni --cni-dir DIR.

load helpers

@test "the CNI backend is in use, with the plugins of the chosen directory" {
    run pm info --format '{{.Host.NetworkBackend}}'
    assert_status 0
    assert_eq "$output" cni "network backend"
    run grep -F "cni_plugin_dirs = [\"$SBX_CNI_DIR\"]" "$CONTAINERS_CONF"
    assert_status 0
    # Podman's default chain and the dnsname plugin
    local t
    for t in loopback bridge host-local portmap firewall tuning dnsname; do
        [[ -x $SBX_CNI_DIR/$t ]] || fail "$t missing in $SBX_CNI_DIR"
        echo "# $t: $(plugin_source "$t") $(readlink -f "$SBX_CNI_DIR/$t")" >&3
    done
}

@test "default network: address, default route, egress through ipMasq" {
    out_listen 8080
    run pm run --rm "$IMAGE" sh -c \
        'ip -o -4 addr show eth0; ip route; nc -w 3 198.18.0.2 8080 </dev/null'
    echo "$output"
    assert_status 0
    assert_match "$output" "*inet 10.88.*/16*" "container address"
    assert_match "$output" "*default via 10.88.0.1 dev eth0*" "default route"
    # the outside sees the sandbox host's address (masquerade)
    assert_match "$output" "*peer=$HOST4*" "source address seen outside"
    # the bridge carries the gateway address
    run ip -o -4 addr show cni-podman0
    assert_match "$output" "*10.88.0.1/16*" "gateway on cni-podman0"
}

@test "default network: the container is reachable from the host" {
    run_web web
    ip=$(ctr_ip web)
    assert_match "$ip" "10.88.*" "container address"
    retry_get 10 "web-10.88.0.1" tcp_get "$ip" 80
}

@test "-p 18080:80 on the default network: reached from the outside and the host address" {
    run_web web -p 18080:80
    retry_get 10 "web-*" out_tcp_get "$HOST4" 18080
    echo "outside: $output"
    retry_get 10 "web-*" tcp_get "$HOST4" 18080
    echo "host address: $output"
}

@test "-p: the port answers no more once the container is removed" {
    run_web web -p 18080:80
    retry_get 10 "web-*" out_tcp_get "$HOST4" 18080
    run pm rm -f -t 0 web
    assert_status 0
    run out_tcp_get "$HOST4" 18080
    [[ $output != "web-"* ]] || fail "port 18080 still forwarded: $output"
}
