//! Publishing: saving a notice with its attachments, its audience as a query over accounts,
//! the recipients and the bulk fan-out to inboxes and the outbox, scheduled publication.

use chrono::{DateTime, Utc};
use kernel::accounts::CurrentUser;
use kernel::audit;
use kernel::error::{AppError, AppResult};
use kernel::notify::{Priority, Text, fanout};
use kernel::tenancy::CommuneInfo;
use kernel::text::fold_vi;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::{BOARD, PUBLISHED, SCHEDULED, find, link};
use crate::entity::{attachment, notice, topic};
use crate::markdown;
use crate::model::{Audience, Category, Checked};

/// How many of `ids` are topics of the commune.
pub async fn count_topics(db: &impl ConnectionTrait, code: &str, ids: &[i64]) -> AppResult<u64> {
    Ok(topic::Entity::find()
        .filter(topic::Column::CommuneCode.eq(code))
        .filter(topic::Column::Id.is_in(ids.to_vec()))
        .count(db)
        .await?)
}

/// `app_user` rows (alias `u`) the audience covers: active accounts of the commune, narrowed
/// to villages, or holders of roles in the commune, or subscribers of the commune's topics.
fn audience_condition(code: &str, a: &Audience) -> Condition {
    let u = Alias::new("u");
    let col = |c: &str| Expr::col((u.clone(), Alias::new(c)));
    let mut any = Condition::any();
    if a.whole_commune {
        any = any.add(col("commune_code").eq(code));
    }
    if !a.village_ids.is_empty() {
        any = any.add(
            Condition::all()
                .add(col("commune_code").eq(code))
                .add(col("village_id").is_in(a.village_ids.clone())),
        );
    }
    if !a.roles.is_empty() {
        let g = Alias::new("g");
        any = any.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(Alias::new("role_grant"), g.clone())
                .and_where(
                    Expr::col((g.clone(), Alias::new("user_id")))
                        .equals((u.clone(), Alias::new("id"))),
                )
                .and_where(Expr::col((g.clone(), Alias::new("unit_code"))).eq(code))
                .and_where(Expr::col((g.clone(), Alias::new("role"))).is_in(a.roles.clone()))
                .to_owned(),
        ));
    }
    if !a.topic_ids.is_empty() {
        // Not correlated with `u`: subscriptions are commune rows (on Citus, sharded) and
        // accounts are not, and only an uncorrelated subquery can join them there.
        any = any.add(
            col("id").in_subquery(
                Query::select()
                    .column(Alias::new("user_id"))
                    .from(Alias::new("notice_subscription"))
                    .and_where(Expr::col(Alias::new("commune_code")).eq(code))
                    .and_where(Expr::col(Alias::new("topic_id")).is_in(a.topic_ids.clone()))
                    .to_owned(),
            ),
        );
    }
    Condition::all().add(col("disabled").eq(false)).add(any)
}

/// Publishes a notice inside the caller's transaction: records its recipients, then fans it out to their inboxes
/// and the outbox. Returns how many people it reaches.
pub async fn publish_in(
    txn: &impl ConnectionTrait,
    n: &notice::Model,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let audience: Audience = serde_json::from_str(&n.audience).map_err(AppError::internal)?;
    let u = Alias::new("u");
    let rows = Query::select()
        .expr(Expr::val(n.commune_code.as_str()))
        .expr(Expr::val(n.id))
        .column((u.clone(), Alias::new("id")))
        .column((u.clone(), Alias::new("village_id")))
        .from_as(Alias::new("app_user"), u.clone())
        .cond_where(audience_condition(&n.commune_code, &audience))
        .to_owned();
    let insert = Query::insert()
        .into_table(Alias::new("notice_recipient"))
        .columns(["commune_code", "notice_id", "user_id", "village_id"].map(Alias::new))
        .select_from(rows)
        .map_err(|e| AppError::internal(e.to_string()))?
        .to_owned();
    let reached = txn
        .execute_raw(kernel::db::statement(txn, &insert))
        .await?
        .rows_affected();
    let recipients: SelectStatement = Query::select()
        .column(Alias::new("user_id"))
        .from(Alias::new("notice_recipient"))
        .and_where(Expr::col(Alias::new("commune_code")).eq(n.commune_code.as_str()))
        .and_where(Expr::col(Alias::new("notice_id")).eq(n.id))
        .to_owned();
    let emergency = n.category == Category::Emergency.as_str();
    let body = markdown::excerpt(&n.body_md, 300);
    let link = link(&n.commune_code, n.id);
    // An emergency's "[KHẨN CẤP]" is the platform's word, in each reader's language; the
    // notice's own title and summary are the official's.
    let text = if emergency {
        Text::key(EMERGENCY_MESSAGE)
            .arg("title", &n.title)
            .arg("body", &body)
    } else {
        Text::written(n.title.clone(), body)
    };
    fanout::fan_out(
        txn,
        fanout::FanOut {
            commune_code: &n.commune_code,
            recipients,
            text,
            link: Some(&link),
            priority: if emergency {
                Priority::Emergency
            } else {
                Priority::Normal
            },
            reference: ("notice", n.id),
        },
    )
    .await?;
    notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(PUBLISHED))
        .col_expr(notice::Column::PublishedAt, Expr::value(Some(now)))
        .col_expr(notice::Column::RecipientCount, Expr::value(reached as i32))
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::CommuneCode.eq(&n.commune_code))
        .filter(notice::Column::Id.eq(n.id))
        .exec(txn)
        .await?;
    Ok(reached)
}

/// The message of an emergency alert: `[KHẨN CẤP] {title}` / `{body}`.
pub const EMERGENCY_MESSAGE: &str = "nt.note.emergency";

/// Saves a checked notice by `u` with its attachments (already stored files: (name,
/// attachment id)) inside the caller's transaction, and publishes it now unless scheduled.
/// Answers the saved notice and the audit action: `notice.publish` or `notice.schedule`.
pub async fn save(
    txn: &impl ConnectionTrait,
    c: &CommuneInfo,
    u: &CurrentUser,
    n: Checked,
    files: Vec<(String, i64)>,
    now: DateTime<Utc>,
) -> AppResult<(notice::Model, &'static str)> {
    let plain = markdown::to_plain(&n.body);
    let saved = notice::ActiveModel {
        commune_code: Set(c.code.clone()),
        category: Set(n.category.as_str().into()),
        search_folded: Set(fold_vi(&format!("{} {}", n.title, plain))),
        title: Set(n.title),
        body_html: Set(markdown::to_safe_html(&n.body)),
        body_md: Set(n.body),
        audience: Set(serde_json::to_string(&n.audience).map_err(AppError::internal)?),
        status: Set(SCHEDULED.into()),
        publish_at: Set(n.publish_at),
        published_at: Set(None),
        expires_at: Set(n.expires_at),
        event_start: Set(n.event_start),
        event_end: Set(n.event_end),
        location: Set(n.location),
        pinned: Set(n.pinned),
        author_user_id: Set(u.id),
        author_name: Set(u.full_name.clone()),
        recipient_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (name, attachment_id) in files {
        attachment::ActiveModel {
            commune_code: Set(saved.commune_code.clone()),
            notice_id: Set(saved.id),
            attachment_id: Set(attachment_id),
            name: Set(name),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    let action = if n.scheduled {
        "notice.schedule"
    } else {
        publish_in(txn, &saved, now).await?;
        "notice.publish"
    };
    Ok((saved, action))
}

/// A checked notice saved and published (or scheduled) at once, audited, for the demo data and
/// the load bench: no permission check, and the audience is trusted to be the commune's. People
/// publish through `actions::notices::create`.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    c: &CommuneInfo,
    u: &CurrentUser,
    n: Checked,
    files: Vec<(String, i64)>,
) -> AppResult<notice::Model> {
    let txn = db.begin_with_options(kernel::db::WRITE).await?;
    let (saved, action) = save(&txn, c, u, n, files, Utc::now()).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, action, "notice", saved.id, saved.title.clone()),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(BOARD, &c.code);
    kernel::cache::changed(kernel::web::front::ALERTS, &c.code);
    find(db, &c.code, saved.id)
        .await?
        .ok_or_else(|| AppError::internal("notice gone"))
}

/// Scheduled notices due by `now`, oldest first (at most 100 at a time).
pub async fn due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Vec<notice::Model>> {
    Ok(notice::Entity::find()
        .filter(notice::Column::Status.eq(SCHEDULED))
        .filter(notice::Column::PublishAt.lte(now))
        .order_by_asc(notice::Column::PublishAt)
        .limit(100)
        .all(db)
        .await?)
}

/// Claims a scheduled notice for publication inside the caller's transaction: false when
/// another process did first.
pub async fn claim(txn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> AppResult<bool> {
    Ok(notice::Entity::update_many()
        .col_expr(notice::Column::UpdatedAt, Expr::value(now))
        .filter(notice::Column::Id.eq(id))
        .filter(notice::Column::Status.eq(SCHEDULED))
        .exec(txn)
        .await?
        .rows_affected
        == 1)
}
