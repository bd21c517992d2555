//! Following a report by its receipt code (what `model::sight` allows the reader), its photos,
//! the reporter's rating, and the reporter's own list.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use super::{EventRow, Row, cat_of, event_rows, row};
use crate::actions;
use crate::model::{self, Sight, Status};
use crate::receipt;
use crate::store;

#[derive(Template)]
#[template(path = "fb_follow.html")]
struct FollowPage {
    shell: Shell,
    code: String,
    f: Row,
    /// The text and place are the reporter's and the officials' only (see `model::sight`).
    withheld: bool,
    photos: Vec<i64>,
    events: Vec<EventRow>,
    may_rate: bool,
    merged_into: Option<String>,
    error: Option<String>,
    /// Just sent by this reader: the thank-you card with the receipt and what happens next.
    thanks: Option<Thanks>,
}

/// What the reporter reads right after sending: the receipt to keep, and by when the commune
/// answers (the category's deadline).
pub struct Thanks {
    receipt: String,
    /// The answer deadline, as a Vietnamese date.
    due: String,
    /// "5 ngày" style: the category's handling time.
    days: i64,
}

/// How the follow page is reached: plainly, right after sending (the thank-you card), or
/// again with a refusal (a rating that was not accepted).
enum Visit<'a> {
    Plain,
    JustSent,
    Refused(&'a AppError),
}

/// The follow page shows what [`crate::model::sight`] allows this reader, found through the
/// throttled [`receipt::look_up`] every door shares.
async fn follow_page(
    state: &AppState,
    ctx: &Ctx,
    guard: &receipt::Guard,
    ip: std::net::IpAddr,
    c: Arc<CommuneInfo>,
    receipt: &str,
    visit: Visit<'_>,
) -> AppResult<Response> {
    let (err, sent) = match visit {
        Visit::Refused(e) => (Some(e), false),
        Visit::JustSent => (None, true),
        Visit::Plain => (None, false),
    };
    let found = receipt::look_up(&state.db, guard, ip, &c, receipt, ctx.user.as_deref()).await?;
    let sight = found.sight;
    let cat = found.category().cloned().ok_or_else(AppError::not_found)?;
    let f = receipt::redacted(found.report, sight);
    let is_reporter = ctx
        .user
        .as_ref()
        .is_some_and(|u| f.reporter_user_id == Some(u.id));
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    let may_rate = ctx
        .user
        .as_ref()
        .is_some_and(|u| model::may_rate(f.reporter_user_id, u.id, status, f.rating.is_some()));
    let merged_into = match f.merged_into_id {
        Some(id) => Some(store::by_id(&state.db, &c.code, id).await?.receipt_code),
        None => None,
    };
    let photos = if sight >= Sight::Public {
        store::photos(&state.db, f.id).await?
    } else {
        vec![]
    };
    let events = event_rows(state, ctx, &f, false).await?;
    let thanks = (sent && is_reporter).then(|| Thanks {
        receipt: f.receipt_code.clone(),
        due: kernel::time::vn_date(f.due_at)
            .format("%d/%m/%Y")
            .to_string(),
        days: (f.due_at - f.created_at).num_days().max(1),
    });
    let title = if thanks.is_some() {
        ctx.tr().get("fb.thanks_title")
    } else {
        ctx.tr().get("fb.follow")
    };
    let shell = Shell::new(state, ctx, Some(c.clone()), title).await;
    Ok(render_for(
        err,
        &FollowPage {
            shell,
            code: c.code.clone(),
            f: row(ctx, &f, Some(&cat), is_reporter),
            withheld: sight < Sight::Public,
            photos,
            events,
            may_rate,
            merged_into,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            thanks,
        },
    ))
}

#[derive(Deserialize)]
pub(super) struct FollowQuery {
    #[serde(default)]
    receipt: Option<String>,
    /// Set by the redirect after sending: show the thank-you card.
    #[serde(default)]
    sent: Option<String>,
}

pub(super) async fn follow(
    State(state): State<AppState>,
    Extension(guard): Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(q): Query<FollowQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    // The board's "follow a report" box submits ?receipt=… to /feedback/find.
    if receipt == "find" {
        let r = q.receipt.unwrap_or_default();
        return Ok(Redirect::to(&format!(
            "/c/{}/feedback/{}",
            c.code,
            kernel::web::ctx::urlencode(r.trim())
        ))
        .into_response());
    }
    let ip = kernel::web::ops::client_ip(&ext);
    let visit = if q.sent.is_some() {
        Visit::JustSent
    } else {
        Visit::Plain
    };
    follow_page(&state, &ctx, &guard, ip, c, &receipt, visit).await
}

#[derive(Deserialize)]
pub(super) struct RateForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

pub(super) async fn rate(
    State(state): State<AppState>,
    Extension(guard): Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.user()?;
    let stars = f.rating.trim().parse::<i32>().unwrap_or(0);
    let res = actions::feedback::rate(state.kernel(), ctx.actor(), &c, &receipt, stars, &f.comment)
        .await
        .map_err(AppError::from);
    match res {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/feedback/{receipt}", c.code)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let ip = kernel::web::ops::client_ip(&ext);
            follow_page(&state, &ctx, &guard, ip, c, &receipt, Visit::Refused(&e)).await
        }
        Err(e) => Err(e),
    }
}

/// A report's photo, for whoever may read the report's text ([`Sight::Public`] and above).
pub(super) async fn photo(
    State(state): State<AppState>,
    Extension(guard): Extension<receipt::Guard>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt, att)): Path<(String, String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let ip = kernel::web::ops::client_ip(&ext);
    let found = receipt::look_up(&state.db, &guard, ip, &c, &receipt, ctx.user.as_deref()).await?;
    if found.sight < Sight::Public
        || !store::photos(&state.db, found.report.id)
            .await?
            .contains(&att)
    {
        return Err(AppError::not_found());
    }
    let a = state.files.find(&state.db, &c.code, att).await?;
    let bytes = state.files.read(&state.db, &a).await?;
    Ok((
        [
            (header::CONTENT_TYPE, a.mime),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "fb_mine.html")]
struct MinePage {
    shell: Shell,
    code: String,
    rows: Vec<Row>,
}

pub(super) async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let rows = store::mine(&state.db, &c.code, u.id)
        .await?
        .iter()
        .map(|f| row(&ctx, f, cat_of(&cats, f.category_id), false))
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("fb.mine")).await;
    Ok(render(&MinePage {
        shell,
        code: c.code.clone(),
        rows,
    }))
}
