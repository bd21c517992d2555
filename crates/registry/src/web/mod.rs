//! The register's back-office pages: the households list (search without accents, by
//! village, paged) and one household with its members and the history of its attributes.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use kernel::error::AppResult;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render};
use serde::Deserialize;

use crate::actions::access::{EDITORS, Scope};
use crate::actions::households;
use crate::entity::{household, observation};
use crate::model::{Facts, YES_NO};
use crate::store;

mod changes_page;
mod duplicates_page;
mod import_page;
mod infra_page;
mod map_page;
mod sensors_page;
mod survey_page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/households", get(list))
        .route("/c/{code}/office/households/{id}", get(one))
        .merge(changes_page::router())
        .merge(duplicates_page::router())
        .merge(import_page::router())
        .merge(map_page::router())
        .merge(sensors_page::router())
        .merge(infra_page::router())
        .merge(survey_page::router())
}

/// A household as a row of the list.
pub struct Row {
    pub id: i64,
    pub code: String,
    pub head: String,
    pub village: String,
    pub members: i32,
    pub internet: &'static str,
    pub poverty: &'static str,
    pub poverty_tone: &'static str,
}

fn internet_key(v: Option<&str>) -> &'static str {
    match v {
        Some("fibre") => "rg.internet.fibre",
        Some("mobile") => "rg.internet.mobile",
        Some("none") => "rg.internet.none",
        _ => "rg.unknown",
    }
}

fn poverty(v: &str) -> (&'static str, &'static str) {
    match v {
        "poor" => ("rg.poverty.poor", "bad"),
        "near_poor" => ("rg.poverty.near_poor", "warn"),
        _ => ("rg.poverty.none", "ok"),
    }
}

fn row(ctx: &Ctx, h: &household::Model, villages: &HashMap<i64, String>) -> Row {
    let (p, tone) = poverty(&h.poverty);
    Row {
        id: h.id,
        code: h.code.clone(),
        head: h.head_name.clone(),
        village: h
            .village_id
            .and_then(|v| villages.get(&v).cloned())
            .unwrap_or_default(),
        members: h.members,
        internet: ctx.tr().get(internet_key(h.internet.as_deref())),
        poverty: ctx.tr().get(p),
        poverty_tone: tone,
    }
}

#[derive(Template)]
#[template(path = "rg_households.html")]
struct ListPage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<Row>,
    q: String,
    /// (id, name, chosen)
    villages: Vec<(i64, String, bool)>,
    /// A village head sees their village only: no village filter.
    whole_commune: bool,
    may_import: bool,
    page: u64,
    more: bool,
    total: u64,
    /// The query string without the page, for the pager's links.
    query: String,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    village: Option<String>,
    page: Option<u64>,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(f): Query<ListQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let village = f.village.as_deref().and_then(|v| v.parse().ok());
    let page = kernel::paging::page(f.page);
    let found = households::list(state.kernel(), ctx.actor(), &c, village, &f.q, page).await?;
    let names = crate::api::village_names(&state, &c.code).await?;
    let mut villages: Vec<(i64, String, bool)> = names
        .iter()
        .map(|(k, v)| (*k, v.clone(), village == Some(*k)))
        .collect();
    villages.sort_by(|a, b| a.1.cmp(&b.1));
    let total = match found.scope {
        Scope::Commune => store::count(&state.db, &c.code).await?,
        Scope::Village(v) => store::per_village(&state.db, &c.code)
            .await?
            .get(&Some(v))
            .copied()
            .unwrap_or(0) as u64,
    };
    let query = serde_urlencoded_pairs(&[
        ("q", f.q.trim()),
        (
            "village",
            &village.map(|v| v.to_string()).unwrap_or_default(),
        ),
    ]);
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("rg.households")).await;
    Ok(render(&ListPage {
        shell,
        active: "households",
        code: c.code.clone(),
        rows: found.items.iter().map(|h| row(&ctx, h, &names)).collect(),
        q: f.q.trim().to_owned(),
        villages,
        whole_commune: found.scope == Scope::Commune,
        may_import: ctx.with_role(&c, EDITORS).is_ok(),
        page,
        more: found.more,
        total,
        query,
    }))
}

/// A form field, trimmed (empty when absent).
pub(crate) fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// A number typed with a decimal comma or point.
pub(crate) fn number(f: &HashMap<String, String>, k: &str) -> Option<f64> {
    field(f, k).replace(',', ".").parse().ok()
}

/// The pin a form's `lat` and `lon` fields give, or the refusal the form shows.
pub(crate) fn pin(f: &HashMap<String, String>) -> Result<(f64, f64), kernel::error::AppError> {
    match (number(f, "lat"), number(f, "lon")) {
        (Some(lat), Some(lon)) => Ok((lat, lon)),
        _ => Err(crate::error::ActionError::from(
            crate::error::Refusal::HouseholdLocationInvalid.at("lat"),
        )
        .into()),
    }
}

/// `a=b&c=d`, percent-encoded, without empty values.
fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// An attribute's name and value in words.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

fn facts_in_words(ctx: &Ctx, f: &Facts) -> Vec<Fact> {
    let tr = ctx.tr();
    let mut out = vec![];
    if let Some(i) = f.internet {
        out.push(Fact {
            label: tr.get("rg.f.internet"),
            value: tr.get(internet_key(Some(i.as_str()))).to_owned(),
        });
    }
    if let Some(n) = f.smartphones {
        out.push(Fact {
            label: tr.get("rg.f.smartphones"),
            value: kernel::numbers::int(n as i64),
        });
    }
    for name in YES_NO {
        if let Some(v) = f.yes_no(name) {
            out.push(Fact {
                label: tr.get(&format!("rg.f.{name}")),
                value: tr.get(if v { "rg.yes" } else { "rg.no" }).to_owned(),
            });
        }
    }
    out
}

pub struct HistoryRow {
    pub on: String,
    pub source: &'static str,
    pub facts: Vec<Fact>,
}

fn history_row(ctx: &Ctx, o: &observation::Model) -> HistoryRow {
    HistoryRow {
        on: kernel::time::date_text(o.observed_on),
        source: ctx.tr().get(&format!("rg.source.{}", o.source)),
        facts: facts_in_words(ctx, &store::observed(o)),
    }
}

#[derive(Template)]
#[template(path = "rg_household.html")]
struct DetailPage {
    shell: Shell,
    active: &'static str,
    code: String,
    h: household::Model,
    village: String,
    sex: &'static str,
    poverty: &'static str,
    poverty_tone: &'static str,
    facts: Vec<Fact>,
    observed_on: String,
    members: Vec<(String, String, &'static str, &'static str)>,
    history: Vec<HistoryRow>,
}

async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let d = households::read(state.kernel(), ctx.actor(), &c, id).await?;
    let names = crate::api::village_names(&state, &c.code).await?;
    let tr = ctx.tr();
    let sex_key = |s: Option<&str>| match s {
        Some("m") => "rg.sex.m",
        Some("f") => "rg.sex.f",
        _ => "rg.unknown",
    };
    let (p, tone) = poverty(&d.household.poverty);
    let members = d
        .members
        .iter()
        .map(|m| {
            (
                m.name.clone(),
                m.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                tr.get(sex_key(m.sex.as_deref())),
                tr.get(&format!("rg.relation.{}", m.relation)),
            )
        })
        .collect();
    let h = d.household.clone();
    let shell = Shell::new(
        &state,
        &ctx,
        Some(c.clone()),
        &format!("{} · {}", tr.get("rg.household"), h.code),
    )
    .await;
    Ok(render(&DetailPage {
        shell,
        active: "households",
        code: c.code.clone(),
        village: h
            .village_id
            .and_then(|v| names.get(&v).cloned())
            .unwrap_or_default(),
        sex: tr.get(sex_key(h.head_sex.as_deref())),
        poverty: tr.get(p),
        poverty_tone: tone,
        facts: facts_in_words(&ctx, &store::facts_of(&h)),
        observed_on: h
            .observed_on
            .map(kernel::time::date_text)
            .unwrap_or_default(),
        members,
        history: d.history.iter().map(|o| history_row(&ctx, o)).collect(),
        h,
    }))
}
