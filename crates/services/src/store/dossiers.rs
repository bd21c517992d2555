//! Queries on dossiers: inserting one with its documents, events and fee, reading them, the
//! desk's inbox and the officials who can be given dossiers.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::accounts;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::entity::{dossier, dossier_document, dossier_event};
use crate::model::Status;

/// The cache kind of a commune's dossiers: bumped after every committed change to them.
pub const DOSSIERS: &str = "dossiers";

/// The payments' `ref_kind` of a dossier's fee.
pub const FEE_REF: &str = "dossier";

const RECEIPT_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `17071-261124-K7Q2X`: commune, date of receipt (Vietnam time), five random characters
/// without look-alikes (0/O, 1/I) so it can be read out over the phone.
pub fn new_receipt_code(commune: &str, at: DateTime<Utc>) -> String {
    let local = kernel::time::to_vn(at);
    let mut rng = rand::thread_rng();
    let tail: String = (0..5)
        .map(|_| RECEIPT_ALPHABET[rng.gen_range(0..RECEIPT_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", commune, local.format("%y%m%d"), tail)
}

/// Inserts a new dossier under a fresh receipt code (set here), inside `txn`. `None` when five
/// codes in a row were taken (astronomically rare).
pub async fn insert_dossier(
    txn: &DatabaseTransaction,
    am: dossier::ActiveModel,
    at: DateTime<Utc>,
) -> Result<Option<dossier::Model>, DbErr> {
    let commune = match &am.commune_code {
        sea_orm::ActiveValue::Set(c) | sea_orm::ActiveValue::Unchanged(c) => c.clone(),
        sea_orm::ActiveValue::NotSet => String::new(),
    };
    for _ in 0..5 {
        let mut am = am.clone();
        am.receipt_code = Set(new_receipt_code(&commune, at));
        // A receipt-code collision is astronomically rare; a savepoint lets us just retry.
        let sp = txn.begin().await?;
        match am.insert(&sp).await {
            Ok(m) => {
                sp.commit().await?;
                return Ok(Some(m));
            }
            Err(e) if e.to_string().to_lowercase().contains("unique") => sp.rollback().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Records files given with a dossier (at submission or with a supplement).
pub async fn add_documents(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    documents: &[(String, i64)],
) -> Result<(), DbErr> {
    for (n, att) in documents {
        dossier_document::ActiveModel {
            dossier_id: Set(d.id),
            commune_code: Set(d.commune_code.clone()),
            attachment_id: Set(*att),
            document_name: Set(n.clone()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// One line of a dossier's history.
pub struct Event<'a> {
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub note: Option<&'a str>,
}

pub async fn event(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    e: Event<'_>,
) -> Result<(), DbErr> {
    let event = dossier_event::ActiveModel {
        dossier_id: Set(d.id),
        commune_code: Set(d.commune_code.clone()),
        at: Set(Utc::now()),
        actor_user_id: Set(e.actor_id),
        actor_name: Set(e.actor_name.into()),
        action: Set(e.action.into()),
        from_status: Set(e.from.map(|s| s.as_str().to_owned())),
        to_status: Set(e.to.as_str().into()),
        note: Set(e.note.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Tracking reads the history from the dossier's row.
    super::track::append_history(db, &event).await
}

/// Opens the fee of a freshly submitted dossier (none when it has no fee), in its transaction.
/// The reference is the receipt code, which the VietQR code puts in the transfer's purpose.
pub async fn open_fee(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
) -> kernel::error::AppResult<()> {
    if d.fee_vnd > 0 {
        kernel::payments::open_due(
            db,
            kernel::payments::NewPayment {
                commune: &d.commune_code,
                ref_kind: FEE_REF,
                ref_id: d.id,
                payee: Some(kernel::payments::Owner::Commune),
                amount_vnd: d.fee_vnd,
                reference: &d.receipt_code,
            },
        )
        .await?;
    }
    Ok(())
}

// ---- reading ----

pub async fn by_receipt(
    db: &impl ConnectionTrait,
    receipt: &str,
) -> Result<Option<dossier::Model>, DbErr> {
    let receipt = receipt.trim().to_ascii_uppercase();
    // The receipt names its commune: the query goes to that commune's rows (one shard).
    let Some(commune) = kernel::placement::commune_in_code(&receipt, "") else {
        return Ok(None);
    };
    dossier::Entity::find()
        .filter(dossier::Column::CommuneCode.eq(commune))
        .filter(dossier::Column::ReceiptCode.eq(receipt.as_str()))
        .one(db)
        .await
}

pub async fn by_id(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> Result<Option<dossier::Model>, DbErr> {
    dossier::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await
}

/// The applicant's latest dossiers in one commune.
pub async fn of_applicant(
    db: &impl ConnectionTrait,
    commune: &str,
    user_id: i64,
) -> Result<Vec<dossier::Model>, DbErr> {
    dossier::Entity::find()
        .filter(dossier::Column::ApplicantUserId.eq(user_id))
        .filter(dossier::Column::CommuneCode.eq(commune))
        .order_by_desc(dossier::Column::Id)
        .limit(100)
        .all(db)
        .await
}

pub async fn events(
    db: &impl ConnectionTrait,
    commune: &str,
    dossier_id: i64,
) -> Result<Vec<dossier_event::Model>, DbErr> {
    dossier_event::Entity::find()
        .filter(dossier_event::Column::CommuneCode.eq(commune))
        .filter(dossier_event::Column::DossierId.eq(dossier_id))
        .order_by_asc(dossier_event::Column::Id)
        .all(db)
        .await
}

pub async fn documents(
    db: &impl ConnectionTrait,
    commune: &str,
    dossier_id: i64,
) -> Result<Vec<dossier_document::Model>, DbErr> {
    dossier_document::Entity::find()
        .filter(dossier_document::Column::CommuneCode.eq(commune))
        .filter(dossier_document::Column::DossierId.eq(dossier_id))
        .order_by_asc(dossier_document::Column::Id)
        .all(db)
        .await
}

/// Whether attachment `id` is in the commune's store, uploaded by `uploader` when given.
pub async fn attachment_ok(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
    uploader: Option<i64>,
) -> Result<Option<kernel::files::entity::Model>, DbErr> {
    use kernel::files::entity as file;
    let mut q = file::Entity::find_by_id((commune.to_owned(), id));
    if let Some(u) = uploader {
        q = q.filter(file::Column::UploadedBy.eq(u));
    }
    q.one(db).await
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxFilter {
    /// Status name, e.g. `received`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub procedure_id: Option<i64>,
    /// `online` or `offline`.
    #[serde(default)]
    pub channel: String,
    /// `overdue`, `soon` (due within 2 working days) or empty.
    #[serde(default)]
    pub due: String,
    /// Only dossiers assigned to me.
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub page: Option<u64>,
}

pub const INBOX_PAGE: u64 = 50;

/// The desk's inbox: open dossiers first by due date.
pub async fn inbox(
    db: &impl ConnectionTrait,
    commune: &str,
    f: &InboxFilter,
    me: i64,
    today: NaiveDate,
    soon_until: NaiveDate,
) -> Result<Vec<dossier::Model>, DbErr> {
    let mut q = dossier::Entity::find().filter(dossier::Column::CommuneCode.eq(commune));
    if let Some(s) = Status::parse(&f.status) {
        q = q.filter(dossier::Column::Status.eq(s.as_str()));
    } else {
        q = q.filter(
            dossier::Column::Status.is_not_in([Status::Closed.as_str(), Status::Refused.as_str()]),
        );
    }
    if let Some(p) = f.procedure_id {
        q = q.filter(dossier::Column::ProcedureId.eq(p));
    }
    if f.channel == "online" || f.channel == "offline" {
        q = q.filter(dossier::Column::Channel.eq(f.channel.as_str()));
    }
    match f.due.as_str() {
        "overdue" => {
            q = q
                .filter(dossier::Column::DueDate.lt(today))
                .filter(dossier::Column::DoneAt.is_null())
        }
        "soon" => {
            q = q
                .filter(dossier::Column::DueDate.gte(today))
                .filter(dossier::Column::DueDate.lte(soon_until))
                .filter(dossier::Column::DoneAt.is_null())
        }
        _ => {}
    }
    if f.mine {
        q = q.filter(dossier::Column::AssigneeId.eq(me));
    }
    let page = kernel::paging::page(f.page);
    q.order_by_asc(dossier::Column::DueDate)
        .order_by_asc(dossier::Column::Id)
        .offset(kernel::paging::offset(page, INBOX_PAGE))
        .limit(INBOX_PAGE)
        .all(db)
        .await
}

/// Open dossiers with a handler, due on or before `horizon` (every commune: the reminder job).
pub async fn assigned_due_by(
    db: &impl ConnectionTrait,
    horizon: NaiveDate,
) -> Result<Vec<dossier::Model>, DbErr> {
    dossier::Entity::find()
        .filter(dossier::Column::DoneAt.is_null())
        .filter(dossier::Column::AssigneeId.is_not_null())
        .filter(dossier::Column::DueDate.lte(horizon))
        .filter(
            dossier::Column::Status.is_not_in([Status::Refused.as_str(), Status::Closed.as_str()]),
        )
        .all(db)
        .await
}

/// Officials of the commune who can be given dossiers.
pub async fn handlers(
    db: &impl ConnectionTrait,
    commune: &str,
) -> kernel::error::AppResult<Vec<(i64, String)>> {
    let mut out: Vec<(i64, String)> = accounts::staff_of(db, commune)
        .await?
        .into_iter()
        .filter(|(g, _)| matches!(g.role.as_str(), "official" | "leader" | "commune_admin"))
        .map(|(g, u)| {
            (
                u.id,
                format!(
                    "{}{}",
                    u.full_name,
                    g.department.map(|d| format!(" · {d}")).unwrap_or_default()
                ),
            )
        })
        .collect();
    out.sort();
    out.dedup_by_key(|x| x.0);
    Ok(out)
}
