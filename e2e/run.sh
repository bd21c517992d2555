#!/usr/bin/env bash
# Browser tests for Xã Số: builds the binary, starts a fresh demo server on a free local
# port, and runs e2e/tests/*.test.mjs with Node's test runner against Debian's Chromium.
# Usage (from anywhere): bash e2e/run.sh            (extra args go to `node --test`)
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

# --- Node packages (playwright-core, axe-core) ---------------------------------------------
command -v node >/dev/null || { log "node is required"; exit 1; }
(
  cd "$E2E_DIR"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
) 2> >(grep -v 'Unknown user config' >&2)

# --- The server --------------------------------------------------------------------------
log "building xaso (release)"
cargo build --release -p xaso --quiet
BIN="$ROOT/target/release/xaso"

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

log "starting demo server on $BASE_URL (data: $DATA_DIR)"
"$BIN" --data "$DATA_DIR" serve --demo --listen "127.0.0.1:$PORT" >"$SERVER_LOG" 2>&1 &
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
exit "$status"
