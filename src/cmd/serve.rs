//! `sitrep serve`: local preview with live reload (see the serve module).

use std::path::Path;
use std::process::ExitCode;

use sitrep::cli::ServeArgs;
use sitrep::serve::{self, Options};

use super::Ui;

pub fn run(root: &Path, args: &ServeArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    if !args.bind.is_loopback() {
        ui.warn(&format!(
            "--bind {} exposes this preview to your network; leave it out to keep it on 127.0.0.1",
            args.bind
        ));
    }
    serve::run(Options {
        root: root.to_path_buf(),
        bind: args.bind,
        port: args.port,
        base_url: args.base_url.clone(),
        quiet: ui.quiet,
        colour: ui.colour,
    })?;
    Ok(ExitCode::SUCCESS)
}
