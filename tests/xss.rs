//! The XSS corpus (tests/xss/site: OWASP filter-evasion style vectors in every text field and in
//! all Markdown) built with the real binary; every HTML and XML output is tokenized with html5ever
//! and must hold no inline script, no event handler, no frame/object/embed/base element, no meta
//! refresh and no javascript:/vbscript:/data: URL — and every vector must still be there as text,
//! so the test cannot pass by losing the content. tests/browser/xss.test.mjs opens the same site
//! in Chromium.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use std::cell::RefCell;
use std::path::Path;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Collects the tokens of one document, switching the tokenizer into the text states a browser's
/// tree builder would (title and textarea hold text, script and style raw data), so escaped text
/// is not mistaken for tags and real tags are not hidden.
struct Collect(RefCell<Vec<Token>>);

impl TokenSink for Collect {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let next = match &token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag && !tag.self_closing => {
                match &*tag.name {
                    "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                }
            }
            _ => TokenSinkResult::Continue,
        };
        self.0.borrow_mut().push(token);
        next
    }
}

fn tokens(text: &str) -> Vec<Token> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(text));
    let tokenizer = Tokenizer::new(Collect(RefCell::new(Vec::new())), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

/// Scheme of a URL as a browser reads it: whitespace and control characters dropped.
fn unsafe_url(value: &str) -> bool {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|s| compact.starts_with(s))
}

const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
    "ping",
];
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "isindex",
];

/// Every way the document could run content-supplied script, as messages.
fn dangers(text: &str, base_path: &str) -> Vec<String> {
    let mut found = Vec::new();
    let tokens = tokens(text);
    for (i, token) in tokens.iter().enumerate() {
        let Token::TagToken(tag) = token else {
            continue;
        };
        if tag.kind != TagKind::StartTag {
            continue;
        }
        let name = tag.name.to_string();
        let attr = |n: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == n)
                .map(|a| a.value.to_string())
        };
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            found.push(format!("<{name}> element"));
        }
        // The theme's filter form carries `data-filters` and no action. Content cannot make
        // one: the sanitizer strips forms and data-* attributes.
        if name == "form" && !(attr("data-filters").is_some() && attr("action").is_none()) {
            found.push("<form> that is not the theme's filter form".into());
        }
        if name == "script" {
            let src = attr("src").unwrap_or_default();
            let closes_at_once = matches!(tokens.get(i + 1), Some(Token::TagToken(t)) if t.kind == TagKind::EndTag && &*t.name == "script");
            if !src.starts_with(base_path) || !closes_at_once {
                found.push(format!("script that is not the site's own (src={src:?})"));
            }
        }
        if name == "meta" && attr("http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("refresh")) {
            found.push("meta refresh".into());
        }
        for a in &tag.attrs {
            // The tokenizer keeps `xlink:href` whole in the local name (no namespace yet).
            let attr_name = a.name.local.to_string().to_ascii_lowercase();
            let full = match &a.name.prefix {
                Some(p) => format!("{p}:{attr_name}"),
                None => attr_name.clone(),
            };
            if attr_name.starts_with("on") {
                found.push(format!("<{name} {attr_name}=…> event handler"));
            }
            if (URL_ATTRIBUTES.contains(&attr_name.as_str())
                || URL_ATTRIBUTES.contains(&full.as_str()))
                && unsafe_url(&a.value)
            {
                found.push(format!("<{name} {attr_name}={:?}>", a.value.to_string()));
            }
            if attr_name == "style" {
                let v = a.value.to_ascii_lowercase();
                if v.contains("javascript") || v.contains("expression(") || v.contains("url(") {
                    found.push(format!("<{name} style={v:?}>"));
                }
            }
        }
    }
    found
}

/// The text of a document (character tokens only), for "the vector is still there" checks.
fn text_of(text: &str) -> String {
    tokens(text)
        .into_iter()
        .filter_map(|t| match t {
            Token::CharacterTokens(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

fn build_xss_site(out: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    common::copy_tree(&common::repo_root().join("tests/xss/site"), &site);
    common::rewrite_config(&site);
    let output = common::run_sitrep(
        &site,
        &[
            "build",
            "--output",
            out.to_str().unwrap(),
            "--base-url",
            "http://localhost/sitrep/",
        ],
    );
    assert!(
        output.status.success(),
        "the XSS site must build: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    // Known-bad snippets, so a silent scanner cannot pass the corpus test.
    for bad in [
        "<script>alert(1)</script>",
        "<script src=/sitrep/x.js>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=' jav&#x09;ascript:alert(1)'>x</a>",
        "<iframe src=x></iframe>",
        "<svg><a xlink:href='javascript:alert(1)'>x</a></svg>",
        "<meta http-equiv=refresh content='0;url=x'>",
        "<div style='background:url(javascript:alert(1))'>",
        "<a href='data:text/html,x'>",
    ] {
        assert!(!dangers(bad, "/sitrep/").is_empty(), "missed {bad}");
    }
    let good = "<script defer src=/sitrep/static/js/map.js></script><p title='&lt;script>alert(1)'>&lt;img src=x onerror=alert(1)&gt;</p><a href=/sitrep/map/>m</a>";
    assert_eq!(dangers(good, "/sitrep/"), Vec::<String>::new());
}

#[test]
fn no_vector_survives_into_the_built_site() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("sitrep");
    build_xss_site(&public);
    let mut problems = Vec::new();
    let mut all_text = String::new();
    let mut scanned = 0;
    for entry in walkdir::WalkDir::new(&public) {
        let entry = entry.unwrap();
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "html" | "xml") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        scanned += 1;
        for d in dangers(&text, "/sitrep/") {
            problems.push(format!(
                "{}: {d}",
                path.strip_prefix(&public).unwrap().display()
            ));
        }
        if ext == "html" {
            all_text.push_str(&text_of(&text));
        }
    }
    assert!(scanned >= 25, "only {scanned} pages were scanned");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Every vector is shown as text somewhere (it is in plain-text fields too): the content
    // was escaped, not lost.
    let vectors =
        std::fs::read_to_string(common::repo_root().join("tests/xss/vectors.txt")).unwrap();
    // Runs of spaces may be collapsed (a browser shows them as one anyway).
    let collapse = |s: &str| {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let all_text = collapse(&all_text);
    let missing: Vec<&str> = vectors
        .lines()
        .filter(|v| !all_text.contains(&collapse(v)))
        .collect();
    assert!(vectors.lines().count() >= 40);
    assert_eq!(
        missing,
        Vec::<&str>::new(),
        "vectors missing from the pages"
    );
    for label in ["md-js", "md-js-case", "md-data", "md-ref", "md-title"] {
        assert!(all_text.contains(label), "Markdown link text {label} lost");
    }
}
