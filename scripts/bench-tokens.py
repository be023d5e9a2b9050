#!/usr/bin/env python3
"""Opening a cookie token (revocation check included) and reserving an idempotency key, against a
session read, on the same sidecar and cluster, in interleaved rounds.

    python3 scripts/bench-tokens.py SIDECAR_BINARY [--rounds 3] [--seconds 5] [--threads 8]

Starts 3 memcached and one sidecar on loopback / a Unix socket, stops them by PID at the end.
Keep-alive HTTP/1.1 clients on threads (CPython: the client itself limits the rates; compare the
rows with each other, not with udsbench). A benchmark, not a test.
"""
import argparse, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, uuid


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path)
        self.sock = s


def call(conn, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    r = conn.getresponse()
    return r.status, r.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--threads", type=int, default=8)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="bench-tokens.")
    procs = []
    try:
        nodes = []
        for _ in range(3):
            p = free_port()
            procs.append(subprocess.Popen(["memcached", "-u", "root", "-l", "127.0.0.1", "-p", str(p), "-U", "0"]))
            nodes.append(f"127.0.0.1:{p}")
        key = subprocess.run([a.binary, "keygen"], capture_output=True, text=True, check=True).stdout
        open(f"{d}/keyring", "w").write(key)
        os.chmod(f"{d}/keyring", 0o600)
        sock = f"{d}/api.sock"
        procs.append(subprocess.Popen([a.binary, "run", "--socket", sock, "--memcached", ",".join(nodes), "--keyring", f"{d}/keyring",
                                       "--log-level", "warning"], stdout=open(f"{d}/sidecar.log", "w"), stderr=subprocess.STDOUT))
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        setup = UnixHTTP(sock)
        sessions = [json.loads(call(setup, "POST", "/v1/sessions", {"data": {"user": f"u{i}", "pad": "x" * 900}})[1])["id"] for i in range(200)]
        tokens = [json.loads(call(setup, "POST", "/v1/tokens", {"data": {"user": f"u{i}", "pad": "x" * 900}, "ttl": 3600})[1])["token"] for i in range(200)]

        def op_read(conn, i):
            return call(conn, "GET", f"/v1/sessions/{sessions[i % 200]}")[0] == 200

        def op_open(conn, i):
            return call(conn, "POST", "/v1/tokens/open", {"token": tokens[i % 200]})[0] == 200

        def op_reserve(conn, i):
            return call(conn, "POST", f"/v1/idempotency/{uuid.uuid4()}", {"fingerprint": "amount=4200", "leaseSeconds": 30})[0] == 201

        for rnd in range(1, a.rounds + 1):
            for name, op in (("session read", op_read), ("token open", op_open), ("idempotency reserve", op_reserve)):
                lat, errors, stop = [], [0], time.monotonic() + a.seconds
                lock = threading.Lock()

                def worker(t):
                    conn, mine, i = UnixHTTP(sock), [], t
                    while time.monotonic() < stop:
                        s = time.perf_counter()
                        ok = op(conn, i)
                        mine.append(time.perf_counter() - s)
                        i += a.threads
                        if not ok:
                            errors[0] += 1
                    with lock:
                        lat.extend(mine)

                ts = [threading.Thread(target=worker, args=(t,)) for t in range(a.threads)]
                [t.start() for t in ts]
                [t.join() for t in ts]
                lat.sort()
                n = len(lat)
                print(f"round {rnd}  {name:20s} {n / a.seconds:8.0f} ops/s  p50 {lat[n // 2] * 1000:6.2f} ms  "
                      f"p99 {lat[int(n * 0.99)] * 1000:6.2f} ms  errors {errors[0]}", flush=True)
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
