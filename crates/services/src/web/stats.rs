//! The statistics page (with SVG charts) and its XLSX export.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render};

use crate::actions;
use crate::stats::{Period, Row, workbook};

/// A share as Vietnamese write it: `87,5%`, `100%`.
fn pct(x: Option<f64>) -> String {
    x.map(|v| kernel::numbers::percent(v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// An average rating with one decimal, kept even when it is zero (`4,0` of 5 reads as a rating).
fn num(x: Option<f64>) -> String {
    x.map(|v| {
        let s = kernel::numbers::decimal(v, 1);
        if s.contains(',') { s } else { format!("{s},0") }
    })
    .unwrap_or_else(|| "—".into())
}

/// A month of the figures (`2026-12`, as the API and the workbook name it) as Vietnamese
/// write it: `T12/2026`.
fn month_vi(label: &str) -> String {
    match label.split_once('-') {
        Some((y, m)) => format!("T{}/{y}", m.trim_start_matches('0')),
        None => label.to_owned(),
    }
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
        s.push_str(&format!(r##"<rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{ho:.1}" fill="var(--brand,#0b6e4f)"><title>{}: {} {online_label}</title></rect>"##, base - ho, month_vi(&r.label), r.online));
        s.push_str(&format!(r##"<rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{hf:.1}" fill="#f4a261"><title>{}: {} {offline_label}</title></rect>"##, base - ho - hf, month_vi(&r.label), r.offline));
        s.push_str(&format!(r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1c2430">{}</text>"##, x + bw / 2.0, base - ho - hf - 4.0, r.received));
        // The month on one line, its year under it: `T12` / `2026`.
        let m = month_vi(&r.label);
        let (mon, year) = m.split_once('/').unwrap_or((&m, ""));
        s.push_str(&format!(r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#5b6573">{mon}<tspan x="{:.1}" dy="12">{year}</tspan></text>"##, x + bw / 2.0, h - pad + 14.0, x + bw / 2.0));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_vietnamese_write_them() {
        assert_eq!(pct(Some(1.0)), "100%");
        assert_eq!(pct(Some(0.875)), "87,5%");
        assert_eq!(num(Some(4.0)), "4,0");
        assert_eq!(num(Some(1234.56)), "1.234,6");
        assert_eq!(month_vi("2026-12"), "T12/2026");
        assert_eq!(month_vi("2027-01"), "T1/2027");
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

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(p): Query<Period>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let f = actions::stats::read(state.kernel(), ctx.actor(), &c, &p).await?;
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
        by_month: f
            .by_month
            .iter()
            .map(|r| ViewRow {
                label: month_vi(&r.label),
                ..view_row(r)
            })
            .collect(),
    }))
}

/// The same figures as an Excel workbook, the format officials pass around.
pub(super) async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(p): Query<Period>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let f = actions::stats::read(state.kernel(), ctx.actor(), &c, &p).await?;
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
