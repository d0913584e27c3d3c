#!/usr/bin/env bash
# Installs the Debian packages Parley needs to build, test and benchmark.
# Idempotent and non-interactive: packages already present are skipped.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-system-dev libssl-dev libsqlite3-dev libpq-dev
  libpugixml-dev libexpat1-dev libc-ares-dev libspdlog-dev libfmt-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
)
test_pkgs=(
  sip-tester sipsak iproute2 procps openssl python3 valgrind tmux curl
  postgresql  # store tests start a throwaway cluster (tests/store/pg_cluster.h)
  # Peers the interop tests, the client tests and the benchmark smoke run against.
  kamailio kamailio-presence-modules kamailio-sqlite-modules kamailio-tls-modules sqlite3
  baresip-core linphone-cli
  dnsmasq-base  # a real DNS server for RFC 3263 next hops (interop.dns_next_hop)
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  want+=("${test_pkgs[@]}")
  # Node and npm for JsSIP, the browser-style WebSocket UA of tests/interop (npm ci below):
  # by command, since a Node installed from elsewhere brings its own npm, which Debian's npm
  # package would conflict with.
  command -v node >/dev/null || want+=(nodejs)
  command -v npm >/dev/null || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages of the interop tests, at the versions their lock file pins.
if [[ "${1:-}" != "--build-only" ]]; then
  webua=$(dirname "$0")/../tests/interop/webua
  if [[ ! -d $webua/node_modules/jssip || ! -d $webua/node_modules/sip.js ]]; then
    echo "install-deps: npm ci in tests/interop/webua"
    (cd "$webua" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
