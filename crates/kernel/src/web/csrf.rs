//! CSRF protection: a random nonce in a cookie, and forms carry its HMAC under the server
//! secret. A page on another site can neither read the cookie nor compute the token. The
//! token is minted and checked by the request context (`ctx`, which every request passes
//! through); this module holds the form extractor that checks it first.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::ctx::{Ctx, HEADER};
use crate::error::AppError;

pub const FIELD: &str = "csrf";
#[derive(serde::Deserialize)]
struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

/// A URL-encoded form whose CSRF token has been checked before anything else is looked at.
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req
            .extensions()
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::internal("no ctx"))?;
        let header_token = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(super::map_body_rejection)?;
        let form_token = serde_urlencoded::from_bytes::<TokenOnly>(&bytes)
            .map(|t| t.csrf)
            .unwrap_or_default();
        let presented = if form_token.is_empty() {
            header_token.unwrap_or_default()
        } else {
            form_token
        };
        if !ctx.csrf_ok(&presented) {
            return Err(AppError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf_invalid",
            ));
        }
        serde_urlencoded::from_bytes::<T>(&bytes)
            .map(CsrfForm)
            .map_err(|e| AppError {
                detail: Some(e.to_string()),
                ..AppError::bad_request("form_invalid")
            })
    }
}
