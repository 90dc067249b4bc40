//! Markdown checks: raw HTML that the sanitizer would strip, and internal links that lead to
//! no page of the built site.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use pulldown_cmark::{Event, Parser, Tag};
use toml::Spanned;

use crate::content::{Loaded, RawContent, SourceText};
use crate::diagnostic::Diagnostic;

/// Warnings for raw HTML in a Markdown TOML string field.
pub fn raw_html_warnings<T>(loaded: &Loaded<T>, field: &Spanned<String>) -> Vec<Diagnostic> {
    raw_html_in_text(
        loaded,
        field.get_ref(),
        string_content_offset(loaded, field),
    )
}

/// Warnings for raw HTML in Markdown that starts at byte `offset` of the file.
pub fn raw_html_in_text<T>(loaded: &Loaded<T>, markdown: &str, offset: usize) -> Vec<Diagnostic> {
    let allowed = crate::render::markdown::allowed_tags();
    let mut out = Vec::new();
    for (event, range) in
        Parser::new_ext(markdown, crate::render::markdown::options()).into_offset_iter()
    {
        let html = match event {
            Event::Html(h) | Event::InlineHtml(h) => h,
            _ => continue,
        };
        if let Some(why) = stripped_reason(&html, allowed) {
            out.push(
                Diagnostic::warning(&loaded.source.path, "raw-html-stripped", format!("raw HTML will be removed: {why}"))
                    .at(&loaded.source.text, file_offset(&loaded.source.text, offset, markdown, range.start))
                    .with_snippet(html.lines().next().unwrap_or("").trim().to_string())
                    .with_hint("use Markdown instead; scripts, event handlers, styles, frames and javascript:/data: links are never published"),
            );
        }
    }
    out
}

/// Why the sanitizer would change this HTML fragment, if it would.
fn stripped_reason(html: &str, allowed: &BTreeSet<&'static str>) -> Option<String> {
    let lower = html.to_lowercase();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with('/') {
            // A closing tag: its opening tag is the one reported.
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            if rest.starts_with("!--") {
                continue;
            }
            continue;
        }
        if !allowed.contains(name.as_str()) {
            return Some(format!("the <{name}> tag is not allowed"));
        }
    }
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("javascript:")
        || compact.contains("vbscript:")
        || compact.contains("=\"data:")
        || compact.contains("='data:")
        || compact.contains("=data:")
    {
        return Some("script or data: URLs are not allowed".into());
    }
    if lower
        .split(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
        .any(|w| w.starts_with("on") && w.contains('='))
    {
        return Some("event-handler attributes (on…) are not allowed".into());
    }
    if compact.contains("style=") {
        return Some("style attributes are not allowed".into());
    }
    None
}

/// Byte offset in the file of byte `at` of `markdown`, a text whose content starts at byte
/// `start` of the file `text`: the same distance on, unless the file wrote it with TOML
/// escapes (`\"`, `\u00e9`, a line-ending backslash), which are read through.
fn file_offset(text: &str, start: usize, markdown: &str, at: usize) -> usize {
    let raw = text.get(start..).unwrap_or("");
    if raw.as_bytes().starts_with(markdown.as_bytes()) {
        return start + at;
    }
    let (mut r, mut d) = (0, 0);
    let bytes = raw.as_bytes();
    while d < at && r < bytes.len() {
        if bytes[r] != b'\\' {
            let width = raw[r..].chars().next().map_or(1, char::len_utf8);
            r += width;
            d += width;
            continue;
        }
        match bytes.get(r + 1) {
            // A line-ending backslash: it and the whitespace after it are not in the text.
            Some(b' ' | b'\t' | b'\r' | b'\n') => {
                r += 1;
                while r < bytes.len() && matches!(bytes[r], b' ' | b'\t' | b'\r' | b'\n') {
                    r += 1;
                }
            }
            // Any other escape writes one character (`\"` or `\n` one byte).
            _ => {
                let (len, written) = crate::content::escape_at(&raw[r..]);
                r += len;
                d += written.map_or(1, char::len_utf8);
            }
        }
    }
    start + r
}

/// Byte offset in the file where a TOML string's content starts (after `"""` and a newline).
fn string_content_offset<T>(loaded: &Loaded<T>, field: &Spanned<String>) -> usize {
    let start = loaded.offset + field.span().start;
    let text = &loaded.source.text;
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .iter()
        .find(|q| text[start.min(text.len())..].starts_with(*q))
        .map_or(0, |q| q.len());
    let mut pos = start + quote;
    if quote == 3 && text[pos.min(text.len())..].starts_with('\n') {
        pos += 1;
    } else if quote == 3 && text[pos.min(text.len())..].starts_with("\r\n") {
        pos += 2;
    }
    pos
}

/// Internal links in every Markdown text that lead to no page or file of the built site.
/// `paths` are site-relative output paths such as `incidents/x/index.html`.
pub fn check_markdown_links(raw: &RawContent, paths: &BTreeSet<String>) -> Vec<Diagnostic> {
    MarkdownLinks::of(raw).check(&|path| paths.contains(path))
}

/// The links of every Markdown text, found before the site is rendered, so the content they
/// came from need not be kept until the output paths are known (`generate` drops it early).
pub struct MarkdownLinks {
    found: Vec<Found>,
}

impl MarkdownLinks {
    /// Scans every Markdown text of `raw`, in the order `check_markdown_links` reports them.
    pub fn of(raw: &RawContent) -> MarkdownLinks {
        use rayon::prelude::*;
        let mut texts = Vec::new();
        each_text(raw, &mut |source, markdown, offset| {
            texts.push((source, markdown, offset));
        });
        // Scanned in parallel, kept in order.
        let found: Vec<Vec<Found>> = texts
            .par_iter()
            .with_max_len(crate::FILES_PER_TASK)
            .map(|(source, markdown, offset)| scan_text(source, markdown, *offset))
            .collect();
        MarkdownLinks {
            found: found.into_iter().flatten().collect(),
        }
    }

    /// What `check_markdown_links` reports, with `exists` telling which site-relative output
    /// paths exist.
    pub fn check(&self, exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        report(&self.found, exists, &mut out);
        out
    }
}

/// Calls `f` with every Markdown text of `raw`: its file, the text and its offset in the file.
fn each_text<'a>(raw: &'a RawContent, f: &mut dyn FnMut(&'a Arc<SourceText>, &'a str, usize)) {
    for l in &raw.incidents {
        f(
            &l.source,
            l.value.summary.get_ref(),
            string_content_offset(l, &l.value.summary),
        );
    }
    for l in &raw.actors {
        if let Some(d) = &l.value.description {
            f(&l.source, d.get_ref(), string_content_offset(l, d));
        }
    }
    for l in &raw.briefs {
        f(
            &l.source,
            &l.value.body,
            l.source.text.len() - l.value.body.len(),
        );
    }
    for l in &raw.region_notes {
        f(
            &l.source,
            &l.value.body,
            l.source.text.len() - l.value.body.len(),
        );
    }
}

/// What a Markdown link is: a finding whatever the site holds (an unsafe or relative link),
/// or an internal link (its site path) with the diagnostic it gets when it leads nowhere.
#[derive(Debug, Clone)]
enum Found {
    Always(Diagnostic),
    Internal(String, Diagnostic),
}

/// The links found in each Markdown text, kept between `serve` builds: a text is parsed again
/// only when its file was read again.
#[derive(Default)]
pub struct MarkdownLinkMemo {
    /// By file and the offset of the text in it.
    texts: HashMap<(String, usize), MemoEntry>,
    pass: u64,
}

struct MemoEntry {
    source: Arc<SourceText>,
    found: Vec<Found>,
    /// The last check that saw the text.
    pass: u64,
}

/// `check_markdown_links` with `exists` telling which site-relative output paths exist, and
/// the links of texts unchanged since the last call taken from `memo`.
pub fn check_markdown_links_memo(
    raw: &RawContent,
    exists: &dyn Fn(&str) -> bool,
    memo: &mut MarkdownLinkMemo,
) -> Vec<Diagnostic> {
    memo.pass += 1;
    let pass = memo.pass;
    let mut out = Vec::new();
    let mut check = |source: &Arc<SourceText>, markdown: &str, offset: usize| {
        let key = (source.path.clone(), offset);
        let entry = memo
            .texts
            .entry(key)
            .and_modify(|entry| {
                if !Arc::ptr_eq(&entry.source, source) {
                    entry.source = source.clone();
                    entry.found = scan_text(source, markdown, offset);
                }
            })
            .or_insert_with(|| MemoEntry {
                source: source.clone(),
                found: scan_text(source, markdown, offset),
                pass,
            });
        entry.pass = pass;
        report(&entry.found, exists, &mut out);
    };
    each_text(raw, &mut check);
    memo.texts.retain(|_, entry| entry.pass == pass);
    out
}

fn report(found: &[Found], exists: &dyn Fn(&str) -> bool, out: &mut Vec<Diagnostic>) {
    for f in found {
        match f {
            Found::Always(d) => out.push(d.clone()),
            Found::Internal(path, d) => {
                if !resolves_with(path, exists) {
                    out.push(d.clone());
                }
            }
        }
    }
}

fn scan_text(source: &SourceText, markdown: &str, offset: usize) -> Vec<Found> {
    let mut out = Vec::new();
    for (event, range) in
        Parser::new_ext(markdown, crate::render::markdown::options()).into_offset_iter()
    {
        let (dest_url, image) = match event {
            Event::Start(Tag::Link { dest_url, .. }) => (dest_url, false),
            Event::Start(Tag::Image { dest_url, .. }) => (dest_url, true),
            Event::Html(html) | Event::InlineHtml(html) => {
                for src in off_site_img_sources(&html) {
                    out.push(Found::Always(off_site_image(
                        source,
                        file_offset(&source.text, offset, markdown, range.start),
                        &src,
                    )));
                }
                continue;
            }
            _ => continue,
        };
        let dest = dest_url.trim();
        let diag = |kind, message: String, hint: &str| {
            Diagnostic::error(&source.path, kind, message)
                .at(
                    &source.text,
                    file_offset(&source.text, offset, markdown, range.start),
                )
                .with_snippet(dest.to_string())
                .with_hint(hint.to_string())
        };
        let off_site =
            matches!(url_scheme(dest).as_deref(), Some("http" | "https")) || dest.starts_with("//");
        if image && off_site {
            out.push(Found::Always(off_site_image(
                source,
                file_offset(&source.text, offset, markdown, range.start),
                dest,
            )));
            continue;
        }
        match url_scheme(dest) {
            Some(scheme) if matches!(scheme.as_str(), "http" | "https" | "mailto") => continue,
            Some(scheme) => {
                out.push(Found::Always(diag("unsafe-link", format!("link '{dest}' uses the {scheme}: scheme, which is removed when published"), "link only to http(s) pages, mailto: addresses or site pages (/incidents/<id>/)").into_warning()));
                continue;
            }
            None if dest.starts_with('#') || dest.starts_with("//") => continue,
            None => {}
        }
        let Some(site_path) = dest.strip_prefix('/') else {
            out.push(Found::Always(diag("relative-link", format!("link '{dest}' is relative"), "start internal links with / (e.g. /incidents/<id>/); the build adds the site's base path").into_warning()));
            continue;
        };
        let path = site_path.split(['#', '?']).next().unwrap_or("");
        out.push(Found::Internal(path.to_string(), diag("broken-link", format!("link '{dest}' leads to no page of the site"), "check the id or slug; pages are /incidents/<id>/, /briefs/<slug>/, /actors/<slug>/, /regions/<province>/<district>/")));
    }
    out
}

/// An image from another host: the site makes no request to other hosts, and its
/// Content-Security-Policy would block the image, leaving a broken one on the page.
fn off_site_image(source: &SourceText, at: usize, src: &str) -> Diagnostic {
    Diagnostic::error(
        &source.path,
        "off-site-image",
        format!("image '{src}' is on another host; the site loads nothing from other hosts, so it would show as broken"),
    )
    .at(&source.text, at)
    .with_snippet(src.to_string())
    .with_hint("copy the image into the theme's static/ folder and write ![description](/static/…), or link to it: [description](https://…)")
}

/// The `src` of every `<img>` in a fragment of raw HTML that points to another host.
fn off_site_img_sources(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices("<img") {
        let tag_end = lower[at..].find('>').map_or(lower.len(), |e| at + e);
        let Some(src) = lower[at..tag_end].find("src=").map(|p| at + p + 4) else {
            continue;
        };
        let value = html[src..tag_end].trim_start_matches(['"', '\'']);
        let value = value
            .split(|c: char| c == '"' || c == '\'' || c.is_whitespace())
            .next()
            .unwrap_or("");
        let lower_value = value.to_ascii_lowercase();
        if lower_value.starts_with("http:")
            || lower_value.starts_with("https:")
            || lower_value.starts_with("//")
        {
            found.push(value.to_string());
        }
    }
    found
}

/// The lower-case scheme of an absolute URL (`javascript` in `JavaScript:x`), if it has one.
fn url_scheme(url: &str) -> Option<String> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Whether a site-relative path names an output file or a folder with an index.html.
fn resolves_with(path: &str, exists: &dyn Fn(&str) -> bool) -> bool {
    if path.is_empty() {
        return true;
    }
    let trimmed = path.trim_end_matches('/');
    exists(path) || exists(&format!("{trimmed}/index.html"))
}

trait IntoWarning {
    fn into_warning(self) -> Self;
}

impl IntoWarning for Diagnostic {
    fn into_warning(mut self) -> Self {
        self.severity = crate::diagnostic::Severity::Warning;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_read_through_toml_escapes() {
        let file = "summary = \"The \\\"A\\\" report blames [x](/a/).\"\n";
        let markdown = "The \"A\" report blames [x](/a/).";
        let start = file.find("The").unwrap();
        let link = markdown.find('[').unwrap();
        assert_eq!(&file[file_offset(file, start, markdown, link)..][..1], "[");
        let file = "summary = \"\"\"\nOne \\\n    two \\u00e9 [x](/a/)\"\"\"\n";
        let markdown = "One two é [x](/a/)";
        let start = file.find("One").unwrap();
        let link = markdown.find('[').unwrap();
        assert_eq!(&file[file_offset(file, start, markdown, link)..][..1], "[");
        // Without escapes, the same distance on.
        assert_eq!(file_offset("abc [x](/a/)", 0, "abc [x](/a/)", 4), 4);
    }

    #[test]
    fn finds_images_on_other_hosts() {
        assert_eq!(
            off_site_img_sources(
                r#"<p><IMG alt="x" SRC="https://evil.example/p.png"> <img src='//cdn.example/a.png'> <img src="/static/ok.png"></p>"#
            ),
            vec!["https://evil.example/p.png", "//cdn.example/a.png"]
        );
        let source = SourceText {
            path: "content/briefs/b.md".into(),
            text: "![a](https://x.example/a.png) ![b](/static/b.png) [c](https://x.example/)"
                .into(),
        };
        let found = scan_text(&source, &source.text, 0);
        let off_site: Vec<_> = found
            .iter()
            .filter_map(|f| match f {
                Found::Always(d) if d.kind == "off-site-image" => Some(d.snippet.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(off_site, vec![Some("https://x.example/a.png".to_string())]);
    }

    #[test]
    fn detects_stripped_html() {
        let allowed = crate::render::markdown::allowed_tags();
        assert!(stripped_reason("<script>alert(1)</script>", allowed).is_some());
        assert!(stripped_reason("<img src=x onerror=alert(1)>", allowed).is_some());
        assert!(stripped_reason("<a href=\"javascript:alert(1)\">x</a>", allowed).is_some());
        assert!(stripped_reason("<iframe src=x>", allowed).is_some());
        assert!(stripped_reason("<b>bold</b>", allowed).is_none());
    }

    #[test]
    fn schemes() {
        assert_eq!(
            url_scheme("JavaScript:alert(1)").as_deref(),
            Some("javascript")
        );
        assert_eq!(url_scheme("https://x.org/a:b").as_deref(), Some("https"));
        assert_eq!(url_scheme("/incidents/a:b/"), None);
        assert_eq!(url_scheme("map/"), None);
    }

    #[test]
    fn the_memo_gives_what_a_fresh_check_gives() {
        let root =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal");
        let (raw, _) = crate::content::load(&root);
        let all: BTreeSet<String> = raw
            .incidents
            .iter()
            .map(|l| format!("incidents/{}/index.html", l.slug))
            .chain(
                raw.actors
                    .iter()
                    .map(|l| format!("actors/{}/index.html", l.slug)),
            )
            .chain(
                raw.briefs
                    .iter()
                    .map(|l| format!("briefs/{}/index.html", l.slug)),
            )
            .collect();
        let none = BTreeSet::new();
        assert!(
            !check_markdown_links(&raw, &none).is_empty(),
            "the fixture has links"
        );
        let mut memo = MarkdownLinkMemo::default();
        for paths in [&none, &all, &none, &all] {
            let fresh = check_markdown_links(&raw, paths);
            let kept = check_markdown_links_memo(&raw, &|p| paths.contains(p), &mut memo);
            assert_eq!(fresh, kept);
        }
        assert!(!memo.texts.is_empty());
    }

    #[test]
    fn resolves_pages_and_files() {
        let paths: BTreeSet<String> = ["incidents/a/index.html", "data/incidents.csv"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let resolves = |p: &str| resolves_with(p, &|q| paths.contains(q));
        assert!(resolves("incidents/a/"));
        assert!(resolves("incidents/a"));
        assert!(resolves("data/incidents.csv"));
        assert!(!resolves("incidents/b/"));
    }
}
