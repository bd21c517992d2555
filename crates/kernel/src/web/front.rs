//! What rooms put on the commune's front door and on the officials' "today" board: active
//! alerts (a banner on every page of the commune), the latest items for the home page, and the
//! work waiting for the person signed in. A room gives a [`FrontDoor`] in its `Nav`; the shell
//! asks every room's and never reads a room's tables itself.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::accounts::Role;
use crate::cache::{self, GenerationCache};
use crate::error::AppResult;
use crate::future::BoxFuture;
use crate::tenancy::CommuneInfo;

/// The cache kind rooms bump (`cache::changed(ALERTS, commune)`) when an alert starts or ends;
/// an alert that simply runs out leaves the banner within the cache's few seconds.
pub const ALERTS: &str = "front_alerts";

/// An alert in force: shown first, on every page of the commune.
#[derive(Debug, Clone)]
pub struct Alert {
    pub title: String,
    pub href: String,
}

/// One entry of the home page's "latest" list.
#[derive(Debug, Clone)]
pub struct HomeItem {
    pub title: String,
    pub href: String,
    /// Already in Vietnamese date format.
    pub date: String,
    /// Text key of the kind shown as a chip ("Khẩn cấp", "Thông báo").
    pub kind: &'static str,
    pub urgent: bool,
}

/// How a "today" card is coloured: late work first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tone {
    Late,
    Due,
    Waiting,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Tone::Late => "bad",
            Tone::Due => "warn",
            Tone::Waiting => "info",
        }
    }
}

/// Work waiting for the person signed in: a count with where to act on it.
#[derive(Debug, Clone)]
pub struct TodayItem {
    /// Text key of what is counted ("dossiers overdue").
    pub label: &'static str,
    pub count: u64,
    pub href: String,
    pub tone: Tone,
    pub icon: &'static str,
}

/// A step of a new commune's setup checklist, done or not: what the admin must configure for
/// a room to work fully (an undone step is also a warning on the "today" board).
#[derive(Debug, Clone)]
pub struct SetupStep {
    /// Text key of the step, said as a task ("Nhập các thôn, bản").
    pub text: &'static str,
    /// Where to do it.
    pub href: String,
    pub done: bool,
}

/// A room's part of the front door. Every method has an empty default.
pub trait FrontDoor: Send + Sync {
    fn alerts<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        _commune: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<Alert>>> {
        Box::pin(async { Ok(vec![]) })
    }

    fn latest<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        _commune: &'a str,
        _limit: u64,
    ) -> BoxFuture<'a, AppResult<Vec<HomeItem>>> {
        Box::pin(async { Ok(vec![]) })
    }

    /// The work waiting for someone holding `roles` in the commune (only what they may open).
    fn today<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        _commune: &'a CommuneInfo,
        _roles: &'a [Role],
    ) -> BoxFuture<'a, AppResult<Vec<TodayItem>>> {
        Box::pin(async { Ok(vec![]) })
    }

    /// The setup steps this room needs, done or not (shown to the commune's admins).
    fn setup<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        _commune: &'a CommuneInfo,
    ) -> BoxFuture<'a, AppResult<Vec<SetupStep>>> {
        Box::pin(async { Ok(vec![]) })
    }
}

/// Alerts per commune, kept for a few seconds: the banner is on every page, and a page must
/// not cost a query per room for it.
#[derive(Default)]
pub struct AlertCache(GenerationCache<Arc<Vec<Alert>>>);

impl AlertCache {
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        doors: &[Arc<dyn FrontDoor>],
        commune: &str,
    ) -> Arc<Vec<Alert>> {
        let generation = cache::generation(ALERTS, commune);
        if let Some(hit) = self.0.get(commune, generation) {
            return hit;
        }
        let _flight = self.0.flight(commune).await;
        if let Some(hit) = self.0.get(commune, generation) {
            return hit;
        }
        let mut all = Vec::new();
        for door in doors {
            // A failing room must not take every page of the commune down with it.
            match door.alerts(db, commune).await {
                Ok(found) => all.extend(found),
                Err(e) => tracing::warn!("front door alerts for {commune}: {e}"),
            }
        }
        let all = Arc::new(all);
        self.0.put(commune.to_owned(), generation, all.clone());
        all
    }
}
