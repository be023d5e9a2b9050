#!/usr/bin/env bash
# Idle footprint of a sidecar in a 10-node loopback mesh: RSS, CPU share, gossip bytes/s.
# Also measures 3 serf agents the same way for comparison. Usage: scripts/mesh-footprint.sh [seconds] [binary]
set -euo pipefail
SECONDS_TO_MEASURE=${1:-30}
BIN=${2:-.build/release/sessionmesh}
N=10
[ -x "$BIN" ] || { echo "build first: make release (scripts/build-release.sh)"; exit 1; }
DIR=$(mktemp -d /tmp/sessionmesh-footprint.XXXXXX)
. "$(dirname "$0")/loopback-mesh.sh"
start_loopback_mesh $N
sleep 5
alive=$(curl -s --unix-socket "$DIR/s1.sock" http://x/v1/mesh | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin)["members"] if m["status"]=="alive"))' 2>/dev/null || echo "?")
echo "mesh: $N sidecars on loopback, side1 sees $alive alive"
metric() { curl -s --unix-socket "$DIR/s$1.sock" http://x/metrics | awk -v m="$2" '$1==m {print $2}'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
declare -A T0 B0 W0
now() { date +%s.%N; }
for i in $(seq 1 $N); do p=${PIDS[$i]}; W0[$i]=$(now); T0[$i]=$(ticks "$p"); B0[$i]=$(metric "$i" sessionmesh_gossip_bytes_sent_total); done
sleep "$SECONDS_TO_MEASURE"
printf "%-7s %10s %8s %14s\n" node "RSS(MiB)" "CPU(%)" "gossip B/s out"
for i in $(seq 1 $N); do
  p=${PIDS[$i]}
  # Each node's own window: its end readings are taken together and divided by its elapsed time.
  t1=$(ticks "$p"); b1=$(metric "$i" sessionmesh_gossip_bytes_sent_total); w1=$(now)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status")
  python3 - "$i" "$rss" "$t1" "${T0[$i]}" "$HZ" "$w1" "${W0[$i]}" "${b1:-0}" "${B0[$i]:-0}" <<'PY'
import sys
i, rss, t1, t0, hz, w1, w0, b1, b0 = sys.argv[1:]
window = float(w1) - float(w0)
print("%-7s %10.1f %8.2f %14d" % ("side" + i, int(rss) / 1024, 100 * (int(t1) - int(t0)) / int(hz) / window, (float(b1) - float(b0)) / window))
PY
done
# serf agents, idle, for comparison (3 agents).
SP=()
S1=$(free_port); R1=$(free_port)
serf agent -node=serf1 -bind=127.0.0.1:$S1 -rpc-addr=127.0.0.1:$R1 >/dev/null 2>&1 & PIDS+=($!); SP+=($!)
for j in 2 3; do S=$(free_port); R=$(free_port); serf agent -node=serf$j -bind=127.0.0.1:$S -rpc-addr=127.0.0.1:$R -join=127.0.0.1:$S1 >/dev/null 2>&1 & PIDS+=($!); SP+=($!); done
sleep 5
t0=$(ticks "${SP[0]}"); sleep "$SECONDS_TO_MEASURE"
rss=$(awk '/VmRSS/ {print $2}' "/proc/${SP[0]}/status")
echo "serf1 (3 serf agents, idle): RSS $(python3 -c "print(round($rss/1024,1))") MiB, CPU $(python3 -c "print(round(100*($(ticks "${SP[0]}")-$t0)/$HZ/$SECONDS_TO_MEASURE,2))")%"
