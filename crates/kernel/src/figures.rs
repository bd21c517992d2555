//! Figure sources: what each room can measure per commune and period (a count, a share, a mean),
//! registered by the rooms and read by the indicators (Appendix I). A figure is computed with
//! SQL aggregates in its room, never by loading rows, so a province's scorecard stays cheap.

use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::room::BoxFuture;

/// What a figure's number means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// How many (people, dossiers, reports).
    Count,
    /// A share, 0–100, with its numerator and denominator.
    Percent,
    /// A duration in (working) days.
    Days,
    /// A mean rating on the room's scale (1–5).
    Score,
}

/// A span of whole days in Vietnam, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Checks a requested period: in order, and at most ten years (a scorecard's horizon).
    pub fn new(from: NaiveDate, to: NaiveDate) -> AppResult<Self> {
        if to < from {
            return Err(AppError::invalid("period_invalid", "to"));
        }
        if (to - from).num_days() > 3660 {
            return Err(AppError::invalid("period_invalid", "from"));
        }
        Ok(Period { from, to })
    }

    /// The UTC instants bounding the period: `[start, end)`.
    pub fn bounds(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        (
            crate::time::vn_day_start(self.from),
            crate::time::vn_day_end(self.to),
        )
    }
}

/// One measurement. `value` is `None` when the period has nothing to measure (a share of zero
/// dossiers), which a scorecard shows as "no data", not as 0 %.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Measure {
    pub value: Option<f64>,
    /// For shares: the part and the whole it was computed from.
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

impl Measure {
    pub fn count(n: u64) -> Self {
        Measure {
            value: Some(n as f64),
            numerator: None,
            denominator: None,
        }
    }

    /// `part` of `whole` as a percentage; no value when `whole` is zero.
    pub fn share(part: u64, whole: u64) -> Self {
        Measure {
            value: (whole > 0).then(|| 100.0 * part as f64 / whole as f64),
            numerator: Some(part as f64),
            denominator: Some(whole as f64),
        }
    }

    /// A mean, or no value without any observation.
    pub fn mean(sum: f64, n: u64) -> Self {
        Measure {
            value: (n > 0).then(|| sum / n as f64),
            numerator: Some(sum),
            denominator: Some(n as f64),
        }
    }
}

/// How a figure is measured: (database, commune code, period) → measure.
pub type MeasureFn =
    for<'a> fn(&'a DatabaseConnection, &'a str, Period) -> BoxFuture<'a, AppResult<Measure>>;

/// A figure a room can measure.
#[derive(Clone, Copy)]
pub struct FigureSource {
    /// Stable key, `<room>.<name>`.
    pub key: &'static str,
    /// The Appendix I indicators it feeds (e.g. `1.1`, `16.3`).
    pub indicators: &'static [&'static str],
    pub unit: Unit,
    /// Text key of its name.
    pub label: &'static str,
    pub measure: MeasureFn,
}

/// Every room's figure sources, in the order the rooms are listed.
#[derive(Clone, Default)]
pub struct Figures(Arc<Vec<FigureSource>>);

impl Figures {
    pub fn new(sources: Vec<FigureSource>) -> Self {
        Figures(Arc::new(sources))
    }

    pub fn sources(&self) -> &[FigureSource] {
        &self.0
    }

    pub fn get(&self, key: &str) -> Option<&FigureSource> {
        self.0.iter().find(|s| s.key == key)
    }

    /// The sources feeding one indicator.
    pub fn for_indicator<'a>(
        &'a self,
        indicator: &'a str,
    ) -> impl Iterator<Item = &'a FigureSource> {
        self.0
            .iter()
            .filter(move |s| s.indicators.contains(&indicator))
    }

    /// Measures every figure of a commune over a period.
    pub async fn measure_all(
        &self,
        db: &DatabaseConnection,
        commune: &str,
        period: Period,
    ) -> AppResult<Vec<(FigureSource, Measure)>> {
        let mut out = Vec::with_capacity(self.0.len());
        for s in self.0.iter() {
            out.push((*s, (s.measure)(db, commune, period).await?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_means_without_data_have_no_value() {
        assert_eq!(Measure::share(0, 0).value, None);
        assert_eq!(Measure::share(1, 4).value, Some(25.0));
        assert_eq!(Measure::mean(0.0, 0).value, None);
        assert_eq!(Measure::mean(9.0, 2).value, Some(4.5));
        assert_eq!(Measure::count(3).value, Some(3.0));
    }

    #[test]
    fn periods_are_ordered_and_bounded() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(Period::new(d(2026, 2, 1), d(2026, 1, 1)).is_err());
        assert!(Period::new(d(2000, 1, 1), d(2026, 1, 1)).is_err());
        let p = Period::new(d(2026, 1, 1), d(2026, 1, 31)).unwrap();
        let (a, b) = p.bounds();
        assert_eq!((b - a).num_days(), 31);
    }
}
