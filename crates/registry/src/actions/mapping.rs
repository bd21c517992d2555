//! Use cases of the commune's saved column mapping: an official says once how the headers of
//! the commune's own spreadsheets read ("Tên chủ hộ gia đình" is the head's name, "Ghi chú" is
//! left out) and every later import, on the page, through the API or on the command line,
//! reads them so. Saving is audited.

use std::collections::HashMap;

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::actions::Kernel;
use kernel::audit;
use kernel::tenancy::CommuneInfo;
use kernel::text::fold_vi;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::access::editor;
use super::{ActionResult, Refusal};
use crate::columns::{FIELDS, IGNORE};
use crate::entity::column_map;

/// The mapping as the import engine reads it: folded header → field (or `ignore`).
pub async fn load(
    db: &impl ConnectionTrait,
    commune: &str,
) -> Result<HashMap<String, String>, sea_orm::DbErr> {
    Ok(column_map::Entity::find()
        .filter(column_map::Column::CommuneCode.eq(commune))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.header, m.field))
        .collect())
}

/// Use case: the commune's saved mapping, by header (officials).
pub async fn list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<column_map::Model>> {
    editor(actor, c)?;
    Ok(column_map::Entity::find()
        .filter(column_map::Column::CommuneCode.eq(&c.code))
        .order_by_asc(column_map::Column::Header)
        .all(k.db)
        .await?)
}

/// A checked header: folded, as written, and its field.
pub struct Checked {
    header: String,
    written: String,
    field: String,
}

/// Checks headers as written with their fields (a field of the template or `ignore`).
pub fn check(pairs: &[(String, String)]) -> ActionResult<Vec<Checked>> {
    let mut checked = vec![];
    for (written, field) in pairs {
        let written = written.trim();
        let header = fold_vi(written);
        if header.is_empty() || written.chars().count() > 120 {
            return Err(Refusal::ImportMappingHeaderInvalid.at("header"));
        }
        let field = field.trim();
        if field != IGNORE && !FIELDS.contains(&field) {
            return Err(Refusal::ImportMappingFieldUnknown.at("field"));
        }
        checked.push(Checked {
            header,
            written: written.to_owned(),
            field: field.to_owned(),
        });
    }
    if checked.is_empty() {
        return Err(Refusal::ImportMappingHeaderInvalid.at("header"));
    }
    Ok(checked)
}

/// Writes checked headers in the caller's transaction (a header saved before reads the new
/// way), with the audit entry; `note` is added to its summary.
pub async fn write(
    txn: &impl ConnectionTrait,
    u: &CurrentUser,
    c: &CommuneInfo,
    checked: &[Checked],
    note: &str,
) -> ActionResult<()> {
    for m in checked {
        let earlier = column_map::Entity::find()
            .filter(column_map::Column::CommuneCode.eq(&c.code))
            .filter(column_map::Column::Header.eq(&m.header))
            .one(txn)
            .await?;
        let mut a = match earlier {
            Some(e) => e.into(),
            None => column_map::ActiveModel {
                commune_code: Set(c.code.clone()),
                header: Set(m.header.clone()),
                ..Default::default()
            },
        };
        a.written = Set(m.written.clone());
        a.field = Set(m.field.clone());
        a.updated_by = Set(u.id);
        a.updated_at = Set(Utc::now());
        a.save(txn).await?;
    }
    let mut summary: Vec<String> = checked
        .iter()
        .map(|m| format!("{} → {}", m.written, m.field))
        .collect();
    if !note.is_empty() {
        summary.push(note.to_owned());
    }
    audit::record(
        txn,
        audit::Entry::in_commune(
            u,
            c,
            "household.columns",
            "household",
            "",
            summary.join("; "),
        ),
    )
    .await?;
    Ok(())
}

/// Use case: an official saves how headers read (header as written → field or `ignore`).
/// All or nothing; audited.
pub async fn save(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    pairs: &[(String, String)],
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    let checked = check(pairs)?;
    let txn = kernel::db::begin_write(k.db).await?;
    write(&txn, u, c, &checked, "").await?;
    txn.commit().await?;
    Ok(())
}

/// Use case: an official forgets one saved header (it reads as the template says again).
/// Audited.
pub async fn forget(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<()> {
    let u = editor(actor, c)?;
    let row = column_map::Entity::find()
        .filter(column_map::Column::CommuneCode.eq(&c.code))
        .filter(column_map::Column::Id.eq(id))
        .one(k.db)
        .await?
        .ok_or(Refusal::ImportMappingUnknown)?;
    let txn = kernel::db::begin_write(k.db).await?;
    column_map::Entity::delete_many()
        .filter(column_map::Column::CommuneCode.eq(&c.code))
        .filter(column_map::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "household.columns_forget",
            "household",
            "",
            row.written,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
