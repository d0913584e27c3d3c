#!/usr/bin/env bash
# Builds parleyd (Release) if needed and runs it on its embedded default:
# SQLite store and TLS material under ./parley-data, domain "localhost",
# SIP on udp/tcp 127.0.0.1:5060, tls 127.0.0.1:5061 and ws 127.0.0.1:5066, HTTP on 127.0.0.1:8080.
# Extra arguments go to parleyd (see `parleyd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build-only
if [[ ! -x build/release/src/server/parleyd ]] || [[ -n "$(find src -newer build/release/src/server/parleyd -name '*.cc' -o -newer build/release/src/server/parleyd -name '*.h' | head -n1)" ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target parleyd
fi
exec build/release/src/server/parleyd "$@"
