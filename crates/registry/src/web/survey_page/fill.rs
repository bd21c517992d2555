//! The sheet a village head (or an official) fills in, one household, official or business
//! at a time. The form is marked for the draft box: on a phone without network the sheet is
//! kept on the phone and sent later, its visit day with it.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kernel::error::{AppError, AppResult};
use kernel::i18n::Tr;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::flash::{self, Flash};
use kernel::web::shell::{Shell, render_for};
use serde::Deserialize;

use super::{CampaignRow, campaign_row, option_label};
use crate::actions::access::EDITORS;
use crate::actions::surveys::{self, Given, Sheet, Subject};
use crate::survey_model::{Input, Kind};

/// A household, official or business the sheet may be about.
pub struct SubjectOpt {
    pub value: String,
    pub label: String,
    /// What a draft kept on the phone is named by: the household's code (not its head's
    /// name: the draft box outlives the session), or the official's name (their own).
    pub short: String,
    pub done: bool,
    pub selected: bool,
}

/// A question as the form draws it.
pub struct QRow {
    pub key: &'static str,
    pub label: &'static str,
    pub informs: String,
    pub required: bool,
    /// yes_no, count, choice, multi
    pub input: &'static str,
    pub max: i64,
    /// (value, label, checked)
    pub options: Vec<(&'static str, &'static str, bool)>,
    pub value: String,
}

#[derive(Template)]
#[template(path = "rg_survey_fill.html")]
struct FillPage {
    shell: Shell,
    active: &'static str,
    code: String,
    c: CampaignRow,
    kind: &'static str,
    subjects: Vec<SubjectOpt>,
    left: usize,
    /// (id, name, chosen): officials choose the village; a village head has theirs.
    villages: Vec<(i64, String, bool)>,
    choose_village: bool,
    business_name: String,
    questions: Vec<QRow>,
    day: String,
    today: String,
    error: Option<String>,
}

/// What the person gave, to show again with the error.
#[derive(Default)]
struct Given2 {
    pairs: Vec<(String, String)>,
}

impl Given2 {
    fn all(&self, k: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn one(&self, k: &str) -> String {
        self.all(k)
            .first()
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn view(
    state: &AppState,
    ctx: &Ctx,
    c: &std::sync::Arc<CommuneInfo>,
    id: i64,
    village: Option<i64>,
    subject: Option<String>,
    given: &Given2,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let tr = ctx.tr();
    let o = surveys::overview(state.kernel(), ctx.actor(), c, id).await?;
    let kind = o.kind;
    let editor = ctx.with_role(c, EDITORS).is_ok();
    let done: HashSet<String> = surveys::answered(state.kernel(), c, id).await?;
    let names = crate::api::village_names(state, &c.code).await?;
    let mut villages: Vec<(i64, String)> = names.into_iter().collect();
    villages.sort_by(|a, b| a.1.cmp(&b.1));
    let mut chosen_village = village;
    let mut subjects: Vec<SubjectOpt> = match kind {
        Kind::Household => {
            let first = if editor {
                village.or(villages.first().map(|v| v.0))
            } else {
                None
            };
            let (v, rows) = surveys::households(state.kernel(), ctx.actor(), c, first).await?;
            chosen_village = v;
            rows.iter()
                .map(|h| SubjectOpt {
                    value: h.id.to_string(),
                    label: format!("{} · {}", h.code, h.head_name),
                    short: h.code.clone(),
                    done: done.contains(&format!("h:{}", h.id)),
                    selected: false,
                })
                .collect()
        }
        Kind::Official => {
            let me = ctx.actor().map(|u| u.id);
            surveys::staff(state.kernel(), c)
                .await?
                .into_iter()
                .filter(|(uid, _)| editor || Some(*uid) == me)
                .map(|(uid, name)| SubjectOpt {
                    value: uid.to_string(),
                    short: name.clone(),
                    label: name,
                    done: done.contains(&format!("u:{uid}")),
                    selected: false,
                })
                .collect()
        }
        Kind::Business => {
            if !editor {
                // A village head files businesses of their own village.
                if let Ok((_, crate::actions::access::Scope::Village(v))) =
                    crate::actions::access::reader(ctx.actor(), c)
                {
                    chosen_village = Some(v);
                }
            }
            vec![]
        }
    };
    let left = subjects.iter().filter(|s| !s.done).count();
    let pick = subject
        .filter(|s| subjects.iter().any(|o| o.value == *s))
        .or_else(|| subjects.iter().find(|s| !s.done).map(|s| s.value.clone()));
    for s in &mut subjects {
        s.selected = Some(&s.value) == pick.as_ref();
    }
    let questions = kind
        .questions()
        .iter()
        .map(|q| question(&tr, q, given))
        .collect();
    let today = kernel::time::vn_today().format("%Y-%m-%d").to_string();
    let shell = Shell::new(state, ctx, Some(c.clone()), &o.campaign.title).await;
    Ok(render_for(
        err,
        &FillPage {
            shell,
            active: "surveys",
            code: c.code.clone(),
            c: campaign_row(&tr, &o.campaign, o.sheets),
            kind: kind.as_str(),
            subjects,
            left,
            choose_village: editor || kind == Kind::Business && chosen_village.is_none(),
            villages: villages
                .into_iter()
                .map(|(v, n)| (v, n, chosen_village == Some(v)))
                .collect(),
            business_name: given.one("business_name"),
            questions,
            day: Some(given.one("answered_on"))
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| today.clone()),
            today,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
        },
    ))
}

fn question(tr: &Tr, q: &crate::survey_model::Question, given: &Given2) -> QRow {
    let picked = given.all(q.key);
    let opts = |values: &[&'static str]| {
        values
            .iter()
            .map(|v| (*v, option_label(tr, q.key, q.input, v), picked.contains(v)))
            .collect()
    };
    let (input, max, options) = match q.input {
        Input::YesNo => ("yes_no", 0, opts(&["yes", "no"])),
        Input::Count(m) => ("count", m, vec![]),
        Input::Choice(v) => ("choice", 0, opts(v)),
        Input::Multi(v) => ("multi", 0, opts(v)),
    };
    QRow {
        key: q.key,
        label: tr.get(&format!("sv.q.{}", q.key)),
        informs: super::informs(tr, q.informs),
        required: q.required,
        input,
        max,
        options,
        value: given.one(q.key),
    }
}

#[derive(Deserialize)]
pub(super) struct FillQuery {
    village: Option<String>,
    subject: Option<String>,
}

pub(super) async fn fill(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<FillQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let village = q.village.as_deref().and_then(|v| v.parse().ok());
    let subject = q.subject.clone();
    view(
        &state,
        &ctx,
        &c,
        id,
        village,
        subject,
        &Given2::default(),
        None,
    )
    .await
}

/// The fields that are not answers.
const FRAME: [&str; 5] = [
    "csrf",
    "subject",
    "business_name",
    "village_id",
    "answered_on",
];

pub(super) async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let given = Given2 { pairs };
    let c = state.communes.active(&code)?;
    let o = surveys::overview(state.kernel(), ctx.actor(), &c, id).await?;
    let village: Option<i64> = given.one("village_id").parse().ok();
    let subject_id = given.one("subject");
    let subject = match o.kind {
        Kind::Household => subject_id.parse().ok().map(Subject::Household),
        Kind::Official => subject_id.parse().ok().map(Subject::Official),
        Kind::Business => Some(Subject::Business {
            name: given.one("business_name"),
            village_id: village,
        }),
    };
    let answers: Vec<(String, String)> = given
        .pairs
        .iter()
        .filter(|(k, _)| !FRAME.contains(&k.as_str()))
        .cloned()
        .collect();
    let answered_on = match given.one("answered_on") {
        d if d.is_empty() => Ok(None),
        d => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map(Some),
    };
    let outcome = match (subject, answered_on) {
        (None, _) => Err(crate::error::ActionError::from(
            crate::error::Refusal::SurveySubjectMissing.at("subject"),
        )),
        (_, Err(_)) => Err(crate::error::Refusal::SurveyDayInvalid.at("answered_on")),
        (Some(subject), Ok(answered_on)) => {
            let sheet = Sheet {
                subject,
                answers: Given::Words(answers),
                answered_on,
            };
            surveys::answer(state.kernel(), ctx.actor(), &c, id, sheet).await
        }
    };
    match outcome {
        Ok((row, _)) => {
            let label = match (row.household_id, &row.business_name, row.user_id) {
                (Some(h), _, _) => crate::store::one(&state.db, &c.code, h)
                    .await?
                    .map(|h| h.code)
                    .unwrap_or_default(),
                (None, Some(b), _) => b.clone(),
                (None, None, Some(u)) => surveys::staff(state.kernel(), &c)
                    .await?
                    .remove(&u)
                    .unwrap_or_default(),
                _ => String::new(),
            };
            // The message's cookie carries at most 100 characters of an argument.
            let label: String = label.chars().take(100).collect();
            let to = match (o.kind, row.village_id) {
                (Kind::Household, Some(v)) if ctx.with_role(&c, EDITORS).is_ok() => {
                    format!("/c/{}/office/surveys/{id}/fill?village={v}", c.code)
                }
                _ => format!("/c/{}/office/surveys/{id}/fill", c.code),
            };
            Ok(flash::redirect(
                &to,
                Flash::key("flash.sv.saved").arg("subject", label),
                state.config.cookies_secure(),
            ))
        }
        Err(e) => {
            let e = AppError::from(e);
            let sel = Some(subject_id).filter(|s| !s.is_empty());
            view(&state, &ctx, &c, id, village, sel, &given, Some(&e)).await
        }
    }
}
