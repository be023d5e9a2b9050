#!/usr/bin/env bash
# The release build, as `make release`, `make bench`, the Docker image and the footprint
# measurement build it. Products default to the sidecar:
#
#   scripts/build-release.sh [product …]      scripts/build-release.sh --show-bin-path
#
# The Swift runtime and Foundation are linked statically (--static-swift-stdlib): an idle
# sidecar then maps only the pages it touches of one binary, not 12 shared Swift libraries
# with their relocations. lld packs the binary's relative relocations (-z pack-relative-relocs,
# DT_RELR; needs glibc >= 2.36, as in Debian 12) so startup no longer reads 2.6 MB of them,
# and --no-export-dynamic keeps the package's symbols out of the dynamic symbol table.
# Together: idle RSS in the 10-node mesh 37 -> 28 MiB (README, Performance). The binary then
# links no Swift library at run time (`ldd` shows only libc, libstdc++, libmemcached, …).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SWIFT="${SWIFT:-swift}"
FLAGS=(-c release --static-swift-stdlib -Xswiftc -use-ld=lld
       -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs)
if [ "${1:-}" = --show-bin-path ]; then exec "$SWIFT" build "${FLAGS[@]}" --show-bin-path; fi
for product in "${@:-sessionmesh}"; do
  "$SWIFT" build "${FLAGS[@]}" --product "$product"
done
