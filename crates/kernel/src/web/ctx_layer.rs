//! The context middleware: builds each request's [`Ctx`] (who, language, font size, CSRF
//! token), enforces CSRF on cookie-authenticated API writes, and turns errors into pages in the
//! reader's language (or JSON for programs). It sits above the shell, since an error page is a
//! page; `ctx` holds the context itself, which the shell and every handler read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, SET_COOKIE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::ctx::{
    CSRF_COOKIE, Ctx, FONT_COOKIE, HEADER, LANG_COOKIE, SESSION_COOKIE, cookie, set_cookie,
    token_for, urlencode,
};
use crate::accounts::{self, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/open311/")
}

async fn resolve_user(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> AppResult<(Option<Arc<CurrentUser>>, bool)> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (secret, via_token) = match (bearer, cookie(headers, SESSION_COOKIE)) {
        (Some(tok), _) => (tok, true),
        (None, Some(tok)) => (tok, false),
        (None, None) => return Ok((None, false)),
    };
    if let Some(u) = state.auth_cache.get(secret, via_token) {
        return Ok((Some(u), via_token));
    }
    let generation = state.auth_cache.generation();
    let (user_id, valid_for) = if via_token {
        match accounts::token_user(&state.db, secret).await? {
            Some(id) => (Some(id), None),
            None => return Err(AppError::new(StatusCode::UNAUTHORIZED, "token_invalid")),
        }
    } else {
        match accounts::session_user(&state.db, secret).await? {
            Some((id, expires)) => (Some(id), (expires - chrono::Utc::now()).to_std().ok()),
            None => (None, None),
        }
    };
    let user = match user_id {
        Some(id) => accounts::load_user(&state.db, id).await?.map(Arc::new),
        None => None,
    };
    if let Some(u) = &user {
        state
            .auth_cache
            .put(secret, via_token, u.clone(), valid_for, generation);
    }
    Ok((user, via_token))
}

/// Builds the [`Ctx`], enforces CSRF on cookie-authenticated API writes, and turns errors
/// into Vietnamese pages (or JSON for API clients).
pub async fn context_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers().clone();
    let path = req.uri().path().to_owned();
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(next_request_id);

    // Another process may have changed the communes or the calendar: heard by the bus, read
    // again here before the request uses them (an atomic comparison when nothing changed).
    let reloaded = async {
        state.communes.fresh(&state.db).await?;
        state.calendar.fresh(&state.db).await
    };
    if let Err(e) = reloaded.await {
        tracing::warn!(error = %e, "communes or calendar not reloaded");
    }
    let (user, via_token, auth_error) = match resolve_user(&state, &headers).await {
        Ok((u, t)) => (u, t, None),
        Err(e) => (None, false, Some(e)),
    };
    let locale = cookie(&headers, LANG_COOKIE)
        .and_then(Locale::parse)
        .or_else(|| user.as_ref().and_then(|u| Locale::parse(&u.locale)))
        .unwrap_or_default();
    let font = cookie(&headers, FONT_COOKIE)
        .and_then(|f| f.parse::<u8>().ok())
        .unwrap_or(0)
        .min(2);
    let existing_nonce = cookie(&headers, CSRF_COOKIE)
        .filter(|n| n.len() == 32)
        .map(str::to_owned);
    // API and Open311 clients never post forms: no cookie to set, no token to compute.
    let new_nonce =
        (existing_nonce.is_none() && !is_api(&path)).then(|| accounts::random_token(16));
    let nonce = existing_nonce.or(new_nonce.clone()).unwrap_or_default();
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());

    let ctx = Ctx {
        locale,
        font,
        session_token: if via_token {
            None
        } else {
            cookie(&headers, SESSION_COOKIE).map(str::to_owned)
        },
        user,
        csrf_token: if nonce.is_empty() {
            String::new()
        } else {
            token_for(&state.secret, &nonce)
        },
        csrf_nonce: nonce,
        secret: state.secret.clone(),
        host,
        path: path.clone(),
        request_id: request_id.clone(),
        flash: super::flash::Flash::from_headers(&headers),
    };

    // A page a script fetched and threw away (the draft box sends a draft, follows the
    // redirect, then opens the page for real) has not shown the message to anyone: only a
    // navigation or an htmx swap counts as showing it.
    let seen_by_a_person = headers
        .get("sec-fetch-mode")
        .is_none_or(|m| m.as_bytes() == b"navigate")
        || headers.contains_key("hx-request");
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let api_csrf_failure = is_api(&path)
        && unsafe_method
        && ctx.user.is_some()
        && !via_token
        && !headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| ctx.csrf_ok(t));

    req.extensions_mut().insert(ctx.clone());
    let mut res = if let Some(e) = auth_error {
        e.into_response()
    } else if api_csrf_failure {
        AppError::new(StatusCode::FORBIDDEN, "csrf_invalid").into_response()
    } else {
        next.run(req).await
    };

    res = present_error(&state, &ctx, res).await;
    // A response a shared cache may keep (`Cache-Control: public`) must carry no cookie: the
    // cache would hand this visitor's CSRF nonce (or anything else) to everyone after them.
    // Enforced here, once, for every handler: such responses lose any Set-Cookie, and the
    // CSRF nonce waits for the next page that is not public.
    let shared_cacheable = is_public_cacheable(res.headers());
    if shared_cacheable {
        res.headers_mut().remove(SET_COOKIE);
    }
    if let Some(n) = new_nonce.filter(|_| !shared_cacheable) {
        res.headers_mut().append(
            SET_COOKIE,
            set_cookie(
                CSRF_COOKIE,
                &n,
                60 * 60 * 24 * 365,
                true,
                state.config.cookies_secure(),
            ),
        );
    }
    // A page has shown the message (a redirect passes it on): clear it.
    let shown_on_a_page = res.status() == StatusCode::OK
        && res
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if ctx.flash.is_some() && shown_on_a_page && seen_by_a_person && !shared_cacheable {
        res.headers_mut().append(
            SET_COOKIE,
            super::flash::cleared(state.config.cookies_secure()),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Whether `Cache-Control` lets shared caches store the response (the `public` directive).
fn is_public_cacheable(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("public"))
}

/// Maps bare framework errors (413 from the body limit, 408 from the timeout, 405) to our
/// codes, then renders every error in the reader's language.
async fn present_error(state: &AppState, ctx: &Ctx, res: Response) -> Response {
    let err = match res.extensions().get::<AppError>() {
        Some(e) => e.clone(),
        None => match res.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
            }
            StatusCode::REQUEST_TIMEOUT => AppError::new(StatusCode::REQUEST_TIMEOUT, "timeout"),
            StatusCode::METHOD_NOT_ALLOWED => {
                AppError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "form_invalid")
            }
            // An extractor's plain-text rejection (a page's query or form that does not parse):
            // the API's own extractors name the parameter; this keeps anything else in shape.
            s @ (StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY)
                if is_plain_text(&res) =>
            {
                AppError::new(s, "request_invalid")
            }
            _ => return res,
        },
    };
    let mut out = if is_api(&ctx.path) {
        let mut out = (err.status, axum::Json(err.body(ctx.locale))).into_response();
        if err.status == StatusCode::UNAUTHORIZED {
            out.headers_mut()
                .insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        out
    } else if err.status == StatusCode::UNAUTHORIZED && err.code == "unauthenticated" {
        let next = urlencode(&ctx.path);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    } else {
        super::error_page::error_page(state, ctx, &err).await
    };
    // The data is out of reach for now: clients may ask again in half a minute.
    if err.status == StatusCode::SERVICE_UNAVAILABLE {
        out.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from_static("30"),
        );
    }
    out
}

fn is_plain_text(res: &Response) -> bool {
    res.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"))
}

/// Request ids: a random per-process prefix and a counter, unique without a syscall per request.
fn next_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| accounts::random_token(4));
    format!("{prefix}{:08x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}
