//! Render stage: turns the atlas, regions and index into every output file, in memory —
//! HTML pages through the theme's Tera templates (indentation removed), data downloads, map
//! layers, feeds and static assets, each handed to a `Sink` as soon as it is made (the write
//! stage for a build). Nothing here touches the output folder.

/// A template value: a map of the given fields, each value moved in (`tera::Value::from`).
/// The keys are static, so making one allocates no key.
/// `object!`'s fields, before they become a value (for views that others extend).
macro_rules! map {
    ($($key:literal : $value:expr),* $(,)?) => {{
        let mut map = $crate::render::Fields::new();
        $( map.insert($key, tera::Value::from($value)); )*
        map
    }};
}

macro_rules! object {
    ($($key:literal : $value:expr),* $(,)?) => {{
        tera::Value::from(map! { $($key: $value),* })
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
use crate::diagnostic::Diagnostic;
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
            shared: views::Shared::new(atlas.incidents.len(), regions.regions.len()),
        }
    }
}

/// The fields of a template value being made, by name. They become the value in one pass, in
/// name order, with no key allocated (Tera's own map hashes each key, and becomes a value only
/// by being copied into a new one).
#[derive(Default)]
pub struct Fields(Vec<(&'static str, tera::Value)>);

impl Fields {
    pub fn new() -> Fields {
        Fields(Vec::with_capacity(16))
    }

    /// Sets `key` to `value`, replacing what it had.
    pub fn insert(&mut self, key: &'static str, value: tera::Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(field) => field.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Sets each of `more`'s fields.
    pub fn extend(&mut self, more: Fields) {
        for (key, value) in more.0 {
            self.insert(key, value);
        }
    }

    /// The fields of a template value made from a struct (whose keys are its field names).
    pub fn of(value: tera::Value) -> Fields {
        let map = value.into_map().unwrap_or_default();
        Fields(
            map.into_iter()
                .filter_map(|(key, value)| match key {
                    tera::value::Key::Str(name) => Some((name, value)),
                    _ => None,
                })
                .collect(),
        )
    }
}

impl From<Fields> for tera::Value {
    fn from(mut fields: Fields) -> tera::Value {
        /// Fields in name order, serialized as a struct: Tera keeps each name as it is.
        struct Sorted(Vec<(&'static str, tera::Value)>);
        impl serde::Serialize for Sorted {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut fields = serializer.serialize_struct("Fields", self.0.len())?;
                for (key, value) in &self.0 {
                    fields.serialize_field(key, value)?;
                }
                fields.end()
            }
        }
        fields.0.sort_unstable_by_key(|(key, _)| *key);
        to_value(&Sorted(fields.0))
    }
}

/// A page to render: output path, template name and its variables.
pub struct Page {
    pub path: String,
    pub template: &'static str,
    pub context: Vars,
}

/// A page's template variables. `insert` serializes a copy of what it is given (for small
/// values: flags, counts, labels); `put` moves a template value in (cards, lists, views).
#[derive(Default)]
pub struct Vars(tera::Context);

impl Vars {
    /// Sets `key` to a copy of `value`.
    pub fn insert<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.0.insert(key, value);
    }

    /// Sets `key` to `value`, moved in.
    pub fn put(&mut self, key: &'static str, value: tera::Value) {
        self.0.insert_value(key, value);
    }
}

/// A template value made from anything serializable. A struct becomes Tera's map in one pass
/// with its field names as keys (none allocated); a template value inside it is shared, not
/// copied (cards, `Fields`). Other values are copied.
pub(crate) fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> tera::Value {
    tera::Value::try_from_serializable(value).unwrap_or_else(|_| tera::Value::none())
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

    /// A file given as pieces, in order: a large download, which a sink that writes files
    /// writes piece by piece rather than holding whole. By default, joined and `put`.
    fn put_pieces(
        &self,
        path: &str,
        pieces: &mut dyn Iterator<Item = &[u8]>,
    ) -> anyhow::Result<()> {
        self.put(OutputFile {
            path: path.into(),
            bytes: join_pieces(pieces),
        })
    }
}

/// The bytes of a file given in pieces (`Sink::put_pieces`), joined.
pub fn join_pieces(pieces: &mut dyn Iterator<Item = &[u8]>) -> Vec<u8> {
    let mut bytes = Vec::new();
    pieces.for_each(|piece| bytes.extend_from_slice(piece));
    bytes
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

    fn put_pieces(
        &self,
        _path: &str,
        _pieces: &mut dyn Iterator<Item = &[u8]>,
    ) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Renders the whole site into memory, sorted by path.
pub fn render(site: &Site) -> anyhow::Result<Vec<OutputFile>> {
    render_with(site, &Locators::default())
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
    stream(site, &Locators::default(), sink)
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

impl Recorder<'_> {
    /// Notes `path`, refusing it if it was seen before.
    fn note(&self, path: &str) -> anyhow::Result<()> {
        let new = self
            .paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_string());
        if !new {
            anyhow::bail!("two outputs would be written to {path}: rename one of the sources");
        }
        Ok(())
    }
}

impl Sink for Recorder<'_> {
    fn put(&self, file: OutputFile) -> anyhow::Result<()> {
        self.note(&file.path)?;
        self.sink.put(file)
    }

    fn put_pieces(
        &self,
        path: &str,
        pieces: &mut dyn Iterator<Item = &[u8]>,
    ) -> anyhow::Result<()> {
        self.note(path)?;
        self.sink.put_pieces(path, pieces)
    }
}

/// Renders one page and removes the templates' indentation.
fn render_page(tera: &tera::Tera, page: Page) -> anyhow::Result<OutputFile> {
    let html = tera
        .render(page.template, &page.context.0)
        .map_err(|e| anyhow::anyhow!(template_error(&e)))
        .with_context(|| format!("rendering {} with template {}", page.path, page.template))?;
    Ok(OutputFile {
        path: page.path,
        bytes: compact::compact(&html),
    })
}

pub use assets::require_leaflet;

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
    let files = template_files(&dir)
        .with_context(|| format!("listing the templates in {}", dir.display()))?;
    let mut tera = tera::Tera::new();
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(write_escaped_html);
    tera.add_template_files(files)
        .map_err(|e| anyhow::anyhow!(template_error(&e)))
        .with_context(|| format!("loading templates from {}", dir.display()))?;
    if tera.contains_component("incident_item") {
        tera.add_raw_template(ITEM_TEMPLATE, "{{ <incident_item i={i}/> }}")
            .map_err(|e| anyhow::anyhow!(template_error(&e)))?;
    }
    Ok(tera)
}

/// Every file under the templates folder, with its name relative to it (`components.html`,
/// `partials/x.html`), sorted so that errors come in the same order on every build.
fn template_files(
    dir: &std::path::Path,
) -> anyhow::Result<Vec<(std::path::PathBuf, Option<String>)>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.into_path();
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((path, Some(name)));
    }
    Ok(files)
}

/// Renders the theme's `incident_item` component (in `components.html`) for one incident: each
/// incident's list entry is made once per build and given to the lists as `item_html`.
pub(crate) const ITEM_TEMPLATE: &str = "sitrep/incident_item.html";

/// Escapes text for HTML and XML, in element content and in quoted attribute values: the
/// five characters that can end either.
pub fn escape_html(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    // Writing into a Vec cannot fail, and only whole characters and ASCII entities are written.
    let _ = write_escaped_html(text, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// `escape_html` written straight into the page (Tera's escape function).
fn write_escaped_html(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    // Most text has none of the five: it is found so in one tight pass and written whole.
    while let Some(p) = bytes[start..].iter().position(|&b| ESCAPED[usize::from(b)]) {
        let i = start + p;
        let entity: &[u8] = match bytes[i] {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            _ => b"&#x27;",
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// The bytes `write_escaped_html` replaces.
static ESCAPED: [bool; 256] = byte_set(b"&<>\"'");

/// A table of the given bytes, for scanning text one byte at a time in a tight loop.
const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// Tera errors keep the useful part in their sources; flatten them into one message.
/// A template error in `error`'s chain as a positioned diagnostic on the template's file
/// (Tera names it as `--> name:line:column` followed by the line), so that `check` in every
/// format and `serve`'s overlay can point at it. None when no cause names a template.
pub fn template_diagnostic(error: &anyhow::Error, config: &Config) -> Option<Diagnostic> {
    let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
    let (at, cause) = chain
        .iter()
        .enumerate()
        .find_map(|(i, c)| Some((i, c.find("--> ").map(|p| (c, p))?)))?;
    let (cause, arrow) = cause;
    let located = cause[arrow + 4..].lines().next()?.trim();
    let mut parts = located.rsplitn(3, ':');
    let column: usize = parts.next()?.parse().ok()?;
    let line: usize = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let message = cause[..arrow]
        .trim()
        .trim_start_matches("error:")
        .trim()
        .to_string();
    let snippet = cause[arrow..]
        .lines()
        .find_map(|l| l.split_once(" | ").map(|(_, code)| code.trim().to_string()))
        .filter(|code| !code.is_empty());
    let templates = config.theme_dir.join("templates").join(name);
    let file = crate::diagnostic::display_path(&config.root, &templates);
    let mut diagnostic = Diagnostic::error(&file, "template-error", message);
    diagnostic.line = line;
    diagnostic.column = column;
    diagnostic.snippet = snippet;
    // What was being done when it failed: the outer causes ("rendering x with template y").
    let doing: Vec<&str> = chain[..at].iter().map(String::as_str).collect();
    Some(diagnostic.with_hint(if doing.is_empty() {
        "fix the template".to_string()
    } else {
        format!(
            "fix the template (the error came while {})",
            doing.join(": ")
        )
    }))
}

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
