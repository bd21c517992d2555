//! The page for an error, in the reader's language inside the shell: the context middleware
//! (`ctx_layer`) renders every error a page request ends with through it.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::ctx::Ctx;
use super::shell::{Shell, render_status};
use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    shell: Shell,
    status: u16,
    heading: &'static str,
    message: &'static str,
    code: &'static str,
    request_id: String,
}

/// The Vietnamese (or English) page for an error.
pub async fn error_page(state: &AppState, ctx: &Ctx, err: &AppError) -> Response {
    let heading_key = match err.status {
        StatusCode::NOT_FOUND => "error.heading.404",
        StatusCode::FORBIDDEN => "error.heading.403",
        StatusCode::SERVICE_UNAVAILABLE => "error.heading.503",
        s if s.is_server_error() => "error.heading.500",
        _ => "error.heading.400",
    };
    // When the commune's data is out of reach, its page frame (which reads its alerts) is too.
    let reachable = err.status != StatusCode::SERVICE_UNAVAILABLE;
    let commune = ctx
        .path
        .strip_prefix("/c/")
        .filter(|_| reachable)
        .and_then(|r| r.split('/').next())
        .and_then(|c| state.communes.active(c).ok());
    let shell = Shell::new(state, ctx, commune, ctx.tr().get(heading_key)).await;
    let page = ErrorPage {
        status: err.status.as_u16(),
        heading: ctx.tr().get(heading_key),
        message: err.message(ctx.locale),
        code: err.code,
        request_id: ctx.request_id.clone(),
        shell,
    };
    render_status(err.status, &page)
}
