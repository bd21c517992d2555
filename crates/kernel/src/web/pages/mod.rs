//! The kernel's own pages: home and portal, sign-up and sign-in, profile and inbox, the back
//! office frame with villages, staff, audit and branding, and the system admin's communes.

pub(crate) mod admin;
pub(crate) mod auth;
mod branding;
pub(crate) mod holidays;
pub(crate) mod map_area;
mod me;
pub(crate) mod office;
pub(crate) mod otp;
pub(crate) mod payments;
pub(crate) mod prefs;
mod public;
mod styleguide;
mod today;

pub use office::nav as office_nav;
pub use public::{FactsCache, HomeFacts};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::ctx::{Ctx, FONT_COOKIE, LANG_COOKIE, set_cookie};
use crate::error::AppError;
use crate::i18n::Locale;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(public::root))
        .route("/units", get(public::units))
        .route("/c/{code}", get(public::home))
        .route("/c/{code}/logo", get(public::logo))
        .route("/prefs", get(prefs))
        .route("/styleguide", get(styleguide::page))
        .route("/register", get(auth::register_form).post(auth::register))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(me::profile).post(me::update_profile))
        .route("/me/password", post(me::change_password))
        .route("/me/tokens", post(me::create_token))
        .route("/me/tokens/{id}/revoke", post(me::revoke_token))
        .route("/inbox", get(me::inbox))
        .route("/inbox/read-all", post(me::read_all))
        .route("/inbox/{id}/read", post(me::read_one))
        .route("/c/{code}/office", get(today::dashboard))
        .route(
            "/c/{code}/office/villages",
            get(office::villages).post(office::add_village),
        )
        .route("/c/{code}/office/villages/{id}", post(office::edit_village))
        .route("/c/{code}/office/map-area", post(map_area::save))
        .route("/c/{code}/map-area.geojson", get(map_area::geojson))
        .route(
            "/c/{code}/office/villages/{id}/delete",
            post(office::delete_village),
        )
        .route(
            "/c/{code}/office/staff",
            get(office::staff).post(office::add_staff),
        )
        .route(
            "/c/{code}/office/staff/{grant}/revoke",
            post(office::revoke_staff),
        )
        .route("/c/{code}/office/audit", get(office::audit))
        .route(
            "/c/{code}/office/branding",
            get(branding::branding).post(branding::save_branding),
        )
        .route("/admin", get(admin::page))
        .route("/admin/communes", post(admin::activate))
        .route(
            "/admin/communes/{code}/deactivate",
            get(admin::confirm_deactivate).post(admin::deactivate),
        )
        .route("/admin/communes/{code}/admin", post(admin::add_admin))
        .route("/admin/communes/{code}/district", post(admin::set_district))
        .route("/admin/districts", post(admin::add_district))
        .merge(otp::router())
        .merge(holidays::router())
        .merge(payments::router())
        .merge(prefs::router())
}

#[derive(Deserialize)]
struct Prefs {
    font: Option<u8>,
    lang: Option<String>,
    back: Option<String>,
}

/// Font size and language switches: plain links that set a cookie, so they work without JS.
async fn prefs(State(state): State<AppState>, Query(p): Query<Prefs>) -> Response {
    let back = safe_next(p.back.as_deref());
    let mut res = Redirect::to(&back).into_response();
    let secure = state.config.cookies_secure();
    if let Some(f) = p.font {
        res.headers_mut().append(
            SET_COOKIE,
            set_cookie(
                FONT_COOKIE,
                &f.min(2).to_string(),
                31_536_000,
                false,
                secure,
            ),
        );
    }
    if let Some(l) = p.lang.as_deref().and_then(Locale::parse) {
        res.headers_mut().append(
            SET_COOKIE,
            set_cookie(LANG_COOKIE, l.code(), 31_536_000, false, secure),
        );
    }
    res
}

/// Only same-origin paths are followed after login or a preference change (no open redirects).
///
/// The candidate is judged as a browser would read it: WHATWG URL parsing drops tab, CR and LF
/// anywhere and C0 controls and spaces at either end, and reads `\` as `/`, so `/\t/evil.example`
/// and `/\\evil.example` are really `//evil.example`, another host. So the candidate is resolved
/// against a dummy origin with the same parser (`url`), kept only if the origin did not change,
/// and re-emitted in normalised form (path and query, percent-encoded, no controls), which a
/// browser cannot read differently.
pub fn safe_next(next: Option<&str>) -> String {
    const BASE: &str = "http://xaso.invalid/";
    let fallback = || "/".to_owned();
    let Some(n) = next else {
        return fallback();
    };
    let Ok(base) = url::Url::parse(BASE) else {
        return fallback();
    };
    let Ok(u) = base.join(n) else {
        return fallback();
    };
    if u.origin() != base.origin() || !u.username().is_empty() || u.password().is_some() {
        return fallback();
    }
    let mut out = u.path().to_owned();
    if let Some(q) = u.query() {
        out.push('?');
        out.push_str(q);
    }
    // A path that normalises to `//host` (e.g. `/.//evil.example`) is a network-path reference
    // once it stands alone in a Location header.
    if !out.starts_with('/') || out.starts_with("//") {
        return fallback();
    }
    out
}

/// The message to show above a form for a validation error.
pub fn form_error(ctx: &Ctx, e: &AppError) -> String {
    e.message(ctx.locale).to_owned()
}

/// Local date and time in Vietnam (UTC+7), as officials read it.
pub fn vn_time(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::time::vn_datetime_text(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/me")), "/me");
        assert_eq!(safe_next(Some("/c/17071?x=1&y=2")), "/c/17071?x=1&y=2");
        assert_eq!(
            safe_next(Some("/c/17071/feedback#map")),
            "/c/17071/feedback"
        );
        assert_eq!(safe_next(Some("/a/../inbox")), "/inbox");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("")), "/");
        // Non-ASCII and spaces come out percent-encoded, so the header is plain ASCII.
        assert_eq!(safe_next(Some("/tìm kiếm")), "/t%C3%ACm%20ki%E1%BA%BFm");
        for evil in [
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "http:evil.example",
            "HTTPS://evil.example/",
            "/\\evil.example",
            "\\evil.example",
            "/\\/evil.example",
            "\\/evil.example",
            "/\t/evil.example/",
            "/\t\t/evil.example/",
            "\t//evil.example",
            "/\r/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\n//evil.example",
            " //evil.example",
            "\u{0}//evil.example",
            "\u{1f}//evil.example",
            "/\t\\evil.example",
            "/.//evil.example",
            "/./\\evil.example",
            "/x/..//evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "//xaso.invalid@evil.example",
            "http://xaso.invalid@evil.example/",
            "http://user:pw@xaso.invalid/",
            "//evil.example:80",
            "/%09/evil.example",
        ] {
            let got = safe_next(Some(evil));
            // Whatever comes out stays on the host that sent it, read by the browser's parser.
            let victim = url::Url::parse("https://victim.example/login").unwrap();
            let followed = victim.join(&got).unwrap();
            assert_eq!(followed.origin(), victim.origin(), "{evil:?} -> {got:?}");
            assert!(!got.starts_with("//"), "{evil:?} -> {got:?}");
            assert!(
                !got.chars().any(|c| c.is_control() || c == '\\'),
                "{evil:?} -> {got:?}"
            );
            assert!(got.starts_with('/'), "{evil:?} -> {got:?}");
        }
    }
}
