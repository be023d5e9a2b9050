#!/usr/bin/env python3
"""A payment flow on SessionMesh from Python, standard library only.

login (with session id rotation) -> cart -> pay -> logout, every step on the next sidecar, as a
load balancer spreads one user's requests over hosts. Each step checks that the session holds
what the previous steps wrote; any mismatch exits with status 1.

    python3 payment_flow.py --socket /run/a/sessionmesh.sock --socket /run/b/sessionmesh.sock
    python3 payment_flow.py --socket a.sock,b.sock,c.sock
"""
import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a Unix socket: only connect() differs from a TCP connection."""

    def __init__(self, socket_path, timeout=5.0):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class Mismatch(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Mismatch(message)


class Sidecar:
    """One sidecar. A connection per call keeps the example simple; connecting to a local
    socket is cheap, and an HTTPConnection could be kept open across calls just as well."""

    def __init__(self, name, socket_path):
        self.name = name
        self.socket_path = socket_path

    def call(self, method, path, body=None, content_type="application/json", if_match=None):
        """Returns (status, etag, parsed JSON body or None)."""
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        if if_match is not None:
            headers["If-Match"] = if_match
        conn = UnixHTTPConnection(self.socket_path)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            etag = resp.getheader("ETag")
        finally:
            conn.close()
        return resp.status, etag, (json.loads(raw) if raw else None)

    def get(self, sid):
        status, etag, body = self.call("GET", f"/v1/sessions/{sid}")
        check(status == 200, f"GET {sid[:8]}… on {self.name}: HTTP {status} {body}")
        return etag, body

    def update(self, sid, make_patch, attempts=100):
        """Read-modify-write with CAS: GET gives the data and its ETag, the merge patch is sent
        with If-Match: <that ETag>, and a 412 (someone wrote in between) starts over."""
        for attempt in range(attempts):
            etag, current = self.get(sid)
            patch = make_patch(current["data"])
            status, _, body = self.call("PATCH", f"/v1/sessions/{sid}", patch,
                                        content_type="application/merge-patch+json", if_match=etag)
            if status == 200:
                return body, attempt
            check(status == 412, f"PATCH {sid[:8]}… on {self.name}: HTTP {status} {body}")
            time.sleep(random.uniform(0, min(0.02, 0.001 * 2 ** attempt)))  # back off, with jitter
        raise Mismatch(f"no CAS update of {sid[:8]}… after {attempts} attempts")

    def expect_gone(self, sid):
        status, _, body = self.call("GET", f"/v1/sessions/{sid}")
        check(status == 404 and body["error"]["code"] == "logged_out",
              f"{sid[:8]}… on {self.name}: expected 404, got HTTP {status} {body}")
        print(f"  {self.name}: {sid[:8]}… → 404, as expected")


def payment_flow(hosts, user):
    turn = 0

    def next_host():
        nonlocal turn
        turn += 1
        return hosts[(turn - 1) % len(hosts)]

    expected = {"user": user, "items": [], "paid": False}

    # 1. Login: create the session, then give it a new id (anti session fixation).
    h = next_host()
    status, etag, login = h.call("POST", "/v1/sessions", {"data": expected, "idleTimeout": 600})
    check(status == 201 and etag == '"1"' and login["data"] == expected, f"create: HTTP {status} {login}")
    print(f"login    [{h.name}] session {login['id']} version {login['version']}")
    h = next_host()
    status, _, session = h.call("POST", f"/v1/sessions/{login['id']}/rotate")
    check(status == 201 and session["id"] != login["id"] and session["data"] == expected, f"rotate: HTTP {status} {session}")
    print(f"rotate   [{h.name}] new id {session['id']}")
    next_host().expect_gone(login["id"])
    sid = session["id"]

    # 2. Cart: CAS updates; each one on the next sidecar.
    for sku in ["sku-1", "sku-2"]:
        h = next_host()
        after, _ = h.update(sid, lambda cart, sku=sku: {"items": cart["items"] + [sku]})
        expected["items"].append(sku)
        print(f"cart     [{h.name}] + {sku} → {after['data']['items']} version {after['version']}")
        check(after["data"] == expected, f"cart is {after['data']}, expected {expected}")

    # Two browser tabs add an item at the same moment through two sidecars: one of them gets a
    # 412, re-reads and retries, so both items land.
    tabs = [(next_host(), "sku-3"), (next_host(), "sku-4")]
    retries, errors = [], []

    def tab(host, sku):
        try:
            retries.append(host.update(sid, lambda cart: {"items": cart["items"] + [sku]})[1])
        except Exception as e:  # reported below, in the main thread
            errors.append(e)

    threads = [threading.Thread(target=tab, args=t) for t in tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    h = next_host()
    cart_etag, cart = h.get(sid)
    print(f"cart     [{h.name}] after two concurrent adds: {cart['data']['items']} "
          f"version {cart['version']} ({sum(retries)} retries after 412)")
    check(sorted(cart["data"]["items"]) == ["sku-1", "sku-2", "sku-3", "sku-4"], f"cart is {cart['data']}")
    expected["items"] = cart["data"]["items"]

    # 3. Pay: replace the data, conditional on the version the checkout page showed.
    paid = dict(expected, paid=True)
    h = next_host()
    status, receipt_etag, receipt = h.call("PUT", f"/v1/sessions/{sid}", {"data": paid}, if_match=cart_etag)
    check(status == 200 and receipt["data"] == paid, f"pay: HTTP {status} {receipt}")
    print(f"pay      [{h.name}] paid {len(paid['items'])} items, version {receipt['version']}")
    expected = paid
    # The same checkout submitted twice (same If-Match) is refused: no double payment.
    h = next_host()
    status, current, body = h.call("PUT", f"/v1/sessions/{sid}", {"data": paid}, if_match=cart_etag)
    check(status == 412 and body["error"]["code"] == "version_mismatch" and current == receipt_etag,
          f"second pay: HTTP {status} ETag {current} {body}")
    print(f"pay      [{h.name}] second submit refused with 412, current ETag {current}")
    h = next_host()
    etag, after = h.get(sid)
    print(f"verify   [{h.name}] {after['data']} version {after['version']}")
    check(after["data"] == expected and etag == receipt_etag, f"session is {after}")

    # 4. Logout: a tombstone; the session must be gone on every sidecar.
    h = next_host()
    status, _, body = h.call("DELETE", f"/v1/sessions/{sid}")
    check(status == 204, f"logout: HTTP {status} {body}")
    print(f"logout   [{h.name}] deleted {sid}")
    for h in hosts:
        h.expect_gone(sid)
    return sid


def retried_payment(hosts):
    """A charge retried after a timeout through another host executes once: the first host
    reserves the Idempotency-Key, charges, stores the response; the retry through the next host
    finds the key completed and replays the stored response instead of charging again."""
    charges = []  # what the payment provider saw

    def charge(amount):
        charges.append(amount)
        return {"charge": f"ch_{len(charges)}", "amount": amount}

    def handle_payment(host, key, amount):
        """What each app host does with POST /pay and an Idempotency-Key header."""
        fingerprint = f"amount={amount}"
        status, _, body = host.call("POST", f"/v1/idempotency/{key}", {"fingerprint": fingerprint, "leaseSeconds": 30})
        if status == 200:  # ran before: replay
            return body["response"]["status"], json.loads(body["response"]["body"]), "replayed"
        check(status == 201, f"reserve on {host.name}: HTTP {status} {body}")
        result = charge(amount)
        response = {"fence": body["fence"], "status": 201, "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(result)}
        status, _, done = host.call("PUT", f"/v1/idempotency/{key}", response)
        check(status in (200, 204), f"complete on {host.name}: HTTP {status} {done}")
        return 201, result, "executed"

    key = f"pay-{random.getrandbits(64):016x}"
    first, retry = hosts[0], hosts[1 % len(hosts)]
    status, result, how = handle_payment(first, key, 4200)
    print(f"payment  [{first.name}] {how}: HTTP {status} {result} (its response is lost: the client times out)")
    status2, result2, how2 = handle_payment(retry, key, 4200)
    print(f"retry    [{retry.name}] {how2}: HTTP {status2} {result2}")
    check(how2 == "replayed" and result2 == result and status2 == status, f"the retry was {how2}: {result2}")
    check(len(charges) == 1, f"the provider was charged {len(charges)} times")
    # The same key with other parameters is refused (422), not executed.
    status3, _, body3 = retry.call("POST", f"/v1/idempotency/{key}", {"fingerprint": "amount=9999"})
    check(status3 == 422, f"same key, other amount: HTTP {status3} {body3}")
    print(f"retry    [{retry.name}] same key with another amount refused: HTTP {status3}; charged once")


def main():
    parser = argparse.ArgumentParser(description="Login → cart → pay → logout across SessionMesh sidecars.")
    parser.add_argument("--socket", action="append", required=True,
                        help="a sidecar's socket; repeat it or give a comma-separated list")
    parser.add_argument("--user", default="alice")
    args = parser.parse_args()
    paths = [p for arg in args.socket for p in arg.split(",") if p]
    hosts = [Sidecar(f"host{i + 1}", p) for i, p in enumerate(paths)]
    try:
        sid = payment_flow(hosts, args.user)
        retried_payment(hosts)
    except Mismatch as e:
        print(f"MISMATCH: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # socket missing, refused, timed out
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"payment flow OK: session {sid} paid and logged out across {len(hosts)} sidecar(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
