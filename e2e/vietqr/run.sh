#!/usr/bin/env bash
# Independent check of the VietQR codes made by crates/kernel/src/payments/vietqr.rs: the sample
# example writes a payload and its QR PNG, then check.mjs decodes the payload with
# vietnam-qr-pay and the image with jsQR and compares both with the expected values.
# Usage (from anywhere): bash e2e/vietqr/run.sh
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"

log() { printf '[vietqr] %s\n' "$*" >&2; }

command -v node >/dev/null || { log "node is required"; exit 1; }
# e2e/run.sh installs these itself (the live VietQR browser test needs them too) and sets
# VIETQR_NPM_CI=0 so they are not installed twice.
if [ "${VIETQR_NPM_CI:-1}" != 0 ] || [ ! -d "$DIR/node_modules/jsqr" ]; then
  log "npm ci (vietnam-qr-pay, jsqr, pngjs)"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error) 2> >(grep -v 'Unknown user config' >&2)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "generating the sample code"
(cd "$ROOT" && cargo run -q -p xaso-services --example vietqr_sample -- "$tmp") >/dev/null

log "checking $tmp/payload.txt and $tmp/qr.png"
node "$DIR/check.mjs" \
  --payload "$tmp/payload.txt" --png "$tmp/qr.png" \
  --bin 970436 --account 0011001234567 --amount 50000 --purpose-contains HS-17071
