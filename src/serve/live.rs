//! Serve: the browser side of live reload and the error overlay — the script and stylesheet
//! served under `__sitrep/`, and the script tag injected into HTML responses (at serve time
//! only; built files never contain it).

/// Connects to the event stream, reloads or restyles the page, and draws the overlay from
/// `__sitrep/diagnostics.json` with DOM APIs (no markup from diagnostics).
pub const SCRIPT: &str = include_str!("live.js");

/// Styles of the overlay (an external file, as the pages' CSP requires).
pub const STYLE: &str = include_str!("live.css");

/// The tag that loads the live script, for the site's base path.
pub fn script_tag(base: &str) -> String {
    format!("<script src=\"{base}__sitrep/live.js\" defer></script>")
}

/// `html` with the live script before its last `</body>` (or at the end if it has none).
pub fn inject(html: &[u8], base: &str) -> Vec<u8> {
    let tag = script_tag(base);
    let position = find_last(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..position]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[position..]);
    out
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

/// What every page shows while no build has succeeded yet: the overlay says why.
pub fn unbuilt_page(base: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\" data-sitrep-unbuilt><head><meta charset=\"utf-8\"><title>Not built yet · sitrep serve</title></head>\
         <body><main><h1>The site could not be built yet</h1>\
         <p>Fix the errors listed below (they are also in the terminal) and save: this page reloads by itself.</p></main>\
         {}</body></html>",
        script_tag(base)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_goes_before_the_last_body_end() {
        let html = b"<html><body><p>a</p></body></html>";
        let out = String::from_utf8(inject(html, "/atlas/")).unwrap_or_default();
        assert_eq!(
            out,
            "<html><body><p>a</p><script src=\"/atlas/__sitrep/live.js\" defer></script></body></html>"
        );
        let bare = String::from_utf8(inject(b"<p>x</p>", "/")).unwrap_or_default();
        assert!(bare.ends_with("<script src=\"/__sitrep/live.js\" defer></script>"));
    }
}
