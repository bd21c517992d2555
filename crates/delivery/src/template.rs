//! Gateway message templates: the `{placeholders}` an SMS or Zalo gateway's URL and body may use,
//! escaped for where they land. Both the gateway channel (sending) and the settings (checking a
//! template before it is saved) render with these, so they sit below both.

/// The values a template may use.
pub struct Vars<'a> {
    pub phone: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    pub link: &'a str,
    pub zalo_user_id: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Inside a JSON string: quotes, backslashes and control characters escaped.
    Json,
    /// `application/x-www-form-urlencoded`: space as `+`, the rest percent-encoded.
    Form,
    /// A URL: percent-encoded, space as `%20`.
    Url,
    /// Any other body (`text/plain`): as is.
    Raw,
}

impl Escape {
    pub fn for_content_type(ct: &str) -> Escape {
        let ct = ct.to_ascii_lowercase();
        if ct.contains("json") {
            Escape::Json
        } else if ct.contains("x-www-form-urlencoded") {
            Escape::Form
        } else {
            Escape::Raw
        }
    }

    fn apply(self, v: &str, out: &mut String) {
        match self {
            Escape::Json => {
                let quoted = serde_json::Value::String(v.to_owned()).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Escape::Form | Escape::Url => {
                for b in v.bytes() {
                    match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                            out.push(b as char)
                        }
                        b' ' if self == Escape::Form => out.push('+'),
                        _ => out.push_str(&format!("%{b:02X}")),
                    }
                }
            }
            Escape::Raw => out.push_str(v),
        }
    }
}

/// Replaces the known `{placeholders}`; any other brace (JSON's own) is left alone.
pub fn render(template: &str, vars: &Vars<'_>, escape: Escape) -> String {
    let names: [(&str, &str); 5] = [
        ("{phone}", vars.phone),
        ("{title}", vars.title),
        ("{text}", vars.text),
        ("{link}", vars.link),
        ("{zalo_user_id}", vars.zalo_user_id),
    ];
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match names.iter().find(|(n, _)| rest.starts_with(n)) {
            Some((n, v)) => {
                escape.apply(v, &mut out);
                rest = &rest[n.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub fn render_body(template: &str, content_type: &str, vars: &Vars<'_>) -> String {
    render(template, vars, Escape::for_content_type(content_type))
}

pub fn render_url(template: &str, vars: &Vars<'_>) -> String {
    render(template, vars, Escape::Url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            phone: "+84912000011",
            title: "Cắt điện \"khẩn\"",
            text: "Thôn Đông\ntừ 8h & 10h",
            link: "https://xa.example/c/17071/n/1?a=1&b=2",
            zalo_user_id: "84912",
        }
    }

    #[test]
    fn json_bodies_escape_values_and_keep_their_own_braces() {
        let body = render_body(
            r#"{"to":"{phone}","msg":"{title}: {text} {link}","x":{"y":"{unknown}"}}"#,
            "application/json; charset=utf-8",
            &vars(),
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+84912000011");
        assert_eq!(
            v["msg"],
            "Cắt điện \"khẩn\": Thôn Đông\ntừ 8h & 10h https://xa.example/c/17071/n/1?a=1&b=2"
        );
        assert_eq!(v["x"]["y"], "{unknown}");
    }

    #[test]
    fn form_bodies_and_urls_are_percent_encoded() {
        let body = render_body(
            "to={phone}&text={text}",
            "application/x-www-form-urlencoded",
            &vars(),
        );
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
        assert_eq!(pairs[0], ("to".into(), "+84912000011".into()));
        assert_eq!(pairs[1].1, "Thôn Đông\ntừ 8h & 10h");
        let url = render_url(
            "https://g.example/send?uid={zalo_user_id}&t={title}",
            &vars(),
        );
        assert_eq!(
            url,
            "https://g.example/send?uid=84912&t=C%E1%BA%AFt%20%C4%91i%E1%BB%87n%20%22kh%E1%BA%A9n%22"
        );
        assert_eq!(
            render("{text}", &vars(), Escape::Raw),
            "Thôn Đông\ntừ 8h & 10h"
        );
    }
}
