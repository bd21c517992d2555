//! The import engine: households from a spreadsheet (CSV, XLSX, ODS). A preview reads the
//! whole file and says, per row, whether it is new, updated, unchanged or refused (with
//! column and reason) and writes nothing; applying does the same and writes every good row,
//! idempotently by household code: a column the file lacks keeps what the register has, so
//! a file of codes and internet types changes only those, and the same file twice changes
//! nothing the second time.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use kernel::i18n::Locale;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ActionResult;
use crate::columns::{self, HeaderFault, RowRules};
use crate::model::Household;
use crate::sheet::{Input, SheetError};
use crate::store::{self, Observation, Write};

/// Households read, compared and written per transaction: one look-up of their codes, then
/// statements of 500 (`store::upsert`). Fewer, larger transactions mean fewer syncs to disk.
pub const CHUNK: usize = 2000;

/// Rows after which a PostgreSQL import refreshes the planner's statistics: a table that was
/// nearly empty when the import began is planned as if it still were (the code look-up then
/// scans the commune), and autovacuum may be off or late.
const ANALYZE_AFTER: u64 = 20_000;

/// One refused cell: the row as the spreadsheet numbers it, the column as the file names
/// it, the reason's code and its text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[schema(as = ImportRowFault)]
pub struct RowFault {
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
}

/// What became of a row that was not refused.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportOutcome)]
pub enum Outcome {
    New,
    Updated,
    Unchanged,
}

/// The first rows' outcomes, for the preview table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ImportRowOutcome)]
pub struct RowOutcome {
    pub row: usize,
    pub household_code: String,
    pub head_name: String,
    pub outcome: Outcome,
}

/// Why the whole file was refused (nothing read, nothing written).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ImportFileFault)]
pub struct FileFault {
    pub code: String,
    pub message: String,
    /// The columns at fault, as the file names them (unknown, missing or doubled).
    pub columns: Vec<String>,
}

/// What an import found (a preview) or did (applied).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = HouseholdImportReport)]
pub struct Report {
    /// Whether the good rows were written.
    pub applied: bool,
    /// Rows read (blank rows skipped).
    pub rows: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows refused: each has one or more entries in `faults`.
    pub refused: u64,
    pub faults: Vec<RowFault>,
    /// The first rows' outcomes (at most 200).
    pub outcomes: Vec<RowOutcome>,
    pub file: Option<FileFault>,
}

/// Outcomes kept for the preview's table.
const OUTCOMES_SHOWN: usize = 200;

fn message(locale: Locale, code: &str) -> String {
    kernel::i18n::t(locale, &format!("error.{code}")).to_owned()
}

fn file_fault(locale: Locale, code: &str, columns: Vec<String>) -> Report {
    Report {
        file: Some(FileFault {
            code: code.into(),
            message: message(locale, code),
            columns,
        }),
        ..Report::default()
    }
}

/// What the import is asked to do.
pub struct Job<'a> {
    pub input: Input,
    /// Write the good rows (false: a preview).
    pub apply: bool,
    /// The messages' language.
    pub locale: Locale,
    /// The commune's saved header mapping (folded header → field).
    pub mapping: HashMap<String, String>,
    /// Called after each chunk with (rows done, rows in the file).
    pub progress: &'a mut (dyn FnMut(u64, u64) + Send),
    /// Who the history names as having recorded the observations.
    pub recorded_by: Option<i64>,
}

/// Reads the file and previews or applies it in commune `commune`: the engine under every
/// import use case (`imports`), which checks the permission and writes the audit entry.
pub async fn run(
    db: &DatabaseConnection,
    secret: &[u8],
    commune: &str,
    job: Job<'_>,
) -> ActionResult<Report> {
    let locale = job.locale;
    let mut table = match job.input.open() {
        Ok(t) => t,
        Err(SheetError::Empty) => return Ok(file_fault(locale, "import_empty", vec![])),
        Err(_) => return Ok(file_fault(locale, "import_not_spreadsheet", vec![])),
    };
    let cols = match columns::map_header(&table.header, &job.mapping) {
        Ok(cols) => cols,
        Err(HeaderFault::Unknown(v)) => {
            return Ok(file_fault(locale, "import_unknown_columns", v));
        }
        Err(HeaderFault::Missing(v)) => {
            let v = v.into_iter().map(str::to_owned).collect();
            return Ok(file_fault(locale, "import_missing_columns", v));
        }
        Err(HeaderFault::Twice(f)) => {
            return Ok(file_fault(locale, "import_column_twice", vec![f.into()]));
        }
    };
    let header = table.header.clone();
    let code_at = cols.iter().position(|f| *f == "household_code");

    // First pass: codes only, so a code on two rows refuses both, whichever comes first.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut twice: HashSet<String> = HashSet::new();
    let mut total = 0u64;
    while let Some(r) = table.next_row() {
        total += 1;
        if let (Ok((_, cells)), Some(i)) = (r, code_at) {
            let code = cells.get(i).cloned().unwrap_or_default();
            if !code.is_empty() && seen.insert(code.clone(), 0).is_some() {
                twice.insert(code);
            }
        }
    }
    drop(seen);
    (job.progress)(0, total);

    let villages: Vec<(i64, String)> = kernel::tenancy::villages(db, commune)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let area = kernel::tenancy::area::area(db, commune).await?;
    let today = kernel::time::vn_today();
    let year = chrono::Datelike::year(&today);
    let rules = RowRules::new(&villages, area, year, secret);
    let present: HashSet<&str> = cols.iter().copied().filter(|f| !f.is_empty()).collect();

    let mut report = Report {
        applied: job.apply,
        ..Report::default()
    };
    let mut table = job
        .input
        .open()
        .map_err(|_| kernel::error::AppError::invalid("import_not_spreadsheet", "file"))?;
    let mut chunk: Vec<(usize, Household)> = Vec::with_capacity(CHUNK);
    let mut done = 0u64;
    loop {
        let next = table.next_row();
        let end = next.is_none();
        if let Some(r) = next {
            report.rows += 1;
            match r {
                Err(row) => {
                    report.refused += 1;
                    report.faults.push(RowFault {
                        row,
                        column: String::new(),
                        code: "import_row_unreadable".into(),
                        message: message(locale, "import_row_unreadable"),
                    });
                }
                Ok((row, cells)) => {
                    let code = code_at.and_then(|i| cells.get(i)).cloned();
                    let checked = rules.check(&cols, &cells).and_then(|h| {
                        if code.as_ref().is_some_and(|c| twice.contains(c)) {
                            Err(vec![("household_code", "household_code_twice")])
                        } else {
                            Ok(h)
                        }
                    });
                    match checked {
                        Ok(h) => chunk.push((row, h)),
                        Err(mut faults) => {
                            report.refused += 1;
                            // In the file's column order, as a person reads the row.
                            faults.sort_by_key(|(field, _)| {
                                cols.iter().position(|f| f == field).unwrap_or(usize::MAX)
                            });
                            for (field, code) in faults {
                                let column = cols
                                    .iter()
                                    .position(|f| *f == field)
                                    .and_then(|i| header.get(i))
                                    .cloned()
                                    .unwrap_or_else(|| field.to_owned());
                                report.faults.push(RowFault {
                                    row,
                                    column,
                                    code: code.into(),
                                    message: message(locale, code),
                                });
                            }
                        }
                    }
                }
            }
        }
        if chunk.len() >= CHUNK || (end && !chunk.is_empty()) {
            let batch = std::mem::take(&mut chunk);
            let before = report.new;
            write_chunk(
                db,
                commune,
                &batch,
                &present,
                today,
                &mut report,
                job.recorded_by,
            )
            .await?;
            let crossed = before < ANALYZE_AFTER && report.new >= ANALYZE_AFTER;
            if report.applied && crossed && db.get_database_backend() == DbBackend::Postgres {
                db.execute_unprepared("ANALYZE household, household_observation")
                    .await?;
            }
        }
        if end || report.rows.is_multiple_of(CHUNK as u64) {
            done = report.rows.max(done);
            (job.progress)(done, total);
        }
        if end {
            break;
        }
    }
    Ok(report)
}

/// `new` with the fields the file has no column for taken from `old`.
fn merge(old: &Household, new: &Household, present: &HashSet<&str>) -> Household {
    let has = |f: &str| present.contains(f);
    Household {
        code: new.code.clone(),
        village_id: if has("village") || (has("lat") && new.village_id.is_some()) {
            new.village_id
        } else {
            old.village_id
        },
        head_name: new.head_name.clone(),
        head_birth_year: if has("head_birth_year") {
            new.head_birth_year
        } else {
            old.head_birth_year
        },
        head_sex: if has("head_sex") {
            new.head_sex
        } else {
            old.head_sex
        },
        head_id: if has("head_national_id") {
            new.head_id.clone()
        } else {
            old.head_id.clone()
        },
        members: if has("members") {
            new.members
        } else {
            old.members
        },
        address: if has("address") {
            new.address.clone()
        } else {
            old.address.clone()
        },
        phone: if has("phone") {
            new.phone.clone()
        } else {
            old.phone.clone()
        },
        ethnicity: if has("ethnicity") {
            new.ethnicity.clone()
        } else {
            old.ethnicity.clone()
        },
        poverty: if has("poverty") {
            new.poverty
        } else {
            old.poverty
        },
        location: if has("lat") || has("lon") {
            new.location
        } else {
            old.location
        },
        // Observed now: each attribute the file gives replaces the register's.
        facts: new.facts.over(&old.facts),
    }
}

async fn write_chunk(
    db: &DatabaseConnection,
    commune: &str,
    batch: &[(usize, Household)],
    present: &HashSet<&str>,
    today: NaiveDate,
    report: &mut Report,
    recorded_by: Option<i64>,
) -> ActionResult<()> {
    let codes: Vec<&str> = batch.iter().map(|(_, h)| h.code.as_str()).collect();
    let existing = store::by_codes(db, commune, &codes).await?;
    let mut writes: Vec<(Household, Option<NaiveDate>, bool)> = Vec::new();
    for (row, h) in batch {
        let (record, outcome, observed_on, observe) = match existing.get(&h.code) {
            None => {
                let on = (!h.facts.is_empty()).then_some(today);
                (h.clone(), Outcome::New, on, !h.facts.is_empty())
            }
            Some(old) => {
                let before = store::record_of(old);
                let after = merge(&before, h, present);
                if after == before {
                    report.unchanged += 1;
                    remember(report, *row, h, Outcome::Unchanged);
                    continue;
                }
                let facts_changed = after.facts != before.facts;
                let on = if facts_changed {
                    Some(today)
                } else {
                    old.observed_on
                };
                (after, Outcome::Updated, on, facts_changed)
            }
        };
        match outcome {
            Outcome::New => report.new += 1,
            _ => report.updated += 1,
        }
        remember(report, *row, h, outcome);
        writes.push((record, observed_on, observe));
    }
    if !report.applied || writes.is_empty() {
        return Ok(());
    }
    let rows: Vec<Write> = writes
        .iter()
        .map(|(record, observed_on, _)| Write {
            record,
            current: record.facts.clone(),
            observed_on: *observed_on,
        })
        .collect();
    let by_code: HashMap<&str, &Household> =
        batch.iter().map(|(_, h)| (h.code.as_str(), h)).collect();
    let txn = kernel::db::begin_write(db).await?;
    let ids = store::upsert(&txn, commune, &rows).await?;
    // The history keeps what was observed (the file's attributes), not the merged record.
    let observations: Vec<Observation> = writes
        .iter()
        .filter(|(_, _, observe)| *observe)
        .filter_map(|(record, _, _)| {
            Some(Observation {
                household_id: *ids.get(&record.code)?,
                facts: &by_code.get(record.code.as_str())?.facts,
                observed_on: today,
            })
        })
        .collect();
    store::observe(&txn, commune, &observations, "import", recorded_by).await?;
    txn.commit().await?;
    kernel::cache::changed(super::households::HOUSEHOLDS, commune);
    Ok(())
}

fn remember(report: &mut Report, row: usize, h: &Household, outcome: Outcome) {
    if report.outcomes.len() < OUTCOMES_SHOWN {
        report.outcomes.push(RowOutcome {
            row,
            household_code: h.code.clone(),
            head_name: h.head_name.clone(),
            outcome,
        });
    }
}
