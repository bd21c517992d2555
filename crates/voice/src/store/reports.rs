//! Reports: their receipt codes, writing a new one with its photos, its history and its
//! steps (guarded by the version), and reading one, its photos, its history, or a reporter's.

use chrono::{DateTime, Utc};
use kernel::error::AppResult;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::entity::{event, feedback, photo};
use crate::error::{ActionError, ActionResult, Refusal};
use crate::model::Status;

const RECEIPT_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `PA17071-261124-K7Q2X`: "phản ánh", commune, date (Viet Nam time), five characters without
/// look-alikes, so it can be read out over the phone and never collides with a dossier's code.
pub fn new_receipt_code(commune: &str, at: DateTime<Utc>) -> String {
    let local = kernel::time::to_vn(at);
    let mut rng = rand::thread_rng();
    let tail: String = (0..5)
        .map(|_| RECEIPT_ALPHABET[rng.gen_range(0..RECEIPT_ALPHABET.len())] as char)
        .collect();
    format!("PA{}-{}-{}", commune, local.format("%y%m%d"), tail)
}

/// A report, checked by [`crate::actions::feedback::check_new`] before anything is stored.
pub struct NewFeedback {
    pub category_code: String,
    pub text: String,
    pub anonymous: bool,
    pub reporter: Option<i64>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub village_id: Option<i64>,
    pub address: String,
    pub source: &'static str,
}

pub async fn by_receipt(
    db: &impl ConnectionTrait,
    commune: &str,
    receipt: &str,
) -> ActionResult<feedback::Model> {
    feedback::Entity::find()
        .filter(feedback::Column::ReceiptCode.eq(receipt.trim()))
        .filter(feedback::Column::CommuneCode.eq(commune))
        .one(db)
        .await?
        .ok_or_else(|| Refusal::FeedbackUnknown.into())
}

pub async fn by_id(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> ActionResult<feedback::Model> {
    feedback::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await?
        .ok_or_else(|| Refusal::FeedbackUnknown.into())
}

pub async fn photos(db: &impl ConnectionTrait, feedback_id: i64) -> AppResult<Vec<i64>> {
    Ok(photo::Entity::find()
        .filter(photo::Column::FeedbackId.eq(feedback_id))
        .order_by_asc(photo::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.attachment_id)
        .collect())
}

pub async fn events(db: &impl ConnectionTrait, feedback_id: i64) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::FeedbackId.eq(feedback_id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}

/// The reporter's own reports, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    commune: &str,
    user_id: i64,
) -> AppResult<Vec<feedback::Model>> {
    Ok(feedback::Entity::find()
        .filter(feedback::Column::CommuneCode.eq(commune))
        .filter(feedback::Column::ReporterUserId.eq(user_id))
        .order_by_desc(feedback::Column::Id)
        .limit(100)
        .all(db)
        .await?)
}

/// Inserts a new report, drawing another receipt code when the drawn one is taken. Five random
/// characters give ~33 million codes per commune and day: a collision is rare but real at
/// scale (the load test met some). A savepoint lets us retry with a new code, on PostgreSQL
/// too, where a failed statement would otherwise abort the transaction.
pub async fn insert_new(
    txn: &DatabaseTransaction,
    commune: &str,
    mut row: feedback::ActiveModel,
    now: DateTime<Utc>,
) -> ActionResult<feedback::Model> {
    for _ in 0..5 {
        let sp = txn.begin().await?;
        match row.clone().insert(&sp).await {
            Ok(m) => {
                sp.commit().await?;
                return Ok(m);
            }
            Err(e) if e.to_string().to_lowercase().contains("unique") => {
                sp.rollback().await?;
                row.receipt_code = Set(new_receipt_code(commune, now));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(kernel::error::AppError::internal("could not allocate a receipt code").into())
}

/// Links already stored attachments to a report as its photos.
pub async fn add_photos(
    db: &impl ConnectionTrait,
    commune: &str,
    feedback_id: i64,
    attachment_ids: &[i64],
) -> AppResult<()> {
    for a in attachment_ids {
        photo::ActiveModel {
            commune_code: Set(commune.to_owned()),
            feedback_id: Set(feedback_id),
            attachment_id: Set(*a),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// One line of a report's history.
pub struct NewEvent<'a> {
    pub commune: &'a str,
    pub feedback_id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub status: Status,
    pub note: Option<String>,
}

pub async fn add_event(db: &impl ConnectionTrait, e: NewEvent<'_>) -> AppResult<()> {
    event::ActiveModel {
        commune_code: Set(e.commune.to_owned()),
        feedback_id: Set(e.feedback_id),
        at: Set(e.at),
        actor_user_id: Set(e.actor_user_id),
        actor_name: Set(e.actor_name.to_owned()),
        action: Set(e.action.into()),
        status: Set(e.status.as_str().into()),
        note: Set(e.note),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes a step's changes if report `f` is still at its version (the read before it may be
/// stale); `feedback_conflict` when someone was quicker.
pub async fn update_at_version(
    db: &impl ConnectionTrait,
    f: &feedback::Model,
    changes: feedback::ActiveModel,
) -> ActionResult<()> {
    let res = feedback::Entity::update_many()
        .set(changes)
        .filter(feedback::Column::CommuneCode.eq(&f.commune_code))
        .filter(feedback::Column::Id.eq(f.id))
        .filter(feedback::Column::Version.eq(f.version))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(Refusal::FeedbackConflict.into());
    }
    Ok(())
}

/// The reporter's rating, once: closes the report; `rating_not_allowed` if it was rated
/// meanwhile.
pub async fn set_rating(
    db: &impl ConnectionTrait,
    f: &feedback::Model,
    stars: i32,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> ActionResult<()> {
    let res = feedback::Entity::update_many()
        .col_expr(feedback::Column::Rating, Expr::value(stars))
        .col_expr(feedback::Column::RatingComment, Expr::value(comment))
        .col_expr(
            feedback::Column::Status,
            Expr::value(Status::Closed.as_str()),
        )
        .col_expr(
            feedback::Column::ClosedAt,
            Expr::value(f.closed_at.unwrap_or(now)),
        )
        .col_expr(feedback::Column::UpdatedAt, Expr::value(now))
        .col_expr(feedback::Column::Version, Expr::value(f.version + 1))
        .filter(feedback::Column::CommuneCode.eq(&f.commune_code))
        .filter(feedback::Column::Id.eq(f.id))
        .filter(feedback::Column::Rating.is_null())
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(ActionError::from(Refusal::RatingNotAllowed));
    }
    Ok(())
}
