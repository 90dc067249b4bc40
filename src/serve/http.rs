//! Serve: the HTTP side. Maps request paths onto the in-memory site (GET and HEAD only),
//! refuses traversal, sets MIME types, injects the live-reload script into HTML responses and
//! answers the `__sitrep/` endpoints.

use std::io::Cursor;
use std::sync::Arc;

use tiny_http::{Header, Method, Request, Response, StatusCode};

use super::{live, reload, Shared};

/// Where the dev server's own files live, under the base path.
pub const INTERNAL_PREFIX: &str = "__sitrep/";

/// Answers one request. Errors writing to a client that went away are ignored.
pub fn handle(request: Request, shared: &Arc<Shared>) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        let response =
            text_response(405, "only GET and HEAD are allowed\n").with("Allow", "GET, HEAD");
        let _ = request.respond(response);
        return;
    }
    let raw_path = request.url().split(['?', '#']).next().unwrap_or("/");
    let path = match decode_path(raw_path) {
        Ok(path) => path,
        Err(reason) => {
            let _ = request.respond(text_response(400, &format!("bad request: {reason}\n")));
            return;
        }
    };
    let base = shared.base_path();
    let Some(relative) = path.strip_prefix(base.as_str()) else {
        let response = if format!("{path}/") == base || path == "/" {
            redirect(&base)
        } else {
            not_found(shared, &base)
        };
        let _ = request.respond(response);
        return;
    };
    if let Some(internal) = relative.strip_prefix(INTERNAL_PREFIX) {
        match internal {
            "events" => reload::stream(request, shared),
            "live.js" => {
                let _ = request.respond(bytes_response(200, live::SCRIPT.as_bytes(), "live.js"));
            }
            "live.css" => {
                let _ = request.respond(bytes_response(200, live::STYLE.as_bytes(), "live.css"));
            }
            "diagnostics.json" => {
                let json = shared.diagnostics_json();
                let _ = request.respond(bytes_response(200, json.as_bytes(), "x.json"));
            }
            _ => {
                let _ = request.respond(not_found(shared, &base));
            }
        }
        return;
    }
    let _ = request.respond(site_response(shared, &base, relative));
}

/// A file of the site, a redirect to a folder's index, the site's 404 page, or the
/// "not built yet" page while the first build has errors.
fn site_response(shared: &Shared, base: &str, relative: &str) -> Response<Cursor<Vec<u8>>> {
    let key = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_string()
    };
    if let Some(bytes) = shared.file(&key) {
        return file_response(200, &key, &bytes, base);
    }
    if !shared.has_site() {
        let page = live::unbuilt_page(base);
        return bytes_response(503, page.as_bytes(), "index.html");
    }
    if shared.file(&format!("{key}/index.html")).is_some() {
        return redirect(&format!("{base}{key}/"));
    }
    not_found(shared, base)
}

fn not_found(shared: &Shared, base: &str) -> Response<Cursor<Vec<u8>>> {
    match shared.file("404.html") {
        Some(bytes) => file_response(404, "404.html", &bytes, base),
        None => text_response(404, "not found\n"),
    }
}

fn file_response(status: u16, key: &str, bytes: &[u8], base: &str) -> Response<Cursor<Vec<u8>>> {
    if key.ends_with(".html") {
        let html = live::inject(bytes, base);
        bytes_response(status, &html, key)
    } else {
        bytes_response(status, bytes, key)
    }
}

/// Decodes a request path: percent-escapes resolved, and refused (with the reason) when it
/// holds a `.` or `..` segment, a backslash, a NUL or other control character, or is not UTF-8.
pub fn decode_path(raw: &str) -> Result<String, &'static str> {
    if !raw.starts_with('/') {
        return Err("the path must start with /");
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or("truncated percent-escape")?;
            let hex = std::str::from_utf8(hex).map_err(|_| "invalid percent-escape")?;
            let value = u8::from_str_radix(hex, 16).map_err(|_| "invalid percent-escape")?;
            decoded.push(value);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let path = String::from_utf8(decoded).map_err(|_| "the path is not UTF-8")?;
    if path.contains('\\') {
        return Err("backslashes are not allowed in paths");
    }
    if path.chars().any(char::is_control) {
        return Err("control characters are not allowed in paths");
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err("`.` and `..` segments are not allowed in paths");
    }
    Ok(path)
}

/// The Content-Type for a file name, by its extension.
pub fn mime_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "geojson" => "application/geo+json; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// A header; `None` only for non-ASCII text, which callers avoid (see `encode_location`).
fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

trait WithHeaders {
    fn with(self, name: &str, value: &str) -> Self;
}

impl WithHeaders for Response<Cursor<Vec<u8>>> {
    fn with(self, name: &str, value: &str) -> Self {
        match header(name, value) {
            Some(h) => self.with_header(h),
            None => self,
        }
    }
}

/// Percent-encodes everything but unreserved ASCII and `/`, for a Location header.
fn encode_location(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn bytes_response(status: u16, bytes: &[u8], name: &str) -> Response<Cursor<Vec<u8>>> {
    Response::from_data(bytes.to_vec())
        .with_status_code(StatusCode(status))
        .with_chunked_threshold(usize::MAX)
        .with("Content-Type", mime_type(name))
        .with("Cache-Control", "no-store")
        .with("X-Content-Type-Options", "nosniff")
}

fn text_response(status: u16, text: &str) -> Response<Cursor<Vec<u8>>> {
    bytes_response(status, text.as_bytes(), "message.txt")
}

fn redirect(location: &str) -> Response<Cursor<Vec<u8>>> {
    let location = encode_location(location);
    text_response(302, &format!("see {location}\n")).with("Location", &location)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused_in_every_spelling() {
        for bad in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc",
            "/a/%2e%2e%2f%2e%2e%2fetc",
            "/..%5cwindows",
            "/a\\..\\b",
            "/%00",
            "/./a",
            "/%ff",
            "/%2",
        ] {
            assert!(decode_path(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(decode_path("/atlas/a%20b/").as_deref(), Ok("/atlas/a b/"));
        assert_eq!(decode_path("/atlas/..x/").as_deref(), Ok("/atlas/..x/"));
    }

    #[test]
    fn mime_types_follow_extensions() {
        assert_eq!(mime_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(mime_type("static/css/site.css"), "text/css; charset=utf-8");
        assert_eq!(
            mime_type("data/map/x.geojson"),
            "application/geo+json; charset=utf-8"
        );
        assert_eq!(mime_type("static/favicon.svg"), "image/svg+xml");
        assert_eq!(mime_type("atom.xml"), "application/xml; charset=utf-8");
        assert_eq!(mime_type("no-extension"), "application/octet-stream");
    }
}
