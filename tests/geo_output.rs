//! Integration test of the geo stage's built output: the shipped atlas is built with the real
//! boundary layers (skipped if ../shared/geodata is absent) and its map layers and locator
//! maps are checked as served: size budget, shared borders, validity, nesting, page SVGs.

#![allow(clippy::unwrap_used)]

mod common;

use flate2::{write::GzEncoder, Compression};
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Line, LineString, MultiPolygon, Polygon, Validation, Winding};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// Budget of the served district layer, gzipped (issue #5).
const DISTRICTS_GZIP_BUDGET: usize = 100_000;
/// Largest inline locator map, and the part of it that is outlines (without incident dots).
const LOCATOR_MAX_BYTES: usize = 6_000;
const LOCATOR_OUTLINES_MAX_BYTES: usize = 4_500;

type V = (u64, u64);
type Edge = (V, V);

struct Feature {
    name: String,
    province: Option<String>,
    url: String,
    geometry: MultiPolygon<f64>,
}

#[test]
fn built_map_layers_and_locators_are_sound_and_small() {
    let root = common::repo_root();
    if !root.join("../shared/geodata/pak-adm2.geojson").is_file()
        && std::env::var_os("SITREP_GEODATA_MIRROR").is_none()
    {
        eprintln!("note: no geodata mirror (../shared/geodata); built-output test skipped");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let result = common::sitrep_today(
        &root,
        &[
            "build",
            "--output",
            public.to_str().unwrap(),
            "--base-url",
            "https://example.org/atlas/",
        ],
    );
    assert!(result.status.success(), "{}", common::text(&result));

    let districts_bytes = std::fs::read(public.join("data/map/districts.geojson")).unwrap();
    let gz = gzip_len(&districts_bytes);
    println!(
        "districts.geojson: {} bytes, {gz} gzipped",
        districts_bytes.len()
    );
    assert!(gz <= DISTRICTS_GZIP_BUDGET, "{gz} bytes gzipped");
    let districts = features(&districts_bytes);
    let provinces = features(&std::fs::read(public.join("data/map/provinces.geojson")).unwrap());
    assert_eq!(districts.len(), 126);
    assert_eq!(provinces.len(), 7);

    check_rings(&districts);
    check_rings(&provinces);
    check_no_crossings(&districts);
    check_borders_and_nesting(&districts, &provinces);
    check_neighbours_still_meet(&root, &districts);
    check_locators(&public, districts.iter().chain(&provinces));
}

fn features(bytes: &[u8]) -> Vec<Feature> {
    let root: Value = serde_json::from_slice(bytes).unwrap();
    let mut out = Vec::new();
    for f in root["features"].as_array().unwrap() {
        let props = &f["properties"];
        let name = props["name"].as_str().unwrap().to_string();
        let geometry = geometry(&f["geometry"], &name);
        out.push(Feature {
            name,
            province: props["province"].as_str().map(String::from),
            url: props["url"].as_str().unwrap().to_string(),
            geometry,
        });
    }
    out
}

/// A Polygon or MultiPolygon as written (no normalisation).
fn geometry(g: &Value, name: &str) -> MultiPolygon<f64> {
    let polygons: Vec<&Value> = match g["type"].as_str() {
        Some("Polygon") => vec![&g["coordinates"]],
        Some("MultiPolygon") => g["coordinates"].as_array().unwrap().iter().collect(),
        other => panic!("{name}: geometry {other:?}"),
    };
    MultiPolygon::new(
        polygons
            .into_iter()
            .map(|p| {
                let mut rings = p.as_array().unwrap().iter().map(|r| {
                    LineString::from(
                        r.as_array()
                            .unwrap()
                            .iter()
                            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                            .collect::<Vec<_>>(),
                    )
                });
                let exterior = rings.next().unwrap();
                Polygon::new(exterior, rings.collect())
            })
            .collect(),
    )
}

fn key(c: &Coord<f64>) -> V {
    (c.x.to_bits(), c.y.to_bits())
}

fn rings(g: &MultiPolygon<f64>) -> impl Iterator<Item = (bool, &LineString<f64>)> {
    g.0.iter().flat_map(|p| {
        std::iter::once((true, p.exterior())).chain(p.interiors().iter().map(|r| (false, r)))
    })
}

fn edges(g: &MultiPolygon<f64>) -> Vec<Edge> {
    rings(g)
        .flat_map(|(_, r)| r.0.windows(2).map(|w| (key(&w[0]), key(&w[1]))))
        .collect()
}

/// Every ring closed, at least 3 distinct points, right-hand winding, every feature valid
/// (no self-intersection, holes inside, polygons not overlapping).
fn check_rings(layer: &[Feature]) {
    for f in layer {
        for (exterior, r) in rings(&f.geometry) {
            assert!(r.is_closed(), "{}: open ring", f.name);
            let distinct: HashSet<V> = r.0.iter().map(key).collect();
            assert!(distinct.len() >= 3, "{}: collapsed ring", f.name);
            assert_eq!(r.is_ccw(), exterior, "{}: winding", f.name);
        }
        assert!(f.geometry.is_valid(), "{} invalid", f.name);
    }
}

type Seg = GeomWithData<Rectangle<[f64; 2]>, (V, V)>;

/// No two distinct segments of the layer cross, overlap or touch except at a common end.
fn check_no_crossings(layer: &[Feature]) {
    let mut unique: HashSet<Edge> = HashSet::new();
    for f in layer {
        for (a, b) in edges(&f.geometry) {
            unique.insert((a.min(b), a.max(b)));
        }
    }
    let pt = |v: V| Coord {
        x: f64::from_bits(v.0),
        y: f64::from_bits(v.1),
    };
    let segs: Vec<Seg> = unique
        .iter()
        .map(|&(a, b)| {
            let (p, q) = (pt(a), pt(b));
            GeomWithData::new(Rectangle::from_corners([p.x, p.y], [q.x, q.y]), (a, b))
        })
        .collect();
    let tree = RTree::bulk_load(segs.clone());
    let mut conflicts = Vec::new();
    for s in &segs {
        let (a, b) = s.data;
        for t in tree.locate_in_envelope_intersecting(s.geom().envelope()) {
            let (c, d) = t.data;
            if (c, d) <= (a, b) {
                continue;
            }
            let shared = [a, b].iter().filter(|v| **v == c || **v == d).count();
            let hit = line_intersection(Line::new(pt(a), pt(b)), Line::new(pt(c), pt(d)));
            let bad = match hit {
                None => false,
                Some(LineIntersection::SinglePoint { .. }) => shared == 0,
                Some(LineIntersection::Collinear { intersection }) => {
                    shared == 0 || intersection.start != intersection.end
                }
            };
            if bad {
                conflicts.push((pt(a), pt(b), pt(c), pt(d)));
            }
        }
    }
    println!("{} district segments checked for crossings", segs.len());
    assert!(conflicts.is_empty(), "segments meet: {conflicts:?}");
}

/// Neighbouring districts share their borders edge for edge (no gaps, overlaps or slivers),
/// the districts' outer edges are the provinces' outer edges, and each province is exactly the
/// union of its districts.
fn check_borders_and_nesting(districts: &[Feature], provinces: &[Feature]) {
    let unpaired = |layer: &mut dyn Iterator<Item = &Feature>| -> HashSet<Edge> {
        let mut directed: HashMap<Edge, usize> = HashMap::new();
        for f in layer {
            for e in edges(&f.geometry) {
                *directed.entry(e).or_default() += 1;
            }
        }
        assert!(
            directed.values().all(|&n| n == 1),
            "an edge is used twice in the same direction (overlap)"
        );
        directed
            .keys()
            .filter(|e| !directed.contains_key(&(e.1, e.0)))
            .copied()
            .collect()
    };
    let district_outline = unpaired(&mut districts.iter());
    let province_outline = unpaired(&mut provinces.iter());
    assert_eq!(
        district_outline, province_outline,
        "districts and provinces have different outer edges (gap or sliver)"
    );
    for p in provinces {
        let group: Vec<&Feature> = districts
            .iter()
            .filter(|d| d.province.as_deref() == Some(p.name.as_str()))
            .collect();
        assert!(!group.is_empty(), "{} has no districts", p.name);
        let outer = unpaired(&mut group.into_iter());
        let own: HashSet<Edge> = edges(&p.geometry).into_iter().collect();
        assert_eq!(own, outer, "{} does not nest its districts", p.name);
    }
}

/// Every pair of districts sharing a border in the full-resolution layer still shares edges.
fn check_neighbours_still_meet(root: &Path, districts: &[Feature]) {
    let text = std::fs::read_to_string(root.join("../shared/geodata/pak-adm2.geojson")).unwrap();
    let input = features_by_shape_name(&text);
    let mut users: HashMap<Edge, Vec<&str>> = HashMap::new();
    for (name, g) in &input {
        for (a, b) in edges(g) {
            users.entry((a.min(b), a.max(b))).or_default().push(name);
        }
    }
    let pairs: HashSet<(&str, &str)> = users
        .values()
        .filter(|u| u.len() == 2 && u[0] != u[1])
        .map(|u| (u[0].min(u[1]), u[0].max(u[1])))
        .collect();
    let mut out_users: HashMap<Edge, Vec<&str>> = HashMap::new();
    for d in districts {
        for (a, b) in edges(&d.geometry) {
            out_users
                .entry((a.min(b), a.max(b)))
                .or_default()
                .push(&d.name);
        }
    }
    let out_pairs: HashSet<(&str, &str)> = out_users
        .values()
        .filter(|u| u.len() == 2)
        .map(|u| (u[0].min(u[1]), u[0].max(u[1])))
        .collect();
    println!("{} neighbouring district pairs", pairs.len());
    assert!(pairs.len() > 250);
    let lost: Vec<_> = pairs.difference(&out_pairs).collect();
    assert!(lost.is_empty(), "neighbours no longer meet: {lost:?}");
}

fn features_by_shape_name(text: &str) -> BTreeMap<String, MultiPolygon<f64>> {
    let root: Value = serde_json::from_str(text).unwrap();
    let mut out = BTreeMap::new();
    for f in root["features"].as_array().unwrap() {
        let name = f["properties"]["shapeName"].as_str().unwrap().to_string();
        let mp = geometry(&f["geometry"], &name);
        out.insert(name, mp);
    }
    out
}

/// Every district and province page has an inline locator map within the size limits.
fn check_locators<'a>(public: &Path, regions: impl Iterator<Item = &'a Feature>) {
    let mut largest = (0, String::new());
    for f in regions {
        let rel = f.url.strip_prefix("/atlas/").unwrap();
        let page = public.join(rel).join("index.html");
        let html = std::fs::read_to_string(&page).unwrap();
        let start = html
            .match_indices("<svg")
            .map(|(i, _)| i)
            .find(|&i| html[i..].split('>').next().unwrap().contains("locator"))
            .unwrap_or_else(|| panic!("{}: no locator map", page.display()));
        let len = html[start..].find("</svg>").unwrap() + "</svg>".len();
        let svg = &html[start..start + len];
        assert!(svg.contains("locator__region"), "{}", page.display());
        let dots: usize = svg
            .split("<circle")
            .skip(1)
            .map(|c| c.find('>').unwrap() + "<circle>".len())
            .sum();
        assert!(len <= LOCATOR_MAX_BYTES, "{}: {len} bytes", page.display());
        assert!(
            len - dots <= LOCATOR_OUTLINES_MAX_BYTES,
            "{}: {} bytes of outlines",
            page.display(),
            len - dots
        );
        if len > largest.0 {
            largest = (len, f.name.clone());
        }
    }
    println!("largest locator map: {} bytes ({})", largest.0, largest.1);
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}
