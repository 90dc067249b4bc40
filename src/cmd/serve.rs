//! `sitrep serve`: local preview with live reload (see the serve module).

use std::path::Path;
use std::process::ExitCode;

use sitrep::cli::ServeArgs;

use super::Ui;

pub fn run(_root: &Path, _args: &ServeArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    ui.error("`sitrep serve` is not available in this version yet; run `make site` and open public/ with any static server");
    Ok(ExitCode::from(2))
}
