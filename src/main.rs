//! The `sitrep` binary: parses the command line, runs a command, prints the cause chain of
//! a failure and exits with the documented code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use sitrep::cli::{Cli, ColorChoice, Command};
use sitrep::diagnostic::{self, ContentErrors};

mod cmd;

/// mimalloc instead of the system allocator: rendering makes and frees millions of small
/// values (template contexts, rendered pages), and glibc's malloc spent about a third of
/// the build's CPU time on them. Built without transparent huge pages (`no_thp`): zeroing
/// fresh 2 MB pages cost a fifth of the build's time (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let colour = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let ui = cmd::Ui {
        quiet: cli.global.quiet,
        colour,
        progress: std::io::stderr().is_terminal() && !cli.global.quiet,
    };
    let result = match &cli.command {
        Command::Build(args) => cmd::build::run(&cli.global.root, args, &ui),
        Command::Check(args) => cmd::check::run(&cli.global.root, args, &ui),
        Command::Serve(args) => cmd::serve::run(&cli.global.root, args, &ui),
        Command::New(args) => cmd::new::run(&cli.global.root, args, &ui),
        Command::Synth(args) => cmd::synth::run(&cli.global.root, args, &ui),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if let Some(ContentErrors(diagnostics)) = error.downcast_ref::<ContentErrors>() {
                eprint!("{}", diagnostic::render_human(diagnostics, colour));
                ui.error(&error.to_string());
                return ExitCode::from(1);
            }
            if error
                .chain()
                .any(|cause| cause.is::<sitrep::output::Interrupted>())
            {
                ui.error(&sitrep::output::Interrupted.to_string());
                return ExitCode::from(130);
            }
            ui.error(&error.to_string());
            for cause in error.chain().skip(1) {
                eprintln!("  Reason: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
