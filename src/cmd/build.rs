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
    sitrep::output::stop_cleanly_on_interrupt()?;
    let summary = sitrep::build(&config, args.force, &|step| ui.progress(step))?;
    ui.clear_progress();
    if !summary.warnings.is_empty() && !ui.quiet {
        eprint!("{}", diagnostic::render_human(&summary.warnings, ui.colour));
    }
    if args.timings && !ui.quiet {
        eprint!("stage timings:\n{}", summary.timings.table());
        if let Some(reason) = &summary.reason {
            eprintln!("built because: {reason}");
        }
    }
    let out = &summary.output;
    let figures = format!(
        "{} pages ({} incidents; {} files, {}",
        summary.pages,
        summary.incidents,
        out.files,
        human_bytes(out.bytes)
    );
    let took = format!("{:.2} s → {}", summary.seconds, config.output_dir.display());
    if summary.up_to_date {
        ui.success(&format!(
            "up to date: {figures}) unchanged since the last build, nothing rendered or written (--force rebuilds) in {took}"
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let written = if out.cold {
        format!("{} files written", out.files)
    } else {
        format!(
            "{} written, {} unchanged, {} removed",
            out.written, out.unchanged, out.removed
        )
    };
    ui.success(&format!("built {figures}; {written}) in {took}"));
    Ok(ExitCode::SUCCESS)
}
