//! Load stage: finds control characters in a content file — raw, or written as a TOML escape
//! (`\f`, `\u0000`) in a quoted string — which no page or feed can show: XML forbids most of
//! them outright, so one in a title would make the Atom feed unreadable.

use crate::diagnostic::Diagnostic;

/// How the file's text is read: as TOML throughout, or as Markdown after TOML front matter
/// that ends at the given byte.
#[derive(Clone, Copy)]
pub enum Syntax {
    Toml,
    FrontMatterThenMarkdown { body_start: usize },
}

/// The first control character in `text` as an `control-character` error at its position.
pub fn check(path: &str, text: &str, syntax: Syntax) -> Option<Diagnostic> {
    if !may_hold_one(text.as_bytes()) {
        return None;
    }
    let toml_end = match syntax {
        Syntax::Toml => text.len(),
        Syntax::FrontMatterThenMarkdown { body_start } => body_start.min(text.len()),
    };
    let (at, len, character, escape) = in_toml(&text[..toml_end]).or_else(|| {
        raw_control(&text[toml_end..]).map(|(at, c)| (toml_end + at, c.len_utf8(), c, None))
    })?;
    let name = name_of(character);
    let message = format!(
        "this text holds a control character (U+{:04X}, {name}), which a web page cannot show \
         and which would break the Atom feed",
        u32::from(character)
    );
    let hint = match escape {
        Some(escape) => format!("remove the escape `{escape}` (write \\n for a line break)"),
        None => "delete it: it is invisible, so delete and retype the text around this \
                 position"
            .to_string(),
    };
    Some(
        Diagnostic::error(path, "control-character", message)
            .at_span(text, at..at + len)
            .with_hint(hint),
    )
}

/// False when `bytes` certainly hold no refused character, raw or escaped: the quick test
/// every file passes through (the exact reading below runs only when this says maybe).
fn may_hold_one(bytes: &[u8]) -> bool {
    let raw = bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f || b == 0xc2);
    raw || memchr::memchr_iter(b'\\', bytes).any(|at| {
        matches!(
            bytes.get(at + 1),
            Some(b'b' | b'f' | b'e' | b'x' | b'u' | b'U')
        )
    })
}

/// True for the characters refused: C0 controls but tab, line feed and carriage return;
/// DEL; C1 controls.
fn is_refused(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || ('\u{80}'..='\u{9f}').contains(&c)
}

fn name_of(c: char) -> &'static str {
    match c {
        '\0' => "null",
        '\u{8}' => "backspace",
        '\u{b}' => "vertical tab",
        '\u{c}' => "form feed",
        '\u{1b}' => "escape",
        '\u{7f}' => "delete",
        _ => "control",
    }
}

fn raw_control(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| is_refused(c))
}

/// Where TOML is read: outside strings, in a comment, or in one of the four kinds of string.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Bare,
    Comment,
    Basic { multiline: bool },
    Literal { multiline: bool },
}

/// The first refused character in TOML text: (byte offset, length in the file, character,
/// the escape that wrote it if any). Escapes count only in basic ("…", """…""") strings.
fn in_toml(text: &str) -> Option<(usize, usize, char, Option<&str>)> {
    let bytes = text.as_bytes();
    let mut place = Place::Bare;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let c = rest.chars().next()?;
        if is_refused(c) {
            return Some((i, c.len_utf8(), c, None));
        }
        let step = match place {
            Place::Bare => match c {
                '#' => {
                    place = Place::Comment;
                    1
                }
                '"' | '\'' => {
                    let multiline = rest.starts_with("\"\"\"") || rest.starts_with("'''");
                    place = if c == '"' {
                        Place::Basic { multiline }
                    } else {
                        Place::Literal { multiline }
                    };
                    if multiline {
                        3
                    } else {
                        1
                    }
                }
                _ => c.len_utf8(),
            },
            Place::Comment => {
                if c == '\n' {
                    place = Place::Bare;
                }
                c.len_utf8()
            }
            Place::Basic { multiline } => {
                if c == '\\' {
                    let (len, decoded) = escape_at(rest);
                    if let Some(decoded) = decoded.filter(|&d| is_refused(d)) {
                        return Some((i, len, decoded, Some(&rest[..len])));
                    }
                    len
                } else if closes(rest, '"', multiline) {
                    place = Place::Bare;
                    if multiline {
                        3
                    } else {
                        1
                    }
                } else {
                    c.len_utf8()
                }
            }
            Place::Literal { multiline } => {
                if closes(rest, '\'', multiline) {
                    place = Place::Bare;
                    if multiline {
                        3
                    } else {
                        1
                    }
                } else {
                    c.len_utf8()
                }
            }
        };
        i += step;
    }
    None
}

/// True when `rest` starts with the end of the string (one quote, or three for multiline).
/// A single-line string also ends at a line break (TOML reports that; stop reading it).
fn closes(rest: &str, quote: char, multiline: bool) -> bool {
    if multiline {
        rest.starts_with(if quote == '"' { "\"\"\"" } else { "'''" })
    } else {
        rest.starts_with(quote) || rest.starts_with('\n')
    }
}

/// The escape at the start of `rest` (which starts with a backslash): its length and the
/// character it writes, if it writes one.
pub fn escape_at(rest: &str) -> (usize, Option<char>) {
    let mut chars = rest.chars().skip(1);
    let Some(kind) = chars.next() else {
        return (1, None);
    };
    let hex = |digits: usize| -> (usize, Option<char>) {
        let code = rest.get(2..2 + digits);
        let decoded = code
            .and_then(|c| u32::from_str_radix(c, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(d) => (2 + digits, Some(d)),
            None => (2, None),
        }
    };
    match kind {
        'b' => (2, Some('\u{8}')),
        'f' => (2, Some('\u{c}')),
        'e' => (2, Some('\u{1b}')),
        'x' => hex(2),
        'u' => hex(4),
        'U' => hex(8),
        other => (1 + other.len_utf8(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<(usize, usize, char, Option<String>)> {
        in_toml(text).map(|(at, len, c, e)| (at, len, c, e.map(str::to_string)))
    }

    #[test]
    fn escapes_in_basic_strings_are_found_with_their_position() {
        assert_eq!(
            found("title = \"Bomb\\fing\"\n"),
            Some((13, 2, '\u{c}', Some("\\f".into())))
        );
        assert_eq!(
            found("title = \"a \\u0000 b\"\n"),
            Some((11, 6, '\0', Some("\\u0000".into())))
        );
        assert_eq!(
            found("summary = \"\"\"\nline \\U0000001b\n\"\"\"\n"),
            Some((19, 10, '\u{1b}', Some("\\U0000001b".into())))
        );
        assert_eq!(found("t = \"\\u0085\"").map(|f| f.2), Some('\u{85}'));
    }

    #[test]
    fn ordinary_escapes_literal_strings_and_comments_pass() {
        for text in [
            "title = \"tab\\there, line\\nthere, \\\"quoted\\\", back\\\\slash \\u00e9\"\n",
            "path = 'C:\\folder\\bin'\n",
            "path = '''\n\\f \\b\n'''\n",
            "# a comment with \\f in it\ntitle = \"x\"\n",
            "title = \"x\" # trailing \\b\n",
            "summary = \"\"\"\nA \"quoted\" word and \\\" then\"\"\"",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }

    #[test]
    fn a_string_ends_where_its_quotes_close() {
        // After the string closes, a backslash is not an escape (it is a TOML error of its own).
        assert_eq!(found("a = \"x\" \nb = 'y\\f'\n"), None);
        assert!(found("summary = \"\"\"\nA \"quoted\" word, then \\f\"\"\"").is_some());
    }

    #[test]
    fn raw_control_characters_are_found_in_toml_and_markdown() {
        let d = check("b.md", "+++\ntitle = \"x\"\n+++\nBody \u{7} bell\n", {
            Syntax::FrontMatterThenMarkdown { body_start: 20 }
        })
        .expect("found");
        assert_eq!(d.kind, "control-character");
        assert!(d.message.contains("U+0007"), "{}", d.message);
        // In a Markdown body a backslash is text, not an escape.
        assert!(check(
            "b.md",
            "+++\ntitle = \"x\"\n+++\nA \\f here\n",
            Syntax::FrontMatterThenMarkdown { body_start: 20 }
        )
        .is_none());
        let d = check("i.toml", "title = \"a\u{1}b\"\n", Syntax::Toml).expect("found");
        assert!(d.hint.as_deref().unwrap_or("").contains("delete it"));
        let d = check("i.toml", "title = \"a\\bb\"\n", Syntax::Toml).expect("found");
        assert!(d.hint.as_deref().unwrap_or("").contains("`\\b`"));
    }
}
