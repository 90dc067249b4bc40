//! Benchmark of `sitrep serve`'s incremental rebuilds: generates synthetic sites of N incidents
//! over the real districts, starts the release binary on each, edits one incident file several
//! times and measures save → reload event, save → changed page served and save → the page of
//! its timeline year that lists it served (medians).
//!
//!   cargo build --release --bin sitrep --example serve_bench
//!   target/release/examples/serve_bench [--incidents 1000,10000] [--edits 9]

mod synth;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

struct Args {
    sizes: Vec<usize>,
    edits: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        sizes: vec![1000, 10000],
        edits: 9,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--incidents" => {
                args.sizes = value
                    .split(',')
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--edits" => args.edits = value.parse()?,
            _ => anyhow::bail!("unknown flag {flag}; use --incidents 1000,10000 --edits 9"),
        }
    }
    Ok(args)
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("sitrep"))
        .context("cannot find the target folder")?;
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: run `cargo build --release --bin sitrep --example serve_bench`",
        binary.display()
    );
    let leaflet = sitrep::config::Config::load(&repo, &Default::default())?.leaflet_dir;
    let districts = synth::districts(&repo)?;
    println!("| incidents | full build (ms) | save → reload event (ms) | save → edited page served (ms) | save → timeline page served (ms) | outputs re-rendered (page + lists + data) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for &size in &args.sizes {
        let dir = tempfile::tempdir()?;
        let site = dir.path().join("site");
        let edited = synth::write_site(&repo, &site, size, &districts)?;
        let row = measure(&binary, &site, &leaflet, &edited, args.edits)?;
        println!(
            "| {size} | {:.0} | {} | {} | {} | {} |",
            row.full_build_ms,
            summary(&row.to_event),
            summary(&row.to_page),
            summary(&row.to_timeline),
            row.rerendered
        );
    }
    Ok(())
}

struct Row {
    full_build_ms: f64,
    to_event: Vec<f64>,
    to_page: Vec<f64>,
    to_timeline: Vec<f64>,
    rerendered: String,
}

/// "median (min–max)".
fn summary(values: &[f64]) -> String {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => "–".into(),
        n => format!("{:.0} ({:.0}–{:.0})", v[n / 2], v[0], v[n - 1]),
    }
}

fn measure(
    binary: &Path,
    site: &Path,
    leaflet: &Path,
    edited: &Path,
    edits: usize,
) -> anyhow::Result<Row> {
    let mut child = Command::new(binary)
        .args(["serve", "--port", "0", "--color", "never", "--root"])
        .arg(site)
        .env("SITREP_LEAFLET_DIR", leaflet)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = log.clone();
    let stderr = child.stderr.take().context("no stderr")?;
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut log) = sink.lock() {
                log.push(line);
            }
        }
    });
    let result = run_edits(&mut child, edited, edits, &log);
    let _ = child.kill();
    let _ = child.wait();
    if std::env::var_os("SITREP_BENCH_LOG").is_some() {
        if let Ok(lines) = log.lock() {
            eprintln!("{}", lines.join("\n"));
        }
    }
    result.map_err(|e| {
        let tail = log.lock().map(|l| {
            l.iter()
                .rev()
                .take(20)
                .rev()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        });
        e.context(format!(
            "serve's log ends with:\n{}",
            tail.unwrap_or_default()
        ))
    })
}

fn run_edits(
    child: &mut Child,
    edited: &Path,
    edits: usize,
    log: &Arc<Mutex<Vec<String>>>,
) -> anyhow::Result<Row> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("Serving at http://")
        .with_context(|| format!("serve did not start: {line:?}"))?;
    let (host, base) = url.split_at(url.find('/').unwrap_or(url.len()));
    let full_build_ms = log_times(log, "built the site in")
        .first()
        .copied()
        .unwrap_or(f64::NAN);
    let events = subscribe(host, base)?;
    let stem = edited
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let page = format!("{base}incidents/{stem}/");
    let original = std::fs::read_to_string(edited)?;
    let title_line = original.lines().next().unwrap_or_default().to_string();
    let (mut to_event, mut to_page, mut to_timeline) = (Vec::new(), Vec::new(), Vec::new());
    // The timeline page that lists the edited incident: a page of its year.
    let year = stem.get(..4).unwrap_or_default().to_string();
    let timeline = format!("{base}timeline/{year}/");
    for k in 0..edits {
        // Let the previous rebuild finish completely first.
        let started = Instant::now();
        while log_times(log, "rendered data and feeds in").len() < k {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "the rebuild did not finish"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        let marker = format!("edit number {k}");
        // A new title and a new death toll: the page, its regions, actor, timeline, indexes,
        // map data and downloads all change.
        let text: String = original
            .lines()
            .map(|l| {
                if l == title_line {
                    format!("title = \"Synthetic, {marker}\"\n")
                } else if l.starts_with("killed = ") {
                    format!("killed = {}\n", 100 + k)
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let saved = Instant::now();
        std::fs::write(edited, text)?;
        loop {
            let event = events
                .recv_timeout(Duration::from_secs(60))
                .context("no reload event within 60 s")?;
            if event == "reload" {
                break;
            }
        }
        to_event.push(saved.elapsed().as_secs_f64() * 1000.0);
        let body = get(host, &page)?;
        anyhow::ensure!(body.contains(&marker), "{page} does not show the edit");
        to_page.push(saved.elapsed().as_secs_f64() * 1000.0);
        let mut n = 1;
        loop {
            let url = if n == 1 {
                timeline.clone()
            } else {
                format!("{timeline}page/{n}/")
            };
            let body = get(host, &url)?;
            if body.contains(&marker) {
                break;
            }
            anyhow::ensure!(
                body.starts_with("HTTP/1.1 200") && n < 1000,
                "no page of {timeline} shows the edit"
            );
            n += 1;
        }
        to_timeline.push(saved.elapsed().as_secs_f64() * 1000.0);
    }
    std::fs::write(edited, original)?;
    let count = |what: &str| -> String {
        log.lock()
            .ok()
            .and_then(|l| l.iter().rev().find(|s| s.contains(what)).cloned())
            .and_then(|s| s.split('(').nth(1)?.split(' ').next().map(str::to_string))
            .unwrap_or_default()
    };
    let rerendered = format!(
        "{} + {} + {}",
        count("rebuilt in"),
        count("rendered lists in"),
        count("rendered data and feeds in")
    );
    Ok(Row {
        full_build_ms,
        to_event,
        to_page,
        to_timeline,
        rerendered,
    })
}

/// Milliseconds from the serve log lines "… <what> <ms> ms …".
fn log_times(log: &Arc<Mutex<Vec<String>>>, what: &str) -> Vec<f64> {
    let Ok(lines) = log.lock() else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|l| l.split(what).nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

fn subscribe(host: &str, base: &str) -> anyhow::Result<Receiver<String>> {
    let mut stream = TcpStream::connect(host)?;
    write!(
        stream,
        "GET {base}__sitrep/events HTTP/1.1\r\nHost: {host}\r\n\r\n"
    )?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(name) = line.strip_prefix("event: ") {
                if sender.send(name.to_string()).is_err() {
                    break;
                }
            }
        }
    });
    anyhow::ensure!(
        receiver.recv_timeout(Duration::from_secs(10))? == "hello",
        "the event stream did not open"
    );
    Ok(receiver)
}

fn get(host: &str, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(host)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}
