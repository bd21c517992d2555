//! Partial answers for htmx (`/static/htmx.min.js`, loaded by every page): a list whose filter
//! form or pager carries `hx-get` asks for its fragment only, and the same URL without
//! JavaScript answers the whole page. Both answers say `Vary: HX-Request`, so no cache hands
//! a fragment to a plain navigation or the other way round.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::shell::render;

/// Whether htmx asked for a fragment (`HX-Request: true`). A boosted link or form
/// (`HX-Boosted`: every page has `hx-boost`) swaps the whole body, and a history restore
/// (`HX-History-Restore-Request`, when htmx's own cache missed) needs the whole page: both no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HxRequest(pub bool);

fn is_true(parts: &Parts, name: &str) -> bool {
    parts
        .headers
        .get(name)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
}

impl<S: Send + Sync> FromRequestParts<S> for HxRequest {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(HxRequest(
            is_true(parts, "hx-request")
                && !is_true(parts, "hx-boosted")
                && !is_true(parts, "hx-history-restore-request"),
        ))
    }
}

/// The fragment alone for htmx, otherwise the page built by `page` (which embeds the
/// fragment); the page's frame (navigation, branding) is not even built for a fragment.
pub async fn render_partial<F, P, Fut>(hx: HxRequest, fragment: F, page: P) -> Response
where
    F: Template,
    P: FnOnce(F) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let mut res = if hx.0 {
        render(&fragment)
    } else {
        page(fragment).await
    };
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("HX-Request"));
    res
}

/// Every page boosts its links (`hx-boost` on `<body>`): htmx fetches them and swaps the answer
/// into the page, so a file (a dossier's result, an attachment, an XLSX export, a calendar feed)
/// would fill the page with its bytes. A boosted GET answered with anything but a page becomes
/// an `HX-Redirect` to the same address, which htmx follows as a real navigation: the browser
/// downloads the file or opens it, as it does without JavaScript.
pub async fn boosted_files(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let boosted = req.method() == axum::http::Method::GET
        && req
            .headers()
            .get("HX-Boosted")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
    let uri = req.uri().to_string();
    let res = next.run(req).await;
    if !boosted || !res.status().is_success() {
        return res;
    }
    let page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
        && !res.headers().contains_key(header::CONTENT_DISPOSITION);
    if page {
        return res;
    }
    let mut redirect = Response::new(axum::body::Body::empty());
    if let Ok(v) = HeaderValue::from_str(&uri) {
        redirect.headers_mut().insert("HX-Redirect", v);
    }
    redirect
}
