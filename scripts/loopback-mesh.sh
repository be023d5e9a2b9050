# Sourced by scripts/mesh-footprint.sh and scripts/route-bench.sh: one memcached and N sidecars
# of $BIN in an encrypted loopback gossip mesh, under $DIR. Every process started is recorded in
# PIDS (PIDS[0] memcached, PIDS[i] sidecar i) and killed by PID on exit.
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_loopback_mesh N: sidecars side1…sideN, sockets $DIR/s1.sock…, side1 the seed of the others.
start_loopback_mesh() {
  local n=$1 mc seed="" gp i
  mc=$(free_port)
  memcached -u "$(id -un)" -l 127.0.0.1 -p "$mc" -U 0 -m 64 & PIDS+=($!)
  "$BIN" keygen > "$DIR/keyring"
  "$BIN" keygen > "$DIR/gossip-keyring"
  chmod 600 "$DIR/keyring" "$DIR/gossip-keyring"
  for i in $(seq 1 "$n"); do
    gp=$(free_port)
    args=(run --socket "$DIR/s$i.sock" --memcached "127.0.0.1:$mc" --replicas 1 --keyring "$DIR/keyring"
          --node-name "side$i" --gossip-bind "127.0.0.1:$gp"
          --gossip-keyring "$DIR/gossip-keyring" --log-level warning)
    [ -n "$seed" ] && args+=(--join "$seed")
    "$BIN" "${args[@]}" 2>"$DIR/s$i.log" & PIDS+=($!)
    [ -z "$seed" ] && seed="127.0.0.1:$gp"
    sleep 0.3
  done
}
