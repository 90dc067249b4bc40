//! Property tests over content parsing and validation: no input — arbitrary text, arbitrary
//! bytes, mutations of a valid incident, or incidents with arbitrary field values — makes the
//! parser or the checks panic, and every diagnostic points inside its file.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

use std::sync::OnceLock;

use proptest::prelude::*;

use sitrep::config::{Config, Overrides};
use sitrep::content::{parse_file, FileKind, RawContent};
use sitrep::diagnostic::Diagnostic;
use sitrep::GeoData;

const VALID_INCIDENT: &str =
    include_str!("fixtures/minimal/content/incidents/2023/2023-05-10-alpha-market.toml");
const VALID_BRIEF: &str = include_str!("fixtures/minimal/content/briefs/overview.md");

fn geo() -> &'static GeoData {
    static GEO: OnceLock<GeoData> = OnceLock::new();
    GEO.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal");
        let config = Config::load(&root, &Overrides::default()).unwrap();
        sitrep::load_geodata(&config).unwrap()
    })
}

/// Parses `text` as a file of `kind`, then runs every check on it; returns all diagnostics.
fn parse_and_check(kind: FileKind, path: &str, slug: &str, text: &str) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut raw = RawContent::default();
    match parse_file(kind, path, slug, text.to_string()) {
        Ok(parsed) => raw.add(parsed),
        Err(found) => {
            diagnostics.extend(found);
            raw.unparsed.push((kind, slug.to_string()));
        }
    }
    let geo = geo();
    let mut regions = geo.regions.clone();
    let mut ctx = sitrep::validate::Context {
        regions: &mut regions,
        layers: &geo.layers,
        today: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
    };
    let (_atlas, mut more) = sitrep::validate::link(&raw, &mut ctx);
    diagnostics.append(&mut more);
    let paths = ["index.html".to_string()].into_iter().collect();
    diagnostics.extend(sitrep::validate::check_markdown_links(&raw, &paths));
    diagnostics
}

/// Every positioned diagnostic is on a line of the file and names a column on it.
fn assert_positions_inside(text: &str, diagnostics: &[Diagnostic]) {
    let lines: Vec<&str> = text.split('\n').collect();
    for d in diagnostics {
        if d.line == 0 {
            assert_eq!(d.column, 0, "{d:?}");
            continue;
        }
        assert!(
            d.line <= lines.len(),
            "line {} of {}: {d:?}",
            d.line,
            lines.len()
        );
        let width = lines[d.line - 1].chars().count();
        assert!(
            d.column >= 1 && d.column <= width + 1,
            "column {} of {width}: {d:?}",
            d.column
        );
    }
}

fn all_kinds(text: &str) {
    for (kind, path, slug) in [
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
    ] {
        let diagnostics = parse_and_check(kind, path, slug, text);
        assert_positions_inside(text, &diagnostics);
    }
}

/// Characters that matter to TOML, Markdown and HTML, for mutations.
const SPECIAL: &[&str] = &[
    "\"",
    "'",
    "\"\"\"",
    "[",
    "]",
    "[[",
    "{",
    "}",
    "=",
    "#",
    "\n",
    "\\",
    ".",
    "-",
    ":",
    "T",
    "Z",
    "+",
    "0",
    "9",
    "1e999",
    "nan",
    "inf",
    "-0",
    "<",
    ">",
    "](",
    "<script>",
    "\u{0}",
    "\u{feff}",
    "é",
    "\r\n",
    "+++\n",
    "2024-02-30",
    "99999-01-01",
];

fn mutation() -> impl Strategy<Value = (usize, usize, String)> {
    (
        any::<usize>(),
        0usize..12,
        prop_oneof![
            proptest::sample::select(SPECIAL).prop_map(str::to_string),
            ".{0,8}",
        ],
    )
}

/// Replaces `delete` bytes at a char boundary near `at` with `insert`.
fn mutate(text: &str, (at, delete, insert): &(usize, usize, String)) -> String {
    let mut start = at % (text.len() + 1);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + delete).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{insert}{}", &text[..start], &text[end..])
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        Just(String::new()),
        Just("TODO".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("[x](/incidents/nope/)".to_string()),
        "[a-zA-Z ]{1,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        all_kinds(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        all_kinds(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_incidents_never_panic(edits in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = VALID_INCIDENT.to_string();
        for edit in &edits {
            text = mutate(&text, edit);
        }
        all_kinds(&text);
    }

    #[test]
    fn mutated_briefs_never_panic(edits in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = VALID_BRIEF.to_string();
        for edit in &edits {
            text = mutate(&text, edit);
        }
        all_kinds(&text);
    }

    #[test]
    fn incidents_with_arbitrary_values_never_panic(
        title in text_value(),
        summary in text_value(),
        district in prop_oneof![Just("Alpha".to_string()), Just("Beta town".to_string()), text_value()],
        kind in prop_oneof![Just("bombing".to_string()), text_value()],
        year in 1i64..10000,
        month in 1i64..13,
        day in 1i64..32,
        killed in any::<i64>(),
        min in any::<i64>(),
        max in any::<i64>(),
        lat in prop_oneof![any::<f64>(), -90.0f64..90.0],
        lon in prop_oneof![any::<f64>(), -180.0f64..180.0],
        url in text_value(),
        publisher in text_value(),
    ) {
        let mut table = toml::Table::new();
        table.insert("title".into(), title.into());
        table.insert("country".into(), "PAK".into());
        table.insert("district".into(), district.into());
        table.insert("type".into(), kind.into());
        table.insert("killed".into(), killed.into());
        let mut range = toml::Table::new();
        range.insert("min".into(), min.into());
        range.insert("max".into(), max.into());
        table.insert("injured".into(), range.into());
        table.insert("summary".into(), summary.into());
        let mut location = toml::Table::new();
        location.insert("lat".into(), lat.into());
        location.insert("lon".into(), lon.into());
        table.insert("location".into(), location.into());
        let mut source = toml::Table::new();
        source.insert("publisher".into(), publisher.into());
        source.insert("title".into(), "Report".into());
        source.insert("url".into(), url.into());
        table.insert("sources".into(), toml::Value::Array(vec![source.into()]));
        // The date goes in as text: impossible days (02-30) must be reported, not rejected early.
        let text = format!("date = {year:04}-{month:02}-{day:02}\n{}", toml::to_string(&table).unwrap());
        let diagnostics = parse_and_check(
            FileKind::Incident,
            "content/incidents/2024/2024-01-01-x.toml",
            "2024-01-01-x",
            &text,
        );
        assert_positions_inside(&text, &diagnostics);
        // TOML of the right shape always parses or names the bad date: never a syntax error.
        prop_assert!(
            !diagnostics.iter().any(|d| d.kind == "toml-syntax"),
            "{text}\n{diagnostics:?}"
        );
    }
}
