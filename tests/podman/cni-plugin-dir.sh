#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build the CNI plugin directory the real-client tests run against:
# berth's plugin where the build has one, Debian's reference plugin
# (/usr/lib/cni) for every other type.
#
#   cni-plugin-dir.sh BUILD OUTDIR
#
# OUTDIR gets one symbolic link per plugin type: to BUILD/cni-plugins/<type>
# or BUILD/cni-plugins/<type>/<type> (whichever the build has) when that is an
# executable, else to /usr/lib/cni/<type>. Types berth has and Debian has not
# are linked too. OUTDIR/.sources lists "<type> berth|debian <target>", one a
# line; the same list goes to stderr. Nothing else is read or written.
set -euo pipefail

REF=${BERTH_CNI_REF_DIR:-/usr/lib/cni}

(($# == 2)) || { echo "usage: cni-plugin-dir.sh BUILD OUTDIR" >&2; exit 2; }
build=$(readlink -f "$1")
out=$2
[[ -d $build/cni-plugins ]] || { echo "cni-plugin-dir: no $build/cni-plugins (build first)" >&2; exit 1; }
[[ -d $REF ]] || { echo "cni-plugin-dir: no $REF (containernetworking-plugins)" >&2; exit 1; }
mkdir -p "$out"

# berth_exe TYPE: the build's executable for TYPE, if any
berth_exe() {
    local t=$1 f
    for f in "$build/cni-plugins/$t/$t" "$build/cni-plugins/$t"; do
        if [[ -f $f && -x $f ]]; then
            echo "$f"
            return 0
        fi
    done
    return 1
}

declare -A types=()
for f in "$REF"/*; do
    [[ -f $f && -x $f ]] && types[${f##*/}]=1
done
for f in "$build"/cni-plugins/*; do
    t=${f##*/}
    [[ $t == *.* ]] && continue # libcni-skel.a, <exe>.p, ...
    berth_exe "$t" >/dev/null && types[$t]=1
done

: >"$out/.sources"
for t in $(printf '%s\n' "${!types[@]}" | sort); do
    if src=$(berth_exe "$t"); then
        from=berth
    else
        src=$REF/$t
        from=debian
    fi
    ln -sfn "$src" "$out/$t"
    echo "$t $from $src" >>"$out/.sources"
done
sed 's/^/cni-plugin-dir: /' "$out/.sources" >&2
