//! Looking one report up by its receipt code, the same way through every door: the follow
//! page and its photos, the JSON API and Open311. Failed look-ups are throttled per address
//! exactly as dossier tracking is (60 failures in five minutes, then 429), so receipt codes
//! cannot be guessed by the thousand; what a found report shows is [`crate::model::sight`].

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use kernel::accounts::CurrentUser;
use kernel::actions::Failure;
use kernel::error::AppResult;
use kernel::limits::Limiter;
use kernel::tenancy::CommuneInfo;
use sea_orm::ConnectionTrait;

use crate::entity::{category, feedback};
use crate::error::{ActionError, ActionResult, Refusal};
use crate::model::{self, Sight, Status};
use crate::store;

/// Failed look-ups per address, shared by the three doors (an `Extension` on their routers).
#[derive(Clone)]
pub struct Guard(Arc<Limiter>);

impl Default for Guard {
    fn default() -> Self {
        // The same budget as dossier tracking (services' `track_failures`).
        Guard(Arc::new(Limiter::new(
            "receipt",
            60,
            Duration::from_secs(300),
        )))
    }
}

/// A report found by its code, with what this reader may see of it (never [`Sight::None`]).
pub struct Found {
    pub report: feedback::Model,
    pub cats: Vec<category::Model>,
    pub sight: Sight,
}

impl Found {
    pub fn category(&self) -> Option<&category::Model> {
        self.cats.iter().find(|c| c.id == self.report.category_id)
    }
}

/// Whether `f` is on the public board ([`model::on_board`]).
pub fn is_public(f: &feedback::Model, cat: &category::Model) -> bool {
    model::on_board(
        Status::parse(&f.status).unwrap_or(Status::New),
        f.answered_at.is_some(),
        cat.restricted,
    )
}

/// The report with this code in this commune as `reader` may see it: 404 `feedback_unknown`
/// when there is none or the reader may see nothing of it (the same answer, so a restricted
/// report's existence does not leak), 429 `feedback_throttled` once the address has failed
/// too often.
pub async fn look_up(
    db: &impl ConnectionTrait,
    guard: &Guard,
    ip: IpAddr,
    c: &CommuneInfo,
    receipt: &str,
    reader: Option<&CurrentUser>,
) -> AppResult<Found> {
    if guard.0.exceeded(ip) {
        return Err(ActionError::from(Refusal::FeedbackThrottled).into());
    }
    let res = find(db, c, receipt, reader).await;
    if matches!(res, Err(Failure::Refused(Refusal::FeedbackUnknown, _))) {
        guard.0.allow(db, ip).await?;
    }
    Ok(res?)
}

async fn find(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    receipt: &str,
    reader: Option<&CurrentUser>,
) -> ActionResult<Found> {
    let unknown = || Refusal::FeedbackUnknown;
    let report = store::by_receipt(db, &c.code, receipt).await?;
    let cats = store::categories(db, &c.code, true).await?;
    let cat = cats
        .iter()
        .find(|x| x.id == report.category_id)
        .ok_or_else(unknown)?;
    let actor = reader.map(|u| store::actor(u, c));
    let sight = model::sight(
        actor.as_ref(),
        &store::report(&report, cat),
        is_public(&report, cat),
    );
    if sight == Sight::None {
        return Err(unknown().into());
    }
    Ok(Found {
        report,
        cats,
        sight,
    })
}

/// The report with what `sight` withholds blanked: below [`Sight::Public`] the text, place,
/// village and rating comment; below [`Sight::Reporter`] who sent it.
pub fn redacted(mut f: feedback::Model, sight: Sight) -> feedback::Model {
    if sight < Sight::Public {
        f.text = String::new();
        f.address = None;
        f.lat = None;
        f.lon = None;
        f.village_id = None;
        f.rating_comment = None;
    }
    if sight < Sight::Reporter {
        f.reporter_name = None;
        f.reporter_phone = None;
        f.reporter_email = None;
    }
    f
}
