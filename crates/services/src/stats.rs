//! Numbers for decisions: dossiers received, online share, on time or late, processing time and
//! satisfaction, by procedure and by month, as a page with SVG charts, an XLSX file, and an API
//! that the indicators room reads (1.1, 1.2, share handled online).

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use kernel::accounts::Role;
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::entity::dossier;
use crate::model::Status;
use kernel::time::WorkCalendar;

#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ServiceFiguresRow)]
pub struct Row {
    /// Procedure name, or month `YYYY-MM`.
    pub label: String,
    pub received: u64,
    pub online: u64,
    pub offline: u64,
    /// Finished (result ready or refused) within the period's dossiers.
    pub done: u64,
    pub on_time: u64,
    pub late: u64,
    /// Still open and past the due date.
    pub overdue_open: u64,
    /// Mean working days from receipt to result, over finished dossiers.
    pub avg_working_days: Option<f64>,
    pub ratings: u64,
    /// Mean of 1–5 stars.
    pub avg_rating: Option<f64>,
}

impl Row {
    pub fn online_share(&self) -> Option<f64> {
        (self.received > 0).then(|| self.online as f64 / self.received as f64)
    }
    pub fn on_time_share(&self) -> Option<f64> {
        (self.done > 0).then(|| self.on_time as f64 / self.done as f64)
    }
}

#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ServiceFigures)]
pub struct Figures {
    pub commune_code: String,
    pub from: String,
    pub to: String,
    pub total: Row,
    /// Share of dossiers received online (0–1), for indicator 1.1 and Nghệ An's target.
    pub online_share: Option<f64>,
    /// Share of finished dossiers finished on time (0–1).
    pub on_time_share: Option<f64>,
    pub by_procedure: Vec<Row>,
    pub by_month: Vec<Row>,
}

#[derive(Default)]
struct Acc {
    row: Row,
    days_sum: i64,
    rating_sum: i64,
}

impl Acc {
    fn add(&mut self, d: &Slim, cal: &WorkCalendar, today: NaiveDate) {
        let r = &mut self.row;
        r.received += 1;
        if d.channel == "online" {
            r.online += 1;
        } else {
            r.offline += 1;
        }
        match d.done_at {
            Some(done) => {
                let done_day = kernel::time::vn_date(done);
                r.done += 1;
                if done_day <= d.due_date {
                    r.on_time += 1;
                } else {
                    r.late += 1;
                }
                let received_day = kernel::time::vn_date(d.received_at);
                self.days_sum += cal.working_days_between(received_day, done_day).max(0);
            }
            None if d.due_date < today
                && !Status::parse(&d.status).is_some_and(|s| s.is_final()) =>
            {
                r.overdue_open += 1
            }
            None => {}
        }
        if let Some(stars) = d.rating {
            r.ratings += 1;
            self.rating_sum += stars as i64;
        }
    }

    fn finish(mut self, label: String) -> Row {
        self.row.label = label;
        self.row.avg_working_days =
            (self.row.done > 0).then(|| self.days_sum as f64 / self.row.done as f64);
        self.row.avg_rating =
            (self.row.ratings > 0).then(|| self.rating_sum as f64 / self.row.ratings as f64);
        self.row
    }
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct Slim {
    procedure_id: i64,
    channel: String,
    status: String,
    received_at: chrono::DateTime<chrono::Utc>,
    due_date: NaiveDate,
    done_at: Option<chrono::DateTime<chrono::Utc>>,
    rating: Option<i32>,
}

/// The figures for dossiers received between `from` and `to` (inclusive, Vietnam dates).
pub async fn figures(
    db: &impl ConnectionTrait,
    cal: &WorkCalendar,
    commune: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Figures> {
    let start = kernel::time::vn_day_start(from);
    // Up to the start of the next day, so nothing received in the last second is lost.
    let end = kernel::time::vn_day_end(to);
    // Only the columns the figures need: a year of a busy commune stays a few megabytes.
    let rows: Vec<Slim> = dossier::Entity::find()
        .select_only()
        .columns([
            dossier::Column::ProcedureId,
            dossier::Column::Channel,
            dossier::Column::Status,
            dossier::Column::ReceivedAt,
            dossier::Column::DueDate,
            dossier::Column::DoneAt,
            dossier::Column::Rating,
        ])
        .filter(dossier::Column::CommuneCode.eq(commune))
        .filter(dossier::Column::ReceivedAt.gte(start))
        .filter(dossier::Column::ReceivedAt.lt(end))
        .into_model::<Slim>()
        .all(db)
        .await?;
    let names: BTreeMap<i64, String> = crate::store::procedures(db, commune, "", "", true)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let today = kernel::time::vn_today();
    let mut total = Acc::default();
    let mut by_proc: BTreeMap<i64, Acc> = BTreeMap::new();
    let mut by_month: BTreeMap<(i32, u32), Acc> = BTreeMap::new();
    for d in &rows {
        let local = kernel::time::vn_date(d.received_at);
        total.add(d, cal, today);
        by_proc
            .entry(d.procedure_id)
            .or_default()
            .add(d, cal, today);
        by_month
            .entry((local.year(), local.month()))
            .or_default()
            .add(d, cal, today);
    }
    let total = total.finish("Tổng".into());
    let mut by_procedure: Vec<Row> = by_proc
        .into_iter()
        .map(|(id, a)| a.finish(names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))))
        .collect();
    by_procedure.sort_by(|a, b| b.received.cmp(&a.received).then(a.label.cmp(&b.label)));
    Ok(Figures {
        commune_code: commune.into(),
        from: from.to_string(),
        to: to.to_string(),
        online_share: total.online_share(),
        on_time_share: total.on_time_share(),
        total,
        by_procedure,
        by_month: by_month
            .into_iter()
            .map(|((y, m), a)| a.finish(format!("{y}-{m:02}")))
            .collect(),
    })
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day (YYYY-MM-DD); default: 1 January of this year.
    #[serde(default)]
    from: String,
    /// Last day (YYYY-MM-DD); default: today.
    #[serde(default)]
    to: String,
}

impl Period {
    fn resolve(&self) -> AppResult<(NaiveDate, NaiveDate)> {
        let today = kernel::time::vn_today();
        let parse = |s: &str, default: NaiveDate| -> AppResult<NaiveDate> {
            if s.trim().is_empty() {
                Ok(default)
            } else {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::invalid("period_invalid", "from"))
            }
        };
        let from = parse(
            &self.from,
            NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        )?;
        let to = parse(&self.to, today)?;
        let sane = |d: NaiveDate| (2000..=2100).contains(&d.year());
        if to < from || (to - from).num_days() > 3660 || !sane(from) || !sane(to) {
            return Err(AppError::invalid("period_invalid", "to"));
        }
        Ok((from, to))
    }
}

pub const READERS: &[Role] = &[
    Role::Official,
    Role::Leader,
    Role::CommuneAdmin,
    Role::Reviewer,
    Role::SystemAdmin,
];

#[utoipa::path(get, path = "/api/v1/communes/{code}/services/stats", tag = "services", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), Period),
    responses((status = 200, body = Figures), (status = 403, body = kernel::error::ErrorBody), (status = 422, body = kernel::error::ErrorBody)))]
pub async fn api_figures(
    State(state): State<AppState>,
    ctx: Ctx,
    kernel::web::api::ApiPath(code): kernel::web::api::ApiPath<String>,
    kernel::web::api::ApiQuery(p): kernel::web::api::ApiQuery<Period>,
) -> AppResult<Json<Figures>> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, READERS)?;
    let (from, to) = p.resolve()?;
    Ok(Json(
        figures(&state.db, &state.calendar.get(), &c.code, from, to).await?,
    ))
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

/// Stacked bars of online and offline dossiers per month, with a readable legend.
fn month_chart(rows: &[Row], online_label: &str, offline_label: &str) -> String {
    let (w, h, pad) = (640.0, 240.0, 32.0);
    let max = rows.iter().map(|r| r.received).max().unwrap_or(0).max(1) as f64;
    let n = rows.len().max(1) as f64;
    let bw = ((w - 2.0 * pad) / n * 0.7).min(48.0);
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="mchart-t" xmlns="http://www.w3.org/2000/svg"><title id="mchart-t">{online_label} / {offline_label}</title>"#
    );
    s.push_str(&format!(
        r##"<line x1="{pad}" y1="{y}" x2="{x2}" y2="{y}" stroke="#9aa4b2"/>"##,
        y = h - pad,
        x2 = w - pad
    ));
    for (i, r) in rows.iter().enumerate() {
        let x = pad + (i as f64 + 0.5) * (w - 2.0 * pad) / n - bw / 2.0;
        let ho = r.online as f64 / max * (h - 2.0 * pad - 12.0);
        let hf = r.offline as f64 / max * (h - 2.0 * pad - 12.0);
        let base = h - pad;
        s.push_str(&format!(r##"<rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{ho:.1}" fill="var(--brand,#0b6e4f)"><title>{}: {} {online_label}</title></rect>"##, base - ho, r.label, r.online));
        s.push_str(&format!(r##"<rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{hf:.1}" fill="#f4a261"><title>{}: {} {offline_label}</title></rect>"##, base - ho - hf, r.label, r.offline));
        s.push_str(&format!(r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1c2430">{}</text>"##, x + bw / 2.0, base - ho - hf - 4.0, r.received));
        s.push_str(&format!(r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#5b6573">{}</text>"##, x + bw / 2.0, h - pad + 16.0, &r.label[2..]));
    }
    s.push_str(&format!(r##"<rect x="{pad}" y="6" width="12" height="12" fill="var(--brand,#0b6e4f)"/><text x="{}" y="16" font-size="12" fill="#1c2430">{online_label}</text><rect x="{}" y="6" width="12" height="12" fill="#f4a261"/><text x="{}" y="16" font-size="12" fill="#1c2430">{offline_label}</text></svg>"##, pad + 16.0, pad + 150.0, pad + 166.0));
    s
}

/// One horizontal bar split into on time and late.
fn on_time_bar(r: &Row, on_time: &str, late: &str) -> String {
    let total = (r.on_time + r.late).max(1) as f64;
    let w_on = r.on_time as f64 / total * 600.0;
    format!(
        r##"<svg viewBox="0 0 640 56" width="100%" role="img" aria-label="{on_time} {} · {late} {}" xmlns="http://www.w3.org/2000/svg"><rect x="20" y="8" width="{w_on:.1}" height="24" fill="#2a9d8f"/><rect x="{:.1}" y="8" width="{:.1}" height="24" fill="#e76f51"/><text x="20" y="50" font-size="12" fill="#1c2430">{on_time}: {}</text><text x="620" y="50" font-size="12" text-anchor="end" fill="#1c2430">{late}: {}</text></svg>"##,
        r.on_time,
        r.late,
        20.0 + w_on,
        600.0 - w_on,
        r.on_time,
        r.late
    )
}

pub struct ViewRow {
    label: String,
    received: u64,
    online: u64,
    offline: u64,
    online_share: String,
    on_time: u64,
    late: u64,
    overdue: u64,
    on_time_share: String,
    avg_days: String,
    avg_rating: String,
}

fn view_row(r: &Row) -> ViewRow {
    ViewRow {
        label: r.label.clone(),
        received: r.received,
        online: r.online,
        offline: r.offline,
        online_share: pct(r.online_share()),
        on_time: r.on_time,
        late: r.late,
        overdue: r.overdue_open,
        on_time_share: pct(r.on_time_share()),
        avg_days: num(r.avg_working_days),
        avg_rating: num(r.avg_rating),
    }
}

#[derive(Template)]
#[template(path = "svc_stats.html")]
struct StatsPage {
    shell: Shell,
    active: &'static str,
    code: String,
    from: String,
    to: String,
    total: ViewRow,
    by_procedure: Vec<ViewRow>,
    by_month: Vec<ViewRow>,
    month_svg: String,
    on_time_svg: String,
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(p): Query<Period>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, READERS)?;
    let (from, to) = p.resolve()?;
    let f = figures(&state.db, &state.calendar.get(), &c.code, from, to).await?;
    let tr = ctx.tr();
    let shell = Shell::new(&state, &ctx, Some(c.clone()), tr.get("svc.stats")).await;
    Ok(render(&StatsPage {
        shell,
        active: "services-stats",
        code: c.code.clone(),
        from: f.from.clone(),
        to: f.to.clone(),
        month_svg: month_chart(
            &f.by_month,
            tr.get("svc.channel.online"),
            tr.get("svc.channel.offline"),
        ),
        on_time_svg: on_time_bar(&f.total, tr.get("svc.on_time"), tr.get("svc.late")),
        total: view_row(&f.total),
        by_procedure: f.by_procedure.iter().map(view_row).collect(),
        by_month: f.by_month.iter().map(view_row).collect(),
    }))
}

/// The same figures as an Excel workbook, the format officials pass around.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(p): Query<Period>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, READERS)?;
    let (from, to) = p.resolve()?;
    let f = figures(&state.db, &state.calendar.get(), &c.code, from, to).await?;
    let bytes = workbook(&f, &c.name).map_err(AppError::internal)?;
    let name = format!("thong-ke-ho-so-{}-{}-{}.xlsx", c.code, f.from, f.to);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub fn workbook(f: &Figures, commune_name: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let headers = [
        "Tên",
        "Tiếp nhận",
        "Trực tuyến",
        "Trực tiếp",
        "Tỉ lệ trực tuyến",
        "Đúng hạn",
        "Trễ hạn",
        "Quá hạn chưa xử lý",
        "Tỉ lệ đúng hạn",
        "Số ngày làm việc TB",
        "Hài lòng TB (1-5)",
    ];
    for (title, rows) in [
        ("Theo thủ tục", &f.by_procedure),
        ("Theo tháng", &f.by_month),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(title)?;
        ws.write_string_with_format(
            0,
            0,
            format!("{commune_name}: thống kê hồ sơ {} – {}", f.from, f.to),
            &bold,
        )?;
        for (i, h) in headers.iter().enumerate() {
            ws.write_string_with_format(2, i as u16, *h, &bold)?;
        }
        for (r, row) in rows.iter().chain(std::iter::once(&f.total)).enumerate() {
            let y = 3 + r as u32;
            ws.write_string(y, 0, &row.label)?;
            for (col, v) in [row.received, row.online, row.offline]
                .into_iter()
                .enumerate()
            {
                ws.write_number(y, 1 + col as u16, v as f64)?;
            }
            if let Some(s) = row.online_share() {
                ws.write_number(y, 4, s)?;
            }
            for (col, v) in [row.on_time, row.late, row.overdue_open]
                .into_iter()
                .enumerate()
            {
                ws.write_number(y, 5 + col as u16, v as f64)?;
            }
            if let Some(s) = row.on_time_share() {
                ws.write_number(y, 8, s)?;
            }
            if let Some(d) = row.avg_working_days {
                ws.write_number(y, 9, d)?;
            }
            if let Some(d) = row.avg_rating {
                ws.write_number(y, 10, d)?;
            }
        }
        ws.set_column_width(0, 48)?;
    }
    wb.save_to_buffer()
}
