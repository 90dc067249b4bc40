//! Render stage: turns the atlas, regions and index into every output file, in memory —
//! HTML pages through the theme's Tera templates (indentation removed), data downloads, map
//! layers, feeds and static assets, each handed to a `Sink` as soon as it is made (the write
//! stage for a build). Nothing here touches the output folder.

/// A JSON object whose values are moved in (`Value::from`). `serde_json::json!` stores a
/// serialized copy of each value instead, which for a page's cards and lists doubles the work.
macro_rules! object {
    ($($key:literal : $value:expr),* $(,)?) => {{
        let mut map = serde_json::Map::new();
        $( map.insert(String::from($key), serde_json::Value::from($value)); )*
        serde_json::Value::Object(map)
    }};
}

mod affected;
mod assets;
mod compact;
mod data;
mod feeds;
mod filters;
mod lists;
mod mapdata;
pub mod markdown;
mod pages;
mod paging;
mod points;
mod svg;
mod views;

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use anyhow::Context as _;

use crate::atlas::Atlas;
use crate::config::Config;
use crate::geo::Layer;
use crate::index::SiteIndex;
use crate::regions::RegionTree;

/// One file of the built site: its path relative to the output folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Everything rendering reads, and a memo of the values many pages share.
pub struct Site<'a> {
    pub config: &'a Config,
    pub atlas: &'a Atlas,
    pub layers: &'a [Layer],
    pub regions: &'a RegionTree,
    pub index: &'a SiteIndex,
    /// The theme's templates (`load_templates`).
    pub templates: &'a tera::Tera,
    pub(crate) shared: views::Shared,
}

impl<'a> Site<'a> {
    pub fn new(
        config: &'a Config,
        atlas: &'a Atlas,
        layers: &'a [Layer],
        regions: &'a RegionTree,
        index: &'a SiteIndex,
        templates: &'a tera::Tera,
    ) -> Site<'a> {
        Site {
            config,
            atlas,
            layers,
            regions,
            index,
            templates,
            shared: views::Shared::new(atlas.incidents.len()),
        }
    }
}

/// A page to render: output path, template name and its variables.
pub struct Page {
    pub path: String,
    pub template: &'static str,
    pub context: Vars,
}

/// A page's template variables. Unlike `tera::Context::insert`, which stores a serialized
/// copy of what it is given, `put` moves a value in: a page's incident cards and lists are
/// made for that page alone, so copying them would double the work.
#[derive(Default)]
pub struct Vars(serde_json::Map<String, serde_json::Value>);

impl Vars {
    /// Sets `key` to a copy of `value` (for small values: flags, counts, labels).
    pub fn insert<T: serde::Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.put(key, serde_json::to_value(value).unwrap_or_default());
    }

    /// Sets `key` to `value`, moved in.
    pub fn put(&mut self, key: &str, value: serde_json::Value) {
        self.0.insert(key.to_string(), value);
    }

    fn into_context(self) -> tera::Context {
        // An object always converts.
        tera::Context::from_value(serde_json::Value::Object(self.0)).unwrap_or_default()
    }
}

pub use affected::{
    page_path, plan_affected, render_data, render_keys, render_keys_into, AffectedPlan, PageKey,
};
pub use lists::ListKey;

/// Folder of the map's overview cluster files (their number depends on the data).
pub const CLUSTERS_DIR: &str = "data/map/clusters/";

/// The data files (downloads, map data, feeds), by path prefix: rendered after the pages in
/// `serve`'s incremental builds.
pub const DATA_OUTPUTS: &[&str] = &[
    "data/",
    "sitemap.xml",
    feeds::SITEMAP_PART_PREFIX,
    "atom.xml",
    "robots.txt",
];

/// Outputs whose number depends on the data as a whole (overview cluster zooms, the parts of
/// a split sitemap), by path prefix: `serve` drops the ones a partial render no longer makes.
pub const VARIABLE_OUTPUTS: &[&str] = &[CLUSTERS_DIR, feeds::SITEMAP_PART_PREFIX];
pub use svg::Locators;

/// Where rendered files go, each as soon as it is made: the write stage (`output::Target`),
/// memory (`Collect`) or nowhere (`Discard`). Called from the render threads.
pub trait Sink: Sync {
    fn put(&self, file: OutputFile) -> anyhow::Result<()>;
}

/// Keeps every file in memory (`serve`, `generate`).
#[derive(Default)]
pub struct Collect(Mutex<Vec<OutputFile>>);

impl Collect {
    /// The files, sorted by path.
    pub fn into_sorted(self) -> Vec<OutputFile> {
        let mut files = self.0.into_inner().unwrap_or_else(PoisonError::into_inner);
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }
}

impl Sink for Collect {
    fn put(&self, file: OutputFile) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(file);
        Ok(())
    }
}

/// Drops every file: for when only the output paths matter (`check`).
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _file: OutputFile) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Renders the whole site into memory, sorted by path.
pub fn render(site: &Site) -> anyhow::Result<Vec<OutputFile>> {
    render_with(site, &Locators::new(site))
}

/// `render` with locator outlines made earlier (`serve` keeps them).
pub fn render_with(site: &Site, locators: &Locators) -> anyhow::Result<Vec<OutputFile>> {
    let files = Collect::default();
    stream(site, locators, &files)?;
    Ok(files.into_sorted())
}

/// Renders the whole site, handing each file to `sink` as soon as it is made, so the site is
/// never held in memory; returns every output path. On an error the sink has been given only
/// part of the site.
pub fn render_into(site: &Site, sink: &dyn Sink) -> anyhow::Result<BTreeSet<String>> {
    stream(site, &Locators::new(site), sink)
}

/// The pages (in parallel) and downloads, then the map data, feeds and static files, each
/// file passed to `sink` once made; fails when two outputs would have the same path.
fn stream(site: &Site, locators: &Locators, sink: &dyn Sink) -> anyhow::Result<BTreeSet<String>> {
    let out = Recorder {
        sink,
        paths: Mutex::default(),
    };
    // The pages render in parallel while the downloads, map data, feeds and static files are
    // made one after another beside them. The sitemap lists the pages, known from their keys.
    let keys = pages::all(site);
    let page_paths: BTreeSet<String> = keys.iter().map(|&k| page_path(site, k)).collect();
    let (pages, others) = rayon::join(
        || render_keys_into(site, locators, &keys, &out),
        || -> anyhow::Result<()> {
            data::downloads_into(site, &out)?;
            out.put_all(mapdata::layers(site, None)?)?;
            out.put_all(feeds::all(site, &page_paths))?;
            out.put_all(assets::copy(site.config)?)
        },
    );
    pages?;
    others?;
    Ok(out
        .paths
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner))
}

/// Passes files on to a sink and notes their paths, refusing a path seen before.
struct Recorder<'a> {
    sink: &'a dyn Sink,
    paths: Mutex<BTreeSet<String>>,
}

impl Recorder<'_> {
    fn put_all(&self, files: Vec<OutputFile>) -> anyhow::Result<()> {
        files.into_iter().try_for_each(|f| self.put(f))
    }
}

impl Sink for Recorder<'_> {
    fn put(&self, file: OutputFile) -> anyhow::Result<()> {
        let new = self
            .paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(file.path.clone());
        if !new {
            anyhow::bail!(
                "two outputs would be written to {}: rename one of the sources",
                file.path
            );
        }
        self.sink.put(file)
    }
}

/// Renders one page and removes the templates' indentation.
fn render_page(tera: &tera::Tera, page: Page) -> anyhow::Result<OutputFile> {
    let html = tera
        .render(page.template, &page.context.into_context())
        .map_err(|e| anyhow::anyhow!(template_error(&e)))
        .with_context(|| format!("rendering {} with template {}", page.path, page.template))?;
    Ok(OutputFile {
        path: page.path,
        bytes: compact::compact(&html),
    })
}

/// The theme's static files and Leaflet's, under `static/` and `vendor/leaflet/`.
pub fn static_assets(config: &Config) -> anyhow::Result<Vec<OutputFile>> {
    assets::copy(config)
}

/// Site-relative paths of all outputs, for link checking.
pub fn output_paths(files: &[OutputFile]) -> BTreeSet<String> {
    files.iter().map(|f| f.path.clone()).collect()
}

/// The theme's templates, parsed.
pub fn load_templates(config: &Config) -> anyhow::Result<tera::Tera> {
    let dir = config.theme_dir.join("templates");
    let glob = format!("{}/**/*", dir.display());
    let mut tera = tera::Tera::new(&glob)
        .map_err(|e| anyhow::anyhow!(template_error(&e)))
        .with_context(|| format!("loading templates from {}", dir.display()))?;
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape_html);
    let has_item_macro = tera
        .get_template("macros.html")
        .is_ok_and(|t| t.macros.contains_key("incident_item"));
    if has_item_macro {
        tera.add_raw_template(
            ITEM_TEMPLATE,
            r#"{% import "macros.html" as m %}{{ m::incident_item(i=i) }}"#,
        )
        .map_err(|e| anyhow::anyhow!(template_error(&e)))?;
    }
    Ok(tera)
}

/// Renders the theme's `incident_item` macro (in `macros.html`) for one incident: each
/// incident's list entry is made once per build and given to the lists as `item_html`.
pub(crate) const ITEM_TEMPLATE: &str = "sitrep/incident_item.html";

/// Escapes text for HTML and XML, in element content and in quoted attribute values: the
/// five characters that can end either. Tera's default also escapes `/`, which only
/// lengthens every URL.
pub fn escape_html(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        // The five are ASCII, so `i` is a character boundary.
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out
}

/// Tera errors keep the useful part in their sources; flatten them into one message.
fn template_error(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escapes_the_five_characters_that_end_text_or_attributes() {
        assert_eq!(
            escape_html(r#"<a href="x" title='y'>&amp;</a> / ok"#),
            "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;amp;&lt;/a&gt; / ok"
        );
        assert_eq!(escape_html("plain — ünï"), "plain — ünï");
        assert_eq!(escape_html(""), "");
    }
}
