//! Integration tests of the write stage on rebuilds: a rebuild with nothing changed writes
//! nothing, a changed incident rewrites only the files whose bytes change, files the site no
//! longer makes are removed, and a folder sitrep did not make is still refused.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{fixture_site, sitrep, text};

fn build(root: &Path, out: &Path) -> std::process::Output {
    sitrep(
        root,
        &[
            "build",
            "--output",
            out.to_str().expect("utf8 path"),
            "--base-url",
            "https://example.org/atlas/",
        ],
    )
}

/// Every file with its bytes, inode and modification time (the build's fingerprint record
/// left out: every real build rewrites it).
fn stamps(dir: &Path) -> BTreeMap<String, (Vec<u8>, u64, i64, i64)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name() != ".sitrep-fingerprint")
        .map(|e| {
            let meta = e.metadata().expect("stat");
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(e.path()).expect("read");
            (rel, (bytes, meta.ino(), meta.mtime(), meta.mtime_nsec()))
        })
        .collect()
}

/// "… 3 written, 40 unchanged, 1 removed …" from the build summary.
fn counts(output: &std::process::Output) -> (usize, usize, usize) {
    let all = text(output);
    let message = all
        .lines()
        .rev()
        .find(|l| l.contains("built "))
        .unwrap_or_else(|| panic!("no summary line in: {all}"));
    let find = |word: &str| -> usize {
        let end = message
            .find(&format!(" {word}"))
            .unwrap_or_else(|| panic!("no `{word}` in: {message}"));
        let start = message[..end].rfind([' ', '(']).map_or(0, |i| i + 1);
        message[start..end].parse().expect("a count")
    };
    (find("written"), find("unchanged"), find("removed"))
}

#[test]
fn rebuild_with_nothing_changed_writes_nothing() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    let first = build(site.path(), &out);
    assert!(first.status.success(), "{}", text(&first));
    let before = stamps(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // --force: past the fingerprint (tests/fingerprint.rs), to the compare-before-write.
    let again = sitrep(
        site.path(),
        &[
            "build",
            "--force",
            "--output",
            out.to_str().expect("utf8 path"),
            "--base-url",
            "https://example.org/atlas/",
        ],
    );
    assert!(again.status.success(), "{}", text(&again));
    let (written, unchanged, removed) = counts(&again);
    assert_eq!((written, removed), (0, 0), "{}", text(&again));
    assert_eq!(unchanged + 1, before.len(), "every file but the marker");
    assert_eq!(stamps(&out), before, "a file was rewritten or replaced");
}

/// Changes the death toll of one incident of the minimal fixture.
fn change_one_incident(site: &Path) {
    let incident = site.join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let changed = std::fs::read_to_string(&incident)
        .expect("read")
        .replace("killed = 3", "killed = 4");
    std::fs::write(&incident, changed).expect("write");
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[test]
fn a_changed_incident_rewrites_only_what_depends_on_it() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    assert!(build(site.path(), &out).status.success());
    let before = stamps(&out);
    change_one_incident(site.path());
    let result = build(site.path(), &out);
    assert!(result.status.success(), "{}", text(&result));
    let after = stamps(&out);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let mut rewritten = Vec::new();
    for (path, (bytes, ino, secs, nanos)) in &after {
        let (old_bytes, old_ino, old_secs, old_nanos) = &before[path];
        let touched = (ino, secs, nanos) != (old_ino, old_secs, old_nanos);
        // A file is rewritten exactly when its bytes changed.
        assert_eq!(touched, bytes != old_bytes, "{path}");
        if touched {
            rewritten.push(path.clone());
        }
    }
    assert!(
        rewritten.contains(&"incidents/2024-07-04-gamma-clash/index.html".to_string()),
        "{rewritten:?}"
    );
    assert!(
        !rewritten.contains(&"incidents/2023-05-10-alpha-market/index.html".to_string()),
        "an unrelated incident page was rewritten: {rewritten:?}"
    );
    assert!(!rewritten.iter().any(|p| p.starts_with("static/")));
    assert!(rewritten.len() < after.len() / 2, "{rewritten:?}");
    let (written, unchanged, removed) = counts(&result);
    assert_eq!(written, rewritten.len(), "{}", text(&result));
    assert_eq!(unchanged, after.len() - 1 - rewritten.len());
    assert_eq!(removed, 0);
}

/// Every file and folder under `dir`, relative to it.
fn entries(dir: &Path) -> std::collections::BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn files_the_site_no_longer_makes_are_removed() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    assert!(build(site.path(), &out).status.success());
    let page = out.join("incidents/2024-08-01-abroad/index.html");
    assert!(page.is_file());
    let before = entries(&out);
    std::fs::remove_file(
        site.path()
            .join("content/incidents/2024/2024-08-01-abroad.toml"),
    )
    .expect("rm");
    std::fs::write(out.join("stray.html"), "left by hand").expect("write");
    let result = build(site.path(), &out);
    assert!(result.status.success(), "{}", text(&result));
    assert!(!page.exists());
    assert!(!out.join("incidents/2024-08-01-abroad").exists());
    assert!(!out.join("stray.html").exists());
    // What is left is exactly what a cold build makes.
    let cold = site.path().join("cold");
    assert!(build(site.path(), &cold).status.success());
    assert!(common::read_tree(&out) == common::read_tree(&cold));
    assert_eq!(entries(&out), entries(&cold));
    let gone = before.difference(&entries(&cold)).count();
    assert!(gone >= 2, "the page and its folder at least");
    let (_, _, removed) = counts(&result);
    assert_eq!(removed, gone + 1, "and the stray file: {}", text(&result));
}

#[test]
fn a_folder_sitrep_did_not_make_is_still_refused() {
    let site = fixture_site("minimal");
    let out = site.path().join("mine");
    std::fs::create_dir_all(out.join("sub")).expect("mkdir");
    std::fs::write(out.join("sub/precious.txt"), "keep").expect("write");
    let result = build(site.path(), &out);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("not made by sitrep"));
    assert_eq!(
        std::fs::read_to_string(out.join("sub/precious.txt")).expect("kept"),
        "keep"
    );
}

/// Sets the site's theme to a copy of the default one whose incident template fails on the
/// page of "Clash in Gamma": a build then fails while the other pages are being written.
fn break_one_incident_page(site: &Path) {
    let theme = site.join("theme");
    common::copy_dir(&common::repo_root().join("themes/default"), &theme);
    let template = theme.join("templates/incident.html");
    let text_before = std::fs::read_to_string(&template).expect("read");
    let broken = text_before.replacen(
        "{% block main %}",
        "{% block main %}{% if incident.title == \"Clash in Gamma\" %}{{ no_such_variable.at_all }}{% endif %}",
        1,
    );
    assert_ne!(broken, text_before);
    std::fs::write(&template, broken).expect("write");
    common::set_theme(site, "./theme");
}

/// `sitrep build` failing on one page, after others went to the write stage.
fn build_failing_part_way(root: &Path, out: &Path) -> std::process::Output {
    break_one_incident_page(root);
    let result = build(root, out);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(
        text(&result).contains("incidents/2024-07-04-gamma-clash/index.html"),
        "{}",
        text(&result)
    );
    result
}

/// Names in `dir` that sitrep's temporary folders and files would have.
fn leftovers(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sitrep-staging"))
        .collect()
}

#[test]
fn a_cold_build_with_a_template_failing_on_one_page_leaves_nothing() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    build_failing_part_way(site.path(), &out);
    assert!(!out.exists());
    assert_eq!(leftovers(site.path()), Vec::<String>::new());
}

#[test]
fn missing_leaflet_files_are_reported_before_the_content_is_read() {
    // The content has an error too: only Leaflet is reported, so nothing was loaded or
    // rendered before the build stopped.
    let site = fixture_site("minimal");
    let incident = site
        .path()
        .join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let text_before = std::fs::read_to_string(&incident).expect("read");
    std::fs::write(&incident, text_before.replacen("title", "titel", 1)).expect("write");
    let empty = site.path().join("no-leaflet");
    std::fs::create_dir_all(&empty).expect("mkdir");
    for command in [&["check"][..], &["build"][..]] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .arg("--root")
            .arg(site.path())
            .args(command)
            .env("SITREP_TODAY", "2025-06-30")
            .env("SITREP_LEAFLET_DIR", &empty)
            .env_remove("SITREP_GEODATA_MIRROR")
            .output()
            .expect("run sitrep");
        let said = text(&output);
        assert_eq!(output.status.code(), Some(2), "{said}");
        assert!(said.contains("leaflet.js"), "{said}");
        assert!(said.contains("run `npm ci`"), "{said}");
        assert!(!said.contains("titel"), "{said}");
    }
    assert!(!site.path().join("public").exists());
}

#[test]
fn a_rebuild_failing_part_way_leaves_the_folder_untouched() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    assert!(build(site.path(), &out).status.success());
    let before = stamps(&out);
    change_one_incident(site.path());
    let config = site.path().join("sitrep.toml");
    let good_config = std::fs::read(&config).expect("read");
    build_failing_part_way(site.path(), &out);
    assert_eq!(stamps(&out), before, "the folder changed");
    assert_eq!(leftovers(site.path()), Vec::<String>::new());
    // The next good build (the default theme again) writes the change.
    std::fs::write(&config, good_config).expect("write");
    let result = build(site.path(), &out);
    assert!(result.status.success(), "{}", text(&result));
    let (written, _, _) = counts(&result);
    assert!(written > 0, "{}", text(&result));
}

#[test]
fn a_broken_link_found_after_rendering_leaves_the_folder_untouched() {
    // Links are checked against the output paths, so this error is known only once every
    // file has gone to the write stage: cold, the staging folder goes; in place, nothing is
    // applied.
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    assert!(build(site.path(), &out).status.success());
    let before = stamps(&out);
    let incident = site
        .path()
        .join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let broken = std::fs::read_to_string(&incident).expect("read").replace(
        "militants clashed.",
        "militants clashed [here](/incidents/nowhere/).",
    );
    std::fs::write(&incident, broken).expect("write");
    for target in [&out, &site.path().join("cold")] {
        let result = build(site.path(), target);
        assert_eq!(result.status.code(), Some(1), "{}", text(&result));
        assert!(text(&result).contains("broken-link"), "{}", text(&result));
    }
    assert_eq!(stamps(&out), before, "the folder changed");
    assert!(!site.path().join("cold").exists());
    assert_eq!(leftovers(site.path()), Vec::<String>::new());
}

#[test]
fn a_site_inside_its_own_output_folder_is_refused_and_kept() {
    // A rebuild removes what the site does not make: with the sources inside the output,
    // that would be the sources.
    let outer = tempfile::tempdir().expect("tempdir");
    let out = outer.path().join("public");
    let site = fixture_site("minimal");
    assert!(build(site.path(), &out).status.success());
    let nested = out.join("src");
    common::copy_dir(site.path(), &nested);
    let before = common::snapshot(&nested);
    let result = build(&nested, &out);
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(
        text(&result).contains("refusing to build into"),
        "{}",
        text(&result)
    );
    assert!(
        text(&result).contains("the site folder"),
        "{}",
        text(&result)
    );
    assert_eq!(common::snapshot(&nested), before, "the sources changed");
}

#[test]
fn an_output_folder_inside_the_content_or_theme_is_refused() {
    let site = fixture_site("minimal");
    let theme = site.path().join("theme");
    common::copy_dir(&common::repo_root().join("themes/default"), &theme);
    common::set_theme(site.path(), "./theme");
    for inside in ["content/site", "theme/static/out"] {
        let out = site.path().join(inside);
        let result = build(site.path(), &out);
        assert_eq!(result.status.code(), Some(2), "{}", text(&result));
        assert!(text(&result).contains("is inside"), "{}", text(&result));
        assert!(!out.exists(), "{inside} was made");
    }
}

#[test]
fn a_base_url_that_would_make_links_to_another_host_is_refused() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    for (base, why) in [
        ("https://user.github.io//atlas/", "empty segment"),
        ("https://user:secret@example.org/atlas/", "password"),
        ("https://example.org/a/../b/", "`..`"),
    ] {
        let result = common::sitrep(
            site.path(),
            &[
                "build",
                "--output",
                out.to_str().expect("utf8"),
                "--base-url",
                base,
            ],
        );
        let said = text(&result);
        assert_eq!(result.status.code(), Some(1), "{said}");
        assert!(
            said.contains("--base-url: error[invalid-base-url]"),
            "{said}"
        );
        assert!(said.contains(why), "{said}");
        assert!(!out.exists());
    }
}

#[test]
fn the_users_dotfiles_in_the_output_folder_are_kept() {
    // A gh-pages worktree: `.git` (here a file, as `git worktree add` makes it) comes first.
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join(".git"), "gitdir: /elsewhere\n").expect("write");
    let result = build(site.path(), &out);
    assert!(result.status.success(), "{}", text(&result));
    std::fs::create_dir_all(out.join(".well-known")).expect("mkdir");
    std::fs::write(out.join(".well-known/security.txt"), "Contact: x\n").expect("write");
    std::fs::write(out.join(".nojekyll"), "").expect("write");
    // Nothing else changed: the dotfiles do not make the folder differ from the last build.
    let result = build(site.path(), &out);
    assert!(text(&result).contains("up to date"), "{}", text(&result));
    change_one_incident(site.path());
    let result = build(site.path(), &out);
    assert!(result.status.success(), "{}", text(&result));
    assert_eq!(
        std::fs::read_to_string(out.join(".git")).expect("kept"),
        "gitdir: /elsewhere\n"
    );
    assert!(out.join(".nojekyll").is_file());
    assert!(out.join(".well-known/security.txt").is_file());
    // Strays that are not dotfiles still go.
    std::fs::write(out.join("stray.html"), "x").expect("write");
    let result = build(site.path(), &out);
    assert!(result.status.success(), "{}", text(&result));
    assert!(!out.join("stray.html").exists());
    assert!(out.join(".nojekyll").is_file());
}

#[test]
fn a_rebuild_interrupted_by_ctrl_c_leaves_the_folder_as_it_was() {
    if !common::repo_root()
        .join("../shared/geodata/pak-adm2.geojson")
        .is_file()
    {
        eprintln!("skipped: no geodata mirror (../shared/geodata)");
        return;
    }
    // A synthetic site large enough that the rebuild is still rendering when the signal
    // comes: it is sent as soon as the staging folder appears in the output folder.
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = tmp.path().join("site");
    let made = sitrep(
        &common::repo_root(),
        &["synth", "-n", "4000", "--out", site.to_str().expect("utf8")],
    );
    assert!(made.status.success(), "{}", text(&made));
    let out = tmp.path().join("public");
    assert!(build(&site, &out).status.success());
    let before = stamps(&out);
    let config = site.join("sitrep.toml");
    let text_before = std::fs::read_to_string(&config).expect("read");
    let retitled = text_before.replacen("title = \"", "title = \"Renamed ", 1);
    assert_ne!(retitled, text_before);
    std::fs::write(&config, retitled).expect("write");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("--root")
        .arg(&site)
        .args(["build", "--output", out.to_str().expect("utf8")])
        .env("SITREP_TODAY", "2025-06-30")
        .env("SITREP_LEAFLET_DIR", common::leaflet_dir())
        .env_remove("SITREP_GEODATA_MIRROR")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run sitrep");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while leftovers(&out).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no staging folder appeared"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the build ended first"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let result = child.wait_with_output().expect("wait");
    assert_eq!(result.status.code(), Some(130), "{}", text(&result));
    assert!(text(&result).contains("interrupted"), "{}", text(&result));
    assert_eq!(stamps(&out), before, "the folder changed");
    assert_eq!(leftovers(&out), Vec::<String>::new());
}
