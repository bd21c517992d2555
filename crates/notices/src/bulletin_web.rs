//! The bulletin page: pick today's notices, read the script, play or download the audio.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::ctx::Ctx;
use kernel::web::pages::vn_time;
use kernel::web::shell::{Shell, render_for};

use crate::actions::bulletins;
use crate::bulletin;
use crate::web::{Card, card};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{code}/office/bulletin", get(page).post(compose))
        .route("/c/{code}/office/bulletin/{id}", get(show))
        .route("/c/{code}/office/bulletin/{id}/audio.wav", get(audio))
}

#[derive(Template)]
#[template(path = "nt_bulletin.html")]
struct BulletinPage {
    shell: Shell,
    active: &'static str,
    code: String,
    candidates: Vec<Card>,
    recent: Vec<(i64, String, String)>,
    current: Option<(i64, String, String, String)>,
    espeak: bool,
    error: Option<String>,
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    current: Option<i64>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let c = state.communes.active(code)?;
    let desk = bulletins::desk(state.kernel(), ctx.actor(), &c, current).await?;
    let tr = ctx.tr();
    let current = desk.current.map(|b| {
        let status = tr
            .get(&format!("nt.bul.audio.{}", b.audio_status))
            .to_owned();
        (b.id, b.script, b.audio_status, status)
    });
    let shell = Shell::new(state, ctx, Some(c.clone()), tr.get("nt.bul.title")).await;
    Ok(render_for(
        err,
        &BulletinPage {
            shell,
            active: "bulletin",
            code: c.code.clone(),
            candidates: desk.candidates.iter().map(|n| card(ctx, n)).collect(),
            recent: desk
                .recent
                .into_iter()
                .map(|b| (b.id, b.day, vn_time(b.created_at)))
                .collect(),
            current,
            espeak: bulletin::espeak().is_some(),
            error: err.map(|e| e.message(ctx.locale).to_owned()),
        },
    ))
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    view(&state, &ctx, &code, None, None).await
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    view(&state, &ctx, &code, Some(id), None).await
}

/// The form posts `n_<id>` for each ticked notice (and the CSRF token).
async fn compose(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    kernel::web::multipart::check_csrf(&ctx, token)?;
    let c = state.communes.active(&code)?;
    let ids: Vec<i64> = fields
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("n_")?.parse().ok())
        .collect();
    match bulletins::compose(state.kernel(), ctx.actor(), &c, &ids)
        .await
        .map_err(AppError::from)
    {
        Ok(b) => {
            Ok(Redirect::to(&format!("/c/{}/office/bulletin/{}", c.code, b.id)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::FORBIDDEN => {
            view(&state, &ctx, &code, None, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

async fn audio(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let k = state.kernel();
    let (b, bytes) = bulletins::audio(k, ctx.actor(), &c, id, &state.config.data_dir).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "audio/wav".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ban-tin-{}.wav\"", b.day),
            ),
        ],
        bytes,
    )
        .into_response())
}
