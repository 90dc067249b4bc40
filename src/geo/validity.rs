//! Geo stage, validity: the first OGC validity problem of a boundary shape, found in
//! O(n log n) per ring.
//!
//! Gives the same answer, in the same words, as `geo`'s `Validation::check_validation` on a
//! `MultiPolygon` (its error types are reused for the message), which compares every segment of
//! a ring with every other one: 16 % of a small build went there. Here a ring's segments are
//! sorted by their left end and each is compared only with the segments whose x-range overlaps
//! its own; polygons of one shape are related only when their bounding boxes meet.

use geo::algorithm::validation::{GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{BoundingRect, Intersects, Line, LineString, MultiPolygon, Polygon, Relate};

/// The first problem `geometry.check_validation()` would report, in the same order (each
/// polygon's rings, then its holes against its exterior and each other, then the polygon
/// against each later one), or None when the shape is valid.
pub(crate) fn first_problem(geometry: &MultiPolygon<f64>) -> Option<InvalidMultiPolygon> {
    let boxes: Vec<_> = geometry.0.iter().map(|p| p.bounding_rect()).collect();
    for (i, polygon) in geometry.0.iter().enumerate() {
        if let Some(problem) = polygon_problem(polygon) {
            return Some(InvalidMultiPolygon::InvalidPolygon(
                GeometryIndex(i),
                problem,
            ));
        }
        for (j, other) in geometry.0.iter().enumerate().skip(i + 1) {
            // Polygons whose boxes do not meet can neither overlap nor share a line.
            let meet = match (boxes[i], boxes[j]) {
                (Some(a), Some(b)) => a.intersects(&b),
                _ => false,
            };
            if !meet {
                continue;
            }
            let matrix = polygon.relate(other);
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some(InvalidMultiPolygon::ElementsOverlaps(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                return Some(InvalidMultiPolygon::ElementsTouchOnALine(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ));
            }
        }
    }
    None
}

/// The first problem of one polygon: a ring's own problems, then how its holes lie.
fn polygon_problem(polygon: &Polygon<f64>) -> Option<InvalidPolygon> {
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (k, ring) in rings.enumerate() {
        if ring.0.is_empty() {
            continue;
        }
        let role = if k == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(k - 1)
        };
        if too_few_points(ring) {
            return Some(InvalidPolygon::TooFewPointsInRing(role));
        }
        if has_self_intersection(ring) {
            return Some(InvalidPolygon::SelfIntersection(role));
        }
        if let Some(at) = ring
            .0
            .iter()
            .position(|c| !(c.x.is_finite() && c.y.is_finite()))
        {
            return Some(InvalidPolygon::NonFiniteCoord(
                role,
                geo::algorithm::validation::CoordIndex(at),
            ));
        }
    }
    holes_problem(polygon)
}

/// Fewer than 4 points once consecutive repeats are dropped.
fn too_few_points(ring: &LineString<f64>) -> bool {
    let repeats = ring.0.windows(2).filter(|w| w[0] == w[1]).count();
    ring.0.len() - repeats < 4
}

/// Each hole must lie inside the exterior without sharing a line with it, and no two holes may
/// overlap or share a line.
fn holes_problem(polygon: &Polygon<f64>) -> Option<InvalidPolygon> {
    let holes: Vec<(usize, Polygon<f64>)> = polygon
        .interiors()
        .iter()
        .enumerate()
        .filter(|(_, ring)| !ring.0.is_empty())
        .map(|(k, ring)| (k, Polygon::new(ring.clone(), vec![])))
        .collect();
    if holes.is_empty() {
        return None;
    }
    let outline = Polygon::new(polygon.exterior().clone(), vec![]);
    for (n, (k, hole)) in holes.iter().enumerate() {
        let matrix = outline.relate(hole);
        if !matrix.is_contains() {
            return Some(InvalidPolygon::InteriorRingNotContainedInExteriorRing(
                RingRole::Interior(*k),
            ));
        }
        if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Some(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                RingRole::Interior(*k),
            ));
        }
        for (m, other) in &holes[n + 1..] {
            let matrix = hole.relate(other);
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some(InvalidPolygon::IntersectingRingsOnAnArea(
                    RingRole::Interior(*k),
                    RingRole::Interior(*m),
                ));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                return Some(InvalidPolygon::IntersectingRingsOnALine(
                    RingRole::Interior(*k),
                    RingRole::Interior(*m),
                ));
            }
        }
    }
    None
}

/// Whether two segments of the ring meet other than where one ends and the other starts
/// (neighbours along the ring, or a ring passing through a vertex twice end-to-start).
///
/// Sort-and-sweep: segments ordered by their smallest x; each is tested only against the
/// following segments that start before it ends in x and overlap it in y.
fn has_self_intersection(ring: &LineString<f64>) -> bool {
    let segments: Vec<Line<f64>> = ring.lines().collect();
    let span = |a: f64, b: f64| if a <= b { (a, b) } else { (b, a) };
    let mut order: Vec<(f64, f64, usize)> = segments
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let (lo, hi) = span(s.start.x, s.end.x);
            (lo, hi, k)
        })
        .collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    for (n, &(_, right, a)) in order.iter().enumerate() {
        let (seg_a, (low_a, high_a)) = (segments[a], span(segments[a].start.y, segments[a].end.y));
        for &(left, _, b) in &order[n + 1..] {
            if left > right {
                break;
            }
            let seg_b = segments[b];
            let (low_b, high_b) = span(seg_b.start.y, seg_b.end.y);
            if low_b > high_a || low_a > high_b {
                continue;
            }
            if meet_improperly(seg_a, seg_b) {
                return true;
            }
        }
    }
    false
}

/// The pair test of a ring's segments (symmetric in its arguments).
fn meet_improperly(a: Line<f64>, b: Line<f64>) -> bool {
    a.intersects(&b) && a.start != b.end && a.end != b.start
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::Validation;

    /// The pairwise test `geo` applies, for comparison.
    fn quadratic(ring: &LineString<f64>) -> bool {
        let lines: Vec<Line<f64>> = ring.lines().collect();
        (0..lines.len())
            .any(|i| (0..lines.len()).any(|j| i != j && meet_improperly(lines[i], lines[j])))
    }

    fn ring(points: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(points.to_vec())
    }

    fn shape(rings: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            ring(rings[0]),
            rings[1..].iter().map(|r| ring(r)).collect(),
        )])
    }

    fn agree(mp: &MultiPolygon<f64>) -> Option<String> {
        let ours = first_problem(mp).map(|p| p.to_string());
        let theirs = mp.check_validation().err().map(|p| p.to_string());
        assert_eq!(ours, theirs);
        ours
    }

    #[test]
    fn bow_tie_spike_and_pinch_are_found_like_geo_finds_them() {
        let square = [(0., 0.), (4., 0.), (4., 4.), (0., 4.), (0., 0.)];
        assert_eq!(agree(&shape(&[&square])), None);
        let bow_tie = [(0., 0.), (4., 0.), (0., 4.), (4., 4.), (0., 0.)];
        assert_eq!(
            agree(&shape(&[&bow_tie])).as_deref(),
            Some("polygon at index 0 is invalid: exterior ring has a self-intersection")
        );
        // A spike back along the last edge overlaps it.
        let spike = [
            (0., 0.),
            (4., 0.),
            (4., 4.),
            (0., 4.),
            (0., 2.),
            (0., 3.),
            (0., 0.),
        ];
        assert!(agree(&shape(&[&spike])).is_some());
        // A ring through one vertex twice (two squares joined at a corner).
        let pinch = [
            (0., 0.),
            (2., 0.),
            (2., 2.),
            (4., 2.),
            (4., 4.),
            (2., 4.),
            (2., 2.),
            (0., 2.),
            (0., 0.),
        ];
        agree(&shape(&[&pinch]));
    }

    #[test]
    fn holes_and_parts_are_checked_like_geo_checks_them() {
        let outer = [(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)];
        let inside = [(2., 2.), (2., 4.), (4., 4.), (4., 2.), (2., 2.)];
        let outside = [(20., 20.), (20., 24.), (24., 24.), (24., 20.), (20., 20.)];
        let overlapping = [(3., 3.), (3., 5.), (5., 5.), (5., 3.), (3., 3.)];
        assert_eq!(agree(&shape(&[&outer, &inside])), None);
        assert!(agree(&shape(&[&outer, &outside])).is_some());
        assert!(agree(&shape(&[&outer, &inside, &overlapping])).is_some());
        let far = MultiPolygon::new(vec![
            Polygon::new(ring(&outer), vec![]),
            Polygon::new(ring(&outside), vec![]),
        ]);
        assert_eq!(agree(&far), None);
        let overlap = MultiPolygon::new(vec![
            Polygon::new(ring(&outer), vec![]),
            Polygon::new(ring(&inside), vec![]),
        ]);
        assert_eq!(
            agree(&overlap).as_deref(),
            Some("polygons at indices 0 and 1 overlap")
        );
        let side_by_side = MultiPolygon::new(vec![
            Polygon::new(ring(&outer), vec![]),
            Polygon::new(
                ring(&[(10., 0.), (12., 0.), (12., 10.), (10., 10.), (10., 0.)]),
                vec![],
            ),
        ]);
        assert!(agree(&side_by_side).unwrap().contains("touch on a line"));
    }

    #[test]
    fn the_sweep_agrees_with_the_pairwise_test_on_random_rings() {
        // Deterministic pseudo-random rings, many of them self-intersecting.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 16) as f64
        };
        let (mut crossing, mut simple) = (0, 0);
        for _ in 0..2000 {
            let n = 3 + (next() as usize % 6);
            let mut points: Vec<(f64, f64)> = (0..n).map(|_| (next(), next())).collect();
            points.push(points[0]);
            let r = ring(&points);
            let expected = quadratic(&r);
            assert_eq!(has_self_intersection(&r), expected, "{points:?}");
            if expected {
                crossing += 1;
            } else {
                simple += 1;
            }
        }
        assert!(crossing > 100 && simple > 100, "{crossing} {simple}");
    }

    #[test]
    fn real_boundary_layers_get_the_same_verdicts_as_geo_gives() {
        let dir = std::env::var_os("SITREP_GEODATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/geodata")
            });
        let Ok(entries) = std::fs::read_dir(&dir) else {
            println!("note: no {}; real-data test skipped", dir.display());
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".geojson"))
            .collect();
        files.sort();
        let mut shapes = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let spec: crate::geo::LayerSpec = serde_json::from_value(serde_json::json!({
                "name": "t", "role": "context", "country": null, "file": "f", "url": "u",
                "sha256": "0", "license": "l", "attribution": "a"
            }))
            .unwrap();
            let (layer, _) = crate::geo::parse_layer(&spec, &text, "t").unwrap();
            for s in &layer.shapes {
                agree(&s.geometry);
                shapes += 1;
            }
        }
        assert!(shapes > 200, "only {shapes} shapes in {}", dir.display());
    }
}
