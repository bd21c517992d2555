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
    // Leaflet 1.9.4 from npm (leaflet), BSD-2-Clause licence: static/leaflet.LICENSE.
    // Copied from the package's dist/ as is, except that leaflet.css points its
    // url(images/...) at the flat names below (the router serves /static/{name}).
    Asset {
        name: "leaflet.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/leaflet.js"),
    },
    Asset {
        name: "leaflet.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../static/leaflet.css"),
    },
    Asset {
        name: "leaflet.LICENSE",
        mime: "text/plain; charset=utf-8",
        body: include_bytes!("../../static/leaflet.LICENSE"),
    },
    Asset {
        name: "marker-icon.png",
        mime: "image/png",
        body: include_bytes!("../../static/marker-icon.png"),
    },
    Asset {
        name: "marker-icon-2x.png",
        mime: "image/png",
        body: include_bytes!("../../static/marker-icon-2x.png"),
    },
    Asset {
        name: "marker-shadow.png",
        mime: "image/png",
        body: include_bytes!("../../static/marker-shadow.png"),
    },
    Asset {
        name: "layers.png",
        mime: "image/png",
        body: include_bytes!("../../static/layers.png"),
    },
    Asset {
        name: "layers-2x.png",
        mime: "image/png",
        body: include_bytes!("../../static/layers-2x.png"),
    },
    // Our map widget over Leaflet (data-map="picker" | "points"); see the file's header.
    Asset {
        name: "map.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/map.js"),
    },
    // The writing help over a Markdown textarea (toolbar: bold, heading, list, link).
    Asset {
        name: "md-toolbar.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/md-toolbar.js"),
    },
    // Web Push: the opt-in button, and the service worker's push handlers (sw.js imports it).
    Asset {
        name: "push.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/push.js"),
    },
    Asset {
        name: "sw-push.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/sw-push.js"),
    },
    // Lucide 0.469.0 icons from npm (lucide-static), ISC licence: static/lucide/LICENSE. Only
    // the icons pages use, as one sprite built by static/lucide/make-sprite.py.
    Asset {
        name: "icons.svg",
        mime: "image/svg+xml",
        body: include_bytes!("../../static/icons.svg"),
    },
    Asset {
        name: "lucide.LICENSE",
        mime: "text/plain; charset=utf-8",
        body: include_bytes!("../../static/lucide/LICENSE"),
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

/// A commune's brand colour as a one-rule stylesheet, `/static/brand/0b6e4f.css`: the layout
/// links it instead of writing an inline `<style>`, which the Content-Security-Policy refuses.
/// The colour is the name, so each is cached for good and no database is read. Any colour an
/// admin picks stays readable: text on it is white or dark, whichever reaches AA contrast, and
/// links and headings use the colour darkened until it reads on white.
async fn brand(Path(name): Path<String>) -> Response {
    match name.strip_suffix(".css").and_then(parse_hex) {
        Some(rgb) => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            brand_css(rgb),
        )
            .into_response(),
        None => AppError::not_found().into_response(),
    }
}

fn parse_hex(hex: &str) -> Option<[u8; 3]> {
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// WCAG relative luminance of an sRGB colour.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

const WHITE: [u8; 3] = [255, 255, 255];
/// The design system's ink (`--ink`).
const INK: [u8; 3] = [0x1c, 0x24, 0x30];

fn brand_css(rgb: [u8; 3]) -> String {
    let hex = |[r, g, b]: [u8; 3]| format!("#{r:02x}{g:02x}{b:02x}");
    // Every colour reaches 4.5 with white or with black; the softer ink when it is enough.
    let on = if contrast(rgb, WHITE) >= 4.5 {
        WHITE
    } else if contrast(rgb, INK) >= 4.5 {
        INK
    } else {
        [0, 0, 0]
    };
    // Darken in small steps until the colour reads on white (black always does).
    let mut ink = rgb;
    while contrast(ink, WHITE) < 4.5 {
        ink = ink.map(|c| (c as f64 * 0.92) as u8);
    }
    format!(
        ":root{{--brand:{};--on-brand:{};--brand-ink:{}}}",
        hex(rgb),
        hex(on),
        hex(ink)
    )
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/static/{name}", get(asset))
        .route("/static/brand/{name}", get(brand))
        .route(
            "/favicon.ico",
            get(|| async { asset(Path("favicon.svg".into())).await }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get_static(path: &str) -> (StatusCode, String, Vec<u8>) {
        let res = router::<()>()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let mime = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, mime, body)
    }

    #[tokio::test]
    async fn serves_leaflet_and_the_map_widget() {
        for (path, mime) in [
            ("/static/leaflet.js", "text/javascript; charset=utf-8"),
            ("/static/leaflet.css", "text/css; charset=utf-8"),
            ("/static/leaflet.LICENSE", "text/plain; charset=utf-8"),
            ("/static/map.js", "text/javascript; charset=utf-8"),
            ("/static/marker-icon.png", "image/png"),
            ("/static/marker-icon-2x.png", "image/png"),
            ("/static/marker-shadow.png", "image/png"),
            ("/static/layers.png", "image/png"),
            ("/static/layers-2x.png", "image/png"),
        ] {
            let (status, got, body) = get_static(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(got, mime, "{path}");
            assert!(!body.is_empty(), "{path}");
            if mime == "image/png" {
                assert!(body.starts_with(b"\x89PNG"), "{path} is not a PNG");
            }
        }
        let (_, _, js) = get_static("/static/leaflet.js").await;
        assert!(String::from_utf8_lossy(&js).contains("t.version=\"1.9.4\""));
    }

    #[tokio::test]
    async fn unknown_asset_is_404() {
        let (status, _, _) = get_static("/static/nope.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn every_image_leaflet_css_uses_is_served_flat() {
        let css = std::str::from_utf8(include_bytes!("../../static/leaflet.css")).unwrap();
        assert!(
            !css.contains("url(images/"),
            "leaflet.css still points at images/"
        );
        for img in ["layers.png", "layers-2x.png", "marker-icon.png"] {
            assert!(css.contains(&format!("url({img})")), "{img}");
            assert!(ASSETS.iter().any(|a| a.name == img), "{img}");
        }
    }

    #[test]
    fn map_widget_loads_markers_from_static_and_nothing_from_the_internet() {
        let js = std::str::from_utf8(include_bytes!("../../static/map.js")).unwrap();
        assert!(js.contains("L.Icon.Default.imagePath = '/static/'"));
        assert!(
            !js.contains("https://"),
            "map.js must not hard-code a remote URL"
        );
        assert!(!js.contains("innerHTML"));
    }

    /// Every `icon("name")` a template of any crate asks for is a symbol of the sprite: a missing
    /// one would draw nothing, silently.
    #[test]
    fn every_icon_a_template_uses_is_in_the_sprite() {
        let sprite = std::str::from_utf8(include_bytes!("../../static/icons.svg")).unwrap();
        let crates = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut checked = 0;
        for dir in std::fs::read_dir(crates).unwrap() {
            let templates = dir.unwrap().path().join("templates");
            let Ok(files) = std::fs::read_dir(&templates) else {
                continue;
            };
            for f in files {
                let path = f.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split("icon(\"").skip(1) {
                    let name = part.split('"').next().unwrap();
                    assert!(
                        sprite.contains(&format!("<symbol id=\"{name}\"")),
                        "{} uses icon {name}, which static/icons.svg lacks (add it to static/lucide/make-sprite.py)",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 0, "no template uses an icon");
    }

    #[test]
    fn any_brand_colour_keeps_aa_contrast() {
        for hex in [
            "0b6e4f", "ffd60a", "ffffff", "000000", "e31b23", "7fdbff", "808080",
        ] {
            let rgb = parse_hex(hex).unwrap();
            let css = brand_css(rgb);
            let var = |name: &str| {
                let at = css.find(&format!("--{name}:#")).unwrap() + name.len() + 4;
                parse_hex(&css[at..at + 6]).unwrap()
            };
            assert!(contrast(var("on-brand"), rgb) >= 4.5, "{hex}: {css}");
            assert!(contrast(var("brand-ink"), WHITE) >= 4.5, "{hex}: {css}");
        }
        assert_eq!(
            brand_css(parse_hex("0b6e4f").unwrap()),
            ":root{--brand:#0b6e4f;--on-brand:#ffffff;--brand-ink:#0b6e4f}"
        );
        assert!(parse_hex("0b6e4").is_none() && parse_hex("zzzzzz").is_none());
    }

    #[test]
    fn asset_names_are_unique() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(
                ASSETS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
    }
}
