#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The berth demo: installs dependencies, builds, then builds a small
# microservice topology with the `berth` engine alone, shows it working and
# isolated, draws it, and tears everything down.
#
#   frontend network (isolated)         backend network (isolated, internal)
#     web   httpd, published on the host:8080
#     api   on both networks            api
#                                       db    on the backend only
#
#   the "outside" namespace --> host:8080 --> web --> api --> db
#
# web's and api's pages are CGI scripts that fetch the next hop by name
# (berth-dns resolves the names per network). Everything runs in
# tests/engine/sandbox.sh: a private mount namespace and throwaway network
# namespaces ("host", where berth runs, and "out", the internet); the
# machine's own network is never touched.
#
# Usage, as root: ./scripts/demo.sh   (./scripts/demo-net.sh: berth-net alone, as Podman calls it)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} != __inner ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "demo.sh needs root (it creates namespaces and containers): run it as root" >&2
        exit 1
    fi
    bash scripts/deps.sh
    [[ -f build/build.ninja ]] || meson setup build >/dev/null
    meson compile -C build >/dev/null
    exec tests/engine/sandbox.sh --build build --timeout 600 -- "$PWD/scripts/demo.sh" __inner
fi

# ---- inside the sandbox: BERTH and the BERTH_* directories are set ----
# shellcheck source=/dev/null
. "$SBX_DIR/env.sh"
if [[ -t 1 ]]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B= G= R= N=; fi
bold() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
ok() { printf '  %sOK%s    %s\n' "$G" "$N" "$*"; }
bad() { printf '  %sFAIL%s  %s\n' "$R" "$N" "$*"; FAILED=1; }
say() { printf '  $ %s\n' "$*"; }
FAILED=0
berth() { say "berth $*"; "$BERTH" "$@"; }

# expect yes|no DESCRIPTION CMD...: bounded retries for "yes" (ARP, DNS start)
expect() {
    local want=$1 what=$2 i r=1 tries=1
    shift 2
    [[ $want == yes ]] && tries=5
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then r=0; break; fi
        sleep 0.2
    done
    if [[ $want == yes ]]; then
        ((r == 0)) && ok "$what" || bad "$what"
    else
        ((r != 0)) && ok "$what: blocked, as it should be" || bad "$what (it worked, but must not)"
    fi
}

bold "1. An image: Debian's busybox-static and three small services"
root=$SBX_DIR/demo-rootfs
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev} "$root"/srv/{web,api,db}/cgi-bin
cp /bin/busybox "$root/bin/"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"; done
echo '<h1>berth demo</h1>' >"$root/srv/web/index.html"
echo '42 orders' >"$root/srv/db/index.html"
cat >"$root/srv/web/cgi-bin/orders" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "web: asked api, which said: $(timeout 5 wget -qO- http://api:80/cgi-bin/orders)"
CGI
cat >"$root/srv/api/cgi-bin/orders" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "api: asked db, which said: $(timeout 5 wget -qO- http://db:80/)"
CGI
chmod +x "$root"/srv/*/cgi-bin/*
tar -C "$root" -cf "$SBX_DIR/demo.tar" .
berth image import --name demo "$SBX_DIR/demo.tar"
berth image ls

bold "2. Two networks (Podman's file format, in $BERTH_NETWORK_DIR)"
berth network create -o isolate=true frontend
berth network create -o isolate=true --internal backend
berth network ls
echo "  frontend.json:"
sed 's/^/    /' "$BERTH_NETWORK_DIR/frontend.json"

bold "3. Three containers"
berth run -d --name db --network backend demo httpd -f -p 80 -h /srv/db
berth run -d --name api --network frontend --network backend demo httpd -f -p 80 -h /srv/api
berth run -d --name web --network frontend -p 8080:80 demo httpd -f -p 80 -h /srv/web
berth ps
for c in web api db; do
    printf '  %-4s %s\n' "$c" "$("$BERTH" inspect "$c" | jq -r '.[0].NetworkSettings.Networks | to_entries | map("\(.key) \(.value.IPAddress)") | join(", ")')"
done

bold "4. It works: outside -> host:8080 -> web -> api -> db, by name"
say "wget -qO- http://$SBX_HOST_IP4:8080/cgi-bin/orders   (from the outside namespace)"
answer=$(sbx_out wget -qO- -T 5 "http://$SBX_HOST_IP4:8080/cgi-bin/orders" 2>&1 || true)
echo "  $answer"
[[ $answer == "web: asked api, which said: api: asked db, which said: 42 orders" ]] &&
    ok "the request went through all three services" || bad "the request did not go through"
expect yes "api resolves db through berth-dns" "$BERTH" exec api nslookup db
expect yes "web reaches the outside (NAT)" "$BERTH" exec web ping -c1 -W2 "$SBX_OUT_IP4"

bold "5. It is isolated"
db_ip=$("$BERTH" inspect db | jq -r '.[0].NetworkSettings.Networks.backend.IPAddress')
expect no "web -> db by name (db is not on the frontend: no DNS answer)" "$BERTH" exec web nslookup db
expect no "web -> db by address ($db_ip)" "$BERTH" exec web timeout 3 wget -qO- "http://$db_ip:80/"
expect no "db -> the outside (the backend is internal)" "$BERTH" exec db ping -c1 -W2 "$SBX_OUT_IP4"
expect no "the outside -> db" sbx_out ping -c1 -W2 "$db_ip"

bold "6. The topology (berth network graph)"
"$BERTH" network graph | sed 's/^/    /'
if command -v dot >/dev/null; then
    out=/tmp/berth-demo-graph.svg
    "$BERTH" network graph --format svg -o "$out" && ok "drawn: $out"
fi

bold "7. Teardown"
berth rm -f web api db
berth network rm frontend backend
left=$(ip -o link show type veth | grep -vc ' vout@' || true)
bridges=$(ip -o link show type bridge | wc -l)
((left == 0 && bridges == 0)) && ok "no veth and no bridge left in the host namespace" ||
    bad "left: $left veths, $bridges bridges"
[[ -z $(ls -A "$BERTH_RUNROOT/netns" 2>/dev/null) ]] && ok "no network namespace left" || bad "namespaces left"
[[ -z $("$BERTH" ps -aq) ]] && ok "no container left" || bad "containers left"

if ((FAILED)); then
    printf '\n%sSome checks failed.%s\n' "$R" "$N"
    exit 1
fi
printf '\n%sAll checks passed.%s The sandbox (namespaces, mounts, files) is removed now.\n' "$G" "$N"
