//! Geo stage, quantisation: the decimal precision of every vertex written to the web layers,
//! chosen so that rounding creates no crossing, no pinch and no collapsed ring.
//!
//! Every vertex starts at the requested number of decimals. The rounded rings of all layers
//! written together are checked with exact integer arithmetic for four kinds of problem:
//! - a ring with fewer than 3 distinct points, no area, or its winding flipped;
//! - two segments that cross, overlap, or touch other than at a common end (T-touches
//!   included), within a ring, between rings or between layers;
//! - a pinch: two vertices that were distinct (and not neighbours collapsing onto each other)
//!   rounding to the same point, which makes a ring touch itself or another ring there;
//! - lost contact: two rings that shared a border no longer share a segment (a short border
//!   between neighbours shrank to a point).
//!
//! Each vertex of a problem that the unrounded geometry does not have gets one more decimal,
//! and the check runs again, until no new problem is left or the vertices reach
//! [`MAX_DIGITS`]. Precision is kept per coordinate (by its exact bits), so a vertex shared by
//! several rings or layers is rounded the same everywhere: shared borders stay identical and
//! provinces keep nesting their districts.

use crate::geo::layer::signed_area;
use geo::{Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};
// The maps here hold every vertex and segment of the layers: keyed with a fast hash.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// Most decimals a vertex is written with (1e-12° is about 0.1 µm); coordinates are kept as
/// integers at this scale.
pub(crate) const MAX_DIGITS: u32 = 12;

/// Exact bits of a coordinate: the identity of a vertex.
type Key = (u64, u64);
/// A rounded coordinate, in units of 10^-MAX_DIGITS degrees.
pub(crate) type Q = (i64, i64);
/// A segment between two vertices, ends sorted.
type SegKey = (Key, Key);

fn key(c: Coord<f64>) -> Key {
    // `+ 0.0` makes -0.0 and 0.0 one vertex.
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

fn seg_key(a: Key, b: Key) -> SegKey {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Decimals per vertex: `base` unless a vertex needed more.
pub(crate) struct Precision {
    base: u32,
    extra: HashMap<Key, u32>,
}

impl Precision {
    fn uniform(digits: u32) -> Precision {
        Precision {
            base: digits.min(MAX_DIGITS),
            extra: HashMap::new(),
        }
    }

    fn digits(&self, k: Key) -> u32 {
        self.extra.get(&k).copied().unwrap_or(self.base)
    }

    /// `c` rounded to its vertex's decimals, in units of 10^-MAX_DIGITS.
    pub(crate) fn quantise(&self, c: Coord<f64>) -> Q {
        let digits = self.digits(key(c));
        let unit = 10i64.pow(MAX_DIGITS - digits);
        let scale = 10f64.powi(digits as i32);
        let r = |v: f64| (v * scale).round() as i64 * unit;
        (r(c.x), r(c.y))
    }

    /// Number of vertices written with more than the base decimals.
    #[cfg(test)]
    pub(crate) fn refined(&self) -> usize {
        self.extra.len()
    }
}

/// Precision for writing `layers` together with `digits` decimals (at most [`MAX_DIGITS`]),
/// with more decimals where rounding would break the geometry.
pub(crate) fn plan(layers: &[Vec<&MultiPolygon<f64>>], digits: u32) -> Precision {
    let rings: Vec<&[Coord<f64>]> = layers
        .iter()
        .flatten()
        .flat_map(|mp| mp.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.as_slice())
        .collect();
    let mut precision = Precision::uniform(digits);
    if precision.base == MAX_DIGITS {
        return precision;
    }
    let exact_area: Vec<f64> = rings.iter().map(|r| signed_area(r)).collect();
    let (baseline, contacts) = problems(&rings, &exact_area, &Precision::uniform(MAX_DIGITS));
    let baseline: HashSet<Problem> = baseline.into_iter().collect();
    loop {
        let mut raised: HashSet<Key> = HashSet::new();
        let (found, now_in_contact) = problems(&rings, &exact_area, &precision);
        let lost = contacts
            .iter()
            .filter(|c| !now_in_contact.contains(c))
            .map(|&(a, b)| Problem::Contact(a, b));
        for problem in found.into_iter().chain(lost) {
            if baseline.contains(&problem) {
                continue;
            }
            for k in problem.vertices(&rings) {
                let d = precision.digits(k);
                if d < MAX_DIGITS && raised.insert(k) {
                    precision.extra.insert(k, d + 1);
                }
            }
        }
        if raised.is_empty() {
            return precision;
        }
    }
}

/// Something rounding broke, named by the exact vertices involved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Problem {
    /// Ring (index into the ring list) degenerate or flipped.
    Ring(usize),
    /// Two segments (by their unrounded ends) crossing, overlapping or touching.
    Cross(SegKey, SegKey),
    /// Two distinct vertices on one rounded point.
    Pinch(Key, Key),
    /// Two rings that shared a segment share none after rounding (their common border
    /// shrank to a point).
    Contact(usize, usize),
}

impl Problem {
    fn vertices(&self, rings: &[&[Coord<f64>]]) -> Vec<Key> {
        match self {
            Problem::Ring(r) => rings[*r].iter().map(|c| key(*c)).collect(),
            Problem::Cross(a, b) => vec![a.0, a.1, b.0, b.1],
            Problem::Pinch(a, b) => vec![*a, *b],
            Problem::Contact(a, b) => {
                let of_a: HashSet<Key> = rings[*a].iter().map(|c| key(*c)).collect();
                rings[*b]
                    .iter()
                    .map(|c| key(*c))
                    .filter(|k| of_a.contains(k))
                    .collect()
            }
        }
    }
}

/// Union–find over vertex keys, joining vertices that collapse onto a ring neighbour.
#[derive(Default)]
struct Clusters {
    ids: HashMap<Key, usize>,
    parent: Vec<usize>,
}

impl Clusters {
    fn id(&mut self, k: Key) -> usize {
        let next = self.parent.len();
        let id = *self.ids.entry(k).or_insert(next);
        if id == next {
            self.parent.push(next);
        }
        id
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: Key, b: Key) {
        let (a, b) = (self.id(a), self.id(b));
        let (ra, rb) = (self.root(a), self.root(b));
        self.parent[ra.max(rb)] = ra.min(rb);
    }
}

type Seg = GeomWithData<Rectangle<[f64; 2]>, (Q, Q, SegKey)>;

/// Every problem of the rounded rings, in a deterministic order, and the pairs of rings that
/// share at least one rounded segment.
fn problems(
    rings: &[&[Coord<f64>]],
    exact_area: &[f64],
    precision: &Precision,
) -> (Vec<Problem>, HashSet<(usize, usize)>) {
    let mut out = Vec::new();
    let mut clusters = Clusters::default();
    let mut at_point: HashMap<Q, Vec<Key>> = HashMap::new();
    let mut segments: HashMap<(Q, Q), (SegKey, Vec<usize>)> = HashMap::new();
    for (ri, ring) in rings.iter().enumerate() {
        // Rounded ring without consecutive duplicates, each point with the vertex it came from.
        let mut pts: Vec<(Q, Key)> = Vec::with_capacity(ring.len());
        for c in ring.iter() {
            let (q, k) = (precision.quantise(*c), key(*c));
            clusters.id(k);
            at_point.entry(q).or_default().push(k);
            match pts.last() {
                Some(&(lq, lk)) if lq == q => clusters.join(lk, k),
                _ => pts.push((q, k)),
            }
        }
        if pts.len() > 1 && pts.first().map(|p| p.0) == pts.last().map(|p| p.0) {
            if let Some((_, last)) = pts.pop() {
                clusters.join(pts[0].1, last);
            }
        }
        let area = ring_area2(&pts);
        let mut distinct: Vec<Q> = pts.iter().map(|p| p.0).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 3 || area == 0 || (area > 0) != (exact_area[ri] > 0.0) {
            out.push(Problem::Ring(ri));
        }
        for i in 0..pts.len() {
            let ((qa, ka), (qb, kb)) = (pts[i], pts[(i + 1) % pts.len()]);
            if qa != qb {
                let q = if qa < qb { (qa, qb) } else { (qb, qa) };
                let entry = segments
                    .entry(q)
                    .or_insert_with(|| (seg_key(ka, kb), vec![]));
                entry.1.push(ri);
            }
        }
    }

    let mut points: Vec<(Q, Vec<Key>)> = at_point.into_iter().collect();
    points.sort_unstable();
    for (_, mut keys) in points {
        keys.sort_unstable();
        keys.dedup();
        let mut roots: Vec<(usize, Key)> = keys
            .iter()
            .map(|&k| {
                let id = clusters.id(k);
                (clusters.root(id), k)
            })
            .collect();
        roots.sort_unstable();
        roots.dedup_by_key(|r| r.0);
        for pair in roots.windows(2) {
            out.push(Problem::Pinch(
                pair[0].1.min(pair[1].1),
                pair[0].1.max(pair[1].1),
            ));
        }
    }

    let mut contacts = HashSet::new();
    for (_, users) in segments.values() {
        for (i, &a) in users.iter().enumerate() {
            for &b in &users[i + 1..] {
                if a != b {
                    contacts.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let mut segs: Vec<Seg> = segments
        .into_iter()
        .map(|((a, b), (k, _))| {
            let rect = Rectangle::from_corners([a.0 as f64, a.1 as f64], [b.0 as f64, b.1 as f64]);
            GeomWithData::new(rect, (a, b, k))
        })
        .collect();
    segs.sort_unstable_by_key(|s| s.data.2);
    let tree = RTree::bulk_load(segs.clone());
    for s in &segs {
        let (a, b, ka) = s.data;
        for t in tree.locate_in_envelope_intersecting(s.geom().envelope()) {
            let (c, d, kb) = t.data;
            if kb <= ka || (a, b) == (c, d) {
                continue;
            }
            if segments_conflict((a, b), (c, d)) {
                out.push(Problem::Cross(ka, kb));
            }
        }
    }
    (out, contacts)
}

/// Twice the signed area of a ring given without its closing point (exact).
fn ring_area2(pts: &[(Q, Key)]) -> i128 {
    let Some(&((ox, oy), _)) = pts.first() else {
        return 0;
    };
    let n = pts.len();
    (0..n)
        .map(|i| {
            let ((ax, ay), _) = pts[i];
            let ((bx, by), _) = pts[(i + 1) % n];
            i128::from(ax - ox) * i128::from(by - oy) - i128::from(bx - ox) * i128::from(ay - oy)
        })
        .sum()
}

/// Sign of the turn a → b → c (exact).
fn orient(a: Q, b: Q, c: Q) -> i32 {
    let v = i128::from(b.0 - a.0) * i128::from(c.1 - a.1)
        - i128::from(b.1 - a.1) * i128::from(c.0 - a.0);
    v.signum() as i32
}

/// Whether `p`, collinear with segment a–b, lies within its bounding box.
fn within(a: Q, b: Q, p: Q) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

/// Whether two distinct segments meet anywhere but at one common end.
fn segments_conflict((a, b): (Q, Q), (c, d): (Q, Q)) -> bool {
    let shared = [a, b].iter().filter(|p| **p == c || **p == d).count();
    if shared == 1 {
        // Meeting at a common end is how rings continue; folding back along each other is not.
        let (o, p, q) = if a == c || a == d {
            (a, b, if a == c { d } else { c })
        } else {
            (b, a, if b == c { d } else { c })
        };
        let dot = i128::from(p.0 - o.0) * i128::from(q.0 - o.0)
            + i128::from(p.1 - o.1) * i128::from(q.1 - o.1);
        return orient(o, p, q) == 0 && dot > 0;
    }
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return true;
    }
    (o1 == 0 && within(a, b, c))
        || (o2 == 0 && within(a, b, d))
        || (o3 == 0 && within(c, d, a))
        || (o4 == 0 && within(c, d, b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::polygon;

    fn digits_of(p: &Precision, x: f64, y: f64) -> u32 {
        p.digits(key(Coord { x, y }))
    }

    #[test]
    fn vertex_rounding_onto_a_neighbour_edge_keeps_a_decimal_more() {
        let a = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        // B's tip is 0.0004° east of A's edge: at 3 decimals it would touch A.
        let b = MultiPolygon::new(vec![polygon![
            (x: 1.0004, y: 0.5), (x: 1.2, y: 0.4), (x: 1.2, y: 0.6)
        ]]);
        let p = plan(&[vec![&a, &b]], 3);
        assert_eq!(digits_of(&p, 1.0004, 0.5), 4);
        assert_eq!(p.quantise(Coord { x: 1.0004, y: 0.5 }).0, 1_000_400_000_000);
        // Only the ends of the segments involved get a decimal more.
        assert_eq!(digits_of(&p, 0.0, 0.0), 3);
        assert_eq!(digits_of(&p, 0.0, 1.0), 3);
        assert_eq!(
            p.refined(),
            5,
            "the tip, B's other two corners, A's edge ends"
        );
    }

    #[test]
    fn thin_ring_does_not_collapse_and_pinches_are_resolved() {
        // A sliver 0.0002° wide collapses at 3 decimals; so does a ring folding onto itself.
        let sliver = MultiPolygon::new(vec![polygon![
            (x: 5.0, y: 5.0), (x: 5.5, y: 5.0002), (x: 6.0, y: 5.0), (x: 5.5, y: 5.0004)
        ]]);
        // An hourglass-to-be: two lobes whose waist vertices are 0.0003° apart.
        let waist = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.5, y: 0.4998),
            (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.5, y: 0.5001)
        ]]);
        let p = plan(&[vec![&sliver, &waist]], 3);
        assert!(digits_of(&p, 5.5, 5.0002) > 3);
        assert!(digits_of(&p, 0.5, 0.4998) > 3);
        assert!(digits_of(&p, 0.5, 0.5001) > 3);
        assert_eq!(digits_of(&p, 0.0, 1.0), 3);
    }

    #[test]
    fn a_short_border_between_neighbours_does_not_shrink_to_a_point() {
        // A and B meet only along x = 1 between y = 0.5 and 0.5004.
        let a = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 0.5), (x: 1.0, y: 0.5004),
            (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        let b = MultiPolygon::new(vec![polygon![
            (x: 1.0, y: 0.5004), (x: 1.0, y: 0.5), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0)
        ]]);
        let p = plan(&[vec![&a, &b]], 3);
        assert_eq!(digits_of(&p, 1.0, 0.5004), 4);
        assert_eq!(digits_of(&p, 2.0, 0.0), 3);
    }

    #[test]
    fn problems_already_in_the_input_are_left_alone() {
        // Two overlapping squares from different sources: their crossing is not rounding's.
        let a = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        let b = MultiPolygon::new(vec![polygon![
            (x: 0.5, y: 0.5), (x: 1.5, y: 0.5), (x: 1.5, y: 1.5), (x: 0.5, y: 1.5)
        ]]);
        let p = plan(&[vec![&a], vec![&b]], 3);
        assert_eq!(p.refined(), 0);
    }

    #[test]
    fn exact_segment_predicates() {
        let q = |x: i64, y: i64| (x, y);
        assert!(segments_conflict((q(0, 0), q(2, 2)), (q(0, 2), q(2, 0))));
        assert!(
            segments_conflict((q(0, 0), q(2, 0)), (q(1, 0), q(1, 5))),
            "T-touch"
        );
        assert!(
            segments_conflict((q(0, 0), q(2, 0)), (q(0, 0), q(1, 0))),
            "fold back"
        );
        assert!(!segments_conflict((q(0, 0), q(2, 0)), (q(2, 0), q(3, 1))));
        assert!(
            !segments_conflict((q(0, 0), q(2, 0)), (q(0, 0), q(-1, 0))),
            "straight on"
        );
        assert!(!segments_conflict((q(0, 0), q(1, 1)), (q(2, 2), q(3, 3))));
    }
}
