#!/usr/bin/env bash
# /v1/route pick cost end to end: 10 sidecars in a loopback mesh (as scripts/mesh-footprint.sh),
# then one keep-alive client asks one sidecar `GET /v1/route?policy=mesh` REQUESTS times over its
# Unix socket. Prints requests/s, p50/p99 latency and the sidecar's CPU per request.
#
#   scripts/route-bench.sh [binary=.build/release/sessionmesh] [requests=20000]
#
# A benchmark, not a test. Loopback and Unix sockets only; every process it starts it stops by PID.
set -euo pipefail
BIN=${1:-.build/release/sessionmesh}; REQUESTS=${2:-20000}; N=10
[ -x "$BIN" ] || { echo "build first: make release"; exit 1; }
DIR=$(mktemp -d /tmp/sessionmesh-route.XXXXXX)
. "$(dirname "$0")/loopback-mesh.sh"
start_loopback_mesh $N
sleep 15  # joined and settled: every member has gossiped its load
kill -0 "${PIDS[3]}" || { cat "$DIR/s3.log"; exit 1; }
python3 - "$DIR/s3.sock" "$REQUESTS" "${PIDS[3]}" <<'PY'
import os, socket, sys, time
path, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
s = socket.socket(socket.AF_UNIX); s.connect(path)
req = b"GET /v1/route?policy=mesh HTTP/1.1\r\nHost: x\r\n\r\n"
buf = b""
def one():
    global buf
    s.sendall(req)
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            head = buf[:i].decode()
            length = next((int(l.split(":")[1]) for l in head.split("\r\n") if l.lower().startswith("content-length:")), 0)
            if len(buf) >= i + 4 + length:
                buf = buf[i + 4 + length:]
                return head.split()[1]
        chunk = s.recv(65536)
        if not chunk: raise SystemExit("connection closed")
        buf += chunk
for _ in range(200): one()
t0, k0, lat, codes = time.time(), ticks(), [], {}
for _ in range(n):
    a = time.perf_counter(); code = one(); lat.append(time.perf_counter() - a)
    codes[code] = codes.get(code, 0) + 1
dt, k1 = time.time() - t0, ticks()
lat.sort()
print(f"route: {n} requests {codes}, {n/dt:.0f} req/s, p50 {lat[n//2]*1e6:.0f} us, p99 {lat[int(n*0.99)]*1e6:.0f} us, "
      f"sidecar CPU {(k1-k0)/os.sysconf('SC_CLK_TCK')/n*1e6:.1f} us/request")
PY
