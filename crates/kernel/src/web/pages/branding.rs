//! The commune's branding and contacts page: colour, tagline, logo, and how to reach the
//! office (shown on the home page); the commune's admins only.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use serde::Deserialize;

use super::form_error;
use super::office::ADMINS;
use crate::actions::communes;
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, Contacts};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render, render_status};

#[derive(Template)]
#[template(path = "branding.html")]
struct BrandingPage {
    shell: Shell,
    active: &'static str,
    error: Option<String>,
    /// The field at fault, marked on the form.
    field: &'static str,
    tagline: String,
    contacts: Contacts,
    saved: bool,
}

#[derive(Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: bool,
}

pub async fn branding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<Saved>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    ctx.with_role(&c, ADMINS)?;
    let (tagline, contacts) = (c.tagline.clone().unwrap_or_default(), c.contacts.clone());
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.branding")).await;
    Ok(render(&BrandingPage {
        shell,
        active: "branding",
        error: None,
        field: "",
        tagline,
        contacts,
        saved: q.saved,
    }))
}

#[derive(Deserialize)]
pub struct CsrfQuery {
    #[serde(default)]
    csrf: String,
}

pub async fn save_branding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<CsrfQuery>,
    mut mp: Multipart,
) -> AppResult<Response> {
    if !ctx.csrf_ok(&q.csrf) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "csrf_invalid"));
    }
    let c = state.communes.active(&code)?;
    // Refused before the upload is read.
    ctx.with_role(&c, ADMINS)?;
    let (mut color, mut tagline, mut logo) = (c.brand_color.clone(), None, None);
    // Contacts change only when the form sends them (the colour-only form of older pages).
    let mut contacts: Option<tenancy::Contacts> = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("form_invalid"))?
    {
        match field.name() {
            Some("brand_color") => {
                color = field
                    .text()
                    .await
                    .map_err(|_| AppError::bad_request("form_invalid"))?
            }
            Some("tagline") => {
                tagline = Some(
                    field
                        .text()
                        .await
                        .map_err(|_| AppError::bad_request("form_invalid"))?,
                )
            }
            Some(
                name @ ("contact_address" | "contact_phone" | "contact_email" | "office_hours"),
            ) => {
                let name = name.to_owned();
                let value = Some(
                    field
                        .text()
                        .await
                        .map_err(|_| AppError::bad_request("form_invalid"))?,
                );
                let c = contacts.get_or_insert_with(Default::default);
                match name.as_str() {
                    "contact_address" => c.address = value,
                    "contact_phone" => c.phone = value,
                    "contact_email" => c.email = value,
                    _ => c.hours = value,
                }
            }
            Some("logo") => {
                let name = field.file_name().unwrap_or("logo").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"))?;
                if !bytes.is_empty() {
                    logo = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    // Shown again as typed when something is refused.
    let typed = (tagline.clone().unwrap_or_default(), contacts.clone());
    let b = communes::Branding {
        color,
        tagline,
        logo,
        contacts,
    };
    let res = communes::set_branding(state.kernel(), ctx.actor(), &c, b)
        .await
        .map_err(AppError::from);
    match res {
        Ok(_) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            &format!("/c/{}/office/branding?saved=true", c.code),
        ))),
        Err(e) if e.status.is_client_error() => {
            let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.branding")).await;
            Ok(render_status(
                e.status,
                &BrandingPage {
                    shell,
                    active: "branding",
                    error: Some(form_error(&ctx, &e)),
                    field: e.field.unwrap_or_default(),
                    tagline: typed.0,
                    contacts: typed.1.unwrap_or_default(),
                    saved: false,
                },
            ))
        }
        Err(e) => Err(e),
    }
}
