//! `sitrep check`: runs the whole pipeline in memory and reports every problem; writes nothing.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sitrep::cli::CheckArgs;
use sitrep::config::{Config, Overrides};
use sitrep::diagnostic::{self, ContentErrors, Format};

use super::Ui;

pub fn run(root: &Path, args: &CheckArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let diagnostics = match collect(root, ui) {
        Ok(d) => d,
        Err(e) => match e.downcast::<ContentErrors>() {
            Ok(ContentErrors(d)) => d,
            Err(e) => {
                // A template error is reported like any other problem (CI reads the JSON or
                // the annotations), with exit code 2 as a template failure.
                let config = Config::load(root, &Overrides::default()).ok();
                let Some(d) = config.and_then(|c| sitrep::render::template_diagnostic(&e, &c))
                else {
                    return Err(e);
                };
                ui.clear_progress();
                report(args.format, &[d], ui, true);
                ui.error("check failed: a template does not render");
                return Ok(ExitCode::from(2));
            }
        },
    };
    ui.clear_progress();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    report(args.format, &diagnostics, ui, failed);
    let summary = format!(
        "{errors} error{}, {warnings} warning{} in {:.2} s",
        plural(errors),
        plural(warnings),
        started.elapsed().as_secs_f64()
    );
    if failed {
        ui.error(&format!("check failed: {summary}"));
        Ok(ExitCode::from(1))
    } else {
        ui.success(&format!("check passed: {summary}"));
        Ok(ExitCode::SUCCESS)
    }
}

/// Prints the diagnostics in the chosen format (human: on stderr, not at all with --quiet
/// unless the check fails).
fn report(format: Format, diagnostics: &[diagnostic::Diagnostic], ui: &Ui, failed: bool) {
    match format {
        Format::Human => {
            if !ui.quiet || failed {
                eprint!("{}", diagnostic::render_human(diagnostics, ui.colour));
            }
        }
        Format::Json => println!("{}", diagnostic::render_json(diagnostics)),
        Format::Github => print!("{}", diagnostic::render_github(diagnostics)),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn collect(root: &Path, ui: &Ui) -> anyhow::Result<Vec<diagnostic::Diagnostic>> {
    let config = Config::load(root, &Overrides::default())?;
    let progress = |step: &str| ui.progress(step);
    let (geo, content, timings) = sitrep::load_inputs(&config, &progress)?;
    // Only the output paths matter here: the rendered files are not kept.
    let (generated, _) =
        sitrep::generate_loaded_into(&config, &geo, content, timings, &progress, || {
            Ok(sitrep::render::Discard)
        })?;
    // The boundary layers' warnings first, as `build` prints them.
    Ok(geo
        .warnings
        .into_iter()
        .chain(generated.diagnostics)
        .collect())
}
