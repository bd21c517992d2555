//! The map widget's server side, for every room that draws a map (`static/map.js` with the
//! vendored Leaflet): what a page hands the widget, and GeoJSON answers for its layers.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::Config;

/// What a page needs to draw a map: the deployment's tiles (empty for none, e.g. offline) and
/// their attribution, the area to show (`south,west,north,east`, empty for the country), and
/// where the commune's boundary and village shapes are (`data-area`, empty for none).
pub struct MapConf {
    pub tiles: String,
    pub attribution: String,
    pub bounds: String,
    pub area: String,
}

impl MapConf {
    pub fn new(config: &Config, bounds: String) -> Self {
        MapConf {
            tiles: config.map_tiles.clone(),
            attribution: config.map_attribution.clone(),
            bounds,
            area: String::new(),
        }
    }

    /// Draws commune `code`'s boundary and villages (`/c/{code}/map-area.geojson`).
    pub fn with_area(mut self, code: &str) -> Self {
        self.area = area_url(code);
        self
    }
}

/// The commune's map area as GeoJSON (see `tenancy::area`).
pub fn area_url(code: &str) -> String {
    format!("/c/{code}/map-area.geojson")
}

/// A GeoJSON point feature (coordinates are longitude first, as GeoJSON wants).
pub fn point(lat: f64, lon: f64, properties: Value) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    })
}

/// A layer for the widget's `data-geojson`: a FeatureCollection as `application/geo+json`.
pub fn geojson(features: Vec<Value>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(json!({"type": "FeatureCollection", "features": features})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_put_longitude_first() {
        let p = point(18.9, 105.6, json!({"title": "x"}));
        assert_eq!(p["geometry"]["coordinates"], json!([105.6, 18.9]));
        assert_eq!(p["properties"]["title"], "x");
    }
}
