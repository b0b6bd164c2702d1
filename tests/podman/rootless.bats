#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Rootless Podman: the default network (slirp4netns) and a user-defined
# bridge, whose berth-net (or netavark) runs in Podman's rootless netns with
# --rootless=true. Runs inside tests/podman/sandbox.sh.
#
# The test user exists only in the sandbox: private copies of /etc/passwd,
# group, subuid and subgid are bind-mounted in the sandbox's mount namespace.
# /dev/net/tun is mode 0600 on this kind of machine (no udev): a 0666 copy of
# the node is bind-mounted over it, also only in the sandbox. The sandbox
# kills every process of the user's uids at the end (kill-uids).
# Rootless containers lack CAP_NET_RAW: checks use TCP, not ping.

load helpers

RL_UID=47001
RL_SUB=470000000

rp() {
    setpriv --reuid=$RL_UID --regid=$RL_UID --clear-groups \
        env HOME="$SBX_DIR/rl/home" XDG_RUNTIME_DIR="$SBX_DIR/rl/xdg" \
        CONTAINERS_CONF="$SBX_DIR/rl/containers.conf" \
        CONTAINERS_STORAGE_CONF="$SBX_DIR/rl/storage.conf" TMPDIR="$SBX_DIR/rl/tmp" \
        timeout 120 podman "$@" 2> >(grep -v -e '^failed to connect to syslog' \
            -e 'is not a shared mount' >&2 || true)
}
rexec() {
    local name=$1
    shift
    rp exec "$name" sh -c "$*"
}

setup_file() {
    local T=$SBX_DIR
    if getent passwd $RL_UID >/dev/null || pgrep -U $RL_UID >/dev/null; then
        skip "uid $RL_UID is in use on this machine"
    fi
    echo "$RL_UID $RL_UID" >>"$T/kill-uids"
    echo "$RL_SUB $((RL_SUB + 65535))" >>"$T/kill-uids"
    mkdir -p "$T/rl/home" "$T/rl/xdg" "$T/rl/storage" "$T/rl/run" "$T/rl/tmp" "$T/rl/networks"
    local f
    for f in passwd group subuid subgid; do
        cp "/etc/$f" "$T/rl/$f"
    done
    echo "btest:x:$RL_UID:$RL_UID::$T/rl/home:/bin/sh" >>"$T/rl/passwd"
    echo "btest:x:$RL_UID:" >>"$T/rl/group"
    echo "btest:$RL_SUB:65536" >>"$T/rl/subuid"
    echo "btest:$RL_SUB:65536" >>"$T/rl/subgid"
    for f in passwd group subuid subgid; do
        mount --bind "$T/rl/$f" "/etc/$f"
    done
    mknod "$T/rl/tun" c 10 200
    chmod 666 "$T/rl/tun"
    mount --bind "$T/rl/tun" /dev/net/tun
    cat >"$T/rl/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$T/rl/storage"
runroot = "$T/rl/run"
EOF
    # the rootful file without what is rootful only; rootless Podman's
    # default network mode is slirp4netns
    sed -e "s|^network_config_dir = .*|network_config_dir = \"$T/rl/networks\"|" \
        -e "s|^events_logfile_path = .*|events_logfile_path = \"$T/rl/events.log\"|" \
        -e "s|^image_copy_tmp_dir = .*|image_copy_tmp_dir = \"$T/rl/tmp\"|" \
        -e '/^volume_path/d' -e '/^tmp_dir/d' -e '/^netns = /d' \
        "$CONTAINERS_CONF" >"$T/rl/containers.conf"
    chown -R $RL_UID:$RL_UID "$T/rl"
    chown root:root "$T/rl/tun" "$T/rl/passwd" "$T/rl/group" "$T/rl/subuid" "$T/rl/subgid"
    chmod 700 "$T/rl/xdg"
    chmod 755 "$T"
    pm save -q -o "$T/rl/img.tar" "$IMAGE"
    chmod 644 "$T/rl/img.tar"
    rp load -q -i "$T/rl/img.tar" >/dev/null
}

teardown() {
    if [[ -f $BATS_TEST_TMPDIR/bg.pids ]]; then
        local p
        while read -r p; do
            pkill -P "$p" 2>/dev/null
            kill "$p" 2>/dev/null
        done <"$BATS_TEST_TMPDIR/bg.pids"
        rm -f "$BATS_TEST_TMPDIR/bg.pids"
    fi
    rp rm -af -t 0 >/dev/null 2>&1 || true
    local n
    for n in $(rp network ls -q 2>/dev/null); do
        [[ $n == podman ]] || rp network rm -f "$n" >/dev/null 2>&1 || true
    done
}

teardown_file() {
    # the pause process and slirp4netns of the last rootless netns
    local p
    for p in $(pgrep -U $RL_UID); do kill "$p" 2>/dev/null; done
    true
}

@test "rootless: default network (slirp4netns): address, egress over TCP" {
    out_listen 8080
    run rp run --rm "$IMAGE" sh -c 'ip -o -4 addr show; ip route; nc -w 3 198.18.0.2 8080 </dev/null'
    echo "$output"
    [[ $status -eq 0 ]]
    [[ $output == *"tap0"*"inet 10.0.2.100/24"* ]]
    [[ $output == *"default via 10.0.2.2"* ]]
    # slirp4netns connects from the sandbox host
    [[ $output == *"peer=$HOST4"* ]]
}

@test "rootless: default network -p from the outside and the host" {
    rp run -d --name web -p 8080:80 "$IMAGE" sh -c "$CTR_TCP_SERVER" >/dev/null
    wait_until 10 "rp exec web netstat -ltn | grep -q ':80 '"
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8080"
    echo "outside: $output"
    [[ $output == "web-"* ]]
    run tcp_get 127.0.0.1 8080
    echo "host: $output"
    [[ $output == "web-"* ]]
}

@test "rootless: user bridge: names, egress, -p" {
    rp network create rn >/dev/null
    out_listen 8081
    rp run -d --name web --network rn --network-alias www -p 8082:80 "$IMAGE" \
        sh -c "$CTR_TCP_SERVER" >/dev/null
    wait_until 10 "rp exec web netstat -ltn | grep -q ':80 '"
    rp run -d --name c --network rn "$IMAGE" sleep 300 >/dev/null
    wip=$(rp inspect -f '{{(index .NetworkSettings.Networks "rn").IPAddress}}' web)
    [[ $wip == 10.89.* ]]
    run rexec c "nslookup www"
    echo "$output"
    [[ $output == *"Address: $wip"* ]]
    run rexec c "nc -w 3 web 80 </dev/null"
    echo "by name: $output"
    [[ $output == "web-"* ]]
    # egress: rootless netns -> slirp4netns -> the outside sees the host
    run rexec c "nc -w 3 $OUT4 8081 </dev/null"
    echo "egress: $output"
    [[ $output == "peer=$HOST4" ]]
    # -p: rootlessport in the host, forwarded into the rootless netns
    run outns bash -c "$(declare -f tcp_get); tcp_get $HOST4 8082"
    echo "pf outside: $output"
    [[ $output == "web-"* ]]
    run tcp_get 127.0.0.1 8082
    [[ $output == "web-"* ]]
}

@test "rootless: the backend in use logs from the rootless netns" {
    # Podman 4.3 does not log the backend's command line; the backend's own
    # debug lines (RUST_LOG=netavark=debug) show which one ran
    rp network create rn >/dev/null
    run rp --log-level=debug run --rm --network rn "$IMAGE" true
    [[ $status -eq 0 ]]
    if is_control; then
        grep -q 'netavark::commands::setup' <<<"$output"
    else
        grep -E 'berth' <<<"$output" | head -5
        grep -q 'berth_net' <<<"$output"
    fi
}
