#!/usr/bin/env python3
"""Where the machine's CPU goes per operation, from `scripts/bench-frontdoor.sh` output (stdin).

For every round and path: the window CPU per operation of the proxy (nutcracker or the sidecar),
of the three memcached nodes together and of the client, their sum, and the cores they add up to
at the measured rate (ops/s x CPU per op). The paths of one round run back to back on the same
machine, so that sum of cores is what the machine gave that round (about the same for every path).

For every sidecar path it then prints what the issue's targets ask of the sidecar's own CPU per
operation, with the memcached and client costs as measured on that path in that round:
  - `zero-cost bound`: the ops/s the path would reach if the sidecar cost nothing;
  - `sidecar budget for T`: the most the sidecar may spend per operation to reach ops/s T, where
    T is nutcracker's ops/s times the target ratio (or direct's, with `direct:`);
  - with FLOOR= paths in the round: what the NIO floor door of the same protocol (answering
    constants, no store) spent per operation: what a NIO door costs before any work of its own.

    scripts/bench-frontdoor.sh ... | scripts/cpu-budget.py [TARGET ...]
    TARGET: RATIO (of nutcracker) or direct:RATIO; default 1.0 0.6 direct:0.6
"""
import re
import sys


def parse(lines):
    rounds = {}
    for line in lines:
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        if "round" not in fields or "path" not in fields or "ops_per_s" not in fields:
            continue
        def num(key):
            value = fields.get(key, "-")
            return None if value == "-" else float(value)
        rounds.setdefault(int(fields["round"]), {})[fields["path"]] = {
            "ops": float(fields["ops_per_s"]),
            "proxy": num("window_cpu_us_per_op") or 0.0,
            "stores": num("stores_cpu_us_per_op"),
            "client": num("client_cpu_us_per_op"),
        }
    return rounds


def main():
    targets = sys.argv[1:] or ["1.0", "0.6", "direct:0.6"]
    rounds = parse(sys.stdin)
    if not rounds:
        sys.exit("no round= lines with stores_cpu_us_per_op on stdin")
    for number in sorted(rounds):
        paths = rounds[number]
        print(f"round {number}")
        print(f"  {'path':16}{'ops/s':>9}{'proxy':>8}{'stores':>8}{'client':>8}{'sum µs':>8}{'cores':>7}")
        for name, p in paths.items():
            if p["stores"] is None or p["client"] is None:
                continue
            total = p["proxy"] + p["stores"] + p["client"]
            print(f"  {name:16}{p['ops']:9.0f}{p['proxy']:8.1f}{p['stores']:8.1f}{p['client']:8.1f}{total:8.1f}{p['ops'] * total / 1e6:7.2f}")
        for name, p in paths.items():
            if ("http" not in name and "text" not in name and "binary" not in name) or name.startswith("floor"):
                continue
            if p["stores"] is None or p["client"] is None:
                continue
            cores = p["ops"] * (p["proxy"] + p["stores"] + p["client"]) / 1e6
            others = p["stores"] + p["client"]
            line = f"  {name}: zero-cost bound {cores / others * 1e6:,.0f} ops/s"
            for target in targets:
                base, _, ratio = target.rpartition(":")
                reference = paths.get(base or "nutcracker")
                if reference is None:
                    continue
                wanted = float(ratio) * reference["ops"]
                budget = cores / wanted * 1e6 - others
                line += f"; for {ratio}x {base or 'nutcracker'} ({wanted:,.0f} ops/s) at most {budget:.1f} µs/op"
            floor = paths.get("floor-http" if "http" in name else "floor-text")
            if floor is not None:
                line += f"; the NIO floor door spent {floor['proxy']:.1f} µs/op"
            print(line)


if __name__ == "__main__":
    main()
