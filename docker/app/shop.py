#!/usr/bin/env python3
"""The compose demo's app: a tiny shop on :8080 behind HAProxy, standard library only.

Each "host" runs this app beside its own sessionmesh sidecar (shared socket volume). The session
id travels in a cookie, so HAProxy may send each request to any host: the session lives in the
replicated memcached cluster, reached through the local sidecar. The Unix-socket client is the
one of Examples/python/payment_flow.py.

    POST /login {"user": "alice"}   create + rotate, Set-Cookie: sid=…
    POST /cart  {"sku": "sku-1"}    CAS update (If-Match, retried on 412)
    POST /pay                       PUT with If-Match: the version the cart was read at
    GET  /cart                      the session's data
    POST /logout                    delete (tombstone)
Every reply says which host served it.
"""
import json
import os
import socket
import sys
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.environ.get("EXAMPLES_DIR", "/opt/examples"))
from payment_flow import Mismatch, Sidecar  # noqa: E402

HOST = os.environ.get("HOST_NAME", socket.gethostname())
SIDECAR = Sidecar(HOST, os.environ.get("SESSIONMESH_SOCKET", "/run/sessionmesh/sessionmesh.sock"))


class Shop(BaseHTTPRequestHandler):
    def reply(self, status, body, cookie=None):
        data = json.dumps(dict(body, servedBy=HOST)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if cookie is not None:
            self.send_header("Set-Cookie", f"sid={cookie}; Path=/; HttpOnly; SameSite=Strict"
                             + ("; Max-Age=0" if cookie == "" else ""))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def sid(self):
        morsel = SimpleCookie(self.headers.get("Cookie", "")).get("sid")
        return morsel.value if morsel else None

    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, {"ok": True})
        if self.path == "/cart":
            return self.guarded(lambda sid: self.reply(200, SIDECAR.get(sid)[1]["data"]))
        self.reply(404, {"error": "no such page"})

    def do_POST(self):
        if self.path == "/login":
            return self.guarded(self.login, needs_session=False)
        routes = {"/cart": self.add_to_cart, "/pay": self.pay, "/logout": self.logout}
        if self.path in routes:
            return self.guarded(routes[self.path])
        self.reply(404, {"error": "no such page"})

    def guarded(self, action, needs_session=True):
        try:
            if not needs_session:
                return action()
            sid = self.sid()
            if not sid:
                return self.reply(401, {"error": "log in first"})
            status, _, _ = SIDECAR.call("GET", f"/v1/sessions/{sid}")
            if status == 404:
                return self.reply(401, {"error": "session expired or logged out"}, cookie="")
            action(sid)
        except Mismatch as e:
            self.reply(409, {"error": str(e)})
        except OSError as e:  # the sidecar is down: HAProxy's checks take this host out
            self.reply(503, {"error": f"sidecar unavailable: {e}"})

    def login(self):
        user = self.body().get("user", "guest")
        status, _, s = SIDECAR.call("POST", "/v1/sessions", {"data": {"user": user, "items": [], "paid": False}})
        if status != 201:
            return self.reply(status, s)
        status, _, s = SIDECAR.call("POST", f"/v1/sessions/{s['id']}/rotate")  # anti session fixation
        self.reply(status, s["data"] if status == 201 else s, cookie=s.get("id") if status == 201 else None)

    def add_to_cart(self, sid):
        sku = self.body()["sku"]
        session, retries = SIDECAR.update(sid, lambda cart: {"items": cart["items"] + [sku]})
        self.reply(200, dict(session["data"], casRetries=retries))

    def pay(self, sid):
        etag, session = SIDECAR.get(sid)
        status, _, s = SIDECAR.call("PUT", f"/v1/sessions/{sid}", {"data": dict(session["data"], paid=True)}, if_match=etag)
        self.reply(status, s["data"] if status == 200 else s)

    def logout(self, sid):
        status, _, _ = SIDECAR.call("DELETE", f"/v1/sessions/{sid}")
        self.reply(200 if status == 204 else status, {"loggedOut": status == 204}, cookie="")


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"shop on :{port}, sessions via {SIDECAR.socket_path}", flush=True)
    ThreadingHTTPServer(("", port), Shop).serve_forever()
