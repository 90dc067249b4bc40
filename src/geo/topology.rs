//! Geo stage, topology: splits polygon rings into shared arcs (junction to junction) for simplification.
//!
//! Vertices closer than `SNAP_DEG` (~1 mm) are merged (the first coordinate seen wins), and a
//! vertex lying on another ring's edge is inserted into that edge, so layers from one source that
//! differ in the last bits or in dropped collinear points still share borders. A vertex is a
//! junction if it has more than two distinct neighbours, or if the set of rings using the edge
//! before it differs from the set using the edge after it on some ring. Every ring is cut at its
//! junctions; an arc used by several rings (in either direction) is stored once. A ring without
//! junctions becomes one closed arc starting at its smallest vertex id, so identical loops (an
//! enclave and the hole around it) share it.

use geo::{Coord, MultiPolygon};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
// The maps here hold every vertex and segment of the layers: keyed with a fast hash.
use foldhash::{HashMap, HashMapExt};

/// Shared-arc representation of a set of multipolygons.
pub(crate) struct Topology {
    /// Vertex table; ids index into it.
    pub coords: Vec<Coord<f64>>,
    /// Arcs as vertex-id sequences. A closed arc (a whole ring) has first == last.
    pub arcs: Vec<Vec<u32>>,
    /// Rings as arc references `(arc id, reversed)`; following them in order traces the ring.
    pub rings: Vec<Vec<(usize, bool)>>,
    /// Signed area of each ring in the input (positive = counter-clockwise).
    pub ring_area: Vec<f64>,
    /// shape → polygon → ring ids (exterior first). Polygons whose exterior was degenerate
    /// (fewer than 3 distinct vertices) are left out, as are such holes.
    pub shapes: Vec<Vec<Vec<usize>>>,
}

impl Topology {
    pub(crate) fn build(shapes: &[&MultiPolygon<f64>]) -> Topology {
        let mut table = VertexTable::default();
        let mut ring_vertices: Vec<Vec<u32>> = Vec::new();
        let mut ring_area = Vec::new();
        let mut shape_rings = Vec::with_capacity(shapes.len());
        for mp in shapes {
            let mut polys = Vec::new();
            for poly in &mp.0 {
                let mut rings = Vec::new();
                for (ri, ring) in std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .enumerate()
                {
                    let mut vs: Vec<u32> = ring.0.iter().map(|c| table.id(*c)).collect();
                    vs.dedup();
                    while vs.len() > 1 && vs.first() == vs.last() {
                        vs.pop();
                    }
                    let mut distinct = vs.clone();
                    distinct.sort_unstable();
                    distinct.dedup();
                    if distinct.len() < 3 {
                        if ri == 0 {
                            break;
                        }
                        continue;
                    }
                    let mut closed: Vec<Coord<f64>> =
                        vs.iter().map(|&v| table.coords[v as usize]).collect();
                    closed.push(table.coords[vs[0] as usize]);
                    ring_area.push(crate::geo::layer::signed_area(&closed));
                    rings.push(ring_vertices.len());
                    ring_vertices.push(vs);
                }
                if !rings.is_empty() {
                    polys.push(rings);
                }
            }
            shape_rings.push(polys);
        }

        let coords = table.coords;
        node_rings(&coords, &mut ring_vertices);
        let junction = find_junctions(coords.len(), &ring_vertices);
        let mut arcs: Vec<Vec<u32>> = Vec::new();
        let mut arc_ids: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut rings = Vec::with_capacity(ring_vertices.len());
        for vs in &ring_vertices {
            let mut refs = Vec::new();
            for seq in split_ring(vs, &junction) {
                let rev: Vec<u32> = seq.iter().rev().copied().collect();
                let (key, reversed) = if rev < seq { (rev, true) } else { (seq, false) };
                let id = *arc_ids.entry(key).or_insert_with_key(|k| {
                    arcs.push(k.clone());
                    arcs.len() - 1
                });
                refs.push((id, reversed));
            }
            rings.push(refs);
        }
        Topology {
            coords,
            arcs,
            rings,
            ring_area,
            shapes: shape_rings,
        }
    }
}

/// Coordinates closer than this (in degrees, per axis; ~1 mm) are the same vertex, and a vertex
/// this close to another ring's edge is inserted into that edge. Layers derived from one source
/// differ like that: in the last bits of a coordinate, or by one dropping collinear vertices
/// (pak-adm1 vs pak-adm2).
const SNAP_DEG: f64 = 1e-8;

/// Vertex ids by coordinate, merging coordinates within [`SNAP_DEG`] (first one seen wins).
#[derive(Default)]
struct VertexTable {
    coords: Vec<Coord<f64>>,
    cells: HashMap<(i64, i64), Vec<u32>>,
}

impl VertexTable {
    fn id(&mut self, c: Coord<f64>) -> u32 {
        let cell = |v: f64| (v / SNAP_DEG).floor() as i64;
        let (cx, cy) = (cell(c.x), cell(c.y));
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(ids) = self.cells.get(&(cx + dx, cy + dy)) {
                    for &id in ids {
                        let o = self.coords[id as usize];
                        if (o.x - c.x).abs() <= SNAP_DEG && (o.y - c.y).abs() <= SNAP_DEG {
                            return id;
                        }
                    }
                }
            }
        }
        let id = self.coords.len() as u32;
        // `+ 0.0` turns -0.0 into 0.0.
        self.coords.push(Coord {
            x: c.x + 0.0,
            y: c.y + 0.0,
        });
        self.cells.entry((cx, cy)).or_default().push(id);
        id
    }
}

/// Inserts into every ring edge the vertices (of any ring) lying on it within [`SNAP_DEG`], so
/// that an edge skipping a neighbour's collinear vertices still shares arcs with it.
fn node_rings(coords: &[Coord<f64>], rings: &mut [Vec<u32>]) {
    let points: Vec<GeomWithData<[f64; 2], u32>> = coords
        .iter()
        .enumerate()
        .map(|(i, c)| GeomWithData::new([c.x, c.y], i as u32))
        .collect();
    let tree = RTree::bulk_load(points);
    for vs in rings.iter_mut() {
        let n = vs.len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (vs[i], vs[(i + 1) % n]);
            out.push(a);
            let (p, q) = (coords[a as usize], coords[b as usize]);
            let env = AABB::from_corners(
                [p.x.min(q.x) - SNAP_DEG, p.y.min(q.y) - SNAP_DEG],
                [p.x.max(q.x) + SNAP_DEG, p.y.max(q.y) + SNAP_DEG],
            );
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            let len2 = dx * dx + dy * dy;
            if len2 == 0.0 {
                continue;
            }
            let mut on: Vec<(f64, u32)> = tree
                .locate_in_envelope(env)
                .filter(|v| v.data != a && v.data != b)
                .filter_map(|v| {
                    let [x, y] = *v.geom();
                    let t = ((x - p.x) * dx + (y - p.y) * dy) / len2;
                    let (ex, ey) = (x - p.x - t * dx, y - p.y - t * dy);
                    (t > 0.0 && t < 1.0 && ex.abs() <= SNAP_DEG && ey.abs() <= SNAP_DEG)
                        .then_some((t, v.data))
                })
                .collect();
            on.sort_by(|l, r| l.0.total_cmp(&r.0).then(l.1.cmp(&r.1)));
            out.extend(on.into_iter().map(|(_, v)| v));
        }
        out.dedup();
        while out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        *vs = out;
    }
}

/// Undirected edge key.
fn edge(a: u32, b: u32) -> (u32, u32) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

fn find_junctions(n_vertices: usize, rings: &[Vec<u32>]) -> Vec<bool> {
    let mut users: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
    let mut neighbours: Vec<Vec<u32>> = vec![Vec::new(); n_vertices];
    for (ri, vs) in rings.iter().enumerate() {
        let n = vs.len();
        for i in 0..n {
            let (a, b) = (vs[i], vs[(i + 1) % n]);
            users.entry(edge(a, b)).or_default().push(ri as u32);
            neighbours[a as usize].push(b);
            neighbours[b as usize].push(a);
        }
    }
    for u in users.values_mut() {
        u.sort_unstable();
    }
    let mut junction: Vec<bool> = neighbours
        .iter_mut()
        .map(|nb| {
            nb.sort_unstable();
            nb.dedup();
            nb.len() > 2
        })
        .collect();
    for vs in rings {
        let n = vs.len();
        for i in 0..n {
            let prev = vs[(i + n - 1) % n];
            let (v, next) = (vs[i], vs[(i + 1) % n]);
            if users.get(&edge(prev, v)) != users.get(&edge(v, next)) {
                junction[v as usize] = true;
            }
        }
    }
    junction
}

/// Cuts a ring (vertex ids, not closed) into arcs at its junctions.
fn split_ring(vs: &[u32], junction: &[bool]) -> Vec<Vec<u32>> {
    let n = vs.len();
    let Some(start) = (0..n).find(|&i| junction[vs[i] as usize]) else {
        return vec![canonical_loop(vs)];
    };
    let mut out = Vec::new();
    let mut cur = vec![vs[start]];
    for k in 1..=n {
        let v = vs[(start + k) % n];
        cur.push(v);
        if junction[v as usize] {
            out.push(std::mem::replace(&mut cur, vec![v]));
        }
    }
    out
}

/// A junction-free ring as a closed arc starting at its smallest vertex id, in ring direction
/// (the caller picks the canonical direction, as for any arc).
fn canonical_loop(vs: &[u32]) -> Vec<u32> {
    let n = vs.len();
    let start = (0..n).min_by_key(|&i| vs[i]).unwrap_or(0);
    (0..=n).map(|k| vs[(start + k) % n]).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn two_squares_share_one_arc() {
        let a = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 0.5), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        let b = MultiPolygon::new(vec![polygon![
            (x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.5)
        ]]);
        let t = Topology::build(&[&a, &b]);
        assert_eq!(t.rings.len(), 2);
        // Each square: the shared arc plus its own outer arc.
        assert_eq!(t.arcs.len(), 3);
        let shared: Vec<usize> = t.rings[0]
            .iter()
            .filter(|(id, _)| t.rings[1].iter().any(|(j, _)| j == id))
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(shared.len(), 1);
        assert_eq!(t.arcs[shared[0]].len(), 3);
        // Used in opposite directions by the two rings.
        let d0 = t.rings[0].iter().find(|r| r.0 == shared[0]).unwrap().1;
        let d1 = t.rings[1].iter().find(|r| r.0 == shared[0]).unwrap().1;
        assert_ne!(d0, d1);
    }

    #[test]
    fn enclave_and_hole_share_a_closed_arc() {
        let outer = MultiPolygon::new(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 9.0, y: 0.0), (x: 9.0, y: 9.0), (x: 0.0, y: 9.0)],
            interiors: [[(x: 3.0, y: 3.0), (x: 3.0, y: 6.0), (x: 6.0, y: 6.0), (x: 6.0, y: 3.0)]],
        )]);
        let inner = MultiPolygon::new(vec![polygon![
            (x: 3.0, y: 6.0), (x: 3.0, y: 3.0), (x: 6.0, y: 3.0), (x: 6.0, y: 6.0)
        ]]);
        let t = Topology::build(&[&outer, &inner]);
        assert_eq!(t.arcs.len(), 2);
        assert_eq!(t.rings[1], vec![(t.rings[2][0].0, !t.rings[2][0].1)]);
        assert_eq!(t.arcs[t.rings[2][0].0].len(), 5);
    }
}
