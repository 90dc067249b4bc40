//! Render stage, last step of every page: removes the templates' indentation and blank lines
//! from the HTML in one pass, without parsing it into a tree.
//!
//! A run of whitespace that contains a line break becomes a single line break, which a
//! browser shows exactly as it showed the run (one space, or nothing between blocks). Inside
//! a tag it becomes one space. Left as they are: runs without a line break, quoted attribute
//! values, comments and the content of `pre`, `textarea`, `script` and `style`, where
//! whitespace is meaningful or is not HTML text.

/// Elements whose content is copied verbatim.
const RAW_ELEMENTS: &[&[u8]] = &[b"pre", b"textarea", b"script", b"style"];

/// Returns `html` with its line-breaking whitespace runs collapsed (see the module doc).
pub fn compact(html: &str) -> Vec<u8> {
    let bytes = html.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    // Bytes are copied only where whitespace is dropped: `from` starts the stretch not copied
    // yet. At a line break in text, the spaces before it are dropped and those after it skipped.
    let mut from = 0;
    let mut i = 0;
    while let Some(at) = next_stop(bytes, i, &TEXT_STOPS) {
        if bytes[at] == b'<' {
            i = skip_markup(bytes, at, &mut from, &mut out);
        } else {
            i = break_run(bytes, at, &mut from, &mut out, b'\n');
        }
    }
    out.extend_from_slice(&bytes[from..]);
    out
}

/// The bytes text stops at: markup and line breaks.
static TEXT_STOPS: [bool; 256] = super::byte_set(b"<\n\r");

/// The bytes a tag stops at: its end, quotes and line breaks.
static TAG_STOPS: [bool; 256] = super::byte_set(b">\"'\n\r");

/// Index of the first byte from `from` on that `stops` holds.
fn next_stop(bytes: &[u8], from: usize, stops: &[bool; 256]) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&c| stops[usize::from(c)])
        .map(|p| from + p)
}

/// Replaces the whitespace run around the line break at `at` with `with`: copies what comes
/// before the run, writes `with`, and returns the index after the run (where `from` now is).
fn break_run(bytes: &[u8], at: usize, from: &mut usize, out: &mut Vec<u8>, with: u8) -> usize {
    let mut run_start = at;
    while run_start > *from && is_space(bytes[run_start - 1]) {
        run_start -= 1;
    }
    out.extend_from_slice(&bytes[*from..run_start]);
    out.push(with);
    let end = bytes[at..]
        .iter()
        .position(|&c| !is_space(c))
        .map_or(bytes.len(), |q| at + q);
    *from = end;
    end
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Passes over the markup starting with `<` at `start` (a comment, a tag, or a raw element
/// with its content), collapsing line breaks inside a tag; returns the index after it.
fn skip_markup(bytes: &[u8], start: usize, from: &mut usize, out: &mut Vec<u8>) -> usize {
    if bytes[start..].starts_with(b"<!--") {
        return find(bytes, start + 4, b"-->").map_or(bytes.len(), |p| p + 3);
    }
    let end = skip_tag(bytes, start, from, out);
    match raw_element(&bytes[start + 1..end]) {
        // Verbatim up to the matching end tag, which is then read as a tag.
        Some(name) => find_end_tag(bytes, end, name).unwrap_or(bytes.len()),
        None => end,
    }
}

/// Passes over one tag, from `<` to its `>`, collapsing line-breaking whitespace between its
/// attributes to one space and leaving quoted values alone; returns the index after it.
fn skip_tag(bytes: &[u8], start: usize, from: &mut usize, out: &mut Vec<u8>) -> usize {
    let mut i = start + 1;
    while let Some(at) = next_stop(bytes, i, &TAG_STOPS) {
        match bytes[at] {
            b'>' => return at + 1,
            quote @ (b'"' | b'\'') => {
                i = memchr::memchr(quote, &bytes[at + 1..]).map_or(bytes.len(), |q| at + 1 + q + 1);
            }
            _ => i = break_run(bytes, at, from, out, b' '),
        }
    }
    bytes.len()
}

/// The raw element a start tag (its bytes between `<` and `>`) opens, if any.
fn raw_element(tag: &[u8]) -> Option<&'static [u8]> {
    RAW_ELEMENTS.iter().copied().find(|name| {
        tag.len() >= name.len()
            && tag[..name.len()].eq_ignore_ascii_case(name)
            && tag
                .get(name.len())
                .is_none_or(|&c| is_space(c) || c == b'>' || c == b'/')
    })
}

/// Index of the `</name` that closes a raw element, searching from `from`.
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(p) = find(bytes, i, b"</") {
        let rest = &bytes[p + 2..];
        if rest.len() >= name.len()
            && rest[..name.len()].eq_ignore_ascii_case(name)
            && rest
                .get(name.len())
                .is_none_or(|&c| is_space(c) || c == b'>' || c == b'/')
        {
            return Some(p);
        }
        i = p + 2;
    }
    None
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::compact;
    use proptest::prelude::*;

    fn c(s: &str) -> String {
        String::from_utf8(compact(s)).unwrap()
    }

    /// The module doc read literally, one character at a time: what `compact` must equal.
    fn reference(html: &str) -> String {
        let chars: Vec<char> = html.chars().collect();
        let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c');
        let starts = |i: usize, s: &str| {
            let t: String = chars[i..].iter().take(s.chars().count()).collect();
            t.eq_ignore_ascii_case(s)
        };
        // Copies the whitespace run starting at `i`, or `with` for it if it has a line break;
        // returns its end.
        let run = |i: usize, with: char, out: &mut String| {
            let end = (i..chars.len())
                .find(|&j| !space(chars[j]))
                .unwrap_or(chars.len());
            if chars[i..end].iter().any(|&c| c == '\n' || c == '\r') {
                out.push(with);
            } else {
                out.extend(&chars[i..end]);
            }
            end
        };
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            if space(chars[i]) {
                i = run(i, '\n', &mut out);
            } else if starts(i, "<!--") {
                let end = (i + 4..chars.len())
                    .find(|&j| starts(j, "-->"))
                    .map_or(chars.len(), |j| j + 3);
                out.extend(&chars[i..end]);
                i = end;
            } else if chars[i] == '<' {
                let start = i;
                out.push('<');
                i += 1;
                while i < chars.len() && chars[i] != '>' {
                    if chars[i] == '"' || chars[i] == '\'' {
                        let end = (i + 1..chars.len())
                            .find(|&j| chars[j] == chars[i])
                            .map_or(chars.len(), |j| j + 1);
                        out.extend(&chars[i..end]);
                        i = end;
                    } else if space(chars[i]) {
                        i = run(i, ' ', &mut out);
                    } else {
                        out.push(chars[i]);
                        i += 1;
                    }
                }
                if i < chars.len() {
                    out.push('>');
                    i += 1;
                }
                // A raw element's content is copied up to its end tag.
                let ends_name = |j: usize| {
                    j >= chars.len() || space(chars[j]) || chars[j] == '>' || chars[j] == '/'
                };
                for name in ["pre", "textarea", "script", "style"] {
                    if starts(start + 1, name) && ends_name(start + 1 + name.len()) {
                        let close = format!("</{name}");
                        let end = (i..chars.len())
                            .find(|&j| starts(j, &close) && ends_name(j + close.len()))
                            .unwrap_or(chars.len());
                        out.extend(&chars[i..end]);
                        i = end;
                    }
                }
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn compact_is_the_module_doc_read_literally(
            html in "(<|>|\"|'| |\t|\n|\r|\x0c|a|é|/|=|<!--|-->|pre|PRE|script|</pre>|<pre>|<style>|</style >|<b\n c='d'>){0,40}"
        ) {
            prop_assert_eq!(c(&html), reference(&html));
        }
    }

    #[test]
    fn indentation_and_blank_lines_become_one_line_break() {
        assert_eq!(
            c("<ul>\n  <li>a</li>\n\n    <li>b</li>\n</ul>\n"),
            "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        );
    }

    #[test]
    fn spaces_before_a_line_break_go_wherever_the_text_started() {
        assert_eq!(c("<b>x</b>   \n  y"), "<b>x</b>\ny");
        assert_eq!(c("<i>\t \n</i>"), "<i>\n</i>");
        assert_eq!(c("a \r\n\r\n b<br>\n"), "a\nb<br>\n");
        assert_eq!(c("<pre> x </pre>  \n z"), "<pre> x </pre>\nz");
    }

    #[test]
    fn spaces_without_a_line_break_are_kept() {
        assert_eq!(c("<p>a  b <b>c</b> d</p>"), "<p>a  b <b>c</b> d</p>");
    }

    #[test]
    fn tags_split_over_lines_keep_one_space_and_quoted_values_stay() {
        assert_eq!(
            c("<a\n   href=\"x\n  y\"\n   title='p\n q'>t</a>"),
            "<a href=\"x\n  y\" title='p\n q'>t</a>"
        );
        // A `>` inside a quoted value does not end the tag; spaces without a break stay.
        assert_eq!(
            c("<a  title=\"a>b\"\n\t href='c'  >\n t</a>"),
            "<a  title=\"a>b\" href='c'  >\nt</a>"
        );
        assert_eq!(c("<a\r\n  b"), "<a b");
    }

    #[test]
    fn raw_elements_and_comments_are_verbatim() {
        let pre = "<pre>\n  code\n    more\n</pre>\n  <p>x</p>";
        assert_eq!(c(pre), "<pre>\n  code\n    more\n</pre>\n<p>x</p>");
        let script = "<script>\n  if (a < b) {\n    x();\n  }\n</script >\n <i>y</i>";
        assert_eq!(
            c(script),
            "<script>\n  if (a < b) {\n    x();\n  }\n</script >\n<i>y</i>"
        );
        assert_eq!(c("<!-- a\n\n  b -->\n  <p>"), "<!-- a\n\n  b -->\n<p>");
        assert_eq!(
            c("<PRE class=\"x\">\n  a\n</Pre>\n  b"),
            "<PRE class=\"x\">\n  a\n</Pre>\nb"
        );
        // A tag that only starts like a raw element is not one.
        assert_eq!(c("<prefix>\n  a</prefix>"), "<prefix>\na</prefix>");
    }

    #[test]
    fn unterminated_markup_is_copied_to_the_end() {
        assert_eq!(c("<p>a</p>\n  <pre>\n  x"), "<p>a</p>\n<pre>\n  x");
        assert_eq!(c("<a href=\"x"), "<a href=\"x");
        assert_eq!(c("a <!-- b"), "a <!-- b");
    }

    #[test]
    fn text_is_unchanged_apart_from_whitespace() {
        let s = "<p>Ünïcode — “quotes” &amp; &lt;tags&gt;</p>";
        assert_eq!(c(s), s);
    }
}
