#!/usr/bin/env bash
# End-to-end routing experiment: HAProxy in front of three backends of capacity 4:2:1, each with
# its own sidecar, under open-loop Poisson load. Real processes on loopback, not the simulator.
#
# Starts memcached, three sidecars in one gossip mesh (each with an agent-check responder) and
# three backends (Examples/backend/slow_backend.py: 4, 2 and 1 workers with the same fixed
# service time, so capacity 4:2:1), each pushing its own load and utilization to its sidecar
# every 200 ms (POST /v1/load). One HAProxy (Debian's 2.6) carries four frontends, one per
# configuration, all in front of the same three backends:
#
#   roundrobin          balance roundrobin, weight 100 each
#   leastconn           balance leastconn, weight 100 each
#   roundrobin+agent    balance roundrobin, weight 100, agent-check on the host's sidecar
#   leastconn+agent     balance leastconn, weight 100, agent-check on the host's sidecar
#
# The server lines of the agent configurations are those of docker/haproxy.cfg (`weight 100
# agent-check agent-port P agent-inter 1s`). The load generator (Examples/backend/load_client.py
# open) sends Poisson arrivals at LOAD × total capacity to one frontend at a time, every round
# running each configuration once (rotated order), and prints p50/p90/p99, errors and the share
# per backend per configuration, then the p99 ratios of the agent configurations to the others.
#
#   make routing-experiment                             # release build (scripts/build-release.sh)
#   SESSIONMESH_BIN=.build/debug/sessionmesh ROUNDS=5 scripts/routing-experiment.sh
#
# Settings (environment): SERVICE_MS (50), WORKERS ("4 2 1"), LOAD (0.85), ROUNDS (3),
# ROUND_SECONDS (10), WARMUP_SECONDS (35: the sidecars' slow start lasts 30 s), PAUSE (3),
# AGENT_INTER (1s), CONFIGS (all four, comma-separated). Everything listens on 127.0.0.1; every
# process started here is stopped by its PID on exit. Bounded: each run waits at most 35 s for
# its stragglers, so about WARMUP + ROUNDS·4·(ROUND + PAUSE + the time queues take to drain) s
# (about 5 minutes with the defaults).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${SESSIONMESH_BIN:-$ROOT/.build/release/sessionmesh}"
PY="${PYTHON:-python3}"
SERVICE_MS="${SERVICE_MS:-50}"
read -r -a WORKERS <<< "${WORKERS:-4 2 1}"
LOAD="${LOAD:-0.85}"
ROUNDS="${ROUNDS:-3}"
ROUND_SECONDS="${ROUND_SECONDS:-10}"
WARMUP_SECONDS="${WARMUP_SECONDS:-35}"
PAUSE="${PAUSE:-3}"
AGENT_INTER="${AGENT_INTER:-1s}"
CONFIGS="${CONFIGS:-roundrobin,leastconn,roundrobin+agent,leastconn+agent}"
MEMCACHED="$(command -v memcached || echo /usr/bin/memcached)"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"

[ -x "$BIN" ] || { echo "no sessionmesh binary at $BIN (scripts/build-release.sh, or set SESSIONMESH_BIN)" >&2; exit 2; }
[ -x "$HAPROXY" ] || { echo "haproxy is not installed (apt-get install haproxy)" >&2; exit 2; }
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

# sidecars in one mesh, each advertising its backend and answering HAProxy's agent check
GOSSIP=() APP=() AGENT=()
for i in 1 2 3; do GOSSIP+=("$(free_port)"); APP+=("$(free_port)"); AGENT+=("$(free_port)"); done
for i in 0 1 2; do
  n=$((i + 1))
  args=(run --socket "$DIR/s$n.sock" --memcached "127.0.0.1:$MC_PORT" --keyring "$DIR/keyring" --replicas 1
        --log-level notice --node-name "host$n" --gossip-bind "127.0.0.1:${GOSSIP[$i]}" --gossip-keyring "$DIR/gossip-keyring"
        --app-address "127.0.0.1:${APP[$i]}" --agent-check-bind "127.0.0.1:${AGENT[$i]}")
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

# one HAProxy, one frontend and backend per configuration
{
  cat <<EOF
global
    stats socket $DIR/haproxy.sock level admin
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
EOF
  TARGETS=()
  IFS=, read -r -a CONFIG_LIST <<< "$CONFIGS"
  for c in "${CONFIG_LIST[@]}"; do
    case "$c" in
      roundrobin|leastconn) balance=$c; agent=0 ;;
      roundrobin+agent|leastconn+agent) balance=${c%+agent}; agent=1 ;;
      *) echo "unknown configuration $c" >&2; exit 2 ;;
    esac
    name=${c//+/_}
    port=$(free_port)
    TARGETS+=("$c=http://127.0.0.1:$port/")
    printf 'frontend fe_%s\n    bind 127.0.0.1:%s\n    default_backend %s\n' "$name" "$port" "$name"
    printf 'backend %s\n    balance %s\n' "$name" "$balance"
    for i in 0 1 2; do
      line="    server host$((i + 1)) 127.0.0.1:${APP[$i]} weight 100"
      [ "$agent" = 1 ] && line+=" agent-check agent-port ${AGENT[$i]} agent-inter $AGENT_INTER"
      echo "$line"
    done
  done
  echo "# targets: $(IFS=,; echo "${TARGETS[*]}")"
} >"$DIR/haproxy.cfg"
TARGETS_ARG=$(sed -n 's/^# targets: //p' "$DIR/haproxy.cfg")
"$HAPROXY" -c -f "$DIR/haproxy.cfg" >/dev/null
"$HAPROXY" -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 &
PIDS+=($!)
wait_for 10 haproxy test -S "$DIR/haproxy.sock"

echo "sessionmesh: $BIN; $("$HAPROXY" -v | head -1)"
echo "backends host1..3: workers ${WORKERS[*]}, service time $SERVICE_MS ms -> capacity $CAPACITY req/s; offered $RATE req/s (${LOAD} load), open loop, Poisson"
echo "rounds: $ROUNDS x $ROUND_SECONDS s per configuration, interleaved; warm-up $WARMUP_SECONDS s; agent-inter $AGENT_INTER"
WARM=$(IFS=,; for c in $CONFIGS; do case $c in *+agent) echo "$c";; esac; done | tail -1)
"$PY" "$ROOT/Examples/backend/load_client.py" open --targets "$TARGETS_ARG" --rate "$RATE" --rounds "$ROUNDS" \
  --round-seconds "$ROUND_SECONDS" --warmup-seconds "$WARMUP_SECONDS" ${WARM:+--warmup-target "$WARM"} \
  --pause "$PAUSE" --timeout 30 | tee "$DIR/result.txt"

echo
echo "HAProxy weights at the end (agent configurations; 100 = mean):"
for c in $(IFS=,; echo $CONFIGS); do
  case "$c" in *+agent) ;; *) continue ;; esac
  name=${c//+/_}
  w=""
  for n in 1 2 3; do
    w+="$(echo "get weight $name/host$n" | "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.read().encode())
print(s.recv(256).decode().split()[0])' "$DIR/haproxy.sock") "
  done
  echo "  $c: host1..3 = $w"
done
echo "mesh view at the end (host1):"
MESH_VIEW='
import json, sys
for x in json.load(sys.stdin)["members"]:
    l = x.get("load") or {}
    print("  %s: weight %.2f state %s rate %.1f/s utilization %.2f inFlight %s latency %.1f ms" % (
        x["name"], x["weight"], x["state"], l.get("requestRate", 0), l.get("cpu", 0), l.get("inFlight"), l.get("latencyMs", 0)))'
curl -s --max-time 2 --unix-socket "$DIR/s1.sock" http://localhost/v1/mesh | "$PY" -c "$MESH_VIEW"
