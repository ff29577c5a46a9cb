//! A region's outline on the map: what an administrator pastes or uploads as GeoJSON (a
//! `Polygon`, a `MultiPolygon`, or a `Feature` / one-feature `FeatureCollection` holding one),
//! checked and kept as polygons of (longitude, latitude) rings, the first ring of each the
//! outline and any further ones its holes. Also which region a position falls in.

use serde_json::Value;

use crate::validate::FieldError;

/// Most points in one region's outline (a district drawn by hand has a few hundred).
pub const MAX_POINTS: usize = 20_000;

/// A ring of (longitude, latitude) points, closed (the last point repeats the first).
pub type Ring = Vec<(f64, f64)>;

/// A region's outline: polygons, each an outer ring and its holes.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// The polygons.
    pub polygons: Vec<Vec<Ring>>,
}

fn bad<T>(reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError {
        field: "shape",
        reason,
    })
}

impl Shape {
    /// Reads GeoJSON: refused (field `shape`) when it is not JSON, not one of the geometry
    /// kinds above, has a ring of fewer than four points or not closed, a position outside
    /// the earth's ranges, or more than [`MAX_POINTS`] points.
    pub fn parse(text: &str) -> Result<Shape, FieldError> {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return bad("error.invalid_geojson");
        };
        Shape::from_geojson(&value)
    }

    /// Reads a GeoJSON value (see [`Shape::parse`]).
    pub fn from_geojson(value: &Value) -> Result<Shape, FieldError> {
        let geometry = match value.get("type").and_then(Value::as_str) {
            Some("Feature") => value.get("geometry").unwrap_or(&Value::Null),
            Some("FeatureCollection") => match value.get("features").and_then(Value::as_array) {
                Some(features) if features.len() == 1 => {
                    features[0].get("geometry").unwrap_or(&Value::Null)
                }
                _ => return bad("error.geojson_one_feature"),
            },
            _ => value,
        };
        let coordinates = geometry.get("coordinates").unwrap_or(&Value::Null);
        let polygons = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![polygon(coordinates)?],
            Some("MultiPolygon") => match coordinates.as_array() {
                Some(list) if !list.is_empty() => {
                    list.iter().map(polygon).collect::<Result<Vec<_>, _>>()?
                }
                _ => return bad("error.invalid_geojson"),
            },
            _ => return bad("error.geojson_not_polygon"),
        };
        let points: usize = polygons.iter().flatten().map(Vec::len).sum();
        if points > MAX_POINTS {
            return bad("error.too_many_points");
        }
        Ok(Shape { polygons })
    }

    /// The outline as a GeoJSON `MultiPolygon` (how it is stored and served).
    pub fn to_geojson(&self) -> Value {
        let coordinates: Vec<Value> = self
            .polygons
            .iter()
            .map(|rings| {
                Value::Array(
                    rings
                        .iter()
                        .map(|ring| {
                            Value::Array(
                                ring.iter()
                                    .map(|(lon, lat)| serde_json::json!([lon, lat]))
                                    .collect(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        serde_json::json!({ "type": "MultiPolygon", "coordinates": coordinates })
    }

    /// Whether a position lies inside the outline (inside an outer ring, not in its holes).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.polygons.iter().any(|rings| {
            let mut inside = rings.first().is_some_and(|outer| in_ring(outer, lon, lat));
            for hole in rings.iter().skip(1) {
                if in_ring(hole, lon, lat) {
                    inside = false;
                }
            }
            inside
        })
    }

    /// The smallest box holding the outline: (west, south, east, north).
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let mut points = self.polygons.iter().flatten().flatten();
        let &(lon, lat) = points.next()?;
        Some(points.fold((lon, lat, lon, lat), |(w, s, e, n), &(x, y)| {
            (w.min(x), s.min(y), e.max(x), n.max(y))
        }))
    }
}

/// One polygon: rings of positions.
fn polygon(value: &Value) -> Result<Vec<Ring>, FieldError> {
    let Some(rings) = value.as_array().filter(|r| !r.is_empty()) else {
        return bad("error.invalid_geojson");
    };
    rings.iter().map(ring).collect()
}

fn ring(value: &Value) -> Result<Ring, FieldError> {
    let Some(points) = value.as_array() else {
        return bad("error.invalid_geojson");
    };
    let mut ring = Vec::with_capacity(points.len());
    for p in points {
        let pair = p.as_array().map(|a| {
            (
                a.first().and_then(Value::as_f64),
                a.get(1).and_then(Value::as_f64),
            )
        });
        let Some((Some(lon), Some(lat))) = pair else {
            return bad("error.invalid_geojson");
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return bad("error.geojson_out_of_range");
        }
        ring.push((lon, lat));
    }
    if ring.len() < 4 || ring.first() != ring.last() {
        return bad("error.geojson_open_ring");
    }
    Ok(ring)
}

/// Ray casting: whether (x, y) is inside the closed ring.
fn in_ring(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    for pair in ring.windows(2) {
        let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

/// The first region whose outline holds the position, if any.
pub fn region_at<R>(shapes: &[(R, Shape)], lat: f64, lon: f64) -> Option<&R> {
    shapes
        .iter()
        .find(|(_, s)| s.contains(lat, lon))
        .map(|(r, _)| r)
}

/// The region a site belongs to: the one given, else the drawn region its position lies in,
/// else its customer's region.
pub fn site_region(
    given: Option<crate::RegionId>,
    position: Option<(f64, f64)>,
    drawn: &[(crate::RegionId, Shape)],
    customer: Option<crate::RegionId>,
) -> Option<crate::RegionId> {
    given
        .or_else(|| {
            let (lat, lon) = position?;
            region_at(drawn, lat, lon).copied()
        })
        .or(customer)
}

#[cfg(test)]
#[path = "region_shape_tests.rs"]
mod tests;
