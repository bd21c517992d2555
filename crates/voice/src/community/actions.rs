//! The community's use cases: an official's directory entry, the commune admin's changes to
//! the digital technology team, and the forum (a topic, a reply, an abuse report, and the
//! moderators' locks, pins and hidden posts). Each owns its permission rule, transaction and
//! audit entry; the pages and the API only parse, call and render.

use std::collections::BTreeSet;
use std::sync::Arc;

use kernel::accounts::CurrentUser;
use kernel::accounts::access::{self, ADMINS};
use kernel::actions::Kernel;
use kernel::audit::{self, Entry};
use kernel::tenancy::CommuneInfo;
use sea_orm::ConnectionTrait;

use super::directory::{self, Official, ProfileInput};
use super::entity::{post, topic};
use super::forum::{self, excerpt};
use super::rules::{self, DIRECTORY_EDITORS, MODERATORS, PostAction, TopicAction};
use super::team::{self, Member, MemberInput};
use crate::error::{ActionResult, Refusal};

// ---- the directory ----

/// Use case: saves an official's directory entry, by themselves or by the commune admin
/// (only the admin's `visible` is heeded); audited in the same transaction.
pub async fn save_profile(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    user_id: i64,
    input: &ProfileInput,
) -> ActionResult<Official> {
    let u = access::with_role(actor, c, DIRECTORY_EDITORS)?;
    save_profile_as(k.db, c, u, user_id, input).await
}

/// Saves an entry for [`save_profile`] and the demo data.
pub async fn save_profile_as(
    db: &sea_orm::DatabaseConnection,
    c: &CommuneInfo,
    u: &CurrentUser,
    user_id: i64,
    input: &ProfileInput,
) -> ActionResult<Official> {
    if !rules::may_edit_profile(u, c, user_id) {
        return Err(Refusal::Forbidden.into());
    }
    let list = directory::officials(db, &c.code).await?;
    let Some(target) = list.iter().find(|o| o.user_id == user_id) else {
        return Err(Refusal::OfficialUnknown.into());
    };
    let (title, office_hours) = rules::check_profile_texts(&input.title, &input.office_hours)?;
    let public_phone = rules::check_phone(&input.public_phone, "public_phone")?;
    let public_email = rules::check_email(&input.public_email)?;
    let visible = if u.has_role_in(c, ADMINS) {
        input.visible.unwrap_or(target.visible)
    } else {
        target.visible
    };
    let entry = directory::Entry {
        title,
        public_phone,
        public_email,
        office_hours,
        visible,
    };
    let txn = kernel::db::begin_write(db).await?;
    let id = directory::save_entry(&txn, &c.code, user_id, entry).await?;
    let hidden = if visible {
        ""
    } else {
        " · ẩn khỏi danh bạ"
    };
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "directory.profile",
            "official_profile",
            id,
            format!("{}{hidden}", target.name),
        ),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(directory::DIRECTORY, &c.code);
    directory::officials(db, &c.code)
        .await?
        .into_iter()
        .find(|o| o.user_id == user_id)
        .ok_or_else(|| Refusal::NotFound.into())
}

// ---- the community digital technology team ----

/// Validates a member: name, role, phone, and villages that belong to this commune.
async fn check_member(
    db: &impl ConnectionTrait,
    commune: &str,
    input: &MemberInput,
) -> ActionResult<(team::Checked, BTreeSet<i64>)> {
    let (name, team_role) = rules::check_member(&input.name, &input.team_role)?;
    let phone = rules::check_phone(&input.phone, "phone")?;
    let known: BTreeSet<i64> = kernel::tenancy::villages(db, commune)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let wanted: BTreeSet<i64> = input.village_ids.iter().copied().collect();
    if !wanted.is_subset(&known) {
        return Err(Refusal::VillageUnknown.at("village_ids"));
    }
    let m = team::Checked {
        name,
        team_role,
        phone,
    };
    Ok((m, wanted))
}

fn member_summary(m: &team::Checked, villages: &BTreeSet<i64>) -> String {
    format!("{} · {} · {} thôn", m.name, m.team_role, villages.len())
}

/// Use case: the commune admin adds a member, audited in the same transaction.
pub async fn add_member(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    input: &MemberInput,
) -> ActionResult<Member> {
    let u = access::with_role(actor, c, ADMINS)?;
    add_member_as(k.db, c, u, input).await
}

/// Adds a member for [`add_member`] and the demo data.
pub async fn add_member_as(
    db: &sea_orm::DatabaseConnection,
    c: &CommuneInfo,
    u: &CurrentUser,
    input: &MemberInput,
) -> ActionResult<Member> {
    let (m, villages) = check_member(db, &c.code, input).await?;
    let txn = kernel::db::begin_write(db).await?;
    let row = team::insert_member(&txn, &c.code, &m).await?;
    team::link_villages(&txn, &c.code, row.id, &villages).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "team.add",
            "community_member",
            row.id,
            member_summary(&m, &villages),
        ),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(directory::DIRECTORY, &c.code);
    team::one(db, &c.code, row.id).await
}

/// Use case: the commune admin changes a member and the villages they help, audited.
pub async fn update_member(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
    input: &MemberInput,
) -> ActionResult<Member> {
    let u = access::with_role(actor, c, ADMINS)?;
    let existing = team::find(k.db, &c.code, id).await?;
    let (m, villages) = check_member(k.db, &c.code, input).await?;
    let txn = kernel::db::begin_write(k.db).await?;
    team::update_member(&txn, existing, &m).await?;
    team::link_villages(&txn, &c.code, id, &villages).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            "team.update",
            "community_member",
            id,
            member_summary(&m, &villages),
        ),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(directory::DIRECTORY, &c.code);
    team::one(k.db, &c.code, id).await
}

/// Use case: the commune admin removes a member (their village links go with them), audited.
pub async fn remove_member(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    id: i64,
) -> ActionResult<()> {
    let u = access::with_role(actor, c, ADMINS)?;
    let existing = team::find(k.db, &c.code, id).await?;
    let txn = kernel::db::begin_write(k.db).await?;
    team::delete_member(&txn, &c.code, id).await?;
    audit::record(
        &txn,
        Entry::in_commune(u, c, "team.remove", "community_member", id, existing.name),
    )
    .await?;
    txn.commit().await?;
    kernel::cache::changed(directory::DIRECTORY, &c.code);
    Ok(())
}

// ---- the forum ----

/// A new topic as the form and the API give it.
pub struct NewTopic<'a> {
    pub title: &'a str,
    pub body: &'a str,
    /// Offer it to the whole province.
    pub share: bool,
}

/// Use case: a member of the commune opens a topic with its first post, in their commune;
/// sharing it with the province needs the province-wide forum (`province_wide`). Everything
/// is checked before anything is written.
pub async fn create_topic(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    t: NewTopic<'_>,
    province_wide: bool,
) -> ActionResult<topic::Model> {
    let u = access::signed_in(actor)?;
    create_topic_as(k.db, c, u, t, province_wide).await
}

/// Opens a topic for [`create_topic`] and the demo data.
pub async fn create_topic_as(
    db: &sea_orm::DatabaseConnection,
    c: &CommuneInfo,
    u: &CurrentUser,
    t: NewTopic<'_>,
    province_wide: bool,
) -> ActionResult<topic::Model> {
    if !rules::is_member(u, c) {
        return Err(Refusal::ForumNotMember.into());
    }
    let title = rules::check_title(t.title)?;
    let body = rules::check_body(t.body)?;
    if t.share && !province_wide {
        return Err(Refusal::ForumProvinceDisabled.at("province_wide"));
    }
    let txn = kernel::db::begin_write(db).await?;
    let topic = forum::insert_topic(&txn, c, u, title, body, t.share).await?;
    txn.commit().await?;
    forum::changed(c);
    Ok(topic)
}

/// Use case: a reply to a topic of commune `c`. Its members may, and for a topic shared with
/// the province, members of any commune of it when `province_wide` lists the deployment's
/// communes. A locked topic refuses with `forum_topic_locked`.
pub async fn reply(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    topic_id: i64,
    body: &str,
    province_wide: Option<&[Arc<CommuneInfo>]>,
) -> ActionResult<post::Model> {
    let u = access::signed_in(actor)?;
    reply_as(k.db, c, u, topic_id, body, province_wide).await
}

/// Replies for [`reply`] and the demo data.
pub async fn reply_as(
    db: &sea_orm::DatabaseConnection,
    c: &CommuneInfo,
    u: &CurrentUser,
    topic_id: i64,
    body: &str,
    province_wide: Option<&[Arc<CommuneInfo>]>,
) -> ActionResult<post::Model> {
    let t = forum::topic(db, &c.code, topic_id).await?;
    if !rules::may_post(u, c, t.province_code.as_deref(), province_wide) {
        return Err(Refusal::ForumNotMember.into());
    }
    if t.locked {
        return Err(Refusal::ForumTopicLocked.into());
    }
    let body = rules::check_body(body)?;
    let txn = kernel::db::begin_write(db).await?;
    let p = forum::insert_reply(&txn, c, u, t.id, body).await?;
    txn.commit().await?;
    forum::changed(c);
    Ok(p)
}

/// Use case: a moderator locks, unlocks, pins or unpins a topic, audited.
pub async fn moderate_topic(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    topic_id: i64,
    action: TopicAction,
) -> ActionResult<topic::Model> {
    let u = access::with_role(actor, c, MODERATORS)?;
    let t = forum::topic(k.db, &c.code, topic_id).await?;
    let (id, title) = (t.id, excerpt(&t.title, 120));
    let txn = kernel::db::begin_write(k.db).await?;
    let saved = forum::set_topic_flag(&txn, t, action).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            &format!("forum.{}", action.as_str()),
            "forum_topic",
            id,
            title,
        ),
    )
    .await?;
    txn.commit().await?;
    forum::changed(c);
    Ok(saved)
}

/// Use case: a moderator hides (with a reason) or unhides a post, audited. Hiding a topic's
/// opening post hides its title too.
pub async fn moderate_post(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    post_id: i64,
    action: PostAction,
    reason: &str,
) -> ActionResult<post::Model> {
    let u = access::with_role(actor, c, MODERATORS)?;
    let p = forum::post(k.db, &c.code, post_id).await?;
    let reason = match action {
        PostAction::Hide => Some(rules::check_hide_reason(reason)?),
        PostAction::Unhide => None,
    };
    let hidden_by = (action == PostAction::Hide).then_some(u.id);
    let summary = match &reason {
        Some(r) => format!("#{} · {}", p.topic_id, excerpt(r, 200)),
        None => format!("#{}", p.topic_id),
    };
    let id = p.id;
    let txn = kernel::db::begin_write(k.db).await?;
    let saved = forum::set_post_hidden(&txn, p, hidden_by, reason).await?;
    audit::record(
        &txn,
        Entry::in_commune(
            u,
            c,
            &format!("forum.{}", action.as_str()),
            "forum_post",
            id,
            summary,
        ),
    )
    .await?;
    txn.commit().await?;
    forum::changed(c);
    Ok(saved)
}

/// Use case: someone signed in reports a post as abusive, once: a second report is
/// `forum_report_exists` (409).
pub async fn report(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    post_id: i64,
    reason: &str,
) -> ActionResult<post::Model> {
    let u = access::signed_in(actor)?;
    let p = forum::post(k.db, &c.code, post_id).await?;
    let reason = rules::check_report_reason(reason)?;
    if forum::has_reported(k.db, &c.code, p.id, u.id).await? {
        return Err(Refusal::ForumReportExists.into());
    }
    let txn = kernel::db::begin_write(k.db).await?;
    forum::insert_report(&txn, c, p.id, u.id, reason).await?;
    txn.commit().await?;
    forum::changed(c);
    forum::post(k.db, &c.code, p.id).await
}
