#!/usr/bin/env python3
"""Delivery channels of a real Xã Số server, received by independent peers on 127.0.0.1.

Starts an SMTP server (aiosmtpd) and an HTTP gateway sink (http.server), writes a config
TOML pointing [rooms.delivery.smtp], .sms and .zalo at them, seeds the demo commune into a temporary data
directory, starts `xaso serve`, and then, through HTTP only: registers a citizen, gives them
an email address (profile form), turns SMS on and sets a Zalo id (preferences API), sends
feedback; the commune acknowledges it ("Đã nhận phản ánh …") on every channel. Checks the
email with Python's `email` package (RFC 2047 subject, UTF-8 body with the link), the SMS
call (auth header, JSON body) and the Zalo call (form body), and the commune's delivery desk.

Usage: python check.py --bin target/release/xaso
"""

import argparse
import email
import email.policy
import http.cookiejar
import http.server
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller

COMMUNE = "17071"
# Inside the demo commune's map area (19.27–19.37 N, 105.12–105.24 E).
LAT, LON = 19.3301, 105.1802
SMS_KEY = "e2e-khoa-sms-" + "".join(random.choice("abcdef0123456789") for _ in range(12))
SMS_BODY = '{"to":"{phone}","text":"{title}: {text} {link}"}'
ZALO_ID = "84968" + "".join(random.choice("0123456789") for _ in range(6))
PASSWORD = "E2e-Giao-" + "".join(random.choice("0123456789") for _ in range(6))


def log(*a):
    print("[delivery]", *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone():
    return "0968" + "".join(random.choice("0123456789") for _ in range(6))


# ---- the peers ----

class Mailbox:
    """aiosmtpd handler: keeps every message as received (raw bytes)."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(envelope)
        return "250 Message accepted for delivery"


class Gateway(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8")
        Gateway.hits.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    def log_message(self, *args):
        pass


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def write_config(path, port, data, smtp_port, http_port):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""listen = "127.0.0.1:{port}"
data_dir = {toml_str(data)}
public_url = "http://127.0.0.1:{port}"

[rooms.delivery.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Xã Minh Hợp <thongbao@minhhop.test>"

[rooms.delivery.sms]
url = "http://127.0.0.1:{http_port}/sms"
auth_header = "X-Api-Key"
auth_value = {toml_str(SMS_KEY)}
content_type = "application/json"
body = {toml_str(SMS_BODY)}

[rooms.delivery.zalo]
url = "http://127.0.0.1:{http_port}/zalo"
content_type = "application/x-www-form-urlencoded"
body = "uid={{zalo_user_id}}&msg={{title}}"
""")


# ---- HTTP to the server ----

class Server:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def api(self, method, path, body=None, token=None, expect=200):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        assert status == expect, f"{method} {path}: {status} (expected {expect}): {text}"
        return json.loads(text) if text else None

    def page(self, path, form=None):
        data = None if form is None else urllib.parse.urlencode(form).encode()
        with self.browser.open(self.base + path, data=data, timeout=30) as r:
            return r.read().decode()

    def csrf(self):
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', self.page("/login"))
        assert m, "login page has a CSRF field"
        return m.group(1)


def wait_for(what, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def run(bin_path):
    work = tempfile.mkdtemp(prefix="xaso-delivery-")
    data = os.path.join(work, "data")
    server_log = open(os.path.join(work, "server.log"), "w")
    proc = None
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    gateway = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    http_port = gateway.server_address[1]
    port = free_port()
    cfg = os.path.join(work, "xaso.toml")
    write_config(cfg, port, data, smtp_port, http_port)
    log(f"SMTP sink 127.0.0.1:{smtp_port}, gateway sink 127.0.0.1:{http_port}, server 127.0.0.1:{port}")
    try:
        base = [bin_path, "--config", cfg, "--data", data]
        subprocess.run(base + ["demo"], check=True, stdout=subprocess.DEVNULL, stderr=server_log)
        admin_phone = phone()
        env = dict(os.environ, XASO_PASSWORD=PASSWORD)
        subprocess.run(base + ["user", "create", "--phone", admin_phone, "--name", "Quản Trị Kiểm Thử",
                               "--role", "commune_admin", "--commune", COMMUNE],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=server_log)
        proc = subprocess.Popen(base + ["serve"], stdout=server_log, stderr=server_log)
        s = Server(f"http://127.0.0.1:{port}")

        def healthy():
            try:
                with urllib.request.urlopen(s.base + "/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for("the server", healthy, 60)

        # A citizen registers, adds an email address, turns SMS on and sets a Zalo id.
        citizen = phone()
        name = "Lò Thị Hoa"
        s.api("POST", "/api/v1/auth/register", {"commune_code": COMMUNE, "full_name": name,
                                                "phone": citizen, "password": PASSWORD}, expect=201)
        token = s.api("POST", "/api/v1/auth/token", {"phone": citizen, "password": PASSWORD,
                                                     "name": "e2e delivery"}, expect=201)["token"]
        csrf = s.csrf()
        s.page("/login", {"phone": citizen, "password": PASSWORD, "csrf": csrf})
        address = f"hoa.{citizen}@example.vn"
        saved = s.page("/me", {"full_name": name, "email": address, "locale": "vi",
                               "village_id": "", "csrf": csrf})
        assert "Đã lưu thông tin." in saved, "profile saved"
        prefs = s.api("PUT", "/api/v1/me/notification-preferences",
                      {"sms": True, "zalo_user_id": ZALO_ID}, token=token)
        assert prefs["reachable"] == {"push": False, "email": True, "sms": True, "zalo": True}, prefs
        bad = s.api("PUT", "/api/v1/me/notification-preferences",
                    {"quiet_from": "22:00", "quiet_to": "22:00"}, token=token, expect=422)
        assert bad["error"]["code"] == "quiet_hours_empty", bad

        # Feedback: the commune acknowledges it to the reporter on every channel.
        cats = [c for c in s.api("GET", f"/api/v1/communes/{COMMUNE}/feedback/categories")
                if c["active"] and not c["restricted"]]
        cat = cats[0]
        fb = s.api("POST", f"/api/v1/communes/{COMMUNE}/feedback",
                   {"category": cat["code"], "text": "Đèn đường đầu thôn Đông bị hỏng ba hôm nay.",
                    "lat": LAT, "lon": LON}, token=token, expect=201)
        receipt = fb["receipt_code"]
        title = f"Đã nhận phản ánh {receipt}"
        link = f"{s.base}/c/{COMMUNE}/feedback/{receipt}"
        log(f"feedback {receipt} sent; waiting for the email, the SMS and the Zalo message")

        env_ = wait_for("the email", lambda: [m for m in mailbox.mails if address in m.rcpt_tos])[0]
        assert env_.mail_from == "thongbao@minhhop.test", env_.mail_from
        raw = env_.original_content or env_.content
        assert re.search(rb"^Subject: =\?utf-8\?", raw, re.I | re.M), "subject is RFC 2047 encoded"
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["Subject"] == title, msg["Subject"]
        assert msg["To"].addresses[0].addr_spec == address
        assert msg["To"].addresses[0].display_name == name, msg["To"]
        assert msg["From"].addresses[0].display_name == "Xã Minh Hợp", msg["From"]
        part = msg.get_body(preferencelist=("plain",))
        assert part.get_content_charset() == "utf-8"
        body = part.get_content()
        assert cat["name"] in body, body
        assert f"Xem chi tiết: {link}" in body, body
        assert f"{s.base}/me/notifications" in body, body
        log(f"email OK: «{msg['Subject']}» to {name} <{address}>")

        sms = wait_for("the SMS", lambda: [h for h in Gateway.hits if h["path"] == "/sms"])[0]
        headers = {k.lower(): v for k, v in sms["headers"].items()}
        assert headers["x-api-key"] == SMS_KEY, headers
        assert headers["content-type"] == "application/json", headers
        v = json.loads(sms["body"])
        assert v["to"] == "+84" + citizen[1:], v
        assert v["text"].startswith(title + ": ") and v["text"].endswith(" " + link), v
        log(f"SMS OK: {v}")
        zalo = wait_for("the Zalo message", lambda: [h for h in Gateway.hits if h["path"] == "/zalo"])[0]
        form = urllib.parse.parse_qs(zalo["body"], strict_parsing=True)
        assert form == {"uid": [ZALO_ID], "msg": [title]}, form
        log(f"Zalo OK: {form}")

        # The commune's delivery desk counts them; a citizen may not look.
        admin = s.api("POST", "/api/v1/auth/token", {"phone": admin_phone, "password": PASSWORD,
                                                     "name": "e2e desk"}, expect=201)["token"]
        desk = s.api("GET", f"/api/v1/communes/{COMMUNE}/delivery", token=admin)
        sent = {c["channel"]: c["sent"] for c in desk["channels"]}
        assert all(sent.get(ch, 0) >= 1 for ch in ("email", "sms", "zalo")), desk
        s.api("GET", f"/api/v1/communes/{COMMUNE}/delivery", token=token, expect=403)
        settings = s.api("GET", f"/api/v1/communes/{COMMUNE}/delivery/settings", token=admin)
        assert sorted(settings["deployment_configured"]) == ["sms", "smtp", "zalo"], settings
        assert SMS_KEY not in json.dumps(settings)
        log("delivery desk OK:", sent)
        print("delivery e2e passed: email (aiosmtpd), SMS and Zalo (HTTP sink)")
    except BaseException:
        server_log.flush()
        with open(server_log.name) as f:
            tail = f.read().splitlines()[-30:]
        log("server log (last 30 lines):\n  " + "\n  ".join(tail))
        raise
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        controller.stop()
        gateway.shutdown()
        server_log.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True, help="the xaso binary")
    run(p.parse_args().bin)


if __name__ == "__main__":
    main()
