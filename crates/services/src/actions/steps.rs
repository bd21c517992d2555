//! Use cases of the workflow: one step on a dossier (the desk's assign, forward, approve,
//! return, …; the applicant's supplement and close) with its rule, transaction, audit entry
//! and notifications.

use chrono::Utc;
use kernel::accounts::{self, CurrentUser, Role, access};
use kernel::tenancy::CommuneInfo;
use kernel::{audit, notify};

use super::dossiers::{Upload, by_id, store_uploads};
use super::{ActionResult, Kernel, Refusal};
use crate::entity::dossier;
use crate::model::{self, Action, DESK, Status};
use crate::store::{self, DOSSIERS, Event, FEE_REF, StepChanges};

pub struct Step<'a> {
    pub action: Action,
    pub version: i32,
    pub note: Option<&'a str>,
    pub assignee_id: Option<i64>,
    /// For `return_result`: a file already uploaded by the official.
    pub result_attachment_id: Option<i64>,
    /// For `return_result`: a result file sent with the step, stored here.
    pub result_upload: Option<(String, Vec<u8>)>,
    /// For `supplement`: the added documents, recorded with the step.
    pub documents: Vec<(String, i64)>,
}

impl Step<'_> {
    pub fn new(action: Action, version: i32) -> Self {
        Step {
            action,
            version,
            note: None,
            assignee_id: None,
            result_attachment_id: None,
            result_upload: None,
            documents: vec![],
        }
    }
}

/// Who the actor is to this dossier, for the workflow's rules.
pub fn actor_for(u: &CurrentUser, c: &CommuneInfo, d: &dossier::Model) -> model::Actor {
    model::Actor {
        roles: u.roles_in(c).collect(),
        is_applicant: d.applicant_user_id == Some(u.id),
        is_assigned_handler: d.assignee_id == Some(u.id),
    }
}

/// The workflow's answer to `action` on `d` by `u`, as a refusal.
fn rule(
    u: &CurrentUser,
    c: &CommuneInfo,
    d: &dossier::Model,
    action: Action,
) -> ActionResult<Status> {
    let current = Status::parse(&d.status)
        .ok_or_else(|| kernel::error::AppError::internal("unknown status"))?;
    model::apply(current, action, &actor_for(u, c, d)).map_err(|r| match r {
        model::Refusal::NotAllowedFromState => Refusal::TransitionInvalid.into(),
        model::Refusal::NotPermitted => Refusal::StepForbidden.into(),
    })
}

/// The steps the desk may offer this official on `d` (the applicant's supplement aside).
pub fn desk_actions(u: &CurrentUser, c: &CommuneInfo, d: &dossier::Model) -> Vec<Action> {
    let status = Status::parse(&d.status).unwrap_or(Status::Received);
    model::available(status, &actor_for(u, c, d))
        .into_iter()
        .filter(|a| *a != Action::Supplement)
        .collect()
}

/// Use case: the applicant answers a supplement request with the missing documents (files
/// sent with the form, stored only once the step is known to be theirs to take).
pub async fn supplement(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    receipt: &str,
    version: Option<i32>,
    note: Option<&str>,
    uploads: Vec<Upload>,
) -> ActionResult<dossier::Model> {
    let u = access::signed_in(actor)?;
    let d = super::dossiers::by_receipt(k, c, receipt).await?;
    // Check who and when before storing a single file.
    rule(u, c, &d, Action::Supplement)?;
    let version = version.ok_or_else(|| kernel::error::AppError::bad_request("form_invalid"))?;
    if version != d.version {
        return Err(Refusal::DossierConflict.into());
    }
    let p = super::procedures::any(k.db, &c.code, d.procedure_id).await?;
    let documents = store_uploads(k, c, &p, u, uploads).await?;
    let step = Step {
        note,
        documents,
        ..Step::new(Action::Supplement, version)
    };
    act(k, Some(u), c, d.id, step).await
}

/// Use case: takes one workflow step. Two officials acting on the same version: the first
/// wins, the second gets `dossier_conflict` and nothing of theirs is written.
pub async fn act(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    step: Step<'_>,
) -> ActionResult<dossier::Model> {
    let u = access::signed_in(actor)?;
    let d = by_id(k.db, &c.code, id).await?;
    if d.version != step.version {
        return Err(Refusal::DossierConflict.into());
    }
    let current = Status::parse(&d.status)
        .ok_or_else(|| kernel::error::AppError::internal("unknown status"))?;
    let next = rule(u, c, &d, step.action)?;
    let note = step.note.map(str::trim).filter(|n| !n.is_empty());
    if step.action.needs_note() && note.is_none() {
        return Err(Refusal::NoteRequired.at("note"));
    }
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(Refusal::TextTooLong.at("note"));
    }
    let now = Utc::now();
    let mut ch = StepChanges::default();
    match step.action {
        Action::Assign => {
            let who = step
                .assignee_id
                .ok_or(Refusal::AssigneeInvalid.at("assignee_id"))?;
            let grants = accounts::grants_of(k.db, who).await?;
            if !grants.iter().any(|g| {
                g.unit_code == c.code
                    && matches!(g.role, Role::Official | Role::Leader | Role::CommuneAdmin)
            }) {
                return Err(Refusal::AssigneeInvalid.at("assignee_id"));
            }
            ch.assignee_id = Some(who);
        }
        Action::Supplement => {
            // The legal time runs again from the day the dossier is complete.
            let p = super::procedures::any(k.db, &c.code, d.procedure_id).await?;
            ch.due_date = Some(
                k.calendar
                    .get()
                    .add_working_days(kernel::time::to_vn(now), p.processing_days.max(0) as u32),
            );
            for (n, att) in &step.documents {
                let ok = store::attachment_ok(k.db, &c.code, *att, Some(u.id))
                    .await?
                    .is_some();
                if !ok || n.is_empty() {
                    return Err(Refusal::AttachmentUnknown.at("documents"));
                }
            }
        }
        Action::RequestSupplement | Action::Refuse => {
            ch.last_note = Some(note.map(str::to_owned));
        }
        Action::ReturnResult => {
            let mut att = step.result_attachment_id;
            if let Some((name, bytes)) = step.result_upload {
                att = Some(
                    k.files
                        .store(
                            k.db,
                            &c.code,
                            Some(u.id),
                            &name,
                            bytes,
                            kernel::files::IMAGES_AND_PDF,
                        )
                        .await?
                        .id,
                );
            } else if let Some(att) = att {
                // Only a file this official uploaded: never another citizen's document.
                store::attachment_ok(k.db, &c.code, att, Some(u.id))
                    .await?
                    .ok_or(Refusal::AttachmentUnknown.at("result"))?;
            }
            ch.result = Some((att, note.map(str::to_owned)));
        }
        _ => {}
    }
    if next.is_done() && d.done_at.is_none() {
        ch.done_at = Some(now);
    }
    let txn = kernel::db::begin_write(k.db).await?;
    if !store::write_step(&txn, &d, next, now, ch).await? {
        return Err(Refusal::DossierConflict.into());
    }
    store::add_documents(&txn, &d, &step.documents).await?;
    if next.is_final() {
        // A fee left unpaid is no longer owed: no statement may settle it afterwards.
        kernel::payments::cancel_due(&txn, &c.code, FEE_REF, d.id).await?;
    }
    let updated = by_id(&txn, &c.code, id).await?;
    store::event(
        &txn,
        &updated,
        Event {
            actor_id: Some(u.id),
            actor_name: &u.full_name,
            action: step.action.as_str(),
            from: Some(current),
            to: next,
            note,
        },
    )
    .await?;
    let applicants_own = d.applicant_user_id == Some(u.id)
        && matches!(step.action, Action::Supplement | Action::Close);
    if u.has_role_in(c, DESK) && !applicants_own {
        let summary = format!(
            "{} → {}{}",
            current.as_str(),
            next.as_str(),
            note.map(|n| format!(": {n}")).unwrap_or_default()
        );
        audit::record(
            &txn,
            audit::Entry::in_commune(
                u,
                c,
                &format!("dossier.{}", step.action.as_str()),
                "dossier",
                &d.receipt_code,
                summary,
            ),
        )
        .await?;
    }
    tell_applicant(&txn, &updated, next, note).await?;
    if step.action == Action::Assign
        && let Some(who) = step.assignee_id
    {
        let link = format!("/c/{}/office/dossiers/{}", c.code, updated.id);
        notify::notify(
            &txn,
            notify::Message {
                commune_code: &c.code,
                user_id: who,
                text: notify::Text::key("sv.note.assigned")
                    .arg("receipt", &updated.receipt_code)
                    .arg("due", updated.due_date.format("%d/%m/%Y")),
                link: Some(&link),
                ..Default::default()
            },
            &[],
        )
        .await?;
    }
    txn.commit().await?;
    kernel::cache::changed(DOSSIERS, &c.code);
    k.dispatcher.wake();
    Ok(updated)
}

/// Every status change reaches the applicant's inbox (other channels come with notices).
async fn tell_applicant(
    db: &impl sea_orm::ConnectionTrait,
    d: &dossier::Model,
    status: Status,
    note: Option<&str>,
) -> kernel::error::AppResult<()> {
    let Some(uid) = d.applicant_user_id else {
        return Ok(());
    };
    // The official's note is shown as written; without one the body repeats the status.
    let text = match note {
        Some(n) => notify::Text::key("sv.note.status_noted").arg("note", n),
        None => notify::Text::key("sv.note.status"),
    }
    .arg("receipt", &d.receipt_code)
    .arg_key("status", status.label_key());
    let link = format!("/c/{}/dossiers/{}", d.commune_code, d.receipt_code);
    notify::notify(
        db,
        notify::Message {
            commune_code: &d.commune_code,
            user_id: uid,
            text,
            link: Some(&link),
            ..Default::default()
        },
        &[],
    )
    .await
}
