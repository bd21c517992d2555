//! The officials' side: the triage inbox (what each may see) and one report's desk with the
//! steps the rules allow them.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use kernel::accounts::Role;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use super::{EventRow, MapConf, Row, cat_of, event_rows, map_conf, row};
use crate::actions::{self, feedback::Step};
use crate::model::{self, Action, Status};
use crate::store::{self, TriageFilter};

#[derive(Template)]
#[template(path = "fb_triage.html")]
struct TriagePage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<Row>,
    total: u64,
    statuses: Vec<(&'static str, String)>,
    categories: Vec<(String, String)>,
    f: TriageFilter,
    figures: store::Figures,
}

pub(super) async fn triage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(f): Query<TriageFilter>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let a = store::actor(u, &c);
    let now = Utc::now();
    let (list, total) = store::triage(&state.db, &c.code, &a, &cats, &f, now).await?;
    let rows = list
        .iter()
        .map(|x| row(&ctx, x, cat_of(&cats, x.category_id), true))
        .collect();
    let figures = store::figures(&state.db, &c.code, now).await?;
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("fb.triage")).await;
    Ok(render(&TriagePage {
        shell,
        active: "feedback",
        code: c.code.clone(),
        rows,
        total,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), ctx.tr().get(&s.label_key()).to_owned()))
            .collect(),
        categories: cats.into_iter().map(|c| (c.code, c.name)).collect(),
        f,
        figures,
    }))
}

#[derive(Template)]
#[template(path = "fb_desk.html")]
struct DeskPage {
    shell: Shell,
    active: &'static str,
    code: String,
    f: Row,
    photos: Vec<i64>,
    events: Vec<EventRow>,
    actions: Vec<(&'static str, String, bool)>,
    handlers: Vec<(i64, String)>,
    department: String,
    merged_into: Option<String>,
    error: Option<String>,
    map: MapConf,
    lat: String,
    lon: String,
}

async fn desk_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: i64,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let f = store::by_id(&state.db, &c.code, id).await?;
    let cats = store::categories(&state.db, &c.code, true).await?;
    let cat = cat_of(&cats, f.category_id).ok_or_else(AppError::not_found)?;
    let a = store::actor(u, &c);
    if !model::may_see(&a, &store::report(&f, cat)) {
        return Err(AppError::forbidden());
    }
    let status = Status::parse(&f.status).unwrap_or(Status::New);
    let actions = Action::ALL
        .into_iter()
        .filter(|x| model::check(&a, &store::report(&f, cat), *x, status).is_ok())
        .map(|x| {
            (
                x.as_str(),
                ctx.tr().get(&x.label_key()).to_owned(),
                x.needs_note(),
            )
        })
        .collect();
    let handlers = kernel::accounts::staff_of(&state.db, &c.code)
        .await?
        .into_iter()
        .filter(|(g, _)| Role::parse(&g.role).is_some_and(|r| model::HANDLERS.contains(&r)))
        .map(|(g, s)| {
            let dept = g.department.map(|d| format!(" · {d}")).unwrap_or_default();
            (s.id, format!("{}{dept}", s.full_name))
        })
        .fold(Vec::<(i64, String)>::new(), |mut acc, h| {
            if !acc.iter().any(|x| x.0 == h.0) {
                acc.push(h);
            }
            acc
        });
    let merged_into = match f.merged_into_id {
        Some(mid) => Some(store::by_id(&state.db, &c.code, mid).await?.receipt_code),
        None => None,
    };
    let photos = store::photos(&state.db, f.id).await?;
    let events = event_rows(state, ctx, &f, true).await?;
    let map = map_conf(state, &c.code).await?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("fb.triage")).await;
    Ok(render_for(
        err,
        &DeskPage {
            shell,
            active: "feedback",
            code: c.code.clone(),
            department: f.department.clone().unwrap_or_default(),
            lat: f.lat.map(|x| x.to_string()).unwrap_or_default(),
            lon: f.lon.map(|x| x.to_string()).unwrap_or_default(),
            f: row(ctx, &f, Some(cat), true),
            photos,
            events,
            actions,
            handlers,
            merged_into,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            map,
        },
    ))
}

pub(super) async fn desk_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    desk_page(&state, &ctx, c, id, None).await
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub assignee_id: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub merge_into: String,
}

impl StepForm {
    pub fn step(&self) -> AppResult<Step<'_>> {
        let action = Action::parse(&self.action)
            .ok_or_else(|| AppError::invalid("action_unknown", "action"))?;
        let assignee_id = match self.assignee_id.trim() {
            "" => None,
            v => Some(
                v.parse()
                    .map_err(|_| AppError::invalid("assignee_invalid", "assignee_id"))?,
            ),
        };
        Ok(Step {
            action,
            version: self.version,
            note: Some(self.note.as_str()),
            assignee_id,
            department: Some(self.department.as_str()),
            merge_into: Some(self.merge_into.as_str()),
        })
    }
}

pub(super) async fn desk_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, model::HANDLERS)?;
    let res = match form.step() {
        Ok(step) => actions::feedback::step(state.kernel(), Some(u), &c, id, step)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match res {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/feedback/{id}", c.code)).into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::NOT_FOUND
                && e.status != StatusCode::FORBIDDEN =>
        {
            desk_page(&state, &ctx, c, id, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}
