//! Sensors over MQTT: the platform subscribes, as a client of the commune's (or province's)
//! broker, to `<prefix>/<commune>/sensors/<device>` and stores what devices publish there.
//! Messages are gathered for up to 100 ms (or 2,000 readings) and stored in one transaction
//! per commune; a message that is not JSON, from a device nobody registered or with an
//! impossible value is logged and dropped, and the connection stays up.

use std::time::Duration;

use chrono::Utc;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};

use crate::actions::sensors::{Arrival, ingest};
use crate::sensors;

/// `[rooms.registry]`: where the broker is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://host:port`; no subscription when absent.
    pub mqtt: Option<String>,
    /// The topics' first level (default `xaso`).
    pub mqtt_prefix: Option<String>,
    /// The client id at the broker (default `xaso-<pid>`); a fixed id keeps QoS 1 messages
    /// the broker holds while the platform restarts.
    pub mqtt_client_id: Option<String>,
}

impl MqttConfig {
    /// (host, port) of `mqtt://host:port`.
    pub fn address(&self) -> anyhow::Result<Option<(String, u16)>> {
        let Some(url) = &self.mqtt else {
            return Ok(None);
        };
        let rest = url
            .strip_prefix("mqtt://")
            .ok_or_else(|| anyhow::anyhow!("[rooms.registry] mqtt must be mqtt://host:port"))?;
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "1883"));
        let port: u16 = port
            .trim_end_matches('/')
            .parse()
            .map_err(|_| anyhow::anyhow!("[rooms.registry] mqtt: bad port in {url}"))?;
        Ok(Some((host.to_owned(), port)))
    }

    pub fn prefix(&self) -> String {
        self.mqtt_prefix.clone().unwrap_or_else(|| "xaso".into())
    }
}

/// (commune, device) of `<prefix>/<commune>/sensors/<device>`.
pub fn topic_parts<'a>(prefix: &str, topic: &'a str) -> Option<(&'a str, &'a str)> {
    let mut it = topic.split('/');
    if it.next()? != prefix {
        return None;
    }
    let commune = it.next()?;
    if it.next()? != "sensors" {
        return None;
    }
    let device = it.next()?;
    (it.next().is_none() && commune.len() == 5 && commune.bytes().all(|b| b.is_ascii_digit()))
        .then_some((commune, device))
}

/// Readings stored at most this long after they arrive.
const GATHER: Duration = Duration::from_millis(100);
const GATHER_MAX: usize = 2000;

/// Subscribes and stores until `stop`; reconnects after a second whenever the broker goes.
pub async fn run(db: DatabaseConnection, conf: MqttConfig, mut stop: watch::Receiver<bool>) {
    let Ok(Some((host, port))) = conf.address() else {
        return;
    };
    let prefix = conf.prefix();
    let id = conf
        .mqtt_client_id
        .clone()
        .unwrap_or_else(|| format!("xaso-{}", std::process::id()));
    let mut opts = MqttOptions::new(id, host, port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_max_packet_size(256 * 1024, 256 * 1024);
    let (client, mut events) = AsyncClient::new(opts, 10_000);
    let topic = format!("{prefix}/+/sensors/+");
    let (tx, rx) = mpsc::channel::<(String, String, bytes::Bytes)>(50_000);
    let store = tokio::spawn(store_loop(db, rx, stop.clone()));
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            ev = events.poll() => match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    // Every (re)connection subscribes again: a clean session forgets.
                    if let Err(e) = client.try_subscribe(&topic, QoS::AtLeastOnce) {
                        tracing::warn!(error = %e, "mqtt: cannot subscribe");
                    } else {
                        tracing::info!(%topic, "mqtt: subscribed");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    match topic_parts(&prefix, &p.topic) {
                        Some((commune, device)) => {
                            let _ = tx.send((commune.to_owned(), device.to_owned(), p.payload)).await;
                        }
                        None => tracing::warn!(topic = %p.topic, "mqtt: not a sensor topic"),
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "mqtt: connection lost, retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stop.changed() => break,
                    }
                }
            }
        }
    }
    let _ = client.try_disconnect();
    drop(tx);
    let _ = store.await;
}

async fn store_loop(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<(String, String, bytes::Bytes)>,
    stop: watch::Receiver<bool>,
) {
    let mut batch: Vec<Arrival> = Vec::new();
    let mut count = 0usize;
    loop {
        let first = tokio::select! {
            m = rx.recv() => m,
            _ = tokio::time::sleep(GATHER), if count > 0 => None,
        };
        let closed = first.is_none() && rx.is_closed();
        if let Some(m) = first {
            add(&mut batch, &mut count, m);
            let deadline = tokio::time::Instant::now() + GATHER;
            while count < GATHER_MAX {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(m)) => add(&mut batch, &mut count, m),
                    _ => break,
                }
            }
        }
        if !batch.is_empty() {
            let arrivals = std::mem::take(&mut batch);
            count = 0;
            match ingest(&db, arrivals).await {
                Ok(r) if r.unknown_device + r.out_of_range > 0 => tracing::warn!(
                    stored = r.stored,
                    unknown_device = r.unknown_device,
                    out_of_range = r.out_of_range,
                    "mqtt: readings refused"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = ?kernel::error::AppError::from(e), "mqtt: cannot store readings")
                }
            }
        }
        if closed || (*stop.borrow() && rx.is_empty()) {
            return;
        }
    }
}

fn add(
    batch: &mut Vec<Arrival>,
    count: &mut usize,
    (commune, device, payload): (String, String, bytes::Bytes),
) {
    match sensors::parse(&payload, Utc::now()) {
        Ok(readings) => {
            *count += readings.len();
            batch.push(Arrival {
                commune,
                device,
                readings,
            });
        }
        Err(bad) => tracing::warn!(%commune, %device, ?bad, "mqtt: message refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_addresses_are_read() {
        assert_eq!(
            topic_parts("xaso", "xaso/17071/sensors/wl-1"),
            Some(("17071", "wl-1"))
        );
        assert_eq!(topic_parts("xaso", "xaso/17071/sensors"), None);
        assert_eq!(topic_parts("xaso", "xaso/1707/sensors/a"), None);
        assert_eq!(topic_parts("xaso", "other/17071/sensors/a"), None);
        assert_eq!(topic_parts("xaso", "xaso/17071/sensors/a/b"), None);
        let c = MqttConfig {
            mqtt: Some("mqtt://127.0.0.1:1883".into()),
            ..Default::default()
        };
        assert_eq!(c.address().unwrap(), Some(("127.0.0.1".into(), 1883)));
        let bad = MqttConfig {
            mqtt: Some("http://x".into()),
            ..Default::default()
        };
        assert!(bad.address().is_err());
    }
}
