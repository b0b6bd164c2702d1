#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run a command with real Podman in a sandbox that leaves the machine
# untouched, with berth (or Debian's netavark, the control) as the network
# backend.
#
#   sandbox.sh [options] [--] CMD [ARGS...]
#
#   --backend berth|netavark|cni
#                              network backend (default: $BERTH_PODMAN_BACKEND or berth);
#                              cni: Podman's CNI backend with the plugins of --cni-dir
#   --cni-dir DIR|berth        the CNI plugin directory for --backend cni (default:
#                              $BERTH_CNI_PLUGIN_DIR or berth): DIR as it is (the control:
#                              /usr/lib/cni), or "berth": a directory built by
#                              cni-plugin-dir.sh from --build (berth's plugins where the
#                              build has them, Debian's for the other types)
#   --dns berth|aardvark       DNS server under berth-net (default: $BERTH_PODMAN_DNS
#                              or berth): berth-dns from the install, or Debian's
#                              aardvark-dns next to the installed berth-net
#   --build DIR                meson build dir to install berth from (default:
#                              $BERTH_BUILD or <repo>/build)
#   --timeout SEC              hard limit for CMD (default 900)
#   --keep                     keep the temp dir (for debugging)
#   --tap                      CMD speaks TAP: a missing prerequisite (not root,
#                              no podman) prints "1..0 # SKIP reason", exit 0
#
# With --backend cni nothing of berth is installed; Podman runs the CNI
# plugins of the chosen directory (cni_plugin_dirs), with its conflists in a
# private /etc/cni/net.d (bind-mounted over the machine's), its cache and
# host-local's leases under /var/lib/cni (the private /var/lib) and dnsname's
# files under /run. SBX_CNI_DIR names the directory, SBX_CNI_CONTROL is 1 for
# Debian's /usr/lib/cni and 0 otherwise; a missing tool is then a failure
# (exit 1), not a skip.
#
# CMD runs as root inside the sandbox netns with CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF pointing at the sandbox's files; `podman` just works
# there. The test image is localhost/berth-test (busybox-static + socat).
#
# The sandbox (all of it disappears when CMD ends, also on failure):
# - a private mount namespace (unshare -m --propagation private) with its own
#   tmpfs on /run, /dev/shm (Podman's shm locks) and /var/tmp, a writable
#   overlay on /var/lib (/var/lib/containers/cache), a private
#   /etc/containers, /etc/resolv.conf naming the fake resolver below, and
#   berth installed (`meson install --destdir`) and overlaid read-only on its
#   prefix, so the installed layout (<libexecdir>/berth/netavark ->
#   <bindir>/berth-net) is exactly what Podman runs. The cgroup v2 mount at
#   /sys/fs/cgroup/unified is unmounted there only (crun refuses the mixed
#   v1/v2 layout); Podman runs with cgroups disabled.
# - network namespaces created inside that mount namespace (their names live
#   in its private /run/netns):
#       sbx-out   198.18.0.2/24, 2001:db8:ff::2/64  "the internet", with a
#                 dnsmasq answering *.outside.test
#         | veth
#       sbx-host  198.18.0.1/24, 2001:db8:ff::1/64  Podman's "host"; CMD runs
#                 here (entered with nsenter, not `ip netns exec`, which
#                 remounts /sys)
# - storage (vfs) and Podman's state under a temp dir; --root/--runroot are
#   set through storage.conf.
# Teardown: podman rm -af, pod rm, network rm; then every process left in the
# mount namespace or in one of the sandbox's network namespaces is killed by
# pid; the temp dir is removed.
#
# SAFETY: nothing here runs in the machine's network namespace except
# `unshare`; every ip/nft/podman call is made inside the sandbox.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
REPO=$(cd "$HERE/../.." && pwd)

OUT_IP4=198.18.0.2
HOST_IP4=198.18.0.1
OUT_IP6=2001:db8:ff::2
HOST_IP6=2001:db8:ff::1
IMAGE=localhost/berth-test:latest

log() { echo "sandbox: $*" >&2; }

# -------------------------------------------------------------------------
# helpers shared by the outer and the inner part

# kill_ns_procs MNTNS_LINK NETNS_INODES...: kill every process (except this
# shell and its ancestors) whose mount namespace is MNTNS_LINK or whose
# network namespace inode is one of NETNS_INODES. TERM, 3 s, then KILL.
kill_ns_procs() {
    local mnt=$1
    shift
    local -A nets=()
    local i
    for i in "$@"; do nets[$i]=1; done
    local -A keep=()
    local p=$$
    while [[ $p -gt 1 ]]; do
        keep[$p]=1
        p=$(awk '/^PPid:/{print $2}' /proc/$p/status 2>/dev/null || echo 1)
    done
    local round sig pids
    for round in 1 2; do
        pids=()
        for d in /proc/[0-9]*; do
            p=${d#/proc/}
            [[ -n ${keep[$p]:-} || $p == "$BASHPID" ]] && continue
            local m n
            m=$(readlink "$d/ns/mnt" 2>/dev/null) || continue
            n=$(readlink "$d/ns/net" 2>/dev/null) || continue
            n=${n#net:[}
            n=${n%]}
            if [[ $m == "$mnt" || -n ${nets[$n]:-} ]]; then
                pids+=("$p")
            elif [[ -s ${T:-}/kill-uids ]]; then
                # uids that exist only in the sandbox (rootless tests)
                local uid lo hi
                uid=$(awk '/^Uid:/{print $2}' "$d/status" 2>/dev/null) || continue
                while read -r lo hi; do
                    if ((uid >= lo && uid <= hi)); then pids+=("$p"); break; fi
                done <"$T/kill-uids"
            fi
        done
        ((${#pids[@]})) || return 0
        if ((round == 1)); then sig=TERM; else sig=KILL; fi
        log "killing leftover processes ($sig): $(for p in "${pids[@]}"; do
            printf '%s:%s ' "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done)"
        kill -s "$sig" "${pids[@]}" 2>/dev/null || true
        if ((round == 1)); then
            local t
            for t in $(seq 30); do
                local alive=0
                for p in "${pids[@]}"; do [[ -d /proc/$p ]] && alive=1; done
                ((alive)) || break
                sleep 0.1
            done
        fi
    done
}

# -------------------------------------------------------------------------
# inner part: runs inside the private mount namespace

inner() {
    T=$1
    shift
    cd /
    readlink /proc/self/ns/mnt >"$T/mntns"

    # private /run, /dev/shm, /var/tmp
    mount -t tmpfs -o mode=755 tmpfs /run
    mkdir -p /run/lock /run/netns /run/containers
    mount -t tmpfs -o mode=1777 tmpfs /dev/shm
    mount -t tmpfs -o mode=1777 tmpfs /var/tmp
    # /var/lib writable only in the sandbox: containers/image keeps its blob
    # info cache in /var/lib/containers/cache whatever the storage root is
    mkdir -p "$T/varlib-up" "$T/varlib-work"
    mount -t overlay overlay \
        -o "lowerdir=/var/lib,upperdir=$T/varlib-up,workdir=$T/varlib-work" /var/lib
    # crun refuses the mixed cgroup v1/v2 layout while the v2 mount is there
    if mountpoint -q /sys/fs/cgroup/unified; then
        umount /sys/fs/cgroup/unified
    fi

    # resolv.conf and /etc/containers
    echo "nameserver $OUT_IP4" >"$T/resolv.conf"
    mount --bind "$T/resolv.conf" /etc/resolv.conf
    mkdir -p "$T/etc-containers"
    if [[ -d /etc/containers ]]; then
        cp -a /etc/containers/. "$T/etc-containers/"
        rm -rf "$T/etc-containers/networks" "$T/etc-containers/containers.conf.d"
        mount --bind "$T/etc-containers" /etc/containers
    fi

    # Podman's CNI backend: a private conflist directory
    if [[ $BACKEND == cni ]]; then
        mkdir -p "$T/cni-net.d"
        mount --bind "$T/cni-net.d" /etc/cni/net.d
    fi

    # berth's install overlaid on its prefix
    if [[ $BACKEND == berth ]]; then
        local prefix
        prefix=$(cat "$T/prefix")
        mkdir -p "$prefix"
        mount -t overlay overlay -o "lowerdir=$T/dest$prefix:$prefix" "$prefix"
    fi

    # networks
    ip netns add sbx-host
    ip netns add sbx-out
    local H="nsenter --net=/run/netns/sbx-host" O="nsenter --net=/run/netns/sbx-out"
    for n in sbx-host sbx-out; do
        stat -L -c %i "/run/netns/$n" >>"$T/netns-inodes"
    done
    trap inner_cleanup EXIT
    $H ip link set lo up
    $O ip link set lo up
    $H ip link add vout type veth peer name eth0 netns /run/netns/sbx-out
    $H sysctl -qw net.ipv6.conf.vout.accept_dad=0
    $O sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    $H ip addr add $HOST_IP4/24 dev vout
    $H ip addr add $HOST_IP6/64 dev vout nodad
    $O ip addr add $OUT_IP4/24 dev eth0
    $O ip addr add $OUT_IP6/64 dev eth0 nodad
    # a second address in the outside world ("a remote server")
    $O ip addr add 198.19.0.1/32 dev lo
    $H ip link set vout up
    $O ip link set eth0 up
    $H ip route add default via $OUT_IP4
    $H ip -6 route add default via $OUT_IP6
    # a spare link for macvlan/ipvlan parents
    $H ip link add sbxpar0 type veth peer name sbxpar1
    $H ip link set sbxpar0 up
    $H ip link set sbxpar1 up
    # the fake internet resolver
    $O dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address=$OUT_IP4 --except-interface=lo \
        --address=/outside.test/198.19.0.1 --pid-file="$T/dnsmasq.pid" \
        --user=root --group=root 2>"$T/dnsmasq.log" || log "dnsmasq failed: $(cat "$T/dnsmasq.log")"

    export CONTAINERS_CONF=$T/containers.conf
    export CONTAINERS_STORAGE_CONF=$T/storage.conf
    export TMPDIR=$T/tmp
    export SBX_DIR=$T SBX_BACKEND=$BACKEND SBX_DNS=$DNS SBX_IMAGE=$IMAGE
    export SBX_OUT_IP4=$OUT_IP4 SBX_HOST_IP4=$HOST_IP4 SBX_OUT_IP6=$OUT_IP6 SBX_HOST_IP6=$HOST_IP6
    export SBX_HELPERS=$(cat "$T/helpers-dir")
    if [[ $BACKEND == cni ]]; then
        export SBX_CNI_DIR=$CNI_DIR SBX_CNI_CONTROL=$CNI_CONTROL
    fi
    unset XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS
    export DBUS_SYSTEM_BUS_ADDRESS=
    cp "$T/storage.conf" /etc/containers/storage.conf 2>/dev/null || true

    if ! $H timeout 120 podman import -q --change 'CMD ["/bin/sh"]' \
        "$T/rootfs.tar" "$IMAGE" >"$T/import.log" 2>&1; then
        log "podman import failed: $(cat "$T/import.log")"
        return 1
    fi

    local rc=0
    cd "$SBX_CWD"
    $H "$@" || rc=$?
    return $rc
}

inner_cleanup() {
    local rc=$?
    set +e
    local H="nsenter --net=/run/netns/sbx-host"
    $H timeout 60 podman rm -af -t 0 >/dev/null 2>&1
    $H timeout 30 podman pod rm -af -t 0 >/dev/null 2>&1
    local n
    for n in $($H timeout 30 podman network ls -q 2>/dev/null); do
        [[ $n == podman ]] || $H timeout 30 podman network rm -f "$n" >/dev/null 2>&1
    done
    local inodes=()
    for n in /run/netns/*; do
        [[ -e $n ]] && inodes+=("$(stat -L -c %i "$n" 2>/dev/null)")
    done
    kill_ns_procs "$(cat "$T/mntns")" "${inodes[@]}"
    for n in /run/netns/*; do
        [[ -e $n ]] && ip netns del "${n##*/}" 2>/dev/null
    done
    exit $rc
}

# -------------------------------------------------------------------------
# outer part

outer() {
    BACKEND=${BERTH_PODMAN_BACKEND:-berth}
    DNS=${BERTH_PODMAN_DNS:-berth}
    BUILD=${BERTH_BUILD:-$REPO/build}
    CNI_DIR=${BERTH_CNI_PLUGIN_DIR:-berth}
    local limit=900 tap=0
    keep=0
    while (($#)); do
        case $1 in
            --backend) BACKEND=$2; shift 2 ;;
            --dns) DNS=$2; shift 2 ;;
            --build) BUILD=$2; shift 2 ;;
            --cni-dir) CNI_DIR=$2; shift 2 ;;
            --timeout) limit=$2; shift 2 ;;
            --keep) keep=1; shift ;;
            --tap) tap=1; shift ;;
            --) shift; break ;;
            -*) echo "usage: sandbox.sh [--backend berth|netavark|cni] [--cni-dir DIR|berth] [--dns berth|aardvark] [--build DIR] [--timeout SEC] [--] CMD..." >&2; exit 2 ;;
            *) break ;;
        esac
    done
    (($#)) || set -- bash
    [[ $BACKEND == berth || $BACKEND == netavark || $BACKEND == cni ]] ||
        { log "bad backend $BACKEND"; exit 2; }
    [[ $DNS == berth || $DNS == aardvark ]] || { log "bad dns $DNS"; exit 2; }
    skip_all() {
        if [[ $BACKEND == cni ]]; then
            log "missing prerequisite: $*"
            if ((tap)); then echo "1..1"; echo "not ok 1 sandbox: $*"; fi
            exit 1
        fi
        log "skipped: $*"
        if ((tap)); then echo "1..0 # SKIP $*"; exit 0; fi
        exit 77
    }
    [[ $(id -u) -eq 0 ]] || skip_all "needs root"
    local tool
    for tool in podman crun conmon socat dnsmasq nsenter unshare jq; do
        command -v "$tool" >/dev/null || skip_all "missing $tool (scripts/deps.sh)"
    done
    [[ -x /bin/busybox ]] || skip_all "missing busybox-static (scripts/deps.sh)"
    if [[ $BACKEND == netavark && ! -x /usr/lib/podman/netavark ]]; then
        skip_all "Debian's netavark is not installed (control)"
    fi
    if [[ $BACKEND == cni ]]; then
        [[ -d /etc/cni/net.d ]] || skip_all "no /etc/cni/net.d to mount over (podman)"
        [[ -x /usr/lib/cni/bridge ]] || skip_all "missing containernetworking-plugins (scripts/deps.sh)"
        [[ $CNI_DIR == berth || -d $CNI_DIR ]] || skip_all "no CNI plugin directory $CNI_DIR"
    fi

    T=$(mktemp -d /tmp/berth-podman.XXXXXX)
    SBX_CWD=$PWD
    export BACKEND DNS T SBX_CWD
    outer_cleanup() {
        local rc=$?
        set +e
        # anything the inner part could not stop (it was killed)
        if [[ -s $T/mntns ]]; then
            mapfile -t inodes <"$T/netns-inodes" 2>/dev/null
            kill_ns_procs "$(cat "$T/mntns")" "${inodes[@]}"
        fi
        if ((keep)); then log "kept $T"; else rm -rf "$T"; fi
        exit $rc
    }
    trap outer_cleanup EXIT
    trap 'exit 143' TERM INT

    mkdir -p "$T/tmp" "$T/networks" "$T/storage" "$T/runroot" "$T/helpers"

    # berth's install
    local helpers
    CNI_CONTROL=0
    if [[ $BACKEND == cni ]]; then
        if [[ $CNI_DIR == berth ]]; then
            "$HERE/cni-plugin-dir.sh" "$BUILD" "$T/cni-bin" || exit 1
            CNI_DIR=$T/cni-bin
            # berth's dnsname starts berth-dns: the build's (nothing is installed here)
            export BERTH_DNS_BIN=$BUILD/dns/berth-dns
        else
            CNI_DIR=$(readlink -f "$CNI_DIR")
        fi
        [[ $CNI_DIR == /usr/lib/cni ]] && CNI_CONTROL=1
        log "CNI plugins from $CNI_DIR"
        export CNI_DIR CNI_CONTROL
        helpers="\"/usr/lib/podman\""
        echo /usr/lib/podman >"$T/helpers-dir"
    elif [[ $BACKEND == berth ]]; then
        [[ -f $BUILD/build.ninja ]] || { log "no build in $BUILD"; exit 1; }
        local prefix libexecdir
        prefix=$(meson introspect --buildoptions "$BUILD" |
            jq -r '.[] | select(.name=="prefix") | .value')
        libexecdir=$(meson introspect --buildoptions "$BUILD" |
            jq -r '.[] | select(.name=="libexecdir") | .value')
        [[ $libexecdir == /* ]] || libexecdir=$prefix/$libexecdir
        echo "$prefix" >"$T/prefix"
        meson install -C "$BUILD" --no-rebuild --quiet --destdir "$T/dest" >"$T/install.log" 2>&1 ||
            { log "meson install failed: $(tail -5 "$T/install.log")"; exit 1; }
        if [[ $DNS == berth ]]; then
            helpers="\"$libexecdir/berth\", \"/usr/lib/podman\""
        else
            # berth-net from the install, Debian's aardvark-dns
            ln -s "$libexecdir/berth/netavark" "$T/helpers/netavark"
            ln -s /usr/lib/podman/aardvark-dns "$T/helpers/aardvark-dns"
            helpers="\"$T/helpers\", \"/usr/lib/podman\""
        fi
        echo "$libexecdir/berth" >"$T/helpers-dir"
    else
        helpers="\"/usr/lib/podman\""
        echo /usr/lib/podman >"$T/helpers-dir"
    fi

    local nofile nproc
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    [[ $nofile == unlimited ]] && nofile=1048576
    [[ $nproc == unlimited ]] && nproc=1048576
    # Podman lowers its own RLIMIT_NPROC to 32768 before it runs conmon and
    # crun, and cannot raise it back without CAP_SYS_RESOURCE
    ((nproc > 32768)) && nproc=32768
    cat >"$T/containers.conf" <<EOF
[containers]
cgroups = "disabled"
default_ulimits = ["nofile=1024:$nofile", "nproc=4096:$nproc"]
log_driver = "k8s-file"
netns = "bridge"
pidns = "private"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
helper_binaries_dir = [$helpers]
image_copy_tmp_dir = "$T/tmp"
runtime = "crun"
tmp_dir = "/run/libpod"
volume_path = "$T/volumes"
num_locks = 256

[network]
EOF
    if [[ $BACKEND == cni ]]; then
        cat >>"$T/containers.conf" <<EOF
network_backend = "cni"
cni_plugin_dirs = ["$CNI_DIR"]
network_config_dir = "/etc/cni/net.d"
EOF
    else
        cat >>"$T/containers.conf" <<EOF
network_backend = "netavark"
network_config_dir = "$T/networks"
EOF
    fi
    cat >"$T/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$T/storage"
runroot = "$T/runroot"
EOF

    # the image: busybox-static, plus socat (UDP) with its libraries
    local r=$T/rootfs
    mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/www"
    cp /bin/busybox "$r/bin/busybox"
    local a
    for a in $(/bin/busybox --list); do
        [[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
    done
    cp /usr/bin/socat "$r/bin/socat"
    local lib
    for lib in $(ldd /usr/bin/socat | grep -o '/[^ ]*'); do
        mkdir -p "$r$(dirname "$lib")"
        cp -L "$lib" "$r$lib"
    done
    echo "berth" >"$r/www/index.html"
    tar -C "$r" -cf "$T/rootfs.tar" .
    rm -rf "$r"

    local rc=0
    timeout -k 10 "$limit" unshare -m --propagation private -- "$SELF" __inner "$T" "$@" || rc=$?
    return $rc
}

if [[ ${1:-} == __inner ]]; then
    shift
    inner "$@"
else
    outer "$@"
fi
