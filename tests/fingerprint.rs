//! Integration tests of the build fingerprint (`src/output/fingerprint.rs`): a rebuild with
//! nothing changed renders and writes nothing and says so, with the same warnings; any change
//! to an input (content, theme, config, flags, the date, the binary) or to the output folder,
//! and `--force`, makes a real build whose output is that of a cold build.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{read_tree, repo_root, text};

const FINGERPRINT: &str = ".sitrep-fingerprint";
const BASE: &str = "https://example.org/atlas/";

/// The minimal fixture with its own copy of the theme (so a test may edit a template).
fn site() -> tempfile::TempDir {
    let site = common::fixture_site("minimal");
    let theme = site.path().join("themes/default");
    common::copy_tree(&repo_root().join("themes/default"), &theme);
    common::set_theme(site.path(), "default");
    site
}

/// Runs `exe` (the built sitrep unless given) with a fixed date and Leaflet from the repo.
fn run_with(exe: &Path, root: &Path, today: &str, args: &[&str]) -> Output {
    Command::new(exe)
        .arg("--root")
        .arg(root)
        .args(args)
        .env(
            "SITREP_LEAFLET_DIR",
            repo_root().join("node_modules/leaflet/dist"),
        )
        .env("SITREP_TODAY", today)
        .env_remove("SITREP_GEODATA_MIRROR")
        .env_remove("SITREP_TIMINGS")
        .output()
        .expect("run sitrep")
}

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sitrep"))
}

/// `sitrep build --timings` into `out`, with extra flags.
fn build(root: &Path, out: &Path, extra: &[&str]) -> Output {
    build_with(&exe(), root, out, "2025-06-30", extra)
}

fn build_with(exe: &Path, root: &Path, out: &Path, today: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        "--timings",
        "--output",
        out.to_str().expect("utf8 path"),
    ];
    if !extra.contains(&"--base-url") {
        args.extend(["--base-url", BASE]);
    }
    args.extend(extra);
    let output = run_with(exe, root, today, &args);
    assert!(output.status.success(), "{}", text(&output));
    output
}

fn skipped(output: &Output) -> bool {
    let all = text(output);
    let summary = all
        .lines()
        .rev()
        .find(|l| l.contains(" pages ("))
        .unwrap_or_else(|| panic!("no summary line in: {all}"));
    let up_to_date = summary.contains("up to date");
    assert_eq!(
        up_to_date,
        !summary.contains("built "),
        "a summary says either: {summary}"
    );
    assert!(summary.contains(" s → "), "time and folder: {summary}");
    up_to_date
}

/// Why the build was not skipped (`--timings` prints it).
fn reason(output: &Output) -> String {
    let all = text(output);
    all.lines()
        .find_map(|l| l.strip_prefix("built because: "))
        .unwrap_or_else(|| panic!("no reason in: {all}"))
        .to_string()
}

/// An entry's bytes (files only), inode and modification time.
type Stamp = (Option<Vec<u8>>, u64, i64, i64);

/// Every entry (hidden ones too) with its bytes, inode and modification time.
fn stamps(dir: &Path) -> BTreeMap<String, Stamp> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.expect("walk");
            let meta = e.metadata().expect("stat");
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).expect("read"));
            (rel, (bytes, meta.ino(), meta.mtime(), meta.mtime_nsec()))
        })
        .collect()
}

/// The site's files (`read_tree` leaves the fingerprint out: it holds times and inodes).
fn site_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let files = read_tree(dir);
    assert!(files.iter().all(|(p, _)| p != FINGERPRINT));
    files
}

fn assert_same_as_cold(root: &Path, out: &Path) {
    let cold = root.join("cold-reference");
    let _ = std::fs::remove_dir_all(&cold);
    let result = build(root, &cold, &[]);
    assert!(!skipped(&result), "a new folder is always built");
    assert!(
        site_files(out) == site_files(&cold),
        "the output differs from a cold build"
    );
    std::fs::remove_dir_all(&cold).expect("rm");
}

fn pause() {
    // Coarse file-system clocks: make sure a new write gets a new time.
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[test]
fn a_rebuild_with_nothing_changed_is_skipped_and_touches_nothing() {
    let site = site();
    let out = site.path().join("public");
    let first = build(site.path(), &out, &[]);
    assert!(!skipped(&first));
    assert!(out.join(FINGERPRINT).is_file());
    let before = stamps(&out);
    pause();
    let again = build(site.path(), &out, &[]);
    assert!(skipped(&again), "{}", text(&again));
    assert_eq!(
        stamps(&out),
        before,
        "a file was written, replaced or removed"
    );
    // Twice in a row, and the figures are the first build's.
    let third = build(site.path(), &out, &[]);
    assert!(skipped(&third));
    let figures = |o: &Output| {
        let all = text(o);
        let line = all
            .lines()
            .rev()
            .find(|l| l.contains(" pages ("))
            .expect("summary")
            .to_string();
        let pages = line[..line.find(" pages (").expect("pages")]
            .rsplit(' ')
            .next()
            .expect("count")
            .to_string();
        let incidents = line[line.find(" pages (").expect("pages") + 8..]
            .split(' ')
            .next()
            .expect("incidents")
            .to_string();
        (pages, incidents)
    };
    assert_eq!(figures(&third), figures(&first));
    assert_same_as_cold(site.path(), &out);
}

#[test]
fn a_skipped_build_prints_the_same_warnings() {
    let site = site();
    let brief = site.path().join("content/briefs/overview.md");
    let mut text_of_brief = std::fs::read_to_string(&brief).expect("brief");
    text_of_brief.push_str("\n<script>alert(1)</script>\n");
    std::fs::write(&brief, text_of_brief).expect("write");
    let out = site.path().join("public");
    let warnings = |o: &Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .take_while(|l| !l.starts_with("stage timings:"))
            .map(str::to_string)
            .collect()
    };
    let first = build(site.path(), &out, &[]);
    let shown = warnings(&first);
    assert!(
        shown.iter().any(|l| l.contains("raw-html-stripped")),
        "{}",
        text(&first)
    );
    let again = build(site.path(), &out, &[]);
    assert!(skipped(&again));
    assert_eq!(warnings(&again), shown);
}

#[test]
fn a_changed_content_file_makes_a_real_build() {
    let site = site();
    let out = site.path().join("public");
    build(site.path(), &out, &[]);
    let incident = site
        .path()
        .join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let changed = std::fs::read_to_string(&incident)
        .expect("read")
        .replace("killed = 3", "killed = 4");
    std::fs::write(&incident, changed).expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(reason(&result).contains("content"), "{}", text(&result));
    let page = std::fs::read_to_string(out.join("incidents/2024-07-04-gamma-clash/index.html"))
        .expect("page");
    assert!(page.contains('4'));
    assert!(skipped(&build(site.path(), &out, &[])));
    // A new file, and a hidden one (which the loader ignores, so nothing to rebuild).
    std::fs::write(
        site.path().join("content/incidents/2024/.draft.toml.swp"),
        "editor swap file",
    )
    .expect("write");
    assert!(skipped(&build(site.path(), &out, &[])));
    // A hidden record is not read either, but the build warns about it: its name counts.
    let hidden = site
        .path()
        .join("content/incidents/2024/.2024-07-05-draft.toml");
    std::fs::write(&hidden, "title = \"draft\"\n").expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(text(&result).contains("hidden-file"), "{}", text(&result));
    let again = build(site.path(), &out, &[]);
    assert!(skipped(&again));
    assert!(text(&again).contains("hidden-file"), "{}", text(&again));
    std::fs::remove_file(&hidden).expect("rm");
    assert!(!skipped(&build(site.path(), &out, &[])));
    // Written again with the same bytes (a new time): bytes count, not times.
    pause();
    let same = std::fs::read(&incident).expect("read");
    std::fs::write(&incident, same).expect("write");
    assert!(skipped(&build(site.path(), &out, &[])), "same bytes");
    // A new content file.
    std::fs::copy(
        site.path().join("content/briefs/overview.md"),
        site.path().join("content/briefs/second.md"),
    )
    .expect("copy");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(out.join("briefs/second/index.html").is_file());
    assert_same_as_cold(site.path(), &out);
}

#[test]
fn a_changed_template_config_flag_or_date_makes_a_real_build() {
    let site = site();
    let out = site.path().join("public");
    build(site.path(), &out, &[]);
    // A template: a comment changes no page, but the build must still run.
    let template = site.path().join("themes/default/templates/base.html");
    let mut t = std::fs::read_to_string(&template).expect("template");
    t.push_str("{# a comment #}\n");
    std::fs::write(&template, t).expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert_eq!(reason(&result), "changed since the last build: theme");
    assert!(skipped(&build(site.path(), &out, &[])));
    // A static file of the theme.
    let css = walkdir::WalkDir::new(site.path().join("themes/default/static"))
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "css"))
        .expect("a stylesheet")
        .into_path();
    let mut c = std::fs::read_to_string(&css).expect("css");
    c.push_str("\n/* changed */\n");
    std::fs::write(&css, &c).expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(reason(&result).contains("theme"));
    let rel = css
        .strip_prefix(site.path().join("themes/default"))
        .expect("prefix");
    assert_eq!(std::fs::read_to_string(out.join(rel)).expect("copied"), c);
    // A file of the site's own static folder, new then changed.
    std::fs::create_dir_all(site.path().join("static")).expect("mkdir");
    for domain in ["atlas.example.org\n", "atlas.example.net\n"] {
        std::fs::write(site.path().join("static/CNAME"), domain).expect("write");
        let result = build(site.path(), &out, &[]);
        assert!(!skipped(&result));
        assert_eq!(reason(&result), "changed since the last build: static");
        assert_eq!(
            std::fs::read_to_string(out.join("CNAME")).expect("copied"),
            domain
        );
    }
    // The config file.
    let config = site.path().join("sitrep.toml");
    let text_of_config = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        text_of_config.replace("A small synthetic atlas", "A tiny synthetic atlas"),
    )
    .expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert_eq!(reason(&result), "changed since the last build: settings");
    assert!(std::fs::read_to_string(out.join("index.html"))
        .expect("home")
        .contains("A tiny synthetic atlas"));
    // A flag that changes the output.
    let result = build(
        site.path(),
        &out,
        &["--base-url", "https://example.org/other/"],
    );
    assert!(!skipped(&result));
    assert_eq!(reason(&result), "changed since the last build: settings");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result), "and back");
    // "Today", which the checks use.
    assert!(skipped(&build(site.path(), &out, &[])));
    let result = build_with(&exe(), site.path(), &out, "2025-07-01", &[]);
    assert!(!skipped(&result));
    assert_eq!(reason(&result), "changed since the last build: today");
    // --force builds regardless, and writes nothing that is already right.
    let result = build_with(&exe(), site.path(), &out, "2025-07-01", &["--force"]);
    assert!(!skipped(&result));
    assert_eq!(reason(&result), "--force");
    assert!(text(&result).contains("0 written"), "{}", text(&result));
    assert!(skipped(&build_with(
        &exe(),
        site.path(),
        &out,
        "2025-07-01",
        &[]
    )));
    assert_same_as_cold(site.path(), &out);
}

#[test]
fn another_sitrep_binary_makes_a_real_build() {
    let site = site();
    let out = site.path().join("public");
    build(site.path(), &out, &[]);
    assert!(skipped(&build(site.path(), &out, &[])));
    // The same program with one more byte at the end: another binary as far as anyone knows.
    let other = site.path().join("sitrep-other");
    std::fs::copy(exe(), &other).expect("copy");
    let mut bytes = std::fs::OpenOptions::new()
        .append(true)
        .open(&other)
        .expect("open");
    std::io::Write::write_all(&mut bytes, b"\0").expect("append");
    drop(bytes);
    let result = build_with(&other, site.path(), &out, "2025-06-30", &[]);
    assert!(!skipped(&result));
    assert_eq!(reason(&result), "changed since the last build: binary");
    assert!(skipped(&build_with(
        &other,
        site.path(),
        &out,
        "2025-06-30",
        &[]
    )));
}

#[test]
fn a_changed_output_folder_makes_a_real_build() {
    let site = site();
    let out = site.path().join("public");
    build(site.path(), &out, &[]);
    let page = out.join("incidents/2024-07-04-gamma-clash/index.html");
    let original = std::fs::read(&page).expect("page");
    // Edited by hand, same size.
    let mut edited = original.clone();
    let last = edited.len() - 1;
    edited[last] = if edited[last] == b'x' { b'y' } else { b'x' };
    pause();
    std::fs::write(&page, &edited).expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(
        reason(&result).contains("output folder"),
        "{}",
        text(&result)
    );
    assert_eq!(std::fs::read(&page).expect("page"), original);
    assert!(skipped(&build(site.path(), &out, &[])));
    // Removed.
    std::fs::remove_file(&page).expect("rm");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(
        reason(&result).contains("output folder changed"),
        "{}",
        reason(&result)
    );
    assert_eq!(std::fs::read(&page).expect("page"), original);
    // Added: a stray file and an empty folder.
    std::fs::write(out.join("stray.html"), "left by hand").expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(reason(&result).contains("output folder changed"));
    assert!(!out.join("stray.html").exists());
    std::fs::create_dir(out.join("empty")).expect("mkdir");
    assert!(!skipped(&build(site.path(), &out, &[])));
    assert!(!out.join("empty").exists());
    // The record itself removed or garbled.
    std::fs::remove_file(out.join(FINGERPRINT)).expect("rm");
    assert!(!skipped(&build(site.path(), &out, &[])));
    std::fs::write(out.join(FINGERPRINT), "{not json").expect("write");
    let result = build(site.path(), &out, &[]);
    assert!(!skipped(&result));
    assert!(reason(&result).contains("unreadable"));
    assert!(skipped(&build(site.path(), &out, &[])));
    assert_same_as_cold(site.path(), &out);
}

#[test]
fn a_failed_build_then_a_fix_works() {
    let site = site();
    let out = site.path().join("public");
    build(site.path(), &out, &[]);
    let incident = site
        .path()
        .join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let good = std::fs::read_to_string(&incident).expect("read");
    std::fs::write(&incident, good.replace("killed = 3", "killed = -3")).expect("write");
    let args = [
        "build",
        "--output",
        out.to_str().expect("utf8"),
        "--base-url",
        BASE,
    ];
    let failed = run_with(&exe(), site.path(), "2025-06-30", &args);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(text(&failed).contains("negative-figure"));
    // The failure is reported every time, never skipped.
    let failed = run_with(&exe(), site.path(), "2025-06-30", &args);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    // Fixed differently from before: a real build.
    std::fs::write(&incident, good.replace("killed = 3", "killed = 5")).expect("write");
    let fixed = build(site.path(), &out, &[]);
    assert!(!skipped(&fixed));
    assert!(skipped(&build(site.path(), &out, &[])));
    assert_same_as_cold(site.path(), &out);
    // Broken, then put back exactly as it was: the folder is what those inputs make.
    std::fs::write(&incident, good.replace("killed = 3", "killed = -3")).expect("write");
    let failed = run_with(&exe(), site.path(), "2025-06-30", &args);
    assert_eq!(failed.status.code(), Some(1));
    std::fs::write(&incident, good.replace("killed = 3", "killed = 5")).expect("write");
    assert!(skipped(&build(site.path(), &out, &[])));
    assert_same_as_cold(site.path(), &out);
}

#[test]
fn check_neither_reads_nor_writes_the_fingerprint() {
    let site = site();
    let out = site.path().join("public");
    build(site.path(), &out, &[]);
    let before = stamps(&out);
    let checked = run_with(&exe(), site.path(), "2025-06-30", &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert_eq!(stamps(&out), before);
}
