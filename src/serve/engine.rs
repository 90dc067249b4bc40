//! Serve: the rebuild engine. Keeps the config and the boundary layers (slow to load) between
//! builds, reloading them only when `sitrep.toml` or `geodata/` change, and turns every
//! failure into diagnostics so the last good build stays served.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, Overrides, CONFIG_FILE};
use crate::diagnostic::{ContentErrors, Diagnostic};
use crate::render::OutputFile;
use crate::GeoData;

use super::incremental::Incremental;
use super::watch::{Change, Sources};

/// The result of one build.
pub enum Outcome {
    /// Every output of a good build (`complete`), or only the outputs that changed.
    /// `pending` names the outputs that later steps (`Engine::finish`) will render again —
    /// paths, or prefixes such as `data/` — until then they are out of date; empty when the
    /// build is done.
    Built {
        files: Vec<OutputFile>,
        removed: Vec<String>,
        complete: bool,
        diagnostics: Vec<Diagnostic>,
        pending: Vec<String>,
    },
    /// The build had errors; nothing changes on the served site.
    Failed { diagnostics: Vec<Diagnostic> },
}

/// Everything kept between builds.
pub struct Engine {
    root: PathBuf,
    overrides: Overrides,
    pub config: Config,
    pub sources: Sources,
    geo: Option<Arc<GeoData>>,
    incremental: Incremental,
}

impl Engine {
    /// Loads the config; errors in it stop `serve` before it starts.
    pub fn new(root: &Path, overrides: Overrides) -> anyhow::Result<Engine> {
        let config = Config::load(root, &overrides)?;
        crate::render::require_leaflet(&config)?;
        let sources = Sources::of(&config)?;
        Ok(Engine {
            root: root.to_path_buf(),
            overrides,
            config,
            sources,
            geo: None,
            incremental: Incremental::default(),
        })
    }

    /// Builds after `change` (everything when it asks for a config or geodata reload).
    pub fn build(&mut self, change: &Change) -> Outcome {
        if change.config {
            match Config::load(&self.root, &self.overrides) {
                Ok(config) => {
                    self.config = config;
                    if let Ok(sources) = Sources::of(&self.config) {
                        self.sources = sources;
                    }
                }
                Err(e) => return failed(e, CONFIG_FILE),
            }
        }
        if change.config || change.geodata {
            self.geo = None;
            self.incremental = Incremental::default();
        }
        let geo = match &self.geo {
            Some(geo) => geo.clone(),
            None => match crate::load_geodata(&self.config) {
                Ok(geo) => {
                    let geo = Arc::new(geo);
                    self.geo = Some(geo.clone());
                    geo
                }
                Err(e) => return failed(e, CONFIG_FILE),
            },
        };
        let root = self.sources.root.clone();
        match self.incremental.build(&self.config, &root, &geo, change) {
            Ok(outcome) => with_layer_warnings(outcome, &geo),
            Err(e) => self.failed_rendering(e),
        }
    }
}

impl Engine {
    /// Renders what the last build left for later (see `Outcome::Built::more`).
    pub fn finish(&mut self) -> Option<Outcome> {
        let geo = self.geo.clone()?;
        match self.incremental.finish(&self.config, &geo)? {
            Ok(outcome) => Some(with_layer_warnings(outcome, &geo)),
            Err(e) => Some(self.failed_rendering(e)),
        }
    }

    /// A failure of the render: a template error at its line in the template, anything
    /// else on the theme folder.
    fn failed_rendering(&self, error: anyhow::Error) -> Outcome {
        match crate::render::template_diagnostic(&error, &self.config) {
            Some(diagnostic) => Outcome::Failed {
                diagnostics: vec![diagnostic],
            },
            None => failed(
                error,
                &crate::diagnostic::display_path(&self.config.root, &self.config.theme_dir),
            ),
        }
    }
}

/// A build's outcome with the boundary layers' warnings first among its diagnostics, as
/// `build` and `check` show them.
fn with_layer_warnings(mut outcome: Outcome, geo: &GeoData) -> Outcome {
    if let Outcome::Built { diagnostics, .. } = &mut outcome {
        if !geo.warnings.is_empty() {
            diagnostics.splice(0..0, geo.warnings.iter().cloned());
        }
    }
    outcome
}

/// A failure as diagnostics: content errors as they are, anything else (templates, I/O,
/// geodata) as one error on `file` with the whole cause chain.
fn failed(error: anyhow::Error, file: &str) -> Outcome {
    let diagnostics = match error.downcast::<ContentErrors>() {
        Ok(ContentErrors(diagnostics)) => diagnostics,
        Err(error) => {
            let message = error
                .chain()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            vec![Diagnostic::error(file, "build-failed", message).with_hint(
                "fix the cause named above and save; the last good build is still served",
            )]
        }
    };
    Outcome::Failed { diagnostics }
}
