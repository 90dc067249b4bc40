//! Geo stage, locating: point-in-shape lookups through an R-tree, distances, and child→parent assignment.

use crate::geo::Shape;
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{Area, BooleanOps, BoundingRect, Coord, Intersects, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// Kilometres per degree of arc on the mean Earth sphere (R = 6371.0088 km).
const KM_PER_DEG: f64 = 6371.0088 * std::f64::consts::PI / 180.0;

type Entry = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// Spatial index over the bounding boxes of every polygon of every shape.
pub struct PointIndex {
    tree: RTree<Entry>,
}

impl PointIndex {
    /// Builds the index; entries refer to `shapes` by index, so pass the same slice to queries.
    pub fn new(shapes: &[Shape]) -> Self {
        let entries: Vec<Entry> = shapes
            .iter()
            .enumerate()
            .flat_map(|(si, s)| {
                s.geometry.0.iter().enumerate().filter_map(move |(pi, p)| {
                    let r = p.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        (si, pi),
                    ))
                })
            })
            .collect();
        PointIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Index of the shape containing (lon, lat), by exact point-in-polygon on the full geometry
    /// (holes and multipolygons included). Boundary points count as inside; a point on a border
    /// shared by several shapes resolves to the lowest index.
    pub fn locate(&self, shapes: &[Shape], lon: f64, lat: f64) -> Option<usize> {
        if !lon.is_finite() || !lat.is_finite() {
            return None;
        }
        let c = Coord { x: lon, y: lat };
        let mut hits: Vec<(usize, usize)> = self
            .tree
            .locate_all_at_point([lon, lat])
            .map(|e| e.data)
            .collect();
        hits.sort_unstable();
        hits.into_iter()
            .find(|&(si, pi)| {
                polygon_of(shapes, si, pi)
                    .is_some_and(|p| p.coordinate_position(&c) != CoordPos::Outside)
            })
            .map(|(si, _)| si)
    }

    /// Distance in km from (lon, lat) to shape `idx`: 0 inside or on the border, else the distance
    /// to the nearest border segment (local equirectangular approximation, good to well under
    /// 1% for distances of a few km; no antimeridian handling). Infinity for a bad `idx`.
    pub fn distance_km(&self, shapes: &[Shape], idx: usize, lon: f64, lat: f64) -> f64 {
        shapes
            .get(idx)
            .map_or(f64::INFINITY, |shape| distance_to_shape_km(shape, lon, lat))
    }

    /// The shape containing the point, else the nearest shape whose border is within `max_km`
    /// (ties → lowest index). For points just off a coastline or across a border.
    pub fn nearest_within(
        &self,
        shapes: &[Shape],
        lon: f64,
        lat: f64,
        max_km: f64,
    ) -> Option<usize> {
        if let Some(i) = self.locate(shapes, lon, lat) {
            return Some(i);
        }
        if max_km.is_nan() || max_km < 0.0 {
            return None;
        }
        let dlat = max_km / KM_PER_DEG;
        let dlon = dlat / lat.to_radians().cos().max(1e-6);
        let env = AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        let mut cands: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(env)
            .map(|e| e.data.0)
            .collect();
        cands.sort_unstable();
        cands.dedup();
        let mut best: Option<(f64, usize)> = None;
        for si in cands {
            let d = self.distance_km(shapes, si, lon, lat);
            if d <= max_km && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, si));
            }
        }
        best.map(|(_, i)| i)
    }
}

fn polygon_of(shapes: &[Shape], si: usize, pi: usize) -> Option<&Polygon<f64>> {
    shapes.get(si)?.geometry.0.get(pi)
}

/// Squared distance in degrees-of-latitude units from `p` to segment `a`–`b`, x scaled by `kx`.
fn seg_dist2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>, kx: f64) -> f64 {
    let (ax, ay) = ((a.x - p.x) * kx, a.y - p.y);
    let (bx, by) = ((b.x - p.x) * kx, b.y - p.y);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    x * x + y * y
}

/// For each child (district), the parent (province) containing its label point; if none does,
/// the parent with the largest overlapping area; None if nothing overlaps. Deterministic.
pub fn assign_parents(children: &[Shape], parents: &[Shape]) -> Vec<Option<usize>> {
    let index = PointIndex::new(parents);
    children
        .iter()
        .map(|child| {
            index
                .locate(parents, child.label.x(), child.label.y())
                .or_else(|| largest_overlap(child, parents))
        })
        .collect()
}

fn largest_overlap(child: &Shape, parents: &[Shape]) -> Option<usize> {
    let mut best: Option<(f64, usize)> = None;
    for (i, p) in parents.iter().enumerate() {
        if !p.bbox.intersects(&child.bbox) {
            continue;
        }
        let a = child.geometry.intersection(&p.geometry).unsigned_area();
        if a > 0.0 && best.is_none_or(|(ba, _)| a > ba) {
            best = Some((a, i));
        }
    }
    best.map(|(_, i)| i)
}

/// Distance in km from (lon, lat) to `shape`: 0 inside or on the border, else the distance
/// to the nearest border segment (local equirectangular approximation, good to well under
/// 1% for distances of a few km; no antimeridian handling).
pub fn distance_to_shape_km(shape: &Shape, lon: f64, lat: f64) -> f64 {
    let c = Coord { x: lon, y: lat };
    if shape.geometry.intersects(&c) {
        return 0.0;
    }
    let kx = lat.to_radians().cos().max(1e-6);
    let mut best = f64::INFINITY;
    for p in &shape.geometry.0 {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for w in ring.0.windows(2) {
                best = best.min(seg_dist2(c, w[0], w[1], kx));
            }
        }
    }
    best.sqrt() * KM_PER_DEG
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::geo::layer::parse_layer;
    use crate::geo::{LayerRole, LayerSpec};

    pub(crate) fn shapes(geoms: &[(&str, &str)]) -> Vec<Shape> {
        let spec = LayerSpec {
            name: "t".into(),
            role: LayerRole::Districts,
            country: None,
            file: "t".into(),
            url: String::new(),
            sha256: String::new(),
            license: String::new(),
            attribution: String::new(),
            name_property: "shapeName".into(),
            iso_property: None,
            accept_invalid: Vec::new(),
        };
        let feats: Vec<String> = geoms
            .iter()
            .map(|(n, g)| {
                format!(r#"{{"type":"Feature","properties":{{"shapeName":"{n}"}},"geometry":{g}}}"#)
            })
            .collect();
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            feats.join(",")
        );
        parse_layer(&spec, &text, "mem").unwrap().0.shapes
    }

    fn grid() -> Vec<Shape> {
        shapes(&[
            (
                "A",
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#,
            ),
            (
                "B",
                r#"{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}"#,
            ),
            (
                "Ring",
                r#"{"type":"MultiPolygon","coordinates":[[[[0,2],[4,2],[4,6],[0,6],[0,2]],[[1,3],[3,3],[3,5],[1,5],[1,3]]]]}"#,
            ),
            (
                "Island",
                r#"{"type":"Polygon","coordinates":[[[1,3],[3,3],[3,5],[1,5],[1,3]]]}"#,
            ),
        ])
    }

    #[test]
    fn locate_inside_outside_holes_and_borders() {
        let s = grid();
        let ix = PointIndex::new(&s);
        assert_eq!(ix.locate(&s, 0.5, 0.5), Some(0));
        assert_eq!(ix.locate(&s, 1.5, 0.5), Some(1));
        assert_eq!(ix.locate(&s, 0.5, 2.5), Some(2));
        assert_eq!(
            ix.locate(&s, 2.0, 4.0),
            Some(3),
            "inside the hole = the island"
        );
        assert_eq!(ix.locate(&s, 10.0, 10.0), None);
        assert_eq!(ix.locate(&s, f64::NAN, 1.0), None);
        // Shared edge and shared vertex resolve to the lowest index.
        assert_eq!(ix.locate(&s, 1.0, 0.5), Some(0));
        assert_eq!(ix.locate(&s, 1.0, 1.0), Some(0));
        assert_eq!(ix.locate(&s, 1.0, 3.0), Some(2));
    }

    #[test]
    fn distances_and_nearest() {
        let s = grid();
        let ix = PointIndex::new(&s);
        assert_eq!(ix.distance_km(&s, 0, 0.5, 0.5), 0.0);
        // 0.01° east of B at the equator ≈ 1.11 km.
        let d = ix.distance_km(&s, 1, 2.01, 0.5);
        assert!((d - 1.112).abs() < 0.01, "{d}");
        assert_eq!(ix.nearest_within(&s, 2.01, 0.5, 2.0), Some(1));
        assert_eq!(ix.nearest_within(&s, 2.01, 0.5, 1.0), None);
        assert_eq!(ix.nearest_within(&s, 0.5, 0.5, 0.0), Some(0));
        assert_eq!(ix.distance_km(&s, 99, 0.0, 0.0), f64::INFINITY);
    }

    #[test]
    fn parents_by_label_then_overlap() {
        let parents = shapes(&[
            (
                "West",
                r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]}"#,
            ),
            (
                "East",
                r#"{"type":"Polygon","coordinates":[[[2,0],[4,0],[4,2],[2,2],[2,0]]]}"#,
            ),
        ]);
        let mut children = shapes(&[
            (
                "w1",
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,2],[0,2],[0,0]]]}"#,
            ),
            (
                "e1",
                r#"{"type":"Polygon","coordinates":[[[2,0],[4,0],[4,1],[2,1],[2,0]]]}"#,
            ),
            (
                "far",
                r#"{"type":"Polygon","coordinates":[[[9,9],[10,9],[10,10],[9,9]]]}"#,
            ),
            (
                "straddle",
                r#"{"type":"Polygon","coordinates":[[[1.5,0],[3,0],[3,1],[1.5,1],[1.5,0]]]}"#,
            ),
        ]);
        // Force the label fallback: put the straddler's label outside both parents.
        children[3].label = geo::Point::new(-5.0, -5.0);
        assert_eq!(
            assign_parents(&children, &parents),
            vec![Some(0), Some(1), None, Some(1)]
        );
    }
}
