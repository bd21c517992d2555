//! The page frame every screen shares: commune branding, navigation, language and font-size
//! controls, the signed-in user with their unread count.

use std::sync::Arc;

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::ctx::Ctx;
use crate::i18n::Tr;
use crate::tenancy::{CommuneInfo, DEFAULT_COLOR};

pub struct Shell {
    pub tr: Tr,
    pub font: u8,
    pub csrf: String,
    pub title: String,
    pub path: String,
    pub user_name: Option<String>,
    pub unread: u64,
    /// Staff of the commune on screen: show the back-office link.
    pub is_staff: bool,
    pub is_system_admin: bool,
    pub commune: Option<Arc<CommuneInfo>>,
    pub color: String,
}

impl Shell {
    pub async fn new(
        state: &AppState,
        ctx: &Ctx,
        commune: Option<Arc<CommuneInfo>>,
        title: &str,
    ) -> Shell {
        let unread = match &ctx.user {
            Some(u) => crate::notify::unread_count(&state.db, u.id)
                .await
                .unwrap_or(0),
            None => 0,
        };
        // Pages outside a commune (profile, inbox) still wear the user's own commune's colours.
        let commune = commune.or_else(|| {
            ctx.user
                .as_ref()
                .and_then(|u| u.commune_code.as_deref())
                .and_then(|c| state.communes.get(c))
        });
        Shell {
            tr: ctx.tr(),
            font: ctx.font,
            csrf: ctx.csrf_token.clone(),
            title: title.to_owned(),
            path: super::ctx::urlencode(&ctx.path),
            user_name: ctx.user.as_ref().map(|u| u.full_name.clone()),
            unread,
            is_staff: match (&ctx.user, &commune) {
                (Some(u), Some(c)) => u.is_staff_of(c),
                _ => false,
            },
            is_system_admin: ctx.user.as_ref().is_some_and(|u| u.is_system_admin()),
            color: commune
                .as_ref()
                .map(|c| c.brand_color.clone())
                .unwrap_or_else(|| DEFAULT_COLOR.into()),
            commune,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.tr.get(key)
    }

    pub fn home_href(&self) -> String {
        match &self.commune {
            Some(c) => format!("/c/{}", c.code),
            None => "/".into(),
        }
    }

    pub fn office_href(&self) -> String {
        match &self.commune {
            Some(c) => format!("/c/{}/office", c.code),
            None => "/".into(),
        }
    }
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Response {
    render_status(StatusCode::OK, t)
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => crate::error::AppError::internal(e).into_response(),
    }
}
