#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint berth's manual pages (docs/man/*.[1-8]):
#  - each page formats without a single warning (man-db's man, else groff);
#  - each page has NAME and SYNOPSIS sections;
#  - berth-net.8 names every long option that `berth-net --help` prints.
# Usage: tests/man/lint.sh [BUILD_DIR]   (BUILD_DIR holds netbackend/berth-net)
# Exit status: 0 all good, 1 a problem (each one printed), 77 man and groff missing.
set -uo pipefail

here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
man_dir=$(cd "$here/../../docs/man" && pwd) || { echo "FAIL: no docs/man next to $here" >&2; exit 1; }
build=${1:-}

have_man=false have_groff=false
command -v man >/dev/null 2>&1 && man --version >/dev/null 2>&1 && have_man=true
command -v groff >/dev/null 2>&1 && have_groff=true
if ! $have_man && ! $have_groff; then
	echo "SKIP: man-db and groff not installed (neither man nor groff found)" >&2
	exit 77
fi

shopt -s nullglob
pages=("$man_dir"/*.[1-8])
if ((${#pages[@]} == 0)); then
	echo "FAIL: no pages in $man_dir" >&2
	exit 1
fi

fail=0
bad() {
	echo "FAIL: $*" >&2
	fail=1
}

# Format one page; print what the formatter said on stderr (empty = clean).
warnings() {
	local page=$1
	if $have_man; then
		# MAN_DISABLE_SECCOMP: man-db's sandbox fails in some containers.
		LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 MAN_DISABLE_SECCOMP=1 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null
	else
		LC_ALL=C.UTF-8 groff -man -ww -z -t "$page" 2>&1
	fi
}

# The page as plain text (no bold, no underline), wide enough not to break lines.
text() {
	if $have_groff; then
		LC_ALL=C groff -man -t -Tascii -rLL=1000n -P-cbou "$1" 2>/dev/null
	else
		LC_ALL=C MANWIDTH=1000 man -l -E ascii "$1" 2>/dev/null | col -b
	fi
}

for page in "${pages[@]}"; do
	name=${page##*/}
	out=$(warnings "$page")
	rc=$?
	if ((rc != 0)); then
		bad "$name: the formatter exited $rc${out:+: $out}"
	elif [[ -n $out ]]; then
		bad "$name: warnings:"
		printf '%s\n' "$out" | sed 's/^/    /' >&2
	fi
	for section in NAME SYNOPSIS; do
		grep -Eq "^\.SH +\"?$section\"?[[:space:]]*$" "$page" ||
			bad "$name: no $section section"
	done
done

# Every long option of berth-net --help must be in berth-net.8.
net_page=$man_dir/berth-net.8
if [[ -z $build ]]; then
	echo "note: no build directory given, berth-net's options not checked" >&2
elif [[ ! -x $build/netbackend/berth-net ]]; then
	bad "$build/netbackend/berth-net: not found or not executable"
elif [[ ! -f $net_page ]]; then
	bad "berth-net.8: missing"
else
	help=$("$build/netbackend/berth-net" --help) || bad "berth-net --help exited $?"
	opts=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u)
	[[ -n $opts ]] || bad "berth-net --help lists no long option"
	rendered=$(text "$net_page")
	for opt in $opts; do
		grep -qF -- "$opt" <<<"$rendered" || bad "berth-net.8 does not mention $opt"
	done
fi

if ((fail == 0)); then
	echo "ok: ${#pages[@]} page(s) clean: ${pages[*]##*/}"
fi
exit $fail
