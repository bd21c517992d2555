//! The request context: who is asking, in which language and font size, with which CSRF
//! token. The middleware that builds it and renders errors is `ctx_layer`, above the shell.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::accounts::{CurrentUser, Role, access};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Tr};
use crate::tenancy::CommuneInfo;

pub const SESSION_COOKIE: &str = "xaso_session";
pub const CSRF_COOKIE: &str = "xaso_csrf";
pub const LANG_COOKIE: &str = "xaso_lang";
pub const FONT_COOKIE: &str = "xaso_font";

// CSRF tokens (see `csrf`): the HMAC of the cookie's nonce under the server secret, minted
// for each request's context here and checked against what a form or an API call presents.

/// The header an API call (or a script) presents the CSRF token in.
pub const HEADER: &str = "x-csrf-token";

pub fn token_for(secret: &[u8], nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn verify(secret: &[u8], nonce: &str, presented: &str) -> bool {
    !nonce.is_empty()
        && token_for(secret, nonce)
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
}

#[derive(Clone)]
pub struct Ctx {
    pub locale: Locale,
    /// Font size step chosen by the reader: 0 normal, 1 large, 2 larger.
    pub font: u8,
    pub user: Option<Arc<CurrentUser>>,
    /// The raw session cookie, so logging out can delete it.
    pub session_token: Option<String>,
    pub csrf_token: String,
    pub(super) csrf_nonce: String,
    pub(super) secret: Arc<[u8]>,
    pub host: Option<String>,
    pub path: String,
    pub request_id: String,
    /// The message the previous action left for this page ([`super::flash`]).
    pub flash: Option<super::flash::Flash>,
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        Tr(self.locale)
    }

    pub fn csrf_ok(&self, presented: &str) -> bool {
        verify(&self.secret, &self.csrf_nonce, presented)
    }

    pub fn user(&self) -> AppResult<&CurrentUser> {
        access::signed_in(self.user.as_deref())
    }

    /// The signed-in user if they work for (or oversee) this commune.
    pub fn staff(&self, c: &CommuneInfo) -> AppResult<&CurrentUser> {
        access::staff(self.user.as_deref(), c)
    }

    /// The signed-in user if they hold one of `roles` reaching this commune.
    pub fn with_role(&self, c: &CommuneInfo, roles: &[Role]) -> AppResult<&CurrentUser> {
        access::with_role(self.user.as_deref(), c, roles)
    }

    pub fn system_admin(&self) -> AppResult<&CurrentUser> {
        access::system_admin(self.user.as_deref())
    }

    /// The signed-in user, for use cases that decide themselves what an actor may do.
    pub fn actor(&self) -> Option<&CurrentUser> {
        self.user.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::internal("context middleware missing"))
    }
}

pub use super::cookies::{cookie, set_cookie};

pub fn urlencode(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_binds_nonce_and_secret() {
        let t = token_for(b"secret", "nonce");
        assert!(verify(b"secret", "nonce", &t));
        assert!(!verify(b"secret", "other", &t));
        assert!(!verify(b"other", "nonce", &t));
        assert!(!verify(b"secret", "", &token_for(b"secret", "")));
    }
}
