#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run a command with a private containerd (Debian 12: 1.6) whose `ctr run
# --cni` calls the CNI plugins of one directory, in the sandbox of the Podman
# tests (tests/podman/sandbox.sh --backend cni: private mount namespace,
# private /run, /var/lib, /etc/cni/net.d, network namespaces sbx-host and
# sbx-out). Nothing here touches the machine's network or cgroups.
#
#   sandbox.sh [--cni-dir DIR|berth] [--build DIR] [--timeout SEC] [--keep] [--tap] [--] CMD...
#
#   --cni-dir DIR|berth   the plugins (default $BERTH_CNI_PLUGIN_DIR or berth): DIR as it
#                         is (the control: /usr/lib/cni), or "berth": berth's plugins
#                         where the build has them, Debian's for the others
#                         (tests/podman/cni-plugin-dir.sh)
#   --build, --timeout, --keep, --tap   as for tests/podman/sandbox.sh
#
# Inside the sandbox, before CMD runs (in sbx-host):
# - a tmpfs on /var/lib/containerd; an overlay on /opt whose /opt/cni/bin (the
#   directory ctr's go-cni runs plugins from; it does not exist on the
#   machine) holds one trace wrapper per plugin of the chosen directory: it
#   runs that plugin with the same stdin, arguments and environment, and
#   appends "<type> <CNI_COMMAND> id=<CNI_CONTAINERID> if=<CNI_IFNAME>
#   netns=[<CNI_NETNS>] rc=<status>" to $CTRD_TRACE (delegated IPAM calls come
#   through CNI_PATH=/opt/cni/bin, so they are traced too);
# - containerd started with its own config, root (/var/lib/containerd), state
#   and socket (/run/containerd), the CRI plugin disabled (ctr is the CNI
#   client here); waits on its socket are bounded;
# - the image $CTRD_IMAGE imported with `ctr image import` from an OCI archive
#   built here from busybox-static (no registry, no network);
# - $CTRD_RUNTIME: crun with --cgroup-manager=disabled, for `ctr run
#   --runc-binary` (runc would create cgroups in the machine's hierarchy).
# At the end (also on failure): every container's task killed and deleted,
# the containers removed, containerd stopped (TERM, bounded wait, KILL) and
# reaped; then tests/podman/sandbox.sh kills whatever is left (shims) and
# removes its namespaces and temp dir.
#
# Environment for CMD, besides tests/podman/sandbox.sh's: CONTAINERD_ADDRESS,
# CTRD_IMAGE, CTRD_RUNTIME, CTRD_TRACE, CTRD_LOG (containerd's log),
# CTRD_CNI_DIR (the chosen directory), SBX_CNI_CONTROL.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
REPO=$(cd "$HERE/../.." && pwd)
IMAGE=localhost/berth-ctr:latest

log() { echo "containerd-sandbox: $*" >&2; }

# -------------------------------------------------------------------------
# inner part: CMD of tests/podman/sandbox.sh (sbx-host, private mounts)

# oci_blob FILE: store FILE in the layout as a blob, print "digest size"
oci_blob() {
    local d
    d=$(sha256sum "$1" | cut -d' ' -f1)
    cp "$1" "$L/blobs/sha256/$d"
    echo "sha256:$d $(stat -c %s "$1")"
}

build_image() {
    local r=$C/image
    mkdir -p "$r/rootfs"/{bin,etc,proc,sys,dev,tmp,run}
    cp /bin/busybox "$r/rootfs/bin/busybox"
    local a
    for a in $(/bin/busybox --list); do
        [[ $a == busybox ]] || ln -sf busybox "$r/rootfs/bin/$a"
    done
    tar -C "$r/rootfs" --sort=name --mtime=@0 --owner=0 --group=0 -cf "$r/layer.tar" .
    L=$r/oci
    mkdir -p "$L/blobs/sha256"
    local layer config manifest
    read -r -a layer < <(oci_blob "$r/layer.tar")
    printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
        "${layer[0]}" >"$r/config.json"
    read -r -a config < <(oci_blob "$r/config.json")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
        "${config[@]}" "${layer[@]}" >"$r/manifest.json"
    read -r -a manifest < <(oci_blob "$r/manifest.json")
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
        "${manifest[@]}" "$IMAGE" >"$L/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
    tar -C "$L" -cf "$r/image.tar" .
    timeout 60 ctr image import "$r/image.tar" >"$C/import.log" 2>&1 ||
        { log "ctr image import failed: $(cat "$C/import.log")"; return 1; }
}

# trace_dir: /opt/cni/bin with one wrapper per plugin of $CNI_DIR
trace_dir() {
    mkdir -p "$C/opt-up" "$C/opt-work"
    mount -t overlay overlay -o "lowerdir=/opt,upperdir=$C/opt-up,workdir=$C/opt-work" /opt
    mkdir -p /opt/cni/bin
    local f t
    for f in "$CNI_DIR"/*; do
        t=${f##*/}
        [[ -x $f && ! -d $f ]] || continue
        cat >"/opt/cni/bin/$t" <<WRAP
#!/bin/sh
# trace wrapper (tests/containerd/sandbox.sh): runs $f unchanged
"$f" "\$@"
rc=\$?
printf '%s %s id=%s if=%s netns=[%s] rc=%s\n' "$t" "\$CNI_COMMAND" "\$CNI_CONTAINERID" \\
    "\$CNI_IFNAME" "\$CNI_NETNS" "\$rc" >>"$CTRD_TRACE"
exit \$rc
WRAP
        chmod 755 "/opt/cni/bin/$t"
    done
    [[ -f $CNI_DIR/.sources ]] && cp "$CNI_DIR/.sources" /opt/cni/bin/.sources
    return 0
}

start_containerd() {
    mkdir -p /var/lib/containerd
    mount -t tmpfs -o mode=711 tmpfs /var/lib/containerd
    cat >"$C/config.toml" <<CONF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "/run/containerd/containerd.sock"
[ttrpc]
  address = "/run/containerd/containerd.sock.ttrpc"
CONF
    containerd --config "$C/config.toml" </dev/null >"$CTRD_LOG" 2>&1 &
    CTRD_PID=$!
    echo "$CTRD_PID" >"$C/containerd.pid"
    local i
    for ((i = 0; i < 150; i++)); do
        if [[ -S $CONTAINERD_ADDRESS ]] && timeout 5 ctr version >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$CTRD_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "containerd did not come up: $(tail -5 "$CTRD_LOG")"
    return 1
}

stop_containerd() {
    [[ -n ${CTRD_PID:-} ]] || return 0
    local id i
    for id in $(timeout 10 ctr task ls -q 2>/dev/null); do
        timeout 10 ctr task kill -s KILL "$id" >/dev/null 2>&1
    done
    for id in $(timeout 10 ctr container ls -q 2>/dev/null); do
        for ((i = 0; i < 50; i++)); do
            timeout 10 ctr task rm -f "$id" >/dev/null 2>&1 && break
            timeout 10 ctr task ls -q 2>/dev/null | grep -qx "$id" || break
            sleep 0.1
        done
        timeout 10 ctr container rm "$id" >/dev/null 2>&1
    done
    kill -TERM "$CTRD_PID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$CTRD_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$CTRD_PID" 2>/dev/null; then
        log "containerd ignored TERM for 10 s: KILL"
        kill -KILL "$CTRD_PID" 2>/dev/null
    fi
    wait "$CTRD_PID" 2>/dev/null
    CTRD_PID=
}

inner() {
    C=$SBX_DIR/containerd
    mkdir -p "$C"
    CNI_DIR=$SBX_CNI_DIR
    export CONTAINERD_ADDRESS=/run/containerd/containerd.sock
    export CTRD_IMAGE=$IMAGE CTRD_TRACE=$C/cni-trace.log CTRD_LOG=$C/containerd.log
    export CTRD_CNI_DIR=$CNI_DIR CTRD_RUNTIME=$C/crun-nocg
    : >"$CTRD_TRACE"
    printf '#!/bin/sh\nexec /usr/bin/crun --cgroup-manager=disabled "$@"\n' >"$CTRD_RUNTIME"
    chmod 755 "$CTRD_RUNTIME"
    trap 'rc=$?; set +e; stop_containerd; exit $rc' EXIT
    trace_dir
    start_containerd
    build_image
    local rc=0
    "$@" || rc=$?
    return $rc
}

# -------------------------------------------------------------------------
# outer part

outer() {
    local args=() tap=0
    local cni_dir=${BERTH_CNI_PLUGIN_DIR:-berth}
    while (($#)); do
        case $1 in
            --cni-dir) cni_dir=$2; shift 2 ;;
            --build | --timeout) args+=("$1" "$2"); shift 2 ;;
            --keep) args+=(--keep); shift ;;
            --tap) args+=(--tap); tap=1; shift ;;
            --) shift; break ;;
            -*) echo "usage: sandbox.sh [--cni-dir DIR|berth] [--build DIR] [--timeout SEC] [--keep] [--tap] [--] CMD..." >&2; exit 2 ;;
            *) break ;;
        esac
    done
    (($#)) || set -- bash
    local tool missing=()
    for tool in containerd ctr crun; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    [[ -x /bin/busybox ]] || missing+=(busybox-static)
    if ((${#missing[@]})); then
        log "missing ${missing[*]} (scripts/deps.sh)"
        ((tap)) && printf '1..1\nnot ok 1 sandbox: missing %s (scripts/deps.sh)\n' "${missing[*]}"
        exit 1
    fi
    exec "$REPO/tests/podman/sandbox.sh" --backend cni --cni-dir "$cni_dir" "${args[@]}" \
        -- "$SELF" __inner "$@"
}

if [[ ${1:-} == __inner ]]; then
    shift
    inner "$@"
else
    outer "$@"
fi
