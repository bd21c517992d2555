//! Browsers' push subscriptions: what a valid one looks like (an endpoint a push service
//! could own, a P-256 key, a 16-byte auth secret), and saving, listing and removing them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, SqlErr,
};

use super::ece;
use kernel::config::Config;
use kernel::error::{AppError, AppResult};

/// Devices remembered per person; subscribing another replaces the longest-unused one.
pub const MAX_PER_USER: usize = 10;
const MAX_ENDPOINT: usize = 2048;

pub mod subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "push_subscription")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub endpoint: String,
        /// The browser's P-256 key, base64url of the uncompressed point.
        pub p256dh: String,
        /// The browser's 16-byte auth secret, base64url.
        pub auth: String,
        pub user_agent: Option<String>,
        pub created_at: DateTimeUtc,
        pub last_success_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A subscription as the browser's `PushSubscription.toJSON()` gives it.
pub struct NewSubscription<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
    pub user_agent: Option<&'a str>,
}

/// Whether push endpoints over plain http on this machine are accepted: only where the
/// deployment is not itself served over https (development and CI's local push service),
/// so a production server cannot be made to post to its own loopback services.
pub fn loopback_allowed(config: &Config) -> bool {
    !config.public_url.starts_with("https://")
}

/// An endpoint a push service could own: https on a host name, or http on this machine
/// where [`loopback_allowed`]. IP literals elsewhere are refused: no push service uses
/// them, and they would let a user aim the server at the local network.
pub fn check_endpoint(endpoint: &str, allow_loopback_http: bool) -> AppResult<()> {
    let bad = || AppError::invalid("push_endpoint_invalid", "endpoint");
    if endpoint.len() > MAX_ENDPOINT {
        return Err(bad());
    }
    let url = reqwest::Url::parse(endpoint).map_err(|_| bad())?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(bad());
    }
    let host = url.host_str().ok_or_else(bad)?;
    // IPv6 literals come bracketed.
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .ok();
    let loopback = host.eq_ignore_ascii_case("localhost") || ip.is_some_and(|ip| ip.is_loopback());
    match url.scheme() {
        // Names are judged again, resolved, when the message is sent (`guard::PublicOnly`).
        "https" if ip.is_none() && !crate::guard::names_private_host(host) => Ok(()),
        "http" | "https" if loopback && allow_loopback_http => Ok(()),
        _ => Err(bad()),
    }
}

fn decode_key(v: &str, len: usize, code: &'static str, field: &'static str) -> AppResult<Vec<u8>> {
    // Browsers send base64url without padding; tolerate padding from other clients.
    URL_SAFE_NO_PAD
        .decode(v.trim().trim_end_matches('='))
        .ok()
        .filter(|b| b.len() == len)
        .ok_or_else(|| AppError::invalid(code, field))
}

/// Checks a subscription; returns its keys decoded (p256dh, auth).
pub fn check(s: &NewSubscription<'_>, allow_loopback_http: bool) -> AppResult<(Vec<u8>, Vec<u8>)> {
    check_endpoint(s.endpoint, allow_loopback_http)?;
    let p256dh = decode_key(s.p256dh, 65, "push_key_invalid", "keys.p256dh")?;
    ece::parse_public_key(&p256dh)
        .map_err(|_| AppError::invalid("push_key_invalid", "keys.p256dh"))?;
    let auth = decode_key(s.auth, 16, "push_auth_invalid", "keys.auth")?;
    Ok((p256dh, auth))
}

/// Saves a subscription for `user_id`, keyed by endpoint: a browser that subscribes again
/// refreshes its row, and an endpoint used by someone else before (a shared phone, a new
/// sign-in) moves to this person. Returns the row and whether it is new.
pub async fn subscribe(
    db: &DatabaseConnection,
    user_id: i64,
    s: &NewSubscription<'_>,
    allow_loopback_http: bool,
) -> AppResult<(subscription::Model, bool)> {
    let (p256dh, auth) = check(s, allow_loopback_http)?;
    let keys = (
        URL_SAFE_NO_PAD.encode(&p256dh),
        URL_SAFE_NO_PAD.encode(&auth),
    );
    let user_agent = s
        .user_agent
        .map(|ua| ua.chars().take(200).collect::<String>());
    match save(db, user_id, s.endpoint, &keys, &user_agent).await {
        // Two requests raced to insert the same endpoint (the unique index stopped the
        // second): the row is there now, so this attempt updates it.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(save(db, user_id, s.endpoint, &keys, &user_agent).await?)
        }
        r => Ok(r?),
    }
}

async fn save(
    db: &DatabaseConnection,
    user_id: i64,
    endpoint: &str,
    (p256dh, auth): &(String, String),
    user_agent: &Option<String>,
) -> Result<(subscription::Model, bool), DbErr> {
    let txn = kernel::db::begin_write(db).await?;
    let existing = subscription::Entity::find()
        .filter(subscription::Column::Endpoint.eq(endpoint))
        .one(&txn)
        .await?;
    let (row, created) = match existing {
        Some(found) => {
            let mut a: subscription::ActiveModel = found.into();
            a.user_id = Set(user_id);
            a.p256dh = Set(p256dh.clone());
            a.auth = Set(auth.clone());
            a.user_agent = Set(user_agent.clone());
            (a.update(&txn).await?, false)
        }
        None => {
            let row = subscription::ActiveModel {
                user_id: Set(user_id),
                endpoint: Set(endpoint.to_owned()),
                p256dh: Set(p256dh.clone()),
                auth: Set(auth.clone()),
                user_agent: Set(user_agent.clone()),
                created_at: Set(Utc::now()),
                last_success_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (row, true)
        }
    };
    // Each message goes to every device, so keep the list bounded: drop the devices that
    // have gone longest without a delivery.
    let mut mine = subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .all(&txn)
        .await?;
    if mine.len() > MAX_PER_USER {
        // This device first, then the others from the longest unused: the surplus is taken
        // from that end.
        mine.sort_by_key(|m| (m.id != row.id, m.last_success_at.unwrap_or(m.created_at)));
        let surplus = mine.len() - MAX_PER_USER;
        for old in mine[1..].iter().take(surplus) {
            subscription::Entity::delete_by_id(old.id)
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok((row, created))
}

/// Forgets one of the user's own subscriptions; false when they have none at `endpoint`.
pub async fn unsubscribe(
    db: &impl ConnectionTrait,
    user_id: i64,
    endpoint: &str,
) -> AppResult<bool> {
    let res = subscription::Entity::delete_many()
        .filter(subscription::Column::UserId.eq(user_id))
        .filter(subscription::Column::Endpoint.eq(endpoint))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

pub async fn subscriptions_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Vec<subscription::Model>> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .order_by_asc(subscription::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/x", false).is_ok());
        assert!(
            check_endpoint(
                "https://updates.push.services.mozilla.com/wpush/v2/x",
                false
            )
            .is_ok()
        );
        assert!(check_endpoint("http://127.0.0.1:9000/push/a", true).is_ok());
        assert!(check_endpoint("http://localhost:9000/push/a", true).is_ok());
        assert!(check_endpoint("http://[::1]:9000/push/a", true).is_ok());
        for bad in [
            "http://127.0.0.1:9000/push/a",
            "http://push.example.net/p",
            "https://127.0.0.1/p",
            "https://10.0.0.5/p",
            "https://localhost./p",
            "https://push.localhost/p",
            "https://user:pw@push.example.net/p",
            "ftp://push.example.net/p",
            "javascript:alert(1)",
            "",
        ] {
            assert!(check_endpoint(bad, false).is_err(), "{bad}");
        }
        assert!(check_endpoint("http://push.example.net/p", true).is_err());
        assert!(check_endpoint("http://10.0.0.5/p", true).is_err());
        let long = format!("https://push.example.net/{}", "a".repeat(MAX_ENDPOINT));
        assert!(check_endpoint(&long, false).is_err());
    }
}
