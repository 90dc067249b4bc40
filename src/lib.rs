//! sitrep: a static site generator for incident atlases.
//!
//! The pipeline, one module per stage:
//! config → content (load) → geo (boundary layers) + regions → validate (check and link)
//! → index → render → output (each file handed to the write stage as it is rendered; what
//! changed is made visible once all rendered). `check` runs the same pipeline without the
//! write; `serve` runs it on every change, in memory.

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

use std::time::Instant;

use anyhow::Context as _;

use config::Config;
use diagnostic::Diagnostic;
use geo::Layer;
use regions::RegionTree;
use render::OutputFile;

/// The most content files one parallel task reads, parses or checks at once. Rayon stops
/// splitting a run of items once no thread was idle to take half of it, so without a bound
/// the last long run can end on one thread while the other waits.
pub(crate) const FILES_PER_TASK: usize = 64;

/// The boundary layers and the region tree built from them (slow to build; reusable).
pub struct GeoData {
    pub layers: Vec<Layer>,
    pub regions: RegionTree,
    /// Problems in the layer files that the build works around, as warnings on each file.
    pub warnings: Vec<Diagnostic>,
}

/// Fetches, verifies and loads every declared boundary layer.
pub fn load_geodata(config: &Config) -> anyhow::Result<GeoData> {
    let specs = &config.site.geodata.layers;
    let paths = geo::fetch_layers(specs, &config.geodata_dir, config.mirror.as_deref())?;
    let mut layers = Vec::new();
    let mut warnings = Vec::new();
    for (spec, path) in specs.iter().zip(paths) {
        let (layer, layer_warnings) = geo::load_layer(spec, &path)
            .with_context(|| format!("loading boundary layer `{}`", spec.name))?;
        let file = diagnostic::display_path(&config.root, &path);
        warnings.extend(layer_warnings.into_iter().map(|w| {
            if w.kind == geo::ACCEPT_INVALID_UNUSED {
                // About the declaration, not the file: shown at the name in sitrep.toml.
                return accepted_name_warning(config, spec, w);
            }
            Diagnostic::warning(&file, w.kind, w.message).with_hint(w.hint)
        }));
        layers.push(layer);
    }
    let regions = RegionTree::build(&layers)?;
    Ok(GeoData {
        layers,
        regions,
        warnings,
    })
}

/// A stale `accept_invalid` entry, at its name in the layer's declaration in sitrep.toml
/// (the whole file when it cannot be found there, e.g. written with escapes).
fn accepted_name_warning(
    config: &Config,
    spec: &geo::LayerSpec,
    w: geo::LayerWarning,
) -> Diagnostic {
    let d = Diagnostic::warning(config::CONFIG_FILE, w.kind, w.message).with_hint(w.hint);
    let Ok(text) = std::fs::read_to_string(config.root.join(config::CONFIG_FILE)) else {
        return d;
    };
    // The layer's `name = "…"` line, then its table up to the next header.
    let declaration = text
        .match_indices(&format!("\"{}\"", spec.name))
        .map(|(at, _)| at)
        .find(|&at| {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            text[line_start..at]
                .trim_end()
                .strip_suffix('=')
                .map(str::trim)
                == Some("name")
        });
    let position = declaration.and_then(|start| {
        let table = &text[start..];
        let table = &table[..table.find("\n[").unwrap_or(table.len())];
        let list = table.find("accept_invalid")?;
        let name = w.feature.as_deref()?;
        Some(start + list + table[list..].find(&format!("\"{name}\""))? + 1)
    });
    match position {
        Some(at) => d.at(&text, at),
        None => d,
    }
}

/// The result of running the pipeline.
pub struct Generated {
    /// Sorted by path (`generate`; empty from `generate_into`, which hands them to a sink).
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
    let (mut generated, files) =
        generate_into(config, geo, progress, || Ok(render::Collect::default()))?;
    generated.files = files.map(render::Collect::into_sorted).unwrap_or_default();
    Ok(generated)
}

/// `generate`, handing each rendered file to the sink `open` makes as soon as the file is
/// made, instead of keeping it (`Generated::files` stays empty). `open` is called, and the
/// sink returned, only when the content has no errors before rendering; otherwise the site
/// is rendered for its output paths alone (to check links against) and the files dropped.
pub fn generate_into<S: render::Sink>(
    config: &Config,
    geo: &GeoData,
    progress: &dyn Fn(&str),
    open: impl FnOnce() -> anyhow::Result<S>,
) -> anyhow::Result<(Generated, Option<S>)> {
    let mut timings = Timings::default();
    let clock = Instant::now();
    progress("loading content");
    let content = content::load(&config.root);
    timings.record("load content", clock);
    generate_loaded_into(config, geo, content, timings, progress, open)
}

/// The boundary layers and the content, loaded side by side: neither needs the other, and
/// the layers are parsed on one core while the content files are read on the others.
pub fn load_inputs(
    config: &Config,
    progress: &dyn Fn(&str),
) -> anyhow::Result<(GeoData, content::LoadedContent, Timings)> {
    render::require_leaflet(config)?;
    let mut timings = Timings::default();
    let clock = Instant::now();
    progress("fetching boundary layers and loading content");
    let (geo, content) = rayon::join(|| load_geodata(config), || content::load(&config.root));
    let geo = geo?;
    timings.record("layers and content", clock);
    Ok((geo, content, timings))
}

/// `generate_into` for content already loaded (`load_inputs`); `timings` so far are kept.
pub fn generate_loaded_into<S: render::Sink>(
    config: &Config,
    geo: &GeoData,
    (raw, mut diagnostics): content::LoadedContent,
    mut timings: Timings,
    progress: &dyn Fn(&str),
    open: impl FnOnce() -> anyhow::Result<S>,
) -> anyhow::Result<(Generated, Option<S>)> {
    let mut clock = Instant::now();
    progress("checking and linking");
    let mut regions = geo.regions.clone();
    let mut ctx = validate::Context {
        regions: &mut regions,
        layers: &geo.layers,
        today: config.today,
    };
    let (atlas, mut link_diagnostics) = validate::link(&raw, &mut ctx);
    diagnostics.append(&mut link_diagnostics);
    // What the link check after rendering needs of the content is small: keep just that and
    // free the rest (every file's text and parsed records) before rendering.
    let markdown_links = validate::MarkdownLinks::of(&raw);
    let record_pages = record_pages(&raw);
    // Freed beside the next steps rather than before them.
    rayon::spawn(move || drop(raw));
    clock = timings.record("check and link", clock);
    progress("indexing");
    let index = index::build(&atlas, &regions);
    clock = timings.record("index", clock);
    progress("rendering");
    let templates = render::load_templates(config)?;
    let site = render::Site::new(config, &atlas, &geo.layers, &regions, &index, &templates);
    let sink = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        Some(open()?)
    };
    let mut paths = match &sink {
        Some(sink) => render::render_into(&site, sink)?,
        None => render::render_into(&site, &render::Discard)?,
    };
    clock = timings.record("render", clock);
    let pages = paths.iter().filter(|p| p.ends_with(".html")).count();
    // Links into records that were left out for their own errors are not reported twice.
    paths.extend(record_pages);
    diagnostics.extend(markdown_links.check(&|p| paths.contains(p)));
    diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    timings.record("check links", clock);
    let generated = Generated {
        files: Vec::new(),
        diagnostics,
        pages,
        incidents: atlas.incidents.len(),
        timings,
    };
    // The site's shared values, the atlas and the index are freed on another thread while
    // the caller commits the output (at 100k incidents that takes a tenth of a second).
    let render::Site { shared, .. } = site;
    rayon::spawn(move || drop((shared, atlas, index, regions, paths)));
    Ok((generated, sink))
}

/// The page of every record file, parsed or not.
fn record_pages(raw: &content::RawContent) -> Vec<String> {
    let mut paths = Vec::new();
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
        paths.push(format!("{section}/{slug}/index.html"));
    }
    paths
}

/// What `build` reports at the end.
pub struct BuildSummary {
    pub pages: usize,
    pub incidents: usize,
    /// What the write stage did: files, bytes, how many were written, unchanged, removed.
    pub output: output::WriteReport,
    /// The warnings on the boundary layers, then those on the content.
    pub warnings: Vec<Diagnostic>,
    pub seconds: f64,
    pub timings: Timings,
    /// Nothing had changed since the last build (`output::fingerprint`): nothing was rendered
    /// or written, and the figures and warnings are the ones that build stored.
    pub up_to_date: bool,
    /// Why the site was built rather than skipped (`--timings` prints it).
    pub reason: Option<String>,
}

/// The whole build: generate, streaming each rendered file into the output (see `output`),
/// then commit it. Content, template and render errors stop the build before the commit and
/// leave the output as it was. Unless `force`, nothing is rendered or written when the inputs
/// and the output folder are what the last build left (`output::fingerprint`).
pub fn build(
    config: &Config,
    force: bool,
    progress: &dyn Fn(&str),
) -> anyhow::Result<BuildSummary> {
    let started = Instant::now();
    output::check_placement(config)?;
    let mut timings = Timings::default();
    progress("fingerprinting inputs");
    // With no record to compare with (a first build, or --force) the build is certain: the
    // inputs are fingerprinted while the boundary layers and the content load.
    let certain = !output::fingerprint::compares(config, force);
    let (verdict, loaded) = if certain {
        progress("fetching boundary layers and loading content");
        let (verdict, loaded) = rayon::join(
            || output::fingerprint::check(config, force),
            || load_inputs(config, &|_| {}),
        );
        (verdict, Some(loaded))
    } else {
        (output::fingerprint::check(config, force), None)
    };
    let (mut inputs, reason) = match verdict {
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
                seconds: started.elapsed().as_secs_f64(),
                timings,
                up_to_date: true,
                reason: None,
            });
        }
        output::fingerprint::Verdict::Build { inputs, reason } => (inputs, reason),
    };
    let (geo, content, loading) = match loaded {
        Some(loaded) => {
            let (geo, content, _) = loaded?;
            let mut together = Timings::default();
            together.record("fingerprint, layers and content", started);
            (geo, content, together)
        }
        None => {
            timings.record("fingerprint", started);
            load_inputs(config, progress)?
        }
    };
    output::check_interrupted()?;
    // The record keeps the digest of the content bytes just read.
    if let (Some(inputs), Some(digest)) = (inputs.as_mut(), content.0.digest.clone()) {
        inputs.add_content(digest);
    }
    let (generated, target) =
        generate_loaded_into(config, &geo, content, loading, progress, || {
            output::Target::open(&config.output_dir)
        })?;
    if generated.has_errors() {
        return Err(diagnostic::ContentErrors(generated.diagnostics).into());
    }
    let target = target.context("the output was not opened")?;
    timings
        .stages
        .extend(generated.timings.stages.iter().copied());
    progress("writing");
    let clock = Instant::now();
    // No record may describe a folder this build has started to change.
    output::fingerprint::invalidate(&config.output_dir)?;
    let (report, written) = target.commit_listed()?;
    let clock = timings.record("write", clock);
    let made = output::fingerprint::Replay {
        pages: generated.pages,
        incidents: generated.incidents,
        files: report.files,
        bytes: report.bytes,
        warnings: geo
            .warnings
            .into_iter()
            .chain(generated.diagnostics)
            .collect(),
    };
    if let Some(inputs) = inputs {
        output::fingerprint::store(config, inputs, &made, written).context(
            "the site was written, but the fingerprint for the next build could not be stored",
        )?;
        timings.record("store fingerprint", clock);
    }
    Ok(BuildSummary {
        pages: made.pages,
        incidents: made.incidents,
        output: report,
        warnings: made.warnings,
        seconds: started.elapsed().as_secs_f64(),
        timings,
        up_to_date: false,
        reason: Some(reason),
    })
}
