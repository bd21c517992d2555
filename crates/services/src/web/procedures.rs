//! The catalogue's administration pages: the list, the procedure editor, blank forms (upload
//! by the admin, download by anyone) and the commune's bank account for VietQR codes.

use std::collections::BTreeMap;
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
    /// Names of the standard procedures the catalogue lacks, offered to a commune admin to copy.
    standard: Vec<String>,
    /// "N standard procedures can be copied", in the reader's language.
    standard_offer: String,
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
    let standard = if ctx.with_role(&c, ADMINS).is_ok() {
        procedures::standard_missing(&state.db, &c.code)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect()
    } else {
        vec![]
    };
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
        standard_offer: kernel::i18n::fill(
            ctx.locale,
            "svc.standard_offer",
            &[("n", standard.len().to_string().as_str())],
        ),
        standard,
    }))
}

/// The commune admin copies the standard commune-level procedures into the catalogue.
pub(super) async fn copy_standard(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let done = procedures::copy_standard(state.kernel(), &svc, ctx.actor(), &c).await?;
    Ok(kernel::web::flash::redirect(
        &format!("/c/{}/office/procedures", c.code),
        match done.copied {
            0 => kernel::web::flash::Flash::key("flash.standard_procedures_none"),
            n => kernel::web::flash::Flash::key("flash.standard_procedures_copied").arg("n", n),
        },
        state.config.cookies_secure(),
    ))
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
    rows: Vec<FieldRow>,
    kinds: Vec<(&'static str, &'static str)>,
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
    /// The form fields' rows: `ff<i>_key` (hidden, kept for existing fields), `ff<i>_label`,
    /// `ff<i>_kind`, `ff<i>_options` (comma-separated) and `ff<i>_req`; other names are ignored.
    #[serde(flatten)]
    pub rest: BTreeMap<String, String>,
}

/// One row of the form-fields editor.
pub struct FieldRow {
    pub i: usize,
    pub key: String,
    pub label: String,
    pub kind: &'static str,
    pub options: String,
    pub required: bool,
}

/// Blank rows the editor offers for new fields.
const BLANK_ROWS: usize = 3;

/// A key for a new field, made from its label (`Ngày sinh` → `ngay_sinh`).
fn key_from_label(label: &str, taken: &[String]) -> String {
    let base: String = kernel::text::fold_vi(label)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(34)
        .collect();
    let base = if base.is_empty() {
        "field".into()
    } else {
        base
    };
    let mut key = base.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
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
            // As officials write amounts: `15.000`.
            fee_vnd: kernel::payments::vnd(p.fee_vnd)
                .trim_end_matches(" ₫")
                .to_owned(),
            processing_days: p.processing_days.to_string(),
            online_level: p.online_level.clone(),
            steps: p.steps.clone(),
            active: p.active.then(|| "on".into()),
            rest: store::fields_of(p)
                .iter()
                .enumerate()
                .flat_map(|(i, f)| {
                    let mut row = vec![
                        (format!("ff{i}_key"), f.key.clone()),
                        (format!("ff{i}_label"), f.label.clone()),
                        (format!("ff{i}_kind"), f.kind.as_str().to_owned()),
                        (format!("ff{i}_options"), f.options.join(", ")),
                    ];
                    if f.required {
                        row.push((format!("ff{i}_req"), "on".into()));
                    }
                    row
                })
                .collect(),
        }
    }

    /// The rows as posted (or loaded), then blank rows for new fields.
    pub fn field_rows(&self) -> Vec<FieldRow> {
        let get = |i: usize, k: &str| self.rest.get(&format!("ff{i}_{k}")).cloned();
        let mut rows = vec![];
        let mut i = 0;
        while get(i, "label").is_some() || get(i, "key").is_some() {
            rows.push(FieldRow {
                i,
                key: get(i, "key").unwrap_or_default(),
                label: get(i, "label").unwrap_or_default(),
                kind: get(i, "kind")
                    .and_then(|k| model::FieldKind::parse(&k))
                    .unwrap_or_default()
                    .as_str(),
                options: get(i, "options").unwrap_or_default(),
                required: get(i, "req").is_some(),
            });
            i += 1;
        }
        let filled = rows.iter().filter(|r| !r.label.trim().is_empty()).count();
        let blanks = rows.len() - filled;
        for n in 0..BLANK_ROWS.saturating_sub(blanks) {
            rows.push(FieldRow {
                i: i + n,
                key: String::new(),
                label: String::new(),
                kind: "text",
                options: String::new(),
                required: false,
            });
        }
        rows
    }

    /// The fields the rows describe: rows without a name are dropped; new rows get a key made
    /// from their name.
    fn form_fields(&self) -> actions::ActionResult<Vec<model::FormField>> {
        let rows: Vec<FieldRow> = self
            .field_rows()
            .into_iter()
            .filter(|r| !r.label.trim().is_empty())
            .collect();
        let mut taken: Vec<String> = rows
            .iter()
            .map(|r| r.key.trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect();
        let mut out = vec![];
        for r in rows {
            let key = match r.key.trim() {
                "" => {
                    let k = key_from_label(&r.label, &taken);
                    taken.push(k.clone());
                    k
                }
                k => k.to_owned(),
            };
            let kind = model::FieldKind::parse(r.kind).unwrap_or_default();
            let options = if kind == model::FieldKind::Choice {
                r.options
                    .split([',', ';', '\n'])
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned)
                    .collect()
            } else {
                vec![]
            };
            out.push(model::FormField {
                key,
                label: r.label.trim().to_owned(),
                required: r.required,
                kind,
                options,
            });
        }
        Ok(out)
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
        let form_fields = self.form_fields()?;
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
        rows: f.field_rows(),
        kinds: model::FieldKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    ctx.tr().get(&format!("svc.kind.{}", k.as_str())),
                )
            })
            .collect(),
        f,
        error: err.map(|e| {
            e.message(ctx.locale).to_owned()
                + &e.detail
                    .as_deref()
                    .filter(|_| e.code == "field_options_missing")
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
        }),
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
    let bytes = state.files.read(&state.db, &f).await?;
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
