//! Lists of reports: the officials' triage inbox (what each may see), the public board, and
//! the figures for decisions and the indicators room.

use chrono::{DateTime, Utc};
use kernel::accounts::CurrentUser;
use kernel::error::AppResult;
use kernel::tenancy::CommuneInfo;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entity::{category, feedback};
use crate::model::{self, Status};

/// The rules' view of a signed-in official in this commune.
pub fn actor(u: &CurrentUser, c: &CommuneInfo) -> model::Actor {
    model::Actor {
        roles: u.roles_in(c).collect(),
        departments: u
            .grants
            .iter()
            .filter(|g| g.covers(&c.code, &c.province_code, c.district_code.as_deref()))
            .filter_map(|g| g.department.clone())
            .collect(),
        user_id: u.id,
    }
}

pub fn report<'a>(f: &feedback::Model, cat: &'a category::Model) -> model::Report<'a> {
    model::Report {
        restricted: cat.restricted,
        category_department: &cat.department,
        assignee_id: f.assignee_id,
        reporter_user_id: f.reporter_user_id,
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TriageFilter {
    /// A status, or empty for the open ones (new and assigned).
    #[serde(default)]
    pub status: String,
    /// A category code.
    #[serde(default)]
    pub category: String,
    /// `overdue` for open reports past their deadline.
    #[serde(default)]
    pub due: String,
    /// Only reports assigned to me.
    #[serde(default)]
    pub mine: bool,
    /// Words of the text or address, accents optional; each may be the start of a word, all
    /// must match (at most 200 characters, else 400 `search_too_long`).
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<u64>,
}

pub const PAGE: u64 = 50;

/// Restricted reports this actor may not see: those of restricted categories outside their
/// department, unless assigned to them.
fn hidden_from(a: &model::Actor, cats: &[category::Model]) -> Option<Condition> {
    let hidden: Vec<i64> = cats
        .iter()
        .filter(|cat| {
            let probe = model::Report {
                restricted: cat.restricted,
                category_department: &cat.department,
                assignee_id: None,
                reporter_user_id: None,
            };
            !model::may_see(a, &probe)
        })
        .map(|c| c.id)
        .collect();
    (!hidden.is_empty()).then(|| {
        Condition::any()
            .add(feedback::Column::CategoryId.is_not_in(hidden))
            .add(feedback::Column::AssigneeId.eq(a.user_id))
    })
}

/// The triage inbox: what this official may see, open reports first by deadline.
pub async fn triage(
    db: &impl ConnectionTrait,
    commune: &str,
    a: &model::Actor,
    cats: &[category::Model],
    f: &TriageFilter,
    now: DateTime<Utc>,
) -> AppResult<(Vec<feedback::Model>, u64)> {
    let mut q = feedback::Entity::find().filter(feedback::Column::CommuneCode.eq(commune));
    if let Some(cond) = hidden_from(a, cats) {
        q = q.filter(cond);
    }
    match Status::parse(&f.status) {
        Some(s) => q = q.filter(feedback::Column::Status.eq(s.as_str())),
        None if f.status == "all" => {}
        None => {
            q = q.filter(
                feedback::Column::Status.is_in([Status::New.as_str(), Status::Assigned.as_str()]),
            )
        }
    }
    if let Some(cat) = cats.iter().find(|c| c.code == f.category) {
        q = q.filter(feedback::Column::CategoryId.eq(cat.id));
    }
    if f.due == "overdue" {
        q = q.filter(feedback::Column::DueAt.lt(now)).filter(
            feedback::Column::Status.is_in([Status::New.as_str(), Status::Assigned.as_str()]),
        );
    }
    if f.mine {
        q = q.filter(feedback::Column::AssigneeId.eq(a.user_id));
    }
    let search = kernel::search::Query::parse(&f.q)?;
    let backend = db.get_database_backend();
    let index = crate::migration_search::SEARCH;
    q = q.filter(index.matches(backend, &search));
    let total = q.clone().count(db).await?;
    let page = kernel::paging::page(f.page);
    let rows = q
        .order_by_desc(index.rank(backend, &search))
        .order_by_asc(feedback::Column::DueAt)
        .order_by_asc(feedback::Column::Id)
        .offset(kernel::paging::offset(page, PAGE))
        .limit(PAGE)
        .all(db)
        .await?;
    Ok((rows, total))
}

// ---- the public board ----

/// The reports on the public board, as a filter: [`crate::model::on_board`] in SQL. Every
/// public list (the board, its map, the API's board, Open311's `requests`) uses it.
pub fn public_reports(cats: &[category::Model]) -> Condition {
    let restricted: Vec<i64> = cats.iter().filter(|c| c.restricted).map(|c| c.id).collect();
    Condition::all()
        .add(feedback::Column::AnsweredAt.is_not_null())
        .add(feedback::Column::Status.is_in([Status::Answered.as_str(), Status::Closed.as_str()]))
        .add(feedback::Column::CategoryId.is_not_in(restricted))
}

/// Answered reports anyone may read, newest answer first (whole-word matches of `q` first):
/// restricted categories never appear, nor who reported. Returns the page and whether
/// another follows (no count: it would read every answered report on each view).
pub async fn board(
    db: &impl ConnectionTrait,
    commune: &str,
    cats: &[category::Model],
    q: &kernel::search::Query,
    page: u64,
) -> AppResult<(Vec<feedback::Model>, bool)> {
    let backend = db.get_database_backend();
    let index = crate::migration_search::SEARCH;
    let mut rows = feedback::Entity::find()
        .filter(feedback::Column::CommuneCode.eq(commune))
        .filter(public_reports(cats))
        .filter(index.matches(backend, q))
        .order_by_desc(index.rank(backend, q))
        .order_by_desc(feedback::Column::AnsweredAt)
        .order_by_desc(feedback::Column::Id)
        .offset(kernel::paging::offset(page, PAGE))
        .limit(PAGE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    Ok((rows, more))
}

// ---- figures for decisions and the indicators room ----

#[derive(Debug, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = FeedbackFigures)]
pub struct Figures {
    pub total: u64,
    pub open: u64,
    pub overdue: u64,
    pub answered: u64,
    /// Answered (or closed) by their deadline.
    pub answered_on_time: u64,
    pub rejected: u64,
    pub rated: u64,
    /// Average of the reporters' 1–5 ratings, when any.
    pub satisfaction: Option<f64>,
}

/// Counts for the commune (all categories: figures reveal no report).
pub async fn figures(
    db: &impl ConnectionTrait,
    commune: &str,
    now: DateTime<Utc>,
) -> AppResult<Figures> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        status: String,
        due_at: DateTime<Utc>,
        answered_at: Option<DateTime<Utc>>,
        rating: Option<i32>,
    }
    let rows = feedback::Entity::find()
        .select_only()
        .column(feedback::Column::Status)
        .column(feedback::Column::DueAt)
        .column(feedback::Column::AnsweredAt)
        .column(feedback::Column::Rating)
        .filter(feedback::Column::CommuneCode.eq(commune))
        .into_model::<Row>()
        .all(db)
        .await?;
    let mut f = Figures::default();
    let mut stars = 0i64;
    for r in rows {
        let s = Status::parse(&r.status).unwrap_or(Status::New);
        f.total += 1;
        if s.is_open() {
            f.open += 1;
            if r.due_at < now {
                f.overdue += 1;
            }
        }
        match s {
            Status::Answered | Status::Closed => {
                f.answered += 1;
                if r.answered_at.is_some_and(|a| a <= r.due_at) {
                    f.answered_on_time += 1;
                }
            }
            Status::Rejected => f.rejected += 1,
            _ => {}
        }
        if let Some(r) = r.rating {
            f.rated += 1;
            stars += r as i64;
        }
    }
    f.satisfaction = (f.rated > 0).then(|| stars as f64 / f.rated as f64);
    Ok(f)
}
