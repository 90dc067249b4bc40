//! Geo stage, simplification: topology-preserving Douglas–Peucker on shared arcs for web layers.
//!
//! Shapes are cut into shared arcs (see `topology`); each arc is simplified once with its ends
//! fixed, and rings are rebuilt from the simplified arcs, so neighbours keep identical borders
//! and provinces keep nesting their districts. Guards, repeated until nothing changes:
//! - a ring that became degenerate (fewer than 3 distinct points, zero area or flipped winding)
//!   gets its arcs simplified again with half the tolerance;
//! - two simplified arcs (or two parts of one arc) that cross or overlap get the same treatment.
//!
//! After `MAX_LEVEL` halvings an arc keeps all its points, so the loop ends. Pairs of arcs that
//! already touch or cross in the input (after vertex snapping and noding, see `topology`) are
//! exempt from the crossing guard: they cannot be fixed by keeping points, and new crossings
//! between them go unnoticed. Not handled: a ring moving entirely across another one without any segment
//! crossing (e.g. a tiny island left outside a simplified coastline that skirted it).

use crate::geo::layer::signed_area;
use crate::geo::topology::Topology;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Line, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

/// Halvings of the tolerance before an arc is kept at full resolution.
const MAX_LEVEL: u8 = 12;

/// Number of coordinates (closing points included) in a multipolygon.
pub fn vertex_count(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

/// Topology-preserving simplification of all `shapes` together with tolerance `epsilon_deg`
/// (degrees). Pass every layer whose borders must stay consistent (districts and provinces) in
/// one call. Returns one multipolygon per input, in order; every ring keeps at least 4 points.
pub fn simplify_shapes(shapes: &[&MultiPolygon<f64>], epsilon_deg: f64) -> Vec<MultiPolygon<f64>> {
    SharedBorders::new(shapes).simplify(epsilon_deg)
}

/// Shapes cut into their shared arcs once, to be simplified at several tolerances (the map
/// layers and the locator maps draw the same districts and provinces).
pub struct SharedBorders {
    topo: Topology,
    /// Pairs of arcs that already touch or cross in the input, sorted.
    preexisting: Vec<(usize, usize)>,
}

impl SharedBorders {
    pub fn new(shapes: &[&MultiPolygon<f64>]) -> SharedBorders {
        let topo = Topology::build(shapes);
        // Arcs that already touch or cross in the input (layers that do not share vertices,
        // such as outlines from another source) cannot be separated by keeping points: exempt
        // them.
        let preexisting = crossing_arcs(&topo, &topo.arcs, None);
        SharedBorders { topo, preexisting }
    }

    /// The shapes simplified with tolerance `epsilon_deg`, as [`simplify_shapes`] does.
    pub fn simplify(&self, epsilon_deg: f64) -> Vec<MultiPolygon<f64>> {
        simplify_topology(&self.topo, &self.preexisting, epsilon_deg)
    }
}

fn simplify_topology(
    topo: &Topology,
    preexisting: &[(usize, usize)],
    epsilon_deg: f64,
) -> Vec<MultiPolygon<f64>> {
    let eps = if epsilon_deg.is_finite() {
        epsilon_deg.max(0.0)
    } else {
        0.0
    };
    let mut level = vec![0u8; topo.arcs.len()];
    let mut kept: Vec<Vec<u32>> = topo
        .arcs
        .iter()
        .map(|a| simplify_arc(&topo.coords, a, eps))
        .collect();
    // Only rings and segments touching arcs that changed in the last round are checked again.
    let mut dirty = vec![true; topo.arcs.len()];
    loop {
        let mut bad = vec![false; topo.arcs.len()];
        for (ri, refs) in topo.rings.iter().enumerate() {
            if refs.iter().any(|&(a, _)| dirty[a]) && ring_degenerate(topo, &kept, ri) {
                for &(a, _) in refs {
                    bad[a] = true;
                }
            }
        }
        for (a, b) in crossing_arcs(topo, &kept, Some(&dirty)) {
            if preexisting.binary_search(&(a, b)).is_ok() {
                continue;
            }
            bad[a] = true;
            bad[b] = true;
        }
        dirty = vec![false; topo.arcs.len()];
        for (a, is_bad) in bad.iter().enumerate() {
            if *is_bad && level[a] < MAX_LEVEL {
                level[a] += 1;
                kept[a] = if level[a] == MAX_LEVEL {
                    topo.arcs[a].clone()
                } else {
                    simplify_arc(
                        &topo.coords,
                        &topo.arcs[a],
                        eps / f64::from(1u32 << level[a]),
                    )
                };
                dirty[a] = true;
            }
        }
        if !dirty.contains(&true) {
            break;
        }
    }
    topo.shapes
        .iter()
        .map(|polys| {
            MultiPolygon::new(
                polys
                    .iter()
                    .map(|rings| {
                        let mut ls = rings
                            .iter()
                            .map(|&r| LineString::new(ring_coords(topo, &kept, &topo.rings[r])));
                        let ext = ls.next().unwrap_or_else(|| LineString::new(vec![]));
                        Polygon::new(ext, ls.collect())
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Whether ring `ri` has fewer than 3 distinct points, no area, or the wrong winding now.
fn ring_degenerate(topo: &Topology, kept: &[Vec<u32>], ri: usize) -> bool {
    let ring = ring_coords(topo, kept, &topo.rings[ri]);
    let area = signed_area(&ring);
    let mut distinct: Vec<(u64, u64)> = ring
        .iter()
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() < 3 || area == 0.0 || (area > 0.0) != (topo.ring_area[ri] > 0.0)
}

/// Closed coordinate ring traced through the (simplified) arcs.
fn ring_coords(topo: &Topology, kept: &[Vec<u32>], refs: &[(usize, bool)]) -> Vec<Coord<f64>> {
    let mut ids: Vec<u32> = Vec::new();
    for &(a, rev) in refs {
        let arc = &kept[a];
        let skip = usize::from(!ids.is_empty());
        if rev {
            ids.extend(arc.iter().rev().skip(skip));
        } else {
            ids.extend(arc.iter().skip(skip));
        }
    }
    ids.dedup();
    ids.iter().map(|&v| topo.coords[v as usize]).collect()
}

/// Douglas–Peucker on one arc with both ends fixed. A closed arc is split at its vertex farthest
/// from the start, and keeps at least a triangle when it has enough points.
fn simplify_arc(coords: &[Coord<f64>], arc: &[u32], eps: f64) -> Vec<u32> {
    let n = arc.len();
    if n <= 2 {
        return arc.to_vec();
    }
    let c = |i: usize| coords[arc[i] as usize];
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut spans = Vec::new();
    if arc[0] == arc[n - 1] {
        let far = (1..n - 1)
            .max_by(|&i, &j| {
                dist2(c(0), c(i))
                    .total_cmp(&dist2(c(0), c(j)))
                    .then(j.cmp(&i))
            })
            .unwrap_or(n / 2);
        keep[far] = true;
        // A triangle at least: the farthest point from the chord in the longer half.
        let (lo, hi) = if far >= n - 1 - far {
            (0, far)
        } else {
            (far, n - 1)
        };
        if let Some(m) = farthest_from_segment(&c, lo, hi) {
            keep[m.0] = true;
            spans.extend([(lo, m.0), (m.0, hi)]);
        }
        spans.push(if lo == 0 { (far, n - 1) } else { (0, far) });
    } else {
        spans.push((0, n - 1));
    }
    let eps2 = eps * eps;
    while let Some((lo, hi)) = spans.pop() {
        if let Some((m, d2)) = farthest_from_segment(&c, lo, hi) {
            if d2 > eps2 {
                keep[m] = true;
                spans.push((lo, m));
                spans.push((m, hi));
            }
        }
    }
    arc.iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| *v)
        .collect()
}

/// Index strictly between `lo` and `hi` farthest from segment lo–hi, with its squared distance.
fn farthest_from_segment(
    c: &impl Fn(usize) -> Coord<f64>,
    lo: usize,
    hi: usize,
) -> Option<(usize, f64)> {
    let (a, b) = (c(lo), c(hi));
    let mut best: Option<(usize, f64)> = None;
    for i in lo + 1..hi {
        let d = seg_dist2(c(i), a, b);
        if best.is_none_or(|(_, bd)| d > bd) {
            best = Some((i, d));
        }
    }
    best
}

fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

fn seg_dist2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return dist2(p, a);
    }
    let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0);
    dist2(
        p,
        Coord {
            x: a.x + t * dx,
            y: a.y + t * dy,
        },
    )
}

type Seg = GeomWithData<Rectangle<[f64; 2]>, (usize, u32, u32)>;

/// Pairs of arcs whose simplified segments cross, overlap or touch other than at a shared vertex
/// (an arc paired with itself for self-crossings), sorted and deduplicated. With `only`, just
/// the segments of arcs marked there are tested (against all segments).
fn crossing_arcs(topo: &Topology, kept: &[Vec<u32>], only: Option<&[bool]>) -> Vec<(usize, usize)> {
    let segs: Vec<Seg> = kept
        .iter()
        .enumerate()
        .flat_map(|(a, ids)| {
            ids.windows(2).map(move |w| {
                let (p, q) = (topo.coords[w[0] as usize], topo.coords[w[1] as usize]);
                GeomWithData::new(
                    Rectangle::from_corners([p.x, p.y], [q.x, q.y]),
                    (a, w[0], w[1]),
                )
            })
        })
        .collect();
    let selected = |a: usize| only.is_none_or(|m| m.get(a).copied().unwrap_or(false));
    let queries: Vec<Seg> = segs
        .iter()
        .filter(|s| selected(s.data.0))
        .cloned()
        .collect();
    let tree = RTree::bulk_load(segs);
    let mut out = Vec::new();
    for s in &queries {
        let (a, u, v) = s.data;
        for t in tree.locate_in_envelope_intersecting(s.geom().envelope()) {
            let (b, x, y) = t.data;
            // A segment is not compared with itself; between two queried segments each
            // unordered pair is tested once.
            if (b, x, y) == (a, u, v) || (selected(b) && (b, x, y) < (a, u, v)) {
                continue;
            }
            if segments_conflict(topo, (u, v), (x, y)) {
                out.push((a.min(b), a.max(b)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn segments_conflict(topo: &Topology, (u, v): (u32, u32), (x, y): (u32, u32)) -> bool {
    let shared = [u, v].iter().filter(|p| **p == x || **p == y).count();
    if shared == 2 {
        return true; // the same segment twice: overlap
    }
    let c = |i: u32| topo.coords[i as usize];
    match line_intersection(Line::new(c(u), c(v)), Line::new(c(x), c(y))) {
        None => false,
        // Touching at the one vertex both segments end in is how arcs and segments connect.
        Some(LineIntersection::SinglePoint { .. }) => shared == 0,
        Some(LineIntersection::Collinear { intersection }) => {
            shared == 0 || intersection.start != intersection.end
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::polygon;

    fn wiggly_pair() -> (MultiPolygon<f64>, MultiPolygon<f64>) {
        // Shared border x≈1 with small wiggles, both squares with wiggly outer edges.
        let mut border: Vec<(f64, f64)> = (0..=20)
            .map(|i| {
                (
                    1.0 + if i % 2 == 1 { 0.001 } else { 0.0 },
                    f64::from(i) / 20.0,
                )
            })
            .collect();
        let mut left = vec![(0.0, 1.0), (0.0, 0.0)];
        left.extend(border.iter().copied());
        border.reverse();
        let mut right = vec![(2.0, 0.0), (2.0, 1.0)];
        right.extend(border.iter().copied());
        let mk = |v: Vec<(f64, f64)>| {
            let ls: LineString<f64> = v.into();
            let mut p = Polygon::new(ls, vec![]);
            use geo::Orient;
            p = p.orient(geo::orient::Direction::Default);
            MultiPolygon::new(vec![p])
        };
        (mk(left), mk(right))
    }

    #[test]
    fn shared_border_is_simplified_identically() {
        let (a, b) = wiggly_pair();
        let before = vertex_count(&a) + vertex_count(&b);
        let out = simplify_shapes(&[&a, &b], 0.01);
        let after = vertex_count(&out[0]) + vertex_count(&out[1]);
        assert!(after < before / 3, "{before} -> {after}");
        let on_border = |mp: &MultiPolygon<f64>| {
            let mut v: Vec<(u64, u64)> = mp.0[0]
                .exterior()
                .0
                .iter()
                .filter(|c| (c.x - 1.0).abs() < 0.01)
                .map(|c| (c.x.to_bits(), c.y.to_bits()))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        assert_eq!(on_border(&out[0]), on_border(&out[1]));
    }

    #[test]
    fn tiny_rings_keep_a_triangle_and_holes_survive() {
        let p = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 4.0, y: 4.001), (x: 4.0005, y: 4.0012),
                         (x: 4.001, y: 4.001), (x: 4.001, y: 4.0)]],
        );
        let island = polygon![(x: 20.0, y: 20.0), (x: 20.001, y: 20.0), (x: 20.0012, y: 20.0005),
                              (x: 20.001, y: 20.001), (x: 20.0, y: 20.001)];
        let mp = MultiPolygon::new(vec![p, island]);
        let out = simplify_shapes(&[&mp], 1.0);
        assert_eq!(out[0].0.len(), 2);
        assert_eq!(out[0].0[0].interiors().len(), 1);
        for poly in &out[0].0 {
            for r in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                assert!(r.0.len() >= 4, "{r:?}");
            }
        }
        assert!(signed_area(&out[0].0[0].interiors()[0].0) < 0.0);
    }

    #[test]
    fn preexisting_crossings_do_not_block_simplification() {
        // Two wiggly squares that overlap without sharing vertices.
        let wiggly = |x0: f64| {
            let mut pts = vec![];
            for i in 0..=40 {
                let t = f64::from(i) / 40.0;
                pts.push((x0 + t, 0.001 * f64::from(i % 2)));
            }
            pts.push((x0 + 1.0, 1.0));
            pts.push((x0, 1.0));
            MultiPolygon::new(vec![Polygon::new(pts.into(), vec![])])
        };
        let (a, b) = (wiggly(0.0), wiggly(0.5));
        let out = simplify_shapes(&[&a, &b], 0.01);
        assert!(vertex_count(&out[0]) < 10, "{:?}", out[0]);
        assert!(vertex_count(&out[1]) < 10);
    }

    #[test]
    fn crossing_is_repaired() {
        // A thin spike of shape B reaches into a notch of A; simplifying A's long arc naively
        // would cut across B.
        let a = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 1.0), (x: 5.2, y: 1.0),
                         (x: 5.0, y: 0.5), (x: 4.8, y: 1.0), (x: 0.0, y: 1.0)];
        let b = polygon![(x: 4.95, y: 0.75), (x: 5.05, y: 0.75), (x: 5.0, y: 1.5)];
        let (a, b) = (MultiPolygon::new(vec![a]), MultiPolygon::new(vec![b]));
        let out = simplify_shapes(&[&a, &b], 1.0);
        use geo::Intersects;
        assert!(!out[0].intersects(&out[1]), "{:?}", out[0]);
    }
}
