//! The bad-input corpus: every folder under tests/check_corpus/ is one case, laid over a copy of
//! the fixture site tests/fixtures/minimal. `sitrep check --format json` (the real binary) must
//! report exactly the diagnostics its expect.json names (file, line, column, kind, severity)
//! beyond those of the clean fixture, exit 1 on errors (0 on warnings alone, 1 with
//! --deny-warnings), and write nothing; `sitrep build` of an erroneous case must exit 1 and
//! leave the previous output exactly as it was.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use common::{
    check_json, copy_fixture, copy_tree, rewrite_config, run_sitrep, snapshot, snapshot_diff,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// What the case is about, for the reader.
    #[allow(dead_code)]
    about: String,
    /// Every diagnostic the case adds to those of the clean fixture.
    diagnostics: Vec<Expected>,
    /// Kinds that must not be reported at all (no cascades).
    #[serde(default)]
    absent: Vec<String>,
    /// Fixture files to delete before the overlay.
    #[serde(default)]
    remove: Vec<String>,
    /// A file to pad with TOML comment lines to this many bytes (too large to keep in git).
    #[serde(default)]
    grow: Option<Grow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Grow {
    file: String,
    bytes: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    file: String,
    line: u64,
    column: u64,
    kind: String,
    severity: String,
    /// Text the message must contain.
    #[serde(default)]
    message: Option<String>,
    /// Text the hint must contain.
    #[serde(default)]
    hint: Option<String>,
}

type Key = (String, u64, u64, String, String);

fn key_of(d: &serde_json::Value) -> Key {
    (
        d["file"].as_str().unwrap_or_default().to_string(),
        d["line"].as_u64().unwrap_or(0),
        d["column"].as_u64().unwrap_or(0),
        d["kind"].as_str().unwrap_or_default().to_string(),
        d["severity"].as_str().unwrap_or_default().to_string(),
    )
}

fn corpus_dir() -> PathBuf {
    common::repo_root().join("tests/check_corpus")
}

/// The clean fixture's diagnostics and a real build of it (the "previous output").
struct Baseline {
    keys: BTreeSet<Key>,
    output: tempfile::TempDir,
}

fn baseline() -> &'static Baseline {
    static BASELINE: OnceLock<Baseline> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        copy_fixture("minimal", &site);
        let (code, doc) = check_json(&site, &[]);
        assert_eq!(code, 0, "the clean fixture must pass check: {doc:#}");
        let keys = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(key_of)
            .collect();
        let output = tempfile::tempdir().unwrap();
        let public = output.path().join("public");
        let out = run_sitrep(&site, &["build", "--output", public.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Baseline { keys, output }
    })
}

fn run_case(case: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let expect_text = std::fs::read_to_string(case.join("expect.json"))
        .map_err(|e| format!("{name}: no expect.json: {e}"))?;
    let expect: Expect =
        serde_json::from_str(&expect_text).map_err(|e| format!("{name}: expect.json: {e}"))?;
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);
    for path in &expect.remove {
        std::fs::remove_file(site.join(path)).map_err(|e| format!("{name}: remove {path}: {e}"))?;
    }
    overlay(case, &site);
    rewrite_config(&site);
    if let Some(grow) = &expect.grow {
        let path = site.join(&grow.file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        while text.len() < grow.bytes {
            text.push_str("# padding padding padding padding padding padding padding padding\n");
        }
        std::fs::write(&path, text).unwrap();
    }

    // check: exactly the expected diagnostics, the right exit code, nothing written.
    let before = snapshot(&site);
    let (code, doc) = check_json(&site, &[]);
    let after = snapshot(&site);
    let mut problems = Vec::new();
    let written = snapshot_diff(&before, &after);
    if !written.is_empty() {
        problems.push(format!("check wrote to the site: {written:?}"));
    }
    let reported: Vec<&serde_json::Value> = doc["diagnostics"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let base = &baseline().keys;
    let new: BTreeSet<Key> = reported
        .iter()
        .map(|d| key_of(d))
        .filter(|k| !base.contains(k))
        .collect();
    let wanted: BTreeSet<Key> = expect
        .diagnostics
        .iter()
        .map(|e| {
            (
                e.file.clone(),
                e.line,
                e.column,
                e.kind.clone(),
                e.severity.clone(),
            )
        })
        .collect();
    for missing in wanted.difference(&new) {
        problems.push(format!("missing diagnostic {missing:?}"));
    }
    for extra in new.difference(&wanted) {
        problems.push(format!("unexpected diagnostic {extra:?}"));
    }
    for e in &expect.diagnostics {
        let found = reported.iter().find(|d| {
            key_of(d)
                == (
                    e.file.clone(),
                    e.line,
                    e.column,
                    e.kind.clone(),
                    e.severity.clone(),
                )
        });
        let Some(d) = found else { continue };
        for (field, want) in [("message", &e.message), ("hint", &e.hint)] {
            if let Some(want) = want {
                let got = d[field].as_str().unwrap_or_default();
                if !got.contains(want.as_str()) {
                    problems.push(format!("{} {field} {got:?} lacks {want:?}", e.kind));
                }
            }
        }
    }
    for kind in &expect.absent {
        if reported.iter().any(|d| d["kind"] == kind.as_str()) {
            problems.push(format!("kind {kind} must not be reported"));
        }
    }
    let has_errors = expect.diagnostics.iter().any(|e| e.severity == "error");
    let wanted_code = if has_errors { 1 } else { 0 };
    if code != wanted_code {
        problems.push(format!("check exited {code}, expected {wanted_code}"));
    }
    if !has_errors {
        let (strict, _) = check_json(&site, &["--deny-warnings"]);
        if strict != 1 {
            problems.push(format!("check --deny-warnings exited {strict}, expected 1"));
        }
        // Quiet still shows the warnings that make a strict check fail.
        let quiet = run_sitrep(&site, &["--quiet", "check", "--deny-warnings"]);
        let shown = String::from_utf8_lossy(&quiet.stderr);
        for e in &expect.diagnostics {
            // A warning about a whole file (line 0) names just the file.
            let position = if e.line == 0 {
                format!("{}: warning[{}]", e.file, e.kind)
            } else {
                format!("{}:{}:{}: warning[{}]", e.file, e.line, e.column, e.kind)
            };
            if !shown.contains(&position) {
                problems.push(format!(
                    "quiet strict check does not show {position}: {shown}"
                ));
            }
        }
    }

    // build: an erroneous case exits 1 and leaves the previous output untouched.
    if has_errors {
        let public = site.join("public");
        copy_tree(&baseline().output.path().join("public"), &public);
        let before = snapshot(dir.path());
        let out = run_sitrep(&site, &["build"]);
        let after = snapshot(dir.path());
        if out.status.code() != Some(1) {
            problems.push(format!(
                "build exited {:?}, expected 1: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let written = snapshot_diff(&before, &after);
        if !written.is_empty() {
            problems.push(format!("build wrote: {written:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "case {name}:\n  {}\n  reported: {}",
            problems.join("\n  "),
            serde_json::to_string_pretty(&doc["diagnostics"]).unwrap_or_default()
        ))
    }
}

/// Copies every file of the case except expect.json into the site.
fn overlay(case: &Path, site: &Path) {
    for entry in walkdir::WalkDir::new(case) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(case).unwrap();
        if entry.file_type().is_dir() || rel == Path::new("expect.json") {
            continue;
        }
        let target = site.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(entry.path(), &target).unwrap();
    }
}

#[test]
fn every_bad_input_is_reported_exactly_and_nothing_is_written() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 50,
        "the corpus must hold at least 50 cases, it has {}",
        cases.len()
    );
    baseline();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                if let Err(e) = run_case(case) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_names_its_kind_in_its_folder_name() {
    // Keeps the corpus readable: one case per folder, named after what it exercises.
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            path.join("expect.json").is_file(),
            "case {name} has no expect.json"
        );
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "case folder {name} should be lower-case kebab"
        );
    }
}

#[test]
fn points_within_a_kilometre_of_the_district_border_are_tolerated() {
    // Alpha and Beta share the meridian 72°E. At 33°N one km is about 0.0107° of longitude.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);
    let incident = |lon: f64| {
        format!(
            "title = \"Near the border\"\ndate = 2024-05-01\ncountry = \"PAK\"\ndistrict = \"Alpha\"\n\
             type = \"bombing\"\nsummary = \"Near the border.\"\n\n[location]\nlat = 33.0\nlon = {lon}\n\n\
             [[sources]]\npublisher = \"Example Times\"\ntitle = \"Report\"\n"
        )
    };
    let path = site.join("content/incidents/2024/2024-05-01-near-border.toml");
    let kinds = |doc: &serde_json::Value| -> Vec<String> {
        doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["file"] == "content/incidents/2024/2024-05-01-near-border.toml")
            .map(|d| d["kind"].as_str().unwrap().to_string())
            .collect()
    };
    // 0.5 km into Beta: accepted.
    std::fs::write(&path, incident(72.0054)).unwrap();
    let (code, doc) = check_json(&site, &[]);
    assert_eq!((code, kinds(&doc)), (0, vec![]), "{doc:#}");
    // 2 km into Beta: reported, naming the district it falls in.
    std::fs::write(&path, incident(72.0215)).unwrap();
    let (code, doc) = check_json(&site, &[]);
    assert_eq!(code, 1);
    assert_eq!(kinds(&doc), vec!["point-outside-district"], "{doc:#}");
    let message = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "point-outside-district")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("falls in Beta"), "{message}");
}
