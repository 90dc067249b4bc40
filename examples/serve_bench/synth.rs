//! Synthetic sites for the serve benchmark: N incident files spread over the real districts of
//! the geodata, with the repository's theme and boundary layers and a few synthetic actors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Datelike as _;
use sitrep::config::{Config, Overrides};
use sitrep::regions::Level;

/// Where a synthetic incident happens: a real district with a point inside it.
pub struct District {
    pub province: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
}

/// The districts of the home country, read from the repository's own configuration.
pub fn districts(repo: &Path) -> anyhow::Result<Vec<District>> {
    let config = Config::load(repo, &Overrides::default())?;
    let geo = sitrep::load_geodata(&config)?;
    let tree = &geo.regions;
    let list: Vec<District> = tree
        .regions
        .iter()
        .filter(|r| r.level == Level::District && r.country == tree.home_country)
        .filter_map(|r| {
            let province = tree.regions[r.parent?].name.clone();
            let (lon, lat) = r.label?;
            Some(District {
                province,
                name: r.name.clone(),
                lon,
                lat,
            })
        })
        .collect();
    anyhow::ensure!(!list.is_empty(), "the geodata has no districts");
    Ok(list)
}

/// Writes a site with `incidents` incidents into `dir` (which must be empty or absent) and
/// returns the path of one incident file in the middle, the one the benchmark edits.
pub fn write_site(
    repo: &Path,
    dir: &Path,
    incidents: usize,
    districts: &[District],
) -> anyhow::Result<PathBuf> {
    let repo_config = Config::load(repo, &Overrides::default())?;
    let mirror = repo_config
        .mirror
        .context("the repository has no geodata mirror (set SITREP_GEODATA_MIRROR)")?;
    let mirror = std::fs::canonicalize(&mirror)
        .with_context(|| format!("geodata mirror {}", mirror.display()))?;
    let theme = std::fs::canonicalize(&repo_config.theme_dir)?;
    let config = std::fs::read_to_string(repo.join("sitrep.toml"))?
        .replace(
            "theme = \"default\"",
            &format!("theme = {:?}", theme.to_string_lossy()),
        )
        .replace(
            "[geodata]\n",
            &format!("[geodata]\nmirror = {:?}\n", mirror.to_string_lossy()),
        );
    std::fs::create_dir_all(dir.join("content/actors"))?;
    std::fs::write(dir.join("sitrep.toml"), config)?;
    for (slug, _) in ACTORS {
        let text = format!("name = \"Synthetic group {slug}\"\nkind = \"militant-group\"\n");
        std::fs::write(dir.join(format!("content/actors/{slug}.toml")), text)?;
    }
    let mut edited = None;
    for n in 0..incidents {
        let (path, text) = incident(n, districts);
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        if n == incidents / 2 {
            edited = Some(path);
        }
    }
    edited.context("no incidents were written")
}

const TYPES: &[&str] = &[
    "bombing",
    "suicide-bombing",
    "armed-assault",
    "targeted-killing",
    "ambush",
];
const ACTORS: &[(&str, &str)] = &[
    ("ttp", "claimed"),
    ("bla", "claimed"),
    ("iskp", "suspected"),
    ("jamaat-ul-ahrar", "attributed"),
];

/// The n-th synthetic incident: (path under the site, file text). Deterministic.
pub fn incident(n: usize, districts: &[District]) -> (String, String) {
    // 15 years of days; incidents on the same day fall in different districts.
    const DAYS: usize = 15 * 365;
    let district = &districts[(n / DAYS + n * 7) % districts.len()];
    let start = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default();
    let date = start + chrono::Days::new(((n * 37) % DAYS) as u64);
    let (year, month, day) = (date.year(), date.month(), date.day());
    let kind = TYPES[n % TYPES.len()];
    let (actor, attribution) = ACTORS[n % ACTORS.len()];
    let id = format!("{year}-{month:02}-{day:02}-synthetic-{n:05}");
    let mut text = String::new();
    let _ = writeln!(
        text,
        "title = \"Synthetic incident {n} in {}\"",
        district.name
    );
    let _ = writeln!(text, "date = {year}-{month:02}-{day:02}");
    let _ = writeln!(text, "country = \"PAK\"");
    let _ = writeln!(text, "province = \"{}\"", district.province);
    let _ = writeln!(text, "district = \"{}\"", district.name);
    let _ = writeln!(text, "type = \"{kind}\"");
    let _ = writeln!(text, "targets = [\"civilians\"]");
    let _ = writeln!(text, "killed = {}", n % 13);
    let _ = writeln!(text, "injured = {{ min = {}, max = {} }}", n % 7, n % 7 + 3);
    let _ = writeln!(
        text,
        "summary = \"\"\"\nA synthetic incident for the serve benchmark, number {n}. It happened in \
         {}, {}, and is described in *one* short paragraph with **some** Markdown.\n\"\"\"",
        district.name, district.province
    );
    let _ = writeln!(text, "\n[location]\nname = \"{} town\"", district.name);
    let _ = writeln!(
        text,
        "lat = {:.4}\nlon = {:.4}\ngeo_precision = \"district\"",
        district.lat, district.lon
    );
    let _ = writeln!(
        text,
        "\n[[perpetrators]]\nactor = \"{actor}\"\nattribution = \"{attribution}\"\nby = \"A statement, per the Example Times\""
    );
    let _ = writeln!(
        text,
        "\n[[sources]]\npublisher = \"Example Times\"\ntitle = \"Report number {n}\"\ndate = {year}-{month:02}-{day:02}\nurl = \"https://example.org/news/{n}\""
    );
    (format!("content/incidents/{year}/{id}.toml"), text)
}
