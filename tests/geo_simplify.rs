//! Integration tests of the geo stage's topology-preserving simplification and GeoJSON output
//! on the real Pakistan districts and provinces (skipped if the data is absent).

#![allow(clippy::unwrap_used)]

use geo::{Area, MultiPolygon, Validation};
use sitrep::geo::{
    assign_parents, feature_collection, load_layer, simplify_shapes, vertex_count, LayerRole,
    LayerSpec, Shape,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

type V = (u64, u64);

fn geodata() -> Option<PathBuf> {
    let dir = std::env::var_os("SITREP_GEODATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/geodata"));
    if dir.join("pak-adm2.geojson").is_file() && dir.join("pak-adm1.geojson").is_file() {
        Some(dir)
    } else {
        println!(
            "note: {} has no PAK layers; simplification test skipped",
            dir.display()
        );
        None
    }
}

fn load(dir: &Path, file: &str) -> Vec<Shape> {
    let spec = LayerSpec {
        name: file.into(),
        role: LayerRole::Context,
        country: Some("PAK".into()),
        file: file.into(),
        url: String::new(),
        sha256: String::new(),
        license: String::new(),
        attribution: String::new(),
        name_property: "shapeName".into(),
        iso_property: None,
        accept_invalid: Vec::new(),
    };
    load_layer(&spec, &dir.join(file)).unwrap().0.shapes
}

fn key(c: &geo::Coord<f64>) -> V {
    (c.x.to_bits(), c.y.to_bits())
}

/// Directed edges of every ring.
fn edges(mp: &MultiPolygon<f64>) -> Vec<(V, V)> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| (key(&w[0]), key(&w[1]))))
        .collect()
}

fn undirected(e: &(V, V)) -> (V, V) {
    if e.0 < e.1 {
        *e
    } else {
        (e.1, e.0)
    }
}

fn vertices(mp: &MultiPolygon<f64>) -> HashSet<V> {
    edges(mp).into_iter().map(|e| e.0).collect()
}

/// Pairs (i, j), i < j, of shapes that share at least one input edge, with the shared vertices.
fn neighbours(shapes: &[&MultiPolygon<f64>]) -> Vec<(usize, usize, HashSet<V>)> {
    let mut users: HashMap<(V, V), Vec<usize>> = HashMap::new();
    for (i, mp) in shapes.iter().enumerate() {
        for e in edges(mp) {
            users.entry(undirected(&e)).or_default().push(i);
        }
    }
    let mut pairs: HashMap<(usize, usize), HashSet<V>> = HashMap::new();
    for (e, u) in &users {
        for a in 0..u.len() {
            for b in a + 1..u.len() {
                if u[a] != u[b] {
                    let s = pairs.entry((u[a].min(u[b]), u[a].max(u[b]))).or_default();
                    s.insert(e.0);
                    s.insert(e.1);
                }
            }
        }
    }
    let mut v: Vec<_> = pairs.into_iter().map(|((a, b), s)| (a, b, s)).collect();
    v.sort_by_key(|x| (x.0, x.1));
    v
}

#[test]
fn simplified_districts_and_provinces_keep_shared_borders() {
    let Some(dir) = geodata() else { return };
    let districts = load(&dir, "pak-adm2.geojson");
    let provinces = load(&dir, "pak-adm1.geojson");
    let parents = assign_parents(&districts, &provinces);
    let input: Vec<&MultiPolygon<f64>> = districts
        .iter()
        .chain(&provinces)
        .map(|s| &s.geometry)
        .collect();
    let nd = districts.len();
    let t = Instant::now();
    let out = simplify_shapes(&input, 0.01);
    let took = t.elapsed();
    assert_eq!(out.len(), input.len());

    let before_d: usize = input[..nd].iter().map(|m| vertex_count(m)).sum();
    let after_d: usize = out[..nd].iter().map(vertex_count).sum();
    let before_p: usize = input[nd..].iter().map(|m| vertex_count(m)).sum();
    let after_p: usize = out[nd..].iter().map(vertex_count).sum();
    println!(
        "simplify eps 0.01°: {took:?}; districts {before_d} -> {after_d} vertices, \
         provinces {before_p} -> {after_p}"
    );
    assert!(after_d * 3 < before_d, "districts {before_d} -> {after_d}");
    assert!(after_p * 2 < before_p, "provinces {before_p} -> {after_p}");
    for eps in [0.002, 0.005, 0.02, 0.05] {
        let o = simplify_shapes(&input, eps);
        let n: usize = o[..nd].iter().map(vertex_count).sum();
        println!("  eps {eps}°: districts {before_d} -> {n} vertices");
    }

    // Every ring keeps at least 4 points; no polygon or hole is lost; output vertices are input
    // vertices (provinces may take a district's bits for a vertex equal within 1e-8°).
    let all_input: HashSet<V> = input.iter().flat_map(|m| vertices(m)).collect();
    let holes = |m: &MultiPolygon<f64>| m.0.iter().map(|p| p.interiors().len()).sum::<usize>();
    for (i, mp) in out.iter().enumerate() {
        assert_eq!(mp.0.len(), input[i].0.len(), "shape {i} lost a polygon");
        assert_eq!(holes(mp), holes(input[i]), "shape {i} lost a hole");
        for p in &mp.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                assert!(r.0.len() >= 4, "shape {i}: ring with {} points", r.0.len());
                assert!(r.0.iter().all(|c| all_input.contains(&key(c))));
            }
        }
    }

    // Neighbouring districts keep identical shared borders: of the vertices on their common
    // input border, both keep exactly the same ones (and at least the two ends).
    let pairs = neighbours(&input[..nd]);
    for (a, b, border) in &pairs {
        let va: HashSet<V> = vertices(&out[*a]).intersection(border).copied().collect();
        let vb: HashSet<V> = vertices(&out[*b]).intersection(border).copied().collect();
        assert_eq!(va, vb, "districts {a} and {b}: shared border differs");
        assert!(
            va.len() >= 2,
            "districts {a} and {b}: shared border vanished"
        );
    }
    println!("{} neighbouring district pairs checked", pairs.len());
    assert!(pairs.len() > 250);

    // Provinces nest their districts exactly: a province's output edges are exactly the edges
    // of its districts' outputs that no other district of the same province uses in reverse.
    for (pi, prov) in provinces.iter().enumerate() {
        let group: HashSet<(V, V)> = (0..nd)
            .filter(|&d| parents[d] == Some(pi))
            .flat_map(|d| edges(&out[d]))
            .collect();
        let outer: HashSet<(V, V)> = group
            .iter()
            .filter(|e| !group.contains(&(e.1, e.0)))
            .copied()
            .collect();
        let prov_edges: HashSet<(V, V)> = edges(&out[nd + pi]).into_iter().collect();
        assert_eq!(
            prov_edges, outer,
            "{} does not nest its districts",
            prov.name
        );
    }

    // No gaps or overlaps between districts: every output district edge is either used once in
    // the opposite direction by another district, or lies on the input's outer boundary.
    let mut outline: HashSet<V> = HashSet::new();
    let mut input_use: HashMap<(V, V), usize> = HashMap::new();
    for mp in &input[..nd] {
        for e in edges(mp) {
            *input_use.entry(undirected(&e)).or_default() += 1;
        }
    }
    for (e, n) in &input_use {
        if *n == 1 {
            outline.insert(e.0);
            outline.insert(e.1);
        }
    }
    let mut directed: HashMap<(V, V), usize> = HashMap::new();
    for mp in &out[..nd] {
        for e in edges(mp) {
            *directed.entry(e).or_default() += 1;
        }
    }
    for (e, n) in &directed {
        assert_eq!(*n, 1, "edge used twice in the same direction (overlap)");
        if !directed.contains_key(&(e.1, e.0)) {
            assert!(
                outline.contains(&e.0) && outline.contains(&e.1),
                "unpaired edge inside the country (gap)"
            );
        }
    }

    // Provinces still nest their districts: areas add up exactly.
    for (pi, _) in provinces.iter().enumerate() {
        let sum: f64 = (0..nd)
            .filter(|&d| parents[d] == Some(pi))
            .map(|d| out[d].unsigned_area())
            .sum();
        let prov = out[nd + pi].unsigned_area();
        assert!(
            (sum - prov).abs() <= prov * 1e-9,
            "province {pi}: {sum} vs {prov}"
        );
    }

    // Shapes stay valid polygons (no self-intersections introduced).
    let invalid: Vec<usize> = (0..out.len())
        .filter(|&i| input[i].is_valid() && !out[i].is_valid())
        .collect();
    assert!(invalid.is_empty(), "became invalid: {invalid:?}");
    let valid_in = input.iter().filter(|m| m.is_valid()).count();
    println!(
        "{valid_in} of {} input shapes valid; all stay valid",
        input.len()
    );

    // Web output: sizes at 3 and 4 decimals.
    let before_bytes = std::fs::metadata(dir.join("pak-adm2.geojson"))
        .unwrap()
        .len();
    for digits in [3u32, 4] {
        let features: Vec<_> = districts
            .iter()
            .zip(&out)
            .map(|(s, g)| {
                (
                    g.clone(),
                    vec![("name".to_string(), serde_json::json!(s.name))],
                )
            })
            .collect();
        let text = feature_collection(&features, digits);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let feats = parsed["features"].as_array().unwrap();
        assert_eq!(feats.len(), nd);
        assert!(feats.iter().all(|f| !f["geometry"].is_null()));
        println!(
            "districts GeoJSON at {digits} digits: {} bytes raw, {} gzipped (input {before_bytes})",
            text.len(),
            gzip_len(text.as_bytes()).map_or("?".to_string(), |n| n.to_string())
        );
        assert!(text.len() < 200_000);
        // Rounding alone could make a polygon invalid (a thin spike touching itself); the
        // writer keeps more decimals where it would.
        let spec = LayerSpec {
            name: "out".into(),
            role: LayerRole::Districts,
            country: None,
            file: "out".into(),
            url: String::new(),
            sha256: String::new(),
            license: String::new(),
            attribution: String::new(),
            name_property: "name".into(),
            iso_property: None,
            accept_invalid: Vec::new(),
        };
        let (back, _) = sitrep::geo::parse_layer(&spec, &text, "output").unwrap();
        assert_eq!(back.shapes.len(), nd);
        let invalid = back
            .shapes
            .iter()
            .filter(|s| !s.geometry.is_valid())
            .count();
        println!("  {invalid} of {nd} districts invalid after rounding to {digits} digits");
        assert_eq!(invalid, 0, "rounding broke districts");
    }
}

/// Size after `gzip -9`, if gzip is installed.
fn gzip_len(bytes: &[u8]) -> Option<usize> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("gzip")
        .arg("-9c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(bytes).ok()?;
    let out = child.wait_with_output().ok()?;
    Some(out.stdout.len())
}

#[test]
fn simplification_is_deterministic() {
    let Some(dir) = geodata() else { return };
    let provinces = load(&dir, "pak-adm1.geojson");
    let input: Vec<&MultiPolygon<f64>> = provinces.iter().map(|s| &s.geometry).collect();
    let a = simplify_shapes(&input, 0.02);
    let b = simplify_shapes(&input, 0.02);
    assert_eq!(a, b);
}

/// The lead's context map: Afghan provinces with coarse outlines from another source, which do
/// not share vertices with them.
#[test]
fn context_layers_simplify_quickly() {
    let Some(dir) = geodata() else { return };
    let mut shapes = load(&dir, "afg-adm1.geojson");
    for f in [
        "ind-adm0.cgaz3-simplified.geojson",
        "irn-adm0.cgaz3-simplified.geojson",
    ] {
        shapes.extend(load(&dir, f));
    }
    let input: Vec<&MultiPolygon<f64>> = shapes.iter().map(|s| &s.geometry).collect();
    let t = Instant::now();
    let out = simplify_shapes(&input, 0.03);
    let before: usize = input.iter().map(|m| vertex_count(m)).sum();
    let after: usize = out.iter().map(vertex_count).sum();
    println!(
        "context eps 0.03°: {:?}; {before} -> {after} vertices",
        t.elapsed()
    );
    assert!(after * 2 < before);
    for mp in &out {
        for p in &mp.0 {
            assert!(p.exterior().0.len() >= 4);
        }
    }
}
