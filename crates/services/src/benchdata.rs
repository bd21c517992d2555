//! Synthetic dossiers for load tests and demos at scale: a procedure without documents, an
//! applicant and an official with a known password, and N dossiers with predictable receipt
//! codes (`{commune}-250101-{n:05}`, phone 0900 000 001) spread over the past year.

use chrono::{Duration, Utc};
use kernel::accounts::{self, Grant, NewUser, Role};
use kernel::error::AppResult;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::entity::{dossier, procedure};
use crate::model::Status;
use crate::store::{self, ProcedureInput};
use kernel::time::WorkCalendar;

pub const APPLICANT_PHONE: &str = "0900000001";
pub const OFFICIAL_PHONE: &str = "0900000002";
pub const PROCEDURE_CODE: &str = "BENCH-01";

pub fn receipt(commune: &str, n: u64) -> String {
    format!("{commune}-250101-{n:05}")
}

/// Creates what a load test needs; safe to run twice (existing rows are kept).
pub async fn seed(
    db: &DatabaseConnection,
    cal: &WorkCalendar,
    commune: &str,
    dossiers: u64,
    password: &str,
) -> AppResult<i64> {
    let existing = procedure::Entity::find()
        .filter(procedure::Column::CommuneCode.eq(commune))
        .filter(procedure::Column::Code.eq(PROCEDURE_CODE))
        .one(db)
        .await?;
    let p = match existing {
        Some(p) => p,
        None => {
            let input = ProcedureInput {
                code: PROCEDURE_CODE.into(),
                name: "Xác nhận thông tin (dữ liệu thử tải)".into(),
                field: "Thử tải".into(),
                legal_basis: String::new(),
                documents: vec![],
                form_fields: vec![],
                fee_vnd: 0,
                processing_days: 3,
                online_level: "full".into(),
                steps: String::new(),
                active: true,
            };
            store::create_procedure(db, commune, &input).await?
        }
    };
    for (phone, role) in [
        (APPLICANT_PHONE, Role::Citizen),
        (OFFICIAL_PHONE, Role::Official),
    ] {
        let exists = accounts::entity::user::Entity::find()
            .filter(accounts::entity::user::Column::Phone.eq(accounts::parse_phone(phone)?))
            .one(db)
            .await?;
        if exists.is_none() {
            let grant = Grant {
                role,
                unit_code: commune.into(),
                village_id: None,
                department: None,
            };
            let name = if role == Role::Citizen {
                "Người dân thử tải"
            } else {
                "Công chức thử tải"
            };
            accounts::create_user(
                db,
                NewUser {
                    phone,
                    password,
                    full_name: name,
                    email: None,
                    commune_code: commune,
                    village_id: None,
                },
                &[grant],
                None,
            )
            .await?;
        }
    }
    let applicant = accounts::entity::user::Entity::find()
        .filter(accounts::entity::user::Column::Phone.eq(accounts::parse_phone(APPLICANT_PHONE)?))
        .one(db)
        .await?
        .map(|u| u.id);
    let phone = accounts::parse_phone(APPLICANT_PHONE)?;
    let now = Utc::now();
    let statuses = [
        Status::Received,
        Status::Accepted,
        Status::Assigned,
        Status::Processed,
        Status::Approved,
        Status::Returned,
        Status::Closed,
    ];
    let already = dossier::Entity::find()
        .filter(dossier::Column::ReceiptCode.eq(receipt(commune, 1)))
        .one(db)
        .await?
        .is_some();
    if already {
        return Ok(p.id);
    }
    let mut n = 1u64;
    while n <= dossiers {
        // One transaction per thousand rows: fast on both backends, bounded memory.
        let txn = kernel::db::begin_write(db).await?;
        let batch: Vec<dossier::ActiveModel> = (n..(n + 1000).min(dossiers + 1))
            .map(|i| {
                let received = now - Duration::minutes((i as i64 * 5) % 525_600);
                let status = statuses[(i % statuses.len() as u64) as usize];
                let due = cal.add_working_days(kernel::time::to_vn(received), 3);
                let done = status
                    .is_done()
                    .then(|| received + Duration::days((i % 6) as i64));
                dossier::ActiveModel {
                    commune_code: Set(commune.into()),
                    receipt_code: Set(receipt(commune, i)),
                    procedure_id: Set(p.id),
                    applicant_user_id: Set(applicant),
                    applicant_name: Set("Người dân thử tải".into()),
                    applicant_phone: Set(phone.clone()),
                    channel: Set(if i % 3 == 0 { "offline" } else { "online" }.into()),
                    status: Set(status.as_str().into()),
                    data: Set("{}".into()),
                    received_at: Set(received),
                    due_date: Set(due),
                    assignee_id: Set(None),
                    fee_vnd: Set(0),
                    paid_at: Set(None),
                    payment_method: Set(None),
                    result_attachment_id: Set(None),
                    result_note: Set(None),
                    last_note: Set(None),
                    rating: Set((status == Status::Closed).then_some(3 + (i % 3) as i32)),
                    rating_comment: Set(None),
                    done_at: Set(done),
                    version: Set(1),
                    updated_at: Set(received),
                    ..Default::default()
                }
            })
            .collect();
        let len = batch.len() as u64;
        dossier::Entity::insert_many(batch).exec(&txn).await?;
        txn.commit().await?;
        n += len;
    }
    // Keep the planner's statistics fresh after a bulk load.
    let _ = sea_orm::ConnectionTrait::execute_unprepared(db, "ANALYZE").await;
    Ok(p.id)
}
