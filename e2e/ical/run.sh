#!/usr/bin/env bash
# iCalendar check of a running Xã Số server's events feed through the independent PyPI
# parsers `icalendar` and `ical` (pinned in requirements.txt, installed into e2e/ical/.venv).
# Usage: XASO_URL=http://127.0.0.1:8095 bash e2e/ical/run.sh  (commune 17071 unless XASO_ICAL_COMMUNE)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[ical] %s\n' "$*" >&2; }

: "${XASO_URL:?set XASO_URL to the server, e.g. http://127.0.0.1:8095}"

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

log "checking $XASO_URL/c/${XASO_ICAL_COMMUNE:-17071}/events.ics with icalendar and ical"
exec "$VENV/bin/python" "$DIR/check.py" "$@"
