//! sitrep: a static site generator for incident atlases.
//!
//! The pipeline, one module per stage:
//! config → content (load) → geo (boundary layers) + regions → validate (check and link)
//! → index → render (in memory) → output (write what changed). `check` runs the same pipeline
//! without the write; `serve` runs it on every change.

pub mod atlas;
pub mod cli;
pub mod config;
pub mod content;
pub mod diagnostic;
pub mod geo;
pub mod index;
pub mod output;
pub mod regions;
pub mod render;
pub mod scaffold;
pub mod serve;
pub mod synth;
pub mod validate;

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::Context as _;

use config::Config;
use diagnostic::Diagnostic;
use geo::Layer;
use regions::RegionTree;
use render::OutputFile;

/// The boundary layers and the region tree built from them (slow to build; reusable).
pub struct GeoData {
    pub layers: Vec<Layer>,
    pub regions: RegionTree,
    pub warnings: Vec<String>,
}

/// Fetches, verifies and loads every declared boundary layer.
pub fn load_geodata(config: &Config) -> anyhow::Result<GeoData> {
    let specs = &config.site.geodata.layers;
    let paths = geo::fetch_layers(specs, &config.geodata_dir, config.mirror.as_deref())?;
    let mut layers = Vec::new();
    let mut warnings = Vec::new();
    for (spec, path) in specs.iter().zip(paths) {
        let (layer, mut w) = geo::load_layer(spec, &path)
            .with_context(|| format!("loading boundary layer `{}`", spec.name))?;
        warnings.append(&mut w);
        layers.push(layer);
    }
    let regions = RegionTree::build(&layers)?;
    Ok(GeoData {
        layers,
        regions,
        warnings,
    })
}

/// The result of running the pipeline in memory.
pub struct Generated {
    /// Sorted by path. Empty when rendering was impossible.
    pub files: Vec<OutputFile>,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    pub pages: usize,
    pub incidents: usize,
    /// How long each stage took.
    pub timings: Timings,
}

/// Wall time of each pipeline stage, in the order they ran, and the memory the process held
/// at its end (`sitrep build --timings`).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// (stage, seconds, resident bytes at its end where the system tells).
    pub stages: Vec<(&'static str, f64, Option<u64>)>,
}

impl Timings {
    /// Records the time since `since` under `stage`; returns now, the start of the next one.
    pub fn record(&mut self, stage: &'static str, since: Instant) -> Instant {
        let now = Instant::now();
        self.stages.push((
            stage,
            now.duration_since(since).as_secs_f64(),
            resident_bytes(),
        ));
        now
    }

    /// One line per stage: name, seconds, share of the total, resident memory at its end.
    pub fn table(&self) -> String {
        let total: f64 = self.stages.iter().map(|(_, s, _)| s).sum();
        let mut out = String::new();
        for (stage, secs, rss) in &self.stages {
            let share = if total > 0.0 {
                secs / total * 100.0
            } else {
                0.0
            };
            let rss = rss.map_or(String::new(), |b| {
                format!("  {:>7.1} MB resident", b as f64 / 1e6)
            });
            out.push_str(&format!(
                "  {stage:<16} {secs:>8.3} s {share:>5.1} %{rss}\n"
            ));
        }
        out.push_str(&format!("  {:<16} {total:>8.3} s\n", "total"));
        out
    }
}

/// Resident memory of this process (Linux: /proc/self/statm), for `--timings`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

impl Generated {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Runs load → validate/link → index → render in memory. Content problems are returned as
/// diagnostics (all of them, not just the first); other failures (I/O, templates) as errors.
pub fn generate(
    config: &Config,
    geo: &GeoData,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Generated> {
    let mut timings = Timings::default();
    let mut clock = Instant::now();
    progress("loading content");
    let (raw, mut diagnostics) = content::load(&config.root);
    clock = timings.record("load content", clock);
    progress("checking and linking");
    let mut regions = geo.regions.clone();
    let mut ctx = validate::Context {
        regions: &mut regions,
        layers: &geo.layers,
        today: config.today,
    };
    let (atlas, mut link_diagnostics) = validate::link(&raw, &mut ctx);
    diagnostics.append(&mut link_diagnostics);
    clock = timings.record("check and link", clock);
    progress("indexing");
    let index = index::build(&atlas, &regions);
    clock = timings.record("index", clock);
    progress("rendering");
    let site = render::Site {
        config,
        atlas: &atlas,
        layers: &geo.layers,
        regions: &regions,
        index: &index,
    };
    let files = render::render(&site)?;
    clock = timings.record("render", clock);
    // Links into records that were left out for their own errors are not reported twice.
    let mut paths: BTreeSet<String> = render::output_paths(&files);
    paths.extend(
        raw.incidents
            .iter()
            .map(|l| format!("incidents/{}/index.html", l.slug)),
    );
    paths.extend(
        raw.actors
            .iter()
            .map(|l| format!("actors/{}/index.html", l.slug)),
    );
    paths.extend(
        raw.briefs
            .iter()
            .map(|l| format!("briefs/{}/index.html", l.slug)),
    );
    for (kind, slug) in &raw.unparsed {
        let section = match kind {
            content::FileKind::Incident => "incidents",
            content::FileKind::Actor => "actors",
            content::FileKind::Brief => "briefs",
            _ => continue,
        };
        paths.insert(format!("{section}/{slug}/index.html"));
    }
    diagnostics.extend(validate::check_markdown_links(&raw, &paths));
    diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    timings.record("check links", clock);
    let pages = files.iter().filter(|f| f.path.ends_with(".html")).count();
    Ok(Generated {
        files,
        diagnostics,
        pages,
        incidents: atlas.incidents.len(),
        timings,
    })
}

/// What `build` reports at the end.
pub struct BuildSummary {
    pub pages: usize,
    pub incidents: usize,
    /// What the write stage did: files, bytes, how many were written, unchanged, removed.
    pub output: output::WriteReport,
    pub warnings: Vec<Diagnostic>,
    /// Repairs and oddities found in the boundary layers.
    pub geo_warnings: Vec<String>,
    pub seconds: f64,
    pub timings: Timings,
    /// Nothing had changed since the last build (`output::fingerprint`): nothing was rendered
    /// or written, and the figures and warnings are the ones that build stored.
    pub up_to_date: bool,
    /// Why the site was built rather than skipped (`--timings` prints it).
    pub reason: Option<String>,
}

/// The whole build: generate, then write. Content, template and render errors happen before
/// anything is written and leave the output as it was; see `output` for how it is written.
/// Unless `force`, nothing is rendered or written when the inputs and the output folder are
/// what the last build left (`output::fingerprint`).
pub fn build(
    config: &Config,
    force: bool,
    progress: &dyn Fn(&str),
) -> anyhow::Result<BuildSummary> {
    let started = Instant::now();
    let mut timings = Timings::default();
    progress("fingerprinting inputs");
    let (inputs, reason) = match output::fingerprint::check(config, force) {
        output::fingerprint::Verdict::UpToDate(last) => {
            timings.record("fingerprint", started);
            return Ok(BuildSummary {
                pages: last.pages,
                incidents: last.incidents,
                output: output::WriteReport {
                    files: last.files,
                    bytes: last.bytes,
                    unchanged: last.files,
                    ..Default::default()
                },
                warnings: last.warnings,
                geo_warnings: last.geo_warnings,
                seconds: started.elapsed().as_secs_f64(),
                timings,
                up_to_date: true,
                reason: None,
            });
        }
        output::fingerprint::Verdict::Build { inputs, reason } => (inputs, reason),
    };
    let clock = timings.record("fingerprint", started);
    progress("fetching boundary layers");
    let geo = load_geodata(config)?;
    timings.record("boundary layers", clock);
    let generated = generate(config, &geo, progress)?;
    if generated.has_errors() {
        return Err(diagnostic::ContentErrors(generated.diagnostics).into());
    }
    timings
        .stages
        .extend(generated.timings.stages.iter().copied());
    progress("writing");
    let clock = Instant::now();
    // No record may describe a folder this build has started to change.
    output::fingerprint::invalidate(&config.output_dir)?;
    let report = output::write_atomic(&generated.files, &config.output_dir)?;
    let mut clock = timings.record("write", clock);
    let Generated {
        files,
        diagnostics,
        pages,
        incidents,
        ..
    } = generated;
    let made = output::fingerprint::Replay {
        pages,
        incidents,
        files: report.files,
        bytes: report.bytes,
        warnings: diagnostics,
        geo_warnings: geo.warnings,
    };
    if let Some(inputs) = inputs {
        output::fingerprint::store(config, inputs, &made).context(
            "the site was written, but the fingerprint for the next build could not be stored",
        )?;
        clock = timings.record("store fingerprint", clock);
    }
    // Freeing the rendered site is part of the build's cost too.
    drop(files);
    timings.record("free memory", clock);
    Ok(BuildSummary {
        pages: made.pages,
        incidents: made.incidents,
        output: report,
        warnings: made.warnings,
        geo_warnings: made.geo_warnings,
        seconds: started.elapsed().as_secs_f64(),
        timings,
        up_to_date: false,
        reason: Some(reason),
    })
}
