//! Every mistake in a record's TOML, not only the first one serde stops at.
//!
//! Runs only after a record failed to deserialize. When the TOML itself is well formed (the
//! mistakes are of type, value, name or date), the entry an error points at is blanked
//! (replaced by spaces, newlines kept, so every later position stays where it was) and the
//! text read again, until it reads or a bound is reached. A blanked field the record requires
//! then reads as missing: a stand-in value is put in its place rather than reporting it. A
//! field that is really missing is reported (all of its table's at once, as before), and
//! stand-ins are put below the table's header so that the tables after it are read too.
//! Stand-ins are inserted text; positions are mapped back to the file as written.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::{
    classify_toml_error, line_at, missing_field, record_diagnostic_leaving_out, table_at,
    table_header, unknown_field, TableAt,
};
use crate::diagnostic::{line_column, Diagnostic};

/// At most this many diagnostics are shown for one file: the first in the file, then one that
/// says how many more were found.
const MAX_DIAGNOSTICS: usize = 20;
/// How many are looked for (serde meets them in its own order, not the file's).
const MAX_FOUND: usize = 100;
/// Each round reports an error or puts a stand-in in; a safeguard against endless rounds.
const MAX_ROUNDS: usize = 4 * MAX_FOUND;
/// Values tried, in order, for a field that must be present (as `missing_fields` does).
const STAND_INS: [&str; 6] = ["\"\"", "2000-01-01", "0", "0.0", "[]", "{}"];

/// Every diagnostic for a record of type `T` whose TOML starts at byte `offset` of the file
/// `text` and ends `tail` bytes before its end (front matter), and failed with `first`, each
/// as `record_diagnostic_leaving_out` gives it alone, in the order of the file. One only when
/// the TOML does not parse.
pub(super) fn record_diagnostics<T: serde::de::DeserializeOwned>(
    path: &str,
    text: &str,
    (offset, tail): (usize, usize),
    first: &toml::de::Error,
) -> Vec<Diagnostic> {
    let toml = &text[offset..text.len() - tail];
    let d = record_diagnostic_leaving_out::<T>(path, text, (offset, toml), first, &[]);
    let mut found = vec![d];
    let mut work = Working {
        file: text.to_string(),
        offset,
        tail,
        inserted: Vec::new(),
        touched: Vec::new(),
        blanked: Vec::new(),
    };
    if !work.well_formed() {
        return found;
    }
    let mut error = first.clone();
    for _ in 0..MAX_ROUNDS {
        // Get past `error`: blank its entry, or stand in for a field it says is missing.
        let next = match missing_field(error.message()) {
            Some(field) => {
                let at = table_at(work.toml(), error.span());
                match work.ours(field, at.as_ref()) {
                    Some(index) => work.stand_in::<T>(index),
                    // Really missing, reported: stand in below the table's header.
                    None => match (at, error.span()) {
                        // Missing from an inline table (serde points at its `{`).
                        (_, Some(span))
                            if work
                                .toml()
                                .get(span.clone())
                                .is_some_and(|t| t.starts_with('{')) =>
                        {
                            work.missing_in_inline::<T>(span.start, field)
                        }
                        (Some(at @ (TableAt::Table(_) | TableAt::ArrayEntry(..))), Some(span)) => {
                            work.missing_below_header::<T>(&at, span.start, field)
                        }
                        _ => None,
                    },
                }
            }
            None => error
                .span()
                .and_then(|span| work.entry_at(span))
                .and_then(|entry| work.blank::<T>(entry, meant(&error))),
        };
        let Some(Err(next)) = next else {
            break;
        };
        error = next;
        if !work.well_formed() {
            break;
        }
        match missing_field(error.message()) {
            // A field missing only because it was blanked is no mistake of its own.
            Some(field)
                if work
                    .ours(field, table_at(work.toml(), error.span()).as_ref())
                    .is_some() =>
            {
                continue
            }
            Some(_) => {}
            None if work.stuck(&error) => break,
            None => {}
        }
        let leave_out: Vec<(TableAt, String)> = work
            .blanked
            .iter()
            .filter_map(|b| Some((table_of(work.toml(), b.at - work.offset)?, b.field.clone())))
            .collect();
        let mut d = record_diagnostic_leaving_out::<T>(
            path,
            &work.file,
            (work.offset, work.toml()),
            &error,
            &leave_out,
        );
        if !work.inserted.is_empty() {
            work.place_as_written(&mut d, text);
        }
        if found.contains(&d) {
            break;
        }
        found.push(d);
        if found.len() >= MAX_FOUND {
            break;
        }
    }
    // Serde reads a table's keys in name order, not as written: told as written.
    found.sort_by_key(|d| (d.line, d.column));
    if found.len() > MAX_DIAGNOSTICS {
        let more = found.len() - MAX_DIAGNOSTICS;
        let counted = if found.len() == MAX_FOUND {
            format!("at least {more}")
        } else {
            more.to_string()
        };
        found.truncate(MAX_DIAGNOSTICS);
        found.push(
            Diagnostic::error(
                path,
                "more-mistakes",
                format!("{counted} more mistakes in this file are not shown"),
            )
            .with_hint("fix the ones above, then run `sitrep check` again"),
        );
    }
    found
}

/// The file's text as it is being worked on.
struct Working {
    /// The whole file: the TOML starts at `offset` and ends `tail` bytes before its end.
    file: String,
    offset: usize,
    tail: usize,
    /// Text put in, as (start, length) in `file`, in no particular order.
    inserted: Vec<(usize, usize)>,
    /// Ranges of `file` blanked or put in: an error there means the search is going round.
    touched: Vec<Range<usize>>,
    /// Entries blanked (or fields reported missing) that may need a stand-in.
    blanked: Vec<Blanked>,
}

/// Where a stand-in for `field` would go.
struct Blanked {
    field: String,
    /// The key as written (dotted or quoted as it was).
    key: String,
    /// Position in `file` where the stand-in goes.
    at: usize,
    /// What follows the stand-in: `,` or a blank in an inline table, a newline below a
    /// header, nothing in place of an entry of a table.
    after: &'static str,
}

/// An entry to blank.
struct Entry {
    range: Range<usize>,
    /// The field, its key as written, and what a stand-in is followed by; `None` for an item
    /// of a list or a whole table, which cannot be missing.
    field: Option<(String, String, &'static str)>,
}

impl Working {
    fn toml(&self) -> &str {
        &self.file[self.offset..self.file.len() - self.tail]
    }

    /// The TOML still parses (an invalid date is the parser's too, but leaves it whole).
    fn well_formed(&self) -> bool {
        let (_, errors) = DeTable::parse_recoverable(self.toml());
        errors
            .iter()
            .all(|e| classify_toml_error(e.message()).0 == "invalid-date")
    }

    /// The error points into text already blanked or put in: going round in circles.
    fn stuck(&self, error: &toml::de::Error) -> bool {
        let Some(span) = error.span() else {
            return true;
        };
        let span = (span.start + self.offset)..(span.end + self.offset);
        self.touched
            .iter()
            .any(|t| span.start < t.end && t.start < span.end.max(span.start + 1))
    }

    /// The blanked entry of `field` a "missing field" error in table `at` is about.
    fn ours(&self, field: &str, at: Option<&TableAt>) -> Option<usize> {
        self.blanked.iter().position(|b| {
            b.field == field
                && (at.is_none() || table_of(self.toml(), b.at - self.offset).as_ref() == at)
        })
    }

    /// Parses the TOML as `T` again.
    fn read<T: serde::de::DeserializeOwned>(&self) -> Result<(), toml::de::Error> {
        toml::from_str::<T>(self.toml()).map(|_| ())
    }

    /// Blanks `entry` and reads again; `None` when there was nothing to blank. `meant` is the
    /// field a misspelt key stands for: were it missing, that is the same mistake.
    fn blank<T: serde::de::DeserializeOwned>(
        &mut self,
        entry: Entry,
        meant: Option<String>,
    ) -> Option<Result<(), toml::de::Error>> {
        let range = entry.range;
        let spaces: String = self
            .file
            .get(range.clone())?
            .chars()
            .map(|c| {
                if c == '\n' {
                    "\n".to_string()
                } else {
                    " ".repeat(c.len_utf8())
                }
            })
            .collect();
        self.file.replace_range(range.clone(), &spaces);
        self.touched.push(range.clone());
        if let Some((field, key, after)) = entry.field {
            self.blanked.push(Blanked {
                field,
                key,
                at: range.start,
                after,
            });
            if let Some(meant) = meant {
                self.blanked.push(Blanked {
                    field: meant.clone(),
                    key: meant,
                    at: range.start,
                    after,
                });
            }
        }
        Some(self.read::<T>())
    }

    /// Puts `text` in at `at`, moving every position recorded after it.
    fn insert(&mut self, at: usize, text: &str) {
        let n = text.len();
        self.file.insert_str(at, text);
        for (start, _) in &mut self.inserted {
            if *start >= at {
                *start += n;
            }
        }
        for t in &mut self.touched {
            if t.start >= at {
                *t = (t.start + n)..(t.end + n);
            }
        }
        for b in &mut self.blanked {
            if b.at > at {
                b.at += n;
            }
        }
        self.inserted.push((at, n));
        self.touched.push(at..at + n);
    }

    /// Takes back what `insert` put in.
    fn take_back(&mut self, at: usize, n: usize) {
        self.file.replace_range(at..at + n, "");
        self.inserted.retain(|&(start, _)| start != at);
        self.touched.retain(|t| *t != (at..at + n));
        for (start, _) in &mut self.inserted {
            if *start > at {
                *start -= n;
            }
        }
        for t in &mut self.touched {
            if t.start > at {
                *t = (t.start - n)..(t.end - n);
            }
        }
        for b in &mut self.blanked {
            if b.at > at {
                b.at -= n;
            }
        }
    }

    /// Puts a stand-in for the blanked entry `index` in its place, trying each kind of value
    /// until one is taken, and reads again; `None` when none is.
    fn stand_in<T: serde::de::DeserializeOwned>(
        &mut self,
        index: usize,
    ) -> Option<Result<(), toml::de::Error>> {
        let b = self.blanked.remove(index);
        // In an inline table the stand-in is separated from its neighbours by commas, whatever
        // of them was blanked or stood in for already.
        let inline = !matches!(b.after, "" | "\n");
        let (before, after) = if !inline {
            ("", b.after)
        } else {
            let prev = self
                .file
                .get(..b.at)
                .and_then(|t| t.trim_end().chars().last());
            let next = self
                .file
                .get(b.at..)
                .and_then(|t| t.trim_start().chars().next());
            (
                if matches!(prev, Some('{' | ',')) {
                    ""
                } else {
                    ", "
                },
                if next == Some('}') { " " } else { ", " },
            )
        };
        for value in STAND_INS {
            let text = format!("{before}{} = {value}{after}", b.key);
            let at = self.table_of_at(b.at);
            self.insert(b.at, &text);
            let result = self.read::<T>();
            let refused = match &result {
                Ok(()) => false,
                Err(e) => {
                    // An error in the stand-in itself (a missing field's span may hold it:
                    // an inline table's is the whole table).
                    let inside = e.span().is_some_and(|s| {
                        let start = s.start + self.offset;
                        (b.at..b.at + text.len()).contains(&start)
                    });
                    let again = missing_field(e.message()) == Some(b.field.as_str())
                        && table_at(self.toml(), e.span()) == at;
                    inside || again
                }
            };
            if !refused {
                return Some(result);
            }
            self.take_back(b.at, text.len());
        }
        None
    }

    fn table_of_at(&self, at: usize) -> Option<TableAt> {
        table_of(self.toml(), at - self.offset)
    }

    /// After a field reported missing from the table whose header is at `header` (in the
    /// TOML), records stand-ins below the header for it and the others missing there, and
    /// puts the first in.
    fn missing_below_header<T: serde::de::DeserializeOwned>(
        &mut self,
        at: &TableAt,
        header: usize,
        field: &str,
    ) -> Option<Result<(), toml::de::Error>> {
        let line_end = self.toml().get(header..)?.find('\n')? + header + 1 + self.offset;
        let document = self.toml().parse::<toml::Table>().ok()?;
        for name in super::missing_fields::<T>(document, at, field) {
            if self.ours(&name, Some(at)).is_none() {
                self.blanked.push(Blanked {
                    key: name.clone(),
                    field: name,
                    at: line_end,
                    after: "\n",
                });
            }
        }
        let index = self.ours(field, Some(at))?;
        self.stand_in::<T>(index)
    }

    /// After `field` was reported missing from the inline table opening at `brace` (in the
    /// TOML), puts a stand-in for it first in that table.
    fn missing_in_inline<T: serde::de::DeserializeOwned>(
        &mut self,
        brace: usize,
        field: &str,
    ) -> Option<Result<(), toml::de::Error>> {
        let inside = self.toml().get(brace + 1..)?;
        let empty = inside.trim_start().starts_with('}');
        let key = if super::is_plain_key(field) {
            field.to_string()
        } else {
            format!("{field:?}")
        };
        self.blanked.push(Blanked {
            field: field.to_string(),
            key,
            at: brace + 1 + self.offset,
            after: if empty { " " } else { ", " },
        });
        self.stand_in::<T>(self.blanked.len() - 1)
    }

    /// The entry of the TOML that `span` (an error's, in the TOML) falls in: the innermost
    /// `key = value` (with its comma in an inline table), an item of a list, or a whole
    /// `[table]` section when the span is on its header.
    fn entry_at(&self, span: Range<usize>) -> Option<Entry> {
        let toml = self.toml();
        let (document, _) = DeTable::parse_recoverable(toml);
        let mut found = Vec::new();
        collect_entries(toml, document.get_ref(), None, false, &mut found);
        let end = span.end.max(span.start);
        let best = found
            .iter()
            .filter(|e| e.range.start <= span.start && end <= e.range.end)
            .min_by_key(|e| e.range.len());
        let shift = |r: &Range<usize>| (r.start + self.offset)..(r.end + self.offset);
        if let Some(e) = best {
            return Some(Entry {
                range: shift(&e.range),
                field: e.field.clone(),
            });
        }
        // A table header: the section up to the next header.
        let line = line_at(toml, span.start)?;
        if !line.starts_with('[') {
            return None;
        }
        let start = toml.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
        let mut end = toml.len();
        let mut pos = start;
        for l in toml.get(start..)?.split_inclusive('\n') {
            let inside_value = found
                .iter()
                .any(|e| e.range.start < pos && pos < e.range.end);
            if pos > start && l.trim_start().starts_with('[') && !inside_value {
                end = pos;
                break;
            }
            pos += l.len();
        }
        Some(Entry {
            range: shift(&(start..end)),
            field: None,
        })
    }

    /// Moves the diagnostic `d`, placed in the worked-on file, to where its position is in
    /// the file as written (`text`), taking out what was put in.
    fn place_as_written(&self, d: &mut Diagnostic, text: &str) {
        if d.line == 0 {
            return;
        }
        let Some(at) = offset_of(&self.file, d.line, d.column) else {
            return;
        };
        let mut original = at;
        for &(start, n) in &self.inserted {
            if start + n <= at {
                original -= n;
            } else if start < at {
                original -= at - start;
            }
        }
        let (line, column) = line_column(text, original);
        d.line = line;
        d.column = column;
    }
}

/// For an unknown key, the field its hint suggests (`latitude` for `lat`).
fn meant(error: &toml::de::Error) -> Option<String> {
    let (field, expected) = unknown_field(error.message())?;
    crate::validate::suggest(field, expected.into_iter())
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`; the inverse
/// of `line_column`.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text.get(start..)?.find('\n')? + 1;
    }
    if line == 1 && text.starts_with('\u{feff}') {
        start = 3;
    }
    let rest = text.get(start..)?;
    let skip: usize = rest
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    Some(start + skip)
}

/// The table (as `table_at` names them) that byte `pos` of `toml` lies in: the last header
/// above it. `None` below a header whose name is not plain.
fn table_of(toml: &str, pos: usize) -> Option<TableAt> {
    let above = toml.get(..pos)?;
    let mut current = TableAt::Top;
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut plain = true;
    for line in above.lines() {
        if !line.trim_start().starts_with('[') {
            continue;
        }
        match table_header(line) {
            Some((name, true)) => {
                let index = match counts.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, count)) => {
                        *count += 1;
                        *count - 1
                    }
                    None => {
                        counts.push((name.clone(), 1));
                        0
                    }
                };
                current = TableAt::ArrayEntry(name, index);
                plain = true;
            }
            Some((name, false)) => {
                current = TableAt::Table(name);
                plain = true;
            }
            // A header with a dotted or quoted name; a line of a list written over several
            // lines may start with `[` too, and changes nothing.
            None if !line.contains('=') && line.trim_end().ends_with(']') => plain = false,
            None => {}
        }
    }
    plain.then_some(current)
}

/// An entry found in the parsed TOML, in TOML positions.
struct Found {
    range: Range<usize>,
    field: Option<(String, String, &'static str)>,
}

/// Every `key = value` entry and every item of a list written inline, at any depth.
/// `dotted` is where a dotted key (`a.b = 1`) starts; `inline`: inside an inline table.
fn collect_entries(
    toml: &str,
    table: &DeTable<'_>,
    dotted: Option<usize>,
    inline: bool,
    found: &mut Vec<Found>,
) {
    for (key, value) in table.iter() {
        let (k, v) = (key.span(), value.span());
        let between = toml.get(k.end..v.start).map(str::trim);
        // A dotted key (`location.lat = …`) starts at its first part, on this entry's line:
        // the table's own key span is that of the first line that named it.
        let start = match dotted {
            Some(_) => dotted_key_start(toml, k.start),
            None => k.start,
        };
        match between {
            Some("=") => {
                let written = toml.get(start..k.end).unwrap_or("").to_string();
                let mut range = start..v.end;
                // Inline entries are followed by a comma or a blank; others by nothing.
                let mut after = "";
                if inline {
                    after = " ";
                    range.end = after_comma(toml, v.end);
                    if range.end != v.end {
                        after = ",";
                    }
                }
                found.push(Found {
                    range,
                    field: Some((key.get_ref().to_string(), written, after)),
                });
                match value.get_ref() {
                    DeValue::Table(t) => collect_entries(toml, t, None, true, found),
                    DeValue::Array(items) => collect_items(toml, items, found),
                    _ => {}
                }
            }
            // The first part of a dotted key: its value is the table of the rest. (The table's
            // span need not start after the dot, so the text after the key tells.)
            _ if toml
                .get(k.end..)
                .is_some_and(|rest| rest.trim_start().starts_with('.')) =>
            {
                if let DeValue::Table(t) = value.get_ref() {
                    collect_entries(toml, t, Some(start), inline, found);
                }
            }
            // A `[table]` or `[[array]]`: its entries are below the header.
            _ => match value.get_ref() {
                DeValue::Table(t) => collect_entries(toml, t, None, false, found),
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if let DeValue::Table(t) = item.get_ref() {
                            collect_entries(toml, t, None, false, found);
                        }
                    }
                }
                _ => {}
            },
        }
    }
}

/// Where the dotted key whose last part starts at `last` begins: back over key characters,
/// dots, quotes and blanks, to the line start, a `{` or a `,`.
fn dotted_key_start(toml: &str, last: usize) -> usize {
    let bytes = toml.as_bytes();
    let mut i = last.min(bytes.len());
    while i > 0 {
        let c = bytes[i - 1];
        if c.is_ascii_alphanumeric() || c >= 0x80 || b"_-.\"' \t".contains(&c) {
            i -= 1;
        } else {
            break;
        }
    }
    while i < last && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// The items of a list written inline: each with its comma.
fn collect_items(toml: &str, items: &toml::de::DeArray<'_>, found: &mut Vec<Found>) {
    for item in items.iter() {
        let span = item.span();
        found.push(Found {
            range: span.start..after_comma(toml, span.end),
            field: None,
        });
        match item.get_ref() {
            DeValue::Table(t) => collect_entries(toml, t, None, true, found),
            DeValue::Array(inner) => collect_items(toml, inner, found),
            _ => {}
        }
    }
}

/// Just past the comma that follows byte `end` (after spaces), or `end` when none does.
fn after_comma(toml: &str, end: usize) -> usize {
    let rest = toml.get(end..).unwrap_or("");
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if rest[skipped..].starts_with(',') {
        end + skipped + 1
    } else {
        end
    }
}
