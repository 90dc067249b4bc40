//! Shared helpers for integration tests: copy a fixture site into a temp dir with absolute
//! theme and geodata paths, run the real `sitrep` binary, walk the output.

#![allow(dead_code)]

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

/// Every file under `dir`, as (relative path, bytes), sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
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
