//! The commune's events as an iCalendar feed (RFC 5545): CRLF line ends, lines folded at 75
//! octets without splitting a character, escaped texts, a UID and DTSTAMP per event, and times
//! in Asia/Ho_Chi_Minh with its VTIMEZONE (UTC+7 all year, no daylight saving).

use chrono::{DateTime, Duration, Utc};
use kernel::tenancy::CommuneInfo;

use crate::entity::notice;
use crate::markdown;

const TZID: &str = "Asia/Ho_Chi_Minh";

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so no physical line exceeds 75 octets (§3.1).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for ch in content.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

fn local(t: DateTime<Utc>) -> String {
    kernel::time::to_vn(t).format("%Y%m%dT%H%M%S").to_string()
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn feed(
    c: &CommuneInfo,
    events: &[notice::Model],
    host: &str,
    base_url: &str,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Xa So//Notices//VI");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(
        &mut out,
        &format!(
            "X-WR-CALNAME:{}",
            escape(&format!("Lịch sự kiện {}", c.name))
        ),
    );
    line(&mut out, &format!("X-WR-TIMEZONE:{TZID}"));
    for l in [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Ho_Chi_Minh",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0700",
        "TZOFFSETTO:+0700",
        "TZNAME:ICT",
        "END:STANDARD",
        "END:VTIMEZONE",
    ] {
        line(&mut out, l);
    }
    let base = base_url.trim_end_matches('/');
    for n in events {
        let Some(start) = n.event_start else { continue };
        let end = n.event_end.unwrap_or(start + Duration::hours(1));
        line(&mut out, "BEGIN:VEVENT");
        line(
            &mut out,
            &format!("UID:notice-{}-{}@{}", n.commune_code, n.id, host),
        );
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("LAST-MODIFIED:{}", utc(n.updated_at)));
        line(&mut out, &format!("DTSTART;TZID={TZID}:{}", local(start)));
        line(&mut out, &format!("DTEND;TZID={TZID}:{}", local(end)));
        line(&mut out, &format!("SUMMARY:{}", escape(&n.title)));
        line(
            &mut out,
            &format!("DESCRIPTION:{}", escape(&markdown::to_plain(&n.body_md))),
        );
        if let Some(l) = &n.location {
            line(&mut out, &format!("LOCATION:{}", escape(l)));
        }
        if !base.is_empty() {
            line(
                &mut out,
                &format!("URL:{base}{}", crate::store::link(&n.commune_code, n.id)),
            );
        }
        line(&mut out, "STATUS:CONFIRMED");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_vietnamese_lines_fold_at_75_octets_on_character_boundaries() {
        let mut out = String::new();
        let text = format!(
            "SUMMARY:{}",
            "Tiêm chủng mở rộng cho trẻ em dưới 5 tuổi ".repeat(5)
        );
        line(&mut out, &text);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end_matches("\r\n"), text);
    }

    #[test]
    fn texts_are_escaped() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn times_are_local_and_stamps_utc() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T01:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local(t), "20261201T083000");
        assert_eq!(utc(t), "20261201T013000Z");
    }
}
