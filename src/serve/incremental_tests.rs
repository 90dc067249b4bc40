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
        if let Some(rest) = incremental.finish(&f.config, &f.geo) {
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
