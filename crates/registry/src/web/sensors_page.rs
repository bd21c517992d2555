//! The sensors page: open alerts first (each offering an emergency notice to send), then each
//! sensor with its latest value and a week's chart (server-drawn SVG: hourly mean with its
//! low–high band), and for officials the form that registers a sensor and shows its device
//! token once.

use std::collections::HashMap;
use std::fmt::Write as _;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::map::MapConf;
use kernel::web::shell::{Shell, render_for};
use serde::Deserialize;

use crate::actions::access::EDITORS;
use crate::actions::sensors::{self, NewSensor};
use crate::sensors::Kind;

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{code}/office/sensors", get(page).post(register))
}

/// An open alert as the page shows it.
pub struct AlertRow {
    pub sensor: String,
    pub what: String,
    pub since: String,
    /// The notices office with an emergency draft.
    pub draft_href: String,
}

pub struct SensorCard {
    pub name: String,
    pub device: String,
    pub kind: &'static str,
    pub value: String,
    pub when: String,
    pub state: &'static str,
    pub tone: &'static str,
    pub chart: String,
}

#[derive(Template)]
#[template(path = "rg_sensors.html")]
struct SensorsPage {
    shell: Shell,
    active: &'static str,
    alerts: Vec<AlertRow>,
    cards: Vec<SensorCard>,
    may_register: bool,
    kinds: Vec<(&'static str, &'static str)>,
    map: MapConf,
    /// The token of the sensor just registered, shown once.
    token: Option<(String, String)>,
    error: Option<String>,
    f: HashMap<String, String>,
}

impl SensorsPage {
    fn field(&self, k: &str) -> &str {
        self.f.get(k).map(String::as_str).unwrap_or_default()
    }
}

/// A week of hourly means as a line with its low–high band, 320 × 90.
fn chart(
    points: &[(DateTime<Utc>, i64, f64, f64, f64)],
    threshold: Option<f64>,
    label: &str,
) -> String {
    if points.len() < 2 {
        return String::new();
    }
    let (w, h, pad) = (320.0, 90.0, 4.0);
    let lo = points
        .iter()
        .map(|p| p.3)
        .fold(f64::MAX, f64::min)
        .min(threshold.unwrap_or(f64::MAX));
    let hi = points
        .iter()
        .map(|p| p.4)
        .fold(f64::MIN, f64::max)
        .max(threshold.unwrap_or(f64::MIN));
    let span = (hi - lo).max(1e-9);
    let t0 = points[0].0.timestamp() as f64;
    let t1 = points[points.len() - 1].0.timestamp() as f64;
    let x =
        |t: DateTime<Utc>| pad + (t.timestamp() as f64 - t0) / (t1 - t0).max(1.0) * (w - 2.0 * pad);
    let y = |v: f64| h - pad - (v - lo) / span * (h - 2.0 * pad);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="chart" width="100%" role="img" aria-label="{}">"#,
        label.replace('"', "&quot;")
    );
    let band: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.0), y(p.4)))
        .chain(
            points
                .iter()
                .rev()
                .map(|p| format!("{:.1},{:.1}", x(p.0), y(p.3))),
        )
        .collect();
    let _ = write!(
        svg,
        r#"<polygon points="{}" fill="var(--brand, #0b6e4f)" fill-opacity="0.15"/>"#,
        band.join(" ")
    );
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.0), y(p.2)))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="var(--brand, #0b6e4f)" stroke-width="2"/>"#,
        line.join(" ")
    );
    if let Some(t) = threshold {
        let _ = write!(
            svg,
            r##"<line x1="{pad}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#b42318" stroke-dasharray="4 3"/>"##,
            w - pad,
            y(t),
            y(t)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn state_words(s: &str) -> (&'static str, &'static str) {
    match s {
        "alert" => ("rg.sensor.state.alert", "bad"),
        "silent" => ("rg.sensor.state.silent", "warn"),
        "ok" => ("rg.sensor.state.ok", "ok"),
        _ => ("rg.sensor.state.new", "info"),
    }
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: HashMap<String, String>,
    token: Option<(String, String)>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    let open = sensors::alerts(state.kernel(), ctx.actor(), &c).await?;
    let all = sensors::list(state.kernel(), &c).await?;
    let tr = ctx.tr();
    let unit = |k: &str| Kind::parse(k).map(Kind::unit).unwrap_or_default();
    let value = |v: Option<f64>, k: &str| {
        v.map(|v| format!("{} {}", kernel::numbers::decimal(v, 2), unit(k)))
            .unwrap_or_else(|| tr.get("rg.unknown").to_owned())
    };
    let by_id: HashMap<i64, &crate::entity::sensor::Model> =
        all.iter().map(|s| (s.id, s)).collect();
    let alerts = open
        .iter()
        .filter_map(|a| {
            let s = by_id.get(&a.sensor_id)?;
            let what = match a.kind.as_str() {
                "silent" => tr.get("rg.sensor.state.silent").to_owned(),
                _ => format!(
                    "{} {}",
                    tr.get("rg.sensor.measured"),
                    value(a.value, &s.kind)
                ),
            };
            let title = kernel::i18n::fill(
                ctx.locale,
                "rg.sensor.draft_title",
                &[("sensor", s.name.as_str())],
            );
            let body = kernel::i18n::fill(
                ctx.locale,
                "rg.sensor.draft_body",
                &[
                    ("sensor", s.name.as_str()),
                    ("value", value(a.value, &s.kind).as_str()),
                ],
            );
            let q = serde_urlencoded::to_string([
                ("category", "emergency"),
                ("title", &title),
                ("body", &body),
            ])
            .ok()?;
            Some(AlertRow {
                sensor: s.name.clone(),
                what,
                since: kernel::time::vn_datetime_text(a.opened_at),
                draft_href: format!("/c/{}/office/notices?{q}", c.code),
            })
        })
        .collect();
    let mut cards = vec![];
    for s in &all {
        let (_, points) = sensors::series(
            state.kernel(),
            &c,
            &s.device,
            "hour",
            Utc::now() - Duration::days(7),
        )
        .await?;
        let (label, tone) = state_words(&s.state);
        let kind = Kind::parse(&s.kind)
            .map(|k| tr.get(&format!("rg.sensor.kind.{}", k.as_str())))
            .unwrap_or_default();
        cards.push(SensorCard {
            chart: chart(
                &points,
                s.alert_above,
                &format!("{} · {}", s.name, tr.get("rg.sensor.week")),
            ),
            name: s.name.clone(),
            device: s.device.clone(),
            kind,
            value: value(s.last_value, &s.kind),
            when: s
                .last_at
                .map(kernel::time::vn_datetime_text)
                .unwrap_or_default(),
            state: tr.get(label),
            tone,
        });
    }
    let area = kernel::tenancy::area::area(&state.db, &c.code).await?;
    let bounds = area
        .boundary
        .as_deref()
        .and_then(kernel::tenancy::area::bounds)
        .unwrap_or_default();
    let shell = Shell::new(state, ctx, Some(c.clone()), tr.get("rg.sensors")).await;
    Ok(render_for(
        err,
        &SensorsPage {
            shell,
            active: "sensors",
            alerts,
            cards,
            may_register: ctx.with_role(&c, EDITORS).is_ok(),
            kinds: Kind::ALL
                .iter()
                .map(|k| {
                    (
                        k.as_str(),
                        tr.get(&format!("rg.sensor.kind.{}", k.as_str())),
                    )
                })
                .collect(),
            map: MapConf::new(&state.config, bounds).with_area(&c.code),
            token,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            f,
        },
    ))
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    view(&state, &ctx, &code, HashMap::new(), None, None).await
}

#[derive(Deserialize)]
struct Registration {
    csrf: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(r): Form<Registration>,
) -> AppResult<Response> {
    kernel::web::multipart::check_csrf(&ctx, &r.csrf)?;
    let c = state.communes.active(&code)?;
    let f = r.fields;
    let get = |k: &str| super::field(&f, k);
    let num = |k: &str| super::number(&f, k);
    let (lat, lon) = match super::pin(&f) {
        Ok(p) => p,
        Err(e) => return view(&state, &ctx, &code, f, None, Some(&e)).await,
    };
    let new = NewSensor {
        device: get("device"),
        name: get("name"),
        kind: get("kind"),
        lat,
        lon,
        alert_above: num("alert_above"),
        alert_below: num("alert_below"),
        silent_after_min: get("silent_after_min").parse().ok(),
    };
    match sensors::register(state.kernel(), ctx.actor(), &c, new).await {
        Ok((s, token)) => {
            view(
                &state,
                &ctx,
                &code,
                HashMap::new(),
                Some((s.device, token)),
                None,
            )
            .await
        }
        Err(e) => {
            view(
                &state,
                &ctx,
                &code,
                f.clone(),
                None,
                Some(&AppError::from(e)),
            )
            .await
        }
    }
}
