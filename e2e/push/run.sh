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

# shellcheck source=../pyvenv.sh
source "$DIR/../pyvenv.sh"

exec "$VENV/bin/python" "$DIR/check.py" --xaso "$XASO_BIN" "$@"
