//! A commune's map area: its boundary and its villages' shapes, GeoJSON polygons, both
//! optional. The map widget draws them when there are no tiles (labelled shapes instead of a
//! blank box) and citizens pick a village or tap a spot instead of typing coordinates.
//!
//! What is stored is a checked geometry (`Polygon` or `MultiPolygon`, WGS 84, longitude
//! first, inside Viet Nam's extent, rings closed, at most [`MAX_POINTS`] positions) with its
//! coordinates rounded to 6 decimals, whatever shape it was pasted in (a bare geometry, a
//! Feature, or a FeatureCollection of one feature).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::error::{AppError, AppResult};

pub mod commune_area {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commune_area")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        /// A checked GeoJSON geometry ([`super::check`]).
        pub geometry: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod village_area {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "village_area")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commune_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub village_id: i64,
        pub geometry: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Most positions one shape may have: a village outline traced by hand has a few dozen.
pub const MAX_POINTS: usize = 5_000;
/// Largest text accepted, before parsing.
pub const MAX_BYTES: usize = 512 * 1024;
/// Viet Nam's extent, islands included (south, west, north, east).
const EXTENT: (f64, f64, f64, f64) = (6.0, 100.0, 24.0, 118.0);

fn bad() -> AppError {
    AppError::invalid("area_geojson_invalid", "geojson")
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// One ring: at least 4 positions, closed, each inside the extent; rounded.
fn ring(v: &Value, count: &mut usize) -> AppResult<Value> {
    let pts = v.as_array().ok_or_else(bad)?;
    if pts.len() < 4 {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(pts.len());
    for p in pts {
        let p = p.as_array().ok_or_else(bad)?;
        let (Some(lon), Some(lat)) = (
            p.first().and_then(Value::as_f64),
            p.get(1).and_then(Value::as_f64),
        ) else {
            return Err(bad());
        };
        if !(EXTENT.0..=EXTENT.2).contains(&lat) || !(EXTENT.1..=EXTENT.3).contains(&lon) {
            return Err(AppError::invalid("area_outside_vietnam", "geojson"));
        }
        *count += 1;
        if *count > MAX_POINTS {
            return Err(AppError::invalid("area_too_detailed", "geojson"));
        }
        out.push(json!([round6(lon), round6(lat)]));
    }
    if out.first() != out.last() {
        return Err(bad());
    }
    Ok(Value::Array(out))
}

fn polygon(v: &Value, count: &mut usize) -> AppResult<Value> {
    let rings = v.as_array().ok_or_else(bad)?;
    if rings.is_empty() {
        return Err(bad());
    }
    Ok(Value::Array(
        rings
            .iter()
            .map(|r| ring(r, count))
            .collect::<AppResult<_>>()?,
    ))
}

/// Checks pasted GeoJSON and answers the geometry to store (compact JSON text).
pub fn check(text: &str) -> AppResult<String> {
    if text.len() > MAX_BYTES {
        return Err(AppError::invalid("area_too_detailed", "geojson"));
    }
    let v: Value = serde_json::from_str(text.trim()).map_err(|_| bad())?;
    let geometry = match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match v.get("features").and_then(Value::as_array) {
            Some(f) if f.len() == 1 => f[0].get("geometry").cloned().ok_or_else(bad)?,
            _ => return Err(AppError::invalid("area_one_shape", "geojson")),
        },
        Some("Feature") => v.get("geometry").cloned().ok_or_else(bad)?,
        _ => v,
    };
    let mut count = 0;
    let coordinates = geometry.get("coordinates").ok_or_else(bad)?;
    let out = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => {
            json!({"type": "Polygon", "coordinates": polygon(coordinates, &mut count)?})
        }
        Some("MultiPolygon") => {
            let polys = coordinates.as_array().ok_or_else(bad)?;
            if polys.is_empty() {
                return Err(bad());
            }
            let polys: Vec<Value> = polys
                .iter()
                .map(|p| polygon(p, &mut count))
                .collect::<AppResult<_>>()?;
            json!({"type": "MultiPolygon", "coordinates": polys})
        }
        _ => return Err(AppError::invalid("area_not_polygon", "geojson")),
    };
    Ok(out.to_string())
}

/// The outer rings of a stored geometry, as (lat, lon) points.
fn outer_rings(geometry: &Value) -> Vec<Vec<(f64, f64)>> {
    let pts = |ring: &Value| -> Vec<(f64, f64)> {
        ring.as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|p| Some((p.get(1)?.as_f64()?, p.get(0)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let c = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => c.get(0).map(pts).into_iter().collect(),
        Some("MultiPolygon") => c
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p.get(0)).map(pts).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// Whether (lat, lon) lies inside a stored geometry's outer rings (ray casting).
pub fn contains(geometry: &str, lat: f64, lon: f64) -> bool {
    Shape::parse(geometry).is_some_and(|s| s.contains(lat, lon))
}

/// A stored geometry read once, for asking about many points (an import's rows): parsing
/// the GeoJSON per point cost more than the test itself.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// Outer rings as (lat, lon).
    rings: Vec<Vec<(f64, f64)>>,
}

impl Shape {
    pub fn parse(geometry: &str) -> Option<Shape> {
        let g = serde_json::from_str::<Value>(geometry).ok()?;
        Some(Shape {
            rings: outer_rings(&g),
        })
    }

    /// Whether (lat, lon) lies inside the outer rings (ray casting).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.rings.iter().any(|ring| {
            let mut inside = false;
            let n = ring.len();
            for i in 0..n {
                let (yi, xi) = ring[i];
                let (yj, xj) = ring[(i + n - 1) % n];
                if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
            }
            inside
        })
    }
}

/// `south,west,north,east` around a stored geometry, for the widget's first view.
pub fn bounds(geometry: &str) -> Option<String> {
    let g: Value = serde_json::from_str(geometry).ok()?;
    let all: Vec<(f64, f64)> = outer_rings(&g).into_iter().flatten().collect();
    if all.is_empty() {
        return None;
    }
    let (mut s, mut w, mut n, mut e) = (90.0f64, 180.0f64, -90.0f64, -180.0f64);
    for (lat, lon) in all {
        s = s.min(lat);
        n = n.max(lat);
        w = w.min(lon);
        e = e.max(lon);
    }
    Some(format!("{s},{w},{n},{e}"))
}

/// A commune's map area as stored: its boundary, and (village id, geometry) for the villages
/// that have a shape.
#[derive(Debug, Clone, Default)]
pub struct Area {
    pub boundary: Option<String>,
    pub villages: Vec<(i64, String)>,
}

impl Area {
    pub fn is_empty(&self) -> bool {
        self.boundary.is_none() && self.villages.is_empty()
    }

    /// The village whose shape holds the point, if any.
    pub fn village_at(&self, lat: f64, lon: f64) -> Option<i64> {
        self.villages
            .iter()
            .find(|(_, g)| contains(g, lat, lon))
            .map(|(id, _)| *id)
    }

    /// A FeatureCollection for the widget: the boundary (`kind: "boundary"`) and each
    /// village shape (`kind: "village"`, `id`, `name`).
    pub fn features(&self, names: &[(i64, String)]) -> Vec<Value> {
        let mut out = vec![];
        if let Some(b) = &self.boundary
            && let Ok(g) = serde_json::from_str::<Value>(b)
        {
            out.push(json!({"type": "Feature", "geometry": g, "properties": {"kind": "boundary"}}));
        }
        for (id, g) in &self.villages {
            let Ok(g) = serde_json::from_str::<Value>(g) else {
                continue;
            };
            let name = names
                .iter()
                .find(|(v, _)| v == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            out.push(json!({"type": "Feature", "geometry": g,
                "properties": {"kind": "village", "id": id, "name": name}}));
        }
        out
    }
}

/// The commune's boundary and village shapes.
pub async fn area(db: &impl ConnectionTrait, commune_code: &str) -> AppResult<Area> {
    let boundary = commune_area::Entity::find_by_id(commune_code.to_owned())
        .one(db)
        .await?
        .map(|a| a.geometry);
    let villages = village_area::Entity::find()
        .filter(village_area::Column::CommuneCode.eq(commune_code))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.village_id, a.geometry))
        .collect();
    Ok(Area { boundary, villages })
}

/// Sets (Some) or clears (None) the commune's boundary; `geometry` already [`check`]ed.
pub async fn set_boundary(
    db: &impl ConnectionTrait,
    commune_code: &str,
    geometry: Option<String>,
) -> AppResult<()> {
    commune_area::Entity::delete_by_id(commune_code.to_owned())
        .exec(db)
        .await?;
    if let Some(g) = geometry {
        commune_area::ActiveModel {
            commune_code: Set(commune_code.to_owned()),
            geometry: Set(g),
            updated_at: Set(Utc::now()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Sets (Some) or clears (None) a village's shape; the village must be the commune's.
pub async fn set_village(
    db: &impl ConnectionTrait,
    commune_code: &str,
    village_id: i64,
    geometry: Option<String>,
) -> AppResult<()> {
    super::village(db, commune_code, village_id).await?;
    village_area::Entity::delete_by_id((commune_code.to_owned(), village_id))
        .exec(db)
        .await?;
    if let Some(g) = geometry {
        village_area::ActiveModel {
            village_id: Set(village_id),
            commune_code: Set(commune_code.to_owned()),
            geometry: Set(g),
            updated_at: Set(Utc::now()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A simple square-ish polygon around (lat, lon): demo data and tests.
pub fn rectangle(south: f64, west: f64, north: f64, east: f64) -> String {
    json!({"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_shapes_are_checked_and_rounded() {
        let sq = r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[105.1,19.3],[105.2,19.3],[105.2,19.4],[105.1000001234,19.4],[105.1,19.3]]]}}"#;
        let g = check(sq).unwrap();
        assert!(g.contains("\"Polygon\""));
        assert!(g.contains("105.1,19.4") && !g.contains("105.1000001234"));
        assert!(contains(&g, 19.35, 105.15));
        assert!(!contains(&g, 19.45, 105.15));
        assert_eq!(bounds(&g).unwrap(), "19.3,105.1,19.4,105.2");
        let fc = format!(r#"{{"type":"FeatureCollection","features":[{sq}]}}"#);
        assert_eq!(check(&fc).unwrap(), g);
        for (text, code) in [
            ("không phải JSON", "area_geojson_invalid"),
            (
                r#"{"type":"Point","coordinates":[105.1,19.3]}"#,
                "area_not_polygon",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[105.1,19.3],[105.2,19.3],[105.2,19.4],[105.1,19.4]]]}"#,
                "area_geojson_invalid",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]]}"#,
                "area_outside_vietnam",
            ),
            (
                r#"{"type":"FeatureCollection","features":[]}"#,
                "area_one_shape",
            ),
        ] {
            assert_eq!(check(text).unwrap_err().code, code, "{text}");
        }
    }
}
