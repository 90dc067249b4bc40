//! Config stage: reads `sitrep.toml` (unknown keys rejected with line and column) and the
//! command-line overrides into one `Config` every later stage reads.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::{ContentErrors, Diagnostic};
use crate::geo::LayerSpec;

pub const CONFIG_FILE: &str = "sitrep.toml";

/// The site configuration as written in `sitrep.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site title, shown in the header and the feed.
    pub title: String,
    /// One-sentence description for the home page, feed and search engines.
    #[serde(default)]
    pub description: String,
    /// Absolute URL where the site is published, ending in `/`; its path is the base path.
    pub base_url: String,
    #[serde(default = "default_language")]
    pub language: String,
    /// Theme: a folder name under `themes/`, or a path to a theme folder (relative to the root).
    #[serde(default = "default_theme")]
    pub theme: String,
    #[serde(default)]
    pub data: DataConfig,
    #[serde(default)]
    pub map: MapConfig,
    #[serde(default)]
    pub pagination: PaginationConfig,
    pub geodata: GeodataConfig,
}

/// Licence and attribution of the atlas data itself.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub license_url: Option<String>,
    #[serde(default)]
    pub attribution: String,
}

/// Map options. No tile server is used unless `tile_url` is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    #[serde(default)]
    pub tile_url: Option<String>,
    #[serde(default)]
    pub tile_attribution: Option<String>,
}

/// How long lists are split into pages (docs/site-layout.md, "Pages and paging"). The
/// defaults keep every page under 300 KB of HTML at 100,000 incidents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginationConfig {
    /// Incidents per page of a timeline year (`/timeline/<year>/`, then `…/page/2/` …).
    #[serde(default = "default_timeline_per_page")]
    pub timeline: NonZeroUsize,
    /// Incidents per page of the other lists: `/incidents/`, region and actor pages.
    #[serde(default = "default_list_per_page")]
    pub lists: NonZeroUsize,
}

pub const DEFAULT_TIMELINE_PER_PAGE: usize = 250;
pub const DEFAULT_LIST_PER_PAGE: usize = 250;

fn default_timeline_per_page() -> NonZeroUsize {
    NonZeroUsize::new(DEFAULT_TIMELINE_PER_PAGE).unwrap_or(NonZeroUsize::MIN)
}

fn default_list_per_page() -> NonZeroUsize {
    NonZeroUsize::new(DEFAULT_LIST_PER_PAGE).unwrap_or(NonZeroUsize::MIN)
}

impl Default for PaginationConfig {
    fn default() -> Self {
        PaginationConfig {
            timeline: default_timeline_per_page(),
            lists: default_list_per_page(),
        }
    }
}

/// Boundary layers and where to fetch them from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeodataConfig {
    /// A local folder holding the layer files; relative paths are from the site root.
    /// `SITREP_GEODATA_MIRROR` overrides it. When neither is set, `../shared/geodata` is used
    /// if present, else each layer's upstream URL.
    #[serde(default)]
    pub mirror: Option<PathBuf>,
    pub layers: Vec<LayerSpec>,
}

fn default_language() -> String {
    "en".to_string()
}

fn default_theme() -> String {
    "default".to_string()
}

/// Everything the pipeline needs to know about where things are and how to build.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub site: SiteConfig,
    /// `base_url` with a trailing slash, e.g. `https://example.org/atlas/`.
    pub base_url: String,
    /// The path part of `base_url`, e.g. `/atlas/` (always starts and ends with `/`).
    pub base_path: String,
    pub output_dir: PathBuf,
    pub geodata_dir: PathBuf,
    pub mirror: Option<PathBuf>,
    pub theme_dir: PathBuf,
    /// Leaflet's `dist` folder from the npm package.
    pub leaflet_dir: PathBuf,
    /// "Today" for date checks; fixed by `SOURCE_DATE_EPOCH`-style overrides in tests.
    pub today: chrono::NaiveDate,
}

/// Command-line overrides of the config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub base_url: Option<String>,
    pub output_dir: Option<PathBuf>,
}

impl Config {
    /// Reads `<root>/sitrep.toml` and applies overrides. Errors are diagnostics with positions.
    pub fn load(root: &Path, overrides: &Overrides) -> anyhow::Result<Config> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read {}: {e}. Run sitrep in a site folder (one with {CONFIG_FILE}) or pass --root",
                path.display()
            )
        })?;
        let site = parse_site_config(&text).map_err(|d| ContentErrors(vec![d]))?;
        Config::from_site(root, site, overrides).map_err(|mut d| {
            if d.file == CONFIG_FILE && d.kind == "invalid-base-url" {
                if let Some(offset) = value_offset(&text, "base_url") {
                    d = d.at(&text, offset);
                }
            }
            ContentErrors(vec![d]).into()
        })
    }

    #[allow(clippy::result_large_err)] // one diagnostic per failed file, never in a hot loop
    fn from_site(
        root: &Path,
        site: SiteConfig,
        overrides: &Overrides,
    ) -> Result<Config, Diagnostic> {
        let base_url_raw = overrides.base_url.clone().unwrap_or(site.base_url.clone());
        // A bad --base-url is the flag's fault, not the file's.
        let given_in = if overrides.base_url.is_some() {
            "--base-url"
        } else {
            CONFIG_FILE
        };
        let (base_url, base_path) = base_url_parts(&base_url_raw).map_err(|why| {
            Diagnostic::error(
                given_in,
                "invalid-base-url",
                format!("base_url `{base_url_raw}` cannot be used: {why}"),
            )
            .with_hint("write it like https://example.org/ or https://user.github.io/atlas/")
        })?;
        let mirror = std::env::var_os("SITREP_GEODATA_MIRROR")
            .map(PathBuf::from)
            .or_else(|| site.geodata.mirror.clone())
            .map(|m| if m.is_absolute() { m } else { root.join(m) })
            .or_else(|| {
                let default = root.join("../shared/geodata");
                default.is_dir().then_some(default)
            });
        let theme_dir = if site.theme.contains('/') {
            root.join(&site.theme)
        } else {
            root.join("themes").join(&site.theme)
        };
        let today = match std::env::var("SITREP_TODAY") {
            Ok(s) => chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                Diagnostic::error(
                    "SITREP_TODAY",
                    "invalid-date",
                    format!("`{s}` is not a YYYY-MM-DD date"),
                )
            })?,
            Err(_) => chrono::Local::now().date_naive(),
        };
        Ok(Config {
            root: root.to_path_buf(),
            base_url,
            base_path,
            output_dir: overrides
                .output_dir
                .clone()
                .unwrap_or_else(|| root.join("public")),
            geodata_dir: root.join("geodata"),
            mirror,
            leaflet_dir: std::env::var_os("SITREP_LEAFLET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| find_leaflet(root)),
            theme_dir,
            today,
            site,
        })
    }

    /// The site's own `static/` folder, copied to the root of the output as it is.
    pub fn site_static_dir(&self) -> PathBuf {
        self.root.join("static")
    }

    /// A site-internal URL: `path` relative to the site root (no leading slash) with the base path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_path, path.trim_start_matches('/'))
    }

    /// An absolute URL for feeds and sitemaps.
    pub fn absolute_url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path.trim_start_matches('/'))
    }
}

/// `node_modules/leaflet/dist` in the root or the nearest folder above it that has one.
fn find_leaflet(root: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    absolute
        .ancestors()
        .map(|dir| dir.join("node_modules/leaflet/dist"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| root.join("node_modules/leaflet/dist"))
}

/// Byte offset of the value of a top-level `key = value` line, for positioned diagnostics.
fn value_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key) {
            if let Some(after_eq) = rest.trim_start().strip_prefix('=') {
                let value = after_eq.trim_start();
                return Some(offset + line.len() - value.len());
            }
        }
        if line.trim_start().starts_with('[') {
            return None;
        }
        offset += line.len();
    }
    None
}

/// Parses the config text, turning TOML errors into positioned diagnostics.
#[allow(clippy::result_large_err)] // one diagnostic per failed file, never in a hot loop
pub fn parse_site_config(text: &str) -> Result<SiteConfig, Diagnostic> {
    toml::from_str::<SiteConfig>(text)
        .map_err(|e| crate::content::toml_diagnostic(CONFIG_FILE, text, &e))
}

/// Splits an absolute http(s) URL into (url with trailing slash, path with slashes).
#[cfg(test)]
fn split_base_url(raw: &str) -> Option<(String, String)> {
    base_url_parts(raw).ok()
}

/// `(base_url, base_path)` of an absolute http(s) URL, or why it cannot be the site's base:
/// every internal link is the base path followed by a page's path, so the path must be plain
/// segments (an empty one, `//`, would make links that name another host).
fn base_url_parts(raw: &str) -> Result<(String, String), &'static str> {
    let scheme_len = raw.find("://").map_or(0, |i| i + 3);
    let scheme = raw[..scheme_len].to_ascii_lowercase();
    if scheme != "https://" && scheme != "http://" {
        return Err("it is not an absolute http(s) URL");
    }
    let rest = &raw[scheme_len..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    let host = &rest[..host_end];
    if host.is_empty() {
        return Err("it has no host");
    }
    if host.contains('@') {
        return Err("it holds a user name or password, which every page would publish");
    }
    if raw.contains(['?', '#', '"', '<', '>', ' ', '\'', '\\']) {
        return Err("it holds a query, fragment, quote, space or backslash");
    }
    let path = rest[host_end..].trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(
            "its path has an empty segment (`//`), which makes links that name another host",
        );
    }
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err("its path has a `.` or `..` segment");
    }
    let base_path = format!("{path}/");
    let base_url = format!("{scheme}{host}{base_path}");
    Ok((base_url, base_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gives_base_path() {
        assert_eq!(
            split_base_url("https://example.org"),
            Some(("https://example.org/".into(), "/".into()))
        );
        assert_eq!(
            split_base_url("https://u.github.io/atlas"),
            Some(("https://u.github.io/atlas/".into(), "/atlas/".into()))
        );
        assert_eq!(
            split_base_url("http://localhost:8080/a/b/"),
            Some(("http://localhost:8080/a/b/".into(), "/a/b/".into()))
        );
        assert_eq!(split_base_url("example.org/x"), None);
        assert_eq!(
            split_base_url("HTTPS://Example.org/Atlas"),
            Some(("https://Example.org/Atlas/".into(), "/Atlas/".into()))
        );
        for bad in [
            "https://user.github.io//atlas/",
            "https://x.org/a/../b/",
            "https://x.org/./a",
            "https://user:pw@x.org/atlas/",
            "https:///atlas/",
            "https://x.org/a\\b",
            "ftp://x.org/",
        ] {
            assert_eq!(split_base_url(bad), None, "{bad}");
        }
        assert_eq!(split_base_url("javascript:alert(1)"), None);
    }
}
