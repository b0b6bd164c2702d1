#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Containers with real traffic: run, names through berth-dns, published
# ports, isolation between networks, stop/start/restart, connect and
# disconnect, exit codes, and a clean host afterwards.
load helpers

setup() {
    require_sandbox
    engine_reset
    import_busybox
}

teardown() {
    engine_reset
}

@test "run: an address from the network, /etc files, egress to the outside" {
    b network create front >/dev/null
    run b run --rm --network front --hostname box busybox sh -c \
        'ip -4 -o addr show eth0; hostname; cat /etc/resolv.conf; grep box /etc/hosts; ping -c1 -W3 198.18.0.2 >/dev/null && echo EGRESS-OK'
    assert_ok
    assert_contains "inet 10.89.0.2/24"
    assert_contains "box"
    assert_contains "nameserver 10.89.0.1"
    assert_contains "search dns.podman"
    assert_contains "EGRESS-OK"
    # --rm: gone, and so is its network side
    run b ps -aq
    [[ -z $output ]]
    assert_no_leftovers
}

@test "run: the container's exit code; a container that exits by itself is cleaned up" {
    run b run --rm busybox sh -c 'exit 3'
    [[ $status == 3 ]]
    b run -d --name quick busybox sh -c 'exit 7' >/dev/null
    wait_for "quick to exit" 100 sh -c "\"$BERTH\" ps -a | grep -q 'Exited (7)'"
    assert_no_leftovers
    run b inspect quick
    [[ $(jq -r '.[0].State.ExitCode' <<<"$output") == 7 ]]
    [[ $(jq -r '.[0].State.Status' <<<"$output") == exited ]]
}

@test "names and aliases resolve through berth-dns; published ports reach the container" {
    b network create front >/dev/null
    b run -d --name web --alias www --network front -p 8080:80 busybox httpd -f -p 80 -h /var/www >/dev/null
    run b run --rm --network front busybox sh -c 'timeout 5 wget -qO- http://web:80/ && timeout 5 wget -qO- http://www:80/'
    assert_ok
    [[ $output == $'hello from berth\nhello from berth' ]]
    # from the outside namespace, through the host's published port
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8080/"
    assert_ok
    [[ $output == "hello from berth" ]]
    run b ps
    assert_contains "0.0.0.0:8080->80/tcp"
}

@test "isolation: a container reaches only the networks it is on" {
    b network create -o isolate=true frontend >/dev/null
    b network create -o isolate=true --internal backend >/dev/null
    b run -d --name db --network backend busybox httpd -f -p 80 -h /var/www >/dev/null
    b run -d --name api --network frontend --network backend busybox httpd -f -p 80 -h /var/www >/dev/null
    db_ip=$(ctr_ip db backend)
    # api is on both: it reaches db by name
    run b exec api timeout 5 wget -qO- http://db:80/
    assert_ok
    [[ $output == "hello from berth" ]]
    # web, on the frontend only, can neither resolve nor reach db
    run b run --rm --network frontend busybox timeout 5 wget -qO- "http://$db_ip:80/"
    assert_fail
    run b run --rm --network frontend busybox nslookup db
    assert_fail
    # the internal backend has no way out
    run b exec db ping -c1 -W2 198.18.0.2
    assert_fail
}

@test "stop, start and restart keep the addresses; stop tears the network down" {
    b network create --subnet 10.89.0.0/24 front >/dev/null
    b run -d --name c1 --network front --ip 10.89.0.50 busybox sleep 1000 >/dev/null
    [[ $(ctr_ip c1 front) == 10.89.0.50 ]]
    b run -d --name c2 --network front busybox sleep 1000 >/dev/null
    ip2=$(ctr_ip c2 front)
    run b stop -t 1 c2
    assert_ok
    run b ps -a
    assert_contains "Exited"
    # its veth is gone while stopped
    [[ $(ip -o link show master podman1 | wc -l) == 1 ]]
    b start c2 >/dev/null
    [[ $(ctr_ip c2 front) == "$ip2" ]]
    b restart -t 1 c2 >/dev/null
    [[ $(ctr_ip c2 front) == "$ip2" ]]
    run b exec c2 ping -c1 -W2 10.89.0.50
    assert_ok
    b rm -f c1 c2 >/dev/null
    assert_no_leftovers
    # the addresses went back to the pool
    run b run --rm --network front --ip 10.89.0.50 busybox true
    assert_ok
}

@test "network connect and disconnect a running container" {
    # isolated, so that only a connection to "two" reaches srv
    b network create -o isolate=true one >/dev/null
    b network create -o isolate=true two >/dev/null
    b run -d --name srv --network two busybox httpd -f -p 80 -h /var/www >/dev/null
    b run -d --name c --network one busybox sleep 1000 >/dev/null
    run b exec c timeout 3 wget -qO- "http://$(ctr_ip srv two):80/"
    assert_fail
    run b network connect --alias cee two c
    assert_ok
    run b exec c ip -o link show eth1
    assert_ok
    run b exec c timeout 5 wget -qO- http://srv:80/
    assert_ok
    [[ $output == "hello from berth" ]]
    run b network connect two c
    assert_fail
    assert_contains "already connected"
    run b network disconnect two c
    assert_ok
    run b exec c ip -o link show eth1
    assert_fail
    run b inspect c
    [[ $(jq -r '.[0].NetworkSettings.Networks | keys | join(",")' <<<"$output") == one ]]
}

@test "errors: unknown image, network and container; bad port; name in use" {
    run b run --rm nosuchimage true
    assert_fail
    [[ $status == 125 ]]
    run b run --rm --network nosuchnet busybox true
    assert_fail
    assert_contains "network not found"
    run b run --rm -p 99999:80 busybox true
    assert_fail
    assert_contains "invalid host port"
    b create --name taken busybox true >/dev/null
    run b create --name taken busybox true
    assert_fail
    assert_contains "is already in use"
    run b stop nosuch
    assert_fail
    assert_contains 'no container with name or ID "nosuch" found'
    run b rm taken
    assert_ok
}

@test "network graph draws networks, containers, addresses and ports" {
    b network create front >/dev/null
    b run -d --name web --network front -p 8080:80 busybox httpd -f -p 80 -h /var/www >/dev/null
    run b network graph
    assert_ok
    assert_contains 'digraph berth'
    assert_contains '"net:front"'
    assert_contains '"ctr:web" -> "net:front"'
    assert_contains '8080 -> 80/tcp'
    command -v dot >/dev/null || skip "graphviz not installed"
    run b network graph --format svg -o "$SBX_DIR/g.svg"
    assert_ok
    grep -q '<svg' "$SBX_DIR/g.svg"
}

@test "a network run by another netavark: Debian's, named by the label berth.netavark" {
    [[ -x /usr/lib/podman/netavark ]] || skip "Debian's netavark not installed"
    b network create --label berth.netavark=/usr/lib/podman/netavark --subnet 10.89.44.0/24 ctl >/dev/null
    b network create --subnet 10.89.45.0/24 own >/dev/null
    # one container on both: one call to each backend
    b run -d --name web --network ctl --network own -p 8090:80 busybox httpd -f -p 80 -h /var/www >/dev/null
    run b run --rm --network ctl busybox sh -c 'timeout 5 wget -qO- http://web:80/'
    assert_ok
    [[ $output == "hello from berth" ]]
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8090/"
    assert_ok
    # netavark 1.4's firewall is iptables chains; berth-net's is table inet berth
    iptables -t nat -S | grep -q NETAVARK
    b rm -f web >/dev/null
    assert_no_leftovers
    run b network create --label berth.netavark=relative/path bad
    assert_ok
    run b run --rm --network bad busybox true
    assert_fail
    assert_contains "must be an absolute path"
}

@test "logs of a detached container; network reload restores a flushed firewall" {
    b network create --subnet 10.89.46.0/24 front >/dev/null
    b run -d --name talker busybox sh -c 'echo hello out; echo hello err >&2' >/dev/null
    wait_for "talker to exit" 100 sh -c "\"$BERTH\" ps -a | grep -q 'Exited (0)'"
    run b logs talker
    assert_ok
    assert_contains "hello out"
    assert_contains "hello err"
    b run -d --name web --network front -p 8080:80 busybox httpd -f -p 80 -h /var/www >/dev/null
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8080/"
    assert_ok
    # a firewall reload by someone else (firewalld, iptables-restore) wipes berth's rules
    nft flush ruleset
    run sbx_out wget -qO- -T 2 "http://$SBX_HOST_IP4:8080/"
    assert_fail
    run b network reload --all
    assert_ok
    assert_contains "$(b inspect web | jq -r '.[0].Id')"
    run sbx_out wget -qO- -T 3 "http://$SBX_HOST_IP4:8080/"
    assert_ok
    [[ $output == "hello from berth" ]]
}

@test "--mac-address, --dns; the seccomp profile and the dropped capabilities apply" {
    b network create --subnet 10.89.47.0/24 front >/dev/null
    run b run --rm --network front --mac-address 02:42:ac:11:00:09 --dns 192.0.2.53 busybox sh -c \
        'cat /sys/class/net/eth0/address; cat /etc/resolv.conf; grep -E "^(Seccomp|CapEff):" /proc/self/status'
    assert_ok
    assert_contains "02:42:ac:11:00:09"
    assert_contains "nameserver 192.0.2.53"
    # mode 2: a seccomp filter is installed
    assert_contains $'Seccomp:\t2'
    # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT SETFCAP
    assert_contains $'CapEff:\t00000000800425fb'
    # a call the profile refuses (the capabilities alone would not stop this one: unshare of
    # a user namespace needs none)
    run b run --rm --network none busybox unshare -U true
    assert_fail
}
