#!/usr/bin/env bash
# Web Push check with independent libraries: a local push service on 127.0.0.1 receives what
# `xaso push-test` sends, verifies the VAPID JWT (PyJWT, ES256) and decrypts the aes128gcm
# body (PyPI http-ece). Needs python3 with venv; the pins are in requirements.txt.
# Usage: bash e2e/push/run.sh   (XASO_BIN=path/to/xaso to skip the release build)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
log() { printf '[push] %s\n' "$*" >&2; }

if [[ -z "${XASO_BIN:-}" ]]; then
  log "building target/release/xaso"
  (cd "$ROOT" && cargo build --release -q -p xaso)
  XASO_BIN="$ROOT/target/release/xaso"
fi

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null || { log "python3 is required"; exit 1; }
VENV="$DIR/.venv"
if ! "$VENV/bin/python" -c 'import venv' >/dev/null 2>&1; then
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    log "installing python3-venv from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
  fi
fi
# Reinstall only when the pins changed.
STAMP="$VENV/.requirements"
if ! cmp -s "$DIR/requirements.txt" "$STAMP"; then
  log "installing $(grep -c '==' "$DIR/requirements.txt") pinned packages into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$DIR/requirements.txt"
  cp "$DIR/requirements.txt" "$STAMP"
fi

exec "$VENV/bin/python" "$DIR/check.py" --xaso "$XASO_BIN" "$@"
