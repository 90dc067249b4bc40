//! `sitrep build`: the whole site into the output folder, with a progress line and a summary.

use std::path::Path;
use std::process::ExitCode;

use sitrep::cli::BuildArgs;
use sitrep::config::{Config, Overrides};
use sitrep::diagnostic;

use super::{human_bytes, Ui};

pub fn run(root: &Path, args: &BuildArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        base_url: args.base_url.clone(),
        output_dir: args.output.clone(),
    };
    let config = Config::load(root, &overrides)?;
    let summary = sitrep::build(&config, &|step| ui.progress(step))?;
    ui.clear_progress();
    for warning in &summary.geo_warnings {
        ui.warn(warning);
    }
    if !summary.warnings.is_empty() && !ui.quiet {
        eprint!("{}", diagnostic::render_human(&summary.warnings, ui.colour));
    }
    ui.success(&format!(
        "built {} pages ({} incidents, {} files, {}) in {:.2} s → {}",
        summary.pages,
        summary.incidents,
        summary.files,
        human_bytes(summary.bytes),
        summary.seconds,
        config.output_dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
