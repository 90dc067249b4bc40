//! Shared helpers for integration tests: copy a fixture site into a temp dir with absolute
//! theme and geodata paths, run the real `sitrep` binary, walk the output, snapshot folders.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies `tests/fixtures/<name>` to a temp dir, pointing theme and geodata mirror at the repo.
pub fn fixture_site(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = repo_root().join("tests/fixtures").join(name);
    copy_dir(&src, dir.path());
    let config_path = dir.path().join("sitrep.toml");
    let config = std::fs::read_to_string(&config_path).expect("fixture config");
    let theme = repo_root().join("themes/default");
    let geo = repo_root().join("tests/fixtures/geo");
    let config = config
        .replace(
            "theme = \"../../../themes/default\"",
            &format!("theme = {:?}", theme.display().to_string()),
        )
        .replace(
            "mirror = \"../geo\"",
            &format!("mirror = {:?}", geo.display().to_string()),
        );
    std::fs::write(&config_path, config).expect("write config");
    dir
}

pub fn copy_dir(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.expect("walk fixture");
        let rel = entry.path().strip_prefix(src).expect("prefix");
        let target = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs the real binary on a fixture, with a fixed "today" and Leaflet from the repo.
pub fn sitrep(root: &Path, args: &[&str]) -> Output {
    command(root, args)
        .env("SITREP_TODAY", "2025-06-30")
        .output()
        .expect("run sitrep")
}

/// Runs the real binary with the real date (for the shipped atlas).
pub fn sitrep_today(root: &Path, args: &[&str]) -> Output {
    command(root, args)
        .env_remove("SITREP_TODAY")
        .output()
        .expect("run sitrep")
}

fn command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    command
        .arg("--root")
        .arg(root)
        .args(args)
        .env(
            "SITREP_LEAFLET_DIR",
            repo_root().join("node_modules/leaflet/dist"),
        )
        .env_remove("SITREP_GEODATA_MIRROR");
    command
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every file under `dir`, as (relative path, bytes), sorted; a build's fingerprint record
/// (`.sitrep-fingerprint`, which holds file times and inodes, not site content) left out.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| !(e.depth() == 1 && e.file_name() == ".sitrep-fingerprint"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    files.sort();
    files
}

/// `href`, `src` and `data-base`-relative URLs in an HTML page.
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "href=", "src="] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = if attr.ends_with('"') {
                rest.find('"')
            } else {
                rest.find([' ', '>'])
            };
            if let Some(end) = end {
                let url = rest[..end].trim_matches('"').to_string();
                if !url.is_empty() && !out.contains(&url) {
                    out.push(url);
                }
            }
        }
    }
    out
}

/// Today's date for every test run, so date checks do not drift.
pub const TODAY: &str = "2025-01-01";

/// Leaflet's files from the npm package (`npm ci` puts them there).
pub fn leaflet_dir() -> PathBuf {
    let dir = repo_root().join("node_modules/leaflet/dist");
    assert!(
        dir.join("leaflet.js").is_file(),
        "{} is missing: run `npm ci` in the repository first",
        dir.display()
    );
    dir
}

/// Copies `tests/fixtures/<name>` to `dest` and points its theme and mirror at absolute paths.
pub fn copy_fixture(name: &str, dest: &Path) {
    let src = repo_root().join("tests/fixtures").join(name);
    copy_tree(&src, dest);
    rewrite_config(dest);
}

/// Rewrites `theme = …` and `mirror = …` in `<site>/sitrep.toml` to absolute paths.
pub fn rewrite_config(site: &Path) {
    let path = site.join("sitrep.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let theme = repo_root().join("themes/default");
    let mirror = repo_root().join("tests/fixtures/geo");
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
    std::fs::write(&path, rewritten.join("\n") + "\n").expect("test setup");
}

/// Sets `theme = "<theme>"` in `<site>/sitrep.toml`.
#[allow(dead_code)]
pub fn set_theme(site: &Path, theme: &str) {
    let path = site.join("sitrep.toml");
    let text = std::fs::read_to_string(&path).expect("test setup");
    let rewritten: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("theme = ") {
                format!("theme = {theme:?}")
            } else {
                line.to_string()
            }
        })
        .collect();
    std::fs::write(&path, rewritten.join("\n") + "\n").expect("test setup");
}

/// Copies a folder tree (files and folders; symbolic links are recreated as links).
pub fn copy_tree(src: &Path, dest: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.expect("test setup");
        let rel = entry.path().strip_prefix(src).expect("test setup");
        let target = dest.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("test setup");
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).expect("test setup");
            }
            std::fs::copy(entry.path(), &target).expect("test setup");
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
        let entry = entry.expect("test setup");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("test setup")
            .to_string_lossy()
            .into_owned();
        let bytes = entry
            .file_type()
            .is_file()
            .then(|| std::fs::read(entry.path()).expect("test setup"));
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
pub fn run_sitrep(site: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("--root")
        .arg(site)
        .args(args)
        .env("SITREP_TODAY", TODAY)
        .env("SITREP_LEAFLET_DIR", leaflet_dir())
        .env("NO_COLOR", "1")
        .env_remove("SITREP_GEODATA_MIRROR")
        .output()
        .expect("test setup")
}

/// `sitrep check --format json`: (exit code, the parsed document).
pub fn check_json(site: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_sitrep(site, &args);
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
