//! Synthetic feedback for load tests at scale: N reports spread over the past two years in
//! every state and category, a third of them pinned. (The load tool's Open311 key comes from
//! `xaso open311-key`.)

use chrono::{Duration, Utc};
use kernel::error::AppResult;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::entity::feedback;
use crate::model::{Status, VIETNAM};
use crate::store;

pub fn receipt(commune: &str, n: u64) -> String {
    format!("PA{commune}-250101-{n:06}")
}

const STATUSES: [Status; 6] = [
    Status::New,
    Status::Assigned,
    Status::Answered,
    Status::Closed,
    Status::Answered,
    Status::Rejected,
];

/// Loads `count` reports into the commune (once: a second run keeps what is there).
pub async fn seed(db: &DatabaseConnection, commune: &str, count: u64) -> AppResult<()> {
    let cats = store::categories(db, commune, true).await?;
    let already = feedback::Entity::find()
        .filter(feedback::Column::ReceiptCode.eq(receipt(commune, 1)))
        .one(db)
        .await?
        .is_some();
    if already || cats.is_empty() {
        return Ok(());
    }
    let area = store::area(db, commune).await?.unwrap_or(VIETNAM);
    let now = Utc::now();
    let two_years = 2 * 365 * 24 * 60;
    let mut n = 1u64;
    while n <= count {
        let txn = kernel::db::begin_write(db).await?;
        let batch: Vec<feedback::ActiveModel> = (n..(n + 1000).min(count + 1))
            .map(|i| {
                let created = now - Duration::minutes((i as i64 * 7) % two_years);
                let status = STATUSES[(i % STATUSES.len() as u64) as usize];
                let cat = &cats[(i % cats.len() as u64) as usize];
                let answered = matches!(status, Status::Answered | Status::Closed | Status::Rejected)
                    // Never in the future: the newest reports were sent minutes ago.
                    .then(|| (created + Duration::hours(1 + (i % 200) as i64)).min(now));
                let pinned = i % 3 == 0;
                let f = (i % 997) as f64 / 997.0;
                let text = format!(
                    "Phản ánh thử tải số {i}: đường liên thôn có ổ gà, đề nghị xã kiểm tra và sửa chữa."
                );
                let address = (!pinned).then(|| format!("Xóm {}, thôn thử tải", i % 40));
                feedback::ActiveModel {
                    search_folded: Set(crate::migration_search::folded(&text, address.as_deref())),
                    commune_code: Set(commune.into()),
                    receipt_code: Set(receipt(commune, i)),
                    category_id: Set(cat.id),
                    text: Set(text),
                    status: Set(status.as_str().into()),
                    source: Set(if i % 4 == 0 { "open311" } else { "web" }.into()),
                    anonymous: Set(i % 10 == 0),
                    reporter_user_id: Set(None),
                    reporter_name: Set(Some("Người dân thử tải".into())),
                    reporter_phone: Set(Some("+84900000001".into())),
                    reporter_email: Set(None),
                    lat: Set(pinned.then_some(area.south + (area.north - area.south) * f)),
                    lon: Set(pinned.then_some(area.west + (area.east - area.west) * (1.0 - f))),
                    village_id: Set(None),
                    address: Set(address),
                    department: Set(Some(cat.department.clone())),
                    assignee_id: Set(None),
                    answer: Set(answered.map(|_| "Xã đã tiếp nhận và xử lý xong.".to_owned())),
                    answered_at: Set(answered),
                    merged_into_id: Set(None),
                    due_at: Set(created + Duration::days(cat.deadline_days as i64)),
                    created_at: Set(created),
                    updated_at: Set(answered.unwrap_or(created)),
                    closed_at: Set(answered.filter(|_| status == Status::Closed)),
                    rating: Set((status == Status::Closed).then_some(3 + (i % 3) as i32)),
                    rating_comment: Set(None),
                    version: Set(1),
                    ..Default::default()
                }
            })
            .collect();
        let len = batch.len() as u64;
        feedback::Entity::insert_many(batch).exec(&txn).await?;
        txn.commit().await?;
        n += len;
    }
    let _ = sea_orm::ConnectionTrait::execute_unprepared(db, "ANALYZE").await;
    Ok(())
}
