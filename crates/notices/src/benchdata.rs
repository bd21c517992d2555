//! Load-test data for the notices room: a commune of many residents (spread over its
//! villages, half with an email address) and a long notice history for the board, then one
//! whole-commune notice published the normal way, timed: the fan-out figure of issue 5.

use std::time::{Duration, Instant};

use chrono::Utc;
use kernel::accounts::{self, entity::user};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::{self, CommuneInfo};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use crate::entity::notice;
use crate::model::{self, Audience, Category, Input};
use crate::store;

/// Phones of the synthetic residents: +849100000001 …
fn phone(i: u64) -> String {
    format!("+8491{i:08}")
}

/// Adds `people` residents to the commune in batches (they cannot sign in: no password).
pub async fn seed_people(db: &DatabaseConnection, commune: &str, people: u64) -> AppResult<()> {
    let villages = tenancy::villages(db, commune).await?;
    let now = Utc::now();
    let mut i = 1u64;
    while i <= people {
        let end = (i + 2000).min(people + 1);
        let batch: Vec<user::ActiveModel> = (i..end)
            .map(|n| user::ActiveModel {
                phone: Set(Some(phone(n))),
                full_name: Set(format!("Cư dân thử tải {n}")),
                email: Set((n % 2 == 0).then(|| format!("cu-dan-{n}@example.vn"))),
                password_hash: Set("!".into()),
                commune_code: Set(Some(commune.into())),
                village_id: Set(villages
                    .get((n % villages.len().max(1) as u64) as usize)
                    .map(|v| v.id)),
                locale: Set("vi".into()),
                failed_logins: Set(0),
                locked_until: Set(None),
                disabled: Set(false),
                created_at: Set(now),
                phone_verified_at: Set(None),
                ..Default::default()
            })
            .collect();
        let txn = kernel::db::begin_write(db).await?;
        user::Entity::insert_many(batch).exec(&txn).await?;
        txn.commit().await?;
        i = end;
    }
    Ok(())
}

/// Adds `count` published notices straight into the table (no fan-out), for the board.
pub async fn seed_history(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    author: i64,
    count: u64,
) -> AppResult<()> {
    let now = Utc::now();
    let mut i = 1u64;
    while i <= count {
        let end = (i + 1000).min(count + 1);
        let batch: Vec<notice::ActiveModel> = (i..end)
            .map(|n| {
                let at = now - chrono::Duration::hours(n as i64);
                let cat = Category::ALL[(n % 4) as usize];
                let title = format!("Thông báo thử tải số {n} về lịch sinh hoạt của thôn");
                let body = format!(
                    "Nội dung **thông báo {n}**: bà con chú ý thực hiện đúng hướng dẫn của xã."
                );
                notice::ActiveModel {
                    commune_code: Set(c.code.clone()),
                    category: Set(cat.as_str().into()),
                    search_folded: Set(kernel::text::fold_vi(&format!("{title} {body}"))),
                    body_html: Set(crate::markdown::to_safe_html(&body)),
                    title: Set(title),
                    body_md: Set(body),
                    audience: Set("{\"whole_commune\":true}".into()),
                    status: Set(store::PUBLISHED.into()),
                    publish_at: Set(at),
                    published_at: Set(Some(at)),
                    expires_at: Set(None),
                    event_start: Set(None),
                    event_end: Set(None),
                    location: Set(None),
                    pinned: Set(n <= 2),
                    author_user_id: Set(author),
                    author_name: Set("Cán bộ thử tải".into()),
                    recipient_count: Set(0),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        notice::Entity::insert_many(batch).exec(db).await?;
        i = end;
    }
    Ok(())
}

/// Publishes one whole-commune notice as `author` and returns how long the request's work
/// took (recipients, inboxes and outbox in one transaction) and how many people it reached.
pub async fn timed_fan_out(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    author: i64,
) -> AppResult<(Duration, i32)> {
    let u = accounts::load_user(db, author)
        .await?
        .ok_or_else(|| AppError::internal("bench author missing"))?;
    let checked = model::check(
        Input {
            category: Category::Notice,
            title: "Thông báo thử tải gửi toàn xã".into(),
            body: "Bà con chú ý lịch **tiêm chủng** và lịch cắt điện tuần tới.".into(),
            audience: Audience {
                whole_commune: true,
                ..Default::default()
            },
            publish_at: None,
            expires_at: None,
            event_start: None,
            event_end: None,
            location: None,
            pinned: false,
        },
        Utc::now(),
    )?;
    let started = Instant::now();
    let n = store::create(db, c, &u, checked, Vec::new()).await?;
    Ok((started.elapsed(), n.recipient_count))
}

/// How many rows a table has (for the bench's report).
pub async fn count(db: &impl ConnectionTrait, table: &str) -> AppResult<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .ok_or_else(|| AppError::internal("count"))?;
    Ok(row.try_get::<i64>("", "n")?)
}
