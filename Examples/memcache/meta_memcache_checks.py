"""meta-memcache (RevenueCat's meta-protocol-only Python client: mg, ms, md, ma) through two
SessionMesh memcache sockets.

    python3 meta_memcache_checks.py SOCKET_A SOCKET_B

Checks, printing one line each and exiting non-zero on the first failure: hand-off (set through
A, the same value through B), compare-and-set with the CAS token of the other host, refill (add)
as a lock, counters (create on miss, deltas, floor at 0, a miss, compare-CAS, a TTL refresh),
touch, delete and invalidate (a tombstone through both), a non-ASCII key (sent base64), leases
(get_or_lease: one winner across hosts), stale-while-revalidate (md I: one recacher), and
multi_get.
"""
import socket
import sys
import uuid

from meta_memcache import CacheClient, ConnectionPool, Key, LeasePolicy, ServerAddress, SetMode, StalePolicy
from meta_memcache.errors import MemcacheError


def client(path):
    def connect():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        return s

    def pool(server):
        return ConnectionPool(server=str(server), socket_factory_fn=connect, initial_pool_size=1, max_pool_size=2)

    return CacheClient.cache_client_from_servers(servers=[ServerAddress(host=path, port=0)],
                                                 connection_pool_factory_fn=pool)


def check(ok, what):
    if not ok:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


a, b = client(sys.argv[1]), client(sys.argv[2])
run = uuid.uuid4().hex[:8]  # fresh keys on every run

# Hand-off: a structured value written through A reads back equal through B.
cart = {"order": 42, "items": ["coffee", "cake"], "paid": False}
check(a.set(f"cart:{run}", cart, ttl=600), "set through A")
check(b.get(f"cart:{run}") == cart, "the value reads back equal through B")

# Compare-and-set: B's CAS token is good on A; once used, it is stale everywhere.
value, token = b.get_cas(f"cart:{run}")
check(value == cart and token is not None, "get_cas through B returns the value and a token")
cart["paid"] = True
check(a.set(f"cart:{run}", cart, ttl=600, cas_token=token), "set with that token through A succeeds")
check(not b.set(f"cart:{run}", {"stale": True}, ttl=600, cas_token=token), "the same token again is refused")
check(b.get(f"cart:{run}") == cart, "the refused write changed nothing")

# refill is an add: one winner across hosts.
check(a.refill(f"lock:{run}", "A", ttl=30), "refill of a missing key through A stores")
check(not b.refill(f"lock:{run}", "B", ttl=30), "refill of the same key through B does not")
check(b.get(f"lock:{run}") == "A", "the lock holds A's value")

# Counters (ma): create on miss, deltas through either host, floor at 0, a miss, compare-CAS.
counter = f"tries:{run}"
check(a.delta_initialize_and_get(counter, 1, initial_value=10, initial_ttl=600) == 10, "a missing counter is created at its initial value")
check(b.delta_and_get(counter, 5) == 15, "delta +5 through B")
check(a.delta_and_get(counter, -20) == 0, "delta -20 floors at 0")
check(b.delta(counter, 3), "delta without reading the value")
check(a.delta_and_get(counter, 0) == 3, "both hosts see the counter at 3")
check(not a.delta(f"missing:{run}", 1), "delta of a missing counter fails")
check(a.delta_and_get(f"missing:{run}", 1) is None, "delta_and_get of a missing counter is None")
_, counter_token = b.get_cas(counter)
check(a.delta(counter, 1, cas_token=counter_token), "delta with the current CAS token applies")
check(not b.delta(counter, 1, cas_token=counter_token), "delta with a stale CAS token is refused")
check(a.delta_and_get(counter, 1, refresh_ttl=900) == 5, "delta with a TTL refresh")
a.set(f"text:{run}", "not a number", ttl=60)
try:
    a.delta_and_get(f"text:{run}", 1)
    check(False, "delta of a non-number is refused")
except MemcacheError:
    check(True, "delta of a non-number is refused")

# touch, delete, invalidate.
check(b.touch(f"cart:{run}", ttl=1200), "touch through B")
check(not b.touch(f"gone:{run}", ttl=1200), "touch of a missing key fails")
check(b.delete(f"cart:{run}"), "delete through B")
check(a.get(f"cart:{run}") is None, "the deleted value is gone through A")
check(not a.delete(f"cart:{run}"), "a second delete finds nothing")
check(a.invalidate(f"cart:{run}"), "invalidate of a missing key is fine")

# A non-ASCII key goes over the wire base64 (b flag); it must name the same item on both hosts.
unicode_key = Key(f"sesión:{run}")
check(a.set(unicode_key, "¡hola!", ttl=600), "set with a non-ASCII key")
check(b.get(unicode_key) == "¡hola!", "the non-ASCII key reads back through B")

# Leases (mg N): one client across the hosts wins the miss, the other waits and gets the value
# once the winner writes it with the CAS token it was given.
lease = LeasePolicy(ttl=30, miss_retries=3, miss_retry_wait=0.05, miss_max_retry_wait=0.1)
winner_value, winner_token = a.get_or_lease_cas(f"report:{run}", lease_policy=lease)
check(winner_value is None and winner_token is not None, "get_or_lease through A wins the miss")
check(b.get_or_lease(f"report:{run}", lease_policy=lease) is None, "through B it loses and, with nobody writing, gives up")
check(a.set(f"report:{run}", "monthly totals", ttl=600, cas_token=winner_token), "the winner writes with its token")
check(b.get_or_lease(f"report:{run}", lease_policy=lease) == "monthly totals", "through B the value arrives")

# Stale-while-revalidate (md I): readers keep the old value and exactly one recaches.
stale = StalePolicy(mark_stale_on_deletion_ttl=30)
check(a.delete(f"report:{run}", stale_policy=stale), "delete with a stale policy marks it stale through A")
first, second = b._get(f"report:{run}"), a._get(f"report:{run}")
check(first.value is None and first.flags.stale and first.flags.win, "the first reader through B sees it stale and wins (a miss, to recache)")
check(second.value == "monthly totals" and second.flags.stale and not second.flags.win, "the next reader through A sees it stale and does not")

# multi_get: hits and a miss in one call.
for i in range(5):
    a.set(f"m{i}:{run}", i, ttl=600)
got = b.multi_get([f"m{i}:{run}" for i in range(6)])
check([got[Key(f"m{i}:{run}")] for i in range(6)] == [0, 1, 2, 3, 4, None], "multi_get through B")
print("all meta-memcache checks passed")
