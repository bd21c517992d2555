# Sourced by the Python peers (e2e/{push,delivery,ical,open311}/run.sh): makes "$DIR/.venv"
# (installing Debian's python3-venv on a new machine) and installs "$DIR/requirements.txt"
# into it, again only when the pins changed. Expects DIR and a log function; sets VENV.
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
STAMP="$VENV/.requirements"
if ! cmp -s "$DIR/requirements.txt" "$STAMP"; then
  log "installing $(grep -c '==' "$DIR/requirements.txt") pinned packages into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$DIR/requirements.txt"
  cp "$DIR/requirements.txt" "$STAMP"
fi
