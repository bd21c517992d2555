//! Writes that move a dossier on: a workflow step, its fee marked paid, its rating; each
//! guarded by the version the caller read (the first of two concurrent writers wins).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entity::dossier;
use crate::model::Status;

/// What a step changes besides the status, the version and the time.
#[derive(Default)]
pub struct StepChanges {
    pub assignee_id: Option<i64>,
    pub due_date: Option<NaiveDate>,
    /// The reason shown to the applicant (supplement request, refusal).
    pub last_note: Option<Option<String>>,
    /// The result file and note (returning the result).
    pub result: Option<(Option<i64>, Option<String>)>,
    pub done_at: Option<DateTime<Utc>>,
}

/// Moves dossier `d` to `next` if it is still at the version read. `false` when someone else
/// wrote first.
pub async fn write_step(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    next: Status,
    now: DateTime<Utc>,
    ch: StepChanges,
) -> Result<bool, DbErr> {
    let mut upd = dossier::Entity::update_many()
        .col_expr(dossier::Column::Status, Expr::value(next.as_str()))
        .col_expr(dossier::Column::Version, Expr::value(d.version + 1))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now));
    if let Some(who) = ch.assignee_id {
        upd = upd.col_expr(dossier::Column::AssigneeId, Expr::value(Some(who)));
    }
    if let Some(due) = ch.due_date {
        upd = upd.col_expr(dossier::Column::DueDate, Expr::value(due));
    }
    if let Some(note) = ch.last_note {
        upd = upd.col_expr(dossier::Column::LastNote, Expr::value(note));
    }
    if let Some((att, note)) = ch.result {
        upd = upd
            .col_expr(dossier::Column::ResultAttachmentId, Expr::value(att))
            .col_expr(dossier::Column::ResultNote, Expr::value(note));
    }
    if let Some(at) = ch.done_at {
        upd = upd.col_expr(dossier::Column::DoneAt, Expr::value(Some(at)));
    }
    let res = upd
        .filter(dossier::Column::CommuneCode.eq(&d.commune_code))
        .filter(dossier::Column::Id.eq(d.id))
        .filter(dossier::Column::Version.eq(d.version))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records the dossier's fee as paid at `at` by `method`. `false` when the dossier changed
/// since it was read or was already paid.
pub async fn write_paid(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    at: DateTime<Utc>,
    method: Option<String>,
) -> Result<bool, DbErr> {
    let res = dossier::Entity::update_many()
        .col_expr(dossier::Column::PaidAt, Expr::value(Some(at)))
        .col_expr(dossier::Column::PaymentMethod, Expr::value(method))
        .col_expr(dossier::Column::Version, Expr::value(d.version + 1))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(at))
        .filter(dossier::Column::CommuneCode.eq(&d.commune_code))
        .filter(dossier::Column::Id.eq(d.id))
        .filter(dossier::Column::Version.eq(d.version))
        .filter(dossier::Column::PaidAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records the applicant's rating and closes the dossier. `false` when it was rated already or
/// changed since it was read.
pub async fn write_rating(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    stars: i32,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = dossier::Entity::update_many()
        .col_expr(dossier::Column::Rating, Expr::value(Some(stars)))
        .col_expr(dossier::Column::RatingComment, Expr::value(comment))
        .col_expr(
            dossier::Column::Status,
            Expr::value(Status::Closed.as_str()),
        )
        .col_expr(dossier::Column::Version, Expr::value(d.version + 1))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .filter(dossier::Column::CommuneCode.eq(&d.commune_code))
        .filter(dossier::Column::Id.eq(d.id))
        .filter(dossier::Column::Rating.is_null())
        .filter(dossier::Column::Version.eq(d.version))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
