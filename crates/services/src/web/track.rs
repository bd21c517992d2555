//! Tracking without an account, and the payment QR code of a dossier's fee (SVG, PNG).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::error::{AppError, AppResult};
use kernel::payments::vietqr;
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render_status};
use serde::Deserialize;

use super::{DossierView, EventRow, view_of};
use crate::Services;
use crate::actions::track::{self, Guard};

#[derive(Template)]
#[template(path = "svc_track.html")]
struct TrackPage {
    shell: Shell,
    code: String,
    receipt: String,
    phone: String,
    error: Option<String>,
    found: Option<DossierView>,
    events: Vec<EventRow>,
    /// The payment QR can be drawn (a fee is due and the commune has a bank account): decided
    /// here rather than by hiding a broken image from an inline `onerror`, which the
    /// Content-Security-Policy forbids.
    qr: bool,
}

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    phone: String,
}

fn guard<'a>(svc: &'a Services, ext: &axum::http::Extensions) -> Guard<'a> {
    Guard {
        limiter: &svc.track_failures,
        ip: kernel::web::ops::client_ip(ext),
    }
}

pub(super) async fn track(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(tq): Query<TrackQuery>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let (mut found, mut events, mut error, mut status) = (None, vec![], None, StatusCode::OK);
    // A receipt alone (the link under a receipt's QR code) only fills the form in: the phone
    // is what proves the asker is the applicant.
    if !tq.receipt.trim().is_empty() && !tq.phone.trim().is_empty() {
        let res = track::track(
            state.kernel(),
            guard(&svc, &ext),
            Some(&c),
            &tq.receipt,
            &tq.phone,
        )
        .await;
        match res.map_err(AppError::from) {
            Ok(t) => {
                // The procedure from the catalogue in memory, the history from the row read.
                let catalogue = svc.catalogue(&state.db, &c.code).await?;
                found = Some(match catalogue.get(&t.dossier.procedure_id) {
                    Some(p) => super::view_with(&ctx, &t.dossier, p),
                    None => view_of(&state, &ctx, &t.dossier).await?,
                });
                events = super::rows_of_events(&ctx, t.events, false);
            }
            Err(e) if e.status.is_client_error() => {
                status = e.status;
                error = Some(e.message(ctx.locale).to_owned());
            }
            Err(e) => return Err(e),
        }
    }
    let qr = match &found {
        Some(v) if v.fee_due => {
            kernel::payments::account_of(&state.db, &c.code, kernel::payments::Owner::Commune)
                .await?
                .is_some()
        }
        _ => false,
    };
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("svc.track")).await;
    Ok(render_status(
        status,
        &TrackPage {
            shell,
            code: c.code.clone(),
            receipt: tq.receipt,
            phone: tq.phone,
            error,
            found,
            events,
            qr,
        },
    ))
}

/// The payment QR's payload, for the applicant, the desk, or anyone holding the receipt and
/// the phone.
async fn qr_payload(
    state: &AppState,
    svc: &Services,
    ext: &axum::http::Extensions,
    ctx: &Ctx,
    code: &str,
    receipt: &str,
    phone: &str,
) -> AppResult<String> {
    let c = state.communes.active(code)?;
    let q = track::payment_code(
        state.kernel(),
        guard(svc, ext),
        ctx.actor(),
        Some(&c),
        receipt,
        phone,
    )
    .await?;
    Ok(q.payload)
}

pub(super) async fn qr_svg(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(tq): Query<TrackQuery>,
) -> AppResult<Response> {
    let payload = qr_payload(&state, &svc, &ext, &ctx, &code, &receipt, &tq.phone).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        vietqr::svg(&payload),
    )
        .into_response())
}

pub(super) async fn qr_png(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ext: axum::http::Extensions,
    ctx: Ctx,
    Path((code, receipt)): Path<(String, String)>,
    Query(tq): Query<TrackQuery>,
) -> AppResult<Response> {
    let payload = qr_payload(&state, &svc, &ext, &ctx, &code, &receipt, &tq.phone).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/png")],
        vietqr::png(&payload, 8),
    )
        .into_response())
}
