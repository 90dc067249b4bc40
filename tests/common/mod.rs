//! Shared helpers of the integration tests: a writable copy of a fixture site with absolute
//! theme and geodata paths, the real `sitrep` binary run on it, and folder snapshots.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Today's date for every test run, so date checks do not drift.
pub const TODAY: &str = "2025-01-01";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Leaflet's files from the npm package (`npm ci` puts them there).
pub fn leaflet_dir() -> PathBuf {
    let dir = repo().join("node_modules/leaflet/dist");
    assert!(
        dir.join("leaflet.js").is_file(),
        "{} is missing: run `npm ci` in the repository first",
        dir.display()
    );
    dir
}

/// Copies `tests/fixtures/<name>` to `dest` and points its theme and mirror at absolute paths.
pub fn copy_fixture(name: &str, dest: &Path) {
    let src = repo().join("tests/fixtures").join(name);
    copy_tree(&src, dest);
    rewrite_config(dest);
}

/// Rewrites `theme = …` and `mirror = …` in `<site>/sitrep.toml` to absolute paths.
pub fn rewrite_config(site: &Path) {
    let path = site.join("sitrep.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let theme = repo().join("themes/default");
    let mirror = repo().join("tests/fixtures/geo");
    let rewritten: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("theme = ") {
                format!("theme = {:?}", theme.display().to_string())
            } else if line.starts_with("mirror = ") {
                format!("mirror = {:?}", mirror.display().to_string())
            } else {
                line.to_string()
            }
        })
        .collect();
    std::fs::write(&path, rewritten.join("\n") + "\n").unwrap();
}

/// Copies a folder tree (files and folders; symbolic links are recreated as links).
pub fn copy_tree(src: &Path, dest: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(src).unwrap();
        let target = dest.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` (hidden ones too) with its bytes; folders as empty entries.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let bytes = entry
            .file_type()
            .is_file()
            .then(|| std::fs::read(entry.path()).unwrap());
        out.insert(rel, bytes);
    }
    out
}

/// Names the differences between two snapshots (added, removed, changed paths).
pub fn snapshot_diff(
    before: &BTreeMap<String, Option<Vec<u8>>>,
    after: &BTreeMap<String, Option<Vec<u8>>>,
) -> Vec<String> {
    let mut diff = Vec::new();
    for (path, bytes) in after {
        match before.get(path) {
            None => diff.push(format!("added {path}")),
            Some(b) if b != bytes => diff.push(format!("changed {path}")),
            _ => {}
        }
    }
    for path in before.keys() {
        if !after.contains_key(path) {
            diff.push(format!("removed {path}"));
        }
    }
    diff
}

/// Runs the real binary on `site` with a fixed today and Leaflet dir.
pub fn sitrep(site: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("--root")
        .arg(site)
        .args(args)
        .env("SITREP_TODAY", TODAY)
        .env("SITREP_LEAFLET_DIR", leaflet_dir())
        .env("NO_COLOR", "1")
        .env_remove("SITREP_GEODATA_MIRROR")
        .output()
        .unwrap()
}

/// `sitrep check --format json`: (exit code, the parsed document).
pub fn check_json(site: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = sitrep(site, &args);
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check did not print JSON ({e}); exit {code}\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, doc)
}
