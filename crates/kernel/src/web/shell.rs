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
            Some(u) => state.unread.get(&state.db, u.id).await.unwrap_or(0),
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

    /// The public entry of a landed room, or None while it is still to come.
    pub fn room_href(&self, room: &str) -> Option<String> {
        let c = self.commune.as_ref()?;
        room_link(room).map(|l| format!("/c/{}/{}", c.code, l.public_path))
    }

    pub fn office_room_href(&self, room: &str) -> Option<String> {
        let c = self.commune.as_ref()?;
        room_link(room).and_then(|l| {
            l.office
                .first()
                .map(|(_, p)| format!("/c/{}/office/{}", c.code, p))
        })
    }

    pub fn office_links(&self) -> Vec<(&'static str, &'static str)> {
        office_links()
    }

    pub fn admin_links(&self) -> Vec<(&'static str, &'static str)> {
        room_links()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|l| l.admin.iter().copied())
            .collect()
    }

    pub fn office_href(&self) -> String {
        match &self.commune {
            Some(c) => format!("/c/{}/office", c.code),
            None => "/".into(),
        }
    }
}

/// A room that has landed: its tile on the home page and the back office becomes a link.
#[derive(Debug, Clone, Copy)]
pub struct RoomLink {
    /// The room's key in [`crate::web::pages::ROOMS`], e.g. `room.services`.
    pub room: &'static str,
    /// Citizens' entry, relative to `/c/{code}/`.
    pub public_path: &'static str,
    /// Officials' entry in the back office, relative to `/c/{code}/office/`, with its label key.
    pub office: &'static [(&'static str, &'static str)],
    /// System-admin pages of the room: (label key, absolute path).
    pub admin: &'static [(&'static str, &'static str)],
}

fn room_links() -> &'static std::sync::RwLock<Vec<RoomLink>> {
    static LINKS: std::sync::OnceLock<std::sync::RwLock<Vec<RoomLink>>> =
        std::sync::OnceLock::new();
    LINKS.get_or_init(Default::default)
}

/// Called once by each feature room at start-up.
pub fn register_room(link: RoomLink) {
    let mut l = room_links().write().unwrap_or_else(|e| e.into_inner());
    if !l.iter().any(|x| x.room == link.room) {
        l.push(link);
    }
}

pub fn room_link(room: &str) -> Option<RoomLink> {
    room_links()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|l| l.room == room)
        .copied()
}

/// Back-office entries of every landed room: (label key, path relative to the office).
pub fn office_links() -> Vec<(&'static str, &'static str)> {
    room_links()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .flat_map(|l| l.office.iter().copied())
        .collect()
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Response {
    render_status(StatusCode::OK, t)
}

/// A form page: plain, or re-shown with the status of the error it explains.
pub fn render_for<T: Template>(err: Option<&crate::error::AppError>, t: &T) -> Response {
    match err {
        Some(e) => render_status(e.status, t),
        None => render(t),
    }
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => crate::error::AppError::internal(e).into_response(),
    }
}
