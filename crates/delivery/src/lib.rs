//! Delivery to phones and mail boxes: email over SMTP, SMS and Zalo OA through HTTP gateways,
//! Web Push (RFC 8291 encryption, RFC 8292 VAPID), the guard that keeps a commune's own gateways
//! off private networks, each commune's channel settings and the delivery desk where officials
//! see what was delivered and retry what was not.
//!
//! The kernel keeps the outbox, the inbox, people's preferences, the `Channel` trait and the
//! dispatcher; this room gives the dispatcher its outside channels at start-up.

pub mod desk;
pub mod gateway;
pub mod guard;
mod push_web;
pub mod settings;
pub mod smtp;
pub mod template;
pub mod webpush;

use std::sync::{Arc, Mutex};

use axum::{Extension, Router};
use kernel::accounts::access::OVERSEERS;
use kernel::config::Config;
use kernel::notify::Channel;
use kernel::room::{BoxFuture, Group, Nav, OfficeLink, Room, Texts};
use kernel::web::AppState;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use crate::settings::{DeliverySettings, GatewaySettings, SmtpSettings};

pub const I18N_VI: &str = include_str!("../i18n/vi.txt");
pub const I18N_EN: &str = include_str!("../i18n/en.txt");

/// The deployment's delivery settings, `[rooms.delivery]` in the configuration file.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Outgoing email for notifications (`[rooms.delivery.smtp]`); communes may set their own.
    /// Without any, email waits in the outbox until one is configured.
    pub smtp: Option<SmtpSettings>,
    /// The SMS gateway (`[rooms.delivery.sms]`): URL, auth header, content type and body
    /// template.
    pub sms: Option<GatewaySettings>,
    /// The Zalo OA gateway (`[rooms.delivery.zalo]`), configured like `sms`.
    pub zalo: Option<GatewaySettings>,
    /// Communes' own SMTP servers and SMS/Zalo gateways may be on this machine or a private
    /// network. Off by default, so a commune admin cannot make the server call into its own
    /// network (see [`guard`]); the deployment's own gateways above may always.
    pub allow_private_commune_gateways: bool,
}

impl DeliveryConfig {
    /// This configuration as the `[rooms.delivery]` section of a [`Config`].
    pub fn into_section(self) -> toml::Value {
        toml::Value::try_from(self).expect("the delivery settings serialise to TOML")
    }
}

/// The delivery room. Its settings are read by `configure` and its channels built by
/// `channels`, both before the platform serves.
#[derive(Default)]
pub struct DeliveryRoom {
    config: Mutex<DeliveryConfig>,
    settings: Mutex<Option<Arc<DeliverySettings>>>,
}

impl DeliveryRoom {
    /// The channel settings the desk reads, once `channels` has run.
    pub fn settings(&self) -> Arc<DeliverySettings> {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| Arc::new(DeliverySettings::none()))
    }
}

impl Room for DeliveryRoom {
    fn key(&self) -> &'static str {
        "delivery"
    }

    fn texts(&self) -> Vec<Texts> {
        vec![Texts {
            vi: I18N_VI,
            en: I18N_EN,
        }]
    }

    fn nav(&self) -> Nav {
        Nav {
            office: vec![OfficeLink {
                label: "dl.nav",
                path: "delivery",
                roles: OVERSEERS,
                group: Group::Settings,
                icon: "send",
            }],
            admin: vec![],
            ..Nav::default()
        }
    }

    fn configure(&self, section: Option<&toml::Value>) -> anyhow::Result<()> {
        let parsed = match section {
            None => DeliveryConfig::default(),
            Some(v) => v
                .clone()
                .try_into()
                .map_err(|e| anyhow::anyhow!("[rooms.delivery]: {e}"))?,
        };
        *self.config.lock().unwrap_or_else(|e| e.into_inner()) = parsed;
        Ok(())
    }

    fn channels<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        config: &'a Config,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Box<dyn Channel>>>> {
        Box::pin(async move {
            let own = self
                .config
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let settings = Arc::new(DeliverySettings::new(db.clone(), config, &own));
            *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = Some(settings.clone());
            let client = gateway::client();
            Ok(vec![
                Box::new(smtp::EmailChannel::new(settings.clone())) as Box<dyn Channel>,
                Box::new(gateway::GatewayChannel::sms(
                    settings.clone(),
                    client.clone(),
                )),
                Box::new(gateway::GatewayChannel::zalo(settings, client)),
                Box::new(webpush::WebPushChannel::load(db, config).await?),
            ])
        })
    }

    fn router(&self) -> Router<AppState> {
        desk::router()
            .merge(push_web::router())
            .layer(Extension(self.settings()))
    }

    fn api_doc(&self) -> Option<utoipa::openapi::OpenApi> {
        use utoipa::OpenApi;
        let mut doc = desk::DeliveryApi::openapi();
        doc.merge(push_web::PushApi::openapi());
        Some(doc)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogues_have_the_same_keys() {
        let missing = kernel::i18n::missing_keys(super::I18N_VI, super::I18N_EN);
        assert!(missing.is_empty(), "{missing:?}");
    }
}
