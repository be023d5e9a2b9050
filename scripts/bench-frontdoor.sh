#!/usr/bin/env bash
# The sidecar's two local doors against their baselines, with the project's judge
# (shared/tools/udsbench), on one 3-node memcached cluster, in interleaved rounds:
#   (a) direct: libmemcached to the 3 nodes;
#   (b) nutcracker (Debian), listening on a Unix socket;
#   (c) the sidecar's memcache socket (text protocol, then binary);
#   (d) with HTTP=1: the sidecar's session API (udsbench http-uds on its Unix socket).
# 16 threads, 1 KiB values, 90% get / 10% set (HTTP: GET / PATCH), 10,000 keys. Prints udsbench's
# RESULT lines and the CPU per operation of nutcracker and of the sidecar: utime+stime over the
# whole round / operations (an upper bound: setup and warm-up included), and over the measured
# window alone (sampled every 0.2 s). Every path also gets the window CPU per operation of the
# three memcached nodes together and of the client: with the proxy's, that is where the machine's
# two cores go, so what any proxy could reach at no cost of its own follows from them.
#
#   scripts/bench-frontdoor.sh SIDECAR_BINARY UDSBENCH_BINARY [rounds=3] [duration=8]
#
# BASE=OTHER_SIDECAR_BINARY adds that build on the same cluster, in the same rounds (paths
# base-text, base-binary, base-http), to compare two builds; BASE_ARGS="..." adds run options to
# that build alone (BASE=SAME_BINARY BASE_ARGS="--replicas 1" compares two configurations).
# BINARY=0 skips the binary protocol, MEMCACHE=0 the memcache paths of the sidecar (with HTTP=1:
# direct, nutcracker and HTTP only).
# FLOOR=NIO_FLOOR_BINARY (scripts/nio-floor) adds floor-text and floor-http after nutcracker: NIO
# doors that answer constants and touch no store, what any NIO door costs before its own work.
#
# A benchmark, not a test. Loopback and Unix sockets only; every process it starts it stops by PID.
set -euo pipefail
BIN=${1:?sidecar binary}; UDS=${2:?udsbench binary}; ROUNDS=${3:-3}; DURATION=${4:-8}
DIR=$(mktemp -d /tmp/bench-frontdoor.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }

SERVERS=()
MCPIDS=()
for i in 1 2 3; do
  p=$(free_port)
  memcached -u root -l 127.0.0.1 -p "$p" -U 0 -m 256 -t 1 -c 4096 >"$DIR/mc$i.log" 2>&1 &
  PIDS+=($!); MCPIDS+=($!); SERVERS+=("127.0.0.1:$p")
done
sleep 0.5
cat >"$DIR/nutcracker.yml" <<EOF
pool:
  listen: $DIR/nutcracker.sock 0666
  hash: md5
  distribution: ketama
  timeout: 1000
  server_retry_timeout: 1000
  auto_eject_hosts: false
  servers:
$(for s in "${SERVERS[@]}"; do echo "   - $s:1"; done)
EOF
nutcracker -c "$DIR/nutcracker.yml" -s "$(free_port)" -a 127.0.0.1 -o "$DIR/nutcracker.log" &
NUT=$!; PIDS+=($NUT)
"$BIN" keygen >"$DIR/keyring"; chmod 600 "$DIR/keyring"
"$BIN" run --socket "$DIR/api.sock" --memcache-socket "$DIR/mc.sock" --memcached "$(IFS=,; echo "${SERVERS[*]}")" \
  --keyring "$DIR/keyring" --log-level warning >"$DIR/sidecar.log" 2>&1 &
SIDE=$!; PIDS+=($SIDE)
BASEPID=-
if [ -n "${BASE:-}" ]; then
  "$BASE" run --socket "$DIR/api-base.sock" --memcache-socket "$DIR/mc-base.sock" --memcached "$(IFS=,; echo "${SERVERS[*]}")" \
    --keyring "$DIR/keyring" --log-level warning ${BASE_ARGS:-} >"$DIR/sidecar-base.log" 2>&1 &
  BASEPID=$!; PIDS+=($BASEPID)
fi
FLOORPID=-
if [ -n "${FLOOR:-}" ]; then
  "$FLOOR" "$DIR/floor-mc.sock" "$DIR/floor-api.sock" >"$DIR/floor.log" 2>&1 &
  FLOORPID=$!; PIDS+=($FLOORPID)
fi
for _ in $(seq 100); do [ -S "$DIR/mc.sock" ] && { [ "$FLOORPID" = - ] || [ -S "$DIR/floor-api.sock" ]; } && [ -S "$DIR/nutcracker.sock" ] && { [ "$BASEPID" = - ] || [ -S "$DIR/mc-base.sock" ]; } && break; sleep 0.1; done
HZ=$(getconf CLK_TCK)

run() { # label pid-to-measure udsbench-mode-and-target...
  local label=$1 pid=$2; shift 2
  local before=0 after=0
  [ "$pid" != - ] && before=$(cpu_ticks "$pid")
  # Every 0.2 s: the measured process's CPU ticks and the memcached nodes' (together), to take
  # the measured window's share alone (setup's 10,000 sets and the warm-up excluded): the window
  # is the last DURATION seconds before udsbench ends.
  ( while :; do echo "$(date +%s.%N) $( [ "$pid" != - ] && cpu_ticks "$pid" || echo 0) $(cpu_ticks "${MCPIDS[@]}")"; sleep 0.2; done ) \
    >"$DIR/ticks" 2>/dev/null &
  local sampler=$!
  local out; out=$("$UDS" "$@" --threads 16 --duration "$DURATION" --warmup 2 --keys 10000 \
    --read-pct 90 --value-bytes 1024 --quiet | grep '^RESULT')
  local end; end=$(date +%s.%N)
  [ "$pid" != - ] && after=$(cpu_ticks "$pid")
  local stores_after; stores_after=$(cpu_ticks "${MCPIDS[@]}")
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  local ops; ops=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$out")
  local cpu="-"
  # Over setup, warm-up and window, divided by the window's operations: an upper bound.
  [ "$pid" != - ] && cpu=$(python3 -c "print(f'{($after-$before)/$HZ/max(1,$ops)*1e6:.1f}')")
  # Window CPU per operation: the measured process, the three memcached nodes together, and the
  # client (udsbench's own figure: client_cpu is cores over the window).
  local budget; budget=$(python3 - "$DIR/ticks" "$end" "$after" "$stores_after" "$DURATION" "$HZ" "$ops" "$pid" "$out" <<'PY'
import re, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 3]
end, after, stores_after, duration, hz, ops = map(float, sys.argv[2:8])
measured, out = sys.argv[8] != "-", sys.argv[9]
start = end - duration
earlier = [r for r in rows if r[0] <= start]
def per_op(ticks_after, ticks_before, t0):
    return f"{(ticks_after - ticks_before) / hz / max(1, ops) * 1e6 * duration / (end - t0):.1f}"
window = per_op(after, earlier[-1][1], earlier[-1][0]) if earlier and measured else "-"
stores = per_op(stores_after, earlier[-1][2], earlier[-1][0]) if earlier else "-"
m = re.search(r"client_cpu=([0-9.]+)", out)
client = f"{float(m.group(1)) / max(1, ops / duration) * 1e6:.1f}" if m else "-"
print(f"window_cpu_us_per_op={window} stores_cpu_us_per_op={stores} client_cpu_us_per_op={client}")
PY
)
  echo "round=$ROUND path=$label cpu_us_per_op=$cpu $budget $out"
}
# Each path writes its own keys (a build that ran second in a round would otherwise overwrite the
# first one's records instead of creating its own), and the two builds swap places every round:
# the build that ran second did better in 7 of 10 rounds, text and HTTP alike, whichever it was
# (2026-12-03).
mc() { echo memcached --servers "$1" --key-prefix "r$ROUND-$2:"; }
sidecar_paths() { # label-prefix pid memcache-socket api-socket
  if [ "${MEMCACHE:-1}" != 0 ]; then
    run "$1-text" "$2" $(mc "$3" "$1")
    [ "${BINARY:-1}" = 0 ] || run "$1-binary" "$2" $(mc "$3" "$1-binary") --protocol binary
  fi
  [ "${HTTP:-0}" = 0 ] || run "$1-http" "$2" http-uds --socket "$4"
}
for ROUND in $(seq "$ROUNDS"); do
  run direct - $(mc "$(IFS=,; echo "${SERVERS[*]}")" direct)
  run nutcracker "$NUT" $(mc "$DIR/nutcracker.sock" nutcracker)
  if [ "$FLOORPID" != - ]; then
    run floor-text "$FLOORPID" $(mc "$DIR/floor-mc.sock" floor)
    [ "${HTTP:-0}" = 0 ] || run floor-http "$FLOORPID" http-uds --socket "$DIR/floor-api.sock"
  fi
  if [ "$BASEPID" != - ] && [ $((ROUND % 2)) = 0 ]; then
    sidecar_paths base "$BASEPID" "$DIR/mc-base.sock" "$DIR/api-base.sock"
    sidecar_paths sidecar "$SIDE" "$DIR/mc.sock" "$DIR/api.sock"
  else
    sidecar_paths sidecar "$SIDE" "$DIR/mc.sock" "$DIR/api.sock"
    [ "$BASEPID" = - ] || sidecar_paths base "$BASEPID" "$DIR/mc-base.sock" "$DIR/api-base.sock"
  fi
done
