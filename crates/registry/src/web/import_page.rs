//! The import pages: upload a spreadsheet, follow its preview's progress, read what each row
//! will be (new, updated, unchanged, refused with column and reason), write it, and follow
//! the writing. The progress card reloads itself every second with htmx while a job runs;
//! without JavaScript the page refreshes itself.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::htmx::{HxRequest, render_partial};
use kernel::web::multipart::{CsrfQuery, check_csrf, read_multipart};
use kernel::web::shell::{Shell, render, render_for};

use crate::actions::import::{Outcome, Report};
use crate::actions::imports::{self, APPLIED, APPLYING, FAILED, PREVIEWED, PREVIEWING};
use crate::columns;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/households/import", get(form).post(upload))
        .route("/c/{code}/office/households/import/{id}", get(status))
        .route("/c/{code}/office/households/import/{id}/apply", post(apply))
        .route(
            "/c/{code}/office/households/import/{id}/columns",
            post(columns_save),
        )
        .route(
            "/c/{code}/office/households/import/columns/{id}/forget",
            post(columns_forget),
        )
}

#[derive(Template)]
#[template(path = "rg_import.html")]
struct FormPage {
    shell: Shell,
    active: &'static str,
    code: String,
    fields: Vec<(&'static str, &'static str)>,
    recent: Vec<(i64, String, &'static str, &'static str, String)>,
    /// The commune's saved headers: (id, header as written, field's words).
    saved: Vec<(i64, String, &'static str)>,
    error: Option<String>,
}

/// The words for a field of a saved mapping (or "left out").
fn field_words(tr: &kernel::i18n::Tr, field: &str) -> &'static str {
    if field == columns::IGNORE {
        tr.get("rg.cols.ignore")
    } else {
        tr.get(&format!("rg.col.{field}"))
    }
}

fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        PREVIEWING => ("rg.imp.s.previewing", "info"),
        PREVIEWED => ("rg.imp.s.previewed", "warn"),
        APPLYING => ("rg.imp.s.applying", "info"),
        APPLIED => ("rg.imp.s.applied", "ok"),
        _ => ("rg.imp.s.failed", "bad"),
    }
}

async fn form_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    let recent = imports::recent(state.kernel(), ctx.actor(), &c).await?;
    let saved = crate::actions::mapping::list(state.kernel(), ctx.actor(), &c).await?;
    let tr = ctx.tr();
    let shell = Shell::new(state, ctx, Some(c.clone()), tr.get("rg.import")).await;
    Ok(render_for(
        err,
        &FormPage {
            shell,
            active: "households/import",
            code: c.code.clone(),
            fields: columns::FIELDS
                .iter()
                .map(|f| (*f, tr.get(&format!("rg.col.{f}"))))
                .collect(),
            recent: recent
                .into_iter()
                .map(|(id, name, status, at)| {
                    let (label, tone) = status_words(&status);
                    (
                        id,
                        name,
                        tr.get(label),
                        tone,
                        kernel::time::vn_datetime_text(at),
                    )
                })
                .collect(),
            saved: saved
                .into_iter()
                .map(|m| (m.id, m.written, field_words(&tr, &m.field)))
                .collect(),
            error: err.map(|e| e.message(ctx.locale).to_owned()),
        },
    ))
}

async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    form_view(&state, &ctx, &code, None).await
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    let parts = read_multipart(mp).await?;
    let (name, bytes) = parts
        .files
        .into_iter()
        .find(|(field, _, _)| field == "file")
        .map(|(_, name, bytes)| (name, bytes))
        .unwrap_or_default();
    match imports::upload(state.kernel(), ctx.actor(), &c, &name, bytes, ctx.locale).await {
        Ok(row) => Ok(Redirect::to(&format!(
            "/c/{}/office/households/import/{}",
            c.code, row.id
        ))
        .into_response()),
        Err(e) => form_view(&state, &ctx, &code, Some(&AppError::from(e))).await,
    }
}

/// A refused cell as the report table shows it.
pub struct FaultRow {
    pub row: usize,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "rg_import_status.html")]
struct StatusCard {
    tr: kernel::i18n::Tr,
    csrf: String,
    code: String,
    id: i64,
    file_name: String,
    status: &'static str,
    status_label: &'static str,
    tone: &'static str,
    running: bool,
    done: i64,
    total: i64,
    percent: i64,
    report: Option<Report>,
    faults: Vec<FaultRow>,
    outcomes: Vec<(usize, String, String, &'static str, &'static str)>,
    /// A preview whose file was dropped after a week unwritten.
    expired: bool,
    /// Columns the file names that the register does not know, to say how they read
    /// (the file is kept until then).
    unknown_columns: Vec<String>,
    /// (field, words): what a column may read as; `ignore` last.
    choices: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "rg_import_page.html")]
struct StatusPage {
    shell: Shell,
    active: &'static str,
    card: StatusCard,
}

async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    hx: HxRequest,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let s = imports::status(state.kernel(), ctx.actor(), &c, id).await?;
    let tr = ctx.tr();
    let (label, tone) = status_words(&s.row.status);
    let running = s.row.status == PREVIEWING || s.row.status == APPLYING;
    let percent = if s.row.rows_total > 0 {
        (s.row.rows_done * 100 / s.row.rows_total).clamp(0, 100)
    } else {
        0
    };
    let faults = s
        .report
        .as_ref()
        .map(|r| {
            r.faults
                .iter()
                .take(500)
                .map(|f| FaultRow {
                    row: f.row,
                    column: f.column.clone(),
                    message: f.message.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let outcomes = s
        .report
        .as_ref()
        .map(|r| {
            r.outcomes
                .iter()
                .take(50)
                .map(|o| {
                    let (k, tone) = match o.outcome {
                        Outcome::New => ("rg.imp.new", "ok"),
                        Outcome::Updated => ("rg.imp.updated", "info"),
                        Outcome::Unchanged => ("rg.imp.unchanged", ""),
                    };
                    (
                        o.row,
                        o.household_code.clone(),
                        o.head_name.clone(),
                        tr.get(k),
                        tone,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let unknown_columns = match (&s.report, s.row.file.is_empty()) {
        (Some(r), false) => r
            .file
            .as_ref()
            .filter(|f| f.code == "import_unknown_columns")
            .map(|f| f.columns.clone())
            .unwrap_or_default(),
        _ => vec![],
    };
    let mut choices: Vec<(&'static str, &'static str)> = columns::FIELDS
        .iter()
        .map(|f| (*f, tr.get(&format!("rg.col.{f}"))))
        .collect();
    choices.push((columns::IGNORE, tr.get("rg.cols.ignore")));
    // A preview left unwritten past its week: its file is gone (registry.stale_uploads).
    let expired = s.row.status == FAILED
        && s.row.file.is_empty()
        && s.report.as_ref().is_some_and(|r| r.file.is_none());
    let card = StatusCard {
        expired,
        unknown_columns,
        choices,
        tr,
        csrf: ctx.csrf_token.clone(),
        code: c.code.clone(),
        id,
        file_name: s.row.file_name.clone(),
        status: status_key(&s.row.status),
        status_label: tr.get(label),
        tone,
        running,
        done: s.row.rows_done,
        total: s.row.rows_total,
        percent,
        report: s.report,
        faults,
        outcomes,
    };
    Ok(render_partial(hx, card, async |card| {
        let shell = Shell::new(&state, &ctx, Some(c), tr.get("rg.import")).await;
        render(&StatusPage {
            shell,
            active: "households/import",
            card,
        })
    })
    .await)
}

fn status_key(s: &str) -> &'static str {
    match s {
        PREVIEWING => PREVIEWING,
        PREVIEWED => PREVIEWED,
        APPLYING => APPLYING,
        APPLIED => APPLIED,
        _ => FAILED,
    }
}

async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    imports::apply(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(Redirect::to(&format!("/c/{}/office/households/import/{id}", c.code)).into_response())
}

/// Saves how the file's unknown columns read (`header` and `field` repeated, in pairs) and
/// reads the same file again.
async fn columns_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let headers = pairs.iter().filter(|(k, _)| k == "header").map(|(_, v)| v);
    let fields = pairs.iter().filter(|(k, _)| k == "field").map(|(_, v)| v);
    let mapping: Vec<(String, String)> = headers
        .zip(fields)
        .map(|(h, f)| (h.clone(), f.clone()))
        .collect();
    imports::map_and_reread(state.kernel(), ctx.actor(), &c, id, &mapping).await?;
    Ok(kernel::web::flash::redirect(
        &format!("/c/{}/office/households/import/{id}", c.code),
        kernel::web::flash::Flash::key("flash.rg.cols.saved"),
        state.config.cookies_secure(),
    ))
}

async fn columns_forget(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    crate::actions::mapping::forget(state.kernel(), ctx.actor(), &c, id).await?;
    Ok(kernel::web::flash::redirect(
        &format!("/c/{}/office/households/import", c.code),
        kernel::web::flash::Flash::key("flash.rg.cols.forgotten"),
        state.config.cookies_secure(),
    ))
}
