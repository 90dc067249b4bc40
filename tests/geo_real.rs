//! Integration tests of the geo stage on the real geoBoundaries Pakistan layers (skipped if absent).

#![allow(clippy::unwrap_used)]

use sitrep::geo::{assign_parents, load_layer, Layer, LayerRole, LayerSpec, PointIndex};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn geodata() -> Option<PathBuf> {
    let dir = std::env::var_os("SITREP_GEODATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/geodata"));
    if dir.join("pak-adm2.geojson").is_file() && dir.join("pak-adm1.geojson").is_file() {
        Some(dir)
    } else {
        println!(
            "note: {} has no PAK layers; real-data test skipped",
            dir.display()
        );
        None
    }
}

fn spec(name: &str, role: LayerRole, file: &str) -> LayerSpec {
    LayerSpec {
        name: name.into(),
        role,
        country: Some("PAK".into()),
        file: file.into(),
        url: String::new(),
        sha256: String::new(),
        license: "Public Domain".into(),
        attribution: "geoBoundaries".into(),
        name_property: "shapeName".into(),
        iso_property: Some("shapeGroup".into()),
        accept_invalid: Vec::new(),
    }
}

fn load(dir: &Path, role: LayerRole, file: &str) -> Layer {
    let (layer, warnings) = load_layer(&spec(file, role, file), &dir.join(file)).unwrap();
    for w in &warnings {
        println!("warning: {}", w.message);
    }
    layer
}

fn idx(layer: &Layer, name: &str) -> usize {
    layer
        .shapes
        .iter()
        .position(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} not in {}", layer.spec.file))
}

#[test]
fn districts_and_provinces_load() {
    let Some(dir) = geodata() else { return };
    let t = Instant::now();
    let d = load(&dir, LayerRole::Districts, "pak-adm2.geojson");
    let loaded = t.elapsed();
    let ix = PointIndex::new(&d.shapes);
    let total = t.elapsed();
    println!("pak-adm2: load {loaded:?}, load+index {total:?}");
    assert!(total.as_secs_f64() < 10.0, "far too slow: {total:?}");
    assert_eq!(d.shapes.len(), 126);
    let p = load(&dir, LayerRole::Provinces, "pak-adm1.geojson");
    assert_eq!(p.shapes.len(), 7);
    let kp = &p.shapes[idx(&p, "Khyber Pakhtunkhwa")];
    assert_eq!(kp.iso.as_deref(), Some("PK-KP"));
    assert_eq!(kp.country.as_deref(), Some("PAK"));
    for s in d.shapes.iter().chain(&p.shapes) {
        assert!(
            ix.locate(&d.shapes, s.label.x(), s.label.y()).is_some(),
            "label of {} outside every district",
            s.name
        );
    }
    for s in &d.shapes {
        assert_eq!(
            ix.locate(&d.shapes, s.label.x(), s.label.y()),
            Some(idx(&d, &s.name))
        );
    }
}

#[test]
fn every_district_gets_the_right_province() {
    let Some(dir) = geodata() else { return };
    let d = load(&dir, LayerRole::Districts, "pak-adm2.geojson");
    let p = load(&dir, LayerRole::Provinces, "pak-adm1.geojson");
    let parents = assign_parents(&d.shapes, &p.shapes);
    assert_eq!(parents.len(), 126);
    let parent_of = |name: &str| {
        parents[idx(&d, name)]
            .map(|i| p.shapes[i].name.as_str())
            .unwrap_or("<none>")
    };
    assert_eq!(parent_of("Peshawar"), "Khyber Pakhtunkhwa");
    assert_eq!(parent_of("Quetta"), "Balochistan");
    assert_eq!(parent_of("Lahore"), "Punjab");
    assert_eq!(parent_of("Karachi"), "Sindh");
    assert_eq!(
        parent_of("Islamabad Capital Territory"),
        "Islamabad Capital Territory"
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, parent) in parents.iter().enumerate() {
        let parent = parent.unwrap_or_else(|| panic!("{} has no parent", d.shapes[i].name));
        *counts.entry(p.shapes[parent].name.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("Balochistan", 27),
        ("Khyber Pakhtunkhwa", 31),
        ("Punjab", 34),
        ("Sindh", 22),
        ("Gilgit-Baltistan", 10),
        ("Azad Kashmir", 1),
        ("Islamabad Capital Territory", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);
}

#[test]
fn locate_cities_sea_and_shared_vertex() {
    let Some(dir) = geodata() else { return };
    let d = load(&dir, LayerRole::Districts, "pak-adm2.geojson");
    let ix = PointIndex::new(&d.shapes);
    let name_at = |lon: f64, lat: f64| {
        ix.locate(&d.shapes, lon, lat)
            .map(|i| d.shapes[i].name.as_str())
    };
    assert_eq!(name_at(71.56, 34.01), Some("Peshawar"));
    assert_eq!(name_at(67.0, 30.18), Some("Quetta"));
    assert_eq!(name_at(74.34, 31.55), Some("Lahore"));
    assert_eq!(name_at(67.03, 24.86), Some("Karachi"));
    assert_eq!(name_at(73.05, 33.70), Some("Islamabad Capital Territory"));
    // Arabian Sea, far offshore.
    assert_eq!(name_at(64.5, 23.0), None);
    assert_eq!(ix.nearest_within(&d.shapes, 64.5, 23.0, 25.0), None);

    // Just off Karachi's coast (about 0.5 km out to sea, Lasbela and Thatta 20+ km away).
    let k = idx(&d, "Karachi");
    let off = (66.95, 24.78);
    assert_eq!(ix.locate(&d.shapes, off.0, off.1), None);
    let dist = ix.distance_km(&d.shapes, k, off.0, off.1);
    assert!(dist > 0.3 && dist < 0.8, "{dist}");
    assert_eq!(ix.nearest_within(&d.shapes, off.0, off.1, 2.0), Some(k));
    assert_eq!(ix.nearest_within(&d.shapes, off.0, off.1, 0.3), None);
    assert_eq!(ix.distance_km(&d.shapes, k, 67.03, 24.86), 0.0);

    // A vertex shared by Peshawar and a neighbour resolves to the lower index, every time.
    let pesh = idx(&d, "Peshawar");
    let mut checked = 0;
    for c in d.shapes[pesh].geometry.0[0].exterior().0.iter().step_by(7) {
        let owners: Vec<usize> = (0..d.shapes.len())
            .filter(|&j| {
                d.shapes[j]
                    .geometry
                    .0
                    .iter()
                    .any(|p| p.exterior().0.contains(c))
            })
            .collect();
        if owners.len() >= 2 {
            for _ in 0..3 {
                assert_eq!(ix.locate(&d.shapes, c.x, c.y), Some(owners[0]));
            }
            checked += 1;
        }
    }
    assert!(checked > 3, "too few shared vertices checked: {checked}");
}

#[test]
fn afghanistan_and_context_outlines_load() {
    let Some(dir) = geodata() else { return };
    let mut afg = spec("afg-provinces", LayerRole::Provinces, "afg-adm1.geojson");
    afg.country = Some("AFG".into());
    let (layer, _) = load_layer(&afg, &dir.join("afg-adm1.geojson")).unwrap();
    assert_eq!(layer.shapes.len(), 34);
    for name in [
        "Kunar",
        "Paktika",
        "Kandahar",
        "Nangarhar",
        "Khost",
        "Kabul",
    ] {
        idx(&layer, name);
    }
    assert!(layer
        .shapes
        .iter()
        .all(|s| s.country.as_deref() == Some("AFG")));
    let ix = PointIndex::new(&layer.shapes);
    let kabul = ix
        .locate(&layer.shapes, 69.17, 34.53)
        .map(|i| layer.shapes[i].name.as_str());
    assert_eq!(kabul, Some("Kabul"));

    for (file, iso) in [
        ("pak-adm0.cgaz3-simplified.geojson", "PAK"),
        ("ind-adm0.cgaz3-simplified.geojson", "IND"),
        ("irn-adm0.cgaz3-simplified.geojson", "IRN"),
        ("afg-adm0.cgaz3-simplified.geojson", "AFG"),
    ] {
        let mut s = spec(file, LayerRole::Context, file);
        s.country = None;
        let (layer, warnings) = load_layer(&s, &dir.join(file)).unwrap();
        assert_eq!(layer.shapes.len(), 1, "{file}");
        assert_eq!(layer.shapes[0].country.as_deref(), Some(iso), "{file}");
        println!("{file}: {} warnings", warnings.len());
    }
}
