//! Compares simplified district layers with the full-resolution input: vertices, bytes (raw and
//! gzip), area error per district, invalid features, and neighbour pairs whose shared border
//! differs between the two sides. Used by scripts/compare-mapshaper.sh.
//!
//! cargo run --release --example geo_compare -- INPUT.geojson DIGITS LABEL=FILE...
//! cargo run --release --example geo_compare -- --count FILE      (prints the vertex count)
//!
//! DIGITS is the decimals the files were rounded to (output vertices are matched to input
//! vertices within that rounding). Features are matched by `shapeName`. A neighbour pair (two
//! input districts sharing at least one edge) "differs" when the input vertices of their common
//! border that survive in one district are not exactly those surviving in the other: then the
//! two outlines no longer meet along one line and leave gaps or overlaps between them (a pair
//! whose common border kept fewer than two vertices counts as differing too).

use flate2::{write::GzEncoder, Compression};
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Area, Coord, Line, LineString, MultiPolygon, Polygon, Validation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;

type Key = (u64, u64);

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--count") {
        let file = args.get(1).ok_or_else(|| anyhow::anyhow!("--count FILE"))?;
        let layer = read(file)?;
        println!("{}", layer.values().map(vertices).sum::<usize>());
        return Ok(());
    }
    let [input, digits, files @ ..] = args.as_slice() else {
        anyhow::bail!("usage: geo_compare INPUT.geojson DIGITS LABEL=FILE...");
    };
    let digits: i32 = digits.parse()?;
    let delta = 0.5 * 10f64.powi(-digits) * std::f64::consts::SQRT_2 * 1.01;
    let input = read(input)?;
    let borders = shared_borders(&input);
    let border_vertices: BTreeSet<Key> = borders.values().flatten().copied().collect();
    let tree = RTree::bulk_load(
        border_vertices
            .iter()
            .map(|&k| GeomWithData::new([f64::from_bits(k.0), f64::from_bits(k.1)], k))
            .collect(),
    );
    println!(
        "| layer | features | vertices (kept) | raw | gzip | area error mean / max | invalid features | crossing segment pairs | neighbour pairs differing (of {}) |",
        borders.len()
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let input_vertices: usize = input.values().map(vertices).sum();
    for spec in files {
        let (label, file) = spec
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("expected LABEL=FILE, got {spec}"))?;
        let bytes = std::fs::read(file)?;
        let layer = read(file)?;
        let mut errors = Vec::new();
        for (name, before) in &input {
            let after = layer.get(name).map_or(0.0, |g| g.unsigned_area());
            errors.push(100.0 * (after - before.unsigned_area()).abs() / before.unsigned_area());
        }
        let invalid = layer.values().filter(|g| !g.is_valid()).count();
        let mut differing = 0;
        for ((a, b), border) in &borders {
            let on_border = |name: &str| -> BTreeSet<Key> {
                let Some(g) = layer.get(name) else {
                    return BTreeSet::new();
                };
                coords(g)
                    .filter_map(|c| {
                        tree.locate_within_distance([c.x, c.y], delta * delta)
                            .filter(|v| border.contains(&v.data))
                            .min_by(|p, q| {
                                dist2(p.geom(), c)
                                    .total_cmp(&dist2(q.geom(), c))
                                    .then(p.data.cmp(&q.data))
                            })
                            .map(|v| v.data)
                    })
                    .collect()
            };
            let (va, vb) = (on_border(a), on_border(b));
            if va != vb || va.len() < 2 {
                differing += 1;
                if std::env::var_os("GEO_COMPARE_VERBOSE").is_some() {
                    eprintln!(
                        "{label}: {a} | {b}: {} vs {} of {} border vertices",
                        va.len(),
                        vb.len(),
                        border.len()
                    );
                }
            }
        }
        let n: usize = layer.values().map(vertices).sum();
        let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
        let max = errors.iter().copied().fold(0.0, f64::max);
        println!(
            "| {label} | {} of {} | {n} ({:.1}%) | {:.1} KB | {:.1} KB | {mean:.3}% / {max:.2}% | {invalid} | {} | {differing} |",
            layer.len(),
            input.len(),
            100.0 * n as f64 / input_vertices as f64,
            bytes.len() as f64 / 1000.0,
            gzip_len(&bytes)? as f64 / 1000.0,
            crossings(&layer),
        );
    }
    Ok(())
}

/// Features by `shapeName` (null or empty geometries left out), rings as written.
fn read(file: &str) -> anyhow::Result<BTreeMap<String, MultiPolygon<f64>>> {
    let text = std::fs::read_to_string(file)?;
    let root: Value = serde_json::from_str(&text)?;
    let mut out = BTreeMap::new();
    for (i, f) in root["features"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = f["properties"]["shapeName"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("{file}: feature #{i} has no shapeName"))?;
        let g = &f["geometry"];
        let polygons: Vec<&Value> = match g["type"].as_str() {
            Some("Polygon") => vec![&g["coordinates"]],
            Some("MultiPolygon") => g["coordinates"].as_array().into_iter().flatten().collect(),
            _ => continue,
        };
        let mut mp = Vec::new();
        for p in polygons {
            let mut rings = p
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| -> LineString<f64> {
                    r.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| Some((c[0].as_f64()?, c[1].as_f64()?)))
                        .collect::<Vec<_>>()
                        .into()
                });
            if let Some(exterior) = rings.next() {
                mp.push(Polygon::new(exterior, rings.collect()));
            }
        }
        out.insert(name.to_string(), MultiPolygon::new(mp));
    }
    Ok(out)
}

fn coords(g: &MultiPolygon<f64>) -> impl Iterator<Item = &Coord<f64>> {
    g.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter())
}

/// Vertices without the closing point of each ring.
fn vertices(g: &MultiPolygon<f64>) -> usize {
    g.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.len().saturating_sub(1))
        .sum()
}

fn key(c: &Coord<f64>) -> Key {
    (c.x.to_bits(), c.y.to_bits())
}

fn dist2(p: &[f64; 2], c: &Coord<f64>) -> f64 {
    (p[0] - c.x).powi(2) + (p[1] - c.y).powi(2)
}

/// For each pair of input districts sharing an edge, the vertices of their shared edges.
fn shared_borders(
    input: &BTreeMap<String, MultiPolygon<f64>>,
) -> BTreeMap<(String, String), BTreeSet<Key>> {
    let mut users: HashMap<(Key, Key), BTreeSet<&String>> = HashMap::new();
    for (name, g) in input {
        for p in &g.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in r.0.windows(2) {
                    let (a, b) = (key(&w[0]), key(&w[1]));
                    users.entry((a.min(b), a.max(b))).or_default().insert(name);
                }
            }
        }
    }
    let mut out: BTreeMap<(String, String), BTreeSet<Key>> = BTreeMap::new();
    for (edge, names) in users {
        let names: Vec<&&String> = names.iter().collect();
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                let set = out
                    .entry(((*names[i]).clone(), (*names[j]).clone()))
                    .or_default();
                set.insert(edge.0);
                set.insert(edge.1);
            }
        }
    }
    out
}

type Seg = GeomWithData<Rectangle<[f64; 2]>, (Key, Key)>;

/// Pairs of distinct segments (of any features) that cross, overlap, or touch other than at
/// a common end: where outlines overlap or leave slivers, or a ring touches itself.
fn crossings(layer: &BTreeMap<String, MultiPolygon<f64>>) -> usize {
    let mut unique: BTreeSet<(Key, Key)> = BTreeSet::new();
    for g in layer.values() {
        for p in &g.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in r.0.windows(2) {
                    let (a, b) = (key(&w[0]), key(&w[1]));
                    if a != b {
                        unique.insert((a.min(b), a.max(b)));
                    }
                }
            }
        }
    }
    let pt = |k: Key| Coord {
        x: f64::from_bits(k.0),
        y: f64::from_bits(k.1),
    };
    let segs: Vec<Seg> = unique
        .iter()
        .map(|&(a, b)| {
            let (p, q) = (pt(a), pt(b));
            GeomWithData::new(Rectangle::from_corners([p.x, p.y], [q.x, q.y]), (a, b))
        })
        .collect();
    let tree = RTree::bulk_load(segs.clone());
    let mut count = 0;
    for s in &segs {
        let (a, b) = s.data;
        for t in tree.locate_in_envelope_intersecting(s.geom().envelope()) {
            let (c, d) = t.data;
            if (c, d) <= (a, b) {
                continue;
            }
            let shared = [a, b].iter().filter(|v| **v == c || **v == d).count();
            let bad = match line_intersection(Line::new(pt(a), pt(b)), Line::new(pt(c), pt(d))) {
                None => false,
                Some(LineIntersection::SinglePoint { .. }) => shared == 0,
                Some(LineIntersection::Collinear { intersection }) => {
                    shared == 0 || intersection.start != intersection.end
                }
            };
            count += usize::from(bad);
        }
    }
    count
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}
