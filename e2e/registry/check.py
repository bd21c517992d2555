"""Reads the register's outputs as other tools would: every map layer through
geojson-validator, the XLSX export through openpyxl. Exits non-zero on any finding."""
import io
import json
import os
import sys
import urllib.parse
import urllib.request

import geojson_validator
import openpyxl

BASE = os.environ["XASO_URL"]
C = f"{BASE}/api/v1/communes/17071"
LAYERS = ["villages", "households", "coverage", "wifi", "cameras", "wastewater", "sensors"]


def get(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as r:
        return r.headers.get("content-type", ""), r.read()


def token():
    body = json.dumps({"phone": os.environ["XASO_PHONE"], "password": os.environ["XASO_PASSWORD"],
                       "name": "registry-check"}).encode()
    req = urllib.request.Request(f"{BASE}/api/v1/auth/token", data=body,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["token"]


def main():
    t = token()
    failed = False
    for layer in LAYERS:
        ctype, body = get(f"{C}/map/{layer}.geojson", t)
        doc = json.loads(body)
        structure = geojson_validator.validate_structure(doc, check_crs=True)
        geometries = geojson_validator.validate_geometries(doc)
        ok = ctype.startswith("application/geo+json") and not structure \
            and not geometries["invalid"] and not geometries["problematic"] and doc["features"]
        print(f"{layer:11} {len(doc['features']):4} features  {geometries['count_geometry_types']}  "
              f"{'ok' if ok else 'FAIL'}")
        if not ok:
            failed = True
            print(f"  content-type {ctype}; structure {structure}; geometries {geometries}")
    reason = urllib.parse.quote("Kiểm tra định dạng tệp xuất")
    ctype, body = get(f"{C}/households/export?format=xlsx&reason={reason}", t)
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    _, csv_body = get(f"{C}/households/template.csv")
    template = csv_body.decode().strip().split(",")
    codes = [r[0] for r in rows[1:]]
    ok = header == template and len(rows) - 1 == 300 and codes == sorted(codes) \
        and all(r[2] for r in rows[1:]) and "spreadsheetml" in ctype
    print(f"xlsx export {len(rows) - 1} rows, {len(header)} columns, first {rows[1][:3]}  {'ok' if ok else 'FAIL'}")
    if not ok:
        failed = True
        print(f"  header {header}\n  template {template}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
