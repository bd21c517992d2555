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
use kernel::files::Kind;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use crate::model::{self, AUDIENCE_ROLES, Audience, Category, MAX_ATTACHMENTS, PUBLISHERS};
use crate::store::{self, ChannelReach, Reach, Unacknowledged};
use crate::web::{Card, card};

const FILE_KINDS: &[Kind] = &[Kind::Pdf, Kind::Jpeg, Kind::Png, Kind::Webp];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/notices", get(list).post(create))
        .route("/c/{code}/office/notices/topics", post(create_topic))
        .route("/c/{code}/office/notices/{id}", get(reach_page))
        .route("/c/{code}/office/notices/{id}/action", post(action))
}

/// `2025-12-01T08:00` from a datetime-local input, read as Viet Nam time; empty is none.
pub fn local_time(s: &str, field: &'static str) -> AppResult<Option<DateTime<Utc>>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    kernel::time::parse_local_input(s)
        .map(Some)
        .ok_or_else(|| AppError::invalid("notice_time_invalid", field))
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
    let (list, total) = store::office_list(&state.db, &c.code, 1).await?;
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
    let topics = store::topics(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
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
    ctx.with_role(&c, PUBLISHERS)?;
    let mut f = BTreeMap::new();
    f.insert("category".into(), "notice".into());
    office_view(&state, &ctx, &c, f, vec!["audience=all".into()], None).await
}

/// Reads the new-notice form; checkbox groups arrive as repeated names, which the multipart
/// reader keeps only once, so they are sent as `audience=<kind>:<value>` pairs in one field
/// each (`a_village_3`, `a_role_leader`, …) and collected here.
fn input_from(fields: &BTreeMap<String, String>) -> AppResult<(model::Input, Vec<String>)> {
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
                    .map_err(|_| AppError::invalid("notice_village_unknown", "village_ids"))?,
            );
            chosen.push(format!("village={v}"));
        } else if let Some(r) = k.strip_prefix("a_role_") {
            audience.roles.push(r.to_owned());
            chosen.push(format!("role={r}"));
        } else if let Some(t) = k.strip_prefix("a_topic_") {
            audience.topic_ids.push(
                t.parse()
                    .map_err(|_| AppError::invalid("notice_topic_unknown", "topic_ids"))?,
            );
            chosen.push(format!("topic={t}"));
        }
    }
    let category = Category::parse(get("category"))
        .ok_or_else(|| AppError::invalid("notice_category_unknown", "category"))?;
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
    let u = ctx.with_role(&c, PUBLISHERS)?;
    let parts = read_multipart(mp).await?;
    let mut chosen = Vec::new();
    let res = async {
        let (input, ch) = input_from(&parts.fields)?;
        chosen = ch;
        let checked = model::check(input, Utc::now())?;
        let files: Vec<_> = parts
            .files
            .iter()
            .filter(|(f, _, _)| f == "files")
            .collect();
        if files.len() > MAX_ATTACHMENTS {
            return Err(AppError::invalid("notice_too_many_files", "files"));
        }
        // Check every file before storing any, so a bad one leaves nothing behind.
        for (_, name, bytes) in &files {
            let ok = kernel::files::sniff(bytes).is_some_and(|k| FILE_KINDS.contains(&k));
            if !ok || bytes.len() > state.files.max_bytes {
                tracing::debug!(%name, "notice attachment refused");
                return Err(AppError::invalid("notice_file_invalid", "files"));
            }
        }
        let mut stored = Vec::new();
        for (_, name, bytes) in files {
            let a = state
                .files
                .store(
                    &state.db,
                    &c.code,
                    Some(u.id),
                    name,
                    bytes.clone(),
                    FILE_KINDS,
                )
                .await?;
            stored.push((a.original_name.clone(), a.id));
        }
        store::create(&state.db, &c, u, checked, stored).await
    }
    .await;
    match res {
        Ok(n) => {
            state.dispatcher.wake();
            Ok(Redirect::to(&format!("/c/{}/office/notices/{}", c.code, n.id)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::FORBIDDEN => {
            office_view(&state, &ctx, &c, parts.fields, chosen, Some(&e)).await
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
    let u = ctx.with_role(&c, PUBLISHERS)?;
    match store::create_topic(&state.db, &c, u, &f.name).await {
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
    ctx.with_role(&c, PUBLISHERS)?;
    let n = store::find(&state.db, &c.code, id).await?;
    let reach = store::reach(&state.db, &n).await?;
    let emergency = n.category == Category::Emergency.as_str();
    let waiting = if emergency {
        store::unacknowledged(&state.db, &n, None, 500)
            .await?
            .into_iter()
            .map(Waiting::from)
            .collect()
    } else {
        Vec::new()
    };
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
    let unsent = store::deliveries(&state.db, &n, None, None, 200)
        .await?
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
    let u = ctx.with_role(&c, PUBLISHERS)?;
    store::act(&state.db, &c, u, id, f.action.trim()).await?;
    Ok(Redirect::to(&format!("/c/{}/office/notices/{id}", c.code)).into_response())
}
