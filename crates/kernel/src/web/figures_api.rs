//! The one door to the rooms' figures: `GET /api/v1/communes/{code}/figures`, every registered
//! figure source measured for a commune over a period, with its label in the reader's language.
//! The indicators room and a province's scorecards read through this, never the rooms' tables.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::ctx::Ctx;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::figures::{Period, Unit};

/// Strings, not dates, so a malformed value is our `period_invalid`, not the extractor's plain
/// text rejection.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// First day, `YYYY-MM-DD` (Vietnam); default: 1 January of the year of `to`.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (Vietnam), included; default: today.
    to: Option<String>,
    /// Only the figures feeding this Appendix I indicator (e.g. `1.1`, `16.3`); an indicator no
    /// room feeds gives an empty list.
    indicator: Option<String>,
}

/// One figure of the commune over the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasuredFigure {
    /// Stable key, `<room>.<name>`.
    key: &'static str,
    /// The Appendix I indicators it feeds.
    indicators: Vec<&'static str>,
    unit: Unit,
    /// Its name in the reader's language.
    label: &'static str,
    /// `null` when the period has nothing to measure (a share of no dossiers).
    value: Option<f64>,
    /// For shares, the part and the whole; for means, the sum and how many.
    numerator: Option<f64>,
    denominator: Option<f64>,
}

/// Reads the requested period; today in Vietnam ends the default one.
fn period(q: &FiguresQuery, today: NaiveDate) -> AppResult<Period> {
    let date = |s: &Option<String>, field| match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid("period_invalid", field)),
    };
    let to = date(&q.to, "to")?.unwrap_or(today);
    let from = match date(&q.from, "from")? {
        Some(d) => d,
        None => NaiveDate::from_ymd_opt(to.year(), 1, 1)
            .ok_or_else(|| AppError::invalid("period_invalid", "to"))?,
    };
    Period::new(from, to)
}

#[utoipa::path(get, path = "/api/v1/communes/{code}/figures", tag = "communes", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code"), FiguresQuery),
    responses((status = 200, description = "Every figure the rooms measure, in the rooms' order", body = [MeasuredFigure]),
        (status = 401, body = ErrorBody), (status = 403, description = "Not staff of the commune or above it", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "`period_invalid`", body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<FiguresQuery>,
) -> AppResult<Json<Vec<MeasuredFigure>>> {
    let c = state.communes.active(&code)?;
    crate::accounts::access::staff(ctx.actor(), &c)?;
    let period = period(&q, crate::time::vn_today())?;
    let tr = ctx.tr();
    let indicator = q
        .indicator
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut out = vec![];
    for s in state.figures.sources() {
        if indicator.is_some_and(|i| !s.indicators.contains(&i)) {
            continue;
        }
        let m = (s.measure)(&state.db, &c.code, period).await?;
        out.push(MeasuredFigure {
            key: s.key,
            indicators: s.indicators.to_vec(),
            unit: s.unit,
            label: tr.get(s.label),
            value: m.value,
            numerator: m.numerator,
            denominator: m.denominator,
        });
    }
    Ok(Json(out))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/communes/{code}/figures", get(figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: Option<&str>, to: Option<&str>) -> FiguresQuery {
        FiguresQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
            indicator: None,
        }
    }

    #[test]
    fn the_default_period_is_this_year_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let p = period(&q(None, None), today).unwrap();
        assert_eq!((p.from.to_string(), p.to), ("2026-01-01".into(), today));
        let p = period(&q(None, Some("2025-06-30")), today).unwrap();
        assert_eq!(p.from.to_string(), "2025-01-01");
        let p = period(&q(Some(" 2026-02-01 "), Some("")), today).unwrap();
        assert_eq!((p.from.to_string(), p.to), ("2026-02-01".into(), today));
        for (from, to) in [
            (Some("2026-13-01"), None),
            (Some("01/02/2026"), None),
            (None, Some("yesterday")),
            (Some("2026-03-16"), None),
            (Some("1990-01-01"), Some("1990-12-31")),
        ] {
            let e = period(&q(from, to), today).unwrap_err();
            assert_eq!(e.code, "period_invalid", "{from:?} {to:?}");
        }
    }
}
