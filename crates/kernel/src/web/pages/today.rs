//! The back office's first page, "today": the work waiting for this official (every room's
//! `FrontDoor::today`, late first), the commune's setup checklist for its admins (the kernel's
//! own steps, then every room's `FrontDoor::setup`), and a few figures.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::accounts::access::ADMINS;
use crate::accounts::{self, Role, entity::user};
use crate::audit;
use crate::error::AppResult;
use crate::tenancy::{self, CommuneInfo};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::front::{SetupStep, TodayItem};
use crate::web::nav::roles_of;
use crate::web::shell::{Shell, render};

/// The kernel's part of the setup checklist: the commune's look and contacts, villages, its map
/// area, staff, and a way to reach people outside the app (the SMS gateway, the deployment's or
/// the commune's own).
async fn kernel_steps(state: &AppState, c: &CommuneInfo) -> AppResult<Vec<SetupStep>> {
    let (db, code) = (&state.db, &c.code);
    let villages = tenancy::villages(db, code).await?.len();
    // The admin who set the commune up is one; a working office has more.
    let staff = accounts::staff_of(db, code).await?.len();
    let area = tenancy::area::area(db, code).await?;
    let sms = state.dispatcher.configured(crate::notify::SMS, code).await;
    Ok(vec![
        SetupStep {
            text: "front.setup.branding",
            href: format!("/c/{code}/office/branding"),
            done: c.has_logo && c.contacts.phone.is_some(),
        },
        SetupStep {
            text: "front.setup.villages",
            href: format!("/c/{code}/office/villages"),
            done: villages > 0,
        },
        SetupStep {
            text: "front.setup.map_area",
            href: format!("/c/{code}/office/villages#area"),
            done: area.boundary.is_some(),
        },
        SetupStep {
            text: "front.setup.staff",
            href: format!("/c/{code}/office/staff"),
            done: staff > 1,
        },
        SetupStep {
            text: "front.setup.sms",
            href: format!("/c/{code}/office/delivery"),
            done: sms,
        },
    ])
}

#[derive(Template)]
#[template(path = "office.html")]
struct Dashboard {
    shell: Shell,
    active: &'static str,
    role_label: String,
    /// Work waiting, late first; items with nothing waiting last.
    today: Vec<TodayItem>,
    /// For admins: every room's setup steps, and how many are done.
    setup: Vec<SetupStep>,
    setup_done: usize,
    villages: usize,
    staff: usize,
    citizens: String,
    audit: String,
}

impl Dashboard {
    fn nothing_waiting(&self) -> bool {
        self.today.iter().all(|t| t.count == 0)
    }

    fn setup_percent(&self) -> usize {
        (self.setup_done * 100)
            .checked_div(self.setup.len())
            .unwrap_or(100)
    }

    fn count_text(&self, n: &u64) -> String {
        crate::numbers::int(*n as i64)
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = state.communes.active(&code)?;
    let u = ctx.staff(&c)?;
    let role_label = ctx.tr().get(&u.acting_role(&c).label_key()).to_owned();
    let roles: Vec<Role> = roles_of(Some(u), &c);
    let is_admin = roles.iter().any(|r| ADMINS.contains(r));
    let mut today = vec![];
    let mut setup = if is_admin {
        kernel_steps(&state, &c).await?
    } else {
        vec![]
    };
    for door in state.front_doors() {
        today.extend(door.today(&state.db, &c, &roles).await?);
        if is_admin {
            setup.extend(door.setup(&state.db, &c).await?);
        }
    }
    // Late work first; within a tone, the biggest pile first; empty piles last.
    today.sort_by_key(|t| (t.count == 0, t.tone, std::cmp::Reverse(t.count)));
    let setup_done = setup.iter().filter(|s| s.done).count();
    let villages = tenancy::villages(&state.db, &c.code).await?.len();
    let staff = accounts::staff_of(&state.db, &c.code).await?.len();
    let citizens = user::Entity::find()
        .filter(user::Column::CommuneCode.eq(&c.code))
        .count(&state.db)
        .await?;
    let (_, audit) = audit::list(&state.db, &c.code, &audit::Filter::default()).await?;
    let shell = Shell::new(&state, &ctx, Some(c), ctx.tr().get("office.title")).await;
    Ok(render(&Dashboard {
        shell,
        active: "dash",
        role_label,
        today,
        setup,
        setup_done,
        villages,
        staff,
        citizens: crate::numbers::int(citizens as i64),
        audit: crate::numbers::int(audit as i64),
    }))
}
