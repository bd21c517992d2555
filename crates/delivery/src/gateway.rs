//! SMS and Zalo OA messages through a commune's HTTP gateway: one POST per message with the
//! configured auth header, content type and body template (see [`GatewaySettings`]). A 2xx
//! answer is success; anything else, a network error or no answer within 10 s is a failure
//! the dispatcher retries.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use sea_orm::DatabaseConnection;

use crate::settings::{DeliverySettings, GatewaySettings};
use crate::template::{Vars, render_body, render_url};
use kernel::notify::{Channel, Delivery, Recipient, SMS, ZALO, outbox};

/// A gateway that has not answered within this time has failed.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a failed answer's body is kept in `last_error`.
const ERROR_BODY_CHARS: usize = 200;

/// The HTTP client every gateway call shares (keep-alive connections to each gateway).
pub fn client() -> reqwest::Client {
    builder().build().unwrap_or_default()
}

/// The client for a commune's own gateways: it dials public addresses only (see `guard`).
pub fn guarded_client() -> reqwest::Client {
    builder()
        .dns_resolver(std::sync::Arc::new(crate::guard::PublicOnly))
        // A proxy would resolve the gateway's name itself, past the resolver above.
        .no_proxy()
        .build()
        .unwrap_or_default()
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        // A redirect is not an acceptance of the message.
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
}

/// Sends one message through `g`; `Err` carries what goes into `last_error`.
pub async fn post(
    client: &reqwest::Client,
    g: &GatewaySettings,
    vars: &Vars<'_>,
) -> Result<(), String> {
    let url = render_url(g.url.trim(), vars);
    let body = render_body(&g.body, &g.content_type, vars);
    let mut req = client
        .post(&url)
        .header(
            CONTENT_TYPE,
            HeaderValue::from_str(g.content_type.trim())
                .map_err(|_| "gateway content type is invalid".to_owned())?,
        )
        .body(body);
    let header = g.auth_header.trim();
    if !header.is_empty() {
        let name = HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| "gateway auth header name is invalid".to_owned())?;
        let value = HeaderValue::from_str(&g.auth_value)
            .map_err(|_| "gateway auth header value is invalid".to_owned())?;
        req = req.header(name, value);
    }
    match req.send().await {
        Ok(res) if res.status().is_success() => Ok(()),
        Ok(res) => {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            let text: String = text.chars().take(ERROR_BODY_CHARS).collect();
            Err(format!("gateway answered {status}: {}", text.trim()))
        }
        Err(e) if e.is_timeout() => Err(format!(
            "gateway did not answer within {} s",
            TIMEOUT.as_secs()
        )),
        Err(e) => Err(format!("gateway unreachable: {}", error_chain(&e))),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The SMS or Zalo channel: the same gateway mechanics, different recipient address.
pub struct GatewayChannel {
    name: &'static str,
    settings: Arc<DeliverySettings>,
    client: reqwest::Client,
    guarded: reqwest::Client,
}

impl GatewayChannel {
    pub fn sms(settings: Arc<DeliverySettings>, client: reqwest::Client) -> Self {
        GatewayChannel {
            name: SMS,
            settings,
            client,
            guarded: guarded_client(),
        }
    }
    pub fn zalo(settings: Arc<DeliverySettings>, client: reqwest::Client) -> Self {
        GatewayChannel {
            name: ZALO,
            settings,
            client,
            guarded: guarded_client(),
        }
    }
}

#[async_trait::async_trait]
impl Channel for GatewayChannel {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn configured(&self, commune_code: &str) -> bool {
        match self.settings.for_commune(commune_code).await {
            Ok(e) => match self.name {
                SMS => e.sms.is_some(),
                _ => e.zalo.is_some(),
            },
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
        let (g, guarded) = match self.name {
            SMS => (eff.sms.as_ref(), eff.guarded.sms),
            _ => (eff.zalo.as_ref(), eff.guarded.zalo),
        };
        let Some(g) = g else {
            return Delivery::NotConfigured;
        };
        let (phone, zalo) = (to.phone.as_deref(), to.zalo_user_id.as_deref());
        match self.name {
            SMS if phone.is_none() => return Delivery::Unreachable("no phone number".into()),
            ZALO if zalo.is_none() => return Delivery::Unreachable("no Zalo user id".into()),
            _ => {}
        }
        let link = self.settings.absolute(msg.link.as_deref());
        let vars = Vars {
            phone: phone.unwrap_or_default(),
            title: &msg.title,
            text: &msg.body,
            link: &link,
            zalo_user_id: zalo.unwrap_or_default(),
        };
        if !guarded {
            return post(&self.client, g, &vars).await.into();
        }
        // The resolver only sees names; an address written in the URL is judged here.
        let host = reqwest::Url::parse(&render_url(g.url.trim(), &vars))
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        if host.is_none_or(|h| crate::guard::names_private_host(&h)) {
            return Delivery::Failed(
                "the commune's gateway is on this machine or a private network, which a \
                 commune's own settings may not use"
                    .into(),
            );
        }
        post(&self.guarded, g, &vars).await.into()
    }
}
