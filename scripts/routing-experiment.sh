#!/usr/bin/env bash
# Loopback routing experiment (real processes, not the simulator).
#
# Starts memcached, three sidecars in one gossip mesh and three backends of unequal capacity
# (Examples/backend/slow_backend.py: 4, 2 and 1 workers with the same fixed service time, so
# capacity 4:2:1), each backend pushing its own load to its sidecar every 200 ms. Then an
# open-loop load generator (Examples/backend/load_client.py route) at ~85 % of the total
# capacity asks a sidecar `GET /v1/route?policy=P` per request (the three sidecars take turns:
# each is a router) and sends the request to the returned app address. Policies round-robin,
# least-connections and mesh (all three asked of the sidecars) are interleaved over ROUNDS rounds,
# with client-least-conn as a reference that asks no sidecar (the generator's own exact
# outstanding count per backend, as a single proxy's leastconn). Prints p50/p90/p99 per policy
# and the mesh/round-robin and mesh/least-connections ratios.
#
#   scripts/routing-experiment.sh                       # .build/debug/sessionmesh
#   SESSIONMESH_BIN=.build/release/sessionmesh ROUNDS=5 scripts/routing-experiment.sh
#
# Settings (environment): SERVICE_MS (50), WORKERS ("4 2 1"), LOAD (0.85), ROUNDS (3),
# ROUND_SECONDS (10), POLICIES (round-robin,least-connections,mesh,client-least-conn), WARMUP_SECONDS (35: the weight blackout is 10 s and slow start 30 s,
# with no flag to shorten them), PAUSE (3). Everything listens on 127.0.0.1; every process
# started here is stopped by its PID on exit. Bounded: about WARMUP + 4·ROUNDS·(ROUND+PAUSE) s.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${SESSIONMESH_BIN:-$ROOT/.build/debug/sessionmesh}"
PY="${PYTHON:-python3}"
SERVICE_MS="${SERVICE_MS:-50}"
read -r -a WORKERS <<< "${WORKERS:-4 2 1}"
LOAD="${LOAD:-0.85}"
ROUNDS="${ROUNDS:-3}"
ROUND_SECONDS="${ROUND_SECONDS:-10}"
WARMUP_SECONDS="${WARMUP_SECONDS:-35}"
PAUSE="${PAUSE:-3}"
POLICIES="${POLICIES:-round-robin,least-connections,mesh,client-least-conn}"
MEMCACHED="$(command -v memcached || echo /usr/bin/memcached)"

[ -x "$BIN" ] || { echo "no sessionmesh binary at $BIN (swift build, or set SESSIONMESH_BIN)" >&2; exit 2; }
[ "${#WORKERS[@]}" -eq 3 ] || { echo "WORKERS needs three numbers" >&2; exit 2; }

DIR="$(mktemp -d /tmp/routing-exp.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "${KEEP_LOGS:-}" ]; then echo "logs kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; exit 1; fi
    sleep 0.2
  done
}

# memcached
MC_PORT=$(free_port)
MC_ARGS=(-l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 -t 2)
[ "$(id -u)" -eq 0 ] && MC_ARGS+=(-u root)
"$MEMCACHED" "${MC_ARGS[@]}" >"$DIR/memcached.log" 2>&1 &
PIDS+=($!)
wait_for 10 memcached "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$MC_PORT),1)"

"$BIN" keygen >"$DIR/keyring"
"$BIN" keygen >"$DIR/gossip-keyring"
chmod 600 "$DIR/keyring" "$DIR/gossip-keyring"

# sidecars in one mesh, each advertising its backend
GOSSIP=() APP=()
for i in 1 2 3; do GOSSIP+=("$(free_port)"); APP+=("$(free_port)"); done
for i in 0 1 2; do
  n=$((i + 1))
  args=(run --socket "$DIR/s$n.sock" --memcached "127.0.0.1:$MC_PORT" --keyring "$DIR/keyring" --replicas 1
        --log-level notice --node-name "host$n" --gossip-bind "127.0.0.1:${GOSSIP[$i]}" --gossip-keyring "$DIR/gossip-keyring"
        --app-address "127.0.0.1:${APP[$i]}")
  [ "$i" -gt 0 ] && args+=(--join "127.0.0.1:${GOSSIP[0]}")
  "$BIN" "${args[@]}" >"$DIR/sidecar$n.log" 2>&1 &
  PIDS+=($!)
  wait_for 30 "sidecar host$n" grep -q "sessionmesh ready" "$DIR/sidecar$n.log"
done
mesh_alive() {
  local sock=$1
  [ "$(curl -s --max-time 2 --unix-socket "$sock" http://localhost/v1/mesh |
       "$PY" -c 'import json,sys; print(sum(m["status"]=="alive" for m in json.load(sys.stdin)["members"]))')" = 3 ]
}
for n in 1 2 3; do wait_for 30 "host$n to see 3 alive members" mesh_alive "$DIR/s$n.sock"; done

# backends of capacity WORKERS[i] / SERVICE_MS
CAPACITY=0
for i in 0 1 2; do
  n=$((i + 1))
  "$PY" "$ROOT/Examples/backend/slow_backend.py" --port "${APP[$i]}" --socket "$DIR/s$n.sock" --name "host$n" \
    --delay-ms "$SERVICE_MS" --workers "${WORKERS[$i]}" >"$DIR/backend$n.log" 2>&1 &
  PIDS+=($!)
  wait_for 10 "backend $n" grep -q listening "$DIR/backend$n.log"
  CAPACITY=$("$PY" -c "print($CAPACITY + ${WORKERS[$i]} * 1000 / $SERVICE_MS)")
done
RATE=$("$PY" -c "print(round($CAPACITY * $LOAD, 1))")

echo "sessionmesh: $BIN"
echo "backends host1..3: workers ${WORKERS[*]}, service time $SERVICE_MS ms -> capacity $CAPACITY req/s; offered $RATE req/s (${LOAD} load), open loop"
echo "rounds: $ROUNDS x $ROUND_SECONDS s per policy, interleaved; warm-up $WARMUP_SECONDS s"
"$PY" "$ROOT/Examples/backend/load_client.py" route --sockets "$DIR/s1.sock,$DIR/s2.sock,$DIR/s3.sock" \
  --policies "$POLICIES" --rate "$RATE" --rounds "$ROUNDS" --round-seconds "$ROUND_SECONDS" \
  --warmup-seconds "$WARMUP_SECONDS" --pause "$PAUSE" --timeout 30
echo
echo "mesh view at the end (host1):"
MESH_VIEW='
import json, sys
for x in json.load(sys.stdin)["members"]:
    l = x.get("load") or {}
    print("  %s: weight %.2f state %s rate %.1f/s inFlight %s latency %.1f ms cpu %.2f" % (
        x["name"], x["weight"], x["state"], l.get("requestRate", 0), l.get("inFlight"), l.get("latencyMs", 0), l.get("cpu", 0)))'
curl -s --max-time 2 --unix-socket "$DIR/s1.sock" http://localhost/v1/mesh | "$PY" -c "$MESH_VIEW"
