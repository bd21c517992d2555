#!/usr/bin/env bash
# iCalendar check of a running Xã Số server's events feed through the independent PyPI
# parsers `icalendar` and `ical` (pinned in requirements.txt, installed into e2e/ical/.venv).
# Usage: XASO_URL=http://127.0.0.1:8095 bash e2e/ical/run.sh  (commune 17071 unless XASO_ICAL_COMMUNE)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[ical] %s\n' "$*" >&2; }

: "${XASO_URL:?set XASO_URL to the server, e.g. http://127.0.0.1:8095}"

# shellcheck source=../pyvenv.sh
source "$DIR/../pyvenv.sh"

log "checking $XASO_URL/c/${XASO_ICAL_COMMUNE:-17071}/events.ics with icalendar and ical"
exec "$VENV/bin/python" "$DIR/check.py" "$@"
