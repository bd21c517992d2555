//! A message for the page after an action ("Đã lưu.", "Đã gửi. Xã sẽ trả lời trước ngày …"):
//! the handler redirects with [`redirect`], which leaves the message's text key and arguments
//! in a short-lived cookie; the next page shows it above its content (`Shell::flash`) and the
//! context layer clears it once a page has shown it. Works the same with htmx's boosted forms
//! (the redirect is followed by the same browser) and without JavaScript.

use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::cookies::{cookie, set_cookie};
use crate::i18n::{Locale, fill};

pub const FLASH_COOKIE: &str = "xaso_flash";

/// A message waiting for the next page: a text key under `flash.` and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Flash {
    pub key: String,
    pub args: Vec<(String, String)>,
}

impl Flash {
    pub fn key(key: &str) -> Flash {
        // The cookie carries only `flash.` keys (see `from_headers`): any other never shows.
        debug_assert!(
            key.starts_with("flash."),
            "flash key {key} must start with flash."
        );
        Flash {
            key: key.to_owned(),
            args: vec![],
        }
    }

    pub fn arg(mut self, name: &str, value: impl ToString) -> Flash {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }

    /// The message in the reader's language.
    pub fn text(&self, locale: Locale) -> String {
        fill(locale, &self.key, &self.args)
    }

    fn encode(&self) -> String {
        let mut pairs = vec![("k", self.key.as_str())];
        pairs.extend(self.args.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The message a request carries, if its cookie holds one of the `flash.` texts.
    pub fn from_headers(headers: &HeaderMap) -> Option<Flash> {
        let raw = cookie(headers, FLASH_COOKIE)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).ok()?;
        let mut it = pairs.into_iter();
        let (k, key) = it.next()?;
        let known = k == "k"
            && key.starts_with("flash.")
            && key.len() < 64
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
        known.then(|| Flash {
            key,
            args: it
                .take(4)
                .filter(|(_, v)| v.chars().count() <= 100)
                .collect(),
        })
    }
}

/// `303 See Other` to `to`, with `message` for the page there.
pub fn redirect(to: &str, message: Flash, secure: bool) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response();
    // Cookie values take no spaces, commas or semicolons: the urlencoded form has none.
    res.headers_mut().append(
        SET_COOKIE,
        set_cookie(FLASH_COOKIE, &message.encode(), 120, true, secure),
    );
    res
}

/// The header that clears the message once a page has shown it.
pub fn cleared(secure: bool) -> axum::http::HeaderValue {
    set_cookie(FLASH_COOKIE, "", 0, true, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_goes_through_its_cookie_and_nothing_else_does() {
        let m = Flash::key("flash.saved").arg("due", "10/12/2026");
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            format!("{FLASH_COOKIE}={}", m.encode()).parse().unwrap(),
        );
        assert_eq!(Flash::from_headers(&h), Some(m));
        for bad in ["k=error.forbidden", "k=flash.<b>", "x=flash.saved", "%%%"] {
            let mut h = HeaderMap::new();
            h.insert(
                axum::http::header::COOKIE,
                format!("{FLASH_COOKIE}={bad}").parse().unwrap(),
            );
            assert_eq!(Flash::from_headers(&h), None, "{bad}");
        }
    }
}
