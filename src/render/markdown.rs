//! Markdown to safe HTML: CommonMark with tables and footnotes, site-relative links given the
//! base path, raw HTML sanitized (no scripts, handlers, styles, frames or unsafe URLs).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// The Markdown extensions the site accepts.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("noopener noreferrer"))
            .add_generic_attributes(["id"])
            .id_prefix(Some("md-"))
            .strip_comments(true);
        b
    })
}

/// Tags that survive sanitizing.
pub fn allowed_tags() -> &'static BTreeSet<&'static str> {
    static TAGS: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    TAGS.get_or_init(|| sanitizer().clone_tags().into_iter().collect())
}

/// Renders Markdown to sanitized HTML. Links starting with `/` get `base_path` instead.
pub fn to_html(markdown: &str, base_path: &str) -> String {
    to_html_and_text_prefix(markdown, base_path, 0).0
}

/// `to_html` and `text_prefix` from one reading of the Markdown (an incident page shows its
/// summary and describes itself by the summary's first words).
pub fn to_html_and_text_prefix(markdown: &str, base_path: &str, limit: usize) -> (String, String) {
    let mut text = Words::new(markdown, limit);
    let mut plain = true;
    let parser = Parser::new_ext(markdown, options()).map(|event| {
        if text.room > 0 {
            text.take(&event);
        }
        let event = rebased(event, base_path);
        if let Some(tag) = plain_link(&event) {
            return Event::InlineHtml(tag.into());
        }
        plain = plain && is_plain(&event);
        event
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    let html = if plain { raw } else { sanitize(&raw) };
    (html, text.out)
}

/// The start tag the sanitizer makes of a link with no title to a site path, an anchor or
/// a web address made of characters that need no escaping, written without it; `None` for
/// any other event.
fn plain_link(event: &Event) -> Option<String> {
    let Event::Start(Tag::Link {
        link_type,
        dest_url,
        title,
        ..
    }) = event
    else {
        return None;
    };
    let url = dest_url.as_ref();
    let allowed = (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with('#')
        || url.starts_with("https://")
        || url.starts_with("http://");
    let unescaped = url
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~:#?=%+@,".contains(&b));
    (allowed && unescaped && title.is_empty() && *link_type != LinkType::Email)
        .then(|| format!("<a href=\"{url}\" rel=\"noopener noreferrer\">"))
}

/// HTML written from Markdown, sanitized.
fn sanitize(raw: &str) -> String {
    sanitizer().clean(raw).to_string()
}

/// True for an event whose HTML the sanitizer would leave byte for byte as it is: prose,
/// emphasis, code spans, lists, quotes and headings, with their text escaped, and the end of
/// a link (its start is `plain_link`'s). Anything else (raw HTML, other links, images, tables,
/// footnotes, code blocks, rules, line breaks, and text with a no-break space, carriage return
/// or NUL, which the sanitizer's serializer writes differently) sends the whole document
/// through the sanitizer. Most briefs and summaries are plain prose and skip it.
fn is_plain(event: &Event) -> bool {
    match event {
        Event::Start(tag) => match tag {
            Tag::Paragraph
            | Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::List(_)
            | Tag::Item
            | Tag::BlockQuote(None) => true,
            Tag::Heading {
                id: None,
                classes,
                attrs,
                ..
            } => classes.is_empty() && attrs.is_empty(),
            _ => false,
        },
        Event::End(end) => matches!(
            end,
            TagEnd::Paragraph
                | TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::List(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(None)
                | TagEnd::Heading(_)
                | TagEnd::Link
        ),
        Event::Text(text) | Event::Code(text) => !text.contains(['\u{a0}', '\r', '\0']),
        Event::SoftBreak => true,
        _ => false,
    }
}

/// Links and images starting with `/` get `base_path` instead.
fn rebased<'a>(event: Event<'a>, base_path: &str) -> Event<'a> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: rebase(dest_url, base_path),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: rebase(dest_url, base_path),
            title,
            id,
        }),
        other => other,
    }
}

/// Plain text of Markdown (for feeds, meta descriptions and data downloads): its words, one
/// space between each; the end of a block (paragraph, item, heading, cell) parts words, the
/// end of emphasis or a link does not (`a**b**c` is `abc`).
pub fn to_text(markdown: &str) -> String {
    text_prefix(markdown, usize::MAX)
}

/// The first `limit` characters of `to_text(markdown)`, reading no further than they need.
pub fn text_prefix(markdown: &str, limit: usize) -> String {
    let mut text = Words::new(markdown, limit);
    for event in Parser::new_ext(markdown, options()) {
        if text.take(&event) {
            break;
        }
    }
    text.out
}

/// Words gathered one space apart, up to a number of characters.
struct Words {
    out: String,
    /// Characters that may still be added.
    room: usize,
    /// Whether a space goes before the next word.
    gap: bool,
    /// Inside inline `<script>` or `<style>`: its text is code the sanitizer removes, not words.
    in_raw: bool,
}

impl Words {
    fn new(markdown: &str, limit: usize) -> Words {
        Words {
            out: String::with_capacity(markdown.len().min(limit.saturating_mul(4))),
            room: limit,
            gap: false,
            in_raw: false,
        }
    }

    /// Adds the words an event of the Markdown carries; true once there is no room left.
    fn take(&mut self, event: &Event) -> bool {
        match event {
            Event::InlineHtml(html) => {
                let tag = html.trim_start_matches('<').to_ascii_lowercase();
                if tag.starts_with("script") || tag.starts_with("style") {
                    self.in_raw = true;
                } else if tag.starts_with("/script") || tag.starts_with("/style") {
                    self.in_raw = false;
                }
                false
            }
            Event::Text(_) | Event::Code(_) if self.in_raw => false,
            Event::Text(t) | Event::Code(t) => self.add(t),
            Event::End(end) if !is_inline(end) => self.add(" "),
            Event::SoftBreak | Event::HardBreak => self.add(" "),
            _ => false,
        }
    }

    /// Adds the words of `text`; true once there is no room left.
    fn add(&mut self, text: &str) -> bool {
        for c in text.chars() {
            if c.is_whitespace() {
                self.gap = true;
                continue;
            }
            if self.gap && !self.out.is_empty() {
                if self.room == 0 {
                    return true;
                }
                self.out.push(' ');
                self.room -= 1;
            }
            self.gap = false;
            if self.room == 0 {
                return true;
            }
            self.out.push(c);
            self.room -= 1;
        }
        self.room == 0
    }
}

/// True for the end of a span inside a line of text (emphasis, a link): no word break.
fn is_inline(end: &TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

fn rebase<'a>(url: CowStr<'a>, base_path: &str) -> CowStr<'a> {
    match url.strip_prefix('/') {
        Some(rest) if !rest.starts_with('/') => CowStr::from(format!("{base_path}{rest}")),
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebases_site_links() {
        let html = to_html(
            "[map](/map/) [ext](https://x.org/) [proto](//evil.org/)",
            "/atlas/",
        );
        assert!(html.contains("href=\"/atlas/map/\""), "{html}");
        assert!(html.contains("href=\"https://x.org/\""));
    }

    #[test]
    fn the_text_of_an_inline_script_is_no_word_of_the_description() {
        assert_eq!(
            text_prefix(
                "A bomb <script>alert(3)</script> went off. <b>Two</b> died.",
                100
            ),
            "A bomb went off. Two died."
        );
    }

    #[test]
    fn strips_dangerous_html() {
        let html = to_html(
            "<script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">x</a><iframe src=x></iframe>\n\n[y](javascript:alert(1)) ![z](data:text/html,x)",
            "/",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains(">y</a>"), "the link text stays: {html}");
    }

    /// Every document's HTML is what the sanitizer makes of pulldown-cmark's, byte for byte,
    /// whether it skipped the sanitizer or not: checked on the atlas's own content files and
    /// on thousands of documents pieced together from tricky fragments.
    #[test]
    fn plain_documents_are_what_the_sanitizer_would_make() {
        const PIECES: &[&str] = &[
            "word",
            "two words",
            "*em*",
            "**strong**",
            "_u_",
            "***both***",
            "`code`",
            "`a<b>&c`",
            "~~del~~",
            "\n",
            "\n\n",
            "- item\n",
            "* item\n",
            "1. one\n",
            "3. three\n",
            "> quote\n",
            "# Head\n",
            "## Two\n",
            "Setext\n---\n",
            "&amp;",
            "&",
            "<",
            ">",
            "\"",
            "'",
            "&nbsp;",
            "\u{a0}",
            "&#0;",
            "\u{0}",
            "ünï — «x»",
            "\r\n",
            "\r",
            "  \n",
            "\\\n",
            "[link](/x/)",
            "<b>x</b>",
            "<script>x</script>",
            "---\n",
            "    code\n",
            "```\nc\n```\n",
            "| a | b |\n|---|---|\n| c | d |\n",
            "[^1]",
            "[^1]: note\n",
            "\t",
            "\\*",
            "&#x2028;",
            "\u{feff}",
            "\u{1}",
            "\u{7f}",
            "\u{85}",
            "<!-- c -->",
            "<https://a.b/>",
            "http://a.b/",
            "&lt;p&gt;",
            "&quot;",
            "![i](/i.png)",
            " ",
            "  - nested\n",
            "> - quoted item\n",
            "\n\n2. two\n",
            "[ext](https://a.b/c?d=e#f)",
            "[t](/x/ \"title\")",
            "[e](mailto:a@b.c)",
            "<a@b.c>",
            "[j](javascript:alert(1))",
            "[p](//evil.org/)",
            "[q](/a'b)",
            "[amp](/a?b=1&c=2)",
            "[sp](</a b>)",
            "[u](/ü)",
            "[h](#top)",
            "[r][ref]",
            "\n\n[ref]: /r/\n",
            "[**b** `c`](/actors/x/)",
            "[H](HTTPS://A.B/)",
            "[n](/a%20b)",
        ];
        let mut documents: Vec<String> = Vec::new();
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..3000 {
            let len = 1 + next(12);
            documents.push((0..len).map(|_| PIECES[next(PIECES.len())]).collect());
        }
        let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        for entry in walkdir::WalkDir::new(content).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                // A whole file, and each of its paragraphs, as Markdown.
                documents.extend(text.split("\n\n").map(str::to_string));
                documents.push(text);
            }
        }
        let mut skipped = 0;
        for markdown in &documents {
            // What the sanitizer makes of the Markdown's HTML is what the page gets, whichever
            // way it was made.
            let events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
            let mut raw = String::new();
            html::push_html(&mut raw, events.iter().cloned());
            assert_eq!(
                to_html(markdown, "/"),
                sanitize(&raw),
                "Markdown: {markdown:?}"
            );
            if events
                .iter()
                .all(|e| plain_link(e).is_some() || is_plain(e))
            {
                skipped += 1;
            }
        }
        // Both ways are taken often enough to be tested.
        assert!(
            skipped > documents.len() / 10,
            "{skipped} of {}",
            documents.len()
        );
        assert!(
            skipped < documents.len() * 9 / 10,
            "{skipped} of {}",
            documents.len()
        );
    }

    #[test]
    fn text_of_markdown() {
        assert_eq!(to_text("A *b*\n\nc `d`"), "A b c d");
        assert_eq!(to_text("  x\u{a0}y **z**  \n\n- a\n- b\n"), "x y z a b");
        assert_eq!(to_text(""), "");
        // Emphasis and links inside a word do not split it; blocks and cells part words.
        assert_eq!(to_text("a**b**c, [TTP](/x/)'s d~~e~~"), "abc, TTP's de");
        assert_eq!(
            to_text("# T\n\n| a | b |\n|---|---|\n| c | d |\n"),
            "T a b c d"
        );
        // A prefix is the full text's first characters.
        let md = "Ünï *code* and `more`\n\n- a list\n- of things, and a [link](/x/) too";
        let full: Vec<char> = to_text(md).chars().collect();
        for limit in 0..full.len() + 3 {
            let want: String = full.iter().take(limit).collect();
            assert_eq!(text_prefix(md, limit), want, "limit {limit}");
            let (html, prefix) = to_html_and_text_prefix(md, "/", limit);
            assert_eq!(prefix, want, "limit {limit}");
            assert_eq!(html, to_html(md, "/"));
        }
    }
}
