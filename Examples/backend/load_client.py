#!/usr/bin/env python3
"""Load for slow_backend.py, standard library only.

closed: N threads send GET to one URL (e.g. an HAProxy frontend) back to back for S seconds,
        then print one JSON line: requests, errors, and requests per backend (X-Backend header).

    python3 load_client.py closed --url http://127.0.0.1:8080/ --concurrency 20 --seconds 30

route:  the routing experiment's load generator. Open loop (Poisson arrivals at --rate per
        second). Per request it asks a sidecar `GET /v1/route?policy=P` on its Unix socket (the
        sockets take turns, so every sidecar routes a share), then sends GET to the returned
        app address. Policies are interleaved: every round runs each policy once for
        --round-seconds (in a rotated order), with a pause between runs so queues empty. Prints
        p50/p90/p99 per policy (end to end: from the scheduled arrival, route call included)
        and the mesh/round-robin and mesh/least-connections ratios, then one JSON line.
        Policy `client-least-conn` is a reference that asks no sidecar: the generator's own
        exact outstanding count per backend (a single proxy's least connections).

    python3 load_client.py route --sockets a.sock,b.sock,c.sock --rate 119 --rounds 3

open:   the HAProxy routing experiment's load generator (scripts/routing-experiment.sh). Open loop
        (Poisson arrivals at --rate per second) of GET to one of several balancer frontends, one
        per configuration (--targets name=url,...), interleaved over rounds like `route`, each
        request on a new connection. Prints p50/p90/p99 (from the scheduled arrival), errors and
        the share per backend (X-Backend header) per configuration, the p99 ratios of the
        configurations whose name ends in "+agent" against the others, then one JSON line.

    python3 load_client.py open --targets rr=http://127.0.0.1:8001/,lc=http://127.0.0.1:8002/ --rate 119
"""
import argparse
import concurrent.futures
import http.client
import json
import random
import sys
import threading
import time

from sidecar_socket import UnixHTTPConnection




# ── closed loop ────────────────────────────────────────────────────────────────────────────


def closed(args):
    host, port = args.url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    path = "/" + args.url.split("//", 1)[1].split("/", 1)[1] if "/" in args.url.split("//", 1)[1] else "/"
    deadline = time.monotonic() + args.seconds
    lock = threading.Lock()
    per_backend, totals = {}, {"requests": 0, "errors": 0}

    def worker():
        conn = None
        while time.monotonic() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=10)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                backend = resp.getheader("X-Backend") or "?"
                with lock:
                    totals["requests"] += 1
                    if resp.status != 200:
                        totals["errors"] += 1
                    per_backend[backend] = per_backend.get(backend, 0) + 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                with lock:
                    totals["errors"] += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 15)
    print(json.dumps({**totals, "perBackend": per_backend}), flush=True)


# ── open-loop routing experiment ───────────────────────────────────────────────────────────


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


class ClientLeastConn:
    """Reference policy `client-least-conn`, not asked of a sidecar: the generator's own exact
    count of outstanding requests per backend (it sees every completion), fewest wins, random on
    ties: what a single proxy's least connections does."""

    def __init__(self, members, seed):
        self.lock = threading.Lock()
        self.outstanding = {m["appAddress"]: 0 for m in members}
        self.names = {m["appAddress"]: m["name"] for m in members}
        self.rng = random.Random(seed)

    def acquire(self):
        with self.lock:
            low = min(self.outstanding.values())
            address = self.rng.choice([a for a, n in self.outstanding.items() if n == low])
            self.outstanding[address] += 1
            return address

    def release(self, address):
        with self.lock:
            self.outstanding[address] -= 1


CLIENT_LC = None


def call_backend(address, node, scheduled, timeout):
    """GET / on the chosen backend: (end-to-end ms, backend ms, node, error or None)."""
    host, port = address.rsplit(":", 1)
    t1 = time.monotonic()
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    t2 = time.monotonic()
    if resp.status != 200:
        return None, None, node, f"backend HTTP {resp.status}"
    return (t2 - scheduled) * 1000, (t2 - t1) * 1000, node, None


def one_request(sock_path, policy, scheduled, timeout):
    """Returns (end-to-end ms, backend ms, node or None, error or None)."""
    if policy == "client-least-conn":
        address = CLIENT_LC.acquire()
        try:
            return call_backend(address, CLIENT_LC.names[address], scheduled, timeout)
        except (OSError, http.client.HTTPException) as e:
            return None, None, None, type(e).__name__
        finally:
            CLIENT_LC.release(address)
    try:
        conn = UnixHTTPConnection(sock_path, timeout=timeout)
        try:
            conn.request("GET", f"/v1/route?policy={policy}")
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            return None, None, None, f"route HTTP {resp.status}"
        decision = json.loads(raw)
        address = decision.get("appAddress")
        if not address:
            return None, None, None, "route without appAddress"
        return call_backend(address, decision.get("node"), scheduled, timeout)
    except (OSError, http.client.HTTPException, ValueError) as e:
        return None, None, None, type(e).__name__


def run_phase(args, pool, policy, seconds, rng):
    """Open loop for `seconds`; waits (bounded) for the stragglers. Returns the samples."""
    futures = []
    sockets = args.sockets
    start = time.monotonic()
    end = start + seconds
    t = start
    i = 0
    while True:
        t += rng.expovariate(args.rate)
        if t >= end:
            break
        delay = t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(one_request, sockets[i % len(sockets)], policy, t, args.timeout))
        i += 1
    done, not_done = concurrent.futures.wait(futures, timeout=args.timeout + 5)
    samples = [f.result() for f in done]
    samples += [(None, None, None, "unfinished")] * len(not_done)
    return samples


def fetch(url, scheduled, timeout):
    """GET url on a new connection: (end-to-end ms, backend ms, backend name, error or None)."""
    rest = url.split("//", 1)[1]
    hostport, _, path = rest.partition("/")
    host, port = hostport.rsplit(":", 1)
    t1 = time.monotonic()
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request("GET", "/" + path, headers={"Connection": "close"})
            resp = conn.getresponse()
            resp.read()
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        return None, None, None, type(e).__name__
    t2 = time.monotonic()
    if resp.status != 200:
        return None, None, resp.getheader("X-Backend"), f"HTTP {resp.status}"
    return (t2 - scheduled) * 1000, (t2 - t1) * 1000, resp.getheader("X-Backend"), None


def open_phase(args, pool, url, seconds, rng):
    """Open loop to one URL for `seconds`; waits (bounded) for the stragglers."""
    futures = []
    start = time.monotonic()
    end = start + seconds
    t = start
    while True:
        t += rng.expovariate(args.rate)
        if t >= end:
            break
        delay = t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(fetch, url, t, args.timeout))
    done, not_done = concurrent.futures.wait(futures, timeout=args.timeout + 5)
    return [f.result() for f in done] + [(None, None, None, "unfinished")] * len(not_done)


def open_loop(args):
    targets = []
    for item in args.targets.split(","):
        name, _, url = item.partition("=")
        targets.append((name, url))
    names = [n for n, _ in targets]
    rng = random.Random(args.seed)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.workers)
    if args.warmup_seconds > 0:
        warm = args.warmup_target or names[-1]
        print(f"warm-up: {args.warmup_seconds:.0f} s through {warm}", flush=True)
        open_phase(args, pool, dict(targets)[warm], args.warmup_seconds, rng)
        time.sleep(args.pause)
    results = {n: {"e2e": [], "errors": 0, "errorKinds": {}, "nodes": {}, "roundP99": [], "n": 0} for n in names}
    for r in range(args.rounds):
        order = targets[r % len(targets):] + targets[:r % len(targets)]
        for name, url in order:
            samples = open_phase(args, pool, url, args.round_seconds, rng)
            res = results[name]
            e2e = sorted(s[0] for s in samples if s[3] is None)
            res["n"] += len(samples)
            res["e2e"] += e2e
            for s in samples:
                if s[3] is not None:
                    res["errors"] += 1
                    res["errorKinds"][s[3]] = res["errorKinds"].get(s[3], 0) + 1
                elif s[2]:
                    res["nodes"][s[2]] = res["nodes"].get(s[2], 0) + 1
            res["roundP99"].append(round(percentile(e2e, 0.99), 1))
            print(f"round {r + 1}/{args.rounds} {name:18s} n={len(samples):5d} p50={percentile(e2e, 0.50):8.1f} ms"
                  f" p99={percentile(e2e, 0.99):8.1f} ms errors={res['errors']}", flush=True)
            time.sleep(args.pause)
    pool.shutdown(wait=False, cancel_futures=True)

    summary = {}
    print()
    print(f"| configuration | requests | errors | p50 ms | p90 ms | p99 ms | p99 per round, ms | share host1/host2/host3 |")
    print(f"|---|---|---|---|---|---|---|---|")
    for n in names:
        res = results[n]
        e2e = sorted(res["e2e"])
        total = sum(res["nodes"].values()) or 1
        share = {k: c / total for k, c in sorted(res["nodes"].items())}
        summary[n] = {"n": res["n"], "errors": res["errors"], "errorKinds": res["errorKinds"], "p50": percentile(e2e, 0.5),
                      "p90": percentile(e2e, 0.9), "p99": percentile(e2e, 0.99), "roundP99": res["roundP99"], "share": share}
        s = summary[n]
        print(f"| {n} | {s['n']} | {s['errors']} | {s['p50']:.1f} | {s['p90']:.1f} | {s['p99']:.1f} |"
              f" {' / '.join(f'{x:.0f}' for x in s['roundP99'])} | {' / '.join(f'{v:.2f}' for v in share.values())} |")
    ratios = {}
    print()
    for a in [n for n in names if n.endswith("+agent")]:
        for b in [n for n in names if not n.endswith("+agent")]:
            if summary[b]["p99"] > 0:
                ratios[f"{a}/{b}"] = summary[a]["p99"] / summary[b]["p99"]
                print(f"p99 {a} / {b}: {ratios[f'{a}/{b}']:.3f}")
    print(json.dumps({"rate": args.rate, "rounds": args.rounds, "roundSeconds": args.round_seconds,
                      "configurations": summary, "p99Ratios": ratios}), flush=True)


def route(args):
    args.sockets = args.sockets.split(",")
    policies = args.policies.split(",")
    rng = random.Random(args.seed)
    if "client-least-conn" in policies:
        global CLIENT_LC
        conn = UnixHTTPConnection(args.sockets[0])
        conn.request("GET", "/v1/mesh")
        members = [m for m in json.loads(conn.getresponse().read())["members"] if m.get("appAddress")]
        conn.close()
        CLIENT_LC = ClientLeastConn(members, args.seed)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.workers)
    if args.warmup_seconds > 0:
        print(f"warm-up: {args.warmup_seconds:.0f} s of policy mesh (weights leave blackout and slow start)", flush=True)
        run_phase(args, pool, "mesh", args.warmup_seconds, rng)
        time.sleep(args.pause)
    results = {p: {"e2e": [], "backend": [], "errors": 0, "nodes": {}, "roundP99": []} for p in policies}
    for r in range(args.rounds):
        order = policies[r % len(policies):] + policies[:r % len(policies)]
        for policy in order:
            samples = run_phase(args, pool, policy, args.round_seconds, rng)
            res = results[policy]
            e2e = sorted(s[0] for s in samples if s[3] is None)
            res["e2e"] += e2e
            res["backend"] += [s[1] for s in samples if s[3] is None]
            res["errors"] += sum(1 for s in samples if s[3] is not None)
            for s in samples:
                if s[2]:
                    res["nodes"][s[2]] = res["nodes"].get(s[2], 0) + 1
            res["roundP99"].append(round(percentile(e2e, 0.99), 1))
            print(f"round {r + 1}/{args.rounds} {policy:18s} n={len(samples):5d} p50={percentile(e2e, 0.50):8.1f} ms"
                  f" p99={percentile(e2e, 0.99):8.1f} ms errors={res['errors']}", flush=True)
            time.sleep(args.pause)
    pool.shutdown(wait=False, cancel_futures=True)

    summary = {}
    print()
    print(f"{'policy':18s} {'n':>6s} {'err':>4s} {'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} {'p99 backend':>11s}  share by node")
    for p in policies:
        res = results[p]
        e2e, backend = sorted(res["e2e"]), sorted(res["backend"])
        total = sum(res["nodes"].values()) or 1
        share = " ".join(f"{n}={c / total:.2f}" for n, c in sorted(res["nodes"].items()))
        summary[p] = {"n": len(e2e), "errors": res["errors"], "p50": percentile(e2e, 0.5), "p90": percentile(e2e, 0.9),
                      "p99": percentile(e2e, 0.99), "p99Backend": percentile(backend, 0.99),
                      "roundP99": res["roundP99"], "share": {n: c / total for n, c in sorted(res["nodes"].items())}}
        s = summary[p]
        print(f"{p:18s} {s['n']:6d} {s['errors']:4d} {s['p50']:8.1f} {s['p90']:8.1f} {s['p99']:8.1f} {s['p99Backend']:11.1f}  {share}")
    ratios = {}
    if "mesh" in summary:
        for other in ("round-robin", "least-connections", "client-least-conn"):
            if other in summary and summary[other]["p99"] > 0:
                ratios[f"mesh/{other}"] = {"p50": summary["mesh"]["p50"] / summary[other]["p50"],
                                           "p99": summary["mesh"]["p99"] / summary[other]["p99"]}
                print(f"mesh/{other}: p50 ×{ratios[f'mesh/{other}']['p50']:.2f}  p99 ×{ratios[f'mesh/{other}']['p99']:.2f}")
    print(json.dumps({"rate": args.rate, "rounds": args.rounds, "roundSeconds": args.round_seconds,
                      "policies": summary, "ratios": ratios}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("closed")
    c.add_argument("--url", required=True)
    c.add_argument("--concurrency", type=int, default=20)
    c.add_argument("--seconds", type=float, default=20)
    r = sub.add_parser("route")
    r.add_argument("--sockets", required=True, help="sidecar API sockets, comma-separated")
    r.add_argument("--policies", default="round-robin,least-connections,mesh")
    r.add_argument("--rate", type=float, required=True, help="arrivals per second")
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--round-seconds", type=float, default=10)
    r.add_argument("--warmup-seconds", type=float, default=30)
    r.add_argument("--pause", type=float, default=3, help="seconds between runs, for queues to empty")
    r.add_argument("--timeout", type=float, default=30)
    r.add_argument("--workers", type=int, default=512)
    r.add_argument("--seed", type=int, default=1)
    o = sub.add_parser("open")
    o.add_argument("--targets", required=True, help="name=url pairs, comma-separated")
    o.add_argument("--rate", type=float, required=True, help="arrivals per second")
    o.add_argument("--rounds", type=int, default=3)
    o.add_argument("--round-seconds", type=float, default=10)
    o.add_argument("--warmup-seconds", type=float, default=30)
    o.add_argument("--warmup-target", default=None, help="configuration used for the warm-up (default: the last)")
    o.add_argument("--pause", type=float, default=3, help="seconds between runs, for queues to empty")
    o.add_argument("--timeout", type=float, default=30)
    o.add_argument("--workers", type=int, default=1024)
    o.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    {"closed": closed, "route": route, "open": open_loop}[args.mode](args)


if __name__ == "__main__":
    main()
