//! Static assets compiled into the binary (no CDN: pages must work offline and on a LAN).

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::AppError;

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    // htmx 2.0.11 from npm (htmx.org), BSD Zero Clause licence: static/htmx.LICENSE.
    Asset {
        name: "htmx.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/htmx.min.js"),
    },
    Asset {
        name: "htmx.LICENSE",
        mime: "text/plain; charset=utf-8",
        body: include_bytes!("../../static/htmx.LICENSE"),
    },
    Asset {
        name: "favicon.svg",
        mime: "image/svg+xml",
        body: include_bytes!("../../static/favicon.svg"),
    },
];

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            a.body,
        )
            .into_response(),
        None => AppError::not_found().into_response(),
    }
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{name}", get(asset)).route(
        "/favicon.ico",
        get(|| async { asset(Path("favicon.svg".into())).await }),
    )
}
