#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install every Debian 12 package that berth's build, tests, demo and
# benchmark need. Idempotent: when everything is already installed it
# returns at once without touching apt.
set -euo pipefail

PACKAGES=(
  # build
  meson ninja-build pkg-config gcc clang
  libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev libjansson-dev
  libcmocka-dev libclang-rt-14-dev libc-ares-dev libseccomp-dev
  # the engine (engine/): image archives, registry pulls, digests
  libarchive-dev libcurl4-openssl-dev libssl-dev
  # tests, demo, bench (oracles and traffic inside throwaway namespaces)
  iproute2 nftables iptables iputils-ping socat bats jq dnsutils
  # DNS tests and bench: a fake upstream resolver and the load generator
  dnsmasq-base dnsperf
  # the reference implementations used as controls, and the bench driver
  netavark aardvark-dns hyperfine
  # the reference CNI plugins (host-local as the IPAM store oracle)
  containernetworking-plugins
  # end-to-end tests and benchmark with the real Podman (tests/podman,
  # bench/podman-run.sh): the client and its helpers, the image's contents
  # (busybox-static), rootless (uidmap, slirp4netns)
  podman crun conmon catatonit busybox-static uidmap slirp4netns
  # CNI compatibility with real clients (tests/podman/*-cni, tests/containerd):
  # containerd 1.6 (ctr run --cni; pulls in runc) and Debian's dnsname plugin
  containerd golang-github-containernetworking-plugin-dnsname
  # the engine's tests and demo: a local OCI registry and a client to push to
  # it (tests/engine/image.bats), Graphviz for `berth network graph --format
  # svg`, and the man page linter (tests/man/lint.sh)
  docker-registry skopeo graphviz man-db groff-base wget
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian starts docker-registry as a service listening on :5000 where systemd
# runs; berth's tests start their own registry inside their own namespaces,
# so the machine's is stopped and disabled again.
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
