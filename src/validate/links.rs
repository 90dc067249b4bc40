//! Markdown checks: raw HTML that the sanitizer would strip, and internal links that lead to
//! no page of the built site.

use std::collections::BTreeSet;

use pulldown_cmark::{Event, Parser, Tag};
use toml::Spanned;

use crate::content::{Loaded, RawContent};
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
        if let Some(why) = stripped_reason(&html, &allowed) {
            out.push(
                Diagnostic::warning(&loaded.source.path, "raw-html-stripped", format!("raw HTML will be removed: {why}"))
                    .at(&loaded.source.text, offset + range.start)
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
    let mut out = Vec::new();
    for l in &raw.incidents {
        out.extend(check_text(
            l,
            l.value.summary.get_ref(),
            string_content_offset(l, &l.value.summary),
            paths,
        ));
    }
    for l in &raw.actors {
        if let Some(d) = &l.value.description {
            out.extend(check_text(
                l,
                d.get_ref(),
                string_content_offset(l, d),
                paths,
            ));
        }
    }
    for l in &raw.briefs {
        out.extend(check_text(
            l,
            &l.value.body,
            l.source.text.len() - l.value.body.len(),
            paths,
        ));
    }
    for l in &raw.region_notes {
        out.extend(check_text(
            l,
            &l.value.body,
            l.source.text.len() - l.value.body.len(),
            paths,
        ));
    }
    out
}

fn check_text<T>(
    loaded: &Loaded<T>,
    markdown: &str,
    offset: usize,
    paths: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (event, range) in
        Parser::new_ext(markdown, crate::render::markdown::options()).into_offset_iter()
    {
        let Event::Start(Tag::Link { dest_url, .. }) = event else {
            continue;
        };
        let dest = dest_url.trim();
        let diag = |kind, message: String, hint: &str| {
            Diagnostic::error(&loaded.source.path, kind, message)
                .at(&loaded.source.text, offset + range.start)
                .with_snippet(dest.to_string())
                .with_hint(hint.to_string())
        };
        match url_scheme(dest) {
            Some(scheme) if matches!(scheme.as_str(), "http" | "https" | "mailto") => continue,
            Some(scheme) => {
                out.push(diag("unsafe-link", format!("link '{dest}' uses the {scheme}: scheme, which is removed when published"), "link only to http(s) pages, mailto: addresses or site pages (/incidents/<id>/)").into_warning());
                continue;
            }
            None if dest.starts_with('#') || dest.starts_with("//") => continue,
            None => {}
        }
        let Some(site_path) = dest.strip_prefix('/') else {
            out.push(diag("relative-link", format!("link '{dest}' is relative"), "start internal links with / (e.g. /incidents/<id>/); the build adds the site's base path").into_warning());
            continue;
        };
        let path = site_path.split(['#', '?']).next().unwrap_or("");
        if !resolves(path, paths) {
            out.push(diag("broken-link", format!("link '{dest}' leads to no page of the site"), "check the id or slug; pages are /incidents/<id>/, /briefs/<slug>/, /actors/<slug>/, /regions/<province>/<district>/"));
        }
    }
    out
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
pub fn resolves(path: &str, paths: &BTreeSet<String>) -> bool {
    if path.is_empty() {
        return true;
    }
    let trimmed = path.trim_end_matches('/');
    paths.contains(path) || paths.contains(&format!("{trimmed}/index.html"))
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
    fn detects_stripped_html() {
        let allowed = crate::render::markdown::allowed_tags();
        assert!(stripped_reason("<script>alert(1)</script>", &allowed).is_some());
        assert!(stripped_reason("<img src=x onerror=alert(1)>", &allowed).is_some());
        assert!(stripped_reason("<a href=\"javascript:alert(1)\">x</a>", &allowed).is_some());
        assert!(stripped_reason("<iframe src=x>", &allowed).is_some());
        assert!(stripped_reason("<b>bold</b>", &allowed).is_none());
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
    fn resolves_pages_and_files() {
        let paths: BTreeSet<String> = ["incidents/a/index.html", "data/incidents.csv"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(resolves("incidents/a/", &paths));
        assert!(resolves("incidents/a", &paths));
        assert!(resolves("data/incidents.csv", &paths));
        assert!(!resolves("incidents/b/", &paths));
    }
}
