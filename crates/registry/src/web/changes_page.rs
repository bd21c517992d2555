//! Corrections in the browser: a resident's own household with the form to ask for a
//! correction and the answers so far; the officials' and village heads' list of open
//! requests, each with the current and the proposed values, to accept or refuse.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::flash::{self, Flash};
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use crate::actions::changes::{self, Proposal};
use crate::entity::{change, household};
use crate::model::Internet;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/my-household", get(mine).post(ask))
        .route("/c/{code}/office/households/changes", get(open))
        .route("/c/{code}/office/households/changes/{id}", post(decide))
}

/// A request as a line: what is asked, its status and answer.
pub struct RequestRow {
    pub asked: String,
    pub note: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub answer: String,
    pub when: String,
}

fn internet_word(ctx: &Ctx, i: Internet) -> &'static str {
    ctx.tr().get(&format!("rg.internet.{}", i.as_str()))
}

/// "Địa chỉ: …; Số nhân khẩu: 4" from a proposal.
fn asked(ctx: &Ctx, p: &Proposal) -> String {
    let tr = ctx.tr();
    let mut parts = vec![];
    if let Some(a) = &p.address {
        parts.push(format!("{}: {a}", tr.get("rg.col.address")));
    }
    if let Some(ph) = &p.phone {
        parts.push(format!("{}: {ph}", tr.get("rg.col.phone")));
    }
    if let Some(m) = p.members {
        parts.push(format!("{}: {m}", tr.get("rg.list.members")));
    }
    if let Some(i) = p.internet {
        parts.push(format!(
            "{}: {}",
            tr.get("rg.list.internet"),
            internet_word(ctx, i)
        ));
    }
    if let Some(n) = p.smartphones {
        parts.push(format!("{}: {n}", tr.get("rg.f.smartphones")));
    }
    parts.join("; ")
}

fn row(ctx: &Ctx, r: &change::Model) -> RequestRow {
    let p: Proposal = serde_json::from_str(&r.proposal).unwrap_or_default();
    let (status, tone) = match r.status.as_str() {
        "accepted" => ("rg.change.accepted", "ok"),
        "refused" => ("rg.change.refused", "bad"),
        _ => ("rg.change.open", "info"),
    };
    RequestRow {
        asked: asked(ctx, &p),
        note: r.note.clone(),
        status: ctx.tr().get(status),
        tone,
        answer: r.answer.clone(),
        when: kernel::time::vn_datetime_text(r.created_at),
    }
}

#[derive(Template)]
#[template(path = "rg_mine.html")]
struct MinePage {
    shell: Shell,
    h: Option<household::Model>,
    village: String,
    internet: &'static str,
    requests: Vec<RequestRow>,
    error: Option<String>,
    missing: Option<String>,
}

async fn mine_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    kernel::accounts::access::signed_in(ctx.actor())?;
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("rg.mine")).await;
    let (h, requests, missing) = match changes::mine(state.kernel(), ctx.actor(), &c).await {
        Ok((h, r)) => (Some(h), r, None),
        Err(e) => (
            None,
            vec![],
            Some(AppError::from(e).message(ctx.locale).to_owned()),
        ),
    };
    let names = crate::api::village_names(state, &c.code).await?;
    Ok(render_for(
        err,
        &MinePage {
            shell,
            village: h
                .as_ref()
                .and_then(|h| h.village_id)
                .and_then(|v| names.get(&v).cloned())
                .unwrap_or_default(),
            internet: ctx
                .tr()
                .get(match h.as_ref().and_then(|h| h.internet.as_deref()) {
                    Some("fibre") => "rg.internet.fibre",
                    Some("mobile") => "rg.internet.mobile",
                    Some("none") => "rg.internet.none",
                    _ => "rg.unknown",
                }),
            requests: requests.iter().map(|r| row(ctx, r)).collect(),
            h,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            missing,
        },
    ))
}

async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    mine_view(&state, &ctx, &code, None).await
}

#[derive(Deserialize)]
struct Fields {
    csrf: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

async fn ask(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &f.csrf)?;
    let c = state.communes.active(&code)?;
    let get = |k: &str| {
        f.fields
            .get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let number = |k: &str| get(k).map(|v| v.parse::<i32>().unwrap_or(-1));
    let p = Proposal {
        address: get("address"),
        phone: get("phone"),
        members: number("members"),
        internet: get("internet").and_then(|v| Internet::parse(&v)),
        smartphones: number("smartphones"),
    };
    match changes::request(
        state.kernel(),
        ctx.actor(),
        &c,
        p,
        &get("note").unwrap_or_default(),
    )
    .await
    {
        Ok(_) => Ok(flash::redirect(
            &format!("/c/{}/my-household", c.code),
            Flash::key("flash.rg.change.sent"),
            state.config.cookies_secure(),
        )),
        Err(e) => mine_view(&state, &ctx, &code, Some(&AppError::from(e))).await,
    }
}

pub struct OpenRow {
    pub id: i64,
    pub household_id: i64,
    pub code: String,
    pub head: String,
    pub current: String,
    pub request: RequestRow,
}

#[derive(Template)]
#[template(path = "rg_changes.html")]
struct OpenPage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<OpenRow>,
}

async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let rows = changes::open(state.kernel(), ctx.actor(), &c).await?;
    let tr = ctx.tr();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), tr.get("rg.changes")).await;
    Ok(render(&OpenPage {
        shell,
        active: "households",
        code: c.code.clone(),
        rows: rows
            .iter()
            .map(|(r, h)| {
                let now = Proposal {
                    address: Some(h.address.clone()),
                    phone: h.phone.clone(),
                    members: Some(h.members),
                    internet: h.internet.as_deref().and_then(Internet::parse),
                    smartphones: h.smartphones,
                };
                OpenRow {
                    id: r.id,
                    household_id: h.id,
                    code: h.code.clone(),
                    head: h.head_name.clone(),
                    current: asked(&ctx, &now),
                    request: row(&ctx, r),
                }
            })
            .collect(),
    }))
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &f.csrf)?;
    let c = state.communes.active(&code)?;
    let accept = f.fields.get("decision").is_some_and(|d| d == "accept");
    let answer = f.fields.get("answer").cloned().unwrap_or_default();
    changes::decide(state.kernel(), ctx.actor(), &c, id, accept, &answer).await?;
    Ok(flash::redirect(
        &format!("/c/{}/office/households/changes", c.code),
        Flash::key(if accept {
            "flash.rg.change.done_accept"
        } else {
            "flash.rg.change.done_refuse"
        }),
        state.config.cookies_secure(),
    ))
}
