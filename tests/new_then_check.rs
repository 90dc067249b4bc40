//! `sitrep new` end to end with the real binary: the new file is where CONTRIBUTING.md says,
//! `check` rejects exactly its TODO placeholders, and once a person fills them `check` passes
//! and `build` publishes it. Also: never overwrites, asks on a terminal, refuses without one.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{check_json, copy_fixture, run_sitrep, snapshot, snapshot_diff};

/// (file, line, kind) of every diagnostic in `file`.
fn diagnostics_in(doc: &serde_json::Value, file: &str) -> BTreeSet<(u64, String)> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == file)
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn line_of(text: &str, needle: &str) -> u64 {
    let index = text
        .lines()
        .position(|l| l.starts_with(needle))
        .unwrap_or_else(|| panic!("no line starting with {needle:?} in\n{text}"));
    index as u64 + 1
}

/// (line, "placeholder") for the line starting with each of `prefixes`.
fn placeholders_at(text: &str, prefixes: &[&str]) -> BTreeSet<(u64, String)> {
    prefixes
        .iter()
        .map(|prefix| (line_of(text, prefix), "placeholder".to_string()))
        .collect()
}

/// `check` fails on `relative` with exactly the placeholders on the lines of `text` that
/// start with `prefixes`.
fn assert_only_placeholders(site: &Path, relative: &str, text: &str, prefixes: &[&str]) {
    let (code, doc) = check_json(site, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        diagnostics_in(&doc, relative),
        placeholders_at(text, prefixes),
        "{doc:#}"
    );
}

/// `check` passes with as many diagnostics as the fixture alone gives.
fn assert_passes_with_nothing_new(site: &Path, baseline_count: usize) {
    let (code, doc) = check_json(site, &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        doc["diagnostics"].as_array().unwrap().len(),
        baseline_count,
        "{doc:#}"
    );
}

/// Does what a contributor does: replaces every TODO value with real text.
fn fill(text: &str, replacements: &[(&str, &str)]) -> String {
    let mut out = Vec::new();
    let mut in_todo_paragraph = false;
    for line in text.lines() {
        if let Some((_, with)) = replacements
            .iter()
            .find(|(prefix, _)| line.starts_with(prefix))
        {
            out.push(with.to_string());
            continue;
        }
        if line.starts_with("TODO") {
            in_todo_paragraph = true;
            out.push("An attack was reported; the sources agree on the figures.".into());
            continue;
        }
        if in_todo_paragraph && !line.is_empty() && !line.starts_with("\"\"\"") {
            continue;
        }
        in_todo_paragraph = false;
        out.push(line.to_string());
    }
    let filled = out.join("\n") + "\n";
    let values: Vec<&str> = filled
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert!(
        !values.iter().any(|l| l.contains("TODO")),
        "TODO left in\n{filled}"
    );
    filled
}

fn run_new(site: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["new"];
    all.extend_from_slice(args);
    run_sitrep(site, &all)
}

#[test]
fn a_new_incident_passes_check_once_its_placeholders_are_filled() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);
    let (_, baseline) = check_json(&site, &[]);
    let baseline_count = baseline["diagnostics"].as_array().unwrap().len();

    let out = run_new(
        &site,
        &[
            "incident",
            "--title",
            "Bombing at Alpha's bazaar",
            "--date",
            "2024-06-02",
            "--district",
            "Beta town",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let relative = "content/incidents/2024/2024-06-02-bombing-at-alpha-s-bazaar.toml";
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), relative);
    let path = site.join(relative);
    let text = std::fs::read_to_string(&path).unwrap();

    // Unfilled: exactly the placeholders are errors, each on its own line.
    assert_only_placeholders(
        &site,
        relative,
        &text,
        &[
            "type = ",
            "TODO: what happened",
            "publisher = ",
            "title = \"TODO\"",
        ],
    );

    // Filled: check passes with nothing new, and build publishes the incident.
    let filled = fill(
        &text,
        &[
            ("type = ", "type = \"bombing\""),
            ("publisher = ", "publisher = \"Example Times\""),
            ("title = \"TODO\"", "title = \"Bomb in the bazaar\""),
        ],
    );
    std::fs::write(&path, filled).unwrap();
    assert_passes_with_nothing_new(&site, baseline_count);
    let out = run_sitrep(&site, &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(
        site.join("public/incidents/2024-06-02-bombing-at-alpha-s-bazaar/index.html"),
    )
    .unwrap();
    assert!(
        page.contains("Bombing at Alpha&#x27;s bazaar")
            || page.contains("Bombing at Alpha's bazaar")
    );

    // Never overwrites.
    let before = std::fs::read(&path).unwrap();
    let again = run_new(
        &site,
        &[
            "incident",
            "--title",
            "Bombing at Alpha's bazaar",
            "--date",
            "2024-06-02",
            "--district",
            "Alpha",
        ],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_new_incident_abroad_asks_for_a_location_and_passes_check_once_filled() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);
    let (_, baseline) = check_json(&site, &[]);
    let baseline_count = baseline["diagnostics"].as_array().unwrap().len();
    let args = [
        "incident",
        "--title",
        "Raid near the border",
        "--date",
        "2024-05-01",
    ];
    let with = |extra: &[&'static str]| [&args[..], extra].concat();

    // Refused, with what to do: an unknown code, a province where the layers have none, a
    // district abroad.
    let refused = [
        (with(&["--country", "AFX"]), "did you mean 'AFG'"),
        (
            with(&["--country", "AFG", "--province", "Kabul"]),
            "no provinces of AFG",
        ),
        (
            with(&["--country", "AFG", "--district", "Alpha"]),
            "cannot be used with",
        ),
        (
            with(&["--country", "PAK", "--province", "Punjab"]),
            "--province is for incidents abroad",
        ),
    ];
    for (args, expected) in refused {
        let out = run_new(&site, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert_eq!(
        check_json(&site, &[]).1["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        baseline_count
    );

    let out = run_new(&site, &with(&["--country", "afg"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let relative = "content/incidents/2024/2024-05-01-raid-near-the-border.toml";
    let path = site.join(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("country = \"AFG\"") && !text.contains("\ndistrict"));

    // Unfilled: the placeholders, and the location's 0, 0, are the errors.
    assert_only_placeholders(
        &site,
        relative,
        &text,
        &[
            "type = ",
            "TODO: what happened",
            "lat = ",
            "publisher = ",
            "title = \"TODO\"",
        ],
    );

    // Filled with a point in the fixture's Afghanistan: check passes with nothing new.
    let filled = fill(
        &text,
        &[
            ("type = ", "type = \"armed-assault\""),
            ("lat = ", "lat = 33.0"),
            ("lon = ", "lon = 68.0"),
            ("publisher = ", "publisher = \"Example Times\""),
            (
                "title = \"TODO\"",
                "title = \"Raid reported near the border\"",
            ),
        ],
    );
    std::fs::write(&path, filled).unwrap();
    assert_passes_with_nothing_new(&site, baseline_count);
}

#[test]
fn a_new_brief_and_a_new_actor_pass_check_once_filled() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);

    let out = run_new(&site, &["brief", "--title", "Fixture review"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let brief = "content/briefs/fixture-review.md";
    let out = run_new(
        &site,
        &["actor", "--name", "Group C Front", "--short-name", "GCF"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actor = "content/actors/gcf.toml";

    let (code, doc) = check_json(&site, &[]);
    assert_eq!(code, 1);
    let kinds = |file| -> Vec<String> {
        diagnostics_in(&doc, file)
            .into_iter()
            .map(|(_, k)| k)
            .collect()
    };
    // brief: summary, publisher, title, body; actor: kind, description, publisher, title.
    assert_eq!(kinds(brief), vec!["placeholder"; 4], "{doc:#}");
    assert_eq!(kinds(actor), vec!["placeholder"; 4], "{doc:#}");

    let brief_text = std::fs::read_to_string(site.join(brief)).unwrap();
    std::fs::write(
        site.join(brief),
        fill(
            &brief_text,
            &[
                ("summary = ", "summary = \"A look back.\""),
                ("publisher = ", "publisher = \"Example Times\""),
                ("title = \"TODO\"", "title = \"Market bombing\""),
            ],
        ),
    )
    .unwrap();
    let actor_text = std::fs::read_to_string(site.join(actor)).unwrap();
    std::fs::write(
        site.join(actor),
        fill(
            &actor_text,
            &[
                ("kind = ", "kind = \"militant-group\""),
                ("publisher = ", "publisher = \"Example Wire\""),
                ("title = \"TODO\"", "title = \"Profile\""),
            ],
        ),
    )
    .unwrap();
    let (code, doc) = check_json(&site, &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(diagnostics_in(&doc, brief).is_empty(), "{doc:#}");
    assert!(diagnostics_in(&doc, actor).is_empty(), "{doc:#}");
}

#[test]
fn without_a_terminal_missing_flags_and_bad_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);
    let before = snapshot(&site);

    let out = run_new(&site, &["incident", "--title", "Clash"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--date, --district"), "{stderr}");

    let out = run_new(
        &site,
        &[
            "incident",
            "--title",
            "Clash",
            "--date",
            "2024-06-02",
            "--district",
            "Alpah",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean 'Alpha'?"), "{stderr}");

    let out = run_new(
        &site,
        &[
            "incident",
            "--title",
            "Clash",
            "--date",
            "2024-02-30",
            "--district",
            "Alpha",
        ],
    );
    assert_eq!(out.status.code(), Some(2));

    assert!(snapshot_diff(&before, &snapshot(&site)).is_empty());
}

#[test]
fn on_a_terminal_missing_values_are_asked_for() {
    // `script` gives the command a pseudo-terminal; the answers come through it.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("minimal", &site);
    let command = format!(
        "{} --root {} new incident",
        env!("CARGO_BIN_EXE_sitrep"),
        site.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("SITREP_TODAY", common::TODAY)
        .env("SITREP_LEAFLET_DIR", common::leaflet_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the command on a pseudo-terminal");
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        // A bad date is asked again; a misspelt district too.
        stdin
            .write_all(b"Ambush near Gamma\n2024-13-01\n2024-04-02\nGama\nGamma\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("Title"), "{shown}");
    assert!(shown.contains("not a date"), "{shown}");
    assert!(shown.contains("did you mean 'Gamma'?"), "{shown}");
    let text = std::fs::read_to_string(
        site.join("content/incidents/2024/2024-04-02-ambush-near-gamma.toml"),
    )
    .unwrap();
    assert!(text.contains("title = \"Ambush near Gamma\""));
    assert!(text.starts_with("# A new incident"));
    assert!(text.contains("district = \"Gamma\""));
}
