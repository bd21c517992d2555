//! The commune's map area on the villages page: its admins paste or upload GeoJSON for the
//! boundary and each village (checked, audited); the map widget reads the shapes from
//! `/c/{code}/map-area.geojson`.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::actions::villages::{self, AreaTarget};
use crate::error::{AppError, AppResult};
use crate::tenancy;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::multipart::{CsrfQuery, Parts, check_csrf, read_multipart};

/// Saves one shape: `target` is `boundary` or a village id; the GeoJSON is the pasted text,
/// or the uploaded file when the text is empty. Blank both: the shape is removed.
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    check_csrf(&ctx, &q.csrf)?;
    let c = state.communes.active(&code)?;
    crate::accounts::access::with_role(ctx.actor(), &c, super::office::ADMINS)?;
    let Parts { fields, files } = read_multipart(mp).await?;
    let target = match fields.get("target").map(String::as_str) {
        Some("boundary") => AreaTarget::Boundary,
        Some(id) => AreaTarget::Village(
            id.parse()
                .map_err(|_| AppError::invalid("village_unknown", "target"))?,
        ),
        None => return Err(AppError::invalid("village_unknown", "target")),
    };
    let pasted = fields
        .get("geojson")
        .map(String::as_str)
        .unwrap_or_default();
    let uploaded = files
        .iter()
        .find(|(f, _, bytes)| f == "file" && !bytes.is_empty())
        .map(|(_, _, bytes)| String::from_utf8_lossy(bytes).into_owned());
    let text = match (pasted.trim(), &uploaded) {
        ("", Some(u)) => u.as_str(),
        _ => pasted,
    };
    match villages::set_area(state.kernel(), ctx.actor(), &c, target, text)
        .await
        .map_err(AppError::from)
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/c/{}/office/villages?area=saved#area", c.code)).into_response(),
        ),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            super::office::villages_page(&state, &ctx, c, Some(&e), false).await
        }
        Err(e) => Err(e),
    }
}

/// The commune's boundary and village shapes for the map widget (`data-area`).
pub async fn geojson(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let area = tenancy::area::area(&state.db, &c.code).await?;
    let names: Vec<(i64, String)> = tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    Ok(crate::web::map::geojson(area.features(&names)))
}
