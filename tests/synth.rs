//! Integration tests of `sitrep synth`: the synthetic site checks clean against the real
//! boundary layers, is byte-identical for the same count and seed, and is written only where
//! it may be.

mod common;

use std::path::Path;

use common::{check_json, read_tree, repo_root, sitrep, text};

fn geodata_present() -> bool {
    let present = repo_root()
        .join("../shared/geodata/pak-adm2.geojson")
        .is_file();
    if !present {
        eprintln!("skipped: no geodata mirror (../shared/geodata)");
    }
    present
}

fn synth(out: &Path, n: usize, seed: u64, extra: &[&str]) -> std::process::Output {
    let n = n.to_string();
    let seed = seed.to_string();
    let mut args = vec![
        "synth",
        "--incidents",
        &n,
        "--seed",
        &seed,
        "--out",
        out.to_str().expect("utf8 path"),
    ];
    args.extend_from_slice(extra);
    sitrep(&repo_root(), &args)
}

fn incident_files(site: &Path) -> Vec<String> {
    read_tree(&site.join("content/incidents"))
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn synthetic_site_checks_clean_on_the_real_districts() {
    if !geodata_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let site = dir.path().join("site");
    let result = synth(&site, 300, 7, &[]);
    assert!(result.status.success(), "{}", text(&result));
    assert_eq!(incident_files(&site).len(), 300);
    let (code, doc) = check_json(&site, &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["errors"], 0, "{doc:#}");
    assert_eq!(
        doc["warnings"], 0,
        "the synthetic site should have no warnings either: {doc:#}"
    );
    // Real district names, spread over many of them, and 15 years.
    let mut districts = std::collections::BTreeSet::new();
    let mut years = std::collections::BTreeSet::new();
    for (path, bytes) in read_tree(&site.join("content/incidents")) {
        years.insert(path.split('/').next().unwrap_or("").to_string());
        let text = String::from_utf8(bytes).expect("utf8");
        let line = text
            .lines()
            .find(|l| l.starts_with("district = "))
            .expect("a district line");
        districts.insert(line.to_string());
        assert!(!text.contains("http") || text.contains("https://example.org/"));
    }
    assert!(districts.contains("district = \"Peshawar\"") || districts.len() > 40);
    assert!(districts.len() > 40, "{} districts", districts.len());
    assert_eq!(years.len(), 15, "{years:?}");
    let sources = std::fs::read_to_string(site.join("sitrep.toml")).expect("config");
    assert!(sources.contains("name = \"pak-districts\""), "{sources}");
}

#[test]
fn same_count_and_seed_give_the_same_bytes() {
    if !geodata_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    for (out, seed) in [(&a, 3), (&b, 3), (&c, 4)] {
        let result = synth(out, 120, seed, &[]);
        assert!(result.status.success(), "{}", text(&result));
    }
    assert!(read_tree(&a) == read_tree(&b), "same seed, different files");
    assert!(
        read_tree(&a.join("content")) != read_tree(&c.join("content")),
        "another seed should give other incidents"
    );
}

#[test]
fn writes_only_into_empty_or_its_own_folders() {
    if !geodata_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    // A folder of someone else's: refused, untouched.
    let foreign = dir.path().join("mine");
    std::fs::create_dir_all(foreign.join("content")).expect("mkdir");
    std::fs::write(foreign.join("content/notes.txt"), "keep").expect("write");
    let result = synth(&foreign, 20, 1, &[]);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("--force"), "{}", text(&result));
    assert_eq!(
        std::fs::read_to_string(foreign.join("content/notes.txt")).expect("kept"),
        "keep"
    );
    // Its own folder: rewritten, and incidents of the earlier run do not linger.
    let own = dir.path().join("own");
    assert!(synth(&own, 50, 1, &[]).status.success());
    std::fs::write(own.join("README.txt"), "mine").expect("write");
    assert!(synth(&own, 10, 2, &[]).status.success());
    assert_eq!(incident_files(&own).len(), 10);
    assert_eq!(
        std::fs::read_to_string(own.join("README.txt")).expect("kept"),
        "mine",
        "files outside content/ are left alone"
    );
    // --force writes into the foreign folder, and nothing outside it is touched.
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "outside").expect("write");
    let result = synth(&foreign, 20, 1, &["--force"]);
    assert!(result.status.success(), "{}", text(&result));
    assert_eq!(incident_files(&foreign).len(), 20);
    assert_eq!(std::fs::read_to_string(&outside).expect("kept"), "outside");
    // Never over the site it reads from, even with --force (a copy of the repository's
    // config stands in for the repository).
    let source = dir.path().join("source");
    std::fs::create_dir_all(source.join("content/actors")).expect("mkdir");
    std::fs::write(source.join("content/actors/keep.toml"), "name = \"Keep\"").expect("write");
    let config = std::fs::read_to_string(repo_root().join("sitrep.toml")).expect("config");
    let config = config
        .replace(
            "theme = \"default\"",
            &format!(
                "theme = {:?}",
                repo_root().join("themes/default").display().to_string()
            ),
        )
        .replace(
            "[geodata]\n",
            &format!(
                "[geodata]\nmirror = {:?}\n",
                repo_root().join("../shared/geodata").display().to_string()
            ),
        );
    std::fs::write(source.join("sitrep.toml"), config).expect("write");
    let result = sitrep(
        &source,
        &[
            "synth",
            "--incidents",
            "5",
            "--out",
            source.to_str().expect("utf8"),
            "--force",
        ],
    );
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("--root"), "{}", text(&result));
    assert!(source.join("content/actors/keep.toml").is_file());
}
