#!/usr/bin/env bash
# The register's outputs checked by independent PyPI readers: every map layer by
# `geojson-validator` (RFC 7946 structure, closed rings, counter-clockwise exteriors, no
# `crs`), and the XLSX export read back with `openpyxl` (header and rows as exported).
# Starts its own demo server from XASO_BIN (built when unset).
# Usage: XASO_BIN=target/debug/xaso bash e2e/registry/run.sh
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
log() { printf '[registry] %s\n' "$*" >&2; }

if [[ -z "${XASO_BIN:-}" ]]; then
  log "building xaso"
  (cd "$ROOT" && cargo build -q -p xaso)
  XASO_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/xaso"
fi

# shellcheck source=../pyvenv.sh
source "$DIR/../pyvenv.sh"

DATA_DIR="$(mktemp -d -t xaso-rg-XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  [ "$rc" -ne 0 ] && [ -f "$DATA_DIR/server.log" ] && tail -n 20 "$DATA_DIR/server.log" >&2
  rm -rf "$DATA_DIR"
  exit "$rc"
}
trap cleanup EXIT

"$XASO_BIN" --data "$DATA_DIR" demo >"$DATA_DIR/demo.log" 2>&1 || { cat "$DATA_DIR/demo.log" >&2; exit 1; }
PHONE="0966$(printf '%06d' $((RANDOM * 32768 % 1000000 + RANDOM % 1000)))"
PASSWORD="Rg-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')-9"
XASO_PASSWORD="$PASSWORD" "$XASO_BIN" --data "$DATA_DIR" user create --phone "$PHONE" \
  --name "Cán Bộ Kiểm Tra Sổ Hộ" --role official --commune 17071 >"$DATA_DIR/user.log" 2>&1 \
  || { cat "$DATA_DIR/user.log" >&2; exit 1; }
PORT=""
for p in $(seq 18480 18580); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { log "no free port"; exit 1; }
BASE="http://127.0.0.1:$PORT"
"$XASO_BIN" --data "$DATA_DIR" serve --listen "127.0.0.1:$PORT" >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited"; cat "$DATA_DIR/server.log" >&2; exit 1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)" = "200" ] && break
  sleep 0.2
done
XASO_URL="$BASE" XASO_PHONE="$PHONE" XASO_PASSWORD="$PASSWORD" "$VENV/bin/python" "$DIR/check.py"
