//! The voice room on the officials' "today" board: feedback past its deadline and feedback
//! waiting to be triaged.

use chrono::Utc;
use kernel::accounts::Role;
use kernel::error::AppResult;
use kernel::room::{BoxFuture, FrontDoor, TodayItem, Tone};
use kernel::tenancy::CommuneInfo;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entity::feedback;
use crate::model::{HANDLERS, Status};

pub struct VoiceDoor;

impl FrontDoor for VoiceDoor {
    fn today<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        commune: &'a CommuneInfo,
        roles: &'a [Role],
    ) -> BoxFuture<'a, AppResult<Vec<TodayItem>>> {
        Box::pin(async move {
            if !roles.iter().any(|r| HANDLERS.contains(r)) {
                return Ok(vec![]);
            }
            let code = &commune.code;
            let open = || {
                feedback::Entity::find()
                    .filter(feedback::Column::CommuneCode.eq(code))
                    .filter(
                        feedback::Column::Status
                            .is_in([Status::New.as_str(), Status::Assigned.as_str()]),
                    )
            };
            let overdue = open()
                .filter(feedback::Column::DueAt.lt(Utc::now()))
                .count(db)
                .await?;
            let new = open()
                .filter(feedback::Column::Status.eq(Status::New.as_str()))
                .count(db)
                .await?;
            let desk = format!("/c/{code}/office/feedback");
            Ok(vec![
                TodayItem {
                    label: "front.today.feedback_overdue",
                    count: overdue,
                    href: format!("{desk}?due=overdue"),
                    tone: Tone::Late,
                    icon: "hourglass",
                },
                TodayItem {
                    label: "front.today.feedback_new",
                    count: new,
                    href: format!("{desk}?status=new"),
                    tone: Tone::Waiting,
                    icon: "message-square-warning",
                },
            ])
        })
    }
}
