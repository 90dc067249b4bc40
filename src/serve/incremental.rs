//! Serve: incremental builds. Re-reads and re-parses only the content files that changed,
//! re-checks only the incidents that changed (`validate::LinkMemo`), keeps the templates
//! parsed, and after incident-only changes re-renders only the outputs that depend on them
//! (`render::render_affected`). Anything else falls back to a full render.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::atlas::Atlas;
use crate::config::Config;
use crate::content::{self, RawContent};
use crate::diagnostic::{self, display_path, Diagnostic};
use crate::index::{self, SiteIndex};
use crate::regions::RegionTree;
use crate::render::{self, Locators, OutputFile, PageKey, Site};
use crate::validate::{self, LinkMemo, MarkdownLinkMemo};
use crate::GeoData;

use super::engine::Outcome;
use super::watch::Change;

/// What a partial build leaves for later: the list and index pages, then the data files.
struct Deferred {
    pages: Option<Vec<PageKey>>,
    /// The output paths of `pages`.
    paths: Vec<String>,
    /// The years whose map point files changed.
    point_years: BTreeSet<i32>,
}

/// The content as on disk, and the diagnostics of reading and parsing it.
struct ContentState {
    raw: RawContent,
    diagnostics: Vec<Diagnostic>,
}

/// The linked model of the last good build, what the served outputs were made from.
struct Model {
    atlas: Atlas,
    regions: RegionTree,
    index: SiteIndex,
}

/// What is kept from one build to the next.
#[derive(Default)]
pub struct Incremental {
    content: Option<ContentState>,
    memo: LinkMemo,
    /// The region tree the memo links into (aliases applied, countries added by incidents).
    regions: Option<RegionTree>,
    templates: Option<tera::Tera>,
    /// Simplified outlines for the locator maps (geodata only).
    locators: Option<Locators>,
    last: Option<Model>,
    /// Output paths of the served site.
    paths: BTreeSet<String>,
    /// Incidents changed since the last good build (builds in between may have failed).
    pending: BTreeSet<String>,
    /// Something other than incidents changed since the last good build.
    pending_full: bool,
    /// Diagnostics of the latest build, good or not.
    diagnostics: Vec<Diagnostic>,
    /// What the last good build left to render (see `finish`).
    deferred: Option<Deferred>,
    /// The Markdown links of every content file, parsed once per version of the file.
    link_memo: MarkdownLinkMemo,
}

impl Incremental {
    pub fn build(
        &mut self,
        config: &Config,
        root: &Path,
        geo: &GeoData,
        change: &Change,
    ) -> anyhow::Result<Outcome> {
        if change.templates || self.templates.is_none() {
            self.templates = None;
            self.templates = Some(render::load_templates(config)?);
        }
        if change.templates
            || change.site_static
            || change.config
            || change.geodata
            || self.last.is_none()
        {
            self.pending_full = true;
        }
        if !change.theme_static.is_empty() {
            if !self.pending_full && change.content.is_empty() {
                return self.restyle(config);
            }
            self.pending_full = true;
        }
        if !self.update_content(config, root, &change.content) {
            self.pending_full = true;
        }
        let Some(state) = &self.content else {
            anyhow::bail!("content was not loaded");
        };
        let raw = &state.raw;
        let mut regions = match self.regions.take() {
            Some(tree) if !self.pending_full => tree,
            _ => {
                self.memo = LinkMemo::default();
                self.locators = None;
                geo.regions.clone()
            }
        };
        let mut ctx = validate::Context {
            regions: &mut regions,
            layers: &geo.layers,
            today: config.today,
        };
        let (atlas, link_diagnostics) = validate::link_with(raw, &mut ctx, Some(&mut self.memo));
        self.regions = Some(regions.clone());
        self.pending.extend(self.memo.rechecked.iter().cloned());
        let mut diagnostics = state.diagnostics.clone();
        diagnostics.extend(link_diagnostics);
        let index = index::build(&atlas, &regions);
        let model = Model {
            atlas,
            regions,
            index,
        };
        let Some(tera) = &self.templates else {
            anyhow::bail!("templates were not loaded");
        };
        let site = site_of(config, geo, &model, tera);
        let locators = self.locators.get_or_insert_with(Locators::default);
        if diagnostics.iter().any(Diagnostic::is_error) {
            // With no good build yet there is no page list to check links against: render the
            // valid records in memory for it (as `check` does), so links are not all "broken".
            let first_paths;
            let paths = match &self.last {
                None => {
                    first_paths = render::output_paths(&render::render_with(&site, locators)?);
                    &first_paths
                }
                _ => &self.paths,
            };
            let records = RecordPages::of(raw);
            diagnostics.extend(validate::check_markdown_links_memo(
                raw,
                &|p| paths.contains(p) || records.contains(p),
                &mut self.link_memo,
            ));
            return Ok(self.failed(diagnostics));
        }
        if let Some(old) = &self.last {
            let vanished = old
                .atlas
                .incidents
                .iter()
                .filter(|i| !model.index.by_id.contains_key(&i.id));
            self.pending.extend(vanished.map(|i| i.id.clone()));
        }
        let (files, removed, complete, paths, deferred) = match &self.last {
            Some(old) if !self.pending_full => {
                let old_site = site_of(config, geo, old, tera);
                let plan = render::plan_affected(&old_site, &site, &self.pending);
                let files = render::render_keys(&site, locators, &plan.first)?;
                let mut paths = self.paths.clone();
                for p in &plan.removed {
                    paths.remove(p);
                }
                paths.extend(files.iter().map(|f| f.path.clone()));
                paths.extend(plan.then.iter().map(|&k| render::page_path(&site, k)));
                (
                    files,
                    plan.removed,
                    false,
                    paths,
                    Some(Deferred {
                        paths: plan
                            .then
                            .iter()
                            .map(|&k| render::page_path(&site, k))
                            .collect(),
                        pages: Some(plan.then),
                        point_years: plan.point_years,
                    }),
                )
            }
            _ => {
                let files = render::render_with(&site, locators)?;
                let paths = render::output_paths(&files);
                (files, Vec::new(), true, paths, None)
            }
        };
        let records = RecordPages::of(raw);
        diagnostics.extend(validate::check_markdown_links_memo(
            raw,
            &|p| paths.contains(p) || records.contains(p),
            &mut self.link_memo,
        ));
        diagnostic::sort(&mut diagnostics);
        diagnostics.dedup();
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Ok(self.failed(diagnostics));
        }
        self.diagnostics = diagnostics.clone();
        self.paths = paths;
        // Dropping the previous model (every incident) takes a while at 10,000 incidents: not
        // on the way to the reload.
        if let Some(old) = self.last.replace(model) {
            std::thread::spawn(move || drop(old));
        }
        self.pending.clear();
        self.pending_full = false;
        self.deferred = deferred;
        Ok(Outcome::Built {
            files,
            removed,
            complete,
            diagnostics,
            pending: self.pending_outputs(),
        })
    }

    /// Renders what the last build deferred, in two steps so the pages come first: the lists
    /// and indexes that also show the changed incidents (`more` is then true), then the
    /// downloads, map data and feeds. `None` when nothing is left.
    pub fn finish(&mut self, config: &Config, geo: &GeoData) -> Option<anyhow::Result<Outcome>> {
        let mut deferred = self.deferred.take()?;
        let (Some(model), Some(tera), Some(locators)) =
            (&self.last, &self.templates, &self.locators)
        else {
            return None;
        };
        let site = site_of(config, geo, model, tera);
        if let Some(keys) = deferred.pages.take() {
            let rendered = render::render_keys(&site, locators, &keys);
            self.deferred = Some(deferred);
            return Some(match rendered {
                Ok(files) => Ok(Outcome::Built {
                    files,
                    removed: Vec::new(),
                    complete: false,
                    diagnostics: self.diagnostics.clone(),
                    pending: render::DATA_OUTPUTS.iter().map(|p| p.to_string()).collect(),
                }),
                Err(e) => {
                    // The served lists are now older than the model: render everything next time.
                    self.deferred = None;
                    self.pending_full = true;
                    Err(e)
                }
            });
        }
        let rendered = render::render_data(&site, &self.paths, Some(&deferred.point_years));
        Some(match rendered {
            Ok(files) => {
                // Outputs whose number depends on the data: drop the ones left over.
                Ok(self.replace_outputs(files, |p| {
                    render::VARIABLE_OUTPUTS.iter().any(|v| p.starts_with(v))
                }))
            }
            Err(e) => {
                self.pending_full = true;
                Err(e)
            }
        })
    }

    /// The outputs the deferred steps will render: the planned pages, then the data files.
    fn pending_outputs(&self) -> Vec<String> {
        let Some(deferred) = &self.deferred else {
            return Vec::new();
        };
        let mut pending = deferred.paths.clone();
        pending.extend(render::DATA_OUTPUTS.iter().map(|p| p.to_string()));
        pending
    }

    /// Re-copies the theme's static files (a stylesheet or script changed).
    fn restyle(&mut self, config: &Config) -> anyhow::Result<Outcome> {
        let files = render::static_assets(config)?;
        Ok(self.replace_outputs(files, |p| p.starts_with("static/")))
    }

    /// A partial build that renders `files` anew: the served outputs that `replaced` says
    /// these files stand for and that were not made again are removed.
    fn replace_outputs(
        &mut self,
        files: Vec<OutputFile>,
        replaced: impl Fn(&str) -> bool,
    ) -> Outcome {
        let fresh: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let removed: Vec<String> = self
            .paths
            .iter()
            .filter(|p| replaced(p) && !fresh.contains(p.as_str()))
            .cloned()
            .collect();
        for p in &removed {
            self.paths.remove(p);
        }
        self.paths.extend(files.iter().map(|f| f.path.clone()));
        Outcome::Built {
            files,
            removed,
            complete: false,
            diagnostics: self.diagnostics.clone(),
            pending: Vec::new(),
        }
    }

    fn failed(&mut self, mut diagnostics: Vec<Diagnostic>) -> Outcome {
        diagnostic::sort(&mut diagnostics);
        diagnostics.dedup();
        self.diagnostics = diagnostics.clone();
        Outcome::Failed { diagnostics }
    }

    /// Brings the content up to date with `changed` paths. Returns false when anything but
    /// incident files changed (or everything was reloaded), which needs a full render.
    fn update_content(&mut self, config: &Config, root: &Path, changed: &[PathBuf]) -> bool {
        let folder_changed = changed
            .iter()
            .any(|p| p.is_dir() || (!p.exists() && p.extension().is_none()));
        let state = match self.content.as_mut() {
            Some(state) if !folder_changed => state,
            _ => {
                // First build, or a folder appeared, vanished or was renamed: read everything.
                let (raw, diagnostics) = content::load(&config.root);
                self.content = Some(ContentState { raw, diagnostics });
                return false;
            }
        };
        let mut incidents_only = true;
        for path in changed {
            let shown = display_path(root, path);
            if !shown.starts_with("content/incidents/") {
                incidents_only = false;
            }
            state.raw.remove(&shown);
            state.diagnostics.retain(|d| d.file != shown);
            match content::read_one(root, path) {
                None => state.diagnostics.extend(content::hidden_record(root, path)),
                Some(Ok(file)) => {
                    if let Err(found) = state.raw.insert_file(file) {
                        state.diagnostics.extend(found);
                    }
                }
                Some(Err(d)) => state.diagnostics.push(d),
            }
        }
        incidents_only
    }
}

fn site_of<'a>(
    config: &'a Config,
    geo: &'a GeoData,
    model: &'a Model,
    templates: &'a tera::Tera,
) -> Site<'a> {
    Site::new(
        config,
        &model.atlas,
        &geo.layers,
        &model.regions,
        &model.index,
        templates,
    )
}

/// The pages of every record file, parsed or not, so links into records left out for their
/// own errors are not reported twice (as `generate` does).
struct RecordPages<'a> {
    slugs: HashSet<(&'static str, &'a str)>,
}

impl<'a> RecordPages<'a> {
    fn of(raw: &'a RawContent) -> RecordPages<'a> {
        let mut slugs = HashSet::new();
        slugs.extend(raw.incidents.iter().map(|l| ("incidents", l.slug.as_str())));
        slugs.extend(raw.actors.iter().map(|l| ("actors", l.slug.as_str())));
        slugs.extend(raw.briefs.iter().map(|l| ("briefs", l.slug.as_str())));
        for (kind, slug) in &raw.unparsed {
            let section = match kind {
                content::FileKind::Incident => "incidents",
                content::FileKind::Actor => "actors",
                content::FileKind::Brief => "briefs",
                _ => continue,
            };
            slugs.insert((section, slug.as_str()));
        }
        RecordPages { slugs }
    }

    /// Is `path` (`incidents/<slug>/index.html` …) the page of a record file?
    fn contains(&self, path: &str) -> bool {
        let Some((section, rest)) = path.split_once('/') else {
            return false;
        };
        let Some(slug) = rest.strip_suffix("/index.html") else {
            return false;
        };
        ["incidents", "actors", "briefs"]
            .iter()
            .find(|s| **s == section)
            .is_some_and(|s| self.slugs.contains(&(*s, slug)))
    }
}

#[cfg(test)]
#[path = "incremental_tests.rs"]
mod tests;
