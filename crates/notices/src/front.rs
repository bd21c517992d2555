//! The notices room on the front door: emergencies in force as the banner on every page of the
//! commune, the latest notices on its home page, and the emergencies people have not yet
//! acknowledged on the publishers' "today" board.

use chrono::Utc;
use kernel::accounts::Role;
use kernel::error::AppResult;
use kernel::room::{Alert, BoxFuture, FrontDoor, HomeItem, TodayItem, Tone};
use kernel::tenancy::CommuneInfo;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::{notice, recipient};
use crate::model::{Category, PUBLISHERS};
use crate::store::{self, PUBLISHED};

/// The notices room at the commune's front door: alerts, the latest notices, the day's work.
pub struct NoticesDoor {
    pub board: std::sync::Arc<store::BoardCache>,
}

/// Published, unexpired emergencies of the commune, newest first.
fn emergencies_in_force(code: &str) -> sea_orm::Select<notice::Entity> {
    let now = Utc::now();
    notice::Entity::find()
        .filter(notice::Column::CommuneCode.eq(code))
        .filter(notice::Column::Status.eq(PUBLISHED))
        .filter(notice::Column::Category.eq(Category::Emergency.as_str()))
        .filter(notice::Column::PublishAt.lte(now))
        .filter(
            Condition::any()
                .add(notice::Column::ExpiresAt.is_null())
                .add(notice::Column::ExpiresAt.gt(now)),
        )
        .order_by_desc(notice::Column::PublishAt)
        .order_by_desc(notice::Column::Id)
}

impl FrontDoor for NoticesDoor {
    fn alerts<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        commune: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<Alert>>> {
        Box::pin(async move {
            let rows = emergencies_in_force(commune).limit(3).all(db).await?;
            Ok(rows
                .into_iter()
                .map(|n| Alert {
                    href: store::link(commune, n.id),
                    title: n.title,
                })
                .collect())
        })
    }

    fn latest<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        commune: &'a str,
        limit: u64,
    ) -> BoxFuture<'a, AppResult<Vec<HomeItem>>> {
        Box::pin(async move {
            let page = store::board_page(db, &self.board, commune, "", None, 1).await?;
            let mut items: Vec<HomeItem> = page
                .0
                .iter()
                .map(|n| {
                    let urgent = n.category == Category::Emergency.as_str();
                    HomeItem {
                        title: n.title.clone(),
                        href: store::link(commune, n.id),
                        date: kernel::time::date_text(kernel::time::vn_date(n.publish_at)),
                        kind: if urgent {
                            "front.kind.emergency"
                        } else {
                            "front.kind.notice"
                        },
                        urgent,
                    }
                })
                .collect();
            // Emergencies first, whatever else is pinned.
            items.sort_by_key(|i| !i.urgent);
            items.truncate(limit as usize);
            Ok(items)
        })
    }

    fn today<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        commune: &'a CommuneInfo,
        roles: &'a [Role],
    ) -> BoxFuture<'a, AppResult<Vec<TodayItem>>> {
        Box::pin(async move {
            if !roles.iter().any(|r| PUBLISHERS.contains(r)) {
                return Ok(vec![]);
            }
            let mut out = vec![];
            for n in emergencies_in_force(&commune.code).limit(3).all(db).await? {
                let waiting = recipient::Entity::find()
                    .filter(recipient::Column::NoticeId.eq(n.id))
                    .filter(recipient::Column::AckAt.is_null())
                    .count(db)
                    .await?;
                if waiting > 0 {
                    out.push(TodayItem {
                        label: "front.today.unacknowledged",
                        count: waiting,
                        href: format!("/c/{}/office/notices/{}", commune.code, n.id),
                        tone: Tone::Late,
                        icon: "siren",
                    });
                }
            }
            Ok(out)
        })
    }
}
