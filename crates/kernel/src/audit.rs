//! The audit log: every write by an official, who did it, in which role and unit, and when.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;

use crate::accounts::{CurrentUser, Role};
use crate::error::AppResult;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema,
    )]
    #[sea_orm(table_name = "audit_log")]
    #[schema(as = AuditEntry)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[schema(value_type = String, format = DateTime)]
        pub at: DateTimeUtc,
        pub actor_user_id: Option<i64>,
        pub actor_name: String,
        pub actor_role: String,
        /// Commune code (or higher unit) the action was taken in.
        pub unit_code: String,
        pub action: String,
        pub object_type: String,
        pub object_id: String,
        pub summary: String,
        pub request_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One entry to write. `action` is a dotted verb such as `village.create`.
pub struct Entry<'a> {
    pub actor: &'a CurrentUser,
    pub role: Role,
    pub unit_code: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub summary: String,
}

impl<'a> Entry<'a> {
    /// An action taken in a commune, recorded under the strongest role the actor holds there.
    pub fn in_commune(
        actor: &'a CurrentUser,
        commune: &'a crate::tenancy::CommuneInfo,
        action: &'a str,
        object_type: &'a str,
        object_id: impl ToString,
        summary: String,
    ) -> Self {
        Entry {
            actor,
            role: actor.acting_role(commune),
            unit_code: &commune.code,
            action,
            object_type,
            object_id: object_id.to_string(),
            summary,
        }
    }
}

/// Writes an entry; call it inside the same transaction as the change it records.
pub async fn record(db: &impl ConnectionTrait, e: Entry<'_>) -> AppResult<()> {
    entity::ActiveModel {
        at: Set(Utc::now()),
        actor_user_id: Set(Some(e.actor.id)),
        actor_name: Set(e.actor.full_name.clone()),
        actor_role: Set(e.role.as_str().into()),
        unit_code: Set(e.unit_code.into()),
        action: Set(e.action.into()),
        object_type: Set(e.object_type.into()),
        object_id: Set(e.object_id),
        summary: Set(e.summary),
        request_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes an entry for work done on the server's command line by its operator (an import,
/// say): no account, the role of the deployment's administrator.
pub async fn record_operator(
    db: &impl ConnectionTrait,
    unit_code: &str,
    action: &str,
    object_type: &str,
    summary: String,
) -> AppResult<()> {
    entity::ActiveModel {
        at: Set(Utc::now()),
        actor_user_id: Set(None),
        actor_name: Set(OPERATOR.into()),
        actor_role: Set(Role::SystemAdmin.as_str().into()),
        unit_code: Set(unit_code.into()),
        action: Set(action.into()),
        object_type: Set(object_type.into()),
        object_id: Set(String::new()),
        summary: Set(summary),
        request_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The name the audit log gives the server's command line.
pub const OPERATOR: &str = "Dòng lệnh máy chủ";

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Action prefix, e.g. `village` or `village.create`.
    pub action: Option<String>,
    /// Actor's user id.
    pub actor: Option<i64>,
    /// From this instant (RFC 3339 or YYYY-MM-DD).
    pub from: Option<String>,
    /// Until this instant (RFC 3339 or YYYY-MM-DD, inclusive of that day).
    pub to: Option<String>,
    pub page: Option<u64>,
}

fn parse_instant(s: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let t = if end_of_day {
        d.and_hms_opt(23, 59, 59)?
    } else {
        d.and_hms_opt(0, 0, 0)?
    };
    // Officials think in Vietnam time (UTC+7).
    Some(crate::time::from_vn(t))
}

pub const PAGE_SIZE: u64 = 50;

pub async fn list(
    db: &impl ConnectionTrait,
    unit_code: &str,
    f: &Filter,
) -> AppResult<(Vec<entity::Model>, u64)> {
    let mut q = entity::Entity::find().filter(entity::Column::UnitCode.eq(unit_code));
    if let Some(a) = f.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        q = q.filter(entity::Column::Action.starts_with(a));
    }
    if let Some(actor) = f.actor {
        q = q.filter(entity::Column::ActorUserId.eq(actor));
    }
    if let Some(from) = f.from.as_deref().and_then(|s| parse_instant(s, false)) {
        q = q.filter(entity::Column::At.gte(from));
    }
    if let Some(to) = f.to.as_deref().and_then(|s| parse_instant(s, true)) {
        q = q.filter(entity::Column::At.lte(to));
    }
    let total = q.clone().count(db).await?;
    let page = crate::paging::page(f.page);
    let rows = q
        .order_by_desc(entity::Column::Id)
        .offset(crate::paging::offset(page, PAGE_SIZE))
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_vietnam_days() {
        let from = parse_instant("2026-01-02", false).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-01-01T17:00:00+00:00");
        assert!(parse_instant("garbage", false).is_none());
    }
}
