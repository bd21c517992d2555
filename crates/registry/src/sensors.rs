//! Sensors' rules: the kinds the commune measures with their units and physically possible
//! ranges (a reading outside is a broken or spoofed device, refused), how a device's message
//! is read (one value, or a batch, each with an optional time), and the alert a value opens.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// What a sensor measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// River or canal level, metres.
    WaterLevel,
    /// Rain since the previous reading, millimetres.
    Rainfall,
    /// Air temperature, °C.
    Temperature,
    /// PM2.5, µg/m³.
    AirQuality,
    /// Volumetric soil moisture, %.
    SoilMoisture,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::WaterLevel,
        Kind::Rainfall,
        Kind::Temperature,
        Kind::AirQuality,
        Kind::SoilMoisture,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::WaterLevel => "water_level",
            Kind::Rainfall => "rainfall",
            Kind::Temperature => "temperature",
            Kind::AirQuality => "air_quality",
            Kind::SoilMoisture => "soil_moisture",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn unit(self) -> &'static str {
        match self {
            Kind::WaterLevel => "m",
            Kind::Rainfall => "mm",
            Kind::Temperature => "°C",
            Kind::AirQuality => "µg/m³",
            Kind::SoilMoisture => "%",
        }
    }

    /// What the world allows: a reading outside is refused.
    pub fn range(self) -> (f64, f64) {
        match self {
            Kind::WaterLevel => (-10.0, 60.0),
            Kind::Rainfall => (0.0, 500.0),
            Kind::Temperature => (-20.0, 60.0),
            Kind::AirQuality => (0.0, 1000.0),
            Kind::SoilMoisture => (0.0, 100.0),
        }
    }
}

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// Why a device's message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    /// Not JSON, or not `{"value": …}` / `{"readings": [...]}`.
    Shape,
    /// A time in the future or more than 30 days back.
    Time,
    /// More readings than one message may carry.
    TooMany,
}

/// Readings one message may carry.
pub const MAX_BATCH: usize = 1000;

fn one(v: &Value, now: DateTime<Utc>) -> Result<Reading, Bad> {
    let value = v.get("value").and_then(Value::as_f64).ok_or(Bad::Shape)?;
    if !value.is_finite() {
        return Err(Bad::Shape);
    }
    let at = match v.get("at") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| Bad::Shape)?
            .with_timezone(&Utc),
        Some(Value::Number(n)) => {
            DateTime::from_timestamp(n.as_i64().ok_or(Bad::Shape)?, 0).ok_or(Bad::Shape)?
        }
        _ => return Err(Bad::Shape),
    };
    // A device clock a little ahead is tolerated; a month-old reading is a replay.
    if at > now + Duration::minutes(5) || at < now - Duration::days(30) {
        return Err(Bad::Time);
    }
    Ok(Reading { at, value })
}

/// Reads a device's message: `{"value": 2.4}`, `{"value": 2.4, "at": "2026-12-07T08:00:00Z"}`
/// (or Unix seconds), or `{"readings": [{…}, …]}` (at most [`MAX_BATCH`]).
pub fn parse(payload: &[u8], now: DateTime<Utc>) -> Result<Vec<Reading>, Bad> {
    let v: Value = serde_json::from_slice(payload).map_err(|_| Bad::Shape)?;
    match v.get("readings") {
        Some(Value::Array(items)) => {
            if items.len() > MAX_BATCH {
                return Err(Bad::TooMany);
            }
            if items.is_empty() {
                return Err(Bad::Shape);
            }
            items.iter().map(|i| one(i, now)).collect()
        }
        Some(_) => Err(Bad::Shape),
        None => Ok(vec![one(&v, now)?]),
    }
}

/// The alert a value calls for, given the sensor's thresholds: `above`, `below` or none.
pub fn alert_for(value: f64, above: Option<f64>, below: Option<f64>) -> Option<&'static str> {
    if above.is_some_and(|a| value > a) {
        Some("above")
    } else if below.is_some_and(|b| value < b) {
        Some("below")
    } else {
        None
    }
}

/// The start of the hour and of the Vietnamese day (midnight UTC+7) a reading falls in.
pub fn buckets(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let secs = at.timestamp();
    let hour = secs - secs.rem_euclid(3600);
    let vn = secs + 7 * 3600;
    let day = vn - vn.rem_euclid(86_400) - 7 * 3600;
    (
        DateTime::from_timestamp(hour, 0).unwrap_or(at),
        DateTime::from_timestamp(day, 0).unwrap_or(at),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_or_refused() {
        let now = Utc::now();
        assert_eq!(parse(br#"{"value": 2.5}"#, now).unwrap()[0].value, 2.5);
        let at = (now - Duration::hours(1)).to_rfc3339();
        let batch = format!(r#"{{"readings": [{{"value": 1, "at": "{at}"}}, {{"value": 2}}]}}"#);
        let r = parse(batch.as_bytes(), now).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].at < r[1].at);
        assert_eq!(parse(b"not json", now), Err(Bad::Shape));
        assert_eq!(parse(br#"{"value": "high"}"#, now), Err(Bad::Shape));
        assert_eq!(parse(br#"{"readings": []}"#, now), Err(Bad::Shape));
        let future = (now + Duration::hours(2)).to_rfc3339();
        assert_eq!(
            parse(
                format!(r#"{{"value": 1, "at": "{future}"}}"#).as_bytes(),
                now
            ),
            Err(Bad::Time)
        );
        assert_eq!(alert_for(3.1, Some(3.0), None), Some("above"));
        assert_eq!(alert_for(1.0, Some(3.0), Some(1.5)), Some("below"));
        assert_eq!(alert_for(2.0, Some(3.0), Some(1.5)), None);
        assert_eq!(Kind::parse("water_level").unwrap().unit(), "m");
    }

    #[test]
    fn days_are_vietnamese_days() {
        // 2026-12-07 18:30 UTC is 01:30 on the 8th in Viet Nam.
        let at = DateTime::parse_from_rfc3339("2026-12-07T18:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (hour, day) = buckets(at);
        assert_eq!(hour.to_rfc3339(), "2026-12-07T18:00:00+00:00");
        assert_eq!(day.to_rfc3339(), "2026-12-07T17:00:00+00:00");
    }
}
