//! The kernel's full-text search (`kernel::search`) against the `LIKE '%word%'` filters it
//! replaced, on the same rows: N folded texts (most in one commune, the rest spread over four
//! others) in a fresh SQLite database, and a PostgreSQL one with `--pg-url`. Each query runs
//! both ways, a page of 20 as the rooms ask for it (commune named, newest first; the search
//! also ranks whole words first), and the medians and their ratio are printed.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use kernel::search::{Index, Query};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query as Select, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

const TABLE: &str = "bench_search";
const INDEX: Index = Index::new(TABLE, "search_folded");
const COMMUNE: &str = "17071";
const OTHERS: [&str; 4] = ["02269", "00004", "00007", "00010"];
/// Rows per INSERT while seeding.
const SEED_CHUNK: u64 = 500;
/// Runs of each query, each way.
const RUNS: usize = 30;

/// Folded Vietnamese words the texts are drawn from (notices, reports, procedures).
const WORDS: &[&str] = &[
    "thong", "bao", "lich", "tiem", "chung", "tre", "em", "tram", "y", "te", "xa", "thon", "ban",
    "xom", "hop", "dan", "nha", "van", "hoa", "duong", "lien", "den", "hong", "o", "ga", "rac",
    "thai", "cho", "cong", "thoat", "nuoc", "tac", "ngap", "lut", "mua", "bao", "lu", "giay",
    "khai", "sinh", "tu", "ket", "hon", "chung", "thuc", "ban", "sao", "ho", "tich", "dat", "dai",
    "so", "do", "thua", "cap", "phep", "xay", "dung", "ve", "sinh", "moi", "truong", "dot", "rom",
    "ra", "khoi", "bui", "tieng", "on", "karaoke", "dem", "khuya", "an", "ninh", "trat", "tu",
    "dua", "xe", "thanh", "nien", "hoc", "sinh", "truong", "mam", "non", "tieu", "hoc", "lop",
    "phu", "huynh", "hoc", "phi", "bao", "hiem", "y", "te", "nguoi", "cao", "tuoi", "tro", "cap",
    "ho", "ngheo", "can", "ngheo", "vay", "von", "ngan", "hang", "chinh", "sach", "nong", "nghiep",
    "lua", "ngo", "cam", "che", "trau", "bo", "lon", "ga", "dich", "benh", "phong", "chong", "cum",
    "sot", "xuat", "huyet", "muoi", "phun", "thuoc", "kiem", "tra", "sua", "chua", "be", "tong",
    "hoa", "nang", "cap", "dien", "luoi", "mat", "dien", "cat", "soi", "khai", "thac", "song",
    "suoi",
];

/// A deterministic text of 25–45 words (a linear congruential walk over [`WORDS`]).
fn text(i: u64) -> String {
    let mut x = i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let n = 25 + (i % 21);
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push(WORDS[((x >> 33) % WORDS.len() as u64) as usize]);
    }
    out.join(" ")
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<()> {
    db.execute_unprepared(sql).await?;
    Ok(())
}

async fn seed(db: &DatabaseConnection, rows: u64) -> Result<()> {
    let pk = match db.get_database_backend() {
        DbBackend::Postgres => "bigserial PRIMARY KEY",
        _ => "integer PRIMARY KEY AUTOINCREMENT",
    };
    exec(db, &format!("DROP TABLE IF EXISTS {TABLE}")).await?;
    exec(
        db,
        &format!(
            "CREATE TABLE {TABLE} (id {pk}, commune_code varchar(5) NOT NULL, search_folded text NOT NULL)"
        ),
    )
    .await?;
    exec(
        db,
        &format!("CREATE INDEX ix_{TABLE}_commune ON {TABLE} (commune_code, id)"),
    )
    .await?;
    let txn = kernel::db::begin_write(db).await?;
    let mut i = 0u64;
    while i < rows {
        let end = std::cmp::min(i + SEED_CHUNK, rows);
        let values: Vec<String> = (i..end)
            .map(|n| {
                // Nine rows in ten are the measured commune's.
                let commune = if n % 10 == 0 {
                    OTHERS[(n / 10 % 4) as usize]
                } else {
                    COMMUNE
                };
                format!("('{commune}', '{}')", text(n))
            })
            .collect();
        txn.execute_unprepared(&format!(
            "INSERT INTO {TABLE} (commune_code, search_folded) VALUES {}",
            values.join(", ")
        ))
        .await?;
        i = end;
    }
    txn.commit().await?;
    Ok(())
}

/// The old filter: every folded word somewhere in the text.
fn like_page(q: &Query) -> SelectStatement {
    let mut s = Select::select();
    s.column(Alias::new("id"))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("commune_code")).eq(COMMUNE));
    for w in q.terms() {
        s.and_where(Expr::col(Alias::new("search_folded")).like(format!("%{w}%")));
    }
    s.order_by(Alias::new("id"), Order::Desc).limit(20);
    s
}

/// The kernel's search, as the rooms use it.
fn search_page(backend: DbBackend, q: &Query) -> SelectStatement {
    let mut s = Select::select();
    s.column(Alias::new("id"))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("commune_code")).eq(COMMUNE))
        .and_where(INDEX.matches(backend, q))
        .order_by_expr(INDEX.rank(backend, q), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .limit(20);
    s
}

/// The median time of [`RUNS`] runs, and the rows of the last.
async fn time(db: &DatabaseConnection, stmt: Statement) -> Result<(Duration, usize)> {
    let mut times = Vec::with_capacity(RUNS);
    let mut n = 0;
    db.query_all_raw(stmt.clone()).await?; // warm the cache
    for _ in 0..RUNS {
        let t = Instant::now();
        n = db.query_all_raw(stmt.clone()).await?.len();
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[RUNS / 2], n))
}

async fn count(db: &DatabaseConnection, q: &Query) -> Result<i64> {
    let backend = db.get_database_backend();
    let mut s = Select::select();
    s.expr(Expr::cust("COUNT(*)"))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("commune_code")).eq(COMMUNE))
        .and_where(INDEX.matches(backend, q));
    let row = db.query_one(&s).await?.context("count returned no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

async fn measure(backend_name: &str, url: &str, rows: u64) -> Result<()> {
    println!(
        "\nSearch ({backend_name}): {rows} folded texts, 90% in one commune; a page of 20, median of {RUNS} …"
    );
    let db = kernel::db::connect(url).await?;
    let backend = db.get_database_backend();
    let t = Instant::now();
    seed(&db, rows).await?;
    let seeded = t.elapsed();
    let t = Instant::now();
    INDEX.create(&db).await?;
    exec(&db, "ANALYZE").await?;
    println!(
        "Seeded in {} ms, index built in {} ms",
        seeded.as_millis(),
        t.elapsed().as_millis()
    );
    for typed in [
        "giấy khai sinh",
        "kh sinh",
        "karaoke đêm khuya",
        "cát sỏi khai thác sông",
        "xuất huyết",
        "th",
        // Nothing matches: LIKE reads the whole commune to find out.
        "quy hoạch",
    ] {
        let q = Query::parse(typed)?;
        let (old, old_n) = time(&db, backend.build(&like_page(&q))).await?;
        let (new, new_n) = time(&db, backend.build(&search_page(backend, &q))).await?;
        let hits = count(&db, &q).await?;
        ensure!(new_n <= 20 && old_n <= 20, "a page is at most 20 rows");
        println!(
            "  {typed:<24} LIKE {:>8.2} ms ({old_n:>2} rows) | search {:>8.2} ms ({new_n:>2} rows, {hits} match) | LIKE/search {:.2}",
            old.as_secs_f64() * 1e3,
            new.as_secs_f64() * 1e3,
            old.as_secs_f64() / new.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "  (LIKE '%word%' matches inside words, the search only word starts: \"kh sinh\" and \"th\" differ in what they find)"
    );
    db.close().await.ok();
    Ok(())
}

/// Seeds, times and prints on SQLite, and on PostgreSQL when `pg_url` names a server (a
/// database `xaso_bench_search` is made next to it, and dropped after).
pub async fn run(rows: u64, pg_url: Option<&str>) -> Result<()> {
    ensure!(rows > 0, "--search-rows must be at least 1");
    crate::scratch::on_each_backend("search", pg_url, async |backend, url| {
        measure(backend, url, rows).await
    })
    .await
}
