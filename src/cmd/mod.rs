//! The commands of the binary, one file each, and the terminal manners they share.

pub mod build;
pub mod check;
pub mod new;
pub mod serve;
pub mod synth;

use std::io::Write;

/// How to talk to the terminal: quiet, colour, and whether a progress line is wanted.
pub struct Ui {
    pub quiet: bool,
    pub colour: bool,
    pub progress: bool,
}

impl Ui {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Overwrites one status line on stderr (only on a terminal).
    pub fn progress(&self, step: &str) {
        if self.progress {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[2K{} {step}…", self.paint("2", "sitrep"));
            let _ = err.flush();
        }
    }

    pub fn clear_progress(&self) {
        if self.progress {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }

    /// A summary line on stderr, unless quiet.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            self.clear_progress();
            eprintln!("{text}");
        }
    }

    pub fn success(&self, text: &str) {
        self.info(&format!("{} {text}", self.paint("1;32", "✓")));
    }

    pub fn warn(&self, text: &str) {
        if !self.quiet {
            self.clear_progress();
            eprintln!("{} {text}", self.paint("1;33", "warning:"));
        }
    }

    pub fn error(&self, text: &str) {
        self.clear_progress();
        eprintln!("{} {text}", self.paint("1;31", "error:"));
    }
}

/// "1.2 MB"
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} KB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}
