//! Extractors for the JSON API whose failures are our errors (`query_invalid`, `json_invalid`,
//! `path_invalid`, …) with the parameter at fault in `field`, instead of axum's plain-text
//! rejections: an API client always gets the JSON error shape, in the caller's language.

use std::collections::BTreeSet;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A query string (`?page=2&q=…`); `query_invalid` when it does not fit `T`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Deserialises a query string as [`ApiQuery`] does.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = at_fault(&e.path().to_string(), &e.inner().to_string());
        AppError {
            field,
            detail: Some(e.to_string()),
            ..AppError::bad_request("query_invalid")
        }
    })
}

/// A JSON body; `json_invalid` when it is not JSON or does not fit `T`, `content_type_invalid`
/// without `Content-Type: application/json`, `body_too_large` past the body limit.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        if !json {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type_invalid",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(super::map_body_rejection)?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let v = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = at_fault(&e.path().to_string(), &e.inner().to_string());
            AppError {
                field,
                detail: Some(e.to_string()),
                ..AppError::bad_request("json_invalid")
            }
        })?;
        Ok(ApiJson(v))
    }
}

/// Path parameters (`/communes/{code}/dossiers/{id}`); `path_invalid` when one does not parse
/// (an `id` that is not a number).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => intern(key),
                    // A tuple (`Path<(String, i64)>`) reports the position: name it.
                    ErrorKind::ParseErrorAtIndex { index, .. } => {
                        RawPathParams::from_request_parts(parts, state)
                            .await
                            .ok()
                            .and_then(|raw| raw.iter().nth(*index).and_then(|(k, _)| intern(k)))
                    }
                    _ => None,
                };
                if e.status().is_server_error() {
                    return Err(AppError::internal(e.body_text()));
                }
                Err(AppError {
                    field,
                    detail: Some(e.body_text()),
                    ..AppError::bad_request("path_invalid")
                })
            }
            Err(e) => Err(AppError::internal(e.body_text())),
        }
    }
}

/// The parameter a deserialisation error is about: its path (`page`, `documents[0].name`), or
/// for a missing one the name serde quotes (`missing field `phone``).
fn at_fault(path: &str, message: &str) -> Option<&'static str> {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => intern(name),
        (".", None) => None,
        (p, Some(name)) => intern(&format!("{p}.{name}")),
        (p, None) => intern(p),
    }
}

/// `AppError::field` is `&'static str` (the forms name their fields in code); names that come
/// from a request are kept once here. They are the handlers' own parameter names and paths into
/// their bodies, so few; the cap keeps a client inventing map keys or indexes from growing it.
fn intern(name: &str) -> Option<&'static str> {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    const MAX_NAMES: usize = 512;
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.get(name) {
        return Some(n);
    }
    if names.len() >= MAX_NAMES {
        return None;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    Some(leaked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Q {
        receipt: String,
        phone: String,
        page: Option<u64>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let e = parse_query::<Q>("receipt=").unwrap_err();
        assert_eq!((e.code, e.field), ("query_invalid", Some("phone")));
        let e = parse_query::<Q>("receipt=a&phone=b&page=two").unwrap_err();
        assert_eq!((e.code, e.field), ("query_invalid", Some("page")));
        assert!(parse_query::<Q>("receipt=a&phone=b&page=2").is_ok());
    }

    #[test]
    fn interned_names_are_bounded() {
        assert_eq!(intern("page"), intern("page"));
        assert_eq!(intern(&"x".repeat(65)), None);
        assert_eq!(intern(""), None);
    }
}
