//! Sending a report from the page: the form (with the offline draft box), its photos, and the
//! form again with the refusal beside its field.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::accounts::CurrentUser;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, Parts, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render_for};

use super::{MapConf, map_conf};
use crate::actions;
use crate::model;
use crate::store::{self, NewFeedback};

#[derive(Template)]
#[template(path = "fb_new.html")]
struct NewPage {
    shell: Shell,
    code: String,
    categories: Vec<(String, String, String)>,
    villages: Vec<(i64, String)>,
    values: std::collections::BTreeMap<String, String>,
    error: Option<String>,
    error_field: String,
    map: MapConf,
    photos_max: usize,
    /// Largest upload, so the offline draft box keeps no more photos than could be sent.
    max_upload_bytes: u64,
}

impl NewPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    values: std::collections::BTreeMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.user()?;
    let categories = store::categories(&state.db, &c.code, false)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name, c.description))
        .collect();
    let villages = kernel::tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let map = map_conf(state, &c.code).await?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("fb.new")).await;
    Ok(render_for(
        err,
        &NewPage {
            shell,
            code: c.code.clone(),
            categories,
            villages,
            values,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            error_field: err.and_then(|e| e.field).unwrap_or_default().to_owned(),
            map,
            photos_max: model::PHOTOS_MAX,
            max_upload_bytes: state.config.max_upload_bytes as u64,
        },
    ))
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    new_page(&state, &ctx, c, Default::default(), None).await
}

fn new_from_parts(parts: &Parts, u: &CurrentUser) -> AppResult<NewFeedback> {
    let field = |k: &str| parts.fields.get(k).cloned().unwrap_or_default();
    let invalid = |(code, f): model::Invalid| AppError::invalid(code, f);
    let village_id = match field("village_id").trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| AppError::invalid("village_unknown", "village_id"))?,
        ),
    };
    Ok(NewFeedback {
        category_code: field("category"),
        text: field("text"),
        anonymous: field("anonymous") == "on" || field("anonymous") == "true",
        reporter: Some(u.id),
        reporter_name: Some(u.full_name.clone()),
        reporter_phone: u.phone.clone(),
        reporter_email: u.email.clone(),
        lat: model::parse_coordinate(&field("lat")).map_err(invalid)?,
        lon: model::parse_coordinate(&field("lon")).map_err(invalid)?,
        village_id,
        address: field("address"),
        source: "web",
    })
}

pub(super) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let u = ctx.user()?;
    let parts = read_multipart(mp).await?;
    let res = async {
        let nf = new_from_parts(&parts, u)?;
        let photos: Vec<_> = parts
            .files
            .iter()
            .filter(|(f, _, _)| f == "photos")
            .cloned()
            .collect();
        Ok::<_, AppError>(actions::feedback::submit(state.kernel(), &c, nf, photos).await?)
    }
    .await;
    match res {
        Ok(f) => Ok(
            Redirect::to(&format!("/c/{}/feedback/{}?sent=1", c.code, f.receipt_code))
                .into_response(),
        ),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            new_page(&state, &ctx, c, parts.fields, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}
