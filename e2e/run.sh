#!/usr/bin/env bash
# Browser tests for Xã Số: builds the binary, starts a fresh demo server on a free local
# port, and runs e2e/tests/*.test.mjs with Node's test runner against Debian's Chromium.
# Usage (from anywhere): bash e2e/run.sh            (extra args go to `node --test`;
#   XASO_BIN=path/to/xaso to use a binary already built instead of building the release one)
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"
cd "$ROOT"

log() { printf '[e2e] %s\n' "$*" >&2; }

# --- Chromium from Debian; nothing here may download a browser of its own. ----------------
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM_PATH=/usr/bin/chromium
if ! command -v chromium >/dev/null 2>&1 || [ ! -x "$CHROMIUM_PATH" ]; then
  log "installing chromium from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
log "$("$CHROMIUM_PATH" --version 2>/dev/null | tail -n1)"

# --- Node packages: playwright-core, axe-core; and e2e/vietqr's vietnam-qr-pay, jsqr, pngjs --
command -v node >/dev/null || { log "node is required"; exit 1; }
for dir in "$E2E_DIR" "$E2E_DIR/vietqr"; do
  (
    cd "$dir"
    if [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    else
      npm install --no-audit --no-fund --loglevel=error
    fi
  ) 2> >(grep -v 'Unknown user config' >&2)
done

# --- The server --------------------------------------------------------------------------
if [ -n "${XASO_BIN:-}" ]; then
  BIN="$XASO_BIN"
  log "using $BIN"
else
  log "building xaso (release)"
  cargo build --release -p xaso --quiet
  # Where cargo put it: a shared CARGO_TARGET_DIR (several worktrees) or the project's target/.
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/xaso"
fi
# The PWA test starts servers of its own from the same binary.
export XASO_BIN="$BIN"

pick_port() {
  local p
  for p in $(seq "${E2E_PORT:-18080}" 18180); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  log "no free port in 18080-18180"
  return 1
}

DATA_DIR="$(mktemp -d -t xaso-e2e-XXXXXX)"
PORT="$(pick_port)"
export BASE_URL="http://127.0.0.1:$PORT"
SERVER_LOG="$DATA_DIR/server.log"
SERVER_PID=""

cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$SERVER_LOG" ]; then
    log "server log (last 40 lines):"
    tail -n 40 "$SERVER_LOG" >&2 || true
  fi
  rm -rf "$DATA_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Known accounts ------------------------------------------------------------------------
# The demo seed prints its officials' random passwords once; the tests need accounts they know,
# so seed first, then add an official and a leader of the demo commune with fresh passwords.
log "seeding the demo commune 17071 (data: $DATA_DIR)"
"$BIN" --data "$DATA_DIR" demo >"$DATA_DIR/demo.log" 2>&1 || { cat "$DATA_DIR/demo.log" >&2; exit 1; }

rand_digits() { local n="" i; for i in $(seq 1 "$1"); do n+=$((RANDOM % 10)); done; echo "$n"; }
rand_password() {
  local letters=abcdefghjkmnpqrstuvwxyz s="" i
  for i in 1 2 3 4 5 6; do s+="${letters:$((RANDOM % ${#letters})):1}"; done
  printf 'E2e-%s-%s' "$s" "$(rand_digits 4)"
}

create_user() { # phone name role password [village]
  XASO_PASSWORD="$4" "$BIN" --data "$DATA_DIR" user create \
    --phone "$1" --name "$2" --role "$3" --commune 17071 ${5:+--village "$5"} >>"$DATA_DIR/users.log" 2>&1 \
    || { log "could not create the $3 account"; cat "$DATA_DIR/users.log" >&2; exit 1; }
}

export E2E_OFFICIAL_PHONE="0988$(rand_digits 6)"
export E2E_OFFICIAL_NAME="Cán Bộ Kiểm Thử Một Cửa"
export E2E_OFFICIAL_PASSWORD="$(rand_password)"
export E2E_LEADER_PHONE="0977$(rand_digits 6)"
export E2E_LEADER_NAME="Lãnh Đạo Kiểm Thử"
export E2E_LEADER_PASSWORD="$(rand_password)"
create_user "$E2E_OFFICIAL_PHONE" "$E2E_OFFICIAL_NAME" official "$E2E_OFFICIAL_PASSWORD"
create_user "$E2E_LEADER_PHONE" "$E2E_LEADER_NAME" leader "$E2E_LEADER_PASSWORD"
# A village head of Thôn Minh Tiến (the survey is filled in on their phone, offline too).
export E2E_HEAD_PHONE="0966$(rand_digits 6)"
export E2E_HEAD_NAME="Trưởng Thôn Kiểm Thử"
export E2E_HEAD_PASSWORD="$(rand_password)"
export E2E_HEAD_VILLAGE="Thôn Minh Tiến"
create_user "$E2E_HEAD_PHONE" "$E2E_HEAD_NAME" village_head "$E2E_HEAD_PASSWORD" "$E2E_HEAD_VILLAGE"
log "accounts: official $E2E_OFFICIAL_PHONE, leader $E2E_LEADER_PHONE, village head $E2E_HEAD_PHONE (commune 17071)"

# An Open311 API key of the demo commune for e2e/open311 (issued as the demo's system admin).
XASO_OPEN311_KEY="$("$BIN" --data "$DATA_DIR" open311-key --commune 17071 --name "E2E Open311 client" 2>>"$DATA_DIR/users.log")" \
  || { log "could not create the Open311 key"; cat "$DATA_DIR/users.log" >&2; exit 1; }
export XASO_OPEN311_KEY

log "starting the server on $BASE_URL"
# Every test signs in and signs up from 127.0.0.1: the per-address throttle (30 per five
# minutes, for real clients) would refuse the later tests of one run. The per-account lock-out
# stays as it is.
printf 'login_ip_limit = 100000\n' >"$DATA_DIR/xaso.toml"
"$BIN" --config "$DATA_DIR/xaso.toml" --data "$DATA_DIR" serve --listen "127.0.0.1:$PORT" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 300); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "server exited before becoming healthy"
    exit 1
  fi
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/healthz" || true)" = "200" ]; then
    ready=1
    break
  fi
  sleep 0.2
done
[ -n "$ready" ] || { log "server not healthy after 60 s"; exit 1; }
log "server healthy"

# --- The tests -----------------------------------------------------------------------------
cd "$E2E_DIR"
rm -rf artifacts && mkdir -p artifacts
set +e
node --test "$@" tests/*.test.mjs
status=$?
set -e
log "screenshots in $E2E_DIR/artifacts"

# --- VietQR sample: the Rust encoder's sample code through the independent validator --------
# (the live server's codes are checked by tests/vietqr-live.test.mjs above)
log "VietQR sample check (e2e/vietqr/run.sh)"
set +e
VIETQR_NPM_CI=0 bash "$E2E_DIR/vietqr/run.sh"
qr_status=$?
set -e

# --- Open311 GeoReport v2: the live server through the independent `georeport` client -----
# (after the browser tests: it posts two reports into the demo commune)
log "Open311 check (e2e/open311/run.sh)"
set +e
XASO_URL="$BASE_URL" bash "$E2E_DIR/open311/run.sh"
o311_status=$?
set -e

# --- iCalendar: the demo commune's events feed through the PyPI parsers icalendar and ical --
log "iCalendar check (e2e/ical/run.sh)"
set +e
XASO_URL="$BASE_URL" bash "$E2E_DIR/ical/run.sh"
ical_status=$?
set -e

if [ "$status" -ne 0 ] || [ "$qr_status" -ne 0 ] || [ "$o311_status" -ne 0 ] || [ "$ical_status" -ne 0 ]; then
  log "FAILED: browser tests exit $status, VietQR sample check exit $qr_status, Open311 check exit $o311_status, iCalendar check exit $ical_status"
  exit 1
fi
log "all passed: browser tests, VietQR sample check, Open311 check and iCalendar check"
