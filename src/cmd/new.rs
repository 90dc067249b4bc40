//! `sitrep new`: commented incident, brief and actor files that `check` accepts once filled.

use std::path::Path;
use std::process::ExitCode;

use sitrep::cli::NewArgs;

use super::Ui;

pub fn run(_root: &Path, _args: &NewArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    ui.error("`sitrep new` is not available in this version yet; copy an existing file (see CONTRIBUTING.md)");
    Ok(ExitCode::from(2))
}
