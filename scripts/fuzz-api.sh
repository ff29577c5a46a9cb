#!/usr/bin/env bash
# Fuzzes the API against its own OpenAPI document with schemathesis (PyPI): a real
# `loopdesk serve` on SQLite and on PostgreSQL, once as an admin and once as a customer.
# Fails on any server error, any answer outside the documented status codes, any body that
# does not match its schema or content type.
#
#   scripts/fuzz-api.sh [seconds per run, default 45]
#
# Needs: target/debug/loopdesk (cargo build), python3 with venv, curl; for PostgreSQL,
# LOOPDESK_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres and psql.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-45}"
bin="${CARGO_TARGET_DIR:-target}/debug/loopdesk"
venv="${FUZZ_VENV:-${CARGO_TARGET_DIR:-target}/fuzz-venv}"
[ -x "$bin" ] || cargo build --bin loopdesk
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

work="$(mktemp -d)"
server=""
pgdb=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "$pgdb" ] && psql -q "$LOOPDESK_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

# Serializers for the body types schemathesis has none for (raw mail).
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
export SCHEMATHESIS_HOOKS=fuzz_hooks

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

st_run() { # base token seconds output-file
  # Signing out would end the run's own session, and naming the roles that must have a second
  # factor would lock the run's admin out until it enrols; both are tested by the API suite.
  "$venv/bin/st" run "$1/api/openapi.json" \
    --header "Authorization: Bearer $2" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/v1/auth/logout \
    --exclude-path /api/v1/security/two-factor \
    --max-time "$3" --workers 2 --generation-deterministic \
    --suppress-health-check all --no-color 2>&1 | tee "$4"
  return "${PIPESTATUS[0]}"
}

fuzz() { # backend database-url
  local backend="$1" url="$2" port=$((20000 + RANDOM % 20000))
  local base="http://127.0.0.1:$port" data="$work/$backend"
  mkdir -p "$data"
  LOOPDESK_DATABASE_URL="$url" "$bin" serve --data-dir "$data" --bind "127.0.0.1:$port" \
    --admin-password fuzz-desk-password >"$work/$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
  local admin customer_id customer
  admin=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"fuzz-desk-password"}' | json_field '["token"]')
  customer_id=$(curl -sf "$base/api/v1/customers" -H "authorization: Bearer $admin" \
    -H 'content-type: application/json' \
    -d '{"name":"模糊测试客户","contacts":[{"name":"甲","phone":"13800000099"}]}' | json_field '["id"]')
  curl -sf "$base/api/v1/users" -H "authorization: Bearer $admin" -H 'content-type: application/json' \
    -d "{\"username\":\"fuzz-customer\",\"password\":\"tea-leaves-pw-9\",\"roles\":[\"customer\"],\"customer_id\":\"$customer_id\"}" >/dev/null
  customer=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"fuzz-customer","password":"tea-leaves-pw-9"}' | json_field '["token"]')
  local who token status=0
  # The customer first: the admin's run may deactivate that account or reset its password.
  for who in customer admin; do
    if [ "$who" = admin ]; then token="$admin"; else token="$customer"; fi
    echo "==> schemathesis: $backend as $who, ${seconds}s"
    # A run the tool itself crashed in — a "Runtime Error" of its own (CPython 3.11's "AST
    # constructor recursion depth mismatch", or a KeyError in its source cache, while
    # hypothesis describes a lambda) with no failure found — is run again, up to twice; a
    # failure of the API (a FAILURES section) is never retried.
    local attempt
    for attempt in 1 2 3; do
      if st_run "$base" "$token" "$seconds" "$work/st.out"; then break; fi
      if [ "$attempt" != 3 ] && grep -q "Runtime Error" "$work/st.out" \
        && ! grep -q "^=* FAILURES =*$" "$work/st.out"; then
        echo "==> the fuzzer crashed inside itself (not a finding); running it again"
        continue
      fi
      status=1
      break
    done
  done
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
  if [ "$status" != 0 ]; then
    echo "--- server log ($backend) ---"; tail -n 50 "$work/$backend.log"
    return 1
  fi
}

fuzz sqlite "sqlite://$work/sqlite/loopdesk.db?mode=rwc"
if [ -n "${LOOPDESK_TEST_POSTGRES:-}" ]; then
  pgdb="loopdesk_fuzz_$$"
  psql -q "$LOOPDESK_TEST_POSTGRES" -c "CREATE DATABASE $pgdb"
  fuzz postgres "${LOOPDESK_TEST_POSTGRES%/*}/$pgdb"
fi
echo "fuzzing found nothing"
