//! Integration tests of `sitrep serve`: the real binary on a copy of the fixture site, spoken
//! to over plain TCP (HTTP requests and the Server-Sent Events stream).

// Helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);
const INCIDENT: &str = "content/incidents/2024/2024-03-01-beta-police-post.toml";
const INCIDENT_PAGE: &str = "incidents/2024-03-01-beta-police-post/";
/// More event streams than the server keeps open at once (`MAX_LISTENERS`, 256, in
/// src/serve/reload.rs).
const MORE_PAGES_THAN_THE_LIMIT: usize = 300;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of tests/fixtures/minimal with its own copy of the theme (so tests can edit it).
fn site_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_tree(&repo().join("tests/fixtures/minimal"), &site);
    copy_tree(&repo().join("themes/default"), &dir.path().join("theme"));
    let config = std::fs::read_to_string(site.join("sitrep.toml")).unwrap();
    let theme = dir.path().join("theme");
    let mirror = repo().join("tests/fixtures/geo");
    let config = config
        .replace(
            "theme = \"../../../themes/default\"",
            &format!("theme = {:?}", theme.to_string_lossy()),
        )
        .replace(
            "mirror = \"../geo\"",
            &format!("mirror = {:?}", mirror.to_string_lossy()),
        );
    assert!(
        config.contains(&*theme.to_string_lossy()),
        "theme path not rewritten"
    );
    std::fs::write(site.join("sitrep.toml"), config).unwrap();
    dir
}

struct Server {
    child: Child,
    host: String,
    base: String,
    stderr: Arc<Mutex<String>>,
}

/// `sitrep serve --port <port>` on `site`, with a fixed "today" and Leaflet from the repo.
fn serve_command(site: &Path, port: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    command
        .args(["serve", "--port", port, "--color", "never", "--root"])
        .arg(site)
        .env("SITREP_TODAY", "2025-01-01")
        .env(
            "SITREP_LEAFLET_DIR",
            repo().join("node_modules/leaflet/dist"),
        )
        .stdin(Stdio::null());
    command
}

/// A copy of the fixture site whose incident has an unknown type (a content error).
fn broken_site_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = site_copy();
    let site = dir.path().join("site");
    edit(
        &site,
        INCIDENT,
        "type = \"armed-assault\"",
        "type = \"armed-asault\"",
    );
    (dir, site)
}

impl Server {
    fn start(site: &Path) -> Server {
        let mut child = serve_command(site, "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            while err.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("Serving at http://")
            .unwrap_or_else(|| {
                panic!(
                    "unexpected first line {line:?}; stderr: {}",
                    stderr.lock().unwrap()
                )
            })
            .to_string();
        let (host, base) = url.split_at(url.find('/').unwrap());
        Server {
            child,
            host: host.to_string(),
            base: base.to_string(),
            stderr,
        }
    }

    /// Sends a raw request line for `target` and returns (status, head, body).
    fn request(&self, method: &str, target: &str) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.host).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host
        )
        .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head, raw[split + 4..].to_vec())
    }

    fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.request("GET", &format!("{}{path}", self.base));
        (status, String::from_utf8_lossy(&body).to_string())
    }

    /// Opens the event stream; event names arrive on the channel ("hello" first).
    fn events(&self) -> Receiver<String> {
        match self.try_events() {
            Ok(events) => events,
            Err(head) => panic!("the event stream was refused: {head}"),
        }
    }

    /// Opens the event stream, or returns the response head if it is not a 200 event stream.
    fn try_events(&self) -> Result<Receiver<String>, String> {
        let (head, reader) = self.open_events();
        let status = head.split(' ').nth(1).unwrap_or_default();
        if status != "200" || !head.contains("Content-Type: text/event-stream") {
            return Err(head);
        }
        // Streams are quiet between events: no read timeout once the head is in.
        reader.get_ref().set_read_timeout(None).unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = reader;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(name) = line.trim().strip_prefix("event: ") {
                    if sender.send(name.to_string()).is_err() {
                        break;
                    }
                }
                line.clear();
            }
        });
        assert_eq!(next_event(&receiver), "hello");
        Ok(receiver)
    }

    /// Sends an events request and reads the response head (up to the blank line); the rest of
    /// the response is left on the returned reader.
    fn open_events(&self) -> (String, BufReader<TcpStream>) {
        let mut stream = TcpStream::connect(&self.host).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "GET {}__sitrep/events HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.base, self.host
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let read = reader.read_line(&mut line).unwrap();
            if read == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        (head, reader)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- serve's stderr:\n{}", self.stderr());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next_event(events: &Receiver<String>) -> String {
    events
        .recv_timeout(WAIT)
        .expect("no event from the server in time")
}

/// Waits for the event `name`. A save can reach the watcher in two bursts (truncate, then
/// write), so `diagnostics` events may come first; any other event is a failure.
fn expect_event(events: &Receiver<String>, name: &str) {
    loop {
        let event = next_event(events);
        if event == name {
            return;
        }
        assert_eq!(event, "diagnostics", "expected {name}");
    }
}

/// Waits until `condition` holds for a page, re-fetching it (rebuilds are asynchronous).
fn wait_for(server: &Server, path: &str, condition: impl Fn(u16, &str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let (status, body) = server.get(path);
        if condition(status, &body) {
            return body;
        }
        assert!(
            started.elapsed() < WAIT,
            "{path} never matched; last: {status} {body:.300}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads an event stream until its body ends (the last chunk, or the connection closed);
/// false if it is still open after `WAIT`.
fn body_ends(stream: &mut BufReader<TcpStream>) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match stream.read_line(&mut line) {
            Ok(0) => return true,
            Ok(_) if line == "0\r\n" => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

fn edit(site: &Path, file: &str, from: &str, to: &str) {
    let path = site.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn edits_reload_pages_and_errors_show_an_overlay_until_fixed() {
    let dir = site_copy();
    let site = dir.path().join("site");
    let server = Server::start(&site);
    assert_eq!(
        server.base, "/atlas/",
        "the base path of base_url is honoured"
    );

    let (status, home) = server.get("");
    assert_eq!(status, 200);
    assert!(home.contains("<script src=\"/atlas/__sitrep/live.js\" defer></script></body>"));
    let (_, page) = server.get(INCIDENT_PAGE);
    assert!(page.contains("Attack on a police post in Beta"));

    // An edit: a reload event, then the changed page.
    let events = server.events();
    edit(
        &site,
        INCIDENT,
        "Attack on a police post in Beta",
        "Raid on the Beta police post",
    );
    expect_event(&events, "reload");
    let (_, page) = server.get(INCIDENT_PAGE);
    assert!(
        page.contains("Raid on the Beta police post"),
        "{page:.2000}"
    );
    let (_, timeline) = server.get("timeline/");
    assert!(timeline.contains("Raid on the Beta police post"));

    // Broken TOML: the overlay's diagnostics, the last good build still served.
    edit(&site, INCIDENT, "killed = 5", "killed = = 5");
    expect_event(&events, "diagnostics");
    let json = wait_for(&server, "__sitrep/diagnostics.json", |_, body| {
        body.contains("\"line\": 8")
    });
    assert_eq!(status, 200);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["errors"], 1, "{json}");
    let d = &report["diagnostics"][0];
    assert_eq!(d["file"], INCIDENT);
    assert_eq!(d["line"], 8);
    assert!(
        d["column"].as_u64().unwrap() > 0 && d["hint"].is_string(),
        "{d}"
    );
    let (status, page) = server.get(INCIDENT_PAGE);
    assert_eq!(status, 200);
    assert!(page.contains("Raid on the Beta police post") && page.contains("__sitrep/live.js"));
    let (_, script) = server.get("__sitrep/live.js");
    assert!(script.contains("diagnostics.json") && script.contains("textContent"));
    assert!(!script.contains("innerHTML"));
    // The terminal shows the same diagnostic (read from the pipe by another thread: wait).
    let started = Instant::now();
    while !server.stderr().contains(&format!("{INCIDENT}:8:")) && started.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.stderr().contains(&format!("{INCIDENT}:8:")),
        "terminal: {}",
        server.stderr()
    );

    // Fixed: the diagnostics clear and pages reload.
    edit(&site, INCIDENT, "killed = = 5", "killed = 6");
    expect_event(&events, "reload");
    let (_, json) = server.get("__sitrep/diagnostics.json");
    assert!(json.contains("\"errors\": 0"), "{json}");

    // CSS only: a restyle event, not a reload.
    let css = dir.path().join("theme/static/css/site.css");
    let mut text = std::fs::read_to_string(&css).unwrap();
    text.push_str("\n.sitrep-test-marker { color: red; }\n");
    std::fs::write(&css, text).unwrap();
    expect_event(&events, "css");
    let (_, served_css) = server.get("static/css/site.css");
    assert!(served_css.contains("sitrep-test-marker"));

    // A new file appears, is renamed, then vanishes: its pages follow.
    let gamma = site.join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let text = std::fs::read_to_string(&gamma).unwrap();
    let text = text
        .replace("Clash in Gamma", "Second clash in Gamma")
        .replace("2024-07-04", "2024-09-09")
        .replace("2024-07-05", "2024-09-10");
    let new = site.join("content/incidents/2024/2024-09-09-second-clash.toml");
    std::fs::write(&new, text).unwrap();
    expect_event(&events, "reload");
    let (status, page) = server.get("incidents/2024-09-09-second-clash/");
    assert!(
        status == 200 && page.contains("Second clash in Gamma"),
        "{status}"
    );
    let renamed = site.join("content/incidents/2024/2024-09-09-second-clash-renamed.toml");
    std::fs::rename(&new, &renamed).unwrap();
    expect_event(&events, "reload");
    assert_eq!(server.get("incidents/2024-09-09-second-clash/").0, 404);
    assert_eq!(
        server.get("incidents/2024-09-09-second-clash-renamed/").0,
        200
    );
    std::fs::remove_file(&renamed).unwrap();
    expect_event(&events, "reload");
    assert_eq!(
        server.get("incidents/2024-09-09-second-clash-renamed/").0,
        404
    );
    let (_, timeline) = server.get("timeline/");
    assert!(
        !timeline.contains("Second clash") && timeline.contains("Raid on the Beta police post")
    );

    assert!(
        !site.join("public").exists(),
        "serve must not write public/"
    );
}

#[test]
fn traversal_other_methods_and_types_are_handled() {
    let dir = site_copy();
    let server = Server::start(&dir.path().join("site"));
    for target in [
        "/atlas/../sitrep.toml",
        "/atlas/%2e%2e/sitrep.toml",
        "/atlas/%2E%2E%2Fsitrep.toml",
        "/atlas/..%2f..%2fsitrep.toml",
        "/atlas/%2F..%2F..%2Fetc%2Fpasswd",
        "/atlas/..\\..\\sitrep.toml",
        "/atlas/%5c..%5csitrep.toml",
        "/atlas/static/%2e%2e/%2e%2e/content/actors/group-a.toml",
        "/atlas/%00",
        "/../../etc/passwd",
        "/atlas/content/actors/group-a.toml",
        "/atlas/sitrep.toml",
    ] {
        let (status, _, body) = server.request("GET", target);
        assert!(status == 400 || status == 404, "{target} gave {status}");
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("base_url") && !body.contains("root:"),
            "{target} leaked a file"
        );
    }
    let (status, head, _) = server.request("POST", "/atlas/");
    assert_eq!(status, 405);
    assert!(head.contains("Allow: GET, HEAD"), "{head}");
    for method in ["PUT", "DELETE", "OPTIONS"] {
        assert_eq!(server.request(method, "/atlas/").0, 405, "{method}");
    }
    let (status, head, body) = server.request("HEAD", "/atlas/");
    assert_eq!(status, 200);
    assert!(body.is_empty() && head.contains("text/html"), "{head}");
    for (path, mime) in [
        ("/atlas/static/css/site.css", "text/css"),
        ("/atlas/static/js/map.js", "text/javascript"),
        ("/atlas/data/map/districts.geojson", "application/geo+json"),
        ("/atlas/static/favicon.svg", "image/svg+xml"),
        ("/atlas/atom.xml", "application/xml"),
        ("/atlas/__sitrep/live.css", "text/css"),
    ] {
        let (status, head, _) = server.request("GET", path);
        assert_eq!(status, 200, "{path}");
        assert!(
            head.contains(&format!("Content-Type: {mime}")),
            "{path}: {head}"
        );
    }
    let (status, _, body) = server.request("GET", "/atlas/no/such/page/");
    assert_eq!(status, 404);
    assert!(
        String::from_utf8_lossy(&body).contains("__sitrep/live.js"),
        "the site's 404 page"
    );
    let (status, head, _) = server.request("GET", "/atlas/incidents");
    assert_eq!(status, 302);
    assert!(head.contains("Location: /atlas/incidents/"), "{head}");
    assert_eq!(
        server.request("GET", "/").0,
        302,
        "the root redirects to the base path"
    );
}

#[test]
fn many_connections_at_once_and_ctrl_c_exits_cleanly() {
    let dir = site_copy();
    let mut server = Server::start(&dir.path().join("site"));
    let listeners: Vec<Receiver<String>> = (0..20).map(|_| server.events()).collect();
    let server_ref = &server;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..48)
            .map(|i| {
                scope.spawn(move || {
                    let path = if i % 2 == 0 {
                        "timeline/"
                    } else {
                        "data/incidents.json"
                    };
                    server_ref.get(path).0
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), 200);
        }
    });
    assert_eq!(listeners.len(), 20);
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < WAIT, "serve did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        exit.success(),
        "exit status {exit:?}; stderr: {}",
        server.stderr()
    );
    // The pipe is read by another thread: give it the time to catch up.
    let started = Instant::now();
    while !server.stderr().contains("stopped") && started.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.stderr().contains("stopped"), "{}", server.stderr());
}

#[test]
fn a_site_broken_from_the_start_shows_the_overlay_then_builds_when_fixed() {
    let (_dir, site) = broken_site_copy();
    let server = Server::start(&site);
    let (status, page) = server.get(INCIDENT_PAGE);
    assert_eq!(status, 503);
    assert!(page.contains("__sitrep/live.js"));
    assert!(page.contains("data-sitrep-unbuilt"), "{page}");
    // There is no earlier build to fall back on, and the terminal does not pretend there is.
    assert!(
        server.stderr().contains("nothing is built yet"),
        "{}",
        server.stderr()
    );
    assert!(
        !server.stderr().contains("last good build"),
        "{}",
        server.stderr()
    );
    let (_, json) = server.get("__sitrep/diagnostics.json");
    assert!(
        json.contains("armed-asault") && json.contains(INCIDENT),
        "{json}"
    );
    // Links to pages the valid records make are not reported as broken for lack of a good build.
    assert!(!json.contains("broken-link"), "{json}");
    let events = server.events();
    edit(&site, INCIDENT, "armed-asault", "armed-assault");
    expect_event(&events, "reload");
    let (status, _) = server.get(INCIDENT_PAGE);
    assert_eq!(status, 200);
}

#[test]
fn closed_event_streams_free_their_slots_and_a_new_page_still_gets_live_reload() {
    let dir = site_copy();
    let site = dir.path().join("site");
    let server = Server::start(&site);
    // Browsing without saving: more pages than the limit open the event stream, then close it,
    // and no event is sent in between.
    let mut refused = Vec::new();
    let opened: Vec<BufReader<TcpStream>> = (0..MORE_PAGES_THAN_THE_LIMIT)
        .map(|i| {
            let (head, reader) = server.open_events();
            if !head.starts_with("HTTP/1.1 200 ") {
                refused.push(format!("page {i}: {}", head.lines().next().unwrap_or("")));
            }
            reader
        })
        .collect();
    let mut opened = opened.into_iter();
    let mut oldest = opened.next().unwrap();
    drop(opened);

    // The next page gets its stream (at once, or once the heartbeat found the closed ones).
    let started = Instant::now();
    let events = loop {
        match server.try_events() {
            Ok(events) => break events,
            Err(head) => assert!(
                started.elapsed() < 2 * WAIT,
                "a new page's event stream is still refused: {head}"
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Another page opening its stream leaves the first one's alone: both get the reload.
    let other = server.events();
    edit(
        &site,
        INCIDENT,
        "Attack on a police post in Beta",
        "Raid on the Beta police post",
    );
    expect_event(&events, "reload");
    expect_event(&other, "reload");

    // With every slot taken, the oldest stream was ended to make room (its page, if still
    // open, reconnects), and no page was refused.
    assert!(body_ends(&mut oldest), "the oldest stream was not ended");
    assert!(
        refused.is_empty(),
        "pages were refused their stream: {refused:?}"
    );
}

#[test]
fn a_port_in_use_is_reported_before_the_site_is_built() {
    // The content is broken too: only the port is reported, so nothing was built first.
    let (_dir, site) = broken_site_copy();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = serve_command(&site, &port).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(!stderr.contains("armed-asault"), "{stderr}");
}
