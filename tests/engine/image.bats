#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# berth's image store: import (rootfs tarballs, OCI archives), ls, inspect,
# rm, pull from Debian's docker-registry inside a private network
# namespace, and refusal of bad inputs leaving nothing behind.
# BERTH selects the binary (default build/engine/berth). Runs as root.

load image-helpers

setup() {
    img_setup
}

teardown() {
    img_teardown
}

@test "import a busybox rootfs tarball; ls, inspect, rm" {
    make_busybox_dir "$W/rfs"
    tar -C "$W/rfs" -czf "$W/rootfs.tar.gz" .
    run berth image import --name busybox "$W/rootfs.tar.gz"
    [ "$status" -eq 0 ]
    id=$output
    [[ $id =~ ^[0-9a-f]{64}$ ]]
    [ -x "$BERTH_ROOT/images/$id/rootfs/bin/busybox" ]
    [ "$(readlink "$BERTH_ROOT/images/$id/rootfs/bin/sh")" = busybox ]
    cmp /bin/busybox "$BERTH_ROOT/images/$id/rootfs/bin/busybox"

    run berth image ls
    [ "$status" -eq 0 ]
    [[ ${lines[0]} =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
    [[ ${lines[1]} =~ ^localhost/busybox\ +latest\ +${id:0:12}\  ]]

    run berth image ls --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
    [ "$(jq -r '.[0].Names[0]' <<<"$output")" = localhost/busybox:latest ]

    run berth image inspect busybox
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
    [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = localhost/busybox:latest ]
    [ "$(jq -r '.[0].Config | length' <<<"$output")" = 0 ]
    [ "$(jq -r '.[0].Size' <<<"$output")" -ge "$(stat -c %s /bin/busybox)" ]
    # the uncompressed tar's digest is the layer
    [ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")" = \
        "sha256:$(zcat "$W/rootfs.tar.gz" | sha256sum | cut -d' ' -f1)" ]

    # id prefix and full name
    run berth image inspect "${id:0:8}"
    [ "$status" -eq 0 ]
    run berth image inspect localhost/busybox:latest
    [ "$status" -eq 0 ]

    run berth image rm busybox
    [ "$status" -eq 0 ]
    [[ $output == *"Deleted: $id"* ]]
    [ ! -e "$BERTH_ROOT/images/$id" ]
    assert_store_empty

    run berth image inspect busybox
    [ "$status" -eq 125 ]
    [[ $output == *"Error: "*"image not known"* ]]
}

@test "import without a name, a second name moves" {
    make_busybox_dir "$W/rfs"
    tar -C "$W/rfs" -cf "$W/rootfs.tar" .
    run berth image import "$W/rootfs.tar"
    [ "$status" -eq 0 ]
    run berth image ls
    [[ ${lines[1]} =~ ^\<none\>\ +\<none\>\  ]]
    run berth image import --name a/b:1 "$W/rootfs.tar"
    [ "$status" -eq 0 ]
    id1=$output
    echo more >"$W/rfs/more"
    tar -C "$W/rfs" -cf "$W/rootfs2.tar" .
    run berth image import --name a/b:1 "$W/rootfs2.tar"
    [ "$status" -eq 0 ]
    id2=$output
    [ "$id1" != "$id2" ]
    run berth image inspect localhost/a/b:1
    [ "$(jq -r '.[0].Id' <<<"$output")" = "$id2" ]
    run berth image inspect "$id1"
    [ "$(jq -r '.[0].RepoTags | length' <<<"$output")" = 0 ]
}

@test "import an OCI archive: layers, whiteouts, opaque directory, config" {
    make_oci_archive "$W/busybox-oci.tar"
    run berth image import "$W/busybox-oci.tar"
    [ "$status" -eq 0 ]
    id=$output
    # the id is the config's digest
    cfg=$(jq -r '.config.digest' "$W/layout/blobs/sha256/$(jq -r '.manifests[0].digest' \
        "$W/layout/index.json" | cut -d: -f2)")
    [ "sha256:$id" = "$cfg" ]
    r=$BERTH_ROOT/images/$id/rootfs
    run bash -c "cd '$r' && find . -mindepth 1 | sort"
    expected='./bin
./bin/busybox
./bin/cat
./bin/ls
./bin/sh
./data
./data/new
./etc
./etc/added
./etc/hello'
    [ "$output" = "$expected" ]
    [ "$(cat "$r/etc/hello")" = hello ]
    [ "$(cat "$r/data/new")" = new ]

    run berth image inspect busybox:1.0
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = localhost/busybox:1.0 ]
    [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh","-c","echo hello"]' ]
    [ "$(jq -c '.[0].Config.Env' <<<"$output")" = '["PATH=/bin","FOO=bar"]' ]
    [ "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" = /data ]
    [ "$(jq -r '.[0].Created' <<<"$output")" = 2024-01-02T03:04:05Z ]
    [[ $(jq -r '.[0].Digest' <<<"$output") == sha256:* ]]

    # --name wins over the annotation; importing again only adds the name
    run berth image import --name other "$W/busybox-oci.tar"
    [ "$status" -eq 0 ]
    [ "$output" = "$id" ]
    run berth image inspect other
    [ "$(jq -r '.[0].RepoTags | sort | join(",")' <<<"$output")" = \
        localhost/busybox:1.0,localhost/other:latest ]
    # rm of one of two names untags
    run berth image rm other
    [ "$status" -eq 0 ]
    [[ $output == "Untagged: localhost/other:latest" ]]
    [ -d "$BERTH_ROOT/images/$id" ]
    run berth image rm "$id"
    [ "$status" -eq 0 ]
    assert_store_empty
}

@test "refused: a tarball with a ../escape entry" {
    python3 - "$W/escape.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ("ok", "../escape"):
        data = b"x\n"
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY
    run berth image import --name bad "$W/escape.tar"
    [ "$status" -eq 125 ]
    [[ $output == "Error: "*"../escape"*"leaves the root file system"* ]]
    [ ! -e "$BERTH_ROOT/images/escape" ]
    assert_store_empty
}

@test "refused: an absolute symlink used to write outside the rootfs" {
    mkdir -p "$W/outside"
    python3 - "$W/symlink.tar" "$W/outside" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    ti = tarfile.TarInfo("esc")
    ti.type = tarfile.SYMTYPE
    ti.linkname = sys.argv[2]
    t.addfile(ti)
    data = b"pwned\n"
    ti = tarfile.TarInfo("esc/pwned")
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
PY
    run berth image import "$W/symlink.tar"
    [ "$status" -eq 125 ]
    [[ $output == "Error: "*"esc/pwned"*"symlink"* ]]
    [ ! -e "$W/outside/pwned" ]
    assert_store_empty
}

@test "refused: a hard link to a file outside the rootfs" {
    python3 - "$W/hardlink.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    ti = tarfile.TarInfo("passwd")
    ti.type = tarfile.LNKTYPE
    ti.linkname = "../../../../../../../../etc/passwd"
    t.addfile(ti)
PY
    run berth image import "$W/hardlink.tar"
    [ "$status" -eq 125 ]
    [[ $output == "Error: "*"hard link"* ]]
    assert_store_empty
}

@test "refused: a blob whose digest does not match" {
    make_oci_layout "$W/layout"
    d=$(layout_layer_digest "$W/layout" 1 | cut -d: -f2)
    # same size, one byte changed
    printf 'Z' | dd of="$W/layout/blobs/sha256/$d" bs=1 seek=600 conv=notrunc status=none
    make_oci_archive "$W/bad.tar" "$W/layout"
    run berth image import "$W/bad.tar"
    [ "$status" -eq 125 ]
    [[ $output == "Error: "*"sha256:$d"*"digest mismatch"* ]]
    assert_store_empty
}

@test "refused: a layer whose size does not match its descriptor" {
    make_oci_layout "$W/layout"
    d=$(layout_layer_digest "$W/layout" 2 | cut -d: -f2)
    m=$(jq -r '.manifests[0].digest' "$W/layout/index.json" | cut -d: -f2)
    # a manifest claiming one byte more for layer 2, re-indexed
    jq -c '.layers[1].size += 1' "$W/layout/blobs/sha256/$m" >"$W/m.json"
    rm "$W/layout/blobs/sha256/$m"
    M=$(blob "$W/m.json" application/vnd.oci.image.manifest.v1+json "$W/layout")
    jq -c --argjson m "$M" '.manifests[0] = $m' "$W/layout/index.json" >"$W/i.json"
    mv "$W/i.json" "$W/layout/index.json"
    make_oci_archive "$W/bad.tar" "$W/layout"
    run berth image import "$W/bad.tar"
    [ "$status" -eq 125 ]
    [[ $output == *"sha256:$d: size"* ]]
    assert_store_empty
}

@test "refused: truncated archives" {
    make_oci_archive "$W/good.tar"
    size=$(stat -c %s "$W/good.tar")
    head -c $((size / 2)) "$W/good.tar" >"$W/trunc.tar"
    run berth image import "$W/trunc.tar"
    [ "$status" -eq 125 ]
    [[ $output == "Error: import $W/trunc.tar: "* ]]
    assert_store_empty

    make_busybox_dir "$W/rfs"
    tar -C "$W/rfs" -czf "$W/rootfs.tar.gz" .
    size=$(stat -c %s "$W/rootfs.tar.gz")
    head -c $((size / 2)) "$W/rootfs.tar.gz" >"$W/trunc.tar.gz"
    run berth image import --name t "$W/trunc.tar.gz"
    [ "$status" -eq 125 ]
    [[ $output == "Error: import $W/trunc.tar.gz: "* ]]
    assert_store_empty
}

@test "refused: an index.json that is not JSON" {
    make_oci_layout "$W/layout"
    echo '{"schemaVersion": 2, "manifests": [' >"$W/layout/index.json"
    make_oci_archive "$W/bad.tar" "$W/layout"
    run berth image import "$W/bad.tar"
    [ "$status" -eq 125 ]
    [[ $output == "Error: "*"index.json: not JSON"* ]]
    assert_store_empty
}

@test "a leftover temporary directory is removed by the next import" {
    mkdir -p "$BERTH_ROOT/images/.tmp-dead42/rootfs"
    make_busybox_dir "$W/rfs"
    tar -C "$W/rfs" -cf "$W/rootfs.tar" .
    run berth image import "$W/rootfs.tar"
    [ "$status" -eq 0 ]
    [ ! -e "$BERTH_ROOT/images/.tmp-dead42" ]
}

@test "pull from a registry by tag and by digest gives the imported rootfs" {
    start_registry
    make_oci_archive "$W/busybox-oci.tar"
    push_archive "$W/busybox-oci.tar" 127.0.0.1:5000/busybox:1.0

    run berth image import "$W/busybox-oci.tar"
    [ "$status" -eq 0 ]
    imported=$output

    export BERTH_ROOT=$BATS_TEST_TMPDIR/root-pull
    run in_ns "$BERTH" pull --tls-verify=false 127.0.0.1:5000/busybox:1.0
    [ "$status" -eq 0 ]
    [[ $output == *"Trying to pull 127.0.0.1:5000/busybox:1.0..."* ]]
    pulled=${lines[-1]}
    [[ $pulled =~ ^[0-9a-f]{64}$ ]]
    diff <(rootfs_listing "$BATS_TEST_TMPDIR/root/images/$imported/rootfs") \
        <(rootfs_listing "$BERTH_ROOT/images/$pulled/rootfs")
    run berth image inspect 127.0.0.1:5000/busybox:1.0
    [ "$status" -eq 0 ]
    [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh","-c","echo hello"]' ]
    # the short name finds it too
    run berth image inspect busybox:1.0
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].Id' <<<"$output")" = "$pulled" ]

    # by digest, into a fresh store
    digest=$(in_ns curl -sf -o /dev/null -D - \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        http://127.0.0.1:5000/v2/busybox/manifests/1.0 |
        tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}')
    [[ $digest == sha256:* ]]
    export BERTH_ROOT=$BATS_TEST_TMPDIR/root-digest
    run in_ns "$BERTH" pull --tls-verify=false "127.0.0.1:5000/busybox@$digest"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$pulled" ]
    run berth image inspect "127.0.0.1:5000/busybox@$digest"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].Digest' <<<"$output")" = "$digest" ]

    # an unknown tag and a wrong digest
    run in_ns "$BERTH" pull --tls-verify=false 127.0.0.1:5000/busybox:nope
    [ "$status" -eq 125 ]
    [[ $output == *"HTTP 404"* ]]
    run in_ns "$BERTH" pull --tls-verify=false \
        "127.0.0.1:5000/busybox@sha256:$(printf '0%.0s' $(seq 64))"
    [ "$status" -eq 125 ]
    [ "$(ls -A "$BERTH_ROOT/images" | grep -c .)" = 1 ]
}

@test "pull of a corrupted layer fails with a digest error and leaves no image" {
    start_registry
    make_oci_archive "$W/busybox-oci.tar"
    push_archive "$W/busybox-oci.tar" 127.0.0.1:5000/busybox:1.0
    # skopeo compresses the uncompressed layer: ask the registry for its digest
    d=$(in_ns curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        http://127.0.0.1:5000/v2/busybox/manifests/1.0 | jq -r '.layers[0].digest' | cut -d: -f2)
    data=$REG_DIR/storage/docker/registry/v2/blobs/sha256/${d:0:2}/$d/data
    [ -f "$data" ]
    printf 'Z' | dd of="$data" bs=1 seek=600 conv=notrunc status=none
    run in_ns "$BERTH" pull --tls-verify=false 127.0.0.1:5000/busybox:1.0
    [ "$status" -eq 125 ]
    [[ $output == *"Error: pull 127.0.0.1:5000/busybox:1.0: "*"sha256:$d: digest mismatch"* ]]
    assert_store_empty
}

@test "pull refuses a bad reference and an unreachable registry" {
    run berth pull 'UPPER/Case'
    [ "$status" -eq 125 ]
    [[ $output == "Error: pull UPPER/Case: invalid reference"* ]]
    # no network at all inside a fresh namespace: fails fast, nothing left
    ns=berth-img-$$-nonet
    REG_NS=$ns
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    run in_ns "$BERTH" pull --tls-verify=false 127.0.0.1:5999/x:1
    [ "$status" -eq 125 ]
    [[ $output == *"Error: pull 127.0.0.1:5999/x:1: "* ]]
    assert_store_empty
}
