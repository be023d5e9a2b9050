#!/usr/bin/env bash
# Builds SessionBench and the sidecar in release and runs K interleaved rounds of
# (a) direct libmemcached, (b) nutcracker, (c) the sidecar's Unix-socket API.
#
#   scripts/bench-sessions.sh [--rounds 3] [--duration 10] [any other SessionBench option]
#
# Benchmarks are release builds and print figures; they are not tests. SKIP_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  scripts/build-release.sh sessionmesh SessionBench
fi
BIN="$(scripts/build-release.sh --show-bin-path)"
exec "$BIN/SessionBench" --sidecar "$BIN/sessionmesh" "$@"
