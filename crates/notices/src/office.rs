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
        .route("/c/{code}/office/notices/preview", post(preview))
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
    /// "Not configured" warning for the outside channels with no gateway, or empty.
    unconfigured: String,
    fix: ChannelFix,
    /// The draft's preview (title, sanitised HTML) after "Xem trước" without script.
    preview: Option<Preview>,
}

/// A draft as its notice page will show it: the same Markdown rendering.
pub struct Preview {
    pub title: String,
    pub html: String,
}

impl Preview {
    fn of(fields: &BTreeMap<String, String>) -> Preview {
        let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
        Preview {
            title: get("title").trim().to_owned(),
            html: crate::markdown::to_safe_html(get("body")),
        }
    }
}

/// The preview alone, for htmx to put under the form.
#[derive(Template)]
#[template(path = "nt_preview.html")]
struct PreviewFragment {
    tr: kernel::i18n::Tr,
    preview: Preview,
}

/// Who can make an unconfigured channel work: for the commune's administrators, a link to the
/// channel settings; for every other official, the administrators to call.
pub struct ChannelFix {
    pub settings_href: Option<String>,
    /// (name, phone as shown, `tel:` number) of each commune administrator with a phone.
    pub admins: Vec<(String, String, String)>,
}

async fn channel_fix(state: &AppState, ctx: &Ctx, c: &CommuneInfo) -> AppResult<ChannelFix> {
    use kernel::accounts::access::ADMINS;
    if ctx.with_role(c, ADMINS).is_ok() {
        return Ok(ChannelFix {
            settings_href: Some(format!("/c/{}/office/delivery/settings", c.code)),
            admins: vec![],
        });
    }
    let mut admins: Vec<(String, String, String)> = kernel::accounts::staff_of(&state.db, &c.code)
        .await?
        .into_iter()
        .filter(|(g, _)| g.role == kernel::accounts::Role::CommuneAdmin.as_str())
        .filter_map(|(_, u)| {
            let phone = u.phone?;
            Some((
                u.full_name,
                kernel::accounts::phone::display_phone(&phone),
                phone,
            ))
        })
        .collect();
    admins.dedup();
    Ok(ChannelFix {
        settings_href: None,
        admins,
    })
}

/// The warning shown before publishing when some outside channels have no gateway, e.g.
/// "Chưa cấu hình SMS, Zalo: …"; empty when every channel works.
fn unconfigured_warning(ctx: &Ctx, off: &[&str]) -> String {
    if off.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = off
        .iter()
        .map(|ch| ctx.tr().get(&format!("nt.channel_short.{ch}")))
        .collect();
    kernel::i18n::fill(
        ctx.locale,
        "nt.unconfigured_before",
        &[("channels", names.join(", ").as_str())],
    )
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
    preview: Option<Preview>,
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
    let off = reach::unconfigured(state.kernel(), c).await;
    let fix = if off.is_empty() {
        ChannelFix {
            settings_href: None,
            admins: vec![],
        }
    } else {
        channel_fix(state, ctx, c).await?
    };
    let unconfigured = unconfigured_warning(ctx, &off);
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("nt.office")).await;
    Ok(render_for(
        err,
        &OfficePage {
            unconfigured,
            fix,
            preview,
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

/// A draft handed over by another page (a sensor's alert offers an emergency notice):
/// `?category=emergency&title=…&body=…` fill the form; nothing is sent until the official
/// publishes it.
#[derive(Deserialize)]
struct Draft {
    category: Option<String>,
    title: Option<String>,
    body: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(draft): Query<Draft>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    publisher(ctx.actor(), &c)?;
    let mut f = BTreeMap::new();
    let category = draft
        .category
        .filter(|k| Category::parse(k).is_some())
        .unwrap_or_else(|| "notice".into());
    f.insert("category".into(), category);
    for (k, v) in [("title", draft.title), ("body", draft.body)] {
        if let Some(v) = v {
            f.insert(k.into(), v.chars().take(20_000).collect());
        }
    }
    office_view(&state, &ctx, &c, f, vec!["audience=all".into()], None, None).await
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
        Ok(n) => Ok(Redirect::to(&format!(
            "/c/{}/office/notices/{}?published=1",
            c.code, n.id
        ))
        .into_response()),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::FORBIDDEN => {
            office_view(&state, &ctx, &c, fields, chosen, Some(&e), None).await
        }
        Err(e) => Err(e),
    }
}

/// "Xem trước": the draft rendered as its notice page will show it. htmx asks for the preview
/// alone (shown under the form); without script the form comes back filled, with the preview.
/// Nothing is saved.
async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    hx: kernel::web::htmx::HxRequest,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    publisher(ctx.actor(), &c)?;
    let Parts { fields, .. } = read_multipart(mp).await?;
    let preview = Preview::of(&fields);
    if hx.0 {
        return Ok(render(&PreviewFragment {
            tr: ctx.tr(),
            preview,
        }));
    }
    let chosen = chosen_of(&fields);
    office_view(&state, &ctx, &c, fields, chosen, None, Some(preview)).await
}

/// The audience boxes a posted form had ticked, to tick them again.
fn chosen_of(fields: &BTreeMap<String, String>) -> Vec<String> {
    fields
        .keys()
        .filter_map(|k| {
            if k == "a_all" {
                Some("audience=all".to_owned())
            } else if let Some(v) = k.strip_prefix("a_village_") {
                Some(format!("village={v}"))
            } else if let Some(r) = k.strip_prefix("a_role_") {
                Some(format!("role={r}"))
            } else {
                k.strip_prefix("a_topic_").map(|t| format!("topic={t}"))
            }
        })
        .collect()
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
            office_view(&state, &ctx, &c, BTreeMap::new(), vec![], Some(&e), None).await
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
    /// (channel, "not configured" label or empty, counts).
    channels: Vec<(String, String, ChannelReach)>,
    read_pct: i64,
    ack_pct: i64,
    waiting: Vec<Waiting>,
    /// Messages not sent (yet), per person and channel.
    unsent: Vec<Unsent>,
    /// Just published: say so, and what will not go out.
    published: bool,
    /// Per outside channel with no gateway: "Chưa cấu hình SMS: không gửi được" and how many
    /// messages wait for it.
    unconfigured: Vec<(String, i64)>,
    fix: ChannelFix,
}

#[derive(Deserialize)]
struct ReachQuery {
    #[serde(default)]
    published: Option<String>,
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
    Query(q): Query<ReachQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let report = reach::report(state.kernel(), ctx.actor(), &c, id).await?;
    let unconfigured = report
        .unconfigured
        .iter()
        .map(|ch| {
            let waiting = report
                .reach
                .by_channel
                .iter()
                .find(|r| r.channel == *ch)
                .map_or(0, |r| r.not_configured);
            (not_configured_label(&ctx, ch), waiting)
        })
        .collect();
    let fix = channel_fix(&state, &ctx, &c).await?;
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
                if ch.configured {
                    String::new()
                } else {
                    not_configured_label(&ctx, &ch.channel)
                },
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
        published: q.published.is_some(),
        unconfigured,
        fix,
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

/// "Chưa cấu hình SMS: không gửi được".
fn not_configured_label(ctx: &Ctx, channel: &str) -> String {
    kernel::i18n::fill(
        ctx.locale,
        "nt.unconfigured_row",
        &[(
            "channel",
            ctx.tr().get(&format!("nt.channel_short.{channel}")),
        )],
    )
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
