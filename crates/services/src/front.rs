//! The services room on the officials' "today" board: dossiers overdue, due in the next two
//! days, and waiting for the desk to check them; and the commune's setup steps it needs: a
//! catalogue of procedures (else citizens find nothing to submit) and an account fees are paid into.

use kernel::accounts::Role;
use kernel::error::AppResult;
use kernel::room::{BoxFuture, FrontDoor, SetupStep, TodayItem, Tone};
use kernel::tenancy::CommuneInfo;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entity::{dossier, procedure};
use crate::model::{DESK, Status};

pub struct ServicesDoor;

/// Open dossiers of the commune: not finished, not refused, not closed.
fn open(code: &str) -> sea_orm::Select<dossier::Entity> {
    dossier::Entity::find()
        .filter(dossier::Column::CommuneCode.eq(code))
        .filter(dossier::Column::DoneAt.is_null())
        .filter(
            dossier::Column::Status.is_not_in([Status::Refused.as_str(), Status::Closed.as_str()]),
        )
}

impl FrontDoor for ServicesDoor {
    fn today<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        commune: &'a CommuneInfo,
        roles: &'a [Role],
    ) -> BoxFuture<'a, AppResult<Vec<TodayItem>>> {
        Box::pin(async move {
            if !roles.iter().any(|r| DESK.contains(r)) {
                return Ok(vec![]);
            }
            let today = kernel::time::vn_today();
            let soon = today + chrono::Duration::days(2);
            let code = &commune.code;
            let desk = format!("/c/{code}/office/dossiers");
            let overdue = open(code)
                .filter(dossier::Column::DueDate.lt(today))
                .count(db)
                .await?;
            let due = open(code)
                .filter(dossier::Column::DueDate.gte(today))
                .filter(dossier::Column::DueDate.lte(soon))
                .count(db)
                .await?;
            let unchecked = open(code)
                .filter(dossier::Column::Status.eq(Status::Received.as_str()))
                .count(db)
                .await?;
            Ok(vec![
                TodayItem {
                    label: "front.today.overdue",
                    count: overdue,
                    href: format!("{desk}?due=overdue"),
                    tone: Tone::Late,
                    icon: "hourglass",
                },
                TodayItem {
                    label: "front.today.due_soon",
                    count: due,
                    href: format!("{desk}?due=soon"),
                    tone: Tone::Due,
                    icon: "clock",
                },
                TodayItem {
                    label: "front.today.unchecked",
                    count: unchecked,
                    href: format!("{desk}?status=received"),
                    tone: Tone::Waiting,
                    icon: "inbox",
                },
            ])
        })
    }

    fn setup<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        commune: &'a CommuneInfo,
    ) -> BoxFuture<'a, AppResult<Vec<SetupStep>>> {
        Box::pin(async move {
            let code = &commune.code;
            let active = procedure::Entity::find()
                .filter(procedure::Column::CommuneCode.eq(code))
                .filter(procedure::Column::Active.eq(true))
                .count(db)
                .await?;
            let account =
                kernel::payments::account_of(db, code, kernel::payments::Owner::Commune).await?;
            Ok(vec![
                SetupStep {
                    text: "front.setup.procedures",
                    href: format!("/c/{code}/office/procedures"),
                    done: active > 0,
                },
                SetupStep {
                    text: "front.setup.payment_account",
                    href: format!("/c/{code}/office/payment-account"),
                    done: account.is_some(),
                },
            ])
        })
    }
}
