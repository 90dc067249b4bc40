//! Static assets: the theme's `static/` folder (served under `static/`), Leaflet's files from
//! its npm package, and the site's own `static/` folder, copied to the root of the site as it
//! is (`CNAME`, `.nojekyll`, `favicon.ico`, `.well-known/…`), as Hugo and Zola do.

use std::path::Path;

use anyhow::Context as _;
use walkdir::WalkDir;

use super::OutputFile;
use crate::config::Config;

/// The Leaflet files the site serves, under `vendor/leaflet/`.
const LEAFLET_FILES: &[&str] = &[
    "leaflet.js",
    "leaflet.css",
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
];

/// Fails, saying how to install Leaflet, when one of its files is missing: called before the
/// content loads, so that a build or check does not render a whole site to fail at the end.
pub fn require_leaflet(config: &Config) -> anyhow::Result<()> {
    for file in LEAFLET_FILES {
        let path = config.leaflet_dir.join(file);
        if !path.is_file() {
            anyhow::bail!("{}", leaflet_missing(&path));
        }
    }
    Ok(())
}

fn leaflet_missing(path: &Path) -> String {
    format!(
        "cannot read {}: Leaflet comes from its npm package; run `npm ci` (or `make site`) first",
        path.display()
    )
}

pub fn copy(config: &Config) -> anyhow::Result<Vec<OutputFile>> {
    let mut out = Vec::new();
    let static_dir = config.theme_dir.join("static");
    if static_dir.is_dir() {
        out.extend(copy_tree(&static_dir, "static")?);
    }
    for file in LEAFLET_FILES {
        let path = config.leaflet_dir.join(file);
        let bytes = std::fs::read(&path).with_context(|| leaflet_missing(&path))?;
        out.push(OutputFile {
            path: format!("vendor/leaflet/{file}"),
            bytes,
        });
    }
    let site_static = config.site_static_dir();
    if site_static.is_dir() {
        out.extend(copy_tree(&site_static, "")?);
    }
    Ok(out)
}

fn copy_tree(dir: &Path, prefix: &str) -> anyhow::Result<Vec<OutputFile>> {
    let mut out = Vec::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        let path = if prefix.is_empty() {
            rel
        } else {
            format!("{prefix}/{rel}")
        };
        out.push(OutputFile { path, bytes });
    }
    Ok(out)
}
