"""pymemcache (Django's memcached client) through two SessionMesh memcache sockets.

    python3 pymemcache_checks.py SOCKET_A SOCKET_B

Checks, printing one line each and exiting non-zero on the first failure:
hand-off (set through A, identical through B, flags included), add as a lock across hosts,
gets/cas (a stale unique is EXISTS), incr/decr with memcached's wrap rules, delete (a tombstone
through both), touch, noreply, flush_all refused, oversized values refused without harm.
"""
import sys
import threading
import uuid

from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheClientError, MemcacheServerError, MemcacheIllegalInputError


def client(path):
    return Client(path, connect_timeout=5, timeout=5, default_noreply=False)


def check(ok, what):
    if not ok:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


a, b = client(sys.argv[1]), client(sys.argv[2])
run = uuid.uuid4().hex[:8]  # fresh keys on every run

# Hand-off: written through A, read identical through B (value and flags).
value = bytes(range(256)) * 4
a.set("django.contrib.sessions.cacheabc", value, expire=600)
check(b.get("django.contrib.sessions.cacheabc") == value, "set through A reads back identical through B")
a.set("flags-key", b"x", flags=0xDEAD)
raw = b.raw_command(b"get flags-key", b"END")
check(b"VALUE flags-key 57005 1" in raw, "flags are stored and returned")

# add is a lock across hosts: 2 threads x 2 hosts racing on 50 keys, exactly one winner each.
wins = {}
lock = threading.Lock()


def racer(c, name):
    mine = client(c)
    for i in range(50):
        if mine.add(f"lock.{run}.{i}", name.encode(), expire=60, noreply=False):
            with lock:
                wins.setdefault(i, []).append(name)


threads = [threading.Thread(target=racer, args=(sys.argv[1 + (t % 2)], f"t{t}")) for t in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(len(wins) == 50 and all(len(w) == 1 for w in wins.values()), "add: exactly one STORED per key across 4 racers on 2 hosts")

# gets/cas: the unique is the record's version; a stale one is EXISTS.
a.set("cas-key", b"1")
v, unique = b.gets("cas-key")
check(a.cas("cas-key", b"2", unique) is True, "cas with the current unique stores")
check(b.cas("cas-key", b"3", unique) is False, "cas with a stale unique is EXISTS")
check(a.cas("never-set", b"3", unique) is None, "cas of a missing key is NOT_FOUND")

# incr/decr: 64-bit wrap on incr, floor at 0 on decr, non-numeric refused.
a.set("counter", b"18446744073709551615")
check(b.incr("counter", 2) == 1, "incr wraps at 2^64")
check(a.decr("counter", 5) == 0, "decr floors at 0")
a.set("text", b"abc")
try:
    b.incr("text", 1)
    check(False, "incr of a non-numeric value is refused")
except MemcacheClientError:
    check(True, "incr of a non-numeric value is refused")
check(a.incr("missing-counter", 1) is None, "incr of a missing key is NOT_FOUND")

# delete: a tombstone, gone through both hosts; add works again after it.
a.set("gone", b"x")
check(b.delete("gone", noreply=False) is True, "delete through B")
check(a.get("gone") is None and b.get("gone") is None, "deleted through both")
check(a.add("gone", b"again") is True, "add over a tombstone stores")

# touch and noreply.
check(a.touch("gone", 100, noreply=False) is True, "touch of a live key")
check(a.touch("nothing-here", 100, noreply=False) is False, "touch of a missing key")
a.set("quiet", b"q", noreply=True)
# A connection's requests are answered in order, so A's next get follows the noreply set.
check(a.get("quiet") == b"q" and b.get("quiet") == b"q", "a noreply set is stored (read back through A, then B)")

# flush_all is refused; an oversized value is refused and the connection stays usable.
try:
    a.flush_all(noreply=False)
    check(False, "flush_all is refused")
except (MemcacheClientError, MemcacheServerError):
    check(True, "flush_all is refused")
try:
    a.set("big", b"x" * (2 << 20))
    check(False, "a value over the limit is refused")
except (MemcacheServerError, MemcacheClientError, MemcacheIllegalInputError):
    check(True, "a value over the limit is refused")
c = client(sys.argv[1])
check(c.get("django.contrib.sessions.cacheabc") == value, "the front door serves on after the refusals")
print("all checks passed")
