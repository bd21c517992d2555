//! One error type for every layer above the database, mapped once to HTTP.
//!
//! Each error carries a stable machine code (`phone_invalid`, `csrf_invalid`, …) that API
//! clients can rely on, and its message comes from the i18n catalogue under `error.<code>`.
//! The response carries the error as an extension; the web shell turns it into a Vietnamese
//! HTML page for browsers or a JSON body for `/api` clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::i18n::{Locale, t};

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} ({status})")]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    /// The form field at fault, so the form can show the message beside it.
    pub field: Option<&'static str>,
    /// Extra detail for logs, never shown to users.
    pub detail: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

/// The codes of the constructors below, which any room may answer with.
pub const CODES: &[&str] = &[
    "forbidden",
    "other_commune",
    "unauthenticated",
    "not_found",
    "internal",
    "unavailable",
];

/// What kind of refusal a use case's error is, without naming HTTP: the use cases'
/// error enums (`actions::Refusal`, the rooms' own) say which kind each code is, and
/// [`AppError::refused`] maps the kind to a status here, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The input is wrong: 422, shown beside the field.
    Invalid,
    /// The input clashes with what is stored: 409.
    Conflict,
    /// The person may not do this: 403.
    Forbidden,
    /// The thing is not there (or not theirs to see): 404.
    NotFound,
    /// Too many attempts: 429.
    Throttled,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        AppError {
            status,
            code,
            field: None,
            detail: None,
        }
    }
    pub fn invalid(code: &'static str, field: &'static str) -> Self {
        AppError {
            field: Some(field),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, code)
        }
    }
    /// A use case's refusal, mapped to its HTTP status.
    pub fn refused(kind: Refused, code: &'static str, field: Option<&'static str>) -> Self {
        let status = match kind {
            Refused::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Refused::Conflict => StatusCode::CONFLICT,
            Refused::Forbidden => StatusCode::FORBIDDEN,
            Refused::NotFound => StatusCode::NOT_FOUND,
            Refused::Throttled => StatusCode::TOO_MANY_REQUESTS,
        };
        AppError {
            field,
            ..Self::new(status, code)
        }
    }
    pub fn bad_request(code: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code)
    }
    pub fn conflict(code: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code)
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden")
    }
    pub fn other_commune() -> Self {
        Self::new(StatusCode::FORBIDDEN, "other_commune")
    }
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        AppError {
            detail: Some(detail.to_string()),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }

    pub fn message(&self, locale: Locale) -> &'static str {
        t(locale, &format!("error.{}", self.code))
    }

    pub fn body(&self, locale: Locale) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message(locale).to_owned(),
                field: self.field.map(str::to_owned),
            },
        }
    }
}

/// The JSON shape of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `phone_invalid`.
    pub code: String,
    /// Human-readable message in the request's language (Vietnamese by default).
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if out_of_reach(&e) {
            return AppError {
                detail: Some(e.to_string()),
                ..AppError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            };
        }
        AppError::internal(e)
    }
}

/// The data could not be reached rather than the request being wrong: no connection to be had
/// (or too many already), the connection lost, a statement cancelled by its timeout, the
/// server shutting down, or (on Citus) the worker holding the commune's shards not answering
/// (SQLSTATE class 08, but not 08P01, a protocol violation: a bug). Such a request may well
/// work in a few minutes. A statement cancelled because it always runs too long is a bug that
/// shows as 503 too; its detail is logged with the error.
fn out_of_reach(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return false,
    };
    match &**sqlx {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(d) => d.code().is_some_and(|c| {
            (c.starts_with("08") && c != "08P01")
                || matches!(&*c, "53300" | "57014" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, detail = ?self.detail, "request failed");
        }
        let mut res = (self.status, axum::Json(self.body(Locale::Vi))).into_response();
        res.extensions_mut().insert(self);
        res
    }
}
