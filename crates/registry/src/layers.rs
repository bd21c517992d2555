//! The commune map's layers as GeoJSON (RFC 7946): `[lon, lat]` positions, closed rings,
//! exterior rings counter-clockwise and holes clockwise (shapes pasted the other way round
//! are turned), no `crs` member.

use serde::Serialize;
use serde_json::{Value, json};

use crate::entity::{coverage as cov, point, sensor};
use crate::store::Pin;

/// The layers the map and `GET /api/v1/communes/{code}/map/{layer}.geojson` serve.
pub const LAYERS: &[&str] = &[
    "villages",
    "households",
    "coverage",
    "wifi",
    "cameras",
    "wastewater",
    "sensors",
];

/// Twice the signed area of a ring of `[lon, lat]` positions: positive when
/// counter-clockwise.
fn signed_area(ring: &[Value]) -> f64 {
    let pt = |v: &Value| (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
    ring.windows(2)
        .map(|w| {
            let ((x1, y1), (x2, y2)) = (pt(&w[0]), pt(&w[1]));
            x1 * y2 - x2 * y1
        })
        .sum()
}

/// A ring closed (last position equal to the first) and turned to the wanted direction.
fn ring(r: &Value, counter_clockwise: bool) -> Value {
    let mut pts: Vec<Value> = r.as_array().cloned().unwrap_or_default();
    if pts.first() != pts.last()
        && let Some(f) = pts.first().cloned()
    {
        pts.push(f);
    }
    if (signed_area(&pts) > 0.0) != counter_clockwise {
        pts.reverse();
    }
    Value::Array(pts)
}

fn polygon(p: &Value) -> Value {
    Value::Array(
        p.as_array()
            .map(|rings| {
                rings
                    .iter()
                    .enumerate()
                    .map(|(i, r)| ring(r, i == 0))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// A stored Polygon or MultiPolygon, as RFC 7946 wants it.
pub fn rfc7946(geometry: &Value) -> Value {
    let c = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => json!({"type": "Polygon", "coordinates": polygon(c)}),
        Some("MultiPolygon") => json!({"type": "MultiPolygon",
            "coordinates": c.as_array().map(|ps| ps.iter().map(polygon).collect::<Vec<_>>()).unwrap_or_default()}),
        _ => geometry.clone(),
    }
}

/// The villages with a shape: id, name and households filed under each.
pub fn villages(
    shapes: &[(i64, String)],
    names: &[(i64, String)],
    households: impl Fn(i64) -> i64,
) -> Vec<Value> {
    shapes
        .iter()
        .filter_map(|(id, g)| {
            let g: Value = serde_json::from_str(g).ok()?;
            let name = names.iter().find(|(v, _)| v == id).map(|(_, n)| n.clone())?;
            Some(json!({"type": "Feature", "id": id, "geometry": rfc7946(&g),
                "properties": {"kind": "village", "id": id, "name": name, "households": households(*id)}}))
        })
        .collect()
}

/// A coordinate to 6 decimals (about 10 cm): more is noise (`geojson-validator` calls
/// it excessive precision).
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[derive(Serialize)]
struct PointGeometry {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct HouseholdProperties<'a> {
    kind: &'static str,
    id: i64,
    code: &'a str,
    village_id: Option<i64>,
    poverty: &'a str,
    internet: Option<&'a str>,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct PointFeature<P> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i64,
    geometry: PointGeometry,
    properties: P,
}

#[derive(Serialize)]
struct Collection<F> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: F,
}

/// A FeatureCollection of `features` as JSON text.
pub fn collection(features: &[Value]) -> String {
    serde_json::to_string(&Collection {
        kind: "FeatureCollection",
        features,
    })
    .unwrap_or_default()
}

/// Households as points: id, code, village, poverty and internet (no names: the page that
/// opens on a tap shows those, audited). Written straight from the rows (a commune's 5,000
/// pins are 1.3 MB: a tree of JSON values per pin cost more than the query).
pub fn households(commune: &str, pins: &[Pin]) -> String {
    let features: Vec<PointFeature<HouseholdProperties>> = pins
        .iter()
        .map(
            |(id, code, village, lat, lon, poverty, internet)| PointFeature {
                kind: "Feature",
                id: *id,
                geometry: PointGeometry {
                    kind: "Point",
                    coordinates: [round6(*lon), round6(*lat)],
                },
                properties: HouseholdProperties {
                    kind: "household",
                    id: *id,
                    code,
                    village_id: *village,
                    poverty,
                    internet: internet.as_deref(),
                    title: code,
                    url: format!("/c/{commune}/office/households/{id}"),
                },
            },
        )
        .collect();
    serde_json::to_string(&Collection {
        kind: "FeatureCollection",
        features,
    })
    .unwrap_or_default()
}

/// Wifi points, cameras or waste-water sources: name, status, note.
pub fn points(rows: &[point::Model]) -> Vec<Value> {
    rows.iter()
        .map(|p| {
            json!({"type": "Feature", "id": p.id,
                "geometry": {"type": "Point", "coordinates": [round6(p.lon), round6(p.lat)]},
                "properties": {"kind": p.kind, "id": p.id, "title": p.name, "name": p.name,
                    "status": p.status, "note": p.note, "village_id": p.village_id}})
        })
        .collect()
}

/// Village shapes with their mobile coverage (`full`, `partial`, `none`, or null when not
/// recorded) and whether fibre reaches them.
pub fn coverage(
    shapes: &[(i64, String)],
    names: &[(i64, String)],
    rows: &[cov::Model],
) -> Vec<Value> {
    shapes
        .iter()
        .filter_map(|(id, g)| {
            let g: Value = serde_json::from_str(g).ok()?;
            let name = names
                .iter()
                .find(|(v, _)| v == id)
                .map(|(_, n)| n.clone())?;
            let c = rows.iter().find(|r| r.village_id == *id);
            Some(json!({"type": "Feature", "id": id, "geometry": rfc7946(&g),
                "properties": {"kind": "coverage", "id": id, "name": name,
                    "mobile": c.map(|c| c.mobile.clone()), "fibre": c.map(|c| c.fibre)}}))
        })
        .collect()
}

/// Sensors with their latest value, unit and state.
pub fn sensors(rows: &[sensor::Model]) -> Vec<Value> {
    rows.iter()
        .map(|s| {
            let unit = crate::sensors::Kind::parse(&s.kind)
                .map(|k| k.unit())
                .unwrap_or_default();
            json!({"type": "Feature", "id": s.id,
                "geometry": {"type": "Point", "coordinates": [round6(s.lon), round6(s.lat)]},
                "properties": {"kind": "sensor", "id": s.id, "device": s.device, "title": s.name,
                    "status_label": s.last_value.map(|v| format!("{} {unit}", kernel::numbers::decimal(v, 2))),
                    "sensor_kind": s.kind, "value": s.last_value, "unit": unit,
                    "at": s.last_at, "state": s.state}})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_are_closed_and_turned() {
        // Clockwise exterior, not closed.
        let g = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]]]});
        let out = rfc7946(&g);
        let r = out["coordinates"][0].as_array().unwrap();
        assert_eq!(r.first(), r.last());
        assert!(signed_area(r) > 0.0);
        // A hole is clockwise.
        let g = json!({"type": "MultiPolygon", "coordinates": [[
            [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
            [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [1.0, 1.0]]
        ]]});
        let out = rfc7946(&g);
        assert!(signed_area(out["coordinates"][0][0].as_array().unwrap()) > 0.0);
        assert!(signed_area(out["coordinates"][0][1].as_array().unwrap()) < 0.0);
    }
}
