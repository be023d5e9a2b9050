# SessionMesh — quick start: `make test`, `make demo`.
SHELL := /bin/bash
SWIFT ?= swift
export SWIFT
APT_PACKAGES := memcached libmemcached-dev libmemcached-tools redis-server redis-tools libhiredis-dev nutcracker serf haproxy pkg-config curl python3 python3-pip chromium nginx-light php-cli php-memcached nftables ruby ruby-dalli ruby-rack ruby-connection-pool openjdk-17-jdk-headless libspymemcached-java golang-go golang-github-bradfitz-gomemcache-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# A distribution's own python3 refuses pip by default (PEP 668); the test clients need these packages.
PIP_INSTALL := PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q

.PHONY: deps build release test demo bench bench-doors routing-experiment docker-check clean

# Installs what the build and tests need when it is missing (Debian/Ubuntu).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@python3 -c 'import pymemcache' 2>/dev/null || $(PIP_INSTALL) pymemcache
	@python3 -c 'import meta_memcache' 2>/dev/null || $(PIP_INSTALL) 'meta-memcache>=4.3,<5'
	@python3 -c 'import django, sys; sys.exit(django.VERSION < (4, 2))' 2>/dev/null || $(PIP_INSTALL) 'django>=4.2,<5'
	@command -v schemathesis >/dev/null || $(PIP_INSTALL) schemathesis

build: deps
	$(SWIFT) build --product sessionmesh

# Static Swift runtime, lld with packed relocations: see scripts/build-release.sh (idle RSS).
release: deps
	scripts/build-release.sh

# Everything: unit tests, store tests against real memcached and Redis, API tests against real sidecars.
# One test at a time: the live suites start many processes, and in parallel on 2 cores their
# timing bounds (failover budgets, suspicion times) measured the machine, not the code.
test: deps
	$(SWIFT) build --build-tests
	SESSIONMESH_BIN=$(CURDIR)/.build/debug/sessionmesh $(SWIFT) test --skip-build --no-parallel

# A debug build: it compiles faster on a fresh machine, and the demo is not a benchmark.
# `make demo BACKEND=redis` runs it over three redis-server processes instead of memcached.
BACKEND ?= memcached
demo: build
	./.build/debug/sessionmesh demo --backend $(BACKEND)

# Session path: direct libmemcached vs nutcracker vs the sidecar, 3 interleaved rounds.
bench: deps
	scripts/bench-sessions.sh --rounds 3 --duration 10

# Both doors (memcache text, HTTP session API) against direct libmemcached, nutcracker and the NIO
# floor doors (scripts/nio-floor), 4 interleaved rounds of 8 s, then where each operation's CPU
# goes (scripts/cpu-budget.py). Plain release builds; udsbench from shared/tools/udsbench:
#   make bench-doors UDSBENCH=/path/to/udsbench
bench-doors: deps
	@test -x "$(UDSBENCH)" || { echo "UDSBENCH=/path/to/udsbench is required (shared/tools/udsbench)"; exit 2; }
	$(SWIFT) build -c release --product sessionmesh
	cd scripts/nio-floor && $(SWIFT) build -c release
	set -o pipefail; BINARY=0 HTTP=1 FLOOR=scripts/nio-floor/.build/release/nio-floor \
	  scripts/bench-frontdoor.sh .build/release/sessionmesh "$(UDSBENCH)" 4 8 | tee .build/bench-doors.txt
	scripts/cpu-budget.py < .build/bench-doors.txt

# HAProxy in front of backends of capacity 4:2:1 with their sidecars, open-loop Poisson load at
# 85%: roundrobin, leastconn and both with the mesh agent, 3 interleaved rounds (about 5 min).
routing-experiment: release
	SESSIONMESH_BIN="$$(scripts/build-release.sh --show-bin-path)/sessionmesh" scripts/routing-experiment.sh

# Checks docker/ and deploy/ without a container engine (installs docker-compose and hadolint if missing).
docker-check:
	scripts/check-docker.sh --install

clean:
	rm -rf .build .build-*
