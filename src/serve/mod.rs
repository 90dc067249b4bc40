//! Serve stage: `sitrep serve` builds the site into memory, serves it over HTTP, watches its
//! sources and rebuilds on every change, then tells open pages to reload (or restyle, or show
//! the error overlay). Nothing is written to the output folder.
//!
//! Parts: `engine` (what is kept between builds), `incremental` (partial rebuilds), `watch`
//! (file events → kinds of change), `http` (requests), `reload` (event streams) and `live`
//! (the injected script and the overlay).

mod engine;
mod http;
mod incremental;
mod live;
mod reload;
mod watch;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::config::Overrides;
use crate::diagnostic::{self, Diagnostic};
use engine::{Engine, Outcome};
use reload::{Event, Hub};
use watch::{Change, Watcher};

pub use http::decode_path;

/// How to serve.
pub struct Options {
    pub root: std::path::PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub base_url: Option<String>,
    pub quiet: bool,
    pub colour: bool,
}

/// The served site and its listeners, shared by the HTTP workers and the rebuild loop.
pub struct Shared {
    state: Mutex<Served>,
    /// Signalled when held outputs are ready.
    ready: Condvar,
    hub: Hub,
}

/// Requests wait at most this long for outputs being rendered.
const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// The latest good build, and the diagnostics of the latest attempt.
#[derive(Default)]
struct Served {
    base_path: String,
    files: HashMap<String, Arc<Vec<u8>>>,
    built: bool,
    diagnostics: Vec<Diagnostic>,
    generation: u64,
    /// While the later steps of an incremental build render: the outputs (paths or
    /// prefixes) they will change. Requests for them wait; every other output is up to date.
    held: Vec<String>,
}

impl Served {
    fn is_held(&self, path: &str) -> bool {
        self.held.iter().any(|p| path.starts_with(p.as_str()))
    }
}

impl Shared {
    fn new(base_path: String) -> Shared {
        Shared {
            state: Mutex::new(Served {
                base_path,
                ..Served::default()
            }),
            ready: Condvar::new(),
            hub: Hub::default(),
        }
    }

    fn read(&self) -> MutexGuard<'_, Served> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> MutexGuard<'_, Served> {
        self.read()
    }

    pub fn base_path(&self) -> String {
        self.read().base_path.clone()
    }

    /// A file of the latest build; waits while it is being re-rendered.
    pub fn file(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        let state = self.read();
        let (state, _) = self
            .ready
            .wait_timeout_while(state, HOLD_LIMIT, |s| s.is_held(path))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.files.get(path).cloned()
    }

    pub fn has_site(&self) -> bool {
        self.read().built
    }

    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// The diagnostics of the latest build, as `sitrep check --format json` prints them.
    pub fn diagnostics_json(&self) -> String {
        diagnostic::render_json(&self.read().diagnostics)
    }

    /// Applies a build and says what open pages should do about it.
    fn apply(&self, outcome: Outcome, base_path: &str) -> Option<Event> {
        let mut state = self.write();
        let base_changed = state.base_path != base_path;
        state.base_path = base_path.to_string();
        let (diagnostics, event) = match outcome {
            Outcome::Failed { diagnostics } => {
                state.held.clear();
                (diagnostics, None)
            }
            Outcome::Built {
                files,
                removed,
                complete,
                diagnostics,
                pending,
            } => {
                state.held = pending;
                let mut changed: Vec<String> = Vec::new();
                if complete {
                    let mut fresh = HashMap::with_capacity(files.len());
                    for file in files {
                        if state.files.get(&file.path).map(|b| b.as_slice())
                            != Some(file.bytes.as_slice())
                        {
                            changed.push(file.path.clone());
                        }
                        fresh.insert(file.path, Arc::new(file.bytes));
                    }
                    let vanished = state.files.keys().filter(|k| !fresh.contains_key(*k));
                    changed.extend(vanished.cloned());
                    state.files = fresh;
                } else {
                    for path in removed {
                        if state.files.remove(&path).is_some() {
                            changed.push(path);
                        }
                    }
                    for file in files {
                        if state.files.get(&file.path).map(|b| b.as_slice())
                            != Some(file.bytes.as_slice())
                        {
                            changed.push(file.path.clone());
                            state.files.insert(file.path, Arc::new(file.bytes));
                        }
                    }
                }
                let event = if !state.built || base_changed {
                    Some(Event::Reload)
                } else if changed.is_empty() {
                    None
                } else if changed.iter().all(|p| p.ends_with(".css")) {
                    Some(Event::Css)
                } else {
                    Some(Event::Reload)
                };
                state.built = true;
                (diagnostics, event)
            }
        };
        let diagnostics_changed = state.diagnostics != diagnostics;
        state.diagnostics = diagnostics;
        state.generation += 1;
        drop(state);
        self.ready.notify_all();
        event.or(diagnostics_changed.then_some(Event::Diagnostics))
    }
}

/// Runs the server until Ctrl-C.
pub fn run(options: Options) -> anyhow::Result<()> {
    let overrides = Overrides {
        base_url: options.base_url.clone(),
        output_dir: None,
    };
    let mut reporter = Reporter {
        quiet: options.quiet,
        colour: options.colour,
        shown: Vec::new(),
        built: false,
    };
    let mut engine = Engine::new(&options.root, overrides)?;
    // Listen first: a port in use is reported before minutes of building, not after.
    // Requests wait in the queue until the workers start, after the first build.
    let address = SocketAddr::new(options.bind, options.port);
    let server = tiny_http::Server::http(address)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| {
            format!("cannot listen on {address}; is another server using the port? Try --port")
        })?;
    let shared = Arc::new(Shared::new(engine.config.base_path.clone()));
    let started = Instant::now();
    let everything = Change {
        config: true,
        ..Change::default()
    };
    let outcome = engine.build(&everything);
    reporter.outcome(&outcome, started, "built the site");
    shared.apply(outcome, &engine.config.base_path);
    // Watch before listening: a change saved as soon as the server answers is never missed.
    let mut watcher = Watcher::start(&engine.sources)?;
    let server = Arc::new(server);
    let bound = server
        .server_addr()
        .to_ip()
        .context("the server has no IP address")?;
    let workers = start_workers(&server, &shared)?;
    println!("Serving at http://{bound}{}", shared.base_path());
    use std::io::Write as _;
    let _ = std::io::stdout().flush();

    let (stop_sender, stop) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_sender.send(());
    })
    .context("cannot install the Ctrl-C handler")?;

    loop {
        if stop.try_recv().is_ok() {
            break;
        }
        let Some(paths) = watcher.next_batch(Duration::from_millis(200)) else {
            continue;
        };
        let change = watch::classify(&paths, &engine.sources);
        if change.is_empty() {
            continue;
        }
        let started = Instant::now();
        let previous_sources = engine.sources.clone();
        let outcome = engine.build(&change);
        reporter.outcome(&outcome, started, "rebuilt");
        let base = engine.config.base_path.clone();
        if base != shared.base_path() {
            reporter.info(&format!(
                "the base path changed: now serving at http://{bound}{base}"
            ));
        }
        let first = shared.apply(outcome, &base);
        if let Some(event) = first {
            // Pages reload now; requests for outputs still rendering wait for them.
            shared.hub.broadcast(event, shared.generation());
        }
        let mut reloaded = first.is_some();
        while let Some(rest) = engine.finish() {
            let step = match &rest {
                Outcome::Built { pending, .. } if !pending.is_empty() => "rendered lists",
                _ => "rendered data and feeds",
            };
            reporter.outcome(&rest, started, step);
            let event = shared.apply(rest, &base);
            if let (false, Some(event)) = (reloaded, event) {
                shared.hub.broadcast(event, shared.generation());
                reloaded = true;
            }
        }
        if engine.sources != previous_sources {
            watcher = Watcher::start(&engine.sources)?;
        }
    }
    shared.hub.close();
    // Each call wakes one worker blocked on `recv`.
    for _ in &workers {
        server.unblock();
    }
    for worker in workers {
        let _ = worker.join();
    }
    reporter.info("stopped");
    Ok(())
}

/// HTTP worker threads; long-lived event streams get threads of their own.
fn start_workers(
    server: &Arc<tiny_http::Server>,
    shared: &Arc<Shared>,
) -> anyhow::Result<Vec<std::thread::JoinHandle<()>>> {
    let count = std::thread::available_parallelism().map_or(4, |n| n.get().clamp(4, 16));
    (0..count)
        .map(|i| {
            let server = server.clone();
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("sitrep-http-{i}"))
                .spawn(move || {
                    while let Ok(request) = server.recv() {
                        http::handle(request, &shared);
                    }
                })
                .context("cannot start an HTTP worker thread")
        })
        .collect()
}

/// Terminal output of the rebuild loop (stderr).
struct Reporter {
    quiet: bool,
    colour: bool,
    /// Warnings already shown: a rebuild repeats only new ones.
    shown: Vec<Diagnostic>,
    /// A build has succeeded, so there is a site to keep serving after a failure.
    built: bool,
}

impl Reporter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    fn outcome(&mut self, outcome: &Outcome, started: Instant, what: &str) {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Outcome::Built {
                files,
                removed,
                complete,
                diagnostics,
                ..
            } => {
                self.built = true;
                let new: Vec<Diagnostic> = diagnostics
                    .iter()
                    .filter(|d| !self.shown.contains(d))
                    .cloned()
                    .collect();
                if !self.quiet && !new.is_empty() {
                    eprint!("{}", diagnostic::render_human(&new, self.colour));
                }
                self.shown = diagnostics.clone();
                let scope = if *complete {
                    format!("{} files", files.len())
                } else {
                    format!("{} files updated, {} removed", files.len(), removed.len())
                };
                self.info(&format!(
                    "{} {what} in {ms:.0} ms ({scope})",
                    self.paint("1;32", "✓")
                ));
            }
            Outcome::Failed { diagnostics } => {
                eprint!("{}", diagnostic::render_human(diagnostics, self.colour));
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                let serving = if self.built {
                    "still serving the last good build"
                } else {
                    "nothing is built yet: pages show these errors until they are fixed"
                };
                eprintln!(
                    "{} {errors} error{} after {ms:.0} ms; {serving}",
                    self.paint("1;31", "✗"),
                    if errors == 1 { "" } else { "s" }
                );
            }
        }
    }
}
