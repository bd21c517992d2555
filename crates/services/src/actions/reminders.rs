//! The daily reminder (a job's use case): handlers hear about their dossiers due soon or
//! overdue, once a day.

use chrono::Utc;
use kernel::notify;
use kernel::time::WorkCalendar;
use sea_orm::DatabaseConnection;

use crate::entity::dossier;
use crate::store;

pub const JOB: &str = "services.reminders";

/// Sends each handler one message listing their open dossiers due within a working day or
/// already late. Returns how many messages were queued.
pub async fn send(db: &DatabaseConnection, cal: &WorkCalendar) -> Result<usize, String> {
    let today = kernel::time::vn_today();
    let horizon = cal.add_working_days(today.and_hms_opt(12, 0, 0).unwrap_or_default(), 1);
    let open = store::assigned_due_by(db, horizon)
        .await
        .map_err(|e| e.to_string())?;
    let mut by_handler: std::collections::BTreeMap<(i64, String), Vec<&dossier::Model>> =
        Default::default();
    for d in &open {
        if let Some(h) = d.assignee_id {
            by_handler
                .entry((h, d.commune_code.clone()))
                .or_default()
                .push(d);
        }
    }
    for ((handler, commune), ds) in &by_handler {
        let late = ds.iter().filter(|d| d.due_date < today).count();
        let list = ds
            .iter()
            .map(|d| format!("{} ({})", d.receipt_code, d.due_date.format("%d/%m/%Y")))
            .collect::<Vec<_>>()
            .join(", ");
        let key = if late > 0 {
            "sv.note.reminder_late"
        } else {
            "sv.note.reminder"
        };
        let link = format!("/c/{commune}/office/dossiers?mine=true&due=");
        notify::notify(
            db,
            notify::Message {
                commune_code: commune,
                user_id: *handler,
                text: notify::Text::key(key)
                    .arg("count", ds.len())
                    .arg("late", late)
                    .arg("list", list),
                link: Some(&link),
                ..Default::default()
            },
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    }
    tracing::info!(handlers = by_handler.len(), at = %Utc::now(), "dossier reminders queued");
    Ok(by_handler.len())
}
