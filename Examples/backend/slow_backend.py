#!/usr/bin/env python3
"""A small HTTP backend of known speed that reports its own load to its sidecar.

Every GET is answered after a fixed service time. With --workers N only N requests are served at
once (the rest wait in a FIFO queue), so the backend's capacity is N / service time; with
--workers 0 every request is served at once (a thread each) and only the delay differs.

Every --push-interval seconds it POSTs its measured load to its sidecar's Unix socket
(`POST /v1/load`, application/json): requests in flight (queued + being served), the EWMA of
the response time it gives (queueing included), completed requests per second and the error
rate (always 0 here), and with --workers N its utilization: the share of its N workers that were
busy over the interval (an EWMA, like the rate), so rate / utilization estimates its capacity
whatever share of the traffic it gets. The sidecar gossips that load and computes the mesh
weights from it.

    python3 slow_backend.py --port 18081 --socket /tmp/s1.sock --delay-ms 2
    python3 slow_backend.py --port 18083 --socket /tmp/s3.sock --delay-ms 50 --workers 1

Standard library only. It prints "listening on 127.0.0.1:PORT" once it accepts connections and
stops on SIGTERM or SIGINT.
"""
import argparse
import http.server
import json
import signal
import sys
import threading
import time

from sidecar_socket import UnixHTTPConnection




class Load:
    """What the backend measures about itself."""

    def __init__(self, alpha):
        self.lock = threading.Lock()
        self.alpha = alpha
        self.in_flight = 0
        self.completed = 0
        self.latency_ms = 0.0
        self.seen = False
        self.busy_s = 0.0

    def started(self):
        with self.lock:
            self.in_flight += 1

    def finished(self, ms, busy_s=0.0):
        with self.lock:
            self.busy_s += busy_s
            self.in_flight -= 1
            self.completed += 1
            if self.seen:
                self.latency_ms += self.alpha * (ms - self.latency_ms)
            else:
                self.latency_ms, self.seen = ms, True

    def snapshot(self):
        with self.lock:
            return self.in_flight, self.latency_ms, self.completed, self.busy_s


def make_handler(args, load, gate):
    body = (json.dumps({"node": args.name, "delayMs": args.delay_ms}) + "\n").encode()
    delay = args.delay_ms / 1000.0

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, the body waits for the delayed
        # ACK of the headers (40 ms on Linux) on a kept-alive connection.
        disable_nagle_algorithm = True

        def do_GET(self):
            start = time.monotonic()
            busy = 0.0
            load.started()
            try:
                if gate is not None:
                    with gate:
                        served = time.monotonic()
                        time.sleep(delay)
                        busy = time.monotonic() - served
                else:
                    time.sleep(delay)
            finally:
                load.finished((time.monotonic() - start) * 1000.0, busy)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Backend", args.name)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    return Handler


def push_loop(args, load, stop):
    """POST /v1/load every push interval; the rate (completions per second) and the utilization
    (busy worker-seconds per worker-second) are EWMAs with the same weight, so their ratio, the
    capacity estimate, does not depend on how busy the backend is."""
    last_completed, last_busy, last_t, rate, util = 0, 0.0, time.monotonic(), 0.0, 0.0
    failures = 0
    while not stop.wait(args.push_interval):
        in_flight, latency_ms, completed, busy_s = load.snapshot()
        now = time.monotonic()
        dt = max(now - last_t, 1e-3)
        instant = (completed - last_completed) / dt
        instant_util = min(1.0, (busy_s - last_busy) / (dt * args.workers)) if args.workers > 0 else 0.0
        if last_completed == 0 and rate == 0:
            rate, util = instant, instant_util
        else:
            rate += 0.3 * (instant - rate)
            util += 0.3 * (instant_util - util)
        last_completed, last_busy, last_t = completed, busy_s, now
        body = {"inFlight": in_flight, "latencyMs": round(latency_ms, 3), "requestRate": round(rate, 3), "errorRate": 0}
        if args.workers > 0 and args.report_utilization:
            body["utilization"] = round(util, 4)
        payload = json.dumps(body).encode()
        conn = UnixHTTPConnection(args.socket, timeout=1.0)
        try:
            conn.request("POST", "/v1/load", body=payload, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 204 and failures < 3:
                failures += 1
                print(f"POST /v1/load: HTTP {resp.status}", file=sys.stderr, flush=True)
        except OSError:
            pass  # the sidecar may be restarting or gone; keep serving
        finally:
            conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--socket", required=True, help="this backend's sidecar API socket")
    p.add_argument("--delay-ms", type=float, required=True, help="service time of one request")
    p.add_argument("--workers", type=int, default=0, help="requests served at once (0 = unlimited)")
    p.add_argument("--name", default=None)
    p.add_argument("--push-interval", type=float, default=0.2, help="seconds between load reports")
    p.add_argument("--latency-alpha", type=float, default=0.1, help="EWMA weight of one new sample")
    p.add_argument("--no-utilization", dest="report_utilization", action="store_false",
                   help="do not report utilization (the sidecar then uses the host CPU)")
    args = p.parse_args()
    args.name = args.name or f"backend-{args.port}"

    load = Load(args.latency_alpha)
    gate = threading.Semaphore(args.workers) if args.workers > 0 else None

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            # A proxy that resets its kept-alive connection after the response is not an error
            # (HAProxy does with `Connection: close` clients); printing a traceback each time costs
            # the backend CPU that the measurement needs.
            if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                return
            super().handle_error(request, client_address)

    server = Server((args.host, args.port), make_handler(args, load, gate))
    stop = threading.Event()
    pusher = threading.Thread(target=push_loop, args=(args, load, stop), daemon=True)
    pusher.start()

    def shutdown(*_):
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"listening on {args.host}:{args.port}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()


if __name__ == "__main__":
    main()
