//! The installable app: the web app manifest and its icons, the service worker at the site's
//! root (so its scope is the whole site), the page script that registers it, the draft box
//! script, and the offline page the worker keeps for when the network is down.

use std::sync::OnceLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::AppState;
use super::ctx::Ctx;
use super::shell::{Shell, render};
use crate::error::AppError;

const SW: &str = include_str!("../../static/sw.js");
const MANIFEST: &str = include_str!("../../static/manifest.webmanifest");
const PWA_JS: &str = include_str!("../../static/pwa.js");
const DRAFTS_JS: &str = include_str!("../../static/drafts.js");
const JS: &str = "text/javascript; charset=utf-8";

/// The app icons (rendered from favicon.svg by static/icons/generate.py).
const ICONS: &[(&str, &[u8])] = &[
    (
        "icon-192.png",
        include_bytes!("../../static/icons/icon-192.png"),
    ),
    (
        "icon-512.png",
        include_bytes!("../../static/icons/icon-512.png"),
    ),
    (
        "maskable-512.png",
        include_bytes!("../../static/icons/maskable-512.png"),
    ),
    (
        "apple-touch-icon.png",
        include_bytes!("../../static/icons/apple-touch-icon.png"),
    ),
];

/// A digest of everything the worker precaches (and of the worker itself), so that any
/// change to the shell is a new worker with a new cache, and nothing else is.
fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h = Sha256::new();
        for part in [
            SW.as_bytes(),
            MANIFEST.as_bytes(),
            PWA_JS.as_bytes(),
            DRAFTS_JS.as_bytes(),
            include_bytes!("../../static/app.css"),
            include_bytes!("../../static/htmx.min.js"),
            include_bytes!("../../static/favicon.svg"),
            include_bytes!("../../static/icons.svg"),
            include_bytes!("../../templates/offline.html"),
            include_bytes!("../../templates/base.html"),
            include_bytes!("../../i18n/vi.txt"),
            include_bytes!("../../i18n/en.txt"),
        ] {
            h.update(part);
        }
        for (_, icon) in ICONS {
            h.update(icon);
        }
        hex::encode(&h.finalize()[..8])
    })
}

fn service_worker_source() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| SW.replace("__XASO_SW_VERSION__", version()))
}

/// The worker: always revalidated, so an update reaches phones on their next visit.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, JS),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        service_worker_source(),
    )
        .into_response()
}

async fn manifest() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        MANIFEST,
    )
        .into_response()
}

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, JS),
            // Short: the worker serves the copy it precached; this is for first visits.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn icon(Path(name): Path<String>) -> Response {
    match ICONS.iter().find(|(n, _)| *n == name) {
        Some((_, body)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *body,
        )
            .into_response(),
        None => AppError::not_found().into_response(),
    }
}

#[derive(Template)]
#[template(path = "offline.html")]
struct OfflinePage {
    shell: Shell,
}

/// The page shown for any page not kept on the phone while the network is down. It is
/// fetched once when the worker installs, so it names no one: it is rendered signed out.
async fn offline(State(state): State<AppState>, ctx: Ctx) -> Response {
    let mut anonymous = ctx.clone();
    anonymous.user = None;
    let shell = Shell::new(&state, &anonymous, None, ctx.tr().get("offline.title")).await;
    render(&OfflinePage { shell })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sw.js", get(service_worker))
        .route("/manifest.webmanifest", get(manifest))
        .route("/offline", get(offline))
        .route("/static/pwa.js", get(|| async { script(PWA_JS) }))
        .route("/static/drafts.js", get(|| async { script(DRAFTS_JS) }))
        .route("/static/icons/{name}", get(icon))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_size(png: &[u8]) -> (u32, u32) {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        (w, h)
    }

    #[test]
    fn manifest_is_installable_and_its_icons_exist_at_their_sizes() {
        let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
        assert_eq!(m["name"], "Xã Số");
        assert_eq!(m["start_url"], "/");
        assert_eq!(m["display"], "standalone");
        let icons = m["icons"].as_array().unwrap();
        let mut purposes = vec![];
        for i in icons {
            let src = i["src"].as_str().unwrap();
            let name = src.strip_prefix("/static/icons/").unwrap();
            let (_, body) = ICONS.iter().find(|(n, _)| *n == name).unwrap();
            let (w, h) = png_size(body);
            assert_eq!(format!("{w}x{h}"), i["sizes"].as_str().unwrap(), "{src}");
            purposes.push((w, i["purpose"].as_str().unwrap().to_owned()));
        }
        for want in [(192, "any"), (512, "any"), (512, "maskable")] {
            assert!(
                purposes.iter().any(|(w, p)| *w == want.0 && p == want.1),
                "{want:?}"
            );
        }
    }

    #[test]
    fn worker_carries_its_version_and_precaches_only_what_is_served() {
        let sw = service_worker_source();
        assert!(!sw.contains("__XASO_SW_VERSION__"));
        assert!(sw.contains(&format!("'{}'", version())));
        // Every precached static file is one this server has.
        let list = sw.split("const PRECACHE = [").nth(1).unwrap();
        let list = list.split("];").next().unwrap();
        for url in list.split('\'').skip(1).step_by(2) {
            let known = url == "/manifest.webmanifest"
                || matches!(url, "/static/pwa.js" | "/static/drafts.js")
                || url
                    .strip_prefix("/static/icons/")
                    .is_some_and(|n| ICONS.iter().any(|(i, _)| *i == n))
                || matches!(
                    url,
                    "/static/app.css"
                        | "/static/htmx.min.js"
                        | "/static/favicon.svg"
                        | "/static/icons.svg"
                );
            assert!(known, "{url}");
        }
        // No text for people in scripts: it comes from the templates.
        for js in [SW, PWA_JS, DRAFTS_JS] {
            assert!(!js.contains("https://"), "no remote URL");
            for line in js.lines() {
                let code = line.split("//").next().unwrap_or_default();
                assert!(
                    !code.chars().any(|c| ('\u{00C0}'..='\u{1EF9}').contains(&c)),
                    "Vietnamese text belongs in the i18n catalogues: {line}"
                );
            }
        }
    }
}
