"""The commune's events feed read by two independent iCalendar parsers from PyPI, plus the
RFC 5545 details the test asserts itself: CRLF line ends, folding at 75 octets, PRODID, UID,
DTSTAMP and the Asia/Ho_Chi_Minh VTIMEZONE."""

import datetime
import os
import sys
import urllib.request

import icalendar
from ical.calendar_stream import IcsCalendarStream

url = os.environ["XASO_URL"].rstrip("/") + f"/c/{os.environ.get('XASO_ICAL_COMMUNE', '17071')}/events.ics"
with urllib.request.urlopen(url, timeout=10) as r:
    assert r.status == 200, r.status
    ctype = r.headers["Content-Type"]
    raw = r.read()
checks = 0


def ok(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok: {what}")


ok(ctype.startswith("text/calendar"), f"content type {ctype}")
text = raw.decode("utf-8")
ok("\n" not in text.replace("\r\n", ""), "every line ends in CRLF")
ok(all(len(line.encode()) <= 75 for line in text.split("\r\n")), "no line longer than 75 octets")
unfolded = text.replace("\r\n ", "")
ok("PRODID:-//Xa So//Notices//VI\r\n" in unfolded, "PRODID")
ok("BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n" in unfolded, "VTIMEZONE Asia/Ho_Chi_Minh")

cal = icalendar.Calendar.from_ical(raw)
events = list(cal.walk("VEVENT"))
ok(len(events) >= 1, f"icalendar parsed {len(events)} event(s)")
for ev in events:
    ok(str(ev["UID"]).startswith("notice-"), f"UID {ev['UID']}")
    ok(isinstance(ev["DTSTAMP"].dt, datetime.datetime) and ev["DTSTAMP"].dt.utcoffset() == datetime.timedelta(0), "DTSTAMP in UTC")
    start = ev["DTSTART"].dt
    ok(start.utcoffset() == datetime.timedelta(hours=7), f"DTSTART {start} at UTC+7")
    ok(len(str(ev["SUMMARY"])) > 0, f"SUMMARY {ev['SUMMARY']}")

stream = IcsCalendarStream.calendar_from_ics(text)
ok(len(stream.events) == len(events), f"ical parsed the same {len(stream.events)} event(s)")
ok(all(e.uid for e in stream.events), "ical sees every UID")
ok(any("Minh Hòa" in (e.summary or "") + (e.location or "") for e in stream.events), "Vietnamese text survives")
print(f"iCalendar feed: {checks} checks passed")
