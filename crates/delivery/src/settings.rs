//! Where messages leave the platform: the deployment's SMTP server and SMS/Zalo gateways
//! (`[smtp]`, `[sms]`, `[zalo]` in the config file), each replaceable per commune by its admin
//! (JSON in `system_setting` under `delivery.commune.<code>`).
//!
//! A channel configured nowhere keeps its messages pending (retried hourly without counting an
//! attempt), so nothing is lost when the admin configures it later.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use kernel::config::Config;
use kernel::error::{AppError, AppResult};
use kernel::tenancy::entity::setting;

use crate::guard;

/// How long a commune's resolved settings are reused; other processes see a change this late.
const CACHE_TTL: Duration = Duration::from_secs(15);
/// Each commune's resolved settings, with the generation and time they were read at.
type Resolved = HashMap<String, (u64, Instant, Arc<Effective>)>;
/// The `kernel::cache` kind of a commune's delivery settings.
const SETTINGS: &str = "delivery_settings";
/// Longest body template accepted.
const TEMPLATE_MAX: usize = 4000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    #[serde(rename = "none")]
    Plain,
}

impl SmtpSecurity {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "starttls" => Some(Self::Starttls),
            "tls" => Some(Self::Tls),
            "none" => Some(Self::Plain),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starttls => "starttls",
            Self::Tls => "tls",
            Self::Plain => "none",
        }
    }
}

fn default_smtp_port() -> u16 {
    587
}

/// An SMTP server to send notification email through.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: String,
    /// Secret: never shown back in full.
    #[serde(default)]
    pub password: String,
    /// Sender, e.g. `Xã Minh Hợp <thongbao@minhhop.gov.vn>`.
    pub from: String,
}

fn default_content_type() -> String {
    "application/json".into()
}

/// An HTTP gateway (SMS provider, Zalo OA relay): one POST per message.
///
/// `url` and `body` may contain `{phone}` (E.164, `+84…`), `{title}`, `{text}` (the message
/// body), `{link}` (absolute URL) and `{zalo_user_id}`; values are JSON-escaped in a JSON
/// body, percent-encoded in a form body and in the URL.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    pub url: String,
    /// Header carrying the credential, e.g. `Authorization` or `X-Api-Key`; empty for none.
    #[serde(default)]
    pub auth_header: String,
    /// Secret: never shown back in full.
    #[serde(default)]
    pub auth_value: String,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    pub body: String,
}

/// Secrets are masked so a config dump or a log line never shows them.
impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &mask(&self.password))
            .field("from", &self.from)
            .finish()
    }
}

impl fmt::Debug for GatewaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewaySettings")
            .field("url", &self.url)
            .field("auth_header", &self.auth_header)
            .field("auth_value", &mask(&self.auth_value))
            .field("content_type", &self.content_type)
            .field("body", &self.body)
            .finish()
    }
}

/// A secret as shown to people: dots, and the last two characters of a long one so an admin
/// can tell which key is in place.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    match n {
        0 => String::new(),
        1..=9 => "••••••".into(),
        _ => {
            let tail: String = secret.chars().skip(n - 2).collect();
            format!("••••••{tail}")
        }
    }
}

/// Which form field an error belongs to, per channel (`&'static` because errors carry it).
fn field(channel: &str, name: &str) -> &'static str {
    match (channel, name) {
        ("sms", "url") => "sms_url",
        ("sms", "auth_header") => "sms_auth_header",
        ("sms", "auth_value") => "sms_auth_value",
        ("sms", "content_type") => "sms_content_type",
        ("sms", _) => "sms_body",
        (_, "url") => "zalo_url",
        (_, "auth_header") => "zalo_auth_header",
        (_, "auth_value") => "zalo_auth_value",
        (_, "content_type") => "zalo_content_type",
        _ => "zalo_body",
    }
}

impl SmtpSettings {
    pub fn validate(&self) -> AppResult<()> {
        let host = self.host.trim();
        if host.is_empty()
            || host.len() > 253
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        {
            return Err(AppError::invalid("smtp_host_invalid", "smtp_host"));
        }
        if self.port == 0 {
            return Err(AppError::invalid("smtp_port_invalid", "smtp_port"));
        }
        if self
            .from
            .trim()
            .parse::<lettre::message::Mailbox>()
            .is_err()
        {
            return Err(AppError::invalid("smtp_from_invalid", "smtp_from"));
        }
        if self.username.len() > 256 || self.password.len() > 256 {
            return Err(AppError::invalid("text_too_long", "smtp_username"));
        }
        Ok(())
    }
}

impl GatewaySettings {
    /// Checks the settings as the gateway would meet them: the URL and body rendered with
    /// sample values must be a valid URL and, for a JSON content type, valid JSON.
    pub fn validate(&self, channel: &str) -> AppResult<()> {
        use crate::template::{Escape, Vars, render_body, render_url};
        let sample = Vars {
            phone: "+84912345678",
            title: "Thông báo \"mẫu\"",
            text: "Nội dung & ký tự đặc biệt\n{}",
            link: "https://xaso.example/c/17071?a=1&b=2",
            zalo_user_id: "1234567890",
        };
        let url = self.url.trim();
        let rendered = render_url(url, &sample);
        let ok_url = (url.starts_with("http://") || url.starts_with("https://"))
            && reqwest::Url::parse(&rendered).is_ok_and(|u| u.host_str().is_some());
        if !ok_url {
            return Err(AppError::invalid(
                "gateway_url_invalid",
                field(channel, "url"),
            ));
        }
        let header = self.auth_header.trim();
        if !header.is_empty() {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(AppError::invalid(
                    "gateway_header_invalid",
                    field(channel, "auth_header"),
                ));
            }
            if reqwest::header::HeaderValue::from_str(&self.auth_value).is_err() {
                return Err(AppError::invalid(
                    "gateway_header_invalid",
                    field(channel, "auth_value"),
                ));
            }
        }
        let ct = self.content_type.trim();
        if ct.is_empty() || reqwest::header::HeaderValue::from_str(ct).is_err() || ct.len() > 200 {
            return Err(AppError::invalid(
                "gateway_content_type_invalid",
                field(channel, "content_type"),
            ));
        }
        if self.body.trim().is_empty() || self.body.chars().count() > TEMPLATE_MAX {
            return Err(AppError::invalid(
                "gateway_template_invalid",
                field(channel, "body"),
            ));
        }
        if Escape::for_content_type(ct) == Escape::Json
            && serde_json::from_str::<serde_json::Value>(&render_body(&self.body, ct, &sample))
                .is_err()
        {
            return Err(AppError::invalid(
                "gateway_template_json",
                field(channel, "body"),
            ));
        }
        Ok(())
    }
}

/// Settings for the three outside channels; `None` means "not set here".
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ChannelSettings {
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    #[serde(default)]
    pub sms: Option<GatewaySettings>,
    #[serde(default)]
    pub zalo: Option<GatewaySettings>,
}

impl ChannelSettings {
    pub fn validate(&self) -> AppResult<()> {
        if let Some(s) = &self.smtp {
            s.validate()?;
        }
        if let Some(g) = &self.sms {
            g.validate("sms")?;
        }
        if let Some(g) = &self.zalo {
            g.validate("zalo")?;
        }
        Ok(())
    }

    /// A commune's own settings may not name this machine or a private network unless the
    /// deployment allows it (`guard` says why); names are checked again when resolved.
    pub fn check_commune_hosts(&self, private_ok: bool) -> AppResult<()> {
        if private_ok {
            return Ok(());
        }
        let refuse = |field| Err(AppError::invalid("gateway_host_private", field));
        if let Some(s) = &self.smtp {
            if guard::names_private_host(&s.host) {
                return refuse("smtp_host");
            }
            // A public server without TLS would carry the password across the internet.
            if s.security == SmtpSecurity::Plain {
                return Err(AppError::invalid("smtp_plain_commune", "smtp_security"));
            }
        }
        for (channel, g) in [("sms", &self.sms), ("zalo", &self.zalo)] {
            let Some(g) = g else { continue };
            let host = reqwest::Url::parse(g.url.trim())
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned));
            if host.is_some_and(|h| guard::names_private_host(&h)) {
                return refuse(field(channel, "url"));
            }
        }
        Ok(())
    }
}

/// What a commune's messages use: its own settings where it has them, else the deployment's.
#[derive(Clone, Debug, Default)]
pub struct Effective {
    pub smtp: Option<SmtpSettings>,
    pub sms: Option<GatewaySettings>,
    pub zalo: Option<GatewaySettings>,
    /// Which of them are the commune's own and must reach public addresses only.
    pub guarded: Guarded,
}

/// Per channel: true when its settings came from the commune and the deployment does not
/// allow private addresses for communes (see [`guard`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guarded {
    pub smtp: bool,
    pub sms: bool,
    pub zalo: bool,
}

fn key(code: &str) -> String {
    format!("delivery.commune.{code}")
}

/// A commune's own settings (empty when it has none).
pub async fn commune_overrides(
    db: &impl ConnectionTrait,
    code: &str,
) -> AppResult<ChannelSettings> {
    match setting::Entity::find_by_id(key(code)).one(db).await? {
        Some(s) => serde_json::from_str(&s.value).map_err(AppError::internal),
        None => Ok(ChannelSettings::default()),
    }
}

/// Replaces a commune's own settings; call inside the transaction that audits the change.
pub async fn save_commune_overrides(
    db: &impl ConnectionTrait,
    code: &str,
    s: &ChannelSettings,
) -> AppResult<()> {
    s.validate()?;
    let value = serde_json::to_string(s).map_err(AppError::internal)?;
    let am = setting::ActiveModel {
        key: Set(key(code)),
        value: Set(value),
    };
    if setting::Entity::find_by_id(key(code))
        .one(db)
        .await?
        .is_some()
    {
        am.update(db).await?;
    } else {
        am.insert(db).await?;
    }
    Ok(())
}

/// The deployment's settings plus a short-lived cache of each commune's resolved ones.
pub struct DeliverySettings {
    db: Option<DatabaseConnection>,
    defaults: ChannelSettings,
    public_url: String,
    /// `allow_private_commune_gateways` from the config.
    private_ok: bool,
    cache: Mutex<Resolved>,
}

impl DeliverySettings {
    pub fn new(db: DatabaseConnection, config: &Config, own: &crate::DeliveryConfig) -> Self {
        DeliverySettings {
            db: Some(db),
            defaults: ChannelSettings {
                smtp: own.smtp.clone(),
                sms: own.sms.clone(),
                zalo: own.zalo.clone(),
            },
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            private_ok: own.allow_private_commune_gateways,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether communes' own gateways may be on this machine or a private network.
    pub fn private_ok(&self) -> bool {
        self.private_ok
    }

    /// No outside channel configured and no database to read overrides from.
    pub fn none() -> Self {
        DeliverySettings {
            db: None,
            defaults: ChannelSettings::default(),
            public_url: String::new(),
            private_ok: false,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn defaults(&self) -> &ChannelSettings {
        &self.defaults
    }

    /// A link as it must appear outside the site: absolute when the public URL is known.
    pub fn absolute(&self, link: Option<&str>) -> String {
        match link {
            Some(l) if l.starts_with('/') => format!("{}{l}", self.public_url),
            Some(l) => l.to_owned(),
            None => self.public_url.clone(),
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The settings a commune's messages go out with.
    pub async fn for_commune(&self, code: &str) -> Result<Arc<Effective>, String> {
        let generation = kernel::cache::generation(SETTINGS, code);
        if let Some((g, at, e)) = self.lock().get(code)
            && *g == generation
            && at.elapsed() < CACHE_TTL
        {
            return Ok(e.clone());
        }
        let own = match &self.db {
            Some(db) => commune_overrides(db, code)
                .await
                .map_err(|e| format!("reading delivery settings: {e}"))?,
            None => ChannelSettings::default(),
        };
        let guard = !self.private_ok;
        let guarded = Guarded {
            smtp: guard && own.smtp.is_some(),
            sms: guard && own.sms.is_some(),
            zalo: guard && own.zalo.is_some(),
        };
        let e = Arc::new(Effective {
            guarded,
            smtp: own.smtp.or_else(|| self.defaults.smtp.clone()),
            sms: own.sms.or_else(|| self.defaults.sms.clone()),
            zalo: own.zalo.or_else(|| self.defaults.zalo.clone()),
        });
        self.lock()
            .insert(code.to_owned(), (generation, Instant::now(), e.clone()));
        Ok(e)
    }

    /// Forget a commune's resolved settings after its admin changed them, in every process.
    pub fn invalidate(&self, code: &str) {
        kernel::cache::changed(SETTINGS, code);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Resolved> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(body: &str, ct: &str) -> GatewaySettings {
        GatewaySettings {
            url: "https://sms.example/send?to={phone}".into(),
            auth_header: "Authorization".into(),
            auth_value: "Bearer abcdefghijkl".into(),
            content_type: ct.into(),
            body: body.into(),
        }
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask(""), "");
        assert_eq!(mask("short"), "••••••");
        assert_eq!(mask("Bearer abcdefghijkl"), "••••••kl");
        let dbg = format!("{:?}", gateway("{}", "application/json"));
        assert!(!dbg.contains("abcdefghijkl"), "{dbg}");
    }

    #[test]
    fn gateway_settings_are_checked_as_sent() {
        let ok = gateway(
            r#"{"to":"{phone}","text":"{title}: {text} {link}"}"#,
            "application/json",
        );
        assert!(ok.validate("sms").is_ok());
        let e = gateway(r#"{"to":{phone}}"#, "application/json")
            .validate("sms")
            .unwrap_err();
        assert_eq!(
            (e.code, e.field),
            ("gateway_template_json", Some("sms_body"))
        );
        let form = gateway(
            "to={phone}&text={text}",
            "application/x-www-form-urlencoded",
        );
        assert!(form.validate("zalo").is_ok());
        let mut bad = ok.clone();
        bad.url = "ftp://sms.example".into();
        assert_eq!(bad.validate("zalo").unwrap_err().field, Some("zalo_url"));
        let mut bad = ok.clone();
        bad.auth_header = "Bad Header".into();
        assert_eq!(
            bad.validate("sms").unwrap_err().code,
            "gateway_header_invalid"
        );
    }

    #[test]
    fn smtp_settings_are_checked() {
        let s = SmtpSettings {
            host: "mail.example".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: String::new(),
            password: String::new(),
            from: "Xã Minh Hợp <thongbao@minhhop.example>".into(),
        };
        assert!(s.validate().is_ok());
        let bad = SmtpSettings {
            from: "không phải địa chỉ".into(),
            ..s.clone()
        };
        assert_eq!(bad.validate().unwrap_err().code, "smtp_from_invalid");
        let bad = SmtpSettings {
            host: "mail example".into(),
            ..s
        };
        assert_eq!(bad.validate().unwrap_err().code, "smtp_host_invalid");
    }

    #[test]
    fn config_sections_parse() {
        use kernel::room::Room;
        let c: Config = toml::from_str(
            "[rooms.delivery.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\nfrom = \"Xã Số <a@b.vn>\"\n[rooms.delivery.sms]\nurl = \"http://127.0.0.1:9/sms\"\nbody = \"{}\"\n[rate_limits]\nsms = 5\n",
        )
        .unwrap();
        let own: crate::DeliveryConfig = c.rooms["delivery"].clone().try_into().unwrap();
        let smtp = own.smtp.unwrap();
        assert_eq!((smtp.port, smtp.security), (2525, SmtpSecurity::Plain));
        assert_eq!(own.sms.unwrap().content_type, "application/json");
        assert_eq!(c.rate_limits["sms"], 5.0);
        let typo: Config =
            toml::from_str("[rooms.delivery.sms]\nurl = \"x\"\nbody = \"\"\nmethod = \"GET\"\n")
                .unwrap();
        let err = crate::DeliveryRoom::default()
            .configure(typo.rooms.get("delivery"))
            .unwrap_err();
        assert!(err.to_string().contains("method"), "{err}");
    }
}
