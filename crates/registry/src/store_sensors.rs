//! Sensors' queries: SQL in, rows out. Readings go in as one multi-row insert per batch and
//! their hourly and daily roll-ups as one upsert that adds to what is there, so the charts
//! of a year read a few hundred rows, not millions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Statement, Value,
};

use crate::entity::{alert, sensor};
use crate::store::placeholders;

pub async fn by_devices(
    db: &impl ConnectionTrait,
    commune: &str,
    devices: &[&str],
) -> Result<HashMap<String, sensor::Model>, DbErr> {
    Ok(sensor::Entity::find()
        .filter(sensor::Column::CommuneCode.eq(commune))
        .filter(sensor::Column::Device.is_in(devices.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.device.clone(), s))
        .collect())
}

pub async fn all(db: &impl ConnectionTrait, commune: &str) -> Result<Vec<sensor::Model>, DbErr> {
    sensor::Entity::find()
        .filter(sensor::Column::CommuneCode.eq(commune))
        .order_by_asc(sensor::Column::Name)
        .all(db)
        .await
}

/// Appends readings: (sensor id, time, value).
pub async fn insert_readings(
    db: &impl ConnectionTrait,
    commune: &str,
    rows: &[(i64, DateTime<Utc>, f64)],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // 4 values a row: 2,000 rows stay under SQLite's 32,766 variables.
    for chunk in rows.chunks(2000) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (id, at, v) in chunk {
            tuples.push(placeholders(backend, values.len(), 4));
            values.extend([commune.into(), (*id).into(), (*at).into(), (*v).into()]);
        }
        let sql = format!(
            "INSERT INTO sensor_reading (commune_code, sensor_id, at, value) VALUES {}",
            tuples.join(", ")
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// One roll-up to add: (sensor, `hour`/`day`, start) → (count, total, low, high).
pub type Rollups = HashMap<(i64, &'static str, DateTime<Utc>), (i64, f64, f64, f64)>;

/// Adds roll-ups to those stored (count and total add, low and high widen).
pub async fn add_rollups(
    db: &impl ConnectionTrait,
    commune: &str,
    rollups: &Rollups,
) -> Result<(), DbErr> {
    if rollups.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let (least, greatest) = match backend {
        DbBackend::Postgres => ("LEAST", "GREATEST"),
        _ => ("MIN", "MAX"),
    };
    let rows: Vec<_> = rollups.iter().collect();
    for chunk in rows.chunks(2000) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
        let mut tuples = Vec::with_capacity(chunk.len());
        for ((id, period, start), (n, total, low, high)) in chunk {
            tuples.push(placeholders(backend, values.len(), 8));
            values.extend([
                commune.into(),
                (*id).into(),
                (*period).into(),
                (*start).into(),
                (*n).into(),
                (*total).into(),
                (*low).into(),
                (*high).into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO sensor_rollup (commune_code, sensor_id, period, \"start\", n, total, low, high) VALUES {} \
             ON CONFLICT (commune_code, sensor_id, period, \"start\") DO UPDATE SET \
             n = sensor_rollup.n + excluded.n, total = sensor_rollup.total + excluded.total, \
             low = {least}(sensor_rollup.low, excluded.low), high = {greatest}(sensor_rollup.high, excluded.high)",
            tuples.join(", ")
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Records a sensor's latest reading and state.
pub async fn set_latest(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
    value: f64,
    at: DateTime<Utc>,
    state: &str,
) -> Result<(), DbErr> {
    sensor::Entity::update_many()
        .col_expr(
            sensor::Column::LastValue,
            sea_orm::sea_query::Expr::value(value),
        )
        .col_expr(sensor::Column::LastAt, sea_orm::sea_query::Expr::value(at))
        .col_expr(
            sensor::Column::State,
            sea_orm::sea_query::Expr::value(state),
        )
        .filter(sensor::Column::CommuneCode.eq(commune))
        .filter(sensor::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_state(
    db: &impl ConnectionTrait,
    commune: &str,
    id: i64,
    state: &str,
) -> Result<(), DbErr> {
    sensor::Entity::update_many()
        .col_expr(
            sensor::Column::State,
            sea_orm::sea_query::Expr::value(state),
        )
        .filter(sensor::Column::CommuneCode.eq(commune))
        .filter(sensor::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The open alerts of a commune's sensors.
pub async fn open_alerts(
    db: &impl ConnectionTrait,
    commune: &str,
) -> Result<Vec<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::CommuneCode.eq(commune))
        .filter(alert::Column::ClosedAt.is_null())
        .order_by_desc(alert::Column::OpenedAt)
        .all(db)
        .await
}

pub async fn open_alert(
    db: &impl ConnectionTrait,
    commune: &str,
    sensor_id: i64,
    kind: &str,
    value: Option<f64>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    alert::ActiveModel {
        commune_code: Set(commune.to_owned()),
        sensor_id: Set(sensor_id),
        kind: Set(kind.to_owned()),
        value: Set(value),
        opened_at: Set(at),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Closes a sensor's open alerts.
pub async fn close_alerts(
    db: &impl ConnectionTrait,
    commune: &str,
    sensor_id: i64,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    alert::Entity::update_many()
        .col_expr(alert::Column::ClosedAt, sea_orm::sea_query::Expr::value(at))
        .filter(alert::Column::CommuneCode.eq(commune))
        .filter(alert::Column::SensorId.eq(sensor_id))
        .filter(alert::Column::ClosedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// A series: (start, count, mean, low, high) per `hour` or `day`, or each raw reading
/// (count 1) for `raw`, from `from` on, oldest first.
pub async fn series(
    db: &impl ConnectionTrait,
    commune: &str,
    sensor_id: i64,
    resolution: &str,
    from: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64, f64, f64, f64)>, DbErr> {
    let backend = db.get_database_backend();
    let (sql, values): (&str, Vec<Value>) = if resolution == "raw" {
        (
            "SELECT at AS t, 1 AS n, value AS mean, value AS low, value AS high FROM sensor_reading \
             WHERE commune_code = $1 AND sensor_id = $2 AND at >= $3 ORDER BY at LIMIT 5000",
            vec![commune.into(), sensor_id.into(), from.into()],
        )
    } else {
        (
            "SELECT \"start\" AS t, n, total / n AS mean, low, high FROM sensor_rollup \
             WHERE commune_code = $1 AND sensor_id = $2 AND period = $3 AND \"start\" >= $4 ORDER BY \"start\" LIMIT 5000",
            vec![
                commune.into(),
                sensor_id.into(),
                resolution.into(),
                from.into(),
            ],
        )
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<DateTime<Utc>>("", "t")?,
                r.try_get::<i64>("", "n")?,
                r.try_get::<f64>("", "mean")?,
                r.try_get::<f64>("", "low")?,
                r.try_get::<f64>("", "high")?,
            ))
        })
        .collect()
}

/// Sensors that have reported before and are now quiet for longer than they may be.
pub async fn gone_quiet(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<sensor::Model>, DbErr> {
    let rows = sensor::Entity::find()
        .filter(sensor::Column::State.ne("silent"))
        .filter(sensor::Column::LastAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|s| {
            s.last_at
                .is_some_and(|t| now - t > chrono::Duration::minutes(s.silent_after_min as i64))
        })
        .collect())
}
