#!/usr/bin/env bash
# MQTT ingestion, end to end: N readings published by 10 devices at once (mosquitto_pub) to a
# Mosquitto broker of its own on 127.0.0.1:18883 (the system broker keeps at most 1,000 queued
# messages per client and drops the rest; this one queues all), subscribed to by a running
# `xaso serve`, until every one is a stored row (counted in the database). Prints the rate and its ratio to issue 13's target
# (>= 10,000 readings/s). Usage: XASO_BIN=target/release/xaso bash e2e/registry/mqtt-bench.sh [N]
set -euo pipefail

N="${1:-100000}"
DEVICES=10
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
log() { printf '[mqtt-bench] %s\n' "$*" >&2; }
XASO_BIN="${XASO_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/xaso}"
command -v mosquitto_pub >/dev/null || { log "mosquitto_pub is required (Debian: mosquitto-clients)"; exit 1; }
command -v sqlite3 >/dev/null || { log "sqlite3 is required"; exit 1; }

DATA="$(mktemp -d -t xaso-mqtt-XXXXXX)"
SERVER_PID=""
BROKER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT

PREFIX="xaso-bench-$$"
BROKER_PORT=18883
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\npersistence false\n' \
  "$BROKER_PORT" >"$DATA/mosquitto.conf"
mosquitto -c "$DATA/mosquitto.conf" >"$DATA/mosquitto.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null && break; sleep 0.1; done
"$XASO_BIN" --data "$DATA" demo >/dev/null 2>&1
XASO_PASSWORD="Mq-bench-2026" "$XASO_BIN" --data "$DATA" user create --phone 0966000777 \
  --name "Cán bộ đo tải" --role official --commune 17071 >/dev/null 2>&1
printf '[rooms.registry]\nmqtt = "mqtt://127.0.0.1:%s"\nmqtt_prefix = "%s"\n' "$BROKER_PORT" "$PREFIX" >"$DATA/xaso.toml"
PORT=18777
"$XASO_BIN" --config "$DATA/xaso.toml" --data "$DATA" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN="$(curl -sf -H 'content-type: application/json' \
  -d '{"phone":"0966000777","password":"Mq-bench-2026","name":"bench"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
for d in $(seq 1 $DEVICES); do
  curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"device\":\"b-$d\",\"name\":\"Đo tải $d\",\"kind\":\"temperature\",\"lat\":19.30,\"lon\":105.15}" \
    "http://127.0.0.1:$PORT/api/v1/communes/17071/sensors" >/dev/null
done
# The subscriber connects at start; give it a moment to subscribe.
sleep 1
PER=$((N / DEVICES))
for d in $(seq 1 $DEVICES); do
  awk -v n="$PER" 'BEGIN { for (i = 0; i < n; i++) printf "{\"value\": %.1f}\n", 20 + (i % 100) / 10 }' >"$DATA/d$d.txt"
done
DB="$DATA/xaso.db"
BEFORE="$(sqlite3 "$DB" 'SELECT COUNT(*) FROM sensor_reading')"
START=$(date +%s.%N)
for d in $(seq 1 $DEVICES); do
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$PREFIX/17071/sensors/b-$d" -l <"$DATA/d$d.txt" &
done
for p in $(jobs -p); do
  [ "$p" = "$SERVER_PID" ] || [ "$p" = "$BROKER_PID" ] || wait "$p"
done
PUBLISHED=$(date +%s.%N)
WANT=$((BEFORE + PER * DEVICES))
STORED=0
LAST=0
STILL=0
END=$(date +%s.%N)
for _ in $(seq 1 1200); do
  STORED="$(sqlite3 "$DB" 'SELECT COUNT(*) FROM sensor_reading' 2>/dev/null || echo "$LAST")"
  if [ "$STORED" != "$LAST" ]; then END=$(date +%s.%N); LAST=$STORED; STILL=0; else STILL=$((STILL + 1)); fi
  [ "$STORED" -ge "$WANT" ] && break
  # Nothing new for 3 s: what is not stored by now was lost.
  [ "$STILL" -ge 30 ] && break
  sleep 0.1
done
python3 - "$START" "$PUBLISHED" "$END" "$((STORED - BEFORE))" "$((PER * DEVICES))" <<'PY'
import sys
start, published, end, stored, sent = map(float, sys.argv[1:])
secs = end - start
rate = stored / secs if secs else 0
print(f"MQTT ingestion (SQLite): {int(sent):,} readings from 10 devices, QoS 1, published in {published - start:.2f} s; "
      f"{int(stored):,} stored in {secs:.2f} s = {rate:,.0f} readings/s end to end")
print(f"target >= 10,000 readings/s: ratio {rate / 10000:.2f}  {'PASS' if rate >= 10000 and stored >= sent else 'FAIL'}")
PY
