//! `xaso push-test`: sends one Web Push message to a subscription given on the command line,
//! for the CI check against a local push service (e2e/push). A citizen of the demo commune
//! gets that subscription, a Vietnamese emergency message is queued on the `push` channel and
//! the outbox is run once. Meant for a throwaway data directory.

use anyhow::Context;
use delivery::webpush;
use kernel::accounts::{self, Grant, NewUser, Role, entity::user};
use kernel::notify::{self, Message, Priority, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

const PHONE: &str = "0900000099";

pub struct Args {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub title: String,
    pub body: String,
}

pub async fn run(p: &xaso::Platform, a: &Args) -> anyhow::Result<()> {
    let db = &p.state.db;
    let err = |e: kernel::error::AppError| {
        anyhow::anyhow!(
            "{} ({})",
            e.message(kernel::i18n::Locale::Vi),
            e.detail.unwrap_or_default()
        )
    };
    let code = xaso::demo::DEMO_COMMUNE;
    if p.state.communes.get(code).is_none_or(|c| !c.active) {
        kernel::tenancy::activate_commune(db, code)
            .await
            .map_err(err)?;
    }
    let phone = accounts::parse_phone(PHONE).map_err(err)?;
    let existing = user::Entity::find()
        .filter(user::Column::Phone.eq(&phone))
        .one(db)
        .await?;
    let user_id = match existing {
        Some(u) => u.id,
        None => {
            let password = accounts::random_token(16);
            let new = NewUser {
                phone: PHONE,
                password: &password,
                full_name: "Người nhận thử thông báo",
                email: None,
                commune_code: code,
                village_id: None,
            };
            let grant = Grant {
                role: Role::Citizen,
                unit_code: code.into(),
                village_id: None,
                department: None,
            };
            accounts::create_user(db, new, &[grant], None)
                .await
                .map_err(err)?
                .id
        }
    };
    let sub = webpush::NewSubscription {
        endpoint: &a.endpoint,
        p256dh: &a.p256dh,
        auth: &a.auth,
        user_agent: Some("xaso push-test"),
    };
    webpush::subscribe(
        db,
        user_id,
        &sub,
        webpush::loopback_allowed(&p.state.config),
    )
    .await
    .map_err(err)?;
    notify::notify(
        db,
        Message {
            commune_code: code,
            user_id,
            text: kernel::notify::Text::written(&a.title, &a.body),
            link: Some("/inbox"),
            priority: Priority::Emergency,
            reference: None,
        },
        &[webpush::CHANNEL],
    )
    .await
    .map_err(err)?;
    p.dispatcher
        .deliver_due(chrono::Utc::now(), 100)
        .await
        .map_err(err)?;
    let row = outbox::Entity::find()
        .filter(outbox::Column::UserId.eq(user_id))
        .filter(outbox::Column::Channel.eq(webpush::CHANNEL))
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?
        .context("the push message was not queued")?;
    if row.status != notify::SENT {
        anyhow::bail!(
            "push not delivered: {} ({})",
            row.status,
            row.last_error.unwrap_or_default()
        );
    }
    println!("push delivered: outbox #{} to {}", row.id, a.endpoint);
    Ok(())
}
