//! Safe markdown: officials write notices in markdown; raw HTML (scripts, event handlers,
//! iframes) is dropped, images become links, and links keep only harmless schemes, so the
//! rendered HTML can be shown as is. Also the plain text used for search, SMS and bulletins.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

fn safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    // Relative links, anchors and the schemes a notice needs; never javascript:, data:, vbscript:.
    let scheme_end = u.find(':');
    let first_sep = u.find(['/', '?', '#']);
    match (scheme_end, first_sep) {
        (None, _) => true,
        (Some(c), Some(s)) if s < c => true,
        _ => ["http:", "https:", "mailto:", "tel:"]
            .iter()
            .any(|p| u.starts_with(p)),
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Markdown → HTML that is safe to insert into a page.
pub fn to_safe_html(md: &str) -> String {
    let mut in_image = 0usize;
    // Inside an inline <script> or <style>: its text goes with the tags.
    let mut in_code_tag = false;
    let events = Parser::new_ext(md, options()).filter_map(|ev| match ev {
        // Raw HTML in any form is dropped, not escaped: it was never meant to be read.
        Event::Html(_) => None,
        Event::InlineHtml(tag) => {
            let t = tag.trim_start().to_ascii_lowercase();
            if t.starts_with("<script") || t.starts_with("<style") {
                in_code_tag = true;
            } else if t.starts_with("</script") || t.starts_with("</style") {
                in_code_tag = false;
            }
            None
        }
        Event::Text(_) | Event::Code(_) if in_code_tag => None,
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest_url = if safe_url(&dest_url) {
                dest_url
            } else {
                CowStr::Borrowed("#")
            };
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        // Images would load from wherever the author pointed: show their text as a link.
        Event::Start(Tag::Image {
            dest_url,
            title,
            id,
            ..
        }) => {
            in_image += 1;
            let dest_url = if safe_url(&dest_url) {
                dest_url
            } else {
                CowStr::Borrowed("#")
            };
            Some(Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Image) => {
            in_image = in_image.saturating_sub(1);
            Some(Event::End(TagEnd::Link))
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The words of a markdown text without its markup, one space between blocks.
pub fn to_plain(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for ev in Parser::new_ext(md, options()) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
            _ => {}
        }
    }
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first `n` characters of the plain text, on a word boundary, with an ellipsis.
pub fn excerpt(md: &str, n: usize) -> String {
    // Lines (list items, headings) become sentences, so "Phương án … Mức đóng góp" reads right.
    let mut plain = String::new();
    for line in to_plain(md).lines() {
        if !plain.is_empty() {
            let ends = plain.ends_with(['.', '!', '?', ':', ';', ',', '…']);
            plain.push_str(if ends { " " } else { ". " });
        }
        plain.push_str(line);
    }
    if plain.chars().count() <= n {
        return plain;
    }
    let cut: String = plain.chars().take(n).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > n / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        let h =
            to_safe_html("# Lịch họp\n\n**Thứ Hai**, [xem](https://xa.vn/a) và [nội bộ](/c/17071)");
        assert!(h.contains("<h1>Lịch họp</h1>"));
        assert!(h.contains("<strong>Thứ Hai</strong>"));
        assert!(h.contains("href=\"https://xa.vn/a\""));
        assert!(h.contains("href=\"/c/17071\""));
    }

    #[test]
    fn scripts_handlers_and_bad_links_are_stripped() {
        let h = to_safe_html(
            "Xin chào <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<div onclick=\"x()\">bấm</div>\n\n[a](javascript:alert(3)) [b](JaVaScRiPt:alert(4)) [c](data:text/html,hi) ![ảnh](https://evil.example/x.png)",
        );
        let lower = h.to_ascii_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onclick",
            "javascript:",
            "data:",
            "<img",
            "<div",
        ] {
            assert!(!lower.contains(bad), "{bad} in {h}");
        }
        assert!(h.contains("Xin chào"));
        assert!(
            !h.contains("alert(1)"),
            "script text dropped with its tags: {h}"
        );
        assert!(h.contains(">ảnh</a>"), "{h}");
    }

    #[test]
    fn text_in_markdown_is_escaped() {
        let h = to_safe_html("a < b & \"c\"");
        assert!(h.contains("a &lt; b &amp;"), "{h}");
    }

    #[test]
    fn plain_text_and_excerpts() {
        assert_eq!(to_plain("# Tiêu đề\n\n- một\n- *hai*"), "Tiêu đề\nmột\nhai");
        assert_eq!(
            excerpt("Nội dung:\n\n- một\n- hai", 50),
            "Nội dung: một. hai"
        );
        let e = excerpt("Bà con thôn Minh Hòa chú ý lịch cắt điện ngày mai", 20);
        assert!(e.ends_with('…') && e.chars().count() <= 21, "{e}");
    }
}
