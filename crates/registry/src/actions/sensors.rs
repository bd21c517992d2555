//! Use cases of sensors: an official registers one (its device token shown once), readings
//! arrive from devices (HTTP with the token, or MQTT through the local broker) and are stored
//! with their roll-ups, a value past a threshold opens an alert and tells the commune's
//! officials (who may then send an emergency notice), a device that stops reporting is
//! flagged, and anyone reads the series (water levels and rain are everyone's business).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kernel::accounts::{CurrentUser, Role};
use kernel::actions::Kernel;
use kernel::audit;
use kernel::notify;
use kernel::tenancy::CommuneInfo;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use sha2::{Digest, Sha256};

use super::access::{editor, reader};
use super::{ActionResult, Refusal};
use crate::entity::sensor;
use crate::sensors::{self, Kind, Reading};
use crate::store_sensors as store;

/// What registering a sensor needs.
pub struct NewSensor {
    pub device: String,
    pub name: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub alert_above: Option<f64>,
    pub alert_below: Option<f64>,
    /// Minutes without a reading before the device is flagged (default 60).
    pub silent_after_min: Option<i32>,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Use case: an official registers a sensor; answers it and its device token (kept only as a
/// hash: shown this once). Audited.
pub async fn register(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
    s: NewSensor,
) -> ActionResult<(sensor::Model, String)> {
    let u = editor(actor, c)?;
    let device = s.device.trim().to_owned();
    if !crate::model::code_ok(&device) {
        return Err(Refusal::SensorDeviceInvalid.at("device"));
    }
    let name = s.name.trim().to_owned();
    if !(1..=120).contains(&name.chars().count()) {
        return Err(Refusal::SensorNameInvalid.at("name"));
    }
    let kind = Kind::parse(&s.kind).ok_or(Refusal::SensorKindUnknown.at("kind"))?;
    let area = kernel::tenancy::area::area(k.db, &c.code).await?;
    let rules = crate::columns::RowRules::new(&[], area.clone(), 2100, &[]);
    if !rules.inside(s.lat, s.lon) {
        return Err(Refusal::HouseholdLocationOutside.at("lat"));
    }
    let (lo, hi) = kind.range();
    for t in [s.alert_above, s.alert_below].into_iter().flatten() {
        if !(lo..=hi).contains(&t) {
            return Err(Refusal::SensorThresholdInvalid.at("alert_above"));
        }
    }
    let silent = s.silent_after_min.unwrap_or(60);
    if !(5..=10_080).contains(&silent) {
        return Err(Refusal::SensorSilentInvalid.at("silent_after_min"));
    }
    if !store::by_devices(k.db, &c.code, &[&device])
        .await?
        .is_empty()
    {
        return Err(Refusal::SensorExists.at("device"));
    }
    let token = kernel::accounts::random_token(24);
    let txn = kernel::db::begin_write(k.db).await?;
    let row = sensor::ActiveModel {
        commune_code: Set(c.code.clone()),
        device: Set(device),
        name: Set(name),
        kind: Set(kind.as_str().into()),
        village_id: Set(area.village_at(s.lat, s.lon)),
        lat: Set(s.lat),
        lon: Set(s.lon),
        alert_above: Set(s.alert_above),
        alert_below: Set(s.alert_below),
        token_hash: Set(token_hash(&token)),
        silent_after_min: Set(silent),
        last_value: Set(None),
        last_at: Set(None),
        state: Set("new".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry::in_commune(u, c, "sensor.register", "sensor", row.id, row.name.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok((row, token))
}

/// Use case: the commune's sensors with their latest values (anyone: public data).
pub async fn list(k: Kernel<'_>, c: &CommuneInfo) -> ActionResult<Vec<sensor::Model>> {
    Ok(store::all(k.db, &c.code).await?)
}

/// Use case: a sensor's series (`raw`, `hour` or `day`) from `from` on.
pub async fn series(
    k: Kernel<'_>,
    c: &CommuneInfo,
    device: &str,
    resolution: &str,
    from: DateTime<Utc>,
) -> ActionResult<(sensor::Model, Vec<(DateTime<Utc>, i64, f64, f64, f64)>)> {
    if !["raw", "hour", "day"].contains(&resolution) {
        return Err(Refusal::SensorResolutionUnknown.at("resolution"));
    }
    let s = store::by_devices(k.db, &c.code, &[device])
        .await?
        .remove(device)
        .ok_or(Refusal::SensorUnknown)?;
    // The period that holds `from` counts whole.
    let (hour, day) = sensors::buckets(from);
    let from = match resolution {
        "hour" => hour,
        "day" => day,
        _ => from,
    };
    let points = store::series(k.db, &c.code, s.id, resolution, from).await?;
    Ok((s, points))
}

/// One device's readings as they arrived, for [`ingest`].
pub struct Arrival {
    pub commune: String,
    pub device: String,
    pub readings: Vec<Reading>,
}

/// What became of a batch of arrivals.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    pub stored: u64,
    /// From a device the commune has not registered.
    pub unknown_device: u64,
    /// Outside what the sensor's kind can measure.
    pub out_of_range: u64,
}

/// Stores readings from devices (HTTP or MQTT, already authenticated by their path): checks
/// each against its sensor's range, writes them and their roll-ups in one transaction per
/// commune, keeps each sensor's latest value, opens and closes alerts and tells the commune's
/// officials of a new one.
pub async fn ingest(db: &DatabaseConnection, arrivals: Vec<Arrival>) -> ActionResult<Ingested> {
    let mut out = Ingested::default();
    let mut by_commune: HashMap<String, Vec<Arrival>> = HashMap::new();
    for a in arrivals {
        by_commune.entry(a.commune.clone()).or_default().push(a);
    }
    for (commune, arrivals) in by_commune {
        let devices: Vec<&str> = arrivals.iter().map(|a| a.device.as_str()).collect();
        let sensors = store::by_devices(db, &commune, &devices).await?;
        let mut rows = Vec::new();
        let mut rollups = store::Rollups::new();
        let mut latest: HashMap<i64, Reading> = HashMap::new();
        for a in &arrivals {
            let Some(s) = sensors.get(&a.device) else {
                out.unknown_device += a.readings.len() as u64;
                continue;
            };
            let (lo, hi) = Kind::parse(&s.kind)
                .map(Kind::range)
                .unwrap_or((f64::MIN, f64::MAX));
            for r in &a.readings {
                if !(lo..=hi).contains(&r.value) {
                    out.out_of_range += 1;
                    continue;
                }
                rows.push((s.id, r.at, r.value));
                let (hour, day) = sensors::buckets(r.at);
                for key in [(s.id, "hour", hour), (s.id, "day", day)] {
                    let e = rollups.entry(key).or_insert((0, 0.0, r.value, r.value));
                    e.0 += 1;
                    e.1 += r.value;
                    e.2 = e.2.min(r.value);
                    e.3 = e.3.max(r.value);
                }
                let newer = latest.get(&s.id).is_none_or(|l| r.at >= l.at);
                if newer && s.last_at.is_none_or(|t| r.at >= t) {
                    latest.insert(s.id, *r);
                }
            }
        }
        if rows.is_empty() {
            continue;
        }
        let txn = kernel::db::begin_write(db).await?;
        store::insert_readings(&txn, &commune, &rows).await?;
        store::add_rollups(&txn, &commune, &rollups).await?;
        let mut opened = vec![];
        for s in sensors.values() {
            let Some(r) = latest.get(&s.id) else { continue };
            let alert = sensors::alert_for(r.value, s.alert_above, s.alert_below);
            let state = if alert.is_some() { "alert" } else { "ok" };
            store::set_latest(&txn, &commune, s.id, r.value, r.at, state).await?;
            match alert {
                Some(kind) if s.state != "alert" => {
                    store::close_alerts(&txn, &commune, s.id, r.at).await?;
                    store::open_alert(&txn, &commune, s.id, kind, Some(r.value), r.at).await?;
                    opened.push((s.clone(), r.value));
                }
                None if s.state == "alert" || s.state == "silent" => {
                    store::close_alerts(&txn, &commune, s.id, r.at).await?;
                }
                _ => {}
            }
        }
        for (s, value) in &opened {
            tell_officials(&txn, &commune, s, *value).await?;
        }
        txn.commit().await?;
        out.stored += rows.len() as u64;
    }
    Ok(out)
}

/// Tells the commune's officials, leaders and administrators that a sensor crossed its
/// threshold (urgent: it may be a flood); the link opens the sensors page, where the alert
/// offers to write an emergency notice.
async fn tell_officials(
    db: &impl sea_orm::ConnectionTrait,
    commune: &str,
    s: &sensor::Model,
    value: f64,
) -> ActionResult<()> {
    let staff = kernel::accounts::staff_of(db, commune).await?;
    let mut told = std::collections::HashSet::new();
    let unit = Kind::parse(&s.kind).map(Kind::unit).unwrap_or_default();
    let link = format!("/c/{commune}/office/sensors");
    for (g, u) in staff {
        let role = Role::parse(&g.role);
        if !matches!(
            role,
            Some(Role::Official | Role::Leader | Role::CommuneAdmin)
        ) || !told.insert(u.id)
        {
            continue;
        }
        notify::notify(
            db,
            notify::Message {
                commune_code: commune,
                user_id: u.id,
                text: notify::Text::key("rg.note.sensor_alert")
                    .arg("sensor", &s.name)
                    .arg(
                        "value",
                        format!("{} {unit}", kernel::numbers::decimal(value, 2)),
                    ),
                link: Some(&link),
                priority: notify::Priority::High,
                reference: Some(("sensor", s.id)),
            },
            &[],
        )
        .await?;
    }
    Ok(())
}

/// Use case: a device sends readings over HTTP with its token.
pub async fn receive(
    k: Kernel<'_>,
    c: &CommuneInfo,
    device: &str,
    token: Option<&str>,
    payload: &[u8],
) -> ActionResult<Ingested> {
    let s = store::by_devices(k.db, &c.code, &[device])
        .await?
        .remove(device)
        .ok_or(Refusal::SensorUnknown)?;
    let ok = token.is_some_and(|t| {
        use subtle::ConstantTimeEq;
        token_hash(t)
            .as_bytes()
            .ct_eq(s.token_hash.as_bytes())
            .into()
    });
    if !ok {
        return Err(Refusal::SensorTokenInvalid.into());
    }
    let readings = sensors::parse(payload, Utc::now()).map_err(|b| match b {
        sensors::Bad::Time => Refusal::ReadingTimeInvalid.at("at"),
        sensors::Bad::TooMany => Refusal::ReadingsTooMany.at("readings"),
        sensors::Bad::Shape => Refusal::ReadingInvalid.at("value"),
    })?;
    let (lo, hi) = Kind::parse(&s.kind)
        .map(Kind::range)
        .unwrap_or((f64::MIN, f64::MAX));
    if readings.iter().any(|r| !(lo..=hi).contains(&r.value)) {
        return Err(Refusal::ReadingOutOfRange.at("value"));
    }
    ingest(
        k.db,
        vec![Arrival {
            commune: c.code.clone(),
            device: device.to_owned(),
            readings,
        }],
    )
    .await
}

/// The job: flags sensors quiet for longer than they may be, with an alert.
pub async fn flag_silent(db: &DatabaseConnection) -> ActionResult<usize> {
    let now = Utc::now();
    let quiet = store::gone_quiet(db, now).await?;
    for s in &quiet {
        let txn = kernel::db::begin_write(db).await?;
        store::set_state(&txn, &s.commune_code, s.id, "silent").await?;
        store::close_alerts(&txn, &s.commune_code, s.id, now).await?;
        store::open_alert(&txn, &s.commune_code, s.id, "silent", None, now).await?;
        txn.commit().await?;
    }
    Ok(quiet.len())
}

/// Use case: the sensors page's open alerts (officials).
pub async fn alerts(
    k: Kernel<'_>,
    actor: Option<&CurrentUser>,
    c: &CommuneInfo,
) -> ActionResult<Vec<crate::entity::alert::Model>> {
    reader(actor, c)?;
    Ok(store::open_alerts(k.db, &c.code).await?)
}
