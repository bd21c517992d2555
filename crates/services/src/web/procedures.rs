//! The catalogue's administration pages: the list, the procedure editor, blank forms (upload
//! by the admin, download by anyone) and the commune's bank account for VietQR codes.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kernel::accounts::access::ADMINS;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for, render_status};
use serde::Deserialize;

use super::{ProcRow, proc_row};
use crate::Services;
use crate::actions::{self, Refusal, procedures};
use crate::entity::procedure;
use crate::model;
use crate::store::{self, ProcedureInput};

#[derive(Template)]
#[template(path = "svc_procedures_admin.html")]
struct ProceduresAdmin {
    shell: Shell,
    active: &'static str,
    code: String,
    rows: Vec<(ProcRow, bool)>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, model::DESK)?;
    let rows = store::procedures(&state.db, &c.code, "", "", true)
        .await?
        .iter()
        .map(|p| (proc_row(&ctx, p), p.active))
        .collect();
    let shell = Shell::new(
        &state,
        &ctx,
        Some(c.clone()),
        ctx.tr().get("svc.procedures"),
    )
    .await;
    Ok(render(&ProceduresAdmin {
        shell,
        active: "procedures",
        code: c.code.clone(),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "svc_procedure_form.html")]
struct ProcedureForm {
    shell: Shell,
    active: &'static str,
    code: String,
    id: Option<i64>,
    /// (index, document name, has a blank form)
    docs: Vec<(usize, String, bool)>,
    f: ProcedureFormData,
    error: Option<String>,
}

/// The procedure editor's fields: lists are one item per line, as officials type them.
#[derive(Deserialize, Default, Clone)]
pub struct ProcedureFormData {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub legal_basis: String,
    /// One document per line; a leading `*` marks it required.
    #[serde(default)]
    pub documents: String,
    /// One field per line: `key | label` and a trailing `*` when required.
    #[serde(default)]
    pub form_fields: String,
    #[serde(default)]
    pub fee_vnd: String,
    #[serde(default)]
    pub processing_days: String,
    #[serde(default)]
    pub online_level: String,
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub active: Option<String>,
}

impl ProcedureFormData {
    fn from_model(p: &procedure::Model) -> Self {
        ProcedureFormData {
            code: p.code.clone(),
            name: p.name.clone(),
            field: p.field.clone(),
            legal_basis: p.legal_basis.clone(),
            documents: store::documents_of(p)
                .iter()
                .map(|d| format!("{}{}", if d.required { "*" } else { "" }, d.name))
                .collect::<Vec<_>>()
                .join("\n"),
            form_fields: store::fields_of(p)
                .iter()
                .map(|f| {
                    format!(
                        "{} | {}{}",
                        f.key,
                        f.label,
                        if f.required { " *" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            fee_vnd: p.fee_vnd.to_string(),
            processing_days: p.processing_days.to_string(),
            online_level: p.online_level.clone(),
            steps: p.steps.clone(),
            active: p.active.then(|| "on".into()),
        }
    }

    fn to_input(&self) -> actions::ActionResult<ProcedureInput> {
        let documents = self
            .documents
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| model::RequiredDocument {
                required: l.starts_with('*'),
                name: l.trim_start_matches('*').trim().to_owned(),
                form_attachment_id: None,
            })
            .collect();
        let mut form_fields = vec![];
        for l in self
            .form_fields
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (key, label) = l
                .split_once('|')
                .ok_or(Refusal::FormFieldInvalid.at("form_fields"))?;
            let label = label.trim();
            let required = label.ends_with('*');
            form_fields.push(model::FormField {
                key: key.trim().to_owned(),
                label: label.trim_end_matches('*').trim().to_owned(),
                required,
                kind: "text".into(),
            });
        }
        Ok(ProcedureInput {
            code: self.code.clone(),
            name: self.name.clone(),
            field: self.field.clone(),
            legal_basis: self.legal_basis.clone(),
            documents,
            form_fields,
            fee_vnd: self
                .fee_vnd
                .trim()
                .replace(['.', ',', ' '], "")
                .parse()
                .map_err(|_| Refusal::FeeInvalid.at("fee_vnd"))?,
            processing_days: self
                .processing_days
                .trim()
                .parse()
                .map_err(|_| Refusal::DaysInvalid.at("processing_days"))?,
            online_level: self.online_level.clone(),
            steps: self.steps.clone(),
            active: self.active.is_some(),
        })
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: Option<i64>,
    f: ProcedureFormData,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let docs = match id {
        Some(i) => store::documents_of(&procedures::any(&state.db, &c.code, i).await?)
            .into_iter()
            .enumerate()
            .map(|(n, d)| (n, d.name, d.form_attachment_id.is_some()))
            .collect(),
        None => vec![],
    };
    let page = ProcedureForm {
        active: "procedures",
        code: c.code.clone(),
        id,
        docs,
        f,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        shell: Shell::new(state, ctx, Some(c), ctx.tr().get("svc.procedure_edit")).await,
    };
    Ok(render_for(err, &page))
}

pub(super) async fn form_new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let f = ProcedureFormData {
        online_level: "full".into(),
        active: Some("on".into()),
        fee_vnd: "0".into(),
        processing_days: "1".into(),
        ..Default::default()
    };
    form_page(&state, &ctx, c, None, f, None).await
}

pub(super) async fn form_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let p = procedures::any(&state.db, &c.code, id).await?;
    form_page(
        &state,
        &ctx,
        c,
        Some(id),
        ProcedureFormData::from_model(&p),
        None,
    )
    .await
}

async fn save(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    id: Option<i64>,
    f: ProcedureFormData,
) -> AppResult<Response> {
    ctx.with_role(&c, ADMINS)?;
    let res = match f.to_input() {
        Ok(input) => procedures::save(state.kernel(), svc, ctx.actor(), &c, id, &input).await,
        Err(e) => Err(e),
    };
    match res.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/procedures", c.code)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            form_page(state, ctx, c, id, f, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<ProcedureFormData>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    save(&state, &svc, &ctx, c, None, f).await
}

pub(super) async fn update(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<ProcedureFormData>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    save(&state, &svc, &ctx, c, Some(id), f).await
}

#[derive(Template)]
#[template(path = "svc_payment_account.html")]
struct PaymentAccountPage {
    shell: Shell,
    active: &'static str,
    bin: String,
    number: String,
    name: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    bank_bin: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    account_name: String,
}

pub(super) async fn account_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let a =
        kernel::payments::account_of(&state.db, &c.code, kernel::payments::Owner::Commune).await?;
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("svc.payment_account")).await;
    Ok(render(&PaymentAccountPage {
        shell,
        active: "procedures",
        bin: a.as_ref().map(|a| a.bank_bin.clone()).unwrap_or_default(),
        number: a
            .as_ref()
            .map(|a| a.account_number.clone())
            .unwrap_or_default(),
        name: a.map(|a| a.account_name).unwrap_or_default(),
        error: None,
    }))
}

pub(super) async fn account_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<AccountForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let account = actions::payments::Account {
        bank_bin: &f.bank_bin,
        account_number: &f.account_number,
        account_name: &f.account_name,
    };
    let res = actions::payments::set_account(state.kernel(), ctx.actor(), &c, account).await;
    match res.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/payment-account", c.code)).into_response()),
        Err(e) if e.status.is_client_error() => {
            let shell =
                Shell::new(&state, &ctx, Some(c), ctx.tr().get("svc.payment_account")).await;
            Ok(render_status(
                e.status,
                &PaymentAccountPage {
                    shell,
                    active: "procedures",
                    bin: f.bank_bin,
                    number: f.account_number,
                    name: f.account_name,
                    error: Some(e.message(ctx.locale).to_owned()),
                },
            ))
        }
        Err(e) => Err(e),
    }
}

/// A procedure's blank form, public: citizens print and fill it before coming or submitting.
pub(super) async fn blank_form(
    State(state): State<AppState>,
    Path((code, id, index)): Path<(String, i64, usize)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let p = procedures::any(&state.db, &c.code, id).await?;
    let att = store::documents_of(&p)
        .get(index)
        .and_then(|d| d.form_attachment_id)
        .ok_or_else(AppError::not_found)?;
    let f = state.files.find(&state.db, &c.code, att).await?;
    let bytes = state.files.read(&f).await?;
    let name = format!("mau-{}-{}.pdf", p.code.to_ascii_lowercase(), index + 1);
    Ok((
        [
            (header::CONTENT_TYPE, f.mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub(super) async fn upload_form(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let parts = read_multipart(mp).await?;
    let index = parts.fields.get("document").and_then(|v| v.parse().ok());
    let file = parts
        .files
        .into_iter()
        .find(|(f, _, _)| f == "form")
        .map(|(_, name, bytes)| (name, bytes));
    let res = procedures::attach_form(state.kernel(), &svc, ctx.actor(), &c, id, index, file).await;
    match res.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/procedures/{id}", c.code)).into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            let p = procedures::any(&state.db, &c.code, id).await?;
            form_page(
                &state,
                &ctx,
                c,
                Some(id),
                ProcedureFormData::from_model(&p),
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}
