#!/usr/bin/env python3
"""Open311 GeoReport v2 check of a running Xã Số server, read through an independent client.

Reads are done with the `georeport` package from PyPI (JSON and XML: it parses XML with
xmltodict). That client has no discovery call and cannot POST, so discovery, posting and the
error shapes go through plain urllib with json / xml.etree.

Usage: XASO_URL=http://127.0.0.1:8095 XASO_OPEN311_KEY=o311_… python check.py
       (or --url / --key / --jurisdiction)
"""

import argparse
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime

import requests
from georeport import GeoReport

# The demo commune's map area is 19.27,105.12 – 19.37,105.24: a pin well inside it, one outside.
INSIDE = ("19.3215", "105.1830")
OUTSIDE = ("21.0285", "105.8542")  # Hà Nội
ENV_NAME_PREFIX = "Môi trường"


def as_list(x):
    """xmltodict gives a dict for a one-element list and None for an empty one."""
    if x is None:
        return []
    if isinstance(x, list):
        return x
    return [x]


class Open311:
    def __init__(self, url, key, jurisdiction):
        self.base = url.rstrip("/") + "/open311/v2"
        self.key = key
        self.jurisdiction = jurisdiction or None  # None: a single-commune deployment

    def client(self, fmt):
        return GeoReport(self.base, jurisdiction=self.jurisdiction, output_format=fmt)

    def http(self, method, path, form=None, query=None):
        """(status, content type, body bytes); HTTP errors are answers, not exceptions."""
        url = f"{self.base}/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = {"Accept": "*/*"}
        if form is not None:
            data = urllib.parse.urlencode(form).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def post_request(self, fmt, **fields):
        form = {"jurisdiction_id": self.jurisdiction} if self.jurisdiction else {}
        if self.key is not None:
            form["api_key"] = self.key
        form.update(fields)
        return self.http("POST", f"requests.{fmt}", form=form)


def shown(body):
    return body[:300].decode("utf-8", "replace")


def query(o):
    return {"jurisdiction_id": o.jurisdiction} if o.jurisdiction else None


def parse(fmt, ctype, body):
    if fmt == "json":
        assert ctype.startswith("application/json"), f"content type {ctype!r}"
        return json.loads(body.decode("utf-8"))
    assert ctype.startswith("text/xml"), f"content type {ctype!r}"
    return ET.fromstring(body)


def assert_error(fmt, status, ctype, body, want):
    """The spec's error shape: [{code, description}] / <errors><error><code/><description/>."""
    assert status == want, f"status {status}, wanted {want}: {shown(body)}"
    doc = parse(fmt, ctype, body)
    if fmt == "json":
        assert isinstance(doc, list) and doc, f"errors not a list: {doc!r}"
        e = doc[0]
        assert e.get("code") == want, f"error code {e.get('code')!r}"
        desc = e.get("description")
    else:
        assert doc.tag == "errors", f"root <{doc.tag}>"
        e = doc.find("error")
        assert e is not None, "no <error>"
        assert e.findtext("code") == str(want), f"<code>{e.findtext('code')}</code>"
        desc = e.findtext("description")
    assert isinstance(desc, str) and desc.strip(), "empty description"
    return desc


def vn_text(s):
    """Vietnamese, decoded as UTF-8 (diacritics present, no mojibake)."""
    return (
        isinstance(s, str)
        and any(ord(ch) > 0x7F for ch in s)
        and "Ã" not in s
        and "Æ" not in s
        and "\ufffd" not in s
    )


def checks(o):
    state = {}
    marker = f"E2E-{int(time.time())}-{os.getpid()}"

    def discovery():
        for fmt in ("json", "xml"):
            status, ctype, body = o.http("GET", f"discovery.{fmt}")
            assert status == 200, f"discovery.{fmt}: {status}"
            doc = parse(fmt, ctype, body)
            if fmt == "json":
                ep = doc["endpoints"][0]
                url, formats, contact = ep["url"], ep["formats"], doc["contact"]
            else:
                ep = doc.find("endpoints/endpoint")
                url = ep.findtext("url")
                formats = [f.text for f in ep.findall("formats/format")]
                contact = doc.findtext("contact")
            assert url.startswith("http") and url.endswith("/open311/v2"), url
            assert {"application/json", "text/xml"} <= set(formats), formats
            assert vn_text(contact), contact

    def services(fmt):
        def run():
            lst = as_list(o.client(fmt).get_service_list())
            codes = [s["service_code"] for s in lst]
            assert "environment" in codes, codes
            assert len(set(codes)) == len(codes), f"duplicate codes {codes}"
            env = next(s for s in lst if s["service_code"] == "environment")
            assert env["service_name"].startswith(ENV_NAME_PREFIX), env["service_name"]
            for s in lst:
                assert vn_text(s["service_name"]), s["service_name"]
                assert s["type"] in ("realtime", "batch", "blackbox"), s["type"]
                assert s["metadata"] in (True, False, "true", "false"), s["metadata"]
            state[f"services_{fmt}"] = {s["service_code"]: s["service_name"] for s in lst}
            if fmt == "xml":
                assert state["services_xml"] == state["services_json"], "JSON and XML differ"

        return run

    def definition(fmt):
        def run():
            d = o.client(fmt).get_service_definition("environment")
            assert d["service_code"] == "environment", d
            attrs = d["attributes"] if fmt == "json" else as_list(d["attributes"]["attribute"])
            by_code = {a["code"]: a for a in attrs}
            anon = by_code.get("anonymous")
            assert anon, f"no anonymous attribute: {list(by_code)}"
            assert anon["datatype"] == "singlevaluelist", anon["datatype"]
            values = anon["values"] if fmt == "json" else as_list(anon["values"]["value"])
            assert {v["key"] for v in values} == {"true", "false"}, values
            assert all(vn_text(v["name"]) for v in values), values
            assert vn_text(anon["description"]), anon["description"]
            for a in attrs:
                assert str(a["variable"]).lower() == "true", a
                int(a["order"])

        return run

    def request_list(fmt):
        def run():
            lst = as_list(o.client(fmt).get_service_requests())
            assert lst, "no requests in the last 90 days (the demo seeds four)"
            for r in lst:
                assert r["service_request_id"], r
                assert r["status"] in ("open", "closed"), r["status"]
                assert r["service_code"] != "security", "a restricted request is listed"
                datetime.fromisoformat(r["requested_datetime"].replace("Z", "+00:00"))
            assert any(vn_text(r["description"]) for r in lst), "no Vietnamese description"
            state[f"ids_{fmt}"] = [r["service_request_id"] for r in lst]
            if fmt == "xml":
                assert state["ids_xml"] == state["ids_json"], "JSON and XML differ"
            # Filters the client passes through.
            closed = as_list(o.client(fmt).get_service_requests(status="closed"))
            assert all(r["status"] == "closed" for r in closed), "status=closed filter"
            env = as_list(o.client(fmt).get_service_requests(service_code="environment"))
            assert all(r["service_code"] == "environment" for r in env), "service_code filter"

        return run

    def post(fmt):
        def run():
            desc = f"Rác thải đổ bừa bãi cạnh kênh mương đội 3, bốc mùi hôi thối ({marker} {fmt})"
            status, ctype, body = o.post_request(
                fmt,
                service_code="environment",
                lat=INSIDE[0],
                long=INSIDE[1],
                description=desc,
                first_name="Nguyễn",
                last_name="Thị Hằng",
                email="hang.e2e@example.vn",
                **{"attribute[anonymous]": "false"},
            )
            assert status == 201, f"status {status}: {shown(body)}"
            doc = parse(fmt, ctype, body)
            if fmt == "json":
                rid, notice = doc[0]["service_request_id"], doc[0].get("service_notice")
            else:
                assert doc.tag == "service_requests", doc.tag
                rid = doc.findtext("request/service_request_id")
                notice = doc.findtext("request/service_notice")
            assert rid, body
            assert vn_text(notice), notice
            state.setdefault("posted", []).append((rid, desc))

        return run

    def posted_listed(fmt):
        def run():
            posted = state.get("posted")
            assert posted and len(posted) == 2, "the POSTs did not both succeed"
            ids = ",".join(rid for rid, _ in posted)
            got = as_list(o.client(fmt).get_service_requests(service_request_id=ids))
            by_id = {r["service_request_id"]: r for r in got}
            # Xã Số's rule (voice::model::sight): until the commune answers publicly, a
            # request's id shows its status, not the reporter's description or position,
            # and the public list (the board's) does not carry it.
            for rid, desc in posted:
                r = by_id.get(rid)
                assert r, f"{rid} not in GET requests.{fmt}?service_request_id={ids}"
                assert r["service_code"] == "environment", r["service_code"]
                assert r["service_name"].startswith(ENV_NAME_PREFIX), r["service_name"]
                assert r["status"] == "open", r["status"]
                assert not r.get("description"), f"unanswered, yet described: {r}"
                assert not r.get("lat") and not r.get("long"), f"unanswered, yet placed: {r}"
            recent = {r["service_request_id"] for r in as_list(o.client(fmt).get_service_requests())}
            rid, desc = posted[0]
            assert rid not in recent, f"{rid} is unanswered, yet in the public list"
            one = o.client(fmt).get_service_request(rid)
            assert one["service_request_id"] == rid and one["status"] == "open", one
            assert not one.get("description"), one

        return run

    def token():
        rid = state["posted"][0][0]
        status, ctype, body = o.http("GET", f"tokens/{rid}.json", query=query(o))
        assert status == 200, status
        assert parse("json", ctype, body)[0]["service_request_id"] == rid

    def no_key(fmt):
        def run():
            saved, o.key = o.key, None
            try:
                status, ctype, body = o.post_request(
                    fmt, service_code="environment", lat=INSIDE[0], long=INSIDE[1],
                    description="Không có khóa",
                )
            finally:
                o.key = saved
            assert_error(fmt, status, ctype, body, 403)

        return run

    def bad_key(fmt):
        def run():
            saved, o.key = o.key, "o311_not-a-real-key"
            try:
                status, ctype, body = o.post_request(
                    fmt, service_code="environment", lat=INSIDE[0], long=INSIDE[1],
                    description="Khóa sai",
                )
            finally:
                o.key = saved
            assert_error(fmt, status, ctype, body, 403)

        return run

    def unknown_code(fmt):
        def run():
            status, ctype, body = o.post_request(
                fmt, service_code="no_such_service", lat=INSIDE[0], long=INSIDE[1],
                description="Mã dịch vụ không có",
            )
            assert_error(fmt, status, ctype, body, 400)

        return run

    def outside_area():
        status, ctype, body = o.post_request(
            "json", service_code="environment", lat=OUTSIDE[0], long=OUTSIDE[1],
            description="Ghim ngoài địa bàn xã",
        )
        assert_error("json", status, ctype, body, 400)

    def unknown_service(fmt):
        def run():
            status, ctype, body = o.http("GET", f"services/unknown.{fmt}", query=query(o))
            assert_error(fmt, status, ctype, body, 404)
            try:
                o.client(fmt).get_service_definition("unknown")
            except requests.HTTPError as e:
                assert e.response.status_code == 404, e.response.status_code
            else:
                raise AssertionError("georeport did not raise on a 404")

        return run

    yield "discovery.json and discovery.xml (urllib)", discovery
    for fmt in ("json", "xml"):
        yield f"georeport services.{fmt}", services(fmt)
    for fmt in ("json", "xml"):
        yield f"georeport services/environment.{fmt}", definition(fmt)
    for fmt in ("json", "xml"):
        yield f"georeport requests.{fmt} (+ status, service_code filters)", request_list(fmt)
    for fmt in ("json", "xml"):
        yield f"POST requests.{fmt} form-encoded with api_key → 201", post(fmt)
    for fmt in ("json", "xml"):
        yield f"georeport requests.{fmt}?service_request_id= shows the posted ones", posted_listed(fmt)
    yield "tokens/{id}.json", token
    for fmt in ("json", "xml"):
        yield f"POST requests.{fmt} without api_key → 403 error list", no_key(fmt)
        yield f"POST requests.{fmt} with a wrong api_key → 403", bad_key(fmt)
        yield f"POST requests.{fmt} unknown service_code → 400", unknown_code(fmt)
        yield f"GET services/unknown.{fmt} → 404", unknown_service(fmt)
    yield "POST requests.json with a pin outside the commune → 400", outside_area


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=os.environ.get("XASO_URL"))
    ap.add_argument("--key", default=os.environ.get("XASO_OPEN311_KEY"))
    ap.add_argument(
        "--jurisdiction",
        default=os.environ.get("XASO_OPEN311_JURISDICTION", "17071"),
        help="jurisdiction_id (commune code); empty to leave it out (single-commune server)",
    )
    a = ap.parse_args()
    if not a.url or not a.key:
        ap.error("the server URL and API key are needed (XASO_URL, XASO_OPEN311_KEY)")
    o = Open311(a.url, a.key, a.jurisdiction)
    passed = failed = 0
    for name, fn in checks(o):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next runs
            failed += 1
            print(f"FAIL  {name}: {type(e).__name__}: {e}")
            if os.environ.get("OPEN311_TRACE"):
                traceback.print_exc()
        else:
            passed += 1
            print(f"ok    {name}")
    print(f"open311: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
