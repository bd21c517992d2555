//! Polls' use cases: an official creates a poll (audited), a resident answers it once while it
//! is open and they are in its audience.

use chrono::Utc;
use kernel::accounts::CurrentUser;
use kernel::accounts::access;
use kernel::tenancy::CommuneInfo;
use sea_orm::DatabaseConnection;

use kernel::actions::Kernel;

use super::entity::poll;
use super::model::{self, AnswerInput, BUILDERS, Phase};
use super::store::{self, PollInput};
use crate::error::{ActionResult, Refusal, invalid};

/// Use case: an official who builds polls creates one.
pub async fn create(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    input: &PollInput,
) -> ActionResult<poll::Model> {
    let u = access::with_role(actor, c, BUILDERS)?;
    save(k.db, c, u, input).await
}

/// Checks and saves a poll with its questions, audited, in one transaction (for [`create`]
/// and the demo data).
pub async fn save(
    db: &DatabaseConnection,
    c: &CommuneInfo,
    u: &CurrentUser,
    input: &PollInput,
) -> ActionResult<poll::Model> {
    let now = Utc::now();
    model::check_poll(
        &input.title,
        &input.questions,
        input.opens_at,
        input.closes_at,
        now,
    )
    .map_err(invalid)?;
    let villages: Vec<i64> = kernel::tenancy::villages(db, &c.code)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    if input.audience.iter().any(|v| !villages.contains(v)) {
        return Err(Refusal::VillageUnknown.at("audience"));
    }
    if input.description.chars().count() > 4000 {
        return Err(Refusal::TextTooLong.at("description"));
    }
    let txn = kernel::db::begin_write(db).await?;
    let p = store::insert(&txn, c, u, input, now).await?;
    kernel::audit::record(
        &txn,
        kernel::audit::Entry::in_commune(u, c, "poll.create", "poll", p.id, p.title.clone()),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(store::POLLS, &c.code);
    Ok(p)
}

/// Use case: one person's answers to poll `id`: only while it is open, only for its
/// audience, once.
pub async fn answer(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    p: &store::Poll,
    answers: &[AnswerInput],
) -> ActionResult<()> {
    let u = access::signed_in(actor)?;
    match p.phase(Utc::now()) {
        Phase::NotYetOpen => return Err(Refusal::PollNotOpen.into()),
        Phase::Closed => return Err(Refusal::PollClosed.into()),
        Phase::Open => {}
    }
    if !model::in_audience(
        &p.audience,
        u.commune_code.as_deref(),
        &c.code,
        u.village_id,
    ) {
        return Err(Refusal::PollNotForYou.into());
    }
    if store::has_answered(k.db, &p.poll.commune_code, p.poll.id, u.id).await? {
        return Err(Refusal::PollAlreadyAnswered.into());
    }
    model::check_answers(&p.drafts(), answers).map_err(invalid)?;
    let txn = kernel::db::begin_write(k.db).await?;
    store::insert_answers(&txn, p, u, answers, Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}
