//! The page frame every screen shares: commune branding, navigation, language and font-size
//! controls, the signed-in user with their unread count.

use std::sync::Arc;

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::ctx::Ctx;
use super::nav::{Nav, OfficeLink, roles_of};
use crate::accounts::Role;
use crate::i18n::Tr;
use crate::tenancy::{CommuneInfo, DEFAULT_COLOR};

pub struct Shell {
    pub tr: Tr,
    pub font: u8,
    pub csrf: String,
    pub title: String,
    pub path: String,
    pub user_name: Option<String>,
    /// Keys the offline drafts on this phone (`drafts.js`), so people sharing it stay apart.
    pub user_id: Option<i64>,
    pub unread: u64,
    /// Staff of the commune on screen: show the back-office link.
    pub is_staff: bool,
    pub is_system_admin: bool,
    pub commune: Option<Arc<CommuneInfo>>,
    pub color: String,
    /// The rooms' navigation, and the roles the user holds in the commune on screen: each
    /// back-office link is shown only to the roles that may open it.
    nav: Arc<Vec<Nav>>,
    roles: Vec<Role>,
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
            user_id: ctx.user.as_ref().map(|u| u.id),
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
            roles: commune
                .as_ref()
                .map(|c| roles_of(ctx.user.as_deref(), c))
                .unwrap_or_default(),
            nav: state.nav.clone(),
            commune,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.tr.get(key)
    }

    /// An icon from the sprite, decorative: always next to a text label, so hidden from screen
    /// readers. Use as `{{ shell.icon("house")|safe }}`; the name must be in
    /// `static/lucide/make-sprite.py` (a test checks every template).
    pub fn icon(&self, name: &str) -> String {
        icon(name)
    }

    pub fn home_href(&self) -> String {
        match &self.commune {
            Some(c) => format!("/c/{}", c.code),
            None => "/".into(),
        }
    }

    /// The home page's tiles: every room's, then the rooms still to come (without a link).
    pub fn tiles(&self) -> Vec<(&'static str, &'static str, Option<String>)> {
        let code = self.commune.as_ref().map(|c| c.code.as_str()).unwrap_or("");
        let landed = self
            .nav
            .iter()
            .filter_map(|n| n.tile)
            .map(|t| (t.name, t.desc, Some(format!("/c/{code}/{}", t.path))));
        landed.chain(upcoming()).collect()
    }

    /// The back-office dashboard's tiles: each room's first office link this user may open.
    pub fn office_tiles(&self) -> Vec<(&'static str, &'static str, Option<String>)> {
        let code = self.commune.as_ref().map(|c| c.code.as_str()).unwrap_or("");
        let landed = self.nav.iter().filter_map(|n| {
            let t = n.tile?;
            let href = n
                .office
                .iter()
                .find(|l| l.open_to(&self.roles))
                .map(|l| format!("/c/{code}/office/{}", l.path));
            Some((t.name, t.desc, href))
        });
        landed.chain(upcoming()).collect()
    }

    /// Back-office links of every room that this user's roles open: (label key, path).
    pub fn office_links(&self) -> Vec<(&'static str, &'static str)> {
        self.nav
            .iter()
            .flat_map(|n| n.office.iter())
            .filter(|l| l.open_to(&self.roles))
            .map(|l| (l.label, l.path))
            .collect()
    }

    /// Whether the user may open one of the kernel's own office pages.
    pub fn may_open(&self, link: &OfficeLink) -> bool {
        link.open_to(&self.roles)
    }

    pub fn admin_links(&self) -> Vec<(&'static str, &'static str)> {
        self.nav
            .iter()
            .flat_map(|n| n.admin.iter().copied())
            .collect()
    }

    pub fn office_href(&self) -> String {
        match &self.commune {
            Some(c) => format!("/c/{}/office", c.code),
            None => "/".into(),
        }
    }
}

/// Rooms still to come, as (name key, description key, no link): shown so people see the
/// whole programme, and dropped as each room lands with its own tile.
fn upcoming() -> impl Iterator<Item = (&'static str, &'static str, Option<String>)> {
    super::nav::UPCOMING.iter().map(|(n, d)| (*n, *d, None))
}

/// See [`Shell::icon`]; for fragments rendered without a shell.
pub fn icon(name: &str) -> String {
    debug_assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    );
    format!(
        r##"<svg class="icon" aria-hidden="true" focusable="false"><use href="/static/icons.svg#{name}"/></svg>"##
    )
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
