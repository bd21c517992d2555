//! Queries on the procedure catalogue: read, search, insert, update, attach blank forms.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entity::procedure;

/// The generation kind of a commune's procedure catalogue (`kernel::cache`).
pub const PROCEDURES: &str = "procedures";
use crate::model::{FormField, RequiredDocument};

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ProcedureInput {
    pub code: String,
    pub name: String,
    pub field: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub documents: Vec<RequiredDocument>,
    #[serde(default)]
    pub form_fields: Vec<FormField>,
    pub fee_vnd: i64,
    pub processing_days: i32,
    /// `full`, `partial` or `offline`.
    pub online_level: String,
    /// One step per line.
    #[serde(default)]
    pub steps: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Whether another procedure of the commune (other than `except`) has this code.
pub async fn code_taken(
    db: &impl ConnectionTrait,
    commune: &str,
    code: &str,
    except: Option<i64>,
) -> Result<bool, DbErr> {
    let mut q = procedure::Entity::find()
        .filter(procedure::Column::CommuneCode.eq(commune))
        .filter(procedure::Column::Code.eq(code.trim()));
    if let Some(id) = except {
        q = q.filter(procedure::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// Inserts a procedure as given (the use case has checked it; demo and load-test data are
/// trusted).
pub async fn create_procedure(
    db: &impl ConnectionTrait,
    commune: &str,
    p: &ProcedureInput,
) -> Result<procedure::Model, DbErr> {
    let now = Utc::now();
    procedure::ActiveModel {
        commune_code: Set(commune.into()),
        code: Set(p.code.trim().into()),
        name: Set(p.name.trim().into()),
        folded_name: Set(kernel::text::fold_vi(&format!(
            "{} {} {}",
            p.name, p.field, p.code
        ))),
        field: Set(p.field.trim().into()),
        legal_basis: Set(p.legal_basis.trim().into()),
        documents: Set(serde_json::to_string(&p.documents).unwrap_or_else(|_| "[]".into())),
        form_fields: Set(serde_json::to_string(&p.form_fields).unwrap_or_else(|_| "[]".into())),
        fee_vnd: Set(p.fee_vnd),
        processing_days: Set(p.processing_days),
        online_level: Set(p.online_level.clone()),
        steps: Set(p.steps.trim().into()),
        active: Set(p.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Overwrites `existing` with `p`. The editor does not carry blank forms: each document keeps
/// its form by its name.
pub async fn update_procedure(
    db: &impl ConnectionTrait,
    existing: procedure::Model,
    p: &ProcedureInput,
) -> Result<procedure::Model, DbErr> {
    let old_forms: std::collections::HashMap<String, Option<i64>> = documents_of(&existing)
        .into_iter()
        .map(|d| (d.name, d.form_attachment_id))
        .collect();
    let documents: Vec<RequiredDocument> = p
        .documents
        .iter()
        .cloned()
        .map(|mut d| {
            if d.form_attachment_id.is_none() {
                d.form_attachment_id = old_forms.get(&d.name).copied().flatten();
            }
            d
        })
        .collect();
    let mut am: procedure::ActiveModel = existing.into();
    am.code = Set(p.code.trim().into());
    am.name = Set(p.name.trim().into());
    am.folded_name = Set(kernel::text::fold_vi(&format!(
        "{} {} {}",
        p.name, p.field, p.code
    )));
    am.field = Set(p.field.trim().into());
    am.legal_basis = Set(p.legal_basis.trim().into());
    am.documents = Set(serde_json::to_string(&documents).unwrap_or_else(|_| "[]".into()));
    am.form_fields = Set(serde_json::to_string(&p.form_fields).unwrap_or_else(|_| "[]".into()));
    am.fee_vnd = Set(p.fee_vnd);
    am.processing_days = Set(p.processing_days);
    am.online_level = Set(p.online_level.clone());
    am.steps = Set(p.steps.trim().into());
    am.active = Set(p.active);
    am.updated_at = Set(Utc::now());
    am.update(db).await
}

/// The commune's procedure `id`, active or withdrawn.
pub async fn find_procedure(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
) -> Result<Option<procedure::Model>, DbErr> {
    procedure::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await
}

/// The catalogue, searched without accents on name, field and code (every word a prefix of
/// one of theirs, whole-word matches first).
pub async fn procedures(
    db: &impl ConnectionTrait,
    commune: &str,
    q: &str,
    field: &str,
    include_inactive: bool,
) -> kernel::error::AppResult<Vec<procedure::Model>> {
    let q = kernel::search::Query::parse(q)?;
    let search = crate::migration_search::SEARCH;
    let mut sel = procedure::Entity::find()
        .filter(procedure::Column::CommuneCode.eq(commune))
        .filter(search.matches(db.get_database_backend(), &q));
    if !include_inactive {
        sel = sel.filter(procedure::Column::Active.eq(true));
    }
    if !field.trim().is_empty() {
        sel = sel.filter(procedure::Column::Field.eq(field.trim()));
    }
    Ok(sel
        .order_by_desc(search.rank(db.get_database_backend(), &q))
        .order_by_asc(procedure::Column::Field)
        .order_by_asc(procedure::Column::Name)
        .all(db)
        .await?)
}

/// Writes the procedure's documents (after a blank form was attached to one of them).
pub async fn set_documents(
    db: &impl ConnectionTrait,
    p: procedure::Model,
    docs: &[RequiredDocument],
) -> Result<procedure::Model, DbErr> {
    let mut am: procedure::ActiveModel = p.into();
    am.documents = Set(serde_json::to_string(docs).unwrap_or_else(|_| "[]".into()));
    am.updated_at = Set(Utc::now());
    am.update(db).await
}

pub fn documents_of(p: &procedure::Model) -> Vec<RequiredDocument> {
    serde_json::from_str(&p.documents).unwrap_or_default()
}

/// The procedure's form fields. Fields stored before kinds existed (or with a kind this version
/// does not know) read as one-line text, so old procedures and their dossiers keep working.
pub fn fields_of(p: &procedure::Model) -> Vec<FormField> {
    let raw: Vec<serde_json::Value> = serde_json::from_str(&p.form_fields).unwrap_or_default();
    raw.into_iter()
        .filter_map(|mut v| {
            let known = v
                .get("kind")
                .and_then(|k| k.as_str())
                .is_none_or(|k| crate::model::FieldKind::parse(k).is_some());
            if !known {
                v["kind"] = "text".into();
            }
            serde_json::from_value(v).ok()
        })
        .collect()
}
