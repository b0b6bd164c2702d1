# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the engine's image tests (tests/engine/image.bats).
#
# Every test has its own store (BERTH_ROOT=$BATS_TEST_TMPDIR/root), never
# /var/lib/berth. The registry tests run Debian's docker-registry inside a
# network namespace of their own (berth-img-<pid>) and talk to it only
# there, through `ip netns exec`; teardown stops it and deletes the
# namespace, also when the test failed.

IMG_HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMG_REPO_ROOT=$(cd "$IMG_HELPERS_DIR/../.." && pwd)
BERTH=${BERTH:-$IMG_REPO_ROOT/build/engine/berth}

img_setup() {
    if [[ $(id -u) -ne 0 ]]; then
        skip "needs root (image extraction keeps owners)"
    fi
    [[ -x $BERTH ]] || skip "no berth binary at $BERTH (set \$BERTH)"
    export BERTH_ROOT=$BATS_TEST_TMPDIR/root
    W=$BATS_TEST_TMPDIR/work
    mkdir -p "$W"
    REG_PID=
    REG_NS=
}

img_teardown() {
    if [[ -n ${REG_PID:-} ]]; then
        kill "$REG_PID" 2>/dev/null || true
        # bounded wait for it to go
        for _ in $(seq 50); do
            kill -0 "$REG_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$REG_PID" 2>/dev/null || true
    fi
    if [[ -n ${REG_NS:-} ]] && ip netns list | grep -qw "$REG_NS"; then
        ip netns del "$REG_NS"
    fi
}

# run berth with the test's store
berth() {
    "$BERTH" "$@"
}

# the store holds no image and no temporary directory
assert_store_empty() {
    local d=$BERTH_ROOT/images
    if [[ -d $d ]]; then
        local left
        left=$(ls -A "$d")
        if [[ -n $left ]]; then
            echo "left in the store: $left" >&2
            return 1
        fi
    fi
}

# a rootfs directory with Debian's static busybox and a few applets
make_busybox_dir() {
    local dir=$1
    mkdir -p "$dir/bin"
    cp /bin/busybox "$dir/bin/busybox"
    local a
    for a in sh ls cat; do
        ln -s busybox "$dir/bin/$a"
    done
}

# deterministic tar of a directory's content
tar_dir() {
    local dir=$1 out=$2
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 \
        -C "$dir" -cf "$out" .
}

# blob FILE MEDIATYPE LAYOUT: move FILE into LAYOUT/blobs/sha256, print its descriptor
blob() {
    local f=$1 mt=$2 layout=$3 d s
    d=$(sha256sum "$f" | cut -d' ' -f1)
    s=$(stat -c %s "$f")
    mkdir -p "$layout/blobs/sha256"
    mv "$f" "$layout/blobs/sha256/$d"
    jq -nc --arg mt "$mt" --arg d "sha256:$d" --argjson s "$s" \
        '{mediaType: $mt, digest: $d, size: $s}'
}

# make_oci_layout LAYOUT: two layers (busybox + files; whiteouts), an image
# config with Cmd/Env, a manifest and index.json named busybox:1.0.
make_oci_layout() {
    local layout=$1 t=$W/oci-src
    rm -rf "$t" "$layout"
    mkdir -p "$t/l1/etc" "$t/l1/data/sub" "$t/l2/etc" "$t/l2/data" "$layout"
    make_busybox_dir "$t/l1"
    echo hello >"$t/l1/etc/hello"
    echo gone >"$t/l1/etc/gone"
    echo old >"$t/l1/data/old1"
    echo old >"$t/l1/data/sub/old2"
    : >"$t/l2/etc/.wh.gone"
    : >"$t/l2/data/.wh..wh..opq"
    echo new >"$t/l2/data/new"
    echo added >"$t/l2/etc/added"
    tar_dir "$t/l1" "$t/layer1.tar"
    tar_dir "$t/l2" "$t/layer2.tar"
    local id1 id2
    id1=sha256:$(sha256sum "$t/layer1.tar" | cut -d' ' -f1)
    id2=sha256:$(sha256sum "$t/layer2.tar" | cut -d' ' -f1)
    gzip -n "$t/layer2.tar"
    local L1 L2 C M
    L1=$(blob "$t/layer1.tar" application/vnd.oci.image.layer.v1.tar "$layout")
    L2=$(blob "$t/layer2.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip "$layout")
    jq -nc --arg a "$id1" --arg b "$id2" '{
        architecture: "amd64", os: "linux", created: "2024-01-02T03:04:05Z",
        config: {Cmd: ["/bin/sh", "-c", "echo hello"], Env: ["PATH=/bin", "FOO=bar"],
                 WorkingDir: "/data"},
        rootfs: {type: "layers", diff_ids: [$a, $b]}}' >"$t/config.json"
    C=$(blob "$t/config.json" application/vnd.oci.image.config.v1+json "$layout")
    jq -nc --argjson c "$C" --argjson l1 "$L1" --argjson l2 "$L2" '{
        schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: $c, layers: [$l1, $l2]}' >"$t/manifest.json"
    M=$(blob "$t/manifest.json" application/vnd.oci.image.manifest.v1+json "$layout")
    jq -nc --argjson m "$M" '{schemaVersion: 2,
        manifests: [$m + {annotations: {"org.opencontainers.image.ref.name": "busybox:1.0"}}]}' \
        >"$layout/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
}

# make_oci_archive OUT [LAYOUT]: tar of an OCI layout
make_oci_archive() {
    local out=$1 layout=${2:-$W/layout}
    [[ -d $layout ]] || make_oci_layout "$layout"
    tar -C "$layout" -cf "$out" .
}

# digest of the blob of layer N (1-based) of the layout's manifest
layout_layer_digest() {
    local layout=$1 n=$2 m
    m=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
    jq -r ".layers[$((n - 1))].digest" "$layout/blobs/sha256/$m"
}

# the files of a rootfs: path, type, mode, owner, link target; and content digests
rootfs_listing() {
    local dir=$1
    (cd "$dir" && find . -mindepth 1 -printf '%p %y %m %U:%G %l\n' | sort &&
        find . -type f -exec sha256sum {} + | sort -k2)
}

# start_registry: docker-registry in a new netns on 127.0.0.1:5000 (REG_NS, REG_PID, REG_DIR)
start_registry() {
    command -v docker-registry >/dev/null || skip "docker-registry is not installed"
    command -v skopeo >/dev/null || skip "skopeo is not installed"
    command -v curl >/dev/null || skip "curl is not installed"
    REG_NS=berth-img-$$-${BATS_TEST_NUMBER:-0}
    REG_DIR=$BATS_TEST_TMPDIR/registry
    mkdir -p "$REG_DIR/storage"
    ip netns add "$REG_NS"
    ip -n "$REG_NS" link set lo up
    cat >"$REG_DIR/config.yml" <<EOC
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
http:
  addr: 127.0.0.1:5000
EOC
    ip netns exec "$REG_NS" docker-registry serve "$REG_DIR/config.yml" \
        >"$REG_DIR/log" 2>&1 &
    REG_PID=$!
    local i
    for i in $(seq 100); do
        if ip netns exec "$REG_NS" curl -sf -o /dev/null http://127.0.0.1:5000/v2/; then
            return 0
        fi
        kill -0 "$REG_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$REG_DIR/log" >&2
    echo "docker-registry did not come up" >&2
    return 1
}

# in_ns CMD...: run in the registry's namespace
in_ns() {
    ip netns exec "$REG_NS" "$@"
}

push_archive() {
    local archive=$1 dest=$2
    in_ns env TMPDIR="$BATS_TEST_TMPDIR" skopeo --insecure-policy copy -q \
        --dest-tls-verify=false "oci-archive:$archive" "docker://$dest"
}
