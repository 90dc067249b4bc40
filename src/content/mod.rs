//! Load stage: finds every content file (stable order), checks it is UTF-8 and not too large,
//! and parses incidents, actors, briefs, region notes and aliases into raw, span-carrying records.

mod control;
pub use control::escape_at;
mod discover;
mod mistakes;
pub mod model;

use std::path::Path;

use rayon::prelude::*;
use toml::Spanned;

use crate::diagnostic::Diagnostic;
pub use discover::{
    discover, hidden_record, looks_like_a_record, read_one, ContentFile, Discovered, FileKind,
    MAX_FILE_BYTES,
};
pub use model::*;

/// A content file's text and its path relative to the site root.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub path: String,
    pub text: String,
}

/// A parsed record with the file it came from. `offset` is where its TOML starts in the file
/// (non-zero for front matter), so spans can be turned into file positions.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub source: std::sync::Arc<SourceText>,
    pub offset: usize,
    /// File name without extension: the incident id, actor or brief slug.
    pub slug: String,
    pub value: T,
}

impl<T> Loaded<T> {
    /// A diagnostic pointing at `span` (relative to the record's TOML) in this file.
    pub fn error_at(
        &self,
        span: std::ops::Range<usize>,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let span = (span.start + self.offset)..(span.end + self.offset);
        Diagnostic::error(&self.source.path, kind, message).at_span(&self.source.text, span)
    }

    /// Like `error_at`, as a warning.
    pub fn warning_at(
        &self,
        span: std::ops::Range<usize>,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = self.error_at(span, kind, message);
        d.severity = crate::diagnostic::Severity::Warning;
        d
    }

    /// A diagnostic at a spanned field.
    pub fn error_on<V>(
        &self,
        field: &Spanned<V>,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.error_at(field.span(), kind, message)
    }

    pub fn warning_on<V>(
        &self,
        field: &Spanned<V>,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.warning_at(field.span(), kind, message)
    }
}

/// Every record of a site, as parsed, before references are resolved.
#[derive(Debug, Default)]
pub struct RawContent {
    pub incidents: Vec<Loaded<RawIncident>>,
    pub actors: Vec<Loaded<RawActor>>,
    pub briefs: Vec<Loaded<RawBrief>>,
    pub region_notes: Vec<Loaded<RawRegionNote>>,
    pub aliases: Option<Loaded<RawAliases>>,
    /// Slugs of files that exist but did not parse, so references to them are not reported
    /// as unknown on top of their own error.
    pub unparsed: Vec<(FileKind, String)>,
    /// The fingerprint of the files read (`output::fingerprint`), None when some entry under
    /// `content/` could not be read.
    pub digest: Option<String>,
}

/// One parsed content file.
#[derive(Debug)]
pub enum Parsed {
    Incident(Box<Loaded<RawIncident>>),
    Actor(Loaded<RawActor>),
    Brief(Loaded<RawBrief>),
    RegionNote(Loaded<RawRegionNote>),
    Aliases(Loaded<RawAliases>),
}

/// Parses the text of one content file of `kind` (in memory; `path` is only for diagnostics).
/// A file that does not parse gives at least one diagnostic: every mistake in its fields when
/// its TOML is well formed, else the one the parser stopped at.
pub fn parse_file(
    kind: FileKind,
    path: &str,
    slug: &str,
    text: String,
) -> Result<Parsed, Vec<Diagnostic>> {
    let syntax = match kind {
        FileKind::Incident | FileKind::Actor | FileKind::Aliases => control::Syntax::Toml,
        FileKind::Brief | FileKind::RegionNote => control::Syntax::FrontMatterThenMarkdown {
            body_start: split_front_matter(&text).map_or(0, |(_, _, body)| body),
        },
    };
    if let Some(problem) = control::check(path, &text, syntax) {
        return Err(vec![problem]);
    }
    let source = std::sync::Arc::new(SourceText {
        path: path.to_string(),
        text,
    });
    Ok(match kind {
        FileKind::Incident => Parsed::Incident(Box::new(parse_toml(&source, 0, slug)?)),
        FileKind::Actor => Parsed::Actor(parse_toml(&source, 0, slug)?),
        FileKind::Aliases => Parsed::Aliases(parse_toml(&source, 0, slug)?),
        FileKind::Brief => Parsed::Brief(parse_markdown(&source, slug, true)?),
        FileKind::RegionNote => Parsed::RegionNote(parse_markdown(&source, slug, false)?),
    })
}

impl RawContent {
    /// Adds a parsed file to the content.
    pub fn add(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Incident(l) => self.incidents.push(*l),
            Parsed::Actor(l) => self.actors.push(l),
            Parsed::Brief(l) => self.briefs.push(l),
            Parsed::RegionNote(l) => self.region_notes.push(l),
            Parsed::Aliases(l) => self.aliases = Some(l),
        }
    }
}

impl RawContent {
    /// Parses one file into the content in path order (for `serve`, which re-reads only the
    /// files that changed). A file that does not parse is recorded as unparsed and its
    /// diagnostics returned.
    pub fn insert_file(&mut self, file: ContentFile) -> Result<(), Vec<Diagnostic>> {
        let (kind, slug) = (file.kind, file.slug.clone());
        match parse_file(kind, &file.display_path, &file.slug, file.text) {
            Ok(Parsed::Incident(l)) => insert_sorted(&mut self.incidents, *l),
            Ok(Parsed::Actor(l)) => insert_sorted(&mut self.actors, l),
            Ok(Parsed::Brief(l)) => insert_sorted(&mut self.briefs, l),
            Ok(Parsed::RegionNote(l)) => insert_sorted(&mut self.region_notes, l),
            Ok(Parsed::Aliases(l)) => self.aliases = Some(l),
            Err(d) => {
                self.unparsed.push((kind, slug));
                return Err(d);
            }
        }
        Ok(())
    }

    /// Forgets the file at `display_path` (e.g. `content/actors/ttp.toml`), parsed or not.
    pub fn remove(&mut self, display_path: &str) {
        let keep = |source: &SourceText| source.path != display_path;
        self.incidents.retain(|l| keep(&l.source));
        self.actors.retain(|l| keep(&l.source));
        self.briefs.retain(|l| keep(&l.source));
        self.region_notes.retain(|l| keep(&l.source));
        if self.aliases.as_ref().is_some_and(|l| !keep(&l.source)) {
            self.aliases = None;
        }
        let parts: Vec<String> = display_path
            .split('/')
            .skip(1)
            .map(str::to_string)
            .collect();
        if let Ok(key) = discover::classify(&parts) {
            self.unparsed.retain(|u| *u != key);
        }
    }
}

/// Inserts keeping the order `discover` walks in (by path components), so results do not
/// depend on the order files were added in.
fn insert_sorted<T>(list: &mut Vec<Loaded<T>>, loaded: Loaded<T>) {
    let key = Path::new(&loaded.source.path);
    let at = list.partition_point(|l| Path::new(&l.source.path) <= key);
    list.insert(at, loaded);
}

/// What `load` returns: the content that parsed and the problems found reading it.
pub type LoadedContent = (RawContent, Vec<Diagnostic>);

/// Reads and parses every content file under `<root>/content`. Problems become diagnostics;
/// files that fail to parse are left out of the result.
pub fn load(root: &Path) -> LoadedContent {
    let Discovered {
        files,
        mut diagnostics,
        digest,
    } = discover(root);
    let mut content = RawContent {
        digest,
        ..RawContent::default()
    };
    // Parsed in parallel, added in the order `discover` found them.
    let parsed: Vec<(FileKind, String, Result<Parsed, Vec<Diagnostic>>)> = files
        .into_par_iter()
        .with_max_len(crate::FILES_PER_TASK)
        .map(|file| {
            let result = parse_file(file.kind, &file.display_path, &file.slug, file.text);
            (file.kind, file.slug, result)
        })
        .collect();
    let incidents = parsed
        .iter()
        .filter(|(_, _, r)| matches!(r, Ok(Parsed::Incident(_))))
        .count();
    content.incidents.reserve_exact(incidents);
    for (kind, slug, result) in parsed {
        match result {
            Ok(parsed) => content.add(parsed),
            Err(found) => {
                diagnostics.extend(found);
                content.unparsed.push((kind, slug));
            }
        }
    }
    (content, diagnostics)
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    source: &std::sync::Arc<SourceText>,
    offset: usize,
    slug: &str,
) -> Result<Loaded<T>, Vec<Diagnostic>> {
    let toml_text = &source.text[offset..];
    toml::from_str::<T>(toml_text)
        .map(|value| Loaded {
            source: source.clone(),
            offset,
            slug: slug.to_string(),
            value,
        })
        // Only a file that failed is read again, to find its other mistakes.
        .map_err(|e| mistakes::record_diagnostics::<T>(&source.path, &source.text, (offset, 0), &e))
}

/// Markdown with `+++` TOML front matter: the front matter becomes `T`'s fields, the body
/// goes to `body`. Region notes may omit the front matter.
fn parse_markdown<T: MarkdownRecord>(
    source: &std::sync::Arc<SourceText>,
    slug: &str,
    front_matter_required: bool,
) -> Result<Loaded<T>, Vec<Diagnostic>> {
    let text = &source.text;
    let Some((fm_start, fm_end, body_start)) = split_front_matter(text) else {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let opened = body.starts_with("+++");
        let opened_late = !opened && body.trim_start().starts_with("+++");
        if front_matter_required || opened || opened_late {
            let (message, hint, at) = if opened {
                (
                    "the `+++` front matter is not closed",
                    "end the TOML fields with a line holding just `+++`, then write the Markdown body",
                    text.len(),
                )
            } else if opened_late {
                (
                    "the `+++` front matter must start on the first line",
                    "remove the blank lines or spaces before the opening `+++`",
                    0,
                )
            } else {
                (
                    "this file has no `+++` front matter",
                    "start the file with a line `+++`, TOML fields (title, date, …), then another line `+++`, then the Markdown body",
                    0,
                )
            };
            return Err(vec![Diagnostic::error(
                &source.path,
                "missing-front-matter",
                message,
            )
            .at(text, at)
            .with_hint(hint)]);
        }
        return Ok(Loaded {
            source: source.clone(),
            offset: 0,
            slug: slug.to_string(),
            value: T::from_body(text.to_string()),
        });
    };
    let fm = &text[fm_start..fm_end];
    let mut value: T = toml::from_str(fm).map_err(|e| {
        mistakes::record_diagnostics::<T>(&source.path, text, (fm_start, text.len() - fm_end), &e)
    })?;
    value.set_body(text[body_start..].to_string());
    Ok(Loaded {
        source: source.clone(),
        offset: fm_start,
        slug: slug.to_string(),
        value,
    })
}

/// Finds `+++\n…\n+++` at the start of `text`: (front matter start, end, body start).
pub fn split_front_matter(text: &str) -> Option<(usize, usize, usize)> {
    let text_start = text.strip_prefix('\u{feff}').map_or(0, |_| 3);
    let rest = &text[text_start..];
    let first = rest.strip_prefix("+++")?;
    let newline = first.find('\n')?;
    if !first[..newline].trim().is_empty() {
        return None;
    }
    let fm_start = text_start + 3 + newline + 1;
    let mut pos = fm_start;
    for line in text[fm_start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some((fm_start, pos, pos + line.len()));
        }
        pos += line.len();
    }
    None
}

/// Converts a TOML parse error into a diagnostic with a friendlier message and hint.
pub fn toml_diagnostic(path: &str, text: &str, error: &toml::de::Error) -> Diagnostic {
    toml_diagnostic_at(path, text, 0, error)
}

/// Like `toml_diagnostic` for TOML that starts at byte `offset` of the file `text`
/// (front matter), so positions are positions in the file.
pub fn toml_diagnostic_at(
    path: &str,
    text: &str,
    offset: usize,
    error: &toml::de::Error,
) -> Diagnostic {
    let mut message = error
        .message()
        .trim()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(": ");
    let (kind, mut hint) = classify_toml_error(&message);
    let span = error
        .span()
        .map(|span| (span.start + offset)..(span.end + offset));
    if kind == "wrong-type" {
        if let Some((plain, how)) = span
            .as_ref()
            .and_then(|span| explain_wrong_type(&message, text, span))
        {
            message = plain;
            hint = Some(how);
        }
    }
    let mut d = Diagnostic::error(path, kind, message);
    if let Some(mut span) = span {
        if kind == "invalid-date" {
            // Point at the start of the date literal, not at the digit the parser stopped on.
            span.start = date_literal_start(text, span.start);
        }
        if span.is_empty() {
            // The parser stopped here: the line shows what it could not read.
            if let Some(line) = line_at(text, span.start).filter(|l| !l.is_empty()) {
                d = d.with_snippet(line);
            }
        }
        d = d.at_span(text, span);
    } else {
        d = d.at(text, offset);
    }
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

/// The part of the line of `text` holding byte `offset` that comes before it.
fn line_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    Some(&before[before.rfind('\n').map_or(0, |i| i + 1)..])
}

/// The line of `text` holding byte `offset`, trimmed.
fn line_at(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    let start = offset - line_before(text, offset)?.len();
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    Some(text[start..end].trim())
}

/// What a value belongs to, from its line up to it.
#[derive(Clone, Copy)]
enum Owner<'a> {
    /// `key = value`.
    Key(&'a str),
    /// `key = [ …, value`: an item of a list written on one line.
    ListOf(&'a str),
    /// Anything else: a table header, a line of a list written over several lines.
    Unknown,
}

impl<'a> Owner<'a> {
    fn of(before: &'a str) -> Owner<'a> {
        // `… key = ` right before the value, also inside an inline table (`{ a = 1, key = `)
        // or with a dotted key (`location.lat = `: the field is `lat`).
        if let Some(head) = before.trim_end().strip_suffix('=') {
            let key = head.rsplit(['{', ',', '[']).next().unwrap_or(head).trim();
            let last = key.rsplit('.').next().unwrap_or(key).trim();
            return if is_plain_key(last) {
                Owner::Key(last)
            } else {
                Owner::Unknown
            };
        }
        let Some((key, rest)) = before.split_once('=') else {
            return Owner::Unknown;
        };
        let key = key.trim();
        let rest = rest.trim();
        if !is_plain_key(key) {
            Owner::Unknown
        } else if rest.is_empty() {
            Owner::Key(key)
        } else if rest.starts_with('[') {
            Owner::ListOf(key)
        } else {
            Owner::Unknown
        }
    }
}

/// A bare TOML key: letters, digits, `_` and `-`.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The Rust number types serde names in "expected …".
const NUMBER_TYPES: [&str; 11] = [
    "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize",
];

/// A plain message and hint for serde's "invalid type" errors, from the message and what
/// `span` of the file `text` holds: a value (named by its key or its list), a table header or
/// a name in one. `None` when the error is not one of these; the generic hint stands.
fn explain_wrong_type(
    message: &str,
    text: &str,
    span: &std::ops::Range<usize>,
) -> Option<(String, String)> {
    let covered = text.get(span.clone()).unwrap_or("");
    let covered = covered.lines().next().unwrap_or("").trim();
    let line = line_at(text, span.start).unwrap_or("");
    let owner = line_before(text, span.start).map_or(Owner::Unknown, Owner::of);
    let key = match owner {
        Owner::Key(key) => Some(key),
        _ => None,
    };
    // A table header: `[[name]]` or `[name]`, or a dotted one (`[a.b]`) pointing at a name.
    let header = key.is_none().then(|| {
        table_header(line).or_else(|| {
            let inner = line.trim_start_matches('[').split(']').next()?;
            let end = inner.find(covered)? + covered.len();
            let dotted = line.starts_with('[') && is_plain_key(covered);
            dotted.then(|| (inner[..end].trim().to_string(), line.starts_with("[[")))
        })
    });
    let key = key.or_else(|| header.as_ref()?.as_ref().map(|(name, _)| name.as_str()));
    let field = match (key, owner) {
        (Some(k), _) => format!("`{k}`"),
        (None, Owner::ListOf(list)) => format!("each item of `{list}`"),
        (None, _) => "this value".to_string(),
    };
    let key_or = |example: &str| key.unwrap_or(example).to_string();
    if message.contains("untagged enum RawFigure") {
        let k = key_or("killed");
        let number = unquote(covered);
        if number != covered && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            return Some((
                format!("{field} must be a number, not text in quotes"),
                format!("remove the quotes: {k} = {number}"),
            ));
        }
        if covered.trim_start().starts_with('{') || covered.trim_start().starts_with('[') {
            return Some((
                format!("{field} must be a whole number, or a range with just `min` and `max`"),
                format!("write {k} = {{ min = 10, max = 12 }}, with no other key; explain a figure in casualties_note"),
            ));
        }
        return Some((
            format!("{field} must be a whole number, or a range where sources differ"),
            format!("write {k} = 12, or {k} = {{ min = 10, max = 12 }}; leave it out when no figure is reported"),
        ));
    }
    if let Some(Some((name, double))) = &header {
        return explain_header(name, *double);
    }
    let rest = message.strip_prefix("invalid type: ")?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let found_text = found.starts_with("string");
    let number = NUMBER_TYPES.contains(&expected);
    if found_text && number {
        let text = unquote(covered);
        // Only where the text is a number already; "30°10′47″N" is not one.
        let how = if text.trim().parse::<f64>().is_ok() {
            format!("remove the quotes: {} = {}", key_or("lat"), text.trim())
        } else if key == Some("lat") || key == Some("lon") {
            format!(
                "write decimal degrees without quotes, e.g. {} = 30.1798 (convert degrees, minutes and seconds as d + m/60 + s/3600; south and west are negative)",
                key_or("lat")
            )
        } else {
            format!(
                "write a plain number without quotes, e.g. {} = 12",
                key_or("killed")
            )
        };
        return Some((format!("{field} must be a number, not text in quotes"), how));
    }
    if found_text && expected.contains("datetime") {
        return Some((
            format!("{field} must be a date, not text in quotes"),
            format!(
                "remove the quotes, and write the date as YYYY-MM-DD: {} = {}",
                key_or("date"),
                unquote(covered)
            ),
        ));
    }
    if found_text && expected == "a sequence" {
        return Some((
            format!("{field} must be a list, even of one item"),
            format!(
                "put the value in square brackets: {} = [{covered}]",
                key_or("tags")
            ),
        ));
    }
    if found.starts_with("integer") && expected.contains("datetime") {
        return Some((
            format!("{field} must be a whole date, like 2024-05-03"),
            format!(
                "when only the year is known, write {} = {covered}-01-01 and date_precision = \"year\"",
                key_or("date")
            ),
        ));
    }
    if found == "sequence" && expected == "a string" {
        return Some((
            format!("{field} takes one text in quotes, not a list"),
            format!(
                "write one value, e.g. {} = \"…\"; say more in the summary",
                key_or("district")
            ),
        ));
    }
    if expected == "a string"
        && ["integer", "floating point", "boolean"]
            .iter()
            .any(|f| found.starts_with(f))
    {
        return Some((
            format!("{field} must be text in quotes"),
            format!("put it in double quotes: \"{covered}\""),
        ));
    }
    // Any other pair, in plain words rather than serde's type names.
    let (wanted, how) = plain_expected(expected, key.unwrap_or("field"))?;
    Some((
        format!("{field} must be {wanted}, not {}", plain_found(found)),
        how,
    ))
}

/// What serde's "invalid type" message found, in plain words.
fn plain_found(found: &str) -> &'static str {
    match found.split([' ', '`']).next().unwrap_or("") {
        "sequence" => "a list",
        "map" => "a table",
        "string" => "text",
        "integer" | "floating" => "a number",
        "boolean" => "true or false",
        _ => "a value of another kind",
    }
}

/// What serde expected, in plain words, with how to write it; `None` for a type without a
/// plain name (the generic hint then stands).
fn plain_expected(expected: &str, key: &str) -> Option<(&'static str, String)> {
    Some(if NUMBER_TYPES.contains(&expected) {
        let example = match key {
            "lat" | "lon" => "30.1798 (decimal degrees)",
            _ => "12",
        };
        (
            "a number",
            format!("write a plain number, e.g. {key} = {example}"),
        )
    } else if expected == "a string" {
        ("text in quotes", format!("write {key} = \"…\""))
    } else if expected == "a sequence" {
        ("a list", format!("write {key} = [\"…\", \"…\"]"))
    } else if expected == "a boolean" {
        (
            "true or false",
            format!("write {key} = true or {key} = false"),
        )
    } else if expected.contains("datetime") || expected.contains("date") {
        (
            "a date",
            format!("write {key} = 2024-05-03, without quotes"),
        )
    } else if expected.starts_with("struct ") || expected == "a map" {
        (
            "a table",
            format!("write its fields under a [{key}] header, or as {key} = {{ … }}"),
        )
    } else {
        return None;
    })
}

/// Fields that are one table (`[name]`) and lists of tables (`[[name]]`), in the records and
/// in `sitrep.toml` (the last name of a dotted header: `layers` for `[[geodata.layers]]`).
const SINGLE_TABLES: &[&str] = &["location", "data", "map", "geodata"];
const TABLE_LISTS: &[&str] = &["perpetrators", "sources", "designations", "layers"];

/// Message and hint for a table header `[name]` (`double`: `[[name]]`) that does not fit
/// what the field holds; `None` for a field that is neither kind of table.
fn explain_header(name: &str, double: bool) -> Option<(String, String)> {
    let field = name.rsplit('.').next().unwrap_or(name);
    if SINGLE_TABLES.contains(&field) && double {
        Some((
            format!("`{name}` is a single table, not a list of them"),
            format!("write its header with single brackets, once: [{name}]"),
        ))
    } else if TABLE_LISTS.contains(&field) && !double {
        Some((
            format!("`{name}` is a list of tables, and this header makes it one table"),
            format!("give each entry a header with double brackets: [[{name}]], repeated before every entry"),
        ))
    } else {
        None
    }
}

/// `"text"` without its quotes; anything else as it is.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// `toml_diagnostic_at` for a record of type `T` read from `toml`, which starts at byte
/// `offset` of the file `text`. When a field is missing, the message names every field
/// missing from that table (the record's top table, a `[table]` or an `[[array]]` entry), so
/// a contributor fixes them in one go rather than one per run of `check`.
///
/// `leave_out` names fields, by table, not to name as missing: they were blanked by the search
/// for further mistakes (`mistakes`), which reported them already.
fn record_diagnostic_leaving_out<T: serde::de::DeserializeOwned>(
    path: &str,
    text: &str,
    (offset, toml): (usize, &str),
    error: &toml::de::Error,
    leave_out: &[(TableAt, String)],
) -> Diagnostic {
    let mut d = toml_diagnostic_at(path, text, offset, error);
    if let (Some((field, _)), Some(span)) = (unknown_field(error.message()), error.span()) {
        // TOML's classic trap: a key written below a table header belongs to that table.
        if let Some(header) = header_above(toml, span.start) {
            if top_level_fields::<T>().iter().any(|f| f == field) {
                d.message = format!("`{field}` is not a field of {header}");
                d.hint = Some(format!(
                    "`{field}` is one of the record's own fields, but below the {header} header TOML reads it as part of that table: move it above the first table header"
                ));
            }
        }
        return d;
    }
    let Some(first) = missing_field(error.message()) else {
        return d;
    };
    let Ok(document) = toml.parse::<toml::Table>() else {
        return d;
    };
    let Some(at) = table_at(toml, error.span()) else {
        return d;
    };
    let mut missing = missing_fields::<T>(document, &at, first);
    missing.retain(|f| !leave_out.iter().any(|(t, name)| *t == at && name == f));
    if missing.len() > 1 {
        let names: Vec<String> = missing.iter().map(|f| format!("`{f}`")).collect();
        d.message = format!("missing fields {}", names.join(", "));
        d.hint = Some("add these fields; CONTRIBUTING.md shows an example of every field".into());
    }
    d
}

/// The field named by serde's "unknown field `name`, expected one of `a`, `b`" message, and
/// the fields it lists.
fn unknown_field(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.trim().strip_prefix("unknown field `")?;
    let field = rest.split('`').next()?;
    let expected = rest
        .split('`')
        .skip(1)
        .filter(|s| !s.trim().is_empty() && !s.contains(',') && !s.contains("expected"))
        .collect();
    Some((field, expected))
}

/// The fields a record of type `T` takes at its top level (serde lists them when it meets one
/// it does not know).
fn top_level_fields<T: serde::de::DeserializeOwned>() -> Vec<String> {
    match toml::from_str::<T>("sitrep-no-such-field = 0") {
        Ok(_) => Vec::new(),
        Err(e) => unknown_field(e.message())
            .map(|(_, fields)| fields.into_iter().map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// The last `[table]` or `[[array]]` header above byte `offset` of `toml`, as written.
fn header_above(toml: &str, offset: usize) -> Option<String> {
    let above = toml.get(..offset)?;
    above.lines().rev().find_map(|line| {
        let (name, array) = table_header(line)?;
        Some(if array {
            format!("[[{name}]]")
        } else {
            format!("[{name}]")
        })
    })
}

/// The field named by serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    message
        .trim()
        .strip_prefix("missing field `")?
        .split('`')
        .next()
}

/// Which table of a document a missing field belongs to.
#[derive(Debug, PartialEq)]
enum TableAt {
    /// The record's own fields.
    Top,
    /// `[name]`.
    Table(String),
    /// The `index`th `[[name]]`.
    ArrayEntry(String, usize),
}

/// The table a "missing field" error points at: the top table when its span is empty (the
/// parser gives the top table an empty span at the start), else the `[table]` or `[[array]]`
/// header the span covers. `None` when the header's name is not a plain name (dotted or
/// quoted): the error is then left as the parser gave it.
fn table_at(toml: &str, span: Option<std::ops::Range<usize>>) -> Option<TableAt> {
    let span = match span {
        Some(span) if !span.is_empty() => span,
        _ => return Some(TableAt::Top),
    };
    let line = toml.get(span.start..)?.lines().next().unwrap_or("");
    match table_header(line)? {
        (name, true) => {
            let index = toml[..span.start]
                .lines()
                .filter(|l| table_header(l).is_some_and(|(n, array)| array && n == name))
                .count();
            Some(TableAt::ArrayEntry(name, index))
        }
        (name, false) => Some(TableAt::Table(name)),
    }
}

/// The name of a `[table]` or `[[array]]` header line with a plain name (letters, digits,
/// `_`, `-`), maybe followed by a comment, and whether it is an array's; `None` otherwise.
fn table_header(line: &str) -> Option<(String, bool)> {
    let line = line.trim();
    let (inner, rest, array) = match line.strip_prefix("[[") {
        Some(l) => {
            let (inner, rest) = l.split_once("]]")?;
            (inner, rest, true)
        }
        None => {
            let (inner, rest) = line.strip_prefix('[')?.split_once(']')?;
            (inner, rest, false)
        }
    };
    let rest = rest.trim_start();
    let name = inner.trim();
    (is_plain_key(name) && (rest.is_empty() || rest.starts_with('#')))
        .then(|| (name.to_string(), array))
}

/// The table `at` points to in `document`.
fn subtable<'a>(document: &'a mut toml::Table, at: &TableAt) -> Option<&'a mut toml::Table> {
    match at {
        TableAt::Top => Some(document),
        TableAt::Table(name) => document.get_mut(name)?.as_table_mut(),
        TableAt::ArrayEntry(name, index) => document
            .get_mut(name)?
            .as_array_mut()?
            .get_mut(*index)?
            .as_table_mut(),
    }
}

/// Every field missing from the table `at` of `document`, starting with `first` (the one the
/// parser reported): each is filled with a stand-in value of the first kind `T` accepts and
/// the document read again, until it reads or fails for another reason. Serde checks a
/// table for missing fields only after every value in it has been read, and reads the tables
/// in order, so a stand-in causes an error about itself, or about the next field missing from
/// the same table, or (once the table is complete) about another table, which ends the search.
fn missing_fields<T: serde::de::DeserializeOwned>(
    mut document: toml::Table,
    at: &TableAt,
    first: &str,
) -> Vec<String> {
    let stand_ins = || {
        [
            toml::Value::String(String::new()),
            toml::Value::Datetime(toml::value::Datetime {
                date: Some(toml::value::Date {
                    year: 2000,
                    month: 1,
                    day: 1,
                }),
                time: None,
                offset: None,
            }),
            toml::Value::Integer(0),
            toml::Value::Float(0.0),
            toml::Value::Array(Vec::new()),
            toml::Value::Table(toml::Table::new()),
        ]
    };
    let mut missing = Vec::new();
    let mut field = first.to_string();
    // Each round fills a field the table lacked, so this ends; the bound is a safeguard.
    while missing.len() < 64 {
        match subtable(&mut document, at) {
            Some(table) if !table.contains_key(&field) => {}
            _ => break,
        }
        missing.push(field.clone());
        let mut next = None;
        for value in stand_ins() {
            if let Some(table) = subtable(&mut document, at) {
                table.insert(field.clone(), value);
            }
            let Ok(again) = toml::to_string(&document) else {
                return missing;
            };
            let error = match toml::from_str::<T>(&again) {
                Ok(_) => return missing,
                Err(e) => e,
            };
            match missing_field(error.message()) {
                // A field missing from another table: this one is complete.
                Some(_) if table_at(&again, error.span()).as_ref() != Some(at) => return missing,
                Some(other) if other != field => {
                    next = Some(other.to_string());
                    break;
                }
                // Still this field: the stand-in was of the wrong kind; try the next.
                Some(_) => {}
                // Perhaps of the wrong kind too. (It may also be a value of a later table,
                // which serde had not reached: then every stand-in fails alike and the fields
                // found so far are named, never one that is not missing.)
                None if error.message().starts_with("invalid type") => {}
                // Accepted; something about its value (not checked here) failed.
                None => return missing,
            }
        }
        match next {
            Some(other) => field = other,
            None => return missing,
        }
    }
    missing
}

/// Walks back from `offset` over the characters a TOML date-time literal is made of.
fn date_literal_start(text: &str, offset: usize) -> usize {
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while let Some(c) = text[..start].chars().next_back() {
        if c.is_ascii_digit() || matches!(c, '-' | ':' | '.' | 'T' | 'Z' | '+') {
            start -= 1;
        } else {
            break;
        }
    }
    start
}

fn classify_toml_error(message: &str) -> (&'static str, Option<String>) {
    // toml 0.8 says "invalid date-time"; toml 1 "invalid date, expected day between…".
    if ["invalid date", "invalid time"]
        .iter()
        .any(|p| message.starts_with(p))
    {
        return (
            "invalid-date",
            Some(
                "dates are YYYY-MM-DD and must exist in the calendar (check the day and month)"
                    .into(),
            ),
        );
    }
    if let Some((field, expected)) = unknown_field(message) {
        let suggestion = crate::validate::suggest(field, expected.iter().copied());
        let hint = match suggestion {
            Some(s) => format!("did you mean `{s}`? Remove or rename `{field}`"),
            None => format!("remove `{field}`; CONTRIBUTING.md lists the allowed fields"),
        };
        return ("unknown-field", Some(hint));
    }
    if message.starts_with("missing field") {
        return (
            "missing-field",
            Some("add the field; CONTRIBUTING.md shows an example of every field".into()),
        );
    }
    if message.starts_with("invalid type") || message.contains("did not match any variant") {
        return ("wrong-type", Some("check the value's type: text in quotes, dates as YYYY-MM-DD without quotes, numbers without quotes".into()));
    }
    if message.contains("duplicate key") {
        return (
            "duplicate-key",
            Some("each key may appear once per table; remove the repeated one".into()),
        );
    }
    (
        "toml-syntax",
        Some(
            "fix the TOML syntax at this position (strings in quotes, one key = value per line)"
                .into(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_field_is_placed_in_its_table() {
        let toml = "title = \"x\"\n[location]\nname = \"x\"\n[[sources]]\nnote = \"a\"\n[[ sources ]] # second\nnote = \"b\"\n[[sources]]\n[a.b]\n[\"q\"]\n[location] # c\n";
        let at = |start: usize, end: usize| table_at(toml, Some(start..end));
        assert_eq!(table_at(toml, None), Some(TableAt::Top));
        assert_eq!(at(0, 0), Some(TableAt::Top));
        let location = toml.find("[location]").unwrap_or(0);
        assert_eq!(
            at(location, location + 10),
            Some(TableAt::Table("location".into()))
        );
        // Spaces inside the brackets and a comment after them change nothing, and the entry
        // after them is counted as the third.
        let second = toml.find("[[ sources ]]").unwrap_or(0);
        assert_eq!(
            at(second, second + 13),
            Some(TableAt::ArrayEntry("sources".into(), 1))
        );
        let third = toml.rfind("[[sources]]").unwrap_or(0);
        assert_eq!(
            at(third, third + 11),
            Some(TableAt::ArrayEntry("sources".into(), 2))
        );
        let commented = toml.rfind("[location]").unwrap_or(0);
        assert_eq!(
            at(commented, commented + 10),
            Some(TableAt::Table("location".into()))
        );
        // Dotted and quoted names are left to the parser's own message.
        let dotted = toml.find("[a.b]").unwrap_or(0);
        assert_eq!(at(dotted, dotted + 5), None);
        let quoted = toml.find("[\"q\"]").unwrap_or(0);
        assert_eq!(at(quoted, quoted + 5), None);
    }

    #[test]
    fn every_missing_field_of_the_table_is_named_and_no_other() {
        let document: toml::Table = "[location]\nname = \"x\"\n[[sources]]\nnote = \"n\"\n"
            .parse()
            .unwrap_or_default();
        // The location's two, not the top table's nor the source's.
        let missing =
            missing_fields::<RawIncident>(document, &TableAt::Table("location".into()), "lat");
        assert_eq!(missing, ["lat", "lon"]);
        // The source's two (serde reads the location first: it must be complete).
        let sources_only: toml::Table = "[[sources]]\nnote = \"n\"\n".parse().unwrap_or_default();
        let missing = missing_fields::<RawIncident>(
            sources_only,
            &TableAt::ArrayEntry("sources".into(), 0),
            "publisher",
        );
        assert_eq!(missing, ["publisher", "title"]);
        // A date field is filled with a date, and the search goes on past it.
        let bare: toml::Table = "killed = 2\n".parse().unwrap_or_default();
        let top = missing_fields::<RawIncident>(bare, &TableAt::Top, "title");
        assert_eq!(top, ["title", "date", "country", "type", "summary"]);
    }

    /// The first diagnostic `check` gives for an incident file made of `VALID` with `from`
    /// replaced by `to`.
    fn incident_error(from: &str, to: &str) -> Diagnostic {
        match incident_errors(&[(from, to)]).into_iter().next() {
            Some(d) => d,
            None => panic!("`{to}`: no diagnostic"),
        }
    }

    /// Every diagnostic for an incident file made of `VALID` with each `from` replaced by
    /// its `to`.
    fn incident_errors(changes: &[(&str, &str)]) -> Vec<Diagnostic> {
        const VALID: &str = "title = \"T\"\ndate = 2024-01-31\ncountry = \"PAK\"\n\
            type = \"bombing\"\ntags = [\"market\"]\nsummary = \"S\"\n\
            [location]\nlat = 31.5\nlon = 74.3\n\
            [[perpetrators]]\nactor = \"ttp\"\nattribution = \"claimed\"\n\
            [[sources]]\npublisher = \"P\"\ntitle = \"S\"\n";
        let mut text = VALID.to_string();
        for (from, to) in changes {
            assert!(text.contains(from), "{from}");
            text = text.replacen(from, to, 1);
        }
        match parse_file(FileKind::Incident, "x.toml", "x", text) {
            Ok(_) => panic!("{changes:?} was accepted"),
            Err(found) => found,
        }
    }

    #[test]
    fn values_of_the_wrong_type_are_explained_with_the_fix() {
        let cases = [
            (
                "lat = 31.5",
                "lat = \"30°10′47″N\"",
                "`lat` must be a number",
                "decimal degrees",
            ),
            (
                "date = 2024-01-31",
                "date = 2024",
                "`date` must be a whole date",
                "date = 2024-01-01 and date_precision = \"year\"",
            ),
            (
                "title = \"T\"",
                "title = [\"A\", \"B\"]",
                "`title` takes one text in quotes, not a list",
                "title = \"…\"",
            ),
            (
                "lat = 31.5",
                "lat = \"31.5\"",
                "`lat` must be a number",
                "lat = 31.5",
            ),
            (
                "date = 2024-01-31",
                "date = \"2024-01-31\"",
                "`date` must be a date",
                "date = 2024-01-31",
            ),
            (
                "title = \"T\"",
                "title = 5",
                "`title` must be text in quotes",
                "\"5\"",
            ),
            (
                "tags = [\"market\"]",
                "tags = \"market\"",
                "`tags` must be a list",
                "tags = [\"market\"]",
            ),
            (
                "tags = [\"market\"]",
                "killed = \"5\"",
                "`killed` must be a number",
                "remove the quotes: killed = 5",
            ),
            (
                "tags = [\"market\"]",
                "killed = \"five\"",
                "`killed` must be a whole number",
                "killed = { min = 10, max = 12 }",
            ),
            (
                "tags = [\"market\"]",
                "injured = 2.5",
                "`injured` must be a whole number",
                "injured = 12",
            ),
            (
                "tags = [\"market\"]",
                "tags = [\"market\", 5]",
                "each item of `tags` must be text in quotes",
                "\"5\"",
            ),
            (
                "[location]",
                "[[location]]",
                "`location` is a single table",
                "[location]",
            ),
            (
                "[[perpetrators]]",
                "[perpetrators]",
                "`perpetrators` is a list of tables",
                "[[perpetrators]]",
            ),
            (
                "[[sources]]",
                "[sources.first]",
                "`sources` is a list of tables",
                "[[sources]]",
            ),
        ];
        for (from, to, message, fix) in cases {
            let d = incident_error(from, to);
            assert_eq!(d.kind, "wrong-type", "{to}: {d:?}");
            assert!(d.message.starts_with(message), "{to}: {}", d.message);
            let hint = d.hint.unwrap_or_default();
            assert!(hint.contains(fix), "{to}: {hint}");
            assert!(d.line > 0 && d.column > 0, "{to}: no position");
        }
    }

    #[test]
    fn a_record_field_below_a_table_header_is_explained() {
        let d = incident_error("lon = 74.3\n", "lon = 74.3\nkilled = 5\n");
        assert_eq!((d.kind, d.line), ("unknown-field", 10));
        assert_eq!(d.message, "`killed` is not a field of [location]");
        assert!(d
            .hint
            .is_some_and(|h| h.contains("move it above the first table header")));
        // A key that belongs nowhere keeps the usual message and hint.
        let d = incident_error("lon = 74.3\n", "lon = 74.3\nkiled = 5\n");
        assert!(
            d.message.starts_with("unknown field `kiled`"),
            "{}",
            d.message
        );
        let d = incident_error("title = \"S\"\n", "title = \"S\"\ntags = []\n");
        assert_eq!(d.message, "`tags` is not a field of [[sources]]");
    }

    #[test]
    fn only_table_fields_get_the_brackets_explained() {
        let hint = |name, double| explain_header(name, double).map(|(_, hint)| hint);
        assert!(hint("data", true).is_some_and(|h| h.ends_with("[data]")));
        assert!(hint("geodata.layers", false).is_some_and(|h| h.contains("[[geodata.layers]]")));
        // Right already, or not a table at all: the parser's message stands.
        assert_eq!(hint("location", false), None);
        assert_eq!(hint("sources", true), None);
        assert_eq!(hint("tags", false), None);
    }

    #[test]
    fn a_syntax_error_shows_the_line_it_stopped_on() {
        // The parser notices the missing `]` on the next line, at an empty span.
        let d = incident_error("tags = [\"market\"]", "tags = [\"market\"");
        assert_eq!(d.kind, "toml-syntax");
        assert_eq!((d.line, d.snippet.as_deref()), (6, Some("summary = \"S\"")));
        // The parser cannot go on: a mistake after it is not looked for.
        let found = incident_errors(&[
            ("tags = [\"market\"]", "tags = [\"market\""),
            ("lat = 31.5", "lat = \"x\""),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    /// (line, column, kind) of each diagnostic.
    fn places(found: &[Diagnostic]) -> Vec<(usize, usize, &'static str)> {
        found.iter().map(|d| (d.line, d.column, d.kind)).collect()
    }

    #[test]
    fn every_mistake_in_a_file_is_reported_in_one_run() {
        let found = incident_errors(&[
            ("date = 2024-01-31", "date = \"June 5\""),
            ("tags = [\"market\"]", "killed = \"five\""),
            ("summary = \"S\"", "summary = \"S\"\ncasualties = 3"),
        ]);
        assert_eq!(
            places(&found),
            [
                (2, 8, "wrong-type"),
                (5, 10, "wrong-type"),
                (7, 1, "unknown-field")
            ],
            "{found:#?}"
        );
        // Each as it would be alone: same message and hint.
        let alone = incident_error("tags = [\"market\"]", "killed = \"five\"");
        assert_eq!(
            (&found[1].message, &found[1].hint),
            (&alone.message, &alone.hint)
        );
        assert!(found[2]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("casualties_note")));
        // The same every time, and never twice.
        let again = incident_errors(&[
            ("date = 2024-01-31", "date = \"June 5\""),
            ("tags = [\"market\"]", "killed = \"five\""),
            ("summary = \"S\"", "summary = \"S\"\ncasualties = 3"),
        ]);
        assert_eq!(found, again);
    }

    #[test]
    fn past_twenty_mistakes_the_first_in_the_file_are_shown_and_the_rest_counted() {
        let bogus: String = (0..25).map(|i| format!("bogus{i} = 1\n")).collect();
        let found = incident_errors(&[("summary = \"S\"\n", &format!("summary = \"S\"\n{bogus}"))]);
        assert_eq!(found.len(), 21, "{found:#?}");
        // Lines 7 to 26 in order (serde meets bogus10 before bogus5), then the count.
        let lines: Vec<usize> = found[..20].iter().map(|d| d.line).collect();
        assert_eq!(lines, (7..27).collect::<Vec<_>>());
        assert_eq!(found[20].kind, "more-mistakes");
        assert_eq!(
            found[20].message,
            "5 more mistakes in this file are not shown"
        );
    }

    #[test]
    fn other_wrong_types_are_told_in_plain_words() {
        let found = incident_errors(&[
            ("lat = 31.5", "lat = [1.0]"),
            ("lon = 74.3", "lon = { a = 1 }"),
        ]);
        let told: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            told,
            [
                "`lat` must be a number, not a list",
                "`lon` must be a number, not a table"
            ]
        );
        assert!(found
            .iter()
            .all(|d| !d.hint.as_deref().unwrap_or("").contains("f64")));
        let found = incident_errors(&[("tags = [\"market\"]", "tags = { a = 1 }")]);
        assert_eq!(found[0].message, "`tags` must be a list, not a table");
    }

    #[test]
    fn mistakes_in_inline_tables_are_all_found_and_named_by_their_key() {
        // A field missing from an inline entry, then mistakes after it.
        let found = incident_errors(&[
            (
                "summary = \"S\"",
                "summary = \"S\"\nperpetrators = [{ actor = \"ttp\", by = \"x\" }]\nupdated = \"2024-06-01\"",
            ),
            ("[[perpetrators]]\nactor = \"ttp\"\nattribution = \"claimed\"\n", ""),
            ("publisher = \"P\"", "publisher = 5"),
        ]);
        assert_eq!(
            places(&found),
            [
                (7, 17, "missing-field"),
                (8, 11, "wrong-type"),
                (13, 13, "wrong-type")
            ],
            "{found:#?}"
        );
        // Two inline entries, every value wrong: each told, by its own key.
        let found = incident_errors(&[
            ("[[sources]]\npublisher = \"P\"\ntitle = \"S\"\n", ""),
            (
                "summary = \"S\"",
                "summary = \"S\"\nsources = [{ publisher = 1, title = 2 }, { publisher = 3, title = \"b\" }]",
            ),
        ]);
        assert_eq!(
            places(&found),
            [
                (7, 26, "wrong-type"),
                (7, 37, "wrong-type"),
                (7, 56, "wrong-type")
            ],
            "{found:#?}"
        );
        assert_eq!(found[1].message, "`title` must be text in quotes");
    }

    #[test]
    fn dotted_keys_of_one_table_on_several_lines_are_blanked_one_at_a_time() {
        let found = incident_errors(&[
            ("[location]\nlat = 31.5\nlon = 74.3\n", ""),
            (
                "summary = \"S\"",
                "summary = \"S\"\nlocation.lat = \"33.5\"\nlocation.lon = 71.0\nlocation.extra = 1",
            ),
        ]);
        assert_eq!(
            places(&found),
            [(7, 16, "wrong-type"), (9, 10, "unknown-field")],
            "{found:#?}"
        );
        assert_eq!(
            found[0].message,
            "`lat` must be a number, not text in quotes"
        );
    }

    #[test]
    fn an_unknown_dotted_key_is_blanked_whole_and_the_search_goes_on() {
        let found = incident_errors(&[
            ("summary = \"S\"", "summary = \"S\"\nbogus.key = 1"),
            ("lat = 31.5", "lat = \"x\""),
        ]);
        assert_eq!(
            places(&found),
            [(7, 1, "unknown-field"), (9, 7, "wrong-type")],
            "{found:#?}"
        );
    }

    #[test]
    fn a_blanked_required_field_is_not_reported_missing() {
        let found = incident_errors(&[
            ("title = \"T\"", "title = 5"),
            ("lat = 31.5", "lat = \"x\""),
            ("publisher = \"P\"", "publisher = 7"),
        ]);
        assert_eq!(
            places(&found),
            [
                (1, 9, "wrong-type"),
                (8, 7, "wrong-type"),
                (14, 13, "wrong-type")
            ],
            "{found:#?}"
        );
        // Two bad dates: both told, neither then missing.
        let found = incident_errors(&[
            ("date = 2024-01-31", "date = 2024-02-30"),
            ("summary = \"S\"", "summary = \"S\"\nupdated = 2024-13-01"),
        ]);
        assert_eq!(
            places(&found),
            [(2, 8, "invalid-date"), (7, 11, "invalid-date")],
            "{found:#?}"
        );
    }

    #[test]
    fn a_field_really_missing_is_reported_once_beside_the_other_mistakes() {
        // At the top (serde finds missing fields of the top table last).
        let found = incident_errors(&[
            ("country = \"PAK\"\n", ""),
            ("type = \"bombing\"\n", ""),
            ("tags = [\"market\"]", "killed = \"five\""),
        ]);
        assert_eq!(
            places(&found),
            [(1, 1, "missing-field"), (3, 10, "wrong-type")],
            "{found:#?}"
        );
        assert_eq!(found[0].message, "missing fields `country`, `type`");
        // In [location], with a mistake in a later table: both, at their lines as written.
        let found = incident_errors(&[("lon = 74.3\n", ""), ("title = \"S\"", "title = 5")]);
        assert_eq!(
            places(&found),
            [(7, 1, "missing-field"), (14, 9, "wrong-type")],
            "{found:#?}"
        );
        assert_eq!(found[0].message, "missing field `lon`");
        // A blanked field beside a really missing one in the same table: only the latter.
        let found = incident_errors(&[("lon = 74.3\n", ""), ("lat = 31.5", "lat = \"x\"")]);
        assert_eq!(
            places(&found),
            [(7, 1, "missing-field"), (8, 7, "wrong-type")],
            "{found:#?}"
        );
        assert_eq!(found[0].message, "missing field `lon`");
        // A misspelt key is one mistake, not a second one for the field it stands for.
        let found = incident_errors(&[
            ("lat = 31.5", "latitude = 31.5"),
            ("title = \"S\"", "title = 5"),
        ]);
        assert_eq!(
            places(&found),
            [(8, 1, "unknown-field"), (15, 9, "wrong-type")],
            "{found:#?}"
        );
    }

    #[test]
    fn a_mistake_in_a_sources_entry_and_one_at_the_top_are_both_reported() {
        let found = incident_errors(&[
            ("country = \"PAK\"", "country = 5"),
            ("publisher = \"P\"", "publisher = \"P\"\npages = 3"),
            ("title = \"S\"", "title = 5"),
        ]);
        assert_eq!(
            places(&found),
            [
                (3, 11, "wrong-type"),
                (15, 1, "unknown-field"),
                (16, 9, "wrong-type")
            ],
            "{found:#?}"
        );
        // In an inline table, the entry alone is blanked: the next one is read too.
        let found = incident_errors(&[(
            "summary = \"S\"\n[location]\nlat = 31.5\nlon = 74.3\n",
            "summary = \"S\"\nlocation = { lat = \"x\", lon = \"y\", height = 2 }\n",
        )]);
        assert_eq!(
            places(&found),
            [
                (7, 20, "wrong-type"),
                (7, 31, "wrong-type"),
                (7, 36, "unknown-field")
            ],
            "{found:#?}"
        );
        // Each item of a list.
        let found = incident_errors(&[("tags = [\"market\"]", "tags = [1, \"market\", 2]")]);
        assert_eq!(
            places(&found),
            [(5, 9, "wrong-type"), (5, 22, "wrong-type")],
            "{found:#?}"
        );
    }

    #[test]
    fn every_mistake_in_a_brief_front_matter_is_placed_in_the_file() {
        let text = "+++\ntitle = 5\ndate = 2024-01-01\nauthors = \"A\"\nwriter = \"B\"\n+++\nBody, with title = 6\n";
        let found = match parse_file(FileKind::Brief, "b.md", "b", text.to_string()) {
            Ok(_) => panic!("accepted"),
            Err(found) => found,
        };
        assert_eq!(
            places(&found),
            [
                (2, 9, "wrong-type"),
                (4, 11, "wrong-type"),
                (5, 1, "unknown-field")
            ],
            "{found:#?}"
        );
    }
}
