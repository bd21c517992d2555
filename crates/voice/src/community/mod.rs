//! People and community: the officials directory (3.1), the community digital technology team (3.2) and the commune forum, shared with the province where enabled, with moderation and abuse reports (3.3).

pub mod actions;
pub mod api;
pub mod directory;
pub mod entity;
pub mod forum;
pub mod migration;
pub mod migration_province;
pub mod migration_search;
pub mod rules;
pub mod team;
mod web_directory;
mod web_forum;

use axum::Router;
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use std::sync::Arc;

pub const I18N_VI: &str = include_str!("../../i18n/community.vi.txt");
pub const I18N_EN: &str = include_str!("../../i18n/community.en.txt");

/// Adds the community texts to the catalogues.
pub fn texts() -> kernel::room::Texts {
    kernel::room::Texts {
        vi: I18N_VI,
        en: I18N_EN,
    }
}

/// The directory, team and forum pages and their API.
pub fn router() -> Router<AppState> {
    web_directory::router()
        .merge(web_forum::router())
        .merge(api::router())
}

pub fn api_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::CommunityApi::openapi()
}

pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    vec![
        Box::new(migration::Migration),
        Box::new(migration_province::Migration),
        Box::new(migration_search::Migration),
    ]
}

/// The deployment's active communes when the province-wide forum is enabled: who may write
/// in a shared topic is decided against them.
fn province_wide(state: &AppState) -> Option<Vec<Arc<CommuneInfo>>> {
    state
        .config
        .forum_province_wide
        .then(|| state.communes.all_active())
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogues_have_the_same_keys() {
        let missing = kernel::i18n::missing_keys(super::I18N_VI, super::I18N_EN);
        assert!(missing.is_empty(), "{missing:?}");
    }
}
