//! Use cases of the procedure catalogue: reading one procedure, the commune admin creating or
//! editing one (checked, audited, the catalogue cache forgotten) and attaching a blank form.

use kernel::accounts::CurrentUser;
use kernel::accounts::access::{self, ADMINS};
use kernel::audit::{self, Entry};
use kernel::tenancy::CommuneInfo;

use super::{ActionResult, Kernel, Refusal};
use crate::Services;
use crate::entity::procedure;
use crate::model::OnlineLevel;
use crate::store::{self, ProcedureInput};

/// A trimmed, non-empty text of at most `max` characters.
pub(crate) fn check_text(s: &str, field: &'static str, max: usize) -> ActionResult<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Refusal::NameRequired.at(field));
    }
    if s.chars().count() > max {
        return Err(Refusal::TextTooLong.at(field));
    }
    Ok(s.to_owned())
}

/// The checks of a procedure as the editor and the API give it.
pub fn validate(p: &ProcedureInput) -> ActionResult<()> {
    check_text(&p.code, "code", 30)?;
    check_text(&p.name, "name", 300)?;
    check_text(&p.field, "field", 100)?;
    if p.legal_basis.chars().count() > 4000 || p.steps.chars().count() > 4000 {
        return Err(Refusal::TextTooLong.at("legal_basis"));
    }
    if !(0..=100_000_000).contains(&p.fee_vnd) {
        return Err(Refusal::FeeInvalid.at("fee_vnd"));
    }
    if !(0..=365).contains(&p.processing_days) {
        return Err(Refusal::DaysInvalid.at("processing_days"));
    }
    if OnlineLevel::parse(&p.online_level).is_none() {
        return Err(Refusal::OnlineLevelInvalid.at("online_level"));
    }
    for f in &p.form_fields {
        let ok_key = !f.key.is_empty()
            && f.key.len() <= 40
            && f.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_key || f.label.trim().is_empty() || f.label.chars().count() > 200 {
            return Err(Refusal::FormFieldInvalid.at("form_fields"));
        }
        let options = f.options.iter().filter(|o| !o.trim().is_empty()).count();
        if f.kind == crate::model::FieldKind::Choice && options < 2 {
            return Err(Refusal::FieldOptionsMissing.with_detail("form_fields", f.label.clone()));
        }
        if f.options.len() > 50 || f.options.iter().any(|o| o.chars().count() > 200) {
            return Err(Refusal::TextTooLong.at("form_fields"));
        }
    }
    let mut keys: Vec<&str> = p.form_fields.iter().map(|f| f.key.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(Refusal::FormFieldInvalid.at("form_fields"));
    }
    if p.documents.iter().any(|d| d.name.trim().is_empty()) {
        return Err(Refusal::NameRequired.at("documents"));
    }
    Ok(())
}

/// The commune's procedure `id`, active or withdrawn (the editor's view).
pub async fn any(
    db: &impl sea_orm::ConnectionTrait,
    commune: &str,
    id: i64,
) -> ActionResult<procedure::Model> {
    store::find_procedure(db, commune, id)
        .await?
        .ok_or(Refusal::ProcedureUnknown.into())
}

/// Use case: a procedure of the commune's public catalogue (withdrawn ones are unknown).
pub async fn open(k: Kernel<'_>, commune: &str, id: i64) -> ActionResult<procedure::Model> {
    let p = any(k.db, commune, id).await?;
    if !p.active {
        return Err(Refusal::ProcedureUnknown.into());
    }
    Ok(p)
}

/// Use case: the commune admin creates a procedure (`id` none) or edits procedure `id`.
pub async fn save(
    k: Kernel<'_>,
    svc: &Services,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: Option<i64>,
    input: &ProcedureInput,
) -> ActionResult<procedure::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    validate(input)?;
    let txn = kernel::db::begin_write(k.db).await?;
    let existing = match id {
        Some(id) => Some(any(&txn, &c.code, id).await?),
        None => None,
    };
    if store::code_taken(&txn, &c.code, &input.code, id).await? {
        return Err(Refusal::ProcedureExists.at("code"));
    }
    let p = match existing {
        Some(existing) => store::update_procedure(&txn, existing, input).await?,
        None => store::create_procedure(&txn, &c.code, input).await?,
    };
    let action = if id.is_some() {
        "procedure.update"
    } else {
        "procedure.create"
    };
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            action,
            "procedure",
            p.id,
            format!("{} · {}", p.code, p.name),
        ),
    )
    .await?;
    txn.commit().await?;
    svc.forget_catalogue(&c.code);
    Ok(p)
}

/// Use case: the commune admin attaches a blank form (a PDF) to document `index` of
/// procedure `id`, for citizens to download.
pub async fn attach_form(
    k: Kernel<'_>,
    svc: &Services,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    index: Option<usize>,
    file: Option<(String, Vec<u8>)>,
) -> ActionResult<procedure::Model> {
    let u = access::with_role(actor, c, ADMINS)?;
    let index = index.ok_or(Refusal::DocumentUnknown.at("document"))?;
    let (name, bytes) = file.ok_or(Refusal::FileMissing.at("form"))?;
    // Checked and written before the write lock is taken.
    let stored = k
        .files
        .put(&name, bytes, &[kernel::files::Kind::Pdf])
        .await?;
    let txn = kernel::db::begin_write(k.db).await?;
    let a = stored.record(&txn, &c.code, Some(u.id)).await?;
    let p = any(&txn, &c.code, id).await?;
    let mut docs = store::documents_of(&p);
    docs.get_mut(index)
        .ok_or(Refusal::DocumentUnknown.at("document"))?
        .form_attachment_id = Some(a.id);
    let p = store::set_documents(&txn, p, &docs).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "procedure.form",
            "procedure",
            p.id,
            format!("{} · {}", p.code, name),
        ),
    )
    .await?;
    txn.commit().await?;
    svc.forget_catalogue(&c.code);
    Ok(p)
}

/// What copying the standard set did: how many procedures were added, of how many in the set.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct StandardCopied {
    /// Procedures added to the commune's catalogue now.
    pub copied: usize,
    /// Procedures in the standard set; those whose code the commune already uses are kept as they are.
    pub total: usize,
}

/// The standard procedures whose code the commune's catalogue does not use yet.
pub async fn standard_missing(
    db: &impl sea_orm::ConnectionTrait,
    commune: &str,
) -> ActionResult<Vec<ProcedureInput>> {
    let mut missing = Vec::new();
    for p in crate::standard::catalogue() {
        if !store::code_taken(db, commune, &p.code, None).await? {
            missing.push(p);
        }
    }
    Ok(missing)
}

/// Use case: the commune admin copies the standard commune-level set into the catalogue, so a new
/// commune starts with procedures to review instead of an empty list. Procedures whose code the
/// commune already uses are left alone, so copying twice adds nothing.
pub async fn copy_standard(
    k: Kernel<'_>,
    svc: &Services,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<StandardCopied> {
    let u = access::with_role(actor, c, ADMINS)?;
    let total = crate::standard::catalogue().len();
    let txn = kernel::db::begin_write(k.db).await?;
    let missing = standard_missing(&txn, &c.code).await?;
    if missing.is_empty() {
        return Ok(StandardCopied { copied: 0, total });
    }
    for p in &missing {
        store::create_procedure(&txn, &c.code, p).await?;
    }
    let codes: Vec<&str> = missing.iter().map(|p| p.code.as_str()).collect();
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "procedure.copy_standard",
            "commune",
            &c.code,
            codes.join(", "),
        ),
    )
    .await?;
    txn.commit().await?;
    svc.forget_catalogue(&c.code);
    Ok(StandardCopied {
        copied: missing.len(),
        total,
    })
}
