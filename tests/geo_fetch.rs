//! Integration tests of the geo stage's fetch step: mirror copies, checksums, curl downloads.

#![allow(clippy::unwrap_used)]

use sitrep::geo::{fetch_layers, sha256_hex, LayerRole, LayerSpec};
use std::fs;
use std::path::{Path, PathBuf};

fn spec(file: &str, sha: &str, url: &str) -> LayerSpec {
    LayerSpec {
        name: "pak-districts".into(),
        role: LayerRole::Districts,
        country: Some("PAK".into()),
        file: file.into(),
        url: url.into(),
        sha256: sha.into(),
        license: "Public Domain".into(),
        attribution: "geoBoundaries".into(),
        name_property: "shapeName".into(),
        iso_property: None,
        accept_invalid: Vec::new(),
    }
}

const BODY: &[u8] = b"{\"type\":\"FeatureCollection\",\"features\":[]}";
const NOWHERE: &str = "file:///nonexistent/sitrep-geo-test/nothing.geojson";

fn mirror_with(dir: &Path, file: &str, bytes: &[u8]) -> PathBuf {
    let m = dir.join("mirror");
    fs::create_dir_all(&m).unwrap();
    fs::write(m.join(file), bytes).unwrap();
    m
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn copies_from_mirror_and_creates_geodata_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror_with(tmp.path(), "a.geojson", BODY);
    let geodata = tmp.path().join("not/yet/there");
    let paths = fetch_layers(
        &[spec("a.geojson", &sha256_hex(BODY), NOWHERE)],
        &geodata,
        Some(&mirror),
    )
    .unwrap();
    assert_eq!(paths, vec![geodata.join("a.geojson")]);
    assert_eq!(fs::read(&paths[0]).unwrap(), BODY);
    assert_eq!(listing(&geodata), vec!["a.geojson"], "no temp files left");
}

#[test]
fn bad_checksum_names_layer_expected_and_actual() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror_with(tmp.path(), "a.geojson", BODY);
    let geodata = tmp.path().join("geodata");
    let expected = sha256_hex(b"something else");
    let err = fetch_layers(
        &[spec("a.geojson", &expected, NOWHERE)],
        &geodata,
        Some(&mirror),
    )
    .unwrap_err()
    .to_string();
    let actual = sha256_hex(BODY);
    for want in [
        "pak-districts",
        "a.geojson",
        &expected,
        &actual,
        "update `sha256`",
    ] {
        assert!(err.contains(want), "missing {want:?} in: {err}");
    }
    assert!(listing(&geodata).is_empty(), "nothing written on mismatch");
    assert_eq!(
        fs::read(mirror.join("a.geojson")).unwrap(),
        BODY,
        "mirror untouched"
    );
}

#[test]
fn existing_correct_file_is_kept_without_any_source() {
    let tmp = tempfile::tempdir().unwrap();
    let geodata = tmp.path().join("geodata");
    fs::create_dir_all(&geodata).unwrap();
    fs::write(geodata.join("a.geojson"), BODY).unwrap();
    // The mirror holds a corrupt copy: using it would fail, so success shows it was not read.
    let mirror = mirror_with(tmp.path(), "a.geojson", b"corrupt");
    let before = fs::metadata(geodata.join("a.geojson"))
        .unwrap()
        .modified()
        .unwrap();
    let paths = fetch_layers(
        &[spec("a.geojson", &sha256_hex(BODY), NOWHERE)],
        &geodata,
        Some(&mirror),
    )
    .unwrap();
    assert_eq!(fs::read(&paths[0]).unwrap(), BODY);
    let after = fs::metadata(&paths[0]).unwrap().modified().unwrap();
    assert_eq!(before, after);
}

#[test]
fn stale_file_is_replaced_from_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let geodata = tmp.path().join("geodata");
    fs::create_dir_all(&geodata).unwrap();
    fs::write(geodata.join("a.geojson"), b"old version").unwrap();
    let mirror = mirror_with(tmp.path(), "a.geojson", BODY);
    fetch_layers(
        &[spec("a.geojson", &sha256_hex(BODY), NOWHERE)],
        &geodata,
        Some(&mirror),
    )
    .unwrap();
    assert_eq!(fs::read(geodata.join("a.geojson")).unwrap(), BODY);
}

#[test]
fn downloads_with_curl_when_no_mirror_has_it() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("note: curl not installed; download test skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("upstream.geojson");
    fs::write(&src, BODY).unwrap();
    let url = format!("file://{}", src.display());
    let geodata = tmp.path().join("geodata");
    let empty_mirror = tmp.path().join("empty-mirror");
    fs::create_dir_all(&empty_mirror).unwrap();

    let good = spec("a.geojson", &sha256_hex(BODY), &url);
    let paths = fetch_layers(&[good], &geodata, Some(&empty_mirror)).unwrap();
    assert_eq!(fs::read(&paths[0]).unwrap(), BODY);

    let bad = spec("b.geojson", &sha256_hex(b"other"), &url);
    let err = fetch_layers(&[bad], &geodata, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&sha256_hex(BODY)), "{err}");
    assert_eq!(
        listing(&geodata),
        vec!["a.geojson"],
        "no temp or bad file left"
    );

    let missing = spec("c.geojson", &sha256_hex(BODY), NOWHERE);
    let err = fetch_layers(&[missing], &geodata, None).unwrap_err();
    let chain = format!("{err:#}");
    assert!(
        chain.contains("c.geojson") && chain.contains("failed"),
        "{chain}"
    );
    assert_eq!(listing(&geodata), vec!["a.geojson"]);
}

/// The real geoBoundaries files verify against the checksums in SOURCES.md.
#[test]
fn real_files_verify_from_shared_mirror() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/geodata");
    if !shared.join("pak-adm2.geojson").is_file() {
        println!(
            "note: {} not present; real-data fetch test skipped",
            shared.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let specs = [
        spec(
            "pak-adm2.geojson",
            "108eeaa75a6de678f022e0b6d8fd8ab4c93e4b4d1a9c6a28995afe7c0731182c",
            NOWHERE,
        ),
        spec(
            "pak-adm1.geojson",
            "2a458577fd16afa788b01e1ec1d96e30a344a260165d9ca31d219731d94f0e62",
            NOWHERE,
        ),
    ];
    let paths = fetch_layers(&specs, tmp.path(), Some(&shared)).unwrap();
    assert_eq!(fs::metadata(&paths[0]).unwrap().len(), 1_082_661);
    assert_eq!(fs::metadata(&paths[1]).unwrap().len(), 162_681);
}
