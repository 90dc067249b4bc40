//! `sitrep synth`: writes a synthetic site for benchmarks (see `sitrep::synth`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sitrep::cli::SynthArgs;
use sitrep::config::{Config, Overrides};
use sitrep::synth;

use super::{human_bytes, Ui};

pub fn run(root: &Path, args: &SynthArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let config = Config::load(root, &Overrides::default())?;
    // Even with --force, never over the site the layers and theme come from.
    if let (Ok(out), Ok(source)) = (
        std::fs::canonicalize(&args.out),
        std::fs::canonicalize(root),
    ) {
        if out == source {
            anyhow::bail!(
                "refusing to write a synthetic site into {}: it is the site given by --root, whose theme and boundary layers synth reads; choose another --out",
                args.out.display()
            );
        }
    }
    ui.progress("fetching boundary layers");
    let geo = sitrep::load_geodata(&config)?;
    let sources = synth::Sources::from_config(&config)?;
    ui.progress("generating");
    let opts = synth::Options {
        incidents: args.incidents,
        seed: args.seed,
    };
    let files = synth::generate(&opts, &sources, &geo)?;
    ui.progress("writing");
    let report = synth::write(&files, &args.out, args.force)?;
    ui.success(&format!(
        "wrote a synthetic site: {} incidents, {} files ({}) in {:.2} s → {}",
        report.incidents,
        report.files,
        human_bytes(report.bytes),
        started.elapsed().as_secs_f64(),
        args.out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
