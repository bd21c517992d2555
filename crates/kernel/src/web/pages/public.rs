//! Public pages: the commune home, the province portal, the unit finder, commune logos.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::tenancy::{self, CommuneInfo};
use crate::units::catalogue;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render};

/// What a commune's public home page shows about it, cached for a short while: the home page
/// is the most visited page and should not cost two queries per visitor. Kept beside the page
/// rather than in `tenancy`, because it counts accounts' users and accounts sit above tenancy.
#[derive(Debug, Clone)]
pub struct HomeFacts {
    pub villages: Vec<String>,
    pub members: u64,
}

/// Per commune: when the facts were read, the villages' cache generation they saw, the facts.
type FactsByCommune = HashMap<String, (std::time::Instant, u64, Arc<HomeFacts>)>;

#[derive(Clone, Default)]
pub struct FactsCache(Arc<RwLock<FactsByCommune>>);

impl FactsCache {
    /// Members may lag by this much; village changes (`actions::villages`) bump the villages'
    /// generation, which retires the entry at once.
    const TTL: std::time::Duration = std::time::Duration::from_secs(30);

    pub async fn get(&self, db: &DatabaseConnection, code: &str) -> AppResult<Arc<HomeFacts>> {
        let generation = crate::cache::generation(tenancy::VILLAGES, code);
        if let Some((at, g, f)) = self.0.read().unwrap_or_else(|e| e.into_inner()).get(code)
            && at.elapsed() < Self::TTL
            && *g == generation
        {
            return Ok(f.clone());
        }
        use crate::accounts::entity::user;
        use sea_orm::PaginatorTrait;
        let villages = tenancy::villages(db, code)
            .await?
            .into_iter()
            .map(|v| v.name)
            .collect();
        let members = user::Entity::find()
            .filter(user::Column::CommuneCode.eq(code))
            .count(db)
            .await?;
        let facts = Arc::new(HomeFacts { villages, members });
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(
            code.to_owned(),
            (std::time::Instant::now(), generation, facts.clone()),
        );
        Ok(facts)
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    shell: Shell,
    villages: Vec<String>,
    members_text: String,
    /// The rooms' latest items (notices), emergencies first.
    latest: Vec<crate::web::front::HomeItem>,
}

/// How many items the home page lists under "latest".
const LATEST: u64 = 5;

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal {
    shell: Shell,
    communes: Vec<Arc<CommuneInfo>>,
}

pub async fn root(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    match state.commune_for_host(ctx.host.as_deref()) {
        Some(c) => home_of(&state, &ctx, c).await,
        None => {
            let shell = Shell::new(&state, &ctx, None, ctx.tr().get("portal.title")).await;
            Ok(render(&Portal {
                shell,
                communes: state.communes.all_active(),
            }))
        }
    }
}

pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    home_of(&state, &ctx, c).await
}

async fn home_of(state: &AppState, ctx: &Ctx, c: Arc<CommuneInfo>) -> AppResult<Response> {
    let facts = state.home_facts.get(&state.db, &c.code).await?;
    let mut latest = vec![];
    for door in state.front_doors() {
        latest.extend(door.latest(&state.db, &c.code, LATEST).await?);
    }
    latest.sort_by_key(|i| !i.urgent);
    latest.truncate(LATEST as usize);
    let shell = Shell::new(state, ctx, Some(c.clone()), ctx.tr().get("nav.home")).await;
    Ok(render(&Home {
        shell,
        villages: facts.villages.clone(),
        members_text: crate::numbers::int(facts.members as i64),
        latest,
    }))
}

#[derive(Deserialize)]
pub struct UnitQuery {
    #[serde(default)]
    q: String,
}

pub struct UnitHit {
    code: String,
    name: String,
    province: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "units.html")]
struct Units {
    shell: Shell,
    q: String,
    hits: Vec<UnitHit>,
}

pub async fn units(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(uq): Query<UnitQuery>,
) -> AppResult<Response> {
    let cat = catalogue();
    let hits = if uq.q.trim().is_empty() {
        vec![]
    } else {
        cat.search(&uq.q, None, 50)
            .into_iter()
            .map(|u| UnitHit {
                code: u.code.clone(),
                name: u.name.clone(),
                province: cat
                    .province(&u.province_code)
                    .map(|p| p.display_name())
                    .unwrap_or_default(),
                active: state.communes.get(&u.code).is_some_and(|c| c.active),
            })
            .collect()
    };
    let shell = Shell::new(&state, &ctx, None, ctx.tr().get("units.title")).await;
    Ok(render(&Units {
        shell,
        q: uq.q,
        hits,
    }))
}

pub async fn logo(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let m = tenancy::commune::Entity::find_by_id(c.code.clone())
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let id = m.logo_attachment_id.ok_or_else(AppError::not_found)?;
    let file = state.files.find(&state.db, &c.code, id).await?;
    let bytes = state.files.read(&state.db, &file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.mime),
            (header::CACHE_CONTROL, "public, max-age=3600".into()),
        ],
        bytes,
    )
        .into_response())
}
