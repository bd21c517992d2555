//! Results as server-drawn SVG: one horizontal bar per option, readable without script,
//! printable, and light on a cheap phone.

use std::fmt::Write as _;

use super::store::QuestionResult;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart of a question's options; `None` for free-text questions. Each option is a
/// label line with its bar below, in a 320-unit-wide picture: on a 360-px phone the text
/// stays at about the page's own size, where labels beside bars would shrink to a few pixels.
pub fn bars(q: &QuestionResult, title_id: &str) -> Option<String> {
    if q.options.is_empty() {
        return None;
    }
    let (width, row_h) = (320.0, 42.0);
    let bar_w = width - 90.0;
    let height = row_h * q.options.len() as f64 + 4.0;
    let max = q.options.iter().map(|o| o.count).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{title_id}" class="chart" width="100%">"#
    );
    let _ = write!(svg, r#"<title id="{title_id}">{}</title>"#, esc(&q.text));
    for (i, o) in q.options.iter().enumerate() {
        let y = 2.0 + row_h * i as f64;
        let w = (o.count as f64 / max * bar_w).max(if o.count > 0 { 2.0 } else { 0.0 });
        let label: String = o.label.chars().take(44).collect();
        let _ = write!(
            svg,
            r#"<text x="0" y="{:.0}" font-size="13" fill="currentColor">{}</text><rect x="0" y="{:.0}" width="{w:.1}" height="14" rx="3" fill="var(--brand, #0b6e4f)"><title>{}: {} ({}%)</title></rect><text x="{:.0}" y="{:.0}" font-size="13" fill="currentColor">{} · {}%</text>"#,
            y + 14.0,
            esc(&label),
            y + 20.0,
            esc(&o.label),
            o.count,
            o.percent,
            w + 6.0,
            y + 32.0,
            o.count,
            o.percent,
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polls::store::OptionCount;

    #[test]
    fn bars_are_escaped_and_scaled() {
        let q = QuestionResult {
            text: "Có <đồng ý>?".into(),
            kind: "single".into(),
            options: vec![
                OptionCount {
                    label: "Có".into(),
                    count: 3,
                    percent: 75.0,
                },
                OptionCount {
                    label: "Không & chưa".into(),
                    count: 1,
                    percent: 25.0,
                },
            ],
            answered: 4,
            ..Default::default()
        };
        let svg = bars(&q, "q1").unwrap();
        assert!(svg.contains("&lt;đồng ý&gt;") && svg.contains("Không &amp; chưa"));
        assert!(svg.contains("3 · 75%") && svg.contains("1 · 25%"));
        assert!(bars(&QuestionResult::default(), "q2").is_none());
    }
}
