//! Use cases of topics: everyone sees the commune's list (the signed-in with what they
//! follow), publishers add one (audited), the signed-in follow or stop following one.

use kernel::accounts::{CurrentUser, access as kernel_access};
use kernel::actions::Kernel;
use kernel::audit;
use kernel::tenancy::CommuneInfo;

use super::access::publisher;
use super::{ActionResult, Refusal};
use crate::entity::topic;
use crate::store;

/// Use case: the commune's topics by name, each with whether the actor follows it.
pub async fn list(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<(topic::Model, bool)>> {
    let mine = match actor {
        Some(u) => store::subscriptions(k.db, u.id).await?,
        None => Vec::new(),
    };
    Ok(store::topics(k.db, &c.code)
        .await?
        .into_iter()
        .map(|t| {
            let following = mine.contains(&t.id);
            (t, following)
        })
        .collect())
}

/// Use case: a publisher adds a topic (2–100 characters, unique in the commune). Audited.
pub async fn create(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    name: &str,
) -> ActionResult<topic::Model> {
    let u = publisher(actor, c)?;
    let name = name.trim();
    if !(2..=100).contains(&name.chars().count()) {
        return Err(Refusal::TopicNameInvalid.at("name"));
    }
    if store::topic_exists(k.db, &c.code, name).await? {
        return Err(Refusal::TopicExists.into());
    }
    let txn = kernel::db::begin_write(k.db).await?;
    let t = store::insert_topic(&txn, &c.code, name).await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(
            u,
            c,
            "notice.topic_create",
            "notice_topic",
            t.id,
            t.name.clone(),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Use case: the signed-in person follows (or stops following) a topic of the commune.
pub async fn follow(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    topic_id: i64,
    on: bool,
) -> ActionResult<()> {
    let u = kernel_access::signed_in(actor)?;
    store::topic(k.db, &c.code, topic_id)
        .await?
        .ok_or(Refusal::TopicUnknown)?;
    Ok(store::subscribe(k.db, &c.code, u.id, topic_id, on).await?)
}
