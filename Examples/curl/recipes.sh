#!/usr/bin/env bash
# curl recipes for every call of the SessionMesh API, run end to end against one sidecar:
#
#   Examples/curl/recipes.sh /run/sessionmesh/sessionmesh.sock
#
# Each recipe prints the command (ready to copy) and the response. The script creates its own
# session, works on it, rotates it and deletes it; it stops with a non-zero status as soon as a
# response is not the one expected.
set -euo pipefail

S="${1:?usage: $0 SOCKET}"
echo "S=$S"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Quotes an argument for display, the way you would type it.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi
}

# call STATUS [curl arguments…]: prints the command and the response; fails unless HTTP STATUS.
# Leaves the body in $BODY and the ETag header in $ETAG.
call() {
  local want=$1 arg line=""
  shift
  for arg in "$@"; do line+=" $(quote "$arg")"; done
  printf '\n$ curl --unix-socket %s%s\n' "$(quote "$S")" "$line"
  STATUS=$(curl -sS --unix-socket "$S" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' "$@")
  BODY=$(cat "$TMP/body")
  ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$TMP/headers")
  tr -d '\r' < "$TMP/headers"
  if [ "${SHORT:-0}" = 1 ]; then head -n 12 "$TMP/body"; echo "…"; else printf '%s\n' "$BODY"; fi
  if [ "$STATUS" != "$want" ]; then echo "FAILED: expected HTTP $want, got $STATUS" >&2; exit 1; fi
}

# expect TEXT: the last body must contain TEXT.
expect() {
  if [[ $BODY != *"$1"* ]]; then echo "FAILED: expected the body to contain $1" >&2; exit 1; fi
}

json_id() { sed -n 's/^{.*"id" *: *"\([A-Za-z0-9_-]*\)".*/\1/p' <<<"$BODY" | head -n 1; }

echo "== liveness and readiness (readyz is 503 while the store lacks a write quorum)"
call 200 http://localhost/healthz
call 200 http://localhost/readyz

echo
echo "== create a session: 201, the session, ETag and Location"
call 201 -X POST -H 'Content-Type: application/json' \
  -d '{"data":{"user":"alice","cart":[]},"idleTimeout":600}' http://localhost/v1/sessions
ID=$(json_id)
[ ${#ID} = 43 ] || { echo "FAILED: no session id in the reply" >&2; exit 1; }
echo "ID=$ID"

echo
echo "== read it: 200 and ETag: \"<version>\""
call 200 "http://localhost/v1/sessions/$ID"
expect '"user":"alice"'

echo
echo "== merge patch (RFC 7396) with If-Match: applied only if the session is still at that version"
call 200 -X PATCH -H 'Content-Type: application/merge-patch+json' -H "If-Match: $ETAG" \
  -d '{"cart":["sku-1"]}' "http://localhost/v1/sessions/$ID"
expect '"cart":["sku-1"]'
echo
echo "== the same If-Match again is stale now: 412, and the reply's ETag is the current version"
call 412 -X PATCH -H 'Content-Type: application/merge-patch+json' -H 'If-Match: "1"' \
  -d '{"cart":[]}' "http://localhost/v1/sessions/$ID"
expect '"version_mismatch"'

echo
echo "== merge patch without If-Match: the sidecar applies it atomically (CAS retried server-side)"
call 200 -X PATCH -H 'Content-Type: application/merge-patch+json' \
  -d '{"step":"checkout"}' "http://localhost/v1/sessions/$ID"
expect '"step":"checkout"'

echo
echo "== replace the data (PUT needs If-Match: 428 without it)"
call 200 -X PUT -H 'Content-Type: application/json' -H "If-Match: $ETAG" \
  -d '{"data":{"user":"alice","cart":["sku-1"],"paid":true}}' "http://localhost/v1/sessions/$ID"
expect '"paid":true'

echo
echo "== rotate the id (do it at login): 201 with a new id, same data; the old id is gone"
call 201 -X POST "http://localhost/v1/sessions/$ID/rotate"
NEW=$(json_id)
expect '"paid":true'
[ ${#NEW} = 43 ] && [ "$NEW" != "$ID" ] || { echo "FAILED: rotate gave no new id" >&2; exit 1; }
echo "NEW=$NEW"
call 404 "http://localhost/v1/sessions/$ID"

echo
echo "== delete (logout): 204, a tombstone; reads are 404 logged_out from now on"
call 204 -X DELETE "http://localhost/v1/sessions/$NEW"
call 404 "http://localhost/v1/sessions/$NEW"
expect '"logged_out"'

echo
echo "== a cookie token's life: issue, open (any sidecar), refresh, revoke (logout everywhere)"
J='Content-Type: application/json'
call 201 -X POST -H "$J" -d '{"data":{"user":"alice","cart":["sku-1"]},"ttl":900}' http://localhost/v1/tokens
TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$BODY")
call 200 -X POST -H "$J" -d "{\"token\":\"$TOKEN\"}" http://localhost/v1/tokens/open
expect '"user":"alice"'
call 201 -X POST -H "$J" -d "{\"token\":\"$TOKEN\"}" http://localhost/v1/tokens/refresh
FRESH=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$BODY")
call 401 -X POST -H "$J" -d "{\"token\":\"$TOKEN\"}" http://localhost/v1/tokens/open
expect '"token_revoked"'
call 204 -X POST -H "$J" -d "{\"token\":\"$FRESH\"}" http://localhost/v1/tokens/revoke
call 401 -X POST -H "$J" -d "{\"token\":\"$FRESH\"}" http://localhost/v1/tokens/open
expect '"token_revoked"'

echo
echo "== an idempotency key: reserve, complete, replay; another payload is 422"
KEY="pay-$RANDOM$RANDOM"
call 201 -X POST -H "$J" -d '{"fingerprint":"amount=4200&to=acct_1","leaseSeconds":30}' "http://localhost/v1/idempotency/$KEY"
expect '"state":"started"'
call 409 -X POST -H "$J" -d '{"fingerprint":"amount=4200&to=acct_1"}' "http://localhost/v1/idempotency/$KEY"
call 204 -X PUT -H "$J" -d '{"fence":1,"status":201,"headers":{"Content-Type":"application/json"},"body":"{\"charge\":\"ch_1\"}"}' "http://localhost/v1/idempotency/$KEY"
call 200 -X POST -H "$J" -d '{"fingerprint":"amount=4200&to=acct_1"}' "http://localhost/v1/idempotency/$KEY"
expect '"state":"completed"'
call 422 -X POST -H "$J" -d '{"fingerprint":"amount=9999&to=acct_1"}' "http://localhost/v1/idempotency/$KEY"

echo
echo "== Prometheus metrics (first lines)"
SHORT=1 call 200 http://localhost/metrics

echo
echo "recipes OK: session $ID updated, rotated to $NEW and deleted"
