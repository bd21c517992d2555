#!/usr/bin/env bash
# The OpenAPI document checked against real responses: schemathesis (PyPI, pinned in
# requirements.txt, installed into e2e/schemathesis/.venv) calls every operation of a fresh demo
# server with generated valid and invalid data, signed in with a demo official's bearer token,
# and fails on any 5xx, any response whose status, content type or body the document does not
# describe. Writes land in the throwaway server.
# Usage: bash e2e/schemathesis/run.sh   (XASO_BIN=path/to/xaso to skip the release build;
#   XASO_ST_EXAMPLES examples per operation, default 25; XASO_ST_MAX_TIME seconds, default 150;
#   XASO_ST_SEED to replay a run, default fixed so CI is repeatable; XASO_ST_ROLE another role
#   of the demo commune for the token, default official)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
log() { printf '[schemathesis] %s\n' "$*" >&2; }

if [[ -z "${XASO_BIN:-}" ]]; then
  log "building target/release/xaso"
  (cd "$ROOT" && cargo build --release -q -p xaso)
  XASO_BIN="$ROOT/target/release/xaso"
fi

# shellcheck source=../pyvenv.sh
source "$DIR/../pyvenv.sh"

pick_port() {
  local p
  for p in $(seq 18280 18380); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  log "no free port in 18280-18380"
  return 1
}

DATA_DIR="$(mktemp -d -t xaso-st-XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$DATA_DIR/server.log" ]; then
    log "server errors (last 20):"
    grep -E '"level":"(ERROR|WARN)"' "$DATA_DIR/server.log" | tail -n 20 >&2 || true
  fi
  rm -rf "$DATA_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "seeding the demo commune 17071"
"$XASO_BIN" --data "$DATA_DIR" demo >"$DATA_DIR/demo.log" 2>&1 || { cat "$DATA_DIR/demo.log" >&2; exit 1; }
PHONE="0966$(printf '%06d' $((RANDOM * 32768 % 1000000 + RANDOM % 1000)))"
PASSWORD="St-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')-9"
XASO_PASSWORD="$PASSWORD" "$XASO_BIN" --data "$DATA_DIR" user create --phone "$PHONE" \
  --name "Cán Bộ Kiểm Thử API" --role "${XASO_ST_ROLE:-official}" --commune 17071 >"$DATA_DIR/user.log" 2>&1 \
  || { cat "$DATA_DIR/user.log" >&2; exit 1; }

PORT="$(pick_port)"
BASE="http://127.0.0.1:$PORT"
# A generous sign-in throttle: generated calls to /auth/token must not throttle the whole run.
printf 'login_ip_limit = 100000\n' >"$DATA_DIR/xaso.toml"
"$XASO_BIN" --config "$DATA_DIR/xaso.toml" --data "$DATA_DIR" serve --listen "127.0.0.1:$PORT" \
  >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited"; cat "$DATA_DIR/server.log" >&2; exit 1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)" = "200" ] && break
  sleep 0.2
done

TOKEN="$(curl -sf -H 'content-type: application/json' \
  -d "{\"phone\":\"$PHONE\",\"password\":\"$PASSWORD\",\"name\":\"schemathesis\"}" \
  "$BASE/api/v1/auth/token" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
[ -n "$TOKEN" ] || { log "no token"; exit 1; }
log "server on $BASE, ${XASO_ST_ROLE:-official} $PHONE signed in with a bearer token"

examples="${XASO_ST_EXAMPLES:-25}"
max_time="${XASO_ST_MAX_TIME:-150}"
seed="${XASO_ST_SEED:-20250701}"
log "checking every operation of $BASE/api/openapi.json ($examples examples each, at most ${max_time}s, seed $seed)"
set +e
NO_COLOR=1 "$VENV/bin/schemathesis" run "$BASE/api/openapi.json" \
  --url "$BASE" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" \
  --max-time "$max_time" \
  --seed "$seed" \
  --workers 2 \
  --request-timeout 20 \
  --suppress-health-check all \
  --warnings off \
  --report junit --report-dir "$DATA_DIR/report" \
  "$@"
status=$?
set -e
[ "$status" -eq 0 ] && log "passed" || log "FAILED (exit $status)"
exit "$status"
