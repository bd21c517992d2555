//! Pages of the officials directory and the community team: the public directory (with the
//! team and who helps each village), the officials' own entries, and the team's management.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use kernel::error::{AppError, AppResult};
use kernel::tenancy::CommuneInfo;
use kernel::web::AppState;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render, render_for};
use serde::Deserialize;

use super::actions;
use super::directory::{self, Official, ProfileInput};
use super::rules::{self, ADMINS, DIRECTORY_EDITORS, DIRECTORY_ROLES};
use super::team::{self, MemberInput};

pub fn router() -> Router<AppState> {
    let directory = Router::new()
        .route("/c/{code}/directory", get(public_directory))
        .layer(Extension(Arc::new(DirectoryCache::default())));
    Router::new()
        .merge(directory)
        .route("/c/{code}/office/directory", get(office_directory))
        .route("/c/{code}/office/directory/{user_id}", post(save_profile))
        .route(
            "/c/{code}/office/community-team",
            get(team_page).post(add_member),
        )
        .route("/c/{code}/office/community-team/{id}", post(update_member))
        .route(
            "/c/{code}/office/community-team/{id}/delete",
            post(remove_member),
        )
}

pub struct OfficialRow {
    pub user_id: i64,
    pub name: String,
    pub roles: String,
    pub title: String,
    pub phone: String,
    pub tel: String,
    pub email: String,
    pub office_hours: String,
    pub visible: bool,
}

fn tel(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

fn official_row(ctx: &Ctx, o: &Official) -> OfficialRow {
    let phone = o.phone.clone().unwrap_or_default();
    OfficialRow {
        user_id: o.user_id,
        name: o.name.clone(),
        roles: o
            .roles
            .iter()
            .map(|r| ctx.tr().get(&r.label_key()))
            .collect::<Vec<_>>()
            .join(", "),
        title: o.title.clone(),
        tel: tel(&phone),
        phone,
        email: o.email.clone().unwrap_or_default(),
        office_hours: o.office_hours.clone(),
        visible: o.visible,
    }
}

// ---- the public directory ----

#[derive(Template)]
#[template(path = "cm_directory.html")]
struct DirectoryPage {
    shell: Shell,
    code: String,
    groups: Vec<(String, Vec<OfficialRow>)>,
    published: usize,
    total: usize,
    team: Vec<team::Member>,
    villages: Vec<team::VillageHelpers>,
    is_official: bool,
}

/// What the public directory shows, kept in memory until the commune's staff, entries, team
/// or villages change (and 5 s at most, for changes made by another process or a renamed
/// account): the page is read far more than it changes.
pub(super) struct DirectoryData {
    list: Vec<Official>,
    team: Vec<team::Member>,
    villages: Vec<team::VillageHelpers>,
}

pub(super) type DirectoryCache = kernel::cache::GenerationCache<Arc<DirectoryData>>;

fn directory_generation(code: &str) -> u64 {
    use kernel::cache::generation;
    generation(kernel::actions::staff::STAFF, code)
        .wrapping_add(generation(directory::DIRECTORY, code))
        .wrapping_add(generation(kernel::tenancy::VILLAGES, code))
}

async fn directory_data(
    state: &AppState,
    cache: &DirectoryCache,
    code: &str,
) -> AppResult<Arc<DirectoryData>> {
    let generation = directory_generation(code);
    if let Some(d) = cache.get(code, generation) {
        return Ok(d);
    }
    let _flight = cache.flight(code).await;
    if let Some(d) = cache.get(code, generation) {
        return Ok(d);
    }
    let list: Vec<Official> = directory::officials(&state.db, code)
        .await?
        .into_iter()
        .filter(|o| o.visible)
        .collect();
    let team = team::members(&state.db, code).await?;
    let villages = team::by_village(&state.db, code, &team).await?;
    let data = Arc::new(DirectoryData {
        list,
        team,
        villages,
    });
    cache.put(code.to_owned(), generation, data.clone());
    Ok(data)
}

async fn public_directory(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DirectoryCache>>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let data = directory_data(&state, &cache, &c.code).await?;
    let list = data.list.clone();
    let total = list.len();
    let published = list
        .iter()
        .filter(|o| o.phone.is_some() || o.email.is_some())
        .count();
    let groups = directory::by_department(list)
        .into_iter()
        .map(|(d, v)| {
            let d = if d.is_empty() {
                ctx.tr().get("cm.dir.no_department").to_owned()
            } else {
                d
            };
            (d, v.iter().map(|o| official_row(&ctx, o)).collect())
        })
        .collect();
    let (team, villages) = (data.team.clone(), data.villages.clone());
    let is_official = ctx
        .user
        .as_ref()
        .is_some_and(|u| u.has_role_in(&c, DIRECTORY_ROLES));
    let shell = Shell::new(&state, &ctx, Some(c.clone()), ctx.tr().get("cm.dir.title")).await;
    Ok(render(&DirectoryPage {
        shell,
        code: c.code.clone(),
        groups,
        published,
        total,
        team,
        villages,
        is_official,
    }))
}

// ---- officials' own entries ----

#[derive(Template)]
#[template(path = "cm_office_directory.html")]
struct OfficeDirectoryPage {
    shell: Shell,
    active: &'static str,
    code: String,
    /// Entries this person may edit: their own, or everyone's for the commune admin.
    rows: Vec<OfficialRow>,
    me: i64,
    is_admin: bool,
    error: Option<String>,
    error_user: i64,
}

async fn office_page(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    failed: Option<(i64, &ProfileInput, &AppError)>,
) -> AppResult<Response> {
    let u = ctx.with_role(&c, DIRECTORY_EDITORS)?;
    let is_admin = u.has_role_in(&c, ADMINS);
    let rows = directory::officials(&state.db, &c.code)
        .await?
        .iter()
        .filter(|o| rules::may_edit_profile(u, &c, o.user_id))
        .map(|o| {
            let mut r = official_row(ctx, o);
            // Re-show what was typed into the form that failed.
            if let Some((_, input, _)) = failed.filter(|f| f.0 == o.user_id) {
                r.title = input.title.clone();
                r.phone = input.public_phone.clone();
                r.email = input.public_email.clone();
                r.office_hours = input.office_hours.clone();
            }
            r
        })
        .collect();
    let err = failed.map(|f| f.2);
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("cm.dir.office")).await;
    Ok(render_for(
        err,
        &OfficeDirectoryPage {
            shell,
            active: "directory",
            code: c.code.clone(),
            rows,
            me: u.id,
            is_admin,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
            error_user: failed.map(|f| f.0).unwrap_or(0),
        },
    ))
}

async fn office_directory(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    office_page(&state, &ctx, c, None).await
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    public_phone: String,
    #[serde(default)]
    public_email: String,
    #[serde(default)]
    office_hours: String,
    #[serde(default)]
    visible: Option<String>,
}

async fn save_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, user_id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<ProfileForm>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, DIRECTORY_EDITORS)?;
    let input = ProfileInput {
        title: f.title,
        public_phone: f.public_phone,
        public_email: f.public_email,
        office_hours: f.office_hours,
        // A form's unticked box sends nothing: only the admin's form carries the box.
        visible: u.has_role_in(&c, ADMINS).then_some(f.visible.is_some()),
    };
    let res = actions::save_profile(state.kernel(), ctx.actor(), &c, user_id, &input)
        .await
        .map_err(AppError::from);
    match res {
        Ok(_) => Ok(Redirect::to(&format!("/c/{}/office/directory", c.code)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            office_page(&state, &ctx, c, Some((user_id, &input, &e))).await
        }
        Err(e) => Err(e),
    }
}

// ---- the community team ----

#[derive(Template)]
#[template(path = "cm_team.html")]
struct TeamPage {
    shell: Shell,
    active: &'static str,
    code: String,
    members: Vec<team::Member>,
    villages: Vec<(i64, String)>,
    error: Option<String>,
}

async fn team_page_with(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.with_role(&c, ADMINS)?;
    let members = team::members(&state.db, &c.code).await?;
    let villages = kernel::tenancy::villages(&state.db, &c.code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("cm.team.title")).await;
    Ok(render_for(
        err,
        &TeamPage {
            shell,
            active: "community-team",
            code: c.code.clone(),
            members,
            villages,
            error: err.map(|e| e.message(ctx.locale).to_owned()),
        },
    ))
}

async fn team_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    team_page_with(&state, &ctx, c, None).await
}

/// The team form, read from its pairs: `village_ids` comes once per ticked village.
fn member_input(pairs: &[(String, String)]) -> AppResult<MemberInput> {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut village_ids = vec![];
    for (k, v) in pairs {
        if k == "village_ids" && !v.trim().is_empty() {
            village_ids.push(
                v.trim()
                    .parse()
                    .map_err(|_| AppError::invalid("village_unknown", "village_ids"))?,
            );
        }
    }
    Ok(MemberInput {
        name: one("name"),
        phone: one("phone"),
        team_role: one("team_role"),
        village_ids,
    })
}

async fn team_result(
    state: &AppState,
    ctx: &Ctx,
    c: Arc<CommuneInfo>,
    res: AppResult<()>,
) -> AppResult<Response> {
    match res {
        Ok(()) => Ok(Redirect::to(&format!("/c/{}/office/community-team", c.code)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            team_page_with(state, ctx, c, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = match member_input(&pairs) {
        Ok(input) => actions::add_member(state.kernel(), Some(u), &c, &input)
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    team_result(&state, &ctx, c, res).await
}

async fn update_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = match member_input(&pairs) {
        Ok(input) => actions::update_member(state.kernel(), Some(u), &c, id, &input)
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    team_result(&state, &ctx, c, res).await
}

async fn remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.with_role(&c, ADMINS)?;
    let res = actions::remove_member(state.kernel(), Some(u), &c, id)
        .await
        .map_err(AppError::from);
    team_result(&state, &ctx, c, res).await
}
