//! Fuzz target for the content parsers and checks: the first byte picks the kind of file
//! (incident, actor, brief, region note, aliases), the rest is its text. Parsing and every
//! check run on it (against the fixture geodata); any panic is a bug.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sitrep::config::{Config, Overrides};
use sitrep::content::{parse_file, FileKind, RawContent};
use sitrep::GeoData;

fn geo() -> &'static GeoData {
    static GEO: OnceLock<GeoData> = OnceLock::new();
    GEO.get_or_init(|| {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minimal");
        let config = Config::load(&root, &Overrides::default()).expect("fixture config");
        sitrep::load_geodata(&config).expect("fixture geodata")
    })
}

const KINDS: [(FileKind, &str, &str); 5] = [
    (
        FileKind::Incident,
        "content/incidents/2024/2024-01-01-x.toml",
        "2024-01-01-x",
    ),
    (FileKind::Actor, "content/actors/x.toml", "x"),
    (FileKind::Brief, "content/briefs/x.md", "x"),
    (
        FileKind::RegionNote,
        "content/regions/northland.md",
        "northland",
    ),
    (FileKind::Aliases, "content/regions/aliases.toml", "aliases"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (kind, path, slug) = KINDS[usize::from(selector) % KINDS.len()];
    let text = String::from_utf8_lossy(rest).into_owned();
    let mut raw = RawContent::default();
    match parse_file(kind, path, slug, text) {
        Ok(parsed) => raw.add(parsed),
        Err(_) => return,
    }
    let geo = geo();
    let mut regions = geo.regions.clone();
    let mut ctx = sitrep::validate::Context {
        regions: &mut regions,
        layers: &geo.layers,
        today: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date"),
    };
    let _ = sitrep::validate::link(&raw, &mut ctx);
    let paths = ["index.html".to_string()].into_iter().collect();
    let _ = sitrep::validate::check_markdown_links(&raw, &paths);
});
