//! Incremental builds must serve exactly what a full build of the same files gives, after
//! every kind of incident edit, and re-render only part of the site.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Incremental;
use crate::config::{Config, Overrides};
use crate::serve::engine::Outcome;
use crate::serve::watch::Change;

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

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: Config,
    geo: crate::GeoData,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    /// The fixture site, changed by `setup` before its config is read.
    fn with(setup: impl Fn(&Path)) -> Fixture {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap().join("site");
        copy_tree(&repo.join("tests/fixtures/minimal"), &root);
        let text = std::fs::read_to_string(root.join("sitrep.toml")).unwrap();
        let text = text
            .replace(
                "../../../themes/default",
                &repo.join("themes/default").to_string_lossy(),
            )
            .replace(
                "\"../geo\"",
                &format!("{:?}", repo.join("tests/fixtures/geo")),
            );
        std::fs::write(root.join("sitrep.toml"), text).unwrap();
        setup(&root);
        let mut config = Config::load(&root, &Overrides::default()).unwrap();
        config.leaflet_dir = repo.join("node_modules/leaflet/dist");
        config.today = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let geo = crate::load_geodata(&config).unwrap();
        Fixture {
            _dir: dir,
            root,
            config,
            geo,
        }
    }

    fn full(&self) -> BTreeMap<String, Vec<u8>> {
        let generated = crate::generate(&self.config, &self.geo, &|_| {}).unwrap();
        assert!(!generated.has_errors(), "{:?}", generated.diagnostics);
        generated
            .files
            .into_iter()
            .map(|f| (f.path, f.bytes))
            .collect()
    }
}

/// Applies an outcome to the served files; returns how many files it carried.
fn apply(served: &mut BTreeMap<String, Vec<u8>>, outcome: Outcome) -> usize {
    match outcome {
        Outcome::Built {
            files,
            removed,
            complete,
            ..
        } => {
            if complete {
                served.clear();
            }
            for path in removed {
                served.remove(&path);
            }
            let count = files.len();
            served.extend(files.into_iter().map(|f| (f.path, f.bytes)));
            count
        }
        Outcome::Failed { diagnostics } => panic!("build failed: {diagnostics:?}"),
    }
}

fn differences(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

#[test]
fn incident_edits_give_what_a_full_build_gives() {
    let f = Fixture::new();
    let mut incremental = Incremental::default();
    let mut served = BTreeMap::new();
    let first = incremental
        .build(&f.config, &f.root, &f.geo, &Change::default())
        .unwrap();
    let total = apply(&mut served, first);
    assert_eq!(differences(&served, &f.full()), Vec::<String>::new());

    let beta = "content/incidents/2024/2024-03-01-beta-police-post.toml";
    let alpha = "content/incidents/2023/2023-05-10-alpha-market.toml";
    let added = "content/incidents/2024/2024-09-09-new-clash.toml";
    let gamma = std::fs::read_to_string(
        f.root
            .join("content/incidents/2024/2024-07-04-gamma-clash.toml"),
    )
    .unwrap()
    .replace("Clash in Gamma", "New clash")
    .replace("2024-07-04", "2024-09-09")
    .replace("2024-07-05", "2024-09-10");
    type Edit = Box<dyn Fn(&Path)>;
    let replace =
        |file: &'static str, from: &'static str, to: &'static str| -> (&'static str, Edit) {
            let edit: Edit = Box::new(move |root: &Path| {
                let path = root.join(file);
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(text.contains(from), "{file} lacks {from}");
                std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            });
            (file, edit)
        };
    let edits: Vec<(&str, Edit)> = vec![
        replace(
            beta,
            "Attack on a police post in Beta",
            "Raid on the Beta post",
        ),
        replace(beta, "killed = 5", "killed = 50"),
        replace(beta, "actor = \"group-a-faction\"", "actor = \"group-a\""),
        (
            alpha,
            Box::new(move |root: &Path| {
                // Moves the incident to another district (and drops its point there).
                let path = root.join(alpha);
                let text = std::fs::read_to_string(&path).unwrap();
                let location = "[location]\nname = \"Alpha town\"\nlat = 33.0\nlon = 71.0\ngeo_precision = \"town\"\n";
                assert!(text.contains(location));
                let text = text
                    .replace(location, "")
                    .replace("district = \"Alpha\"", "district = \"Beta town\"");
                std::fs::write(&path, text).unwrap();
            }),
        ),
        replace(
            alpha,
            "related = [\"2024-03-01-beta-police-post\"]",
            "related = []",
        ),
        (
            added,
            Box::new(move |root: &Path| std::fs::write(root.join(added), &gamma).unwrap()),
        ),
        (
            added,
            Box::new(move |root: &Path| std::fs::remove_file(root.join(added)).unwrap()),
        ),
    ];
    for (file, edit) in edits {
        edit(&f.root);
        let change = Change {
            content: vec![f.root.join(file)],
            ..Change::default()
        };
        let outcome = incremental
            .build(&f.config, &f.root, &f.geo, &change)
            .unwrap();
        let mut rendered = apply(&mut served, outcome);
        while let Some(rest) = incremental.finish(&f.config, &f.geo) {
            rendered += apply(&mut served, rest.unwrap());
        }
        assert!(
            rendered < total,
            "{file}: re-rendered {rendered} of {total} files"
        );
        assert_eq!(
            differences(&served, &f.full()),
            Vec::<String>::new(),
            "after editing {file}"
        );
    }
}

/// Adds `n` incidents in district Alpha over 2023–2024 (two per month, titles "Grown k") and
/// pages of two timeline incidents and three list incidents.
fn grow(root: &Path, n: usize) {
    let config = std::fs::read_to_string(root.join("sitrep.toml")).unwrap();
    std::fs::write(
        root.join("sitrep.toml"),
        config.replace(
            "[geodata]",
            "[pagination]\ntimeline = 2\nlists = 3\n\n[geodata]",
        ),
    )
    .unwrap();
    for k in 0..n {
        let year = 2023 + (k / 24) as i32;
        let month = 1 + (k / 2) % 12;
        let day = 3 + (k % 2) * 10;
        let id = format!("{year}-{month:02}-{day:02}-grown-{k:02}");
        let text = format!(
            "title = \"Grown {k}\"\ndate = {year}-{month:02}-{day:02}\ncountry = \"PAK\"\ndistrict = \"Alpha\"\ntype = \"armed-assault\"\nkilled = {k}\nsummary = \"Number {k}.\"\n\n[location]\nlat = 33.0\nlon = 71.0\ngeo_precision = \"district\"\n\n[[perpetrators]]\nactor = \"group-a\"\nattribution = \"suspected\"\nby = \"Example Times\"\n\n[[sources]]\npublisher = \"Example Times\"\ntitle = \"Report {k}\"\ndate = 2024-12-31\n"
        );
        std::fs::create_dir_all(root.join(format!("content/incidents/{year}"))).unwrap();
        std::fs::write(
            root.join(format!("content/incidents/{year}/{id}.toml")),
            text,
        )
        .unwrap();
    }
}

#[test]
fn paged_lists_follow_edits_exactly() {
    let f = Fixture::with(|root| grow(root, 30));
    let mut incremental = Incremental::default();
    let mut served = BTreeMap::new();
    let first = incremental
        .build(&f.config, &f.root, &f.geo, &Change::default())
        .unwrap();
    let total = apply(&mut served, first);
    assert_eq!(differences(&served, &f.full()), Vec::<String>::new());
    assert!(served.contains_key("timeline/2023/page/6/index.html"));
    assert!(served.contains_key("regions/northland/alpha/page/9/index.html"));

    let grown = |k: usize| {
        let year = 2023 + (k / 24);
        let month = 1 + (k / 2) % 12;
        let day = 3 + (k % 2) * 10;
        format!("content/incidents/{year}/{year}-{month:02}-{day:02}-grown-{k:02}.toml")
    };
    type Edit = Box<dyn Fn(&Path)>;
    let replace =
        |file: String, from: &'static str, to: &'static str, small: bool| -> (String, Edit, bool) {
            let name = file.clone();
            let edit: Edit = Box::new(move |root: &Path| {
                let path = root.join(&name);
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(text.contains(from), "{name} lacks {from}");
                std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            });
            (file, edit, small)
        };
    let moved = "content/incidents/2022/2022-06-01-grown-moved.toml".to_string();
    let added = "content/incidents/2023/2023-02-20-grown-added.toml".to_string();
    let edits: Vec<(String, Edit, bool)> = vec![
        // Same place in every list: only the pages that show it (and first pages) change.
        replace(
            grown(9),
            "title = \"Grown 9\"",
            "title = \"Renamed nine\"",
            true,
        ),
        replace(grown(17), "killed = 17", "killed = 170", true),
        // A new date in the same month: the same order, but page date spans may move.
        replace(grown(4), "date = 2023-03-03", "date = 2023-03-05", false),
        // Another type: the filter choices of every year page change.
        replace(
            grown(5),
            "type = \"armed-assault\"",
            "type = \"kidnapping\"",
            false,
        ),
        // A new incident shifts every later position.
        (
            added.clone(),
            Box::new({
                let from = f.root.join(grown(1));
                let added = added.clone();
                move |root: &Path| {
                    let text = std::fs::read_to_string(&from)
                        .unwrap()
                        .replace("2023-01-13", "2023-02-20")
                        .replace("Grown 1\"", "Added\"");
                    std::fs::write(root.join(&added), text).unwrap();
                }
            }),
            false,
        ),
        // An incident moved to a year that had none, then deleted: the year comes and goes.
        (
            moved.clone(),
            Box::new({
                let from = f.root.join(grown(2));
                let moved = moved.clone();
                move |root: &Path| {
                    let text = std::fs::read_to_string(&from)
                        .unwrap()
                        .replace("2023-02-03", "2022-06-01")
                        .replace("Grown 2\"", "Moved\"");
                    std::fs::create_dir_all(root.join("content/incidents/2022")).unwrap();
                    std::fs::write(root.join(&moved), text).unwrap();
                }
            }),
            false,
        ),
        (
            moved.clone(),
            Box::new({
                let moved = moved.clone();
                move |root: &Path| std::fs::remove_file(root.join(&moved)).unwrap()
            }),
            false,
        ),
        (
            added.clone(),
            Box::new({
                let added = added.clone();
                move |root: &Path| std::fs::remove_file(root.join(&added)).unwrap()
            }),
            false,
        ),
    ];
    for (file, edit, small) in edits {
        edit(&f.root);
        let change = Change {
            content: vec![f.root.join(&file)],
            ..Change::default()
        };
        let outcome = incremental
            .build(&f.config, &f.root, &f.geo, &change)
            .unwrap();
        let mut rendered = apply(&mut served, outcome);
        while let Some(rest) = incremental.finish(&f.config, &f.geo) {
            rendered += apply(&mut served, rest.unwrap());
        }
        let full = f.full();
        assert_eq!(
            differences(&served, &full),
            Vec::<String>::new(),
            "after editing {file}"
        );
        let pages = full.keys().filter(|p| p.ends_with(".html")).count();
        if small {
            // The incident, home, map, timeline index, indexes, its year's first and own page,
            // its region's and actor's … far fewer than the site's pages.
            assert!(
                rendered < total / 3,
                "{file}: re-rendered {rendered} of {total} files ({pages} pages)"
            );
        }
    }
}

/// The warnings of an incremental build.
fn warnings(outcome: &Outcome) -> Vec<(String, &'static str)> {
    match outcome {
        Outcome::Built { diagnostics, .. } => diagnostics
            .iter()
            .map(|d| (d.file.clone(), d.kind))
            .collect(),
        Outcome::Failed { diagnostics } => panic!("build failed: {diagnostics:?}"),
    }
}

#[test]
fn a_hidden_record_file_is_warned_about_while_it_exists() {
    let f = Fixture::new();
    let mut incremental = Incremental::default();
    let first = incremental
        .build(&f.config, &f.root, &f.geo, &Change::default())
        .unwrap();
    let before = warnings(&first);
    let hidden = "content/incidents/2024/.2024-09-09-draft.toml";
    let change = Change {
        content: vec![f.root.join(hidden)],
        ..Change::default()
    };
    let beta = "content/incidents/2024/2024-03-01-beta-police-post.toml";
    std::fs::copy(f.root.join(beta), f.root.join(hidden)).unwrap();
    let added = incremental
        .build(&f.config, &f.root, &f.geo, &change)
        .unwrap();
    let mut expected = before.clone();
    expected.push((hidden.to_string(), "hidden-file"));
    let mut shown = warnings(&added);
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected);
    // The warnings a full build of the same files gives.
    let full = crate::generate(&f.config, &f.geo, &|_| {}).unwrap();
    let mut full: Vec<_> = full
        .diagnostics
        .iter()
        .map(|d| (d.file.clone(), d.kind))
        .collect();
    full.sort();
    assert_eq!(shown, full);
    std::fs::remove_file(f.root.join(hidden)).unwrap();
    let removed = incremental
        .build(&f.config, &f.root, &f.geo, &change)
        .unwrap();
    assert_eq!(warnings(&removed), before);
}

#[test]
fn every_mistake_of_an_edited_file_reaches_the_overlay() {
    let f = Fixture::new();
    let mut incremental = Incremental::default();
    incremental
        .build(&f.config, &f.root, &f.geo, &Change::default())
        .unwrap();
    let beta = "content/incidents/2024/2024-03-01-beta-police-post.toml";
    let text = std::fs::read_to_string(f.root.join(beta)).unwrap();
    let broken = text
        .replacen("date = 2024-03-01", "date = \"March 1\"", 1)
        .replacen("country = \"PAK\"", "country = \"PAK\"\ncasualties = 3", 1);
    assert_ne!(broken, text, "the fixture changed: update the edit");
    std::fs::write(f.root.join(beta), broken).unwrap();
    let change = Change {
        content: vec![f.root.join(beta)],
        ..Change::default()
    };
    let outcome = incremental
        .build(&f.config, &f.root, &f.geo, &change)
        .unwrap();
    let Outcome::Failed { diagnostics } = outcome else {
        panic!("a broken file built");
    };
    let kinds: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.file == beta)
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds, ["wrong-type", "unknown-field"], "{diagnostics:#?}");
}
