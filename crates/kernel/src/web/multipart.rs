//! Multipart forms (files from phones) and their CSRF token, which travels in the query
//! string because the body is read as a stream.

use std::collections::BTreeMap;

use axum::extract::Multipart;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::web::ctx::Ctx;

pub fn check_csrf(ctx: &Ctx, token: &str) -> AppResult<()> {
    if ctx.csrf_ok(token) {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::FORBIDDEN, "csrf_invalid"))
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfQuery {
    #[serde(default)]
    pub csrf: String,
}

/// A multipart form: text fields by name, files as (field, file name, bytes).
#[derive(Default)]
pub struct Parts {
    pub fields: BTreeMap<String, String>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

pub async fn read_multipart(mut mp: Multipart) -> AppResult<Parts> {
    let mut p = Parts::default();
    let too_big = |e: axum::extract::multipart::MultipartError| {
        // tower-http's body limit surfaces as a stream error deep in the source chain, which
        // axum does not classify as 413: look for it.
        let mut cur: Option<&dyn std::error::Error> = Some(&e);
        let mut limit = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
        while let Some(x) = cur {
            limit |= x.to_string().contains("length limit")
                || x.is::<http_body_util::LengthLimitError>();
            cur = x.source();
        }
        if limit {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        } else {
            AppError {
                detail: Some(e.body_text()),
                ..AppError::bad_request("form_invalid")
            }
        }
    };
    while let Some(f) = mp.next_field().await.map_err(too_big)? {
        let name = f.name().unwrap_or_default().to_owned();
        match f.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = f.bytes().await.map_err(too_big)?;
                if !bytes.is_empty() {
                    p.files.push((name, file_name, bytes.to_vec()));
                }
            }
            None => {
                let v = f.text().await.map_err(too_big)?;
                p.fields.insert(name, v);
            }
        }
    }
    Ok(p)
}
