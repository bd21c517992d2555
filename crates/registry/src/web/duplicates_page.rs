//! The likely-duplicates page: each pair side by side with why it looks like one household,
//! and the official's three answers (keep the left, keep the right, they are two).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use kernel::error::AppResult;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::flash::{self, Flash};
use kernel::web::shell::{Shell, render};
use serde::Deserialize;

use crate::actions::access::EDITORS;
use crate::actions::duplicates::{self, Why};
use crate::entity::household;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/c/{code}/office/households/duplicates",
        get(page).post(decide),
    )
}

pub struct Side {
    pub id: i64,
    pub code: String,
    pub head: String,
    pub born: String,
    pub village: String,
    pub phone: String,
    pub address: String,
}

pub struct Pair {
    /// The older household first.
    pub sides: [Side; 2],
    pub why: &'static str,
}

#[derive(Template)]
#[template(path = "rg_duplicates.html")]
struct DuplicatesPage {
    shell: Shell,
    active: &'static str,
    code: String,
    pairs: Vec<Pair>,
    may_decide: bool,
}

fn side(h: &household::Model, villages: &std::collections::HashMap<i64, String>) -> Side {
    Side {
        id: h.id,
        code: h.code.clone(),
        head: h.head_name.clone(),
        born: h.head_birth_year.map(|y| y.to_string()).unwrap_or_default(),
        village: h
            .village_id
            .and_then(|v| villages.get(&v).cloned())
            .unwrap_or_default(),
        phone: h.phone.clone().unwrap_or_default(),
        address: h.address.clone(),
    }
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let pairs = duplicates::list(state.kernel(), ctx.actor(), &c).await?;
    let villages = crate::api::village_names(&state, &c.code).await?;
    let tr = ctx.tr();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), tr.get("rg.dup")).await;
    Ok(render(&DuplicatesPage {
        shell,
        active: "households",
        code: c.code.clone(),
        pairs: pairs
            .iter()
            .map(|(a, b, why)| Pair {
                sides: [side(a, &villages), side(b, &villages)],
                why: tr.get(match why {
                    Why::SameHead => "rg.dup.same_head",
                    Why::SamePhone => "rg.dup.same_phone",
                }),
            })
            .collect(),
        may_decide: ctx.with_role(&c, EDITORS).is_ok(),
    }))
}

#[derive(Deserialize)]
struct Decision {
    csrf: String,
    /// `merge` or `distinct`.
    action: String,
    keep: i64,
    other: i64,
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(d): Form<Decision>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &d.csrf)?;
    let c = state.communes.active(&code)?;
    let done = if d.action == "merge" {
        duplicates::merge(state.kernel(), ctx.actor(), &c, d.keep, d.other).await?;
        "flash.rg.dup.merged"
    } else {
        duplicates::dismiss(state.kernel(), ctx.actor(), &c, d.keep, d.other).await?;
        "flash.rg.dup.distinct"
    };
    Ok(flash::redirect(
        &format!("/c/{}/office/households/duplicates", c.code),
        Flash::key(done),
        state.config.cookies_secure(),
    ))
}
