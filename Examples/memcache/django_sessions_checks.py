"""Django's cache session backend (PyMemcacheCache over pymemcache) through two SessionMesh
memcache sockets, one cache alias per host.

    python3 django_sessions_checks.py SOCKET_A SOCKET_B

Checks, printing one line each and exiting non-zero on the first failure: a session created on
host A loads on host B; B's change loads on A; cycle_key (the rotation Django does at login) moves
the data to a new key and the old key is gone on both hosts; flush (logout) on A leaves nothing
for B to load; the cache API around it (add as a lock, get_many, incr) behaves across hosts.
"""
import sys

import django
from django.conf import settings

socket_a, socket_b = sys.argv[1], sys.argv[2]
settings.configure(
    SECRET_KEY="sessionmesh-example-only",
    INSTALLED_APPS=["django.contrib.sessions"],
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": "unix:" + socket_a},
        "b": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": "unix:" + socket_b},
    },
)
django.setup()

from django.contrib.sessions.backends.cache import SessionStore  # noqa: E402
from django.core.cache import caches  # noqa: E402


def check(ok, what):
    if not ok:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


def on(host):
    """SessionStore reads the cache alias when it is made: choose the host first."""
    settings.SESSION_CACHE_ALIAS = "default" if host == "A" else "b"


on("A")
s = SessionStore()
s["cart"] = {"order": 42, "items": ["coffee", "cake"]}
s.save()
key = s.session_key
check(key is not None and len(key) == 32, "a session is created on host A")

on("B")
b = SessionStore(session_key=key)
check(b.get("cart") == {"order": 42, "items": ["coffee", "cake"]}, "host B loads it")
b["paid"] = True
b.save()

on("A")
a = SessionStore(session_key=key)
check(a.get("paid") is True and "cart" in a, "host A loads B's change")

# Login rotates the key: the data moves, the old key is gone on both hosts.
a.cycle_key()
new_key = a.session_key
check(new_key != key, "cycle_key gives a new key")
on("B")
check(SessionStore(session_key=new_key).get("paid") is True, "host B loads the session under the new key")
check(not SessionStore().exists(key), "the old key is gone on host B")

# Logout: flush on A; B must not find it.
on("A")
a = SessionStore(session_key=new_key)
a.load()
a.flush()
on("B")
gone = SessionStore(session_key=new_key)
check(not gone.exists(new_key) and gone.get("paid") is None, "a logout on host A stays a logout on host B")

# The cache API the backend stands on, across hosts.
ca, cb = caches["default"], caches["b"]
check(ca.add("lock", "A", 30) and not cb.add("lock", "B", 30), "add is a lock across hosts")
ca.set_many({"x": 1, "y": 2}, 60)
check(cb.get_many(["x", "y", "z"]) == {"x": 1, "y": 2}, "get_many on host B sees host A's set_many")
ca.set("n", 10, 60)
check(cb.incr("n", 5) == 15 and ca.get("n") == 15, "incr on host B, read on host A")
print("all Django session checks passed")
