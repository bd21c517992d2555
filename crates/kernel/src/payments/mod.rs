//! Payments, shared by every room that takes money: VietQR codes ([`vietqr`]), the bank
//! accounts of communes, sellers and schools, one payment record per sum owed (a dossier's fee
//! now; orders, waste and school fees next), the use cases that mark them paid, and the
//! bank-statement matcher ([`statement`]).
//!
//! A room opens a `due` record when something is owed ([`open_due`], inside its own
//! transaction) and hands the platform a [`Settle`] hook for its `ref_kind`: when a payment is
//! confirmed (at a desk or from a bank statement), [`confirm`] marks it paid and calls the hook
//! in the same transaction, so the room's own row never disagrees with the record.

pub mod entity;
pub mod statement;
pub mod vietqr;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::accounts::{CurrentUser, Role, access};
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::future::BoxFuture;
use crate::tenancy::CommuneInfo;
pub use entity::{bank_account, payment};

/// How a payment was made.
pub const METHODS: [&str; 3] = ["cash", "transfer", "vietqr"];

/// Text key of a payment method in words ("Tiền mặt", "Chuyển khoản VietQR"): no page shows
/// the method's code.
pub fn method_key(method: &str) -> &'static str {
    match method {
        "cash" => "payment.method.cash",
        "transfer" => "payment.method.transfer",
        "vietqr" => "payment.method.vietqr",
        _ => "payment.method.other",
    }
}

/// Who may confirm that money arrived: the commune's officials, leaders and admins. The rule of
/// the desk's "fee paid" action, the statement page and their API.
pub const CONFIRMERS: &[Role] = &[Role::Official, Role::CommuneAdmin, Role::Leader];

/// A payment record's state.
pub mod status {
    pub const DUE: &str = "due";
    pub const PAID: &str = "paid";
    pub const CANCELLED: &str = "cancelled";
}

/// Whose bank account: the commune's own (fees), a seller's (orders), a school's (school fees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Commune,
    Seller(&'a str),
    School(&'a str),
}

impl Owner<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Owner::Commune => "commune",
            Owner::Seller(_) => "seller",
            Owner::School(_) => "school",
        }
    }

    fn id<'b>(&'b self, commune: &'b str) -> &'b str {
        match self {
            Owner::Commune => commune,
            Owner::Seller(id) | Owner::School(id) => id,
        }
    }
}

impl bank_account::Model {
    /// The account as VietQR takes it.
    pub fn to_vietqr(&self) -> vietqr::BankAccount {
        vietqr::BankAccount {
            bin: self.bank_bin.clone(),
            account_number: self.account_number.clone(),
            account_name: self.account_name.clone(),
        }
    }
}

// ---- bank accounts ----

/// The bank account of `owner` in `commune`, if one is set.
pub async fn account_of(
    db: &impl ConnectionTrait,
    commune: &str,
    owner: Owner<'_>,
) -> AppResult<Option<bank_account::Model>> {
    Ok(bank_account::Entity::find()
        .filter(bank_account::Column::CommuneCode.eq(commune))
        .filter(bank_account::Column::OwnerKind.eq(owner.kind()))
        .filter(bank_account::Column::OwnerId.eq(owner.id(commune)))
        .one(db)
        .await?)
}

/// Sets (or replaces) the bank account of `owner`, after checking that VietQR can pay into it.
/// The caller owns the permission rule and the audit entry (the owner's room knows who may).
pub async fn set_account(
    db: &impl ConnectionTrait,
    commune: &str,
    owner: Owner<'_>,
    bin: &str,
    number: &str,
    name: &str,
    note: &str,
) -> AppResult<bank_account::Model> {
    let acct = vietqr::BankAccount {
        bin: bin.trim().into(),
        account_number: number.trim().into(),
        account_name: name.trim().into(),
    };
    vietqr::payload(&acct, Some(1000), "check")
        .map_err(|_| AppError::invalid("bank_account_invalid", "account_number"))?;
    if acct.account_name.is_empty() || acct.account_name.chars().count() > 100 {
        return Err(AppError::invalid("name_required", "account_name"));
    }
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::invalid("text_too_long", "note"));
    }
    let am = bank_account::ActiveModel {
        commune_code: Set(commune.into()),
        owner_kind: Set(owner.kind().into()),
        owner_id: Set(owner.id(commune).into()),
        bank_bin: Set(acct.bin),
        account_number: Set(acct.account_number),
        account_name: Set(acct.account_name),
        note: Set(note.into()),
        ..Default::default()
    };
    // Updated in place so the payment records pointing at it keep pointing at it.
    match account_of(db, commune, owner).await? {
        Some(old) => {
            let mut am = am;
            am.id = Set(old.id);
            Ok(am.update(db).await?)
        }
        None => Ok(am.insert(db).await?),
    }
}

// ---- payment records ----

/// A sum owed, as a room opens it.
pub struct NewPayment<'a> {
    pub commune: &'a str,
    pub ref_kind: &'a str,
    pub ref_id: i64,
    /// Whose account it is paid into (`None`: cash only).
    pub payee: Option<Owner<'a>>,
    pub amount_vnd: i64,
    pub reference: &'a str,
}

/// Opens a `due` payment record, inside the caller's transaction.
pub async fn open_due(db: &impl ConnectionTrait, p: NewPayment<'_>) -> AppResult<payment::Model> {
    if p.amount_vnd <= 0 {
        return Err(AppError::invalid("amount_invalid", "amount_vnd"));
    }
    let account_id = match p.payee {
        Some(owner) => account_of(db, p.commune, owner).await?.map(|a| a.id),
        None => None,
    };
    Ok(payment::ActiveModel {
        commune_code: Set(p.commune.into()),
        ref_kind: Set(p.ref_kind.into()),
        ref_id: Set(p.ref_id),
        account_id: Set(account_id),
        amount_vnd: Set(p.amount_vnd),
        reference: Set(p.reference.into()),
        method: Set(None),
        status: Set(status::DUE.into()),
        confirmed_by: Set(None),
        confirmed_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The latest record for one thing (`dossier` 42), whatever its state.
pub async fn for_ref(
    db: &impl ConnectionTrait,
    commune: &str,
    ref_kind: &str,
    ref_id: i64,
) -> AppResult<Option<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::CommuneCode.eq(commune))
        .filter(payment::Column::RefKind.eq(ref_kind))
        .filter(payment::Column::RefId.eq(ref_id))
        .order_by_desc(payment::Column::Id)
        .one(db)
        .await?)
}

/// Every `due` payment of a commune, oldest first (what a bank statement is matched against).
pub async fn due_in(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::CommuneCode.eq(commune))
        .filter(payment::Column::Status.eq(status::DUE))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}

// ---- settling ----

/// What a room does when one of its payments is confirmed paid: bring its own row in step
/// (a dossier's `paid_at`, an order's state), inside the confirming transaction.
pub trait Settle: Send + Sync {
    /// The `ref_kind` it settles (`dossier`).
    fn ref_kind(&self) -> &'static str;

    /// The payment `p`, now paid, was confirmed by `actor`.
    fn settled<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        p: &'a payment::Model,
        actor: &'a CurrentUser,
    ) -> BoxFuture<'a, AppResult<()>>;

    /// Called after the commit, to clear the room's caches.
    fn committed(&self, _commune: &str) {}
}

/// The rooms' settle hooks by `ref_kind`, held by the web state.
#[derive(Clone, Default)]
pub struct Settlers(Arc<HashMap<&'static str, Arc<dyn Settle>>>);

impl Settlers {
    pub fn new(hooks: Vec<Arc<dyn Settle>>) -> Self {
        Settlers(Arc::new(
            hooks.into_iter().map(|h| (h.ref_kind(), h)).collect(),
        ))
    }

    fn get(&self, kind: &str) -> Option<&Arc<dyn Settle>> {
        self.0.get(kind)
    }
}

/// Use case: confirm that the `due` payment `id` of commune `c` was paid by `method`. The
/// payment, its room's row (through its [`Settle`] hook) and the audit entry change together
/// or not at all.
pub async fn confirm(
    db: &DatabaseConnection,
    settlers: &Settlers,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    method: &str,
) -> AppResult<payment::Model> {
    let mut done = confirm_many(db, settlers, actor, c, &[id], method).await?;
    done.pop()
        .ok_or_else(|| AppError::internal("confirmed nothing"))
}

/// Use case: confirm several `due` payments at once (the matches of a bank statement), all or
/// none: one that is no longer due (paid meanwhile, cancelled, of another commune) stops the
/// whole batch with `payment_not_due`.
pub async fn confirm_many(
    db: &DatabaseConnection,
    settlers: &Settlers,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    ids: &[i64],
    method: &str,
) -> AppResult<Vec<payment::Model>> {
    let u = access::with_role(actor, c, CONFIRMERS)?;
    if !METHODS.contains(&method) {
        return Err(AppError::invalid("payment_method_invalid", "method"));
    }
    if ids.is_empty() {
        return Err(AppError::invalid("payments_none", "payments"));
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let mut done = Vec::with_capacity(ids.len());
    let mut kinds: Vec<&'static str> = vec![];
    for id in ids {
        let res = payment::Entity::update_many()
            .col_expr(payment::Column::Status, Expr::value(status::PAID))
            .col_expr(
                payment::Column::Method,
                Expr::value(Some(method.to_owned())),
            )
            .col_expr(payment::Column::ConfirmedBy, Expr::value(Some(u.id)))
            .col_expr(payment::Column::ConfirmedAt, Expr::value(Some(now)))
            .filter(payment::Column::Id.eq(id))
            .filter(payment::Column::CommuneCode.eq(&c.code))
            .filter(payment::Column::Status.eq(status::DUE))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError {
                detail: Some(format!("payment {id}")),
                ..AppError::conflict("payment_not_due")
            });
        }
        let p = payment::Entity::find_by_id((c.code.clone(), id))
            .one(&txn)
            .await?
            .ok_or_else(AppError::not_found)?;
        if let Some(hook) = settlers.get(&p.ref_kind) {
            hook.settled(&txn, &p, u).await?;
            if !kinds.contains(&hook.ref_kind()) {
                kinds.push(hook.ref_kind());
            }
        }
        let action = format!("{}.payment", p.ref_kind);
        audit::record(
            &txn,
            audit::Entry::in_commune(
                u,
                c,
                &action,
                &p.ref_kind,
                &p.reference,
                // The audit log is read in Vietnamese: the amount and method in words.
                format!(
                    "{} · {}",
                    vnd(p.amount_vnd),
                    crate::i18n::t(crate::i18n::Locale::Vi, method_key(method))
                ),
            ),
        )
        .await?;
        done.push(p);
    }
    txn.commit().await?;
    for k in kinds {
        if let Some(hook) = settlers.get(k) {
            hook.committed(&c.code);
        }
    }
    Ok(done)
}

// ---- bank statements ----

/// One line of a bank statement and what it matched.
pub struct StatementMatch {
    pub line: statement::Line,
    pub outcome: statement::Outcome,
    /// The due payment it matched, when it did.
    pub payment: Option<payment::Model>,
}

/// Use case: read a commune's bank statement and match its credit lines to the commune's due
/// payments. Reads only; confirming the matches is [`confirm_many`] with method `transfer`.
pub async fn read_statement(
    db: &DatabaseConnection,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    bytes: &[u8],
) -> AppResult<Vec<StatementMatch>> {
    access::with_role(actor, c, CONFIRMERS)?;
    // A statement that cannot be read is the uploader's mistake (400), named by its code.
    let lines = statement::parse(bytes).map_err(|e| {
        use axum::http::StatusCode;
        let status = match e {
            statement::StatementError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        AppError {
            field: Some("file"),
            detail: match e {
                statement::StatementError::BadAmount(row) => Some(format!("line {row}")),
                _ => None,
            },
            ..AppError::new(status, e.code())
        }
    })?;
    let due = due_in(db, &c.code).await?;
    let keys: Vec<statement::Due> = due
        .iter()
        .map(|p| statement::Due {
            id: p.id,
            reference: p.reference.clone(),
            amount_vnd: p.amount_vnd,
        })
        .collect();
    let outcomes = statement::match_lines(&lines, &keys);
    Ok(lines
        .into_iter()
        .zip(outcomes)
        .map(|(line, outcome)| {
            let payment = match &outcome {
                statement::Outcome::Matched(id) => due.iter().find(|p| p.id == *id).cloned(),
                _ => None,
            };
            StatementMatch {
                line,
                outcome,
                payment,
            }
        })
        .collect())
}

/// An amount as Vietnamese write it: `15.000 ₫`.
pub fn vnd(amount: i64) -> String {
    format!("{} ₫", crate::numbers::int(amount))
}

/// Cancels the `due` payments of one thing (a dossier refused or closed unpaid), inside the
/// caller's transaction, so no statement can settle them afterwards.
pub async fn cancel_due(
    db: &impl ConnectionTrait,
    commune: &str,
    ref_kind: &str,
    ref_id: i64,
) -> AppResult<u64> {
    Ok(payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(status::CANCELLED))
        .filter(payment::Column::CommuneCode.eq(commune))
        .filter(payment::Column::RefKind.eq(ref_kind))
        .filter(payment::Column::RefId.eq(ref_id))
        .filter(payment::Column::Status.eq(status::DUE))
        .exec(db)
        .await?
        .rows_affected)
}
