#!/usr/bin/env python3
"""Web Push, checked by an independent peer.

A push service on 127.0.0.1 (this script) stands in for the browser vendor's: it records
the request `xaso push-test` sends for a subscription made here with a fresh P-256 key pair
and auth secret, then checks it with libraries that share no code with Xã Số:
  - the VAPID JWT (RFC 8292) with PyJWT: ES256 signature under the key in `k`, `aud` is the
    push service's origin, `exp` in the future and at most 24 hours away, `sub` a contact;
  - the body (RFC 8291, `aes128gcm` of RFC 8188) decrypted with http-ece and the subscriber's
    private key; the Vietnamese title and body must come back exactly.
Negative controls (a tampered signature, a wrong auth secret) must fail, so the checks can.
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

TITLE = "Cảnh báo khẩn: nước lũ dâng cao ở thôn Đồng Tâm"
BODY = "Người dân di chuyển lên nhà văn hóa xã trước 18 giờ. Mang theo giấy tờ tùy thân."


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        PushService.received.append((self.path, self.headers, body))
        self.send_response(201)
        self.send_header("Location", "/message/1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


failures = 0


def check(name: str, ok: bool, detail: str = "") -> None:
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")
    if not ok:
        failures += 1


def vapid_parts(header: str) -> dict:
    """`vapid t=<jwt>, k=<key>` (RFC 8292 section 3) into {'t': ..., 'k': ...}."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        return {}
    out = {}
    for part in params.split(","):
        name, _, value = part.strip().partition("=")
        out[name.strip()] = value.strip()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--xaso", required=True, help="path to the xaso binary")
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), PushService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    endpoint = f"{origin}/push/{b64u(os.urandom(12))}"

    private = ec.generate_private_key(ec.SECP256R1())
    p256dh = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)

    env = {k: v for k, v in os.environ.items() if k not in ("XASO_DATABASE_URL", "XASO_CONFIG")}
    env.setdefault("XASO_LOG", "warn")
    with tempfile.TemporaryDirectory(prefix="xaso-push-") as data:
        started = time.monotonic()
        run = subprocess.run(
            [args.xaso, "--data", data, "push-test", f"--endpoint={endpoint}",
             # `--flag=value`: a base64url key may begin with "-", which would read as a flag.
             f"--p256dh={b64u(p256dh)}", f"--auth={b64u(auth)}",
             f"--title={TITLE}", f"--body={BODY}"],
            env=env, capture_output=True, text=True, timeout=180,
        )
    server.shutdown()
    check("xaso push-test exits 0", run.returncode == 0, run.stdout + run.stderr)
    print(f"     ({time.monotonic() - started:.1f} s) {run.stdout.strip()}")
    check("one request reached the push service", len(PushService.received) == 1,
          f"{len(PushService.received)} requests")
    if not PushService.received:
        return 1
    path, headers, body = PushService.received[0]
    check("POST to the subscription's path", origin + path == endpoint, path)
    check("Content-Encoding: aes128gcm", headers.get("Content-Encoding") == "aes128gcm",
          str(headers.get("Content-Encoding")))
    ttl = headers.get("TTL", "")
    check("TTL is a positive number of seconds", ttl.isdigit() and int(ttl) > 0, ttl)
    check("Urgency: high for an emergency", headers.get("Urgency") == "high",
          str(headers.get("Urgency")))

    # VAPID (RFC 8292).
    vapid = vapid_parts(headers.get("Authorization", ""))
    check("Authorization: vapid t=…, k=…", "t" in vapid and "k" in vapid,
          str(headers.get("Authorization")))
    token, key = vapid.get("t", ""), vapid.get("k", "")
    try:
        server_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
        check("k is an uncompressed P-256 point", len(unb64u(key)) == 65)
        check("JWT header says ES256", jwt.get_unverified_header(token).get("alg") == "ES256")
        claims = jwt.decode(token, key=server_key, algorithms=["ES256"], audience=origin,
                            options={"require": ["aud", "exp", "sub"]})
        check("JWT signature verifies under k; aud is the push service's origin", True)
        now = time.time()
        check("exp is in the future and at most 24 h away",
              now < claims["exp"] <= now + 24 * 3600, str(claims["exp"] - now))
        sub = claims["sub"]
        check("sub is a mailto: or https: contact",
              sub.startswith("mailto:") or sub.startswith("https://"), sub)
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        try:
            jwt.decode(forged, key=server_key, algorithms=["ES256"], audience=origin)
            check("a tampered JWT is refused", False, "it verified")
        except jwt.InvalidTokenError:
            check("a tampered JWT is refused", True)
        try:
            jwt.decode(token, key=server_key, algorithms=["ES256"], audience="https://other.example")
            check("another audience is refused", False, "it verified")
        except jwt.InvalidAudienceError:
            check("another audience is refused", True)
    except Exception as e:  # noqa: BLE001 - any failure here is a failed check
        check("VAPID JWT verifies", False, repr(e))

    # The payload (RFC 8291 / RFC 8188).
    check("body starts with a 4096-byte record size and a 65-byte key id",
          body[16:20] == (4096).to_bytes(4, "big") and body[20] == 65, body[:21].hex())
    try:
        plain = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
        message = json.loads(plain.decode("utf-8"))
        check("Vietnamese title round-trips", message.get("title") == TITLE, repr(message))
        check("Vietnamese body round-trips", message.get("body") == BODY, repr(message))
        check("priority and link", message.get("priority") == "emergency"
              and message.get("url") == "/inbox", repr(message))
        check("tag names the outbox message", str(message.get("tag", "")).startswith("xaso-"),
              repr(message))
    except Exception as e:  # noqa: BLE001
        check("body decrypts with the subscriber's key", False, repr(e))
    try:
        http_ece.decrypt(body, private_key=private, auth_secret=os.urandom(16),
                         version="aes128gcm")
        check("a wrong auth secret cannot decrypt", False, "it decrypted")
    except Exception:  # noqa: BLE001
        check("a wrong auth secret cannot decrypt", True)

    print("push check passed" if failures == 0 else f"push check: {failures} failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
