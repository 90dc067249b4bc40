//! Serve: incremental builds. Re-parses only the content files that changed and re-renders
//! only the outputs that depend on them.

use crate::config::Config;
use crate::GeoData;

use super::engine::Outcome;
use super::watch::Change;

/// What is kept from one build to the next.
#[derive(Default)]
pub struct Incremental {}

impl Incremental {
    pub fn build(
        &mut self,
        config: &Config,
        geo: &GeoData,
        _change: &Change,
    ) -> anyhow::Result<Outcome> {
        let generated = crate::generate(config, geo, &|_| {})?;
        if generated.has_errors() {
            return Ok(Outcome::Failed {
                diagnostics: generated.diagnostics,
            });
        }
        Ok(Outcome::Built {
            files: generated.files,
            removed: Vec::new(),
            complete: true,
            diagnostics: generated.diagnostics,
        })
    }
}
