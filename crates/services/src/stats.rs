//! Numbers for decisions: dossiers received, online share, on time or late, processing time and
//! satisfaction, by procedure and by month (the page with SVG charts is `web::stats`, the API
//! that the indicators room reads is in `api`; 1.1, 1.2, share handled online), and the XLSX file.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use kernel::accounts::Role;
use kernel::error::AppResult;
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
    /// The first and last day, or the field at fault.
    pub fn resolve(&self) -> Result<(NaiveDate, NaiveDate), &'static str> {
        let today = kernel::time::vn_today();
        let parse = |s: &str, default: NaiveDate, field| -> Result<NaiveDate, &'static str> {
            if s.trim().is_empty() {
                Ok(default)
            } else {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| field)
            }
        };
        let from = parse(
            &self.from,
            NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            "from",
        )?;
        // A `to` that is not a date blames `to` (it used to blame `from`).
        let to = parse(&self.to, today, "to")?;
        let sane = |d: NaiveDate| (2000..=2100).contains(&d.year());
        if to < from || (to - from).num_days() > 3660 || !sane(from) || !sane(to) {
            return Err("to");
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

#[cfg(test)]
mod tests {
    use super::Period;

    fn period(from: &str, to: &str) -> Period {
        Period {
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn a_bad_period_blames_the_field_at_fault() {
        assert_eq!(period("2025-13-01", "").resolve(), Err("from"));
        assert_eq!(period("2025-01-01", "31/12/2025").resolve(), Err("to"));
        assert_eq!(period("2025-06-01", "2025-01-01").resolve(), Err("to"));
        assert_eq!(period("1990-01-01", "2025-01-01").resolve(), Err("to"));
        let (from, to) = period("2025-01-01", "2025-12-31").resolve().unwrap();
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2025-01-01".into(), "2025-12-31".into())
        );
    }
}
