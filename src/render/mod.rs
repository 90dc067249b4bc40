//! Render stage: turns the atlas, regions and index into every output file, in memory —
//! HTML pages through the theme's Tera templates (indentation removed), data downloads, map layers,
//! feeds and static assets. Nothing here touches the output folder.

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

/// Everything rendering reads.
pub struct Site<'a> {
    pub config: &'a Config,
    pub atlas: &'a Atlas,
    pub layers: &'a [Layer],
    pub regions: &'a RegionTree,
    pub index: &'a SiteIndex,
}

/// A page to render: output path, template name and its variables.
pub struct Page {
    pub path: String,
    pub template: &'static str,
    pub context: tera::Context,
}

pub use affected::{page_path, plan_affected, render_data, render_keys, AffectedPlan, PageKey};
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

/// Renders the whole site into memory, sorted by path.
pub fn render(site: &Site) -> anyhow::Result<Vec<OutputFile>> {
    render_with(site, &load_templates(site.config)?, &Locators::new(site))
}

/// `render` with templates and locator outlines made earlier (`serve` keeps them).
pub fn render_with(
    site: &Site,
    tera: &tera::Tera,
    locators: &Locators,
) -> anyhow::Result<Vec<OutputFile>> {
    let mut files: Vec<OutputFile> = render_keys(site, tera, locators, &pages::all(site))?;
    files.extend(data::downloads(site)?);
    files.extend(mapdata::layers(site, None)?);
    files.extend(feeds::all(site, &output_paths(&files)));
    files.extend(assets::copy(site.config)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(dup) = files.windows(2).find(|w| w[0].path == w[1].path) {
        anyhow::bail!(
            "two outputs would be written to {}: rename one of the sources",
            dup[0].path
        );
    }
    Ok(files)
}

/// Renders one page and removes the templates' indentation.
fn render_page(tera: &tera::Tera, page: &Page) -> anyhow::Result<OutputFile> {
    let html = tera
        .render(page.template, &page.context)
        .map_err(|e| anyhow::anyhow!(template_error(&e)))
        .with_context(|| format!("rendering {} with template {}", page.path, page.template))?;
    Ok(OutputFile {
        path: page.path.clone(),
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
    Ok(tera)
}

/// Escapes text for HTML and XML, in element content and in quoted attribute values: the
/// five characters that can end either. Tera's default also escapes `/`, which only
/// lengthens every URL.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#x27;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
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
