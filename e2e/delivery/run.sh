#!/usr/bin/env bash
# Delivery channels against real protocol peers on 127.0.0.1: an SMTP server (PyPI `aiosmtpd`)
# and an HTTP gateway sink, both started by check.py, which also starts the release server
# with a config pointing [rooms.delivery.smtp], .sms and .zalo at them, triggers a real notification
# through HTTP (a citizen's feedback is acknowledged) and checks what the peers received.
# Usage (from anywhere): bash e2e/delivery/run.sh   (XASO_BIN=… to use another binary)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
log() { printf '[delivery] %s\n' "$*" >&2; }

# shellcheck source=../pyvenv.sh
source "$DIR/../pyvenv.sh"

BIN="${XASO_BIN:-$ROOT/target/release/xaso}"
if [ -z "${XASO_BIN:-}" ]; then
  log "building xaso (release)"
  (cd "$ROOT" && cargo build --release -p xaso --quiet)
fi
[ -x "$BIN" ] || { log "no xaso binary at $BIN"; exit 1; }

log "aiosmtpd $("$VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)'), server $BIN"
exec "$VENV/bin/python" "$DIR/check.py" --bin "$BIN" "$@"
