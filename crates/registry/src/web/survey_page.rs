//! The baseline survey's pages: the campaigns (and the form that opens one), a campaign's
//! board (completion by village, how the answers came out), the sheet a village head fills
//! in on a phone (kept offline in the draft box until the network is back), and the staff's
//! readiness (5.2).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use kernel::error::{AppError, AppResult};
use kernel::i18n::Tr;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::flash::{self, Flash};
use kernel::web::shell::{Shell, render_for};

use crate::actions::access::EDITORS;
use crate::actions::surveys::{self, NewCampaign, SURVEYORS};
use crate::entity::campaign;
use crate::survey_model::{Input, Kind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/surveys", get(list).post(create))
        .route("/c/{code}/office/surveys/readiness", get(readiness))
        .route("/c/{code}/office/surveys/{id}", get(board))
        .route("/c/{code}/office/surveys/{id}/close", post(close))
        .route("/c/{code}/office/surveys/{id}/fill", get(fill).post(file))
}

/// A campaign as a list row and a page heading.
pub struct CampaignRow {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub open: bool,
    pub status: &'static str,
    pub dates: String,
    pub answered: i64,
    /// The reader may fill in sheets (set by the list).
    pub fill: bool,
}

fn campaign_row(tr: &Tr, c: &campaign::Model, answered: i64) -> CampaignRow {
    let open = c.status == "open";
    let day = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    CampaignRow {
        id: c.id,
        title: c.title.clone(),
        kind: tr.get(&format!("sv.kind.{}", c.kind)),
        open,
        status: tr.get(if open { "sv.open" } else { "sv.closed" }),
        dates: match c.closes_on {
            Some(end) => format!("{} – {}", day(c.opens_on), day(end)),
            None => day(c.opens_on),
        },
        answered,
        fill: false,
    }
}

#[derive(Template)]
#[template(path = "rg_surveys.html")]
struct ListPage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<CampaignRow>,
    may_open: bool,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    f: HashMap<String, String>,
}

impl ListPage {
    fn field(&self, k: &str) -> &str {
        self.f.get(k).map(String::as_str).unwrap_or_default()
    }
}

async fn list_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: HashMap<String, String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    let tr = ctx.tr();
    let rows = surveys::list(state.kernel(), ctx.actor(), &c).await?;
    let surveyor = ctx.with_role(&c, SURVEYORS).is_ok();
    let shell = Shell::new(state, ctx, Some(c.clone()), tr.get("sv.title")).await;
    Ok(render_for(
        err,
        &ListPage {
            shell,
            active: "surveys",
            code: c.code.clone(),
            rows: rows
                .iter()
                .map(|l| {
                    let mut r = campaign_row(&tr, &l.campaign, l.answered);
                    r.fill = r.open && (surveyor || l.campaign.kind == Kind::Official.as_str());
                    r
                })
                .collect(),
            may_open: ctx.with_role(&c, EDITORS).is_ok(),
            kinds: Kind::ALL
                .iter()
                .map(|k| (k.as_str(), tr.get(&format!("sv.kind.{}", k.as_str()))))
                .collect(),
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            f,
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    list_view(&state, &ctx, &code, HashMap::new(), None).await
}

fn day(
    f: &HashMap<String, String>,
    k: &'static str,
) -> Result<Option<chrono::NaiveDate>, AppError> {
    let v = super::field(f, k);
    if v.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            crate::error::ActionError::from(crate::error::Refusal::SurveyDatesInvalid.at(k)).into()
        })
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let dates = day(&f, "opens_on").and_then(|o| Ok((o, day(&f, "closes_on")?)));
    let (opens_on, closes_on) = match dates {
        Ok(d) => d,
        Err(e) => return list_view(&state, &ctx, &code, f, Some(&e)).await,
    };
    let n = NewCampaign {
        kind: super::field(&f, "kind"),
        title: super::field(&f, "title"),
        opens_on,
        closes_on,
    };
    match surveys::create(state.kernel(), ctx.actor(), &c, n).await {
        Ok(row) => Ok(flash::redirect(
            &format!("/c/{}/office/surveys/{}", c.code, row.id),
            Flash::key("flash.sv.opened"),
            state.config.cookies_secure(),
        )),
        Err(e) => list_view(&state, &ctx, &code, f, Some(&AppError::from(e))).await,
    }
}

/// Completion in one village, as the board draws it.
pub struct ProgressRow {
    pub name: String,
    pub whole: Option<i64>,
    pub done: i64,
    pub percent: i64,
}

/// One answer's share of a question.
pub struct Share {
    pub label: &'static str,
    pub n: i64,
    pub percent: i64,
}

/// How one question came out.
pub struct ResultRow {
    pub label: &'static str,
    pub informs: String,
    pub asked: i64,
    pub shares: Vec<Share>,
    /// For numbers: the mean, written the Vietnamese way.
    pub mean: Option<String>,
}

/// One of the guideline's §2 conditions as the sheets so far measure it.
pub struct Condition {
    pub label: &'static str,
    pub percent: i64,
    /// What §2 asks, in percent.
    pub target: i64,
    pub met: bool,
    /// The share in words: "91 / 158".
    pub of: String,
}

/// §2's household conditions: at least 50% of households connected; of people of working
/// age, 80% with a smartphone subscription (50% in ethnic-minority, mountain and island
/// communes: the page says so).
fn conditions(
    tr: &Tr,
    tally: &[(crate::survey_model::Question, crate::survey_model::Tally)],
    (with, all): (i64, i64),
) -> Vec<Condition> {
    let find = |k: &str| tally.iter().find(|(q, _)| q.key == k).map(|(_, t)| t);
    let mut out = vec![];
    if let Some(t) = find("internet").filter(|t| t.asked > 0) {
        let on = t.counts.get("fibre").copied().unwrap_or(0)
            + t.counts.get("mobile").copied().unwrap_or(0);
        let p = percent(on, t.asked);
        out.push(Condition {
            label: tr.get("sv.cond.internet"),
            percent: p,
            target: 50,
            met: p >= 50,
            of: format!(
                "{} / {}",
                kernel::numbers::int(on),
                kernel::numbers::int(t.asked)
            ),
        });
    }
    if all > 0 {
        let p = percent(with, all);
        out.push(Condition {
            label: tr.get("sv.cond.smartphone"),
            percent: p,
            target: 80,
            met: p >= 80,
            of: format!(
                "{} / {}",
                kernel::numbers::int(with),
                kernel::numbers::int(all)
            ),
        });
    }
    out
}

/// "(chỉ tiêu 4.1)" for an Appendix I indicator, "(Hướng dẫn §2)" for a section.
pub(crate) fn informs(tr: &Tr, what: &str) -> String {
    if what.starts_with('§') {
        format!("{} {what}", tr.get("sv.guide"))
    } else {
        format!("{} {what}", tr.get("sv.informs"))
    }
}

#[derive(Template)]
#[template(path = "rg_survey.html")]
struct BoardPage {
    conditions: Vec<Condition>,
    shell: Shell,
    active: &'static str,
    code: String,
    c: CampaignRow,
    may_fill: bool,
    may_close: bool,
    progress: Vec<ProgressRow>,
    total: ProgressRow,
    results: Vec<ResultRow>,
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 100 / whole).min(100)
    }
}

async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let tr = ctx.tr();
    let o = surveys::overview(state.kernel(), ctx.actor(), &c, id).await?;
    let villages = crate::api::village_names(&state, &c.code).await?;
    let name = |v: Option<i64>| match (v, o.kind) {
        (Some(v), _) => villages.get(&v).cloned().unwrap_or_default(),
        (None, Kind::Official) => tr.get("sv.staff").to_owned(),
        (None, _) => tr.get("rg.no_village").to_owned(),
    };
    let progress: Vec<ProgressRow> = o
        .progress
        .iter()
        .map(|p| ProgressRow {
            name: name(p.village_id),
            whole: p.whole,
            done: p.done,
            percent: p.whole.map_or(0, |w| percent(p.done, w)),
        })
        .collect();
    let whole: Option<i64> = progress.iter().map(|p| p.whole).sum();
    let total = ProgressRow {
        name: tr.get("sv.whole_commune").to_owned(),
        whole,
        done: o.sheets,
        percent: whole.map_or(0, |w| percent(o.sheets, w)),
    };
    let results = o
        .tally
        .iter()
        .map(|(q, t)| {
            let values: Vec<&str> = match q.input {
                Input::YesNo => vec!["yes", "no"],
                Input::Choice(v) | Input::Multi(v) => v.to_vec(),
                Input::Count(_) => vec![],
            };
            ResultRow {
                label: tr.get(&format!("sv.q.{}", q.key)),
                informs: informs(&tr, q.informs),
                asked: t.asked,
                shares: values
                    .iter()
                    .map(|v| {
                        let n = t.counts.get(*v).copied().unwrap_or(0);
                        Share {
                            label: option_label(&tr, q.key, q.input, v),
                            n,
                            percent: percent(n, t.asked),
                        }
                    })
                    .collect(),
                mean: matches!(q.input, Input::Count(_))
                    .then(|| kernel::numbers::decimal(t.sum as f64 / t.asked.max(1) as f64, 1)),
            }
        })
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), &o.campaign.title).await;
    Ok(kernel::web::shell::render(&BoardPage {
        conditions: conditions(&tr, &o.tally, o.working_age),
        shell,
        active: "surveys",
        code: c.code.clone(),
        c: campaign_row(&tr, &o.campaign, o.sheets),
        may_fill: o.campaign.status == "open"
            && (ctx.with_role(&c, SURVEYORS).is_ok() || o.kind == Kind::Official),
        may_close: o.campaign.status == "open" && ctx.with_role(&c, EDITORS).is_ok(),
        progress,
        total,
        results,
    }))
}

fn option_label(tr: &Tr, key: &str, input: Input, value: &str) -> &'static str {
    match input {
        Input::YesNo => tr.get(if value == "yes" { "rg.yes" } else { "rg.no" }),
        _ => tr.get(&format!("sv.q.{key}.{value}")),
    }
}

async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    surveys::close(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(flash::redirect(
        &format!("/c/{}/office/surveys/{id}", c.code),
        Flash::key("flash.sv.closed_now"),
        state.config.cookies_secure(),
    ))
}

mod fill;
use fill::{file, fill};

/// The staff's readiness page.
#[derive(Template)]
#[template(path = "rg_readiness.html")]
struct ReadinessPage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<ReadinessRow>,
    staff: i64,
    smartphone: i64,
    ready: i64,
    smartphone_percent: i64,
    ready_percent: i64,
}

pub struct ReadinessRow {
    pub name: String,
    /// None: not yet surveyed.
    pub marks: Option<[bool; 3]>,
    pub observed: String,
}

async fn readiness(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let tr = ctx.tr();
    let rows = surveys::readiness(state.kernel(), ctx.actor(), &c).await?;
    let staff = rows.len() as i64;
    let smartphone = rows
        .iter()
        .filter(|o| o.readiness.as_ref().is_some_and(|r| r.smartphone))
        .count() as i64;
    let ready = rows
        .iter()
        .filter(|o| {
            o.readiness
                .as_ref()
                .is_some_and(|r| r.smartphone && r.official_email && r.e_office)
        })
        .count() as i64;
    let shell = Shell::new(&state, &ctx, Some(c.clone()), tr.get("sv.readiness")).await;
    Ok(kernel::web::shell::render(&ReadinessPage {
        shell,
        active: "surveys",
        code: c.code.clone(),
        rows: rows
            .into_iter()
            .map(|o| ReadinessRow {
                name: o.name,
                marks: o
                    .readiness
                    .as_ref()
                    .map(|r| [r.smartphone, r.official_email, r.e_office]),
                observed: o
                    .readiness
                    .map(|r| r.observed_on.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        staff,
        smartphone,
        ready,
        smartphone_percent: percent(smartphone, staff),
        ready_percent: percent(ready, staff),
    }))
}
