//! Back-office pages: writing and scheduling notices with attachments and an audience, the
//! list of every notice, each notice's reach by village and channel with who has not yet
//! acknowledged an emergency, pinning and withdrawing, and the topics people follow.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, Parts, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use crate::actions::access::publisher;
use crate::actions::{ActionResult, Refusal, notices, reach, topics};
use crate::model::{self, AUDIENCE_ROLES, Audience, Category};
use crate::store::{self, ChannelReach, Reach, Unacknowledged};
use crate::web::{Card, card};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/notices", get(list).post(create))
        .route("/c/{code}/office/notices/topics", post(create_topic))
        .route("/c/{code}/office/notices/{id}", get(reach_page))
        .route("/c/{code}/office/notices/{id}/action", post(action))
}

/// `2025-12-01T08:00` from a datetime-local input, read as Viet Nam time; empty is none.
fn local_time(s: &str, field: &'static str) -> ActionResult<Option<DateTime<Utc>>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    kernel::time::parse_local_input(s)
        .map(Some)
        .ok_or(Refusal::TimeInvalid.at(field))
}

pub struct Row {
    pub card: Card,
    pub status: &'static str,
    pub status_label: &'static str,
    pub recipients: i32,
}

#[derive(Template)]
#[template(path = "nt_office.html")]
struct OfficePage {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<Row>,
    total: u64,
    categories: Vec<(&'static str, &'static str)>,
    villages: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    topics: Vec<(i64, String)>,
    f: BTreeMap<String, String>,
    chosen: Vec<String>,
    error: Option<String>,
    error_field: String,
}

impl OfficePage {
    fn field(&self, name: &str) -> &str {
        self.f.get(name).map(String::as_str).unwrap_or_default()
    }
    fn checked(&self, name: &str, value: &str) -> bool {
        self.chosen.iter().any(|c| c == &format!("{name}={value}"))
    }
}

async fn office_view(
    state: &AppState,
    ctx: &Ctx,
    c: &std::sync::Arc<CommuneInfo>,
    f: BTreeMap<String, String>,
    chosen: Vec<String>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let (list, total) = notices::office_list(state.kernel(), ctx.actor(), c, 1).await?;
    let rows = list
        .iter()
        .map(|n| {
            let (status, key) = match (n.status.as_str(), store::is_public(n, Utc::now())) {
                (store::SCHEDULED, _) => ("scheduled", "nt.status.scheduled"),
                (store::WITHDRAWN, _) => ("withdrawn", "nt.status.withdrawn"),
                (_, false) => ("expired", "nt.status.expired"),
                _ => ("published", "nt.status.published"),
            };
            Row {
                card: card(ctx, n),
                status,
                status_label: ctx.tr().get(key),
                recipients: n.recipient_count,
            }
        })
        .collect();
    let villages = kernel::tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let topics = topics::list(state.kernel(), ctx.actor(), c)
        .await?
        .into_iter()
        .map(|(t, _)| (t.id, t.name))
        .collect();
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("nt.office")).await;
    Ok(render_for(
        err,
        &OfficePage {
            shell,
            active: "notices",
            code: c.code.clone(),
            rows,
            total,
            categories: Category::ALL
                .iter()
                .map(|k| (k.as_str(), ctx.tr().get(&k.label_key())))
                .collect(),
            villages,
            roles: AUDIENCE_ROLES
                .iter()
                .map(|r| (r.as_str(), ctx.tr().get(&r.label_key())))
                .collect(),
            topics,
            f,
            chosen,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            error_field: err.and_then(|e| e.field).unwrap_or_default().to_owned(),
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    publisher(ctx.actor(), &c)?;
    let mut f = BTreeMap::new();
    f.insert("category".into(), "notice".into());
    office_view(&state, &ctx, &c, f, vec!["audience=all".into()], None).await
}

/// Reads the new-notice form; checkbox groups arrive as repeated names, which the multipart
/// reader keeps only once, so they are sent as `audience=<kind>:<value>` pairs in one field
/// each (`a_village_3`, `a_role_leader`, …) and collected here.
fn input_from(fields: &BTreeMap<String, String>) -> ActionResult<(model::Input, Vec<String>)> {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    let mut chosen = Vec::new();
    let mut audience = Audience::default();
    for (k, _) in fields.iter() {
        if k == "a_all" {
            audience.whole_commune = true;
            chosen.push("audience=all".into());
        } else if let Some(v) = k.strip_prefix("a_village_") {
            audience.village_ids.push(
                v.parse()
                    .map_err(|_| Refusal::VillageUnknown.at("village_ids"))?,
            );
            chosen.push(format!("village={v}"));
        } else if let Some(r) = k.strip_prefix("a_role_") {
            audience.roles.push(r.to_owned());
            chosen.push(format!("role={r}"));
        } else if let Some(t) = k.strip_prefix("a_topic_") {
            audience.topic_ids.push(
                t.parse()
                    .map_err(|_| Refusal::AudienceTopicUnknown.at("topic_ids"))?,
            );
            chosen.push(format!("topic={t}"));
        }
    }
    let category =
        Category::parse(get("category")).ok_or(Refusal::CategoryUnknown.at("category"))?;
    Ok((
        model::Input {
            category,
            title: get("title").to_owned(),
            body: get("body").to_owned(),
            audience,
            publish_at: local_time(get("publish_at"), "publish_at")?,
            expires_at: local_time(get("expires_at"), "expires_at")?,
            event_start: local_time(get("event_start"), "event_start")?,
            event_end: local_time(get("event_end"), "event_end")?,
            location: Some(get("location").to_owned()),
            pinned: fields.contains_key("pinned"),
        },
        chosen,
    ))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    // Refused before the upload is read.
    publisher(ctx.actor(), &c)?;
    let Parts { fields, files } = read_multipart(mp).await?;
    let mut chosen = Vec::new();
    let res = async {
        let (input, ch) = input_from(&fields)?;
        chosen = ch;
        let files = files
            .into_iter()
            .filter(|(f, _, _)| f == "files")
            .map(|(_, name, bytes)| (name, bytes))
            .collect();
        let new = notices::NewNotice { input, files };
        notices::create(state.kernel(), ctx.actor(), &c, new).await
    }
    .await
    .map_err(AppError::from);
    match res {
        Ok(n) => {
            Ok(Redirect::to(&format!("/c/{}/office/notices/{}", c.code, n.id)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::FORBIDDEN => {
            office_view(&state, &ctx, &c, fields, chosen, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct TopicForm {
    #[serde(default)]
    name: String,
}

async fn create_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<TopicForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    match topics::create(state.kernel(), ctx.actor(), &c, &f.name)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/notices#topics", c.code)).into_response()),
        Err(e) if e.status.is_client_error() => {
            office_view(&state, &ctx, &c, BTreeMap::new(), vec![], Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub struct Bar {
    pub label: String,
    pub audience: i64,
    pub read: i64,
    pub acknowledged: i64,
    pub read_pct: i64,
    pub ack_pct: i64,
}

fn pct(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        0
    } else {
        (part * 100 + whole / 2) / whole
    }
}

#[derive(Template)]
#[template(path = "nt_reach.html")]
struct ReachPage {
    shell: Shell,
    active: &'static str,
    code: String,
    c: Card,
    status: String,
    reach: Reach,
    bars: Vec<Bar>,
    channels: Vec<(String, ChannelReach)>,
    read_pct: i64,
    ack_pct: i64,
    waiting: Vec<Waiting>,
    /// Messages not sent (yet), per person and channel.
    unsent: Vec<Unsent>,
}

pub struct Unsent {
    pub full_name: String,
    pub village: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: String,
}

/// Someone yet to acknowledge, as officials read them: a phone number written the local way.
pub struct Waiting {
    pub village: String,
    pub full_name: String,
    /// `tel:` target and the number as shown.
    pub phone: Option<(String, String)>,
    pub read: bool,
}

impl From<Unacknowledged> for Waiting {
    fn from(u: Unacknowledged) -> Self {
        Waiting {
            village: u.village,
            full_name: u.full_name,
            phone: u
                .phone
                .map(|p| (kernel::accounts::phone::display_phone(&p), p)),
            read: u.read,
        }
    }
}

async fn reach_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let report = reach::report(state.kernel(), ctx.actor(), &c, id).await?;
    let (n, reach) = (report.notice, report.reach);
    let waiting = report.waiting.into_iter().map(Waiting::from).collect();
    let tr = ctx.tr();
    let bars = reach
        .by_village
        .iter()
        .map(|v| Bar {
            label: if v.village.is_empty() {
                tr.get("nt.no_village").to_owned()
            } else {
                v.village.clone()
            },
            audience: v.audience,
            read: v.read,
            acknowledged: v.acknowledged,
            read_pct: pct(v.read, v.audience),
            ack_pct: pct(v.acknowledged, v.audience),
        })
        .collect();
    let channels = reach
        .by_channel
        .iter()
        .map(|ch| {
            (
                tr.get(&format!("nt.channel.{}", ch.channel)).to_owned(),
                ch.clone(),
            )
        })
        .collect();
    let unsent = report
        .deliveries
        .into_iter()
        .filter(|d| d.status != kernel::notify::SENT)
        .map(|d| Unsent {
            channel: tr.get(&format!("nt.channel.{}", d.channel)).to_owned(),
            status: tr.get(&format!("nt.delivery.{}", d.status)).to_owned(),
            full_name: d.full_name,
            village: d.village,
            attempts: d.attempts,
            last_error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), &n.title).await;
    Ok(render(&ReachPage {
        unsent,
        shell,
        active: "notices",
        code: c.code.clone(),
        c: card(&ctx, &n),
        status: n.status.clone(),
        read_pct: pct(reach.read, reach.audience),
        ack_pct: pct(reach.acknowledged, reach.audience),
        reach,
        bars,
        channels,
        waiting,
    }))
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    action: String,
}

async fn action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    notices::act(state.kernel(), ctx.actor(), &c, id, f.action.trim()).await?;
    Ok(Redirect::to(&format!("/c/{}/office/notices/{id}", c.code)).into_response())
}
