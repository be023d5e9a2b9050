#!/usr/bin/env python3
"""RSS and CPU of one sidecar under each attack of issue 17, for a before/after comparison.

    scripts/hostile-load.py BINARY [attack ...]

Each attack runs against a fresh `sessionmesh run` (one memcached, loopback only) and prints
one line: RSS before / peak / after (MiB), the sidecar's CPU (fraction of a core) during the
attack, and what the attack did. Attacks: idle, slowloris, fd128, pushpull, pushpull_small, lzw, ghosts.
Processes started here are stopped by PID.
"""
import os, socket, struct, subprocess, sys, tempfile, time

BIN = sys.argv[1]
ATTACKS = sys.argv[2:] or ["idle", "slowloris", "fd128", "pushpull", "pushpull_small", "lzw", "ghosts"]
TMP = tempfile.mkdtemp(prefix="hostile-")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def rss(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
    except OSError: return float("nan")


def cpu(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except OSError: return float("nan")


def fds(pid):
    try: return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError: return -1


HELP = subprocess.run([BIN, "run", "--help"], capture_output=True, text=True).stdout


class Sidecar:
    def __init__(self, gossip=False, launcher=(), extra=()):
        self.mc_port = free_port()
        self.mc = subprocess.Popen(["memcached", "-u", "root", "-l", "127.0.0.1", "-p", str(self.mc_port), "-U", "0", "-m", "64"])
        keyring = os.path.join(TMP, "keyring")
        if not os.path.exists(keyring):
            open(keyring, "w").write(subprocess.run([BIN, "keygen"], capture_output=True, text=True).stdout)
            os.chmod(keyring, 0o600)
        self.sock = os.path.join(TMP, f"s{self.mc_port}.sock")
        self.gossip = free_port()
        args = [*launcher, BIN, "run", "--socket", self.sock, "--memcached", f"127.0.0.1:{self.mc_port}", "--replicas", "1",
                "--keyring", keyring, "--node-name", "target", "--log-level", "notice", *extra]
        if gossip:
            args += ["--gossip-bind", f"127.0.0.1:{self.gossip}"]
            if "--gossip-insecure" in HELP: args.append("--gossip-insecure")
        self.log = open(os.path.join(TMP, f"side{self.mc_port}.log"), "w+")
        time.sleep(0.3)
        self.p = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        for _ in range(100):
            time.sleep(0.1)
            self.log.seek(0)
            if "sessionmesh ready" in self.log.read(): break
        time.sleep(1.0)

    def request(self, raw=b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=5):
        s = socket.socket(socket.AF_UNIX); s.settimeout(timeout)
        try:
            s.connect(self.sock); s.sendall(raw); out = b""
            while True:
                d = s.recv(65536)
                if not d: break
                out += d
            return out
        except OSError: return b""
        finally: s.close()

    def serves(self):
        return self.p.poll() is None and self.request().startswith(b"HTTP/1.1 200")

    def stop(self):
        for p in (self.p, self.mc):
            if p.poll() is None: p.kill()
            p.wait()


def report(name, side, before, peak, cpu_used, seconds, what):
    after = rss(side.p.pid) if side.p.poll() is None else float("nan")
    alive = side.p.poll() is None
    print(f"{name:10s} rss MiB {before:6.1f} -> peak {peak:6.1f} -> after {after:6.1f}  cpu {cpu_used / seconds:5.2f} core  "
          f"alive={alive} serves={side.serves() if alive else False} exit={side.p.poll()}  {what}", flush=True)


def hold(side, seconds, tick=None):
    peak, start = rss(side.p.pid), time.time()
    while time.time() - start < seconds:
        if tick: tick()
        peak = max(peak, rss(side.p.pid) or 0)
        time.sleep(0.2)
    return peak


def attack_idle():
    side = Sidecar(); pid = side.p.pid; before = rss(pid); c0 = cpu(pid); t0 = time.time()
    conns = []
    for _ in range(2000):
        s = socket.socket(socket.AF_UNIX); s.setblocking(False)
        try: s.connect(side.sock); conns.append(s)
        except OSError: s.close()
    peak = hold(side, 5)
    open_fds = fds(pid)
    for s in conns: s.close()
    time.sleep(3)
    report("idle", side, before, peak, cpu(pid) - c0, time.time() - t0, f"2000 idle connections held 5 s ({len(conns)} connected, sidecar fds {open_fds}), then closed")
    side.stop()


def attack_slowloris():
    side = Sidecar(); pid = side.p.pid; before = rss(pid); c0 = cpu(pid); t0 = time.time()
    conns = []
    for _ in range(200):
        s = socket.socket(socket.AF_UNIX); s.connect(side.sock); s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "); conns.append(s)

    def trickle():
        for s in conns:
            try: s.send(b"a")
            except OSError: pass
    peak = hold(side, 15, tick=trickle)
    still = 0
    for s in conns:
        s.setblocking(False)
        try:
            still += 1 if s.recv(1) != b"" else 0
        except BlockingIOError: still += 1
        except OSError: pass
        s.close()
    report("slowloris", side, before, peak, cpu(pid) - c0, time.time() - t0, f"200 slowloris connections for 15 s: {still} still open")
    side.stop()


def attack_fd128():
    side = Sidecar(launcher=("prlimit", "--nofile=128:128", "--")); pid = side.p.pid; before = rss(pid)
    conns = []
    for _ in range(368):
        s = socket.socket(socket.AF_UNIX); s.setblocking(False)
        try: s.connect(side.sock); conns.append(s)
        except OSError: s.close()
    c0 = cpu(pid); t0 = time.time()
    peak = hold(side, 5)
    held_fds = fds(pid)
    strace = ""
    if side.p.poll() is None:
        r = subprocess.run(["timeout", "2", "strace", "-f", "-c", "-e", "trace=accept4", "-p", str(pid)], capture_output=True, text=True)
        calls = [l for l in r.stderr.splitlines() if "accept4" in l]
        strace = f", accept4 in 2 s: {calls[0].split()[3] if calls else 0} calls"
    used = cpu(pid) - c0
    for s in conns: s.close()
    time.sleep(3)
    report("fd128", side, before, peak, used, time.time() - t0 - 3,
           f"fd limit 128, 368 connections held 5 s ({len(conns)} connected, sidecar fds {held_fds}{strace})")
    side.stop()


def msgpack(v):
    if v is None: return b"\xc0"
    if v is True: return b"\xc3"
    if v is False: return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128: return bytes([v])
        if 0 <= v < 1 << 16: return b"\xcd" + struct.pack(">H", v)
        return b"\xce" + struct.pack(">I", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32: return bytes([0xa0 | len(b)]) + b
        if len(b) < 256: return b"\xd9" + bytes([len(b)]) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, (bytes, bytearray)):  # go-msgpack writes []byte in the raw family
        b = bytes(v)
        if len(b) < 32: return bytes([0xa0 | len(b)]) + b
        if len(b) < 65536: return b"\xda" + struct.pack(">H", len(b)) + b
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b"".join(msgpack(k) + msgpack(x) for k, x in v.items())
    raise TypeError(v)


def lzw(data):
    """Go compress/lzw, LSB order, 8-bit literals (memberlist's compressMsg)."""
    out, st = bytearray(), {"bits": 0, "n": 0, "width": 9}

    def write(c):
        st["bits"] |= c << st["n"]; st["n"] += st["width"]
        while st["n"] >= 8:
            out.append(st["bits"] & 255); st["bits"] >>= 8; st["n"] -= 8
    table, hi, overflow = {}, 257, 512
    write(256)
    code = data[0]
    for b in data[1:]:
        k = (code, b)
        if k in table: code = table[k]; continue
        write(code); code = b
        hi += 1
        if hi == overflow: st["width"] += 1; overflow <<= 1
        if hi == 4095:
            write(256); st["width"] = 9; hi = 257; overflow = 512; table = {}; continue
        table[k] = hi
    write(code)
    hi += 1
    if hi == overflow: st["width"] += 1
    write(257)
    if st["n"] > 0: out.append(st["bits"] & 255)
    return bytes(out)


def compound(parts):
    return bytes([7, len(parts)]) + b"".join(struct.pack(">H", len(p)) for p in parts) + b"".join(parts)


def attack_pushpull(claim=(19 << 20) + 4096, streams=8, name="pushpull"):
    side = Sidecar(gossip=True); pid = side.p.pid; before = rss(pid); c0 = cpu(pid); t0 = time.time()
    header = b"\x06" + msgpack({"Join": False, "Nodes": 0, "UserStateLen": claim})
    conns, sent = [], {}
    for _ in range(streams):
        s = socket.create_connection(("127.0.0.1", side.gossip)); s.setblocking(False); conns.append(s); sent[s] = 0
        try: s.send(header)
        except OSError: pass
    chunk = b"\x55" * 65536
    peak, closed = before, set()
    while time.time() - t0 < 8:  # round-robin 19 MiB per stream while sampling RSS
        for s in conns:
            if s in closed or sent[s] >= claim - 1: continue
            chunk = b"\x55" * min(65536, claim - 1 - sent[s])
            try: sent[s] += s.send(chunk)
            except BlockingIOError: pass
            except OSError: closed.add(s)
        peak = max(peak, rss(pid) or 0)
        time.sleep(0.005)
    total = sum(sent.values())
    for s in conns: s.close()
    time.sleep(2)
    report(name, side, before, peak, cpu(pid) - c0, time.time() - t0,
           f"{streams} streams at once: push/pull header claiming {claim / (1 << 20):.2f} MiB user state, then all but its last byte, for 8 s "
           f"({total >> 20} MiB taken by the sidecar, {len(closed)} streams closed by it)")
    side.stop()


def attack_pushpull_small():
    attack_pushpull(claim=1_200_000, streams=32, name="pushpull2")


def attack_lzw():
    side = Sidecar(gossip=True); pid = side.p.pid; before = rss(pid)
    bomb = b"\x09" + msgpack({"Algo": 0, "Buf": lzw(b"A" * ((1 << 20) + 4096))})
    packet = compound([bomb] * 32)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lat = []
    c0 = cpu(pid); t0 = time.time(); peak = before
    for second in range(10):
        for _ in range(12): u.sendto(packet, ("127.0.0.1", side.gossip))
        while time.time() < t0 + second + 1:
            t = time.time(); ok = side.request().startswith(b"HTTP/1.1 200"); lat.append((time.time() - t) * 1000 if ok else 99999)
            peak = max(peak, rss(pid)); time.sleep(0.05)
    used = cpu(pid) - c0
    lat.sort()
    report("lzw", side, before, peak, used, time.time() - t0,
           f"12 datagrams/s x 10 s, each {len(packet)} bytes = 32 compressed parts expanding to 1 MiB+; "
           f"healthz p50 {lat[len(lat) // 2]:.1f} ms p99 {lat[int(len(lat) * 0.99)]:.1f} ms")
    side.stop()


def attack_ghosts():
    side = Sidecar(gossip=True); pid = side.p.pid; before = rss(pid); c0 = cpu(pid); t0 = time.time()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(5000):
        name = "g" * 4000 + str(i)
        u.sendto(b"\x04" + msgpack({"Incarnation": 1, "Node": name}), ("127.0.0.1", side.gossip))
        if i % 200 == 0: time.sleep(0.01)
    for i in range(5000):
        alive = {"Incarnation": 1, "Node": f"ghost-{i}", "Addr": bytes([127, 0, 0, 1]), "Port": 20000 + i % 1000,
                 "Meta": b"", "Vsn": bytes([1, 5, 2, 2, 5, 5])}
        u.sendto(b"\x04" + msgpack(alive), ("127.0.0.1", side.gossip))
        if i % 200 == 0: time.sleep(0.01)
    time.sleep(2)
    for _ in range(200): side.request(b"GET /v1/route?policy=random HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    peak = hold(side, 2)
    mesh = side.request(b"GET /v1/mesh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    metrics = side.request(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    members = mesh.count(b'"incarnation"')
    report("ghosts", side, before, peak, cpu(pid) - c0, time.time() - t0,
           f"5000 alive with 4 KB names and no address/version + 5000 well-formed: {members} members listed, /metrics {len(metrics) >> 10} KiB")
    side.stop()


print(f"binary {BIN}")
for a in ATTACKS:
    globals()["attack_" + a]()
