//! Full-text search over `fold_vi` text (accent-free, lower-case Vietnamese): the query
//! parser, the index a room declares on its folded column, and the filter and ranking its
//! store adds to a select. SQLite answers from an FTS5 table kept by triggers, PostgreSQL
//! from a GIN index over a stored `to_tsvector('simple', column)` column of the
//! commune-owned table itself (so it stays with the rows when the table is distributed by
//! `commune_code`).
//!
//! Both backends match the same way: every word of the query must start a word of the text
//! ("kh sinh" finds "giấy khai sinh"), words are ANDed, and rows where the words appear whole
//! rank first. User input never reaches either query language as syntax: it is folded to
//! letters, digits and spaces first, then every word is quoted.

use axum::http::StatusCode;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::error::{AppError, AppResult};
use crate::text::fold_vi;

/// Longer input is refused (400 `search_too_long`): nobody types it, and it would only make
/// the index walk longer.
pub const MAX_CHARS: usize = 200;
/// Words kept from a query; more narrow nothing a person would notice.
pub const MAX_TERMS: usize = 8;

/// A parsed search: the distinct folded words of what was typed, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    /// Parses what a person typed. Punctuation alone folds to nothing: an empty query, which
    /// filters nothing (the list as without a search).
    pub fn parse(input: &str) -> AppResult<Query> {
        if input.chars().count() > MAX_CHARS {
            return Err(AppError {
                field: Some("q"),
                ..AppError::new(StatusCode::BAD_REQUEST, "search_too_long")
            });
        }
        let mut terms: Vec<String> = Vec::new();
        for w in fold_vi(input).split(' ').filter(|w| !w.is_empty()) {
            if terms.len() == MAX_TERMS {
                break;
            }
            if !terms.iter().any(|t| t == w) {
                terms.push(w.to_owned());
            }
        }
        Ok(Query { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The FTS5 `MATCH` expression: every word a quoted prefix (`"kh"* AND "sinh"*`). Quoting
    /// makes `NEAR`, `AND`, `-`, `:` and `^` plain words; a `"` is doubled as FTS5 escapes it.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The PostgreSQL `to_tsquery` text: every word a quoted prefix (`'kh':* & 'sinh':*`).
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("'{}':*", t.replace('\\', "\\\\").replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// A searchable folded column of a table whose key is `id`, declared once by the room that
/// owns the table (`const SEARCH: Index = Index::new("notice", "search_folded")`).
#[derive(Debug, Clone, Copy)]
pub struct Index {
    pub table: &'static str,
    pub column: &'static str,
}

impl Index {
    pub const fn new(table: &'static str, column: &'static str) -> Self {
        Index { table, column }
    }

    /// The FTS5 table beside `table` on SQLite.
    pub fn fts_table(&self) -> String {
        format!("{}_fts", self.table)
    }

    /// The stored `tsvector` column beside `column` on PostgreSQL.
    fn pg_vector(&self) -> String {
        format!("{}_tsv", self.column)
    }

    fn pg_index(&self) -> String {
        format!("ix_{}_{}_fts", self.table, self.column)
    }

    /// Creates the index and fills it from the rows already there; called from the room's
    /// migration. On SQLite, triggers keep the FTS5 table in step with every insert, update
    /// and delete of the table (cascades included), so no store can forget it.
    pub async fn create(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let (t, c, f) = (self.table, self.column, self.fts_table());
        let statements = match db.get_database_backend() {
            // unicode61 splits on what fold_vi leaves as spaces; remove_diacritics 2 is a
            // second net for text folded by an older rule. The prefix indexes make one- to
            // three-letter prefixes ("kh*") a direct look-up instead of a term scan.
            DbBackend::Sqlite => vec![
                format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS \"{f}\" USING fts5(\"{c}\", content='{t}', \
                     content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
                ),
                format!(
                    "CREATE TRIGGER IF NOT EXISTS \"{f}_ai\" AFTER INSERT ON \"{t}\" BEGIN \
                     INSERT INTO \"{f}\"(rowid, \"{c}\") VALUES (new.id, new.\"{c}\"); END"
                ),
                format!(
                    "CREATE TRIGGER IF NOT EXISTS \"{f}_ad\" AFTER DELETE ON \"{t}\" BEGIN \
                     INSERT INTO \"{f}\"(\"{f}\", rowid, \"{c}\") VALUES ('delete', old.id, old.\"{c}\"); END"
                ),
                format!(
                    "CREATE TRIGGER IF NOT EXISTS \"{f}_au\" AFTER UPDATE OF \"{c}\" ON \"{t}\" BEGIN \
                     INSERT INTO \"{f}\"(\"{f}\", rowid, \"{c}\") VALUES ('delete', old.id, old.\"{c}\"); \
                     INSERT INTO \"{f}\"(rowid, \"{c}\") VALUES (new.id, new.\"{c}\"); END"
                ),
                format!("INSERT INTO \"{f}\"(\"{f}\") VALUES ('rebuild')"),
            ],
            // An expression index on the table itself: filled from existing rows when made,
            // kept by PostgreSQL on every write.
            // A stored vector beside the text (computed by PostgreSQL on every write, filled for
            // existing rows when added) and its GIN index: a prefix match reads the vectors,
            // not to_tsvector of every candidate row (measured 460 ms → see the bench, 50k rows).
            _ => vec![
                format!(
                    "ALTER TABLE \"{t}\" ADD COLUMN IF NOT EXISTS \"{v}\" tsvector \
                     GENERATED ALWAYS AS (to_tsvector('simple', \"{c}\")) STORED",
                    v = self.pg_vector()
                ),
                format!(
                    "CREATE INDEX IF NOT EXISTS \"{}\" ON \"{t}\" USING GIN (\"{}\")",
                    self.pg_index(),
                    self.pg_vector()
                ),
            ],
        };
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    /// Removes what [`Index::create`] made (a migration's `down`).
    pub async fn drop(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let f = self.fts_table();
        let statements = match db.get_database_backend() {
            DbBackend::Sqlite => vec![
                format!("DROP TRIGGER IF EXISTS \"{f}_ai\""),
                format!("DROP TRIGGER IF EXISTS \"{f}_ad\""),
                format!("DROP TRIGGER IF EXISTS \"{f}_au\""),
                format!("DROP TABLE IF EXISTS \"{f}\""),
            ],
            _ => vec![
                format!("DROP INDEX IF EXISTS \"{}\"", self.pg_index()),
                format!(
                    "ALTER TABLE \"{}\" DROP COLUMN IF EXISTS \"{}\"",
                    self.table,
                    self.pg_vector()
                ),
            ],
        };
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    /// The rows matching `q`, as a condition for the select's `filter` (always true for an
    /// empty query). The select must still name the commune: the index is not a permission.
    pub fn matches(&self, backend: DbBackend, q: &Query) -> SimpleExpr {
        if q.is_empty() {
            return Expr::cust("1 = 1");
        }
        let t = self.table;
        match backend {
            DbBackend::Sqlite => Expr::cust_with_values(
                format!(
                    "\"{t}\".\"id\" IN (SELECT rowid FROM \"{f}\" WHERE \"{f}\" MATCH ?)",
                    f = self.fts_table()
                ),
                [q.fts5()],
            ),
            _ => Expr::cust_with_values(
                // sea-query binds `$n` on PostgreSQL (`?` only on SQLite).
                format!(
                    "\"{t}\".\"{}\" @@ to_tsquery('simple', $1)",
                    self.pg_vector()
                ),
                [q.tsquery()],
            ),
        }
    }

    /// How many of the query's words appear whole in the row, for `order_by_desc` before the
    /// list's own order: "khai sinh" puts "giấy khai sinh" before "khai sinh hoạt ... sinhs".
    /// Evaluated only on the rows already matched, so it costs a few string tests per hit.
    pub fn rank(&self, backend: DbBackend, q: &Query) -> SimpleExpr {
        if q.is_empty() {
            // An expression, not the literal `0`: `ORDER BY 0` names a column by position.
            return Expr::cust("(0 + 0)");
        }
        let (t, c) = (self.table, self.column);
        let parts: Vec<String> = q
            .terms
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let p = param(backend, i + 1);
                format!("(CASE WHEN (' ' || \"{t}\".\"{c}\" || ' ') LIKE {p} THEN 1 ELSE 0 END)")
            })
            .collect();
        // fold_vi leaves no `%` or `_`: the words are literal in the pattern.
        Expr::cust_with_values(
            parts.join(" + "),
            q.terms.iter().map(|w| format!("% {w} %")),
        )
    }
}

/// A migration that only creates an [`Index`] (and drops it on the way down): what a room's
/// `migration_search.rs` declares when the folded column already exists.
pub struct IndexMigration {
    name: &'static str,
    index: Index,
}

impl Index {
    /// The migration named `name` creating this index.
    pub const fn migration(self, name: &'static str) -> IndexMigration {
        IndexMigration { name, index: self }
    }
}

impl sea_orm_migration::MigrationName for IndexMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl sea_orm_migration::MigrationTrait for IndexMigration {
    async fn up(&self, m: &sea_orm_migration::SchemaManager) -> Result<(), DbErr> {
        self.index.create(m.get_connection()).await
    }

    async fn down(&self, m: &sea_orm_migration::SchemaManager) -> Result<(), DbErr> {
        self.index.drop(m.get_connection()).await
    }
}

/// Fills `column` with `fold_vi` of the `sources` columns joined by spaces, for every row of
/// `table` (a migration adding a folded column to a table that has rows). Walks by `id` in
/// batches so a large table never sits in memory.
pub async fn backfill(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
    sources: &[&str],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let select: Vec<String> = sources
        .iter()
        .map(|s| format!("COALESCE(\"{s}\", '')"))
        .collect();
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT id, {} FROM \"{table}\" WHERE id > {} ORDER BY id LIMIT 1000",
                    select.join(", "),
                    param(backend, 1)
                ),
                [after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get_by_index::<i64>(0)?;
        for r in rows {
            let id: i64 = r.try_get_by_index(0)?;
            let mut text = String::new();
            for i in 0..sources.len() {
                text.push_str(&r.try_get_by_index::<String>(i + 1)?);
                text.push(' ');
            }
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE \"{table}\" SET \"{column}\" = {} WHERE id = {}",
                    param(backend, 1),
                    param(backend, 2)
                ),
                [fold_vi(&text).into(), id.into()],
            ))
            .await?;
        }
    }
}

fn param(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        Query::parse(s).unwrap()
    }

    #[test]
    fn folds_and_splits() {
        assert_eq!(q("Giấy khai sinh").terms(), ["giay", "khai", "sinh"]);
        assert_eq!(q("  ĐĂNG   ký ").terms(), ["dang", "ky"]);
        assert_eq!(q("khai khai sinh").terms(), ["khai", "sinh"]);
    }

    #[test]
    fn punctuation_alone_is_empty() {
        for s in ["", "   ", "\"*-:()^", "!!! ??? ...", "\"\""] {
            assert!(q(s).is_empty(), "{s:?}");
            assert_eq!(q(s).fts5(), "");
        }
    }

    #[test]
    fn fts5_syntax_is_quoted() {
        assert_eq!(q("kh sinh").fts5(), "\"kh\"* AND \"sinh\"*");
        // Operators and column filters become plain quoted words.
        assert_eq!(
            q("a NEAR b -c title:x \"d\"* OR e^").fts5(),
            "\"a\"* AND \"near\"* AND \"b\"* AND \"c\"* AND \"title\"* AND \"x\"* AND \"d\"* AND \"or\"*"
        );
        assert_eq!(q("a NEAR b").terms().len(), 3);
    }

    #[test]
    fn tsquery_is_quoted() {
        assert_eq!(q("kh sinh").tsquery(), "'kh':* & 'sinh':*");
        assert_eq!(
            q("o'neil & !x | y").tsquery(),
            "'o':* & 'neil':* & 'x':* & 'y':*"
        );
    }

    #[test]
    fn limits() {
        let long = "a".repeat(MAX_CHARS + 1);
        let e = Query::parse(&long).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.code, "search_too_long");
        assert!(Query::parse(&"ă".repeat(MAX_CHARS)).is_ok());
        let many = (0..20)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(q(&many).terms().len(), MAX_TERMS);
    }

    #[test]
    fn empty_query_filters_nothing() {
        let idx = Index::new("notice", "search_folded");
        let e = idx.matches(DbBackend::Sqlite, &Query::default());
        let sql = sea_orm::sea_query::Query::select()
            .expr(e)
            .to_string(sea_orm::sea_query::SqliteQueryBuilder);
        assert_eq!(sql, "SELECT 1 = 1");
    }

    #[test]
    fn conditions_bind_the_query() {
        let idx = Index::new("notice", "search_folded");
        let query = q("Khai sinh");
        let sql = sea_orm::sea_query::Query::select()
            .expr(idx.matches(DbBackend::Postgres, &query))
            .build(sea_orm::sea_query::PostgresQueryBuilder);
        assert_eq!(
            sql.0,
            "SELECT \"notice\".\"search_folded_tsv\" @@ to_tsquery('simple', $1)"
        );
        let sql = sea_orm::sea_query::Query::select()
            .expr(idx.matches(DbBackend::Sqlite, &query))
            .build(sea_orm::sea_query::SqliteQueryBuilder);
        assert!(sql.0.contains("\"notice_fts\" MATCH ?"), "{}", sql.0);
        let sql = sea_orm::sea_query::Query::select()
            .expr(idx.rank(DbBackend::Postgres, &query))
            .build(sea_orm::sea_query::PostgresQueryBuilder);
        assert!(sql.0.contains("LIKE $2 THEN"), "{}", sql.0);
        assert_eq!(sql.1.0.len(), 2);
    }
}
