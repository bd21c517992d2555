//! Web Push (RFC 8030, 8291, 8292): the browsers' push subscriptions and the `push` delivery
//! channel, which encrypts each outbox message for every device of its user and hands it to
//! that device's push service.

mod ece;
mod subscriptions;
mod vapid;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub use ece::{MAX_PLAINTEXT, encrypt, encrypt_with};
pub use subscriptions::{
    MAX_PER_USER, NewSubscription, check, check_endpoint, loopback_allowed, subscribe,
    subscription, subscriptions_of, unsubscribe,
};
pub use vapid::{JWT_SECONDS, Vapid, audience};

use kernel::config::Config;
use kernel::notify::{Channel, Priority, outbox};

pub const CHANNEL: &str = "push";
/// How long a push service keeps a message for a device that is offline.
const TTL_SECONDS: u32 = 24 * 3600;
const TIMEOUT: Duration = Duration::from_secs(10);

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Emergency => "emergency",
    }
}

/// What the service worker receives: {title, body, url, priority, tag}. The tag is the
/// outbox id, so a message retried after a partial failure replaces its first copy on a
/// device instead of showing twice. A body too long for one push record is shortened.
pub fn payload(msg: &outbox::Model) -> String {
    let mut title = msg.title.clone();
    let mut body = msg.body.clone();
    let mut url = msg.link.clone().unwrap_or_else(|| "/inbox".into());
    loop {
        let json = serde_json::json!({
            "title": title,
            "body": body,
            "url": url,
            "priority": priority_name(Priority::from_i16(msg.priority)),
            "tag": format!("xaso-{}", msg.id),
        })
        .to_string();
        if json.len() <= MAX_PLAINTEXT {
            return json;
        }
        let excess = json.len() - MAX_PLAINTEXT;
        // Shorten the body first, then the title; a link that alone is too long is
        // replaced by the inbox, where the whole message is.
        if body.len() > 1 {
            shorten(&mut body, excess);
        } else if title.len() > 1 {
            shorten(&mut title, excess);
        } else {
            url = "/inbox".into();
        }
    }
}

/// Cuts at least `excess` bytes (JSON escapes may count more) and marks the cut with '…'.
fn shorten(text: &mut String, excess: usize) {
    let mut cut = text.len().saturating_sub(excess + '…'.len_utf8());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    if cut == 0 {
        // Too short to keep anything: drop it altogether (one byte, so the caller moves on).
        text.push(' ');
    } else {
        text.push('…');
    }
}

/// How one push service answered.
enum Outcome {
    Delivered,
    /// 404 or 410: the browser dropped the subscription (RFC 8030 section 7.3).
    Gone,
}

/// The `push` channel: one encrypted request per device of the message's user.
pub struct WebPushChannel {
    vapid: Vapid,
    subject: String,
    client: reqwest::Client,
}

impl WebPushChannel {
    /// Loads (or creates) the deployment's VAPID key.
    pub async fn load(db: &DatabaseConnection, config: &Config) -> anyhow::Result<Self> {
        // RFC 8292 wants a contact: the deployment's https address, or a mailto: where it
        // has none (then only browsers on this machine can subscribe anyway).
        let subject = if config.public_url.starts_with("https://") {
            config.public_url.trim_end_matches('/').to_owned()
        } else {
            "mailto:admin@localhost".to_owned()
        };
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A push service answers; it does not send us elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if !subscriptions::loopback_allowed(config) {
            // Any signed-in person supplies the endpoint: dial public addresses only, and
            // not through a proxy, which would resolve the name itself (see `guard`).
            builder = builder
                .dns_resolver(std::sync::Arc::new(crate::guard::PublicOnly))
                .no_proxy();
        }
        let client = builder.build()?;
        Ok(WebPushChannel {
            vapid: Vapid::load_or_create(db).await?,
            subject,
            client,
        })
    }

    pub fn public_key(&self) -> &str {
        self.vapid.public_key()
    }

    async fn send(
        &self,
        sub: &subscription::Model,
        plaintext: &[u8],
        msg: &outbox::Model,
    ) -> Result<Outcome, String> {
        let key = URL_SAFE_NO_PAD
            .decode(&sub.p256dh)
            .map_err(|e| e.to_string())?;
        let auth = URL_SAFE_NO_PAD
            .decode(&sub.auth)
            .map_err(|e| e.to_string())?;
        let body = ece::encrypt(plaintext, &key, &auth)?;
        let authorization =
            self.vapid
                .authorization(&sub.endpoint, &self.subject, Utc::now().timestamp())?;
        let urgency = if Priority::from_i16(msg.priority) == Priority::Emergency {
            "high"
        } else {
            "normal"
        };
        let res = self
            .client
            .post(&sub.endpoint)
            .header("Authorization", authorization)
            .header("TTL", TTL_SECONDS.to_string())
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Urgency", urgency)
            // A retry replaces the copy still queued at the push service.
            .header("Topic", format!("xaso-{}", msg.id))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("push {}: {e}", host_of(&sub.endpoint)))?;
        match res.status().as_u16() {
            200..=202 => Ok(Outcome::Delivered),
            404 | 410 => Ok(Outcome::Gone),
            code => Err(format!("push {}: HTTP {code}", host_of(&sub.endpoint))),
        }
    }
}

/// The push service's host, for error messages: the endpoint path identifies the device.
fn host_of(endpoint: &str) -> String {
    reqwest::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl Channel for WebPushChannel {
    fn name(&self) -> &'static str {
        CHANNEL
    }

    async fn deliver(&self, db: &DatabaseConnection, msg: &outbox::Model) -> Result<(), String> {
        let subs = subscriptions_of(db, msg.user_id)
            .await
            .map_err(|e| e.to_string())?;
        // A person with no subscription (never opted in, or every device has since gone)
        // has nothing to receive here: that is done, not failed. The inbox copy remains.
        if subs.is_empty() {
            return Ok(());
        }
        let plaintext = payload(msg);
        let mut failures = Vec::new();
        for sub in &subs {
            match self.send(sub, plaintext.as_bytes(), msg).await {
                Ok(Outcome::Delivered) => {
                    subscription::Entity::update_many()
                        .col_expr(
                            subscription::Column::LastSuccessAt,
                            Expr::value(Some(Utc::now())),
                        )
                        .filter(subscription::Column::Id.eq(sub.id))
                        .exec(db)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(Outcome::Gone) => {
                    tracing::info!(
                        user_id = sub.user_id,
                        subscription = sub.id,
                        "push subscription expired or revoked; removed"
                    );
                    subscription::Entity::delete_by_id(sub.id)
                        .exec(db)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Err(e) => failures.push(e),
            }
        }
        // Any device still to reach makes the whole message retry (with backoff, then the
        // dead-letter list); devices already reached get the same tag and show it once.
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(title: &str, body: &str, priority: Priority) -> outbox::Model {
        let now = Utc::now();
        outbox::Model {
            id: 42,
            commune_code: "17071".into(),
            user_id: 1,
            channel: CHANNEL.into(),
            title: title.into(),
            body: body.into(),
            link: Some("/notices/7".into()),
            status: kernel::notify::PENDING.into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
            priority: priority.as_i16(),
            ref_kind: None,
            ref_id: None,
            text_key: None,
            text_args: None,
        }
    }

    #[test]
    fn payload_fields_and_size() {
        let p: serde_json::Value = serde_json::from_str(&payload(&msg(
            "Lũ quét",
            "Sơ tán ngay",
            Priority::Emergency,
        )))
        .unwrap();
        assert_eq!(p["title"], "Lũ quét");
        assert_eq!(p["body"], "Sơ tán ngay");
        assert_eq!(p["url"], "/notices/7");
        assert_eq!(p["priority"], "emergency");
        assert_eq!(p["tag"], "xaso-42");

        let long = payload(&msg(
            "Thông báo",
            &"Đường ngập. ".repeat(1000),
            Priority::Normal,
        ));
        assert!(long.len() <= MAX_PLAINTEXT, "{}", long.len());
        let p: serde_json::Value = serde_json::from_str(&long).unwrap();
        assert!(p["body"].as_str().unwrap().ends_with('…'));
        assert!(p["body"].as_str().unwrap().len() > 3000);

        let huge = payload(&msg(
            &"Tiêu đề ".repeat(1000),
            &"x".repeat(5000),
            Priority::High,
        ));
        assert!(huge.len() <= MAX_PLAINTEXT, "{}", huge.len());
        let p: serde_json::Value = serde_json::from_str(&huge).unwrap();
        assert_eq!(p["priority"], "high");
    }
}
