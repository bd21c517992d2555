//! Notification email over SMTP (lettre): a UTF-8 plain-text message whose Vietnamese subject
//! is RFC 2047 encoded, with the link to open and where to change one's preferences.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::DatabaseConnection;

use crate::settings::{DeliverySettings, SmtpSecurity, SmtpSettings};
use kernel::i18n::{Locale, t};
use kernel::notify::{Channel, Delivery, EMAIL, Recipient, outbox};

/// Each SMTP command must be answered within this time.
pub const TIMEOUT: Duration = Duration::from_secs(10);

type Transport = AsyncSmtpTransport<Tokio1Executor>;

pub struct EmailChannel {
    settings: Arc<DeliverySettings>,
    /// Transports by settings, so TLS parameters are built once per server, not per message.
    transports: Mutex<HashMap<String, Arc<Transport>>>,
}

impl EmailChannel {
    pub fn new(settings: Arc<DeliverySettings>) -> Self {
        EmailChannel {
            settings,
            transports: Mutex::new(HashMap::new()),
        }
    }

    /// A transport to `s` dialling `dial`, while TLS still checks the certificate against
    /// the configured host name.
    fn transport(&self, s: &SmtpSettings, dial: SocketAddr) -> Result<Arc<Transport>, String> {
        let mut key = serde_json::to_string(s).map_err(|e| e.to_string())?;
        key.push_str(&format!("@{dial}"));
        let mut map = self.transports.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = map.get(&key) {
            return Ok(t.clone());
        }
        let host = s.host.trim();
        let tls = match s.security {
            SmtpSecurity::Plain => Tls::None,
            sec => {
                let params = TlsParameters::new(host.to_owned())
                    .map_err(|e| format!("SMTP TLS setup: {e}"))?;
                if sec == SmtpSecurity::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut b = Transport::builder_dangerous(dial.ip().to_string())
            .port(dial.port())
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let Some(h) = hello_name(self.settings.public_url()) {
            // RFC 5321: an address is introduced as a literal, a name as a domain.
            b = b.hello_name(match h.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(a)) => ClientId::Ipv4(a),
                Ok(std::net::IpAddr::V6(a)) => ClientId::Ipv6(a),
                Err(_) => ClientId::Domain(h),
            });
        }
        if !s.username.is_empty() {
            b = b.credentials(Credentials::new(s.username.clone(), s.password.clone()));
        }
        let t = Arc::new(b.build());
        // Settings change rarely; an unbounded map would only grow through many edits.
        if map.len() > 64 {
            map.clear();
        }
        map.insert(key, t.clone());
        Ok(t)
    }

    /// Sends through the first of `addrs` that takes the message, in turn: a server with
    /// several addresses still gets the mail when one of them is down or unreachable (an IPv6
    /// address on an IPv4-only network). A permanent refusal (5xx) is the server's answer, the
    /// same at every address, so it ends the attempt.
    pub async fn send_in_turn(
        &self,
        s: &SmtpSettings,
        addrs: &[SocketAddr],
        email: &Message,
    ) -> Delivery {
        let mut failures = Vec::new();
        for &addr in addrs {
            let transport = match self.transport(s, addr) {
                Ok(t) => t,
                Err(e) => return Delivery::Failed(e),
            };
            match transport.send(email.clone()).await {
                Ok(_) => return Delivery::Sent,
                Err(e) if e.is_permanent() => {
                    return Delivery::Failed(format!("SMTP at {addr}: {e}"));
                }
                Err(e) if e.is_timeout() => {
                    failures.push(format!("{addr}: no answer within {} s", TIMEOUT.as_secs()))
                }
                Err(e) => failures.push(format!("{addr}: {e}")),
            }
        }
        if failures.is_empty() {
            return Delivery::Failed(format!("SMTP: {} has no address", s.host.trim()));
        }
        Delivery::Failed(format!("SMTP: {}", failures.join("; ")))
    }
}

/// Every address of the SMTP server, in the resolver's order; for a commune's own server
/// (`guarded`) its public addresses only, each judged by the guard before it is dialled, so
/// a name that later resolves to this machine is never followed.
pub async fn addresses(host: &str, port: u16, guarded: bool) -> Result<Vec<SocketAddr>, String> {
    if guarded {
        return crate::guard::resolve_public(host, port).await;
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    Ok(tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect())
}

/// The host of the public URL, to introduce ourselves with in EHLO.
fn hello_name(public_url: &str) -> Option<String> {
    let rest = public_url.split("://").nth(1)?;
    let host = rest.split(['/', ':']).next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

/// The message text: the body, the link to open, and where to turn email off.
pub fn compose_text(locale: Locale, body: &str, link: &str, prefs_link: &str) -> String {
    let mut s = String::with_capacity(body.len() + 200);
    s.push_str(body.trim_end());
    if !link.is_empty() {
        s.push_str("\n\n");
        s.push_str(t(locale, "email.open"));
        s.push_str(": ");
        s.push_str(link);
    }
    s.push_str("\n\n-- \n");
    s.push_str(t(locale, "email.footer"));
    s.push_str(": ");
    s.push_str(prefs_link);
    s.push('\n');
    s
}

pub fn build_message(
    from: &str,
    to: &Recipient,
    subject: &str,
    text: String,
) -> Result<Message, Delivery> {
    let from: Mailbox = from
        .trim()
        .parse()
        .map_err(|e| Delivery::Failed(format!("SMTP sender address is invalid: {e}")))?;
    let addr = to
        .email
        .as_deref()
        .ok_or_else(|| Delivery::Unreachable("no email address".into()))?;
    let addr = addr
        .trim()
        .parse()
        .map_err(|_| Delivery::Unreachable(format!("email address {addr} is invalid")))?;
    let name = Some(to.full_name.clone()).filter(|n| !n.trim().is_empty());
    Message::builder()
        .from(from)
        .to(Mailbox::new(name, addr))
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| Delivery::Failed(format!("building the email: {e}")))
}

#[async_trait::async_trait]
impl Channel for EmailChannel {
    fn name(&self) -> &'static str {
        EMAIL
    }

    async fn configured(&self, commune_code: &str) -> bool {
        match self.settings.for_commune(commune_code).await {
            Ok(e) => e.smtp.is_some(),
            Err(_) => true,
        }
    }

    async fn deliver(&self, db: &DatabaseConnection, msg: &outbox::Model) -> Result<(), String> {
        let to = Recipient::load(db, msg.user_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("recipient not found")?;
        self.deliver_to(db, msg, &to).await.into_result()
    }

    async fn deliver_to(
        &self,
        _: &DatabaseConnection,
        msg: &outbox::Model,
        to: &Recipient,
    ) -> Delivery {
        let eff = match self.settings.for_commune(&msg.commune_code).await {
            Ok(e) => e,
            Err(e) => return Delivery::Failed(e),
        };
        let Some(s) = eff.smtp.as_ref() else {
            return Delivery::NotConfigured;
        };
        let link = match msg.link.as_deref() {
            Some(l) => self.settings.absolute(Some(l)),
            None => String::new(),
        };
        let prefs = self.settings.absolute(Some("/me/notifications"));
        let text = compose_text(to.locale, &msg.body, &link, &prefs);
        let email = match build_message(&s.from, to, &msg.title, text) {
            Ok(m) => m,
            Err(o) => return o,
        };
        let addrs = match addresses(s.host.trim(), s.port, eff.guarded.smtp).await {
            Ok(a) => a,
            Err(e) => return Delivery::Failed(e),
        };
        self.send_in_turn(s, &addrs, &email).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: Option<&str>) -> Recipient {
        Recipient {
            user_id: 1,
            full_name: "Hoàng Văn Em".into(),
            locale: Locale::Vi,
            phone: None,
            email: email.map(str::to_owned),
            zalo_user_id: None,
            quiet: None,
        }
    }

    #[test]
    fn subject_is_encoded_and_body_is_utf8() {
        let text = compose_text(
            Locale::Vi,
            "Thứ Bảy tiêm chủng",
            "https://x.vn/c/1",
            "https://x.vn/me/notifications",
        );
        assert!(text.contains("https://x.vn/c/1"));
        let m = build_message(
            "Xã Minh Hợp <thongbao@minhhop.example>",
            &person(Some("em@example.vn")),
            "Lịch tiêm chủng tháng Mười",
            text,
        )
        .ok()
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        let subject = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.contains("=?utf-8?"), "{subject}");
        assert!(subject.is_ascii());
        assert!(raw.contains("charset=utf-8"));
    }

    #[test]
    fn missing_or_bad_addresses_are_unreachable() {
        for to in [person(None), person(Some("not an address"))] {
            match build_message("a@b.vn", &to, "x", "y".into()) {
                Err(Delivery::Unreachable(_)) => {}
                _ => panic!("expected unreachable"),
            }
        }
    }

    #[test]
    fn hello_name_is_the_public_host() {
        assert_eq!(
            hello_name("https://minhhop.gov.vn/").as_deref(),
            Some("minhhop.gov.vn")
        );
        assert_eq!(
            hello_name("http://127.0.0.1:8080").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(hello_name(""), None);
    }
}
