//! The Content-Security-Policy every HTML page is sent with: scripts, styles, fonts and
//! connections from the platform itself only, no inline scripts or event handlers, no inline
//! styles, images from the platform (plus `data:`/`blob:` for previews and the map's tile host
//! when `map_tiles` is set), no framing, forms posting only back to the platform.
//!
//! Templates and static scripts follow from this: behaviour lives in `/static/*.js` and is
//! wired with `addEventListener`, colours a template must set per commune go through a
//! stylesheet (`/static/brand/{hex}.css`) or the CSSOM, never a `style="…"` attribute.

use axum::http::{HeaderValue, Response, header};

use crate::config::Config;

/// The policy for this deployment's configuration.
pub fn policy(config: &Config) -> String {
    let mut img = String::from("'self' data: blob:");
    if let Some(tiles) = tile_source(&config.map_tiles) {
        img.push(' ');
        img.push_str(&tiles);
    }
    [
        "default-src 'self'".to_owned(),
        "script-src 'self'".to_owned(),
        "style-src 'self'".to_owned(),
        format!("img-src {img}"),
        "font-src 'self'".to_owned(),
        "connect-src 'self'".to_owned(),
        "media-src 'self' blob:".to_owned(),
        "worker-src 'self'".to_owned(),
        "manifest-src 'self'".to_owned(),
        "object-src 'none'".to_owned(),
        "base-uri 'self'".to_owned(),
        "form-action 'self'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ]
    .join("; ")
}

/// The source expression that admits the configured tile URL template, e.g.
/// `https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png` gives `https://*.tile.openstreetmap.org`.
/// A template on the platform itself (a path) needs nothing; one whose host cannot be written
/// as a source expression falls back to its scheme, so the map still draws.
fn tile_source(template: &str) -> Option<String> {
    let t = template.trim();
    let (scheme, rest) = t.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or(host);
    let wild = match host.strip_prefix("{s}.") {
        Some(h) => format!("*.{h}"),
        None => host.to_owned(),
    };
    let plain = !wild.is_empty()
        && wild.trim_start_matches("*.").bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || b == b'.'
                || b == b'-'
                || b == b':'
                || b == b'['
                || b == b']'
        });
    Some(if plain {
        format!("{scheme}://{}", wild.to_ascii_lowercase())
    } else {
        format!("{scheme}:")
    })
}

/// The header value for `res` when it is an HTML page (other responses need none).
pub fn for_html<B>(value: HeaderValue) -> impl Fn(&Response<B>) -> Option<HeaderValue> + Clone {
    move |res: &Response<B>| {
        res.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/html")
            })
            .then(|| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_hosts_become_source_expressions() {
        let osm = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png";
        assert_eq!(
            tile_source(osm).as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_source("http://127.0.0.1:8081/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(
            tile_source("https://tiles-{s}.example/{z}/{x}/{y}.png").as_deref(),
            Some("https:")
        );
        // A quote or a semicolon cannot end the directive and start another.
        assert_eq!(
            tile_source("https://a;script-src *'/x").as_deref(),
            Some("https:")
        );
        assert_eq!(tile_source("/tiles/{z}/{x}/{y}.png"), None);
        assert_eq!(tile_source(""), None);
        assert_eq!(tile_source("javascript://x"), None);
    }

    #[test]
    fn policy_has_every_directive() {
        let p = policy(&Config::default());
        for d in [
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'self'",
            "object-src 'none'",
        ] {
            assert!(p.contains(d), "{d} missing from {p}");
        }
        assert!(!p.contains("unsafe-inline") && !p.contains("unsafe-eval"));
        let with_tiles = policy(&Config {
            map_tiles: "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            ..Config::default()
        });
        assert!(
            with_tiles.contains("img-src 'self' data: blob: https://*.tile.openstreetmap.org;")
        );
    }
}
