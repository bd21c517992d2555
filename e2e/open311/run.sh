#!/usr/bin/env bash
# Open311 GeoReport v2 check of a running Xã Số server through the independent `georeport`
# client from PyPI (pinned in requirements.txt, installed into e2e/open311/.venv).
# Usage: XASO_URL=http://127.0.0.1:8095 XASO_OPEN311_KEY=o311_… bash e2e/open311/run.sh
#        (XASO_OPEN311_JURISDICTION defaults to the demo commune 17071; extra args go to check.py)
# A key comes from: xaso --data DIR open311-key --commune 17071 --name "CI client"
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[open311] %s\n' "$*" >&2; }

: "${XASO_URL:?set XASO_URL to the server, e.g. http://127.0.0.1:8095}"
: "${XASO_OPEN311_KEY:?set XASO_OPEN311_KEY (xaso open311-key --commune 17071 --name …)}"
export XASO_URL XASO_OPEN311_KEY

# shellcheck source=../pyvenv.sh
source "$DIR/../pyvenv.sh"

log "checking $XASO_URL/open311/v2 with georeport $("$VENV/bin/python" -c 'import georeport; print(georeport.__version__)')"
exec "$VENV/bin/python" "$DIR/check.py" "$@"
