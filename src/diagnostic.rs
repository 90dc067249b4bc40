//! Diagnostics: one type for every problem found in a site's files, with file, position,
//! severity, the offending text and a hint, plus the text, JSON and GitHub renderers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a diagnostic is: errors fail `build` and `check`, warnings only with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file. `line` and `column` are 1-based; 0 means "the whole file".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// A stable, kebab-case name for the kind of problem, e.g. `unknown-district`.
    pub kind: &'static str,
    pub message: String,
    /// The offending text, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: &str, kind: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            line: 0,
            column: 0,
            kind,
            message: message.into(),
            snippet: None,
            hint: None,
        }
    }

    pub fn warning(file: &str, kind: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, kind, message)
        }
    }

    /// Sets line and column from a byte offset into `source`.
    pub fn at(mut self, source: &str, offset: usize) -> Self {
        let (line, column) = line_column(source, offset);
        self.line = line;
        self.column = column;
        self
    }

    /// Sets the position from a byte span into `source` and the snippet to the spanned text.
    pub fn at_span(self, source: &str, span: std::ops::Range<usize>) -> Self {
        let snippet = source
            .get(span.clone())
            .map(|s| s.lines().next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty());
        let mut d = self.at(source, span.start);
        if d.snippet.is_none() {
            d.snippet = snippet;
        }
        d
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_snippet(mut self, snippet: impl Into<String>) -> Self {
        self.snippet = Some(snippet.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end clamp.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    // A byte-order mark is no column an editor shows.
    let line_start = before
        .rfind('\n')
        .map_or(before.strip_prefix('\u{feff}').map_or(0, |_| 3), |i| i + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A path relative to `root`, with `/` separators, for messages and diagnostics.
pub fn display_path(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    rel.to_string_lossy().replace('\\', "/")
}

/// Sorts diagnostics by file, position, then message, so output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.severity, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.severity, &b.message))
    });
}

/// Output formats of `sitrep check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// file:line:col: error[kind]: message, with the snippet and a hint
    Human,
    /// one JSON document: {"diagnostics": [...], "errors": n, "warnings": n}
    Json,
    /// GitHub Actions workflow commands (::error file=…,line=…,col=…::message)
    Github,
}

/// Renders diagnostics in the human format; `colour` adds ANSI colours.
pub fn render_human(diagnostics: &[Diagnostic], colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for d in diagnostics {
        let (label, code) = match d.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        let position = match (d.line, d.column) {
            (0, _) => d.file.clone(),
            (l, c) => format!("{}:{l}:{c}", d.file),
        };
        let _ = writeln!(
            out,
            "{}: {}: {}",
            paint("1", &position),
            paint(code, &format!("{label}[{}]", d.kind)),
            d.message
        );
        if let Some(snippet) = &d.snippet {
            let _ = writeln!(out, "    | {snippet}");
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "    = {}: {hint}", paint("36", "hint"));
        }
    }
    out
}

/// Renders diagnostics as GitHub Actions annotations.
pub fn render_github(diagnostics: &[Diagnostic]) -> String {
    let escape_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_property = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(hint) = &d.hint {
            message.push_str(&format!(" (hint: {hint})"));
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            escape_property(&d.file),
            d.line.max(1),
            d.column.max(1),
            escape_property(d.kind),
            escape_data(&message)
        );
    }
    out
}

/// Renders diagnostics as one JSON document.
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let value = serde_json::json!({
        "diagnostics": diagnostics,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// The build could not go on because of these diagnostics.
#[derive(Debug)]
pub struct ContentErrors(pub Vec<Diagnostic>);

impl std::fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors = self.0.iter().filter(|d| d.is_error()).count();
        write!(
            f,
            "{errors} error{} in the site's files; nothing was written",
            if errors == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for ContentErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let text = "\u{feff}titl = 1\nx = 2\n";
        assert_eq!(line_column(text, 3), (1, 1));
        assert_eq!(line_column(text, 8), (1, 6));
        assert_eq!(line_column(text, 0), (1, 1));
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let offset = text
            .find('=')
            .map(|_| text.rfind('=').unwrap_or(0))
            .unwrap_or(0);
        assert_eq!(line_column(text, offset), (2, 4));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn github_format_escapes_properties() {
        let d = Diagnostic::error("content/a,b.toml", "bad", "line1\nline2");
        let out = render_github(&[d]);
        assert_eq!(
            out,
            "::error file=content/a%2Cb.toml,line=1,col=1,title=bad::line1%0Aline2\n"
        );
    }
}
