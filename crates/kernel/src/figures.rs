//! Figure sources: what each room can measure per commune and period (a count, a share, a mean),
//! registered by the rooms and read by the indicators (Appendix I). A figure is computed with
//! SQL aggregates in its room, never by loading rows, so a province's scorecard stays cheap.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::future::BoxFuture;
use crate::i18n::Texts;

/// What a figure's number means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FigureUnit)]
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
    /// Checks a requested period: in order, at most ten years (a scorecard's horizon), and within
    /// 2000–2100, so no date arithmetic on its bounds can overflow.
    pub fn new(from: NaiveDate, to: NaiveDate) -> AppResult<Self> {
        let sane = |d: NaiveDate| (2000..=2100).contains(&d.year());
        if !sane(from) {
            return Err(AppError::invalid("period_invalid", "from"));
        }
        if to < from || !sane(to) {
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

/// Runs one aggregate query and returns its only row. Rooms write the same SQL for both
/// backends, with `$1`, `$2`… placeholders (SQLite reads `$n` as the n-th value too).
pub async fn aggregate(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<QueryResult> {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await?
    .ok_or_else(|| AppError::internal("an aggregate query returned no row"))
}

/// A `COUNT` or integer `SUM` column of an aggregate row: BIGINT on both backends; the `SUM` of
/// no rows (NULL) reads as 0.
pub fn int(row: &QueryResult, column: &str) -> AppResult<u64> {
    Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0).max(0) as u64)
}

/// What is wrong with a room's figure sources: keys outside the room's `<room>.` prefix or
/// repeated, no indicator, labels without a Vietnamese or an English text in `texts`. Empty
/// when all is well; each room's test asserts that.
pub fn problems(room: &str, sources: &[FigureSource], texts: &[Texts]) -> Vec<String> {
    let has = |catalogue: &str, key: &str| {
        catalogue
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .any(|(k, v)| k.trim() == key && !v.trim().is_empty())
    };
    let mut out = vec![];
    for (i, s) in sources.iter().enumerate() {
        if !s
            .key
            .strip_prefix(room)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'))
        {
            out.push(format!("{}: key outside `{room}.`", s.key));
        }
        if sources[..i].iter().any(|o| o.key == s.key) {
            out.push(format!("{}: key repeated", s.key));
        }
        if s.indicators.is_empty() {
            out.push(format!("{}: feeds no indicator", s.key));
        }
        if !texts.iter().any(|t| has(t.vi, s.label)) {
            out.push(format!("{}: no Vietnamese text for `{}`", s.key, s.label));
        }
        if !texts.iter().any(|t| has(t.en, s.label)) {
            out.push(format!("{}: no English text for `{}`", s.key, s.label));
        }
    }
    out
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
    fn problems_name_bad_keys_and_missing_texts() {
        fn none<'a>(
            _: &'a DatabaseConnection,
            _: &'a str,
            _: Period,
        ) -> BoxFuture<'a, AppResult<Measure>> {
            Box::pin(async { Ok(Measure::count(0)) })
        }
        let s = |key, indicators, label| FigureSource {
            key,
            indicators,
            unit: Unit::Count,
            label,
            measure: none,
        };
        let texts = [Texts {
            vi: "fig.a = Một\nfig.b = Hai\n",
            en: "fig.a = One\nfig.b =  \n",
        }];
        assert!(problems("r", &[s("r.a", &["1.1"], "fig.a")], &texts).is_empty());
        let p = problems(
            "r",
            &[
                s("rx.a", &["1.1"], "fig.a"),
                s("r.", &["1.1"], "fig.a"),
                s("r.b", &[], "fig.b"),
                s("r.b", &["3.3"], "fig.c"),
            ],
            &texts,
        );
        assert_eq!(
            p,
            [
                "rx.a: key outside `r.`",
                "r.: key outside `r.`",
                "r.b: feeds no indicator",
                "r.b: no English text for `fig.b`",
                "r.b: key repeated",
                "r.b: no Vietnamese text for `fig.c`",
                "r.b: no English text for `fig.c`",
            ]
        );
    }

    #[test]
    fn periods_are_ordered_and_bounded() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(Period::new(d(2026, 2, 1), d(2026, 1, 1)).is_err());
        assert!(Period::new(d(2000, 1, 1), d(2026, 1, 1)).is_err());
        assert!(Period::new(d(1999, 12, 31), d(2000, 1, 31)).is_err());
        assert!(Period::new(d(2100, 12, 1), d(2101, 1, 1)).is_err());
        assert!(Period::new(d(2000, 1, 1), d(2000, 1, 1)).is_ok());
        let p = Period::new(d(2026, 1, 1), d(2026, 1, 31)).unwrap();
        let (a, b) = p.bounds();
        assert_eq!((b - a).num_days(), 31);
    }
}
