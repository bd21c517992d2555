//! The desk's printed receipt and appointment slip ("Giấy tiếp nhận hồ sơ và hẹn trả kết
//! quả"): what was received, from whom, by whom, and when the result is due, with a QR code
//! that opens the tracking page. A page of its own, laid out for A5 paper.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use kernel::error::AppResult;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render};

use super::{DossierView, document_rows, view_of};
use crate::actions::{dossiers, procedures};
use crate::model::DESK;
use crate::store;

#[derive(Template)]
#[template(path = "svc_slip.html")]
struct SlipPage {
    shell: Shell,
    code: String,
    commune: String,
    d: DossierView,
    /// The documents received: the files of the dossier, else (paper at the counter) the
    /// procedure's documents the official checked.
    documents: Vec<String>,
    days: i32,
    received_date: String,
    received_time: String,
    official: String,
    qr: String,
    track_url: String,
}

/// The slip of dossier `id`, for the commune's desk staff only.
pub(super) async fn slip(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DESK)?;
    let d = dossiers::by_id(&state.db, &c.code, id).await?;
    let p = procedures::any(&state.db, &c.code, d.procedure_id).await?;
    let mut documents: Vec<String> = document_rows(&state, &d)
        .await?
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    documents.dedup();
    if documents.is_empty() {
        documents = store::documents_of(&p)
            .into_iter()
            .filter(|x| x.required)
            .map(|x| x.name)
            .collect();
    }
    // Who received it: the official who accepted it, or who entered it at the counter.
    let events = store::events(&state.db, &d.commune_code, d.id).await?;
    let official = events
        .iter()
        .find(|e| e.action == "accept")
        .or_else(|| {
            events
                .iter()
                .find(|e| e.action == "submit" && d.channel == "offline")
        })
        .map(|e| e.actor_name.clone())
        .unwrap_or_else(|| u.full_name.clone());
    let track_path = format!(
        "/c/{}/track?receipt={}",
        c.code,
        urlencoding_receipt(&d.receipt_code)
    );
    let track_url = format!(
        "{}{track_path}",
        state.config.public_url.trim_end_matches('/')
    );
    let at = kernel::time::to_vn(d.received_at);
    let page = SlipPage {
        code: c.code.clone(),
        commune: c.name.to_uppercase(),
        days: p.processing_days,
        received_date: at.format("%d/%m/%Y").to_string(),
        received_time: at.format("%H:%M").to_string(),
        official,
        qr: kernel::qr::svg(&track_url),
        track_url,
        documents,
        d: view_of(&state, &ctx, &d).await?,
        shell: Shell::new(&state, &ctx, Some(c), &d.receipt_code).await,
    };
    Ok(render(&page))
}

/// Receipt codes are `A-Z0-9-`; anything else is escaped for the URL.
fn urlencoding_receipt(r: &str) -> String {
    r.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
