//! Synthetic sites for benchmarks (`sitrep synth`): not a pipeline stage but a generator of
//! input for it. Writes a complete site — sitrep.toml, incidents spread over the real
//! districts of the boundary layers and over 15 years, actors, sources, briefs and region
//! notes — deterministically from a count and a seed. Every record says it is synthetic;
//! sources cite invented outlets and only `example.org` addresses.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use chrono::{Datelike, Duration, NaiveDate};
use rayon::prelude::*;

use crate::config::Config;
use crate::geo::LayerSpec;
use crate::regions::{Level, RegionTree};
use crate::validate::vocab::{Attribution, IncidentType, Target};
use crate::GeoData;

/// Marks a folder as written by `sitrep synth`, so a later run may rewrite it.
pub const MARKER: &str = ".sitrep-synth";

/// The first year incidents are dated in; they span `YEARS` years from it.
pub const FIRST_YEAR: i32 = 2010;
pub const YEARS: i32 = 15;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub incidents: usize,
    pub seed: u64,
}

/// Where the generated site finds what it does not copy: the theme and the boundary files.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Absolute path of the theme folder.
    pub theme_dir: PathBuf,
    /// Absolute path of a folder holding the layer files.
    pub mirror: PathBuf,
    /// The boundary layers, as declared by the site the generator was run from.
    pub layers: Vec<LayerSpec>,
}

impl Sources {
    /// The theme and layers of the site at `config` (the repository's own sitrep.toml), with
    /// absolute paths so the generated site builds wherever it is written.
    pub fn from_config(config: &Config) -> anyhow::Result<Sources> {
        let theme_dir = std::fs::canonicalize(&config.theme_dir)
            .with_context(|| format!("finding the theme at {}", config.theme_dir.display()))?;
        // After `load_geodata` the verified files are in geodata_dir; a mirror is preferred.
        let mirror_dir = config.mirror.clone().unwrap_or(config.geodata_dir.clone());
        let mirror = std::fs::canonicalize(&mirror_dir)
            .with_context(|| format!("finding the boundary files at {}", mirror_dir.display()))?;
        Ok(Sources {
            theme_dir,
            mirror,
            layers: config.site.geodata.layers.clone(),
        })
    }
}

/// What `write` did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Report {
    pub files: usize,
    pub bytes: u64,
    pub incidents: usize,
}

/// One file of the generated site, relative to its folder.
pub struct SynthFile {
    pub path: String,
    pub text: String,
}

/// A small deterministic generator (SplitMix64): the same seed gives the same sequence on
/// every platform, without a dependency whose algorithm might change between versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5175_6f74_6121_2024)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A district of the home country, as the geodata has it.
struct District {
    region: usize,
    name: String,
    slug: String,
    province: String,
    province_id: String,
    bbox: [f64; 4],
    label: (f64, f64),
}

struct ActorDef {
    slug: &'static str,
    name: &'static str,
    short: &'static str,
    kind: &'static str,
    parent: Option<&'static str>,
}

/// Invented groups; the names say they are synthetic.
const ACTORS: &[ActorDef] = &[
    ActorDef {
        slug: "synth-front-alpha",
        name: "Synthetic Front Alpha",
        short: "SFA",
        kind: "militant-group",
        parent: None,
    },
    ActorDef {
        slug: "synth-front-alpha-north",
        name: "Synthetic Front Alpha, northern wing",
        short: "SFA-N",
        kind: "faction",
        parent: Some("synth-front-alpha"),
    },
    ActorDef {
        slug: "synth-front-alpha-south",
        name: "Synthetic Front Alpha, southern wing",
        short: "SFA-S",
        kind: "faction",
        parent: Some("synth-front-alpha"),
    },
    ActorDef {
        slug: "synth-movement-beta",
        name: "Synthetic Movement Beta",
        short: "SMB",
        kind: "militant-group",
        parent: None,
    },
    ActorDef {
        slug: "synth-army-gamma",
        name: "Synthetic Liberation Army Gamma",
        short: "SLAG",
        kind: "separatist-group",
        parent: None,
    },
    ActorDef {
        slug: "synth-army-gamma-east",
        name: "Synthetic Liberation Army Gamma, eastern command",
        short: "SLAG-E",
        kind: "faction",
        parent: Some("synth-army-gamma"),
    },
    ActorDef {
        slug: "synth-council-delta",
        name: "Synthetic Council Delta",
        short: "SCD",
        kind: "separatist-group",
        parent: None,
    },
    ActorDef {
        slug: "synth-network-epsilon",
        name: "Synthetic Network Epsilon",
        short: "SNE",
        kind: "militant-group",
        parent: None,
    },
    ActorDef {
        slug: "synth-cell-zeta",
        name: "Synthetic Cell Zeta",
        short: "SCZ",
        kind: "militant-group",
        parent: Some("synth-network-epsilon"),
    },
    ActorDef {
        slug: "synth-brigade-eta",
        name: "Synthetic Brigade Eta",
        short: "SBE",
        kind: "militant-group",
        parent: None,
    },
    ActorDef {
        slug: "synth-state-theta",
        name: "Synthetic State Theta",
        short: "SST",
        kind: "state",
        parent: None,
    },
    ActorDef {
        slug: "synth-group-iota",
        name: "Synthetic Group Iota",
        short: "SGI",
        kind: "other",
        parent: None,
    },
];

const PUBLISHERS: &[&str] = &[
    "Synthetic Daily",
    "Example Tribune",
    "Sample Wire Service",
    "Fictional Herald",
    "Benchmark Gazette",
    "Made-up Monitor",
];

const AUTHORS: &[&str] = &[
    "A. Example",
    "B. Sample",
    "C. Placeholder-Smith",
    "D. Fixture",
    "E. Mock",
];

const TAGS: &[&str] = &[
    "market",
    "checkpoint",
    "convoy",
    "school",
    "mosque",
    "border",
    "highway",
    "bazaar",
];

const PLACES: &[&str] = &[
    "main bazaar",
    "police station",
    "bus terminal",
    "checkpoint on the highway",
    "district court",
    "vegetable market",
    "government school",
    "border crossing",
    "railway station",
    "tehsil headquarters",
];

/// Generates every file of the site in memory. Same options and sources → same files.
pub fn generate(
    opts: &Options,
    sources: &Sources,
    geo: &GeoData,
) -> anyhow::Result<Vec<SynthFile>> {
    let districts = districts(&geo.regions);
    if districts.is_empty() {
        bail!("the boundary layers have no districts to place incidents in");
    }
    let mut rng = Rng::new(opts.seed);
    let mut files = vec![SynthFile {
        path: "sitrep.toml".into(),
        text: site_config(opts, sources)?,
    }];
    files.extend(actor_files());
    // District weights: a seeded order, the first ones far busier than the last (as in real
    // data, where a few districts hold most incidents).
    let mut order: Vec<usize> = (0..districts.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut weights = vec![0.0; districts.len()];
    for (rank, &d) in order.iter().enumerate() {
        weights[d] = 1.0 / (1.0 + rank as f64 / 8.0);
    }
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(1.0);

    // Draw (date, precision, district, type) for every incident, avoiding two incidents with
    // the same date, district and type (the check would warn about probable duplicates).
    let mut used: HashSet<(NaiveDate, usize, IncidentType)> = HashSet::new();
    let mut drafts = Vec::with_capacity(opts.incidents);
    let first = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).context("first year")?;
    let days = (NaiveDate::from_ymd_opt(FIRST_YEAR + YEARS, 1, 1).context("last year")? - first)
        .num_days() as usize;
    for _ in 0..opts.incidents {
        let day = first + Duration::days(rng.below(days) as i64);
        let precision = match rng.below(100) {
            0..=4 => "year",
            5..=14 => "month",
            _ => "day",
        };
        let date = match precision {
            "year" => NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day),
            "month" => day.with_day(1).unwrap_or(day),
            _ => day,
        };
        let x = rng.unit() * total;
        let mut district = cumulative
            .partition_point(|&c| c <= x)
            .min(districts.len() - 1);
        let mut kind = *rng.pick(IncidentType::ALL);
        let mut tries = 0;
        while used.contains(&(date, district, kind)) {
            tries += 1;
            kind = IncidentType::ALL[(kind as usize + 1) % IncidentType::ALL.len()];
            if tries % IncidentType::ALL.len() == 0 {
                district = (district + 1) % districts.len();
            }
        }
        used.insert((date, district, kind));
        drafts.push((date, precision, district, kind));
    }
    drafts.sort_by_key(|a| (a.0, a.2, a.3));

    let mut last_in_district: Vec<Option<String>> = vec![None; districts.len()];
    let mut by_province_year: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
    let width = opts.incidents.to_string().len().max(4);
    for (n, (date, precision, d, kind)) in drafts.into_iter().enumerate() {
        let district = &districts[d];
        let id = format!(
            "{}-{}-{:0width$}",
            date.format("%Y-%m-%d"),
            district.slug,
            n + 1
        );
        let related = last_in_district[d].clone().filter(|_| rng.chance(0.15));
        let text = incident(
            &mut rng, geo, district, &id, n, opts, date, precision, kind, related,
        );
        files.push(SynthFile {
            path: format!("content/incidents/{}/{id}.toml", date.year()),
            text,
        });
        by_province_year
            .entry((district.province.clone(), date.year()))
            .or_default()
            .push(id.clone());
        last_in_district[d] = Some(id);
    }
    files.extend(briefs(&mut rng, opts, &districts, &by_province_year));
    files.extend(region_notes(&geo.regions));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn districts(regions: &RegionTree) -> Vec<District> {
    let mut out: Vec<District> = regions
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.level == Level::District && r.country == regions.home_country)
        .filter_map(|(i, r)| {
            let province = regions.at_level(i, Level::Province)?;
            Some(District {
                region: i,
                name: r.name.clone(),
                slug: crate::regions::slugify(&r.name),
                province: regions.regions[province].name.clone(),
                province_id: regions.regions[province].id.clone(),
                bbox: r.bbox?,
                label: r.label?,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.region.cmp(&b.region)));
    out
}

/// A TOML string literal (quoted and escaped).
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn site_config(opts: &Options, sources: &Sources) -> anyhow::Result<String> {
    #[derive(serde::Serialize)]
    struct Geodata<'a> {
        mirror: &'a Path,
        layers: &'a [LayerSpec],
    }
    #[derive(serde::Serialize)]
    struct Wrapper<'a> {
        geodata: Geodata<'a>,
    }
    let geodata = toml::to_string(&Wrapper {
        geodata: Geodata {
            mirror: &sources.mirror,
            layers: &sources.layers,
        },
    })
    .context("writing the layer declarations")?;
    let theme = sources.theme_dir.to_str().with_context(|| {
        format!(
            "the theme path {} is not valid UTF-8",
            sources.theme_dir.display()
        )
    })?;
    Ok(format!(
        "# Written by `sitrep synth --incidents {n} --seed {seed}`: a synthetic atlas for\n\
         # benchmarks. Nothing in it describes real events.\n\
         title = \"Synthetic atlas ({n} incidents)\"\n\
         description = \"Synthetic records generated for benchmarks; they describe no real events.\"\n\
         base_url = \"https://example.org/synth/\"\n\
         language = \"en\"\n\
         theme = {theme}\n\n\
         [data]\n\
         license = \"CC0 1.0\"\n\
         attribution = \"generated by sitrep synth (seed {seed})\"\n\n\
         {geodata}",
        n = opts.incidents,
        seed = opts.seed,
        theme = q(theme),
    ))
}

fn actor_files() -> Vec<SynthFile> {
    ACTORS
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut t = String::new();
            let _ = writeln!(t, "name = {}", q(a.name));
            let _ = writeln!(t, "short_name = {}", q(a.short));
            let _ = writeln!(t, "kind = {}", q(a.kind));
            let _ = writeln!(t, "aliases = [{}]", q(&format!("{} group", a.short)));
            if let Some(p) = a.parent {
                let _ = writeln!(t, "parent = {}", q(p));
            }
            let _ = writeln!(
                t,
                "description = \"\"\"\nA synthetic actor generated for benchmarks; it does not exist.\n\n\
                 - It is named in the synthetic incidents as claiming, attributed, suspected or disputed.\n\
                 - See the [list of actors](/actors/) for the others.\n\"\"\"\n"
            );
            if i % 3 == 0 {
                let _ = writeln!(
                    t,
                    "[[designations]]\nname = \"Synthetic designation\"\nby = \"Example Authority\"\nsince = {}-01-01\n",
                    FIRST_YEAR - 1
                );
            }
            let _ = writeln!(
                t,
                "[[sources]]\npublisher = {}\ntitle = {}\ndate = {}-06-01\nurl = \"https://example.org/synth/actors/{}\"",
                q(PUBLISHERS[i % PUBLISHERS.len()]),
                q(&format!("Profile of {}", a.name)),
                FIRST_YEAR,
                a.slug
            );
            SynthFile {
                path: format!("content/actors/{}.toml", a.slug),
                text: t,
            }
        })
        .collect()
}

/// "An armed clash", "A bombing".
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "An"
    } else {
        "A"
    };
    format!("{article} {noun}")
}

fn plural(n: u64, (one, many): (&str, &str)) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A casualty figure: an exact count, a range (sources differ), or none.
fn figure(rng: &mut Rng, scale: f64) -> Option<(u64, u64)> {
    if rng.chance(0.1) {
        return None;
    }
    let min = (-(1.0 - rng.unit()).ln() * scale) as u64;
    if rng.chance(0.2) {
        Some((min, min + 1 + rng.below(6) as u64))
    } else {
        Some((min, min))
    }
}

fn figure_toml(f: (u64, u64)) -> String {
    if f.0 == f.1 {
        f.0.to_string()
    } else {
        format!("{{ min = {}, max = {} }}", f.0, f.1)
    }
}

fn figure_words(f: Option<(u64, u64)>, (one, many): (&str, &str)) -> String {
    match f {
        None => format!("no figure for {many}"),
        Some((a, b)) if a == b => plural(a, (one, many)),
        Some((a, b)) => format!("{a} to {b} {many}"),
    }
}

/// A point inside the district: a random point of its box that the district layer places in
/// it, else its label point (the pole of inaccessibility, well inside).
fn point_in(rng: &mut Rng, geo: &GeoData, d: &District) -> (f64, f64) {
    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
    for _ in 0..24 {
        let lon = round(d.bbox[0] + rng.unit() * (d.bbox[2] - d.bbox[0]));
        let lat = round(d.bbox[1] + rng.unit() * (d.bbox[3] - d.bbox[1]));
        if geo.regions.locate_district(&geo.layers, lon, lat) == Some(d.region) {
            return (lon, lat);
        }
    }
    let (lon, lat) = (round(d.label.0), round(d.label.1));
    if geo.regions.locate_district(&geo.layers, lon, lat) == Some(d.region) {
        (lon, lat)
    } else {
        (d.label.0, d.label.1)
    }
}

#[allow(clippy::too_many_arguments)]
fn incident(
    rng: &mut Rng,
    geo: &GeoData,
    district: &District,
    id: &str,
    n: usize,
    opts: &Options,
    date: NaiveDate,
    precision: &str,
    kind: IncidentType,
    related: Option<String>,
) -> String {
    let mut t = String::new();
    let place = *rng.pick(PLACES);
    let title = format!(
        "{} at the {place} in {} (synthetic #{})",
        kind.label(),
        district.name,
        n + 1
    );
    let _ = writeln!(t, "title = {}", q(&title));
    let _ = writeln!(t, "date = {date}");
    if precision != "day" {
        let _ = writeln!(t, "date_precision = \"{precision}\"");
    }
    let _ = writeln!(t, "country = \"PAK\"");
    let _ = writeln!(t, "province = {}", q(&district.province));
    let _ = writeln!(t, "district = {}", q(&district.name));
    let _ = writeln!(t, "type = \"{}\"", kind.term());
    let mut targets = vec![*rng.pick(Target::ALL)];
    if rng.chance(0.3) {
        let second = *rng.pick(Target::ALL);
        if second != targets[0] {
            targets.push(second);
        }
    }
    let _ = writeln!(
        t,
        "targets = [{}]",
        targets
            .iter()
            .map(|x| q(x.term()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let scale = match kind {
        IncidentType::SuicideBombing => 12.0,
        IncidentType::Bombing | IncidentType::Clash => 5.0,
        IncidentType::Kidnapping | IncidentType::Other => 0.7,
        _ => 2.5,
    };
    let killed = figure(rng, scale);
    let injured = figure(rng, scale * 2.0);
    if let Some(k) = killed {
        let _ = writeln!(t, "killed = {}", figure_toml(k));
    }
    if let Some(i) = injured {
        let _ = writeln!(t, "injured = {}", figure_toml(i));
    }
    if killed.is_none() || injured.is_none() {
        let _ = writeln!(
            t,
            "casualties_note = \"The synthetic sources give no figure for some casualties.\""
        );
    }
    let mut tags: Vec<&str> = Vec::new();
    for _ in 0..rng.below(3) {
        let tag = *rng.pick(TAGS);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if !tags.is_empty() {
        let _ = writeln!(
            t,
            "tags = [{}]",
            tags.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(r) = &related {
        let _ = writeln!(t, "related = [{}]", q(r));
    }

    // Perpetrators and the sentence that reports them.
    let mut perps: Vec<(&ActorDef, Attribution)> = Vec::new();
    if rng.chance(0.65) {
        for _ in 0..1 + usize::from(rng.chance(0.25)) {
            let actor = rng.pick(ACTORS);
            if perps.iter().any(|(a, _)| a.slug == actor.slug) {
                continue;
            }
            let attribution = *rng.pick(&[
                Attribution::Claimed,
                Attribution::Attributed,
                Attribution::Suspected,
                Attribution::Disputed,
            ]);
            perps.push((actor, attribution));
        }
    }
    let who = match perps.first() {
        None => "No group is named in the synthetic sources.".to_string(),
        Some((a, attr)) => format!(
            "The synthetic sources record it as {} by [{}](/actors/{}/).",
            match attr {
                Attribution::Claimed => "claimed",
                Attribution::Attributed => "attributed",
                Attribution::Suspected => "suspected",
                _ => "disputed",
            },
            a.short,
            a.slug
        ),
    };
    let precision_words = match precision {
        "year" => format!("in {}", date.year()),
        "month" => format!("in {}", date.format("%B %Y")),
        _ => format!("on {}", date.format("%-d %B %Y")),
    };
    let _ = writeln!(
        t,
        "\nsummary = \"\"\"\n\
         Synthetic record {} of {} (seed {}), generated by `sitrep synth` for benchmarks; it\n\
         describes no real event. {} at the {place} in {}, {}, {precision_words}, aimed at\n\
         {}. The sources report {} and {}. {who}\n\"\"\"",
        n + 1,
        opts.incidents,
        opts.seed,
        with_article(&kind.label().to_lowercase()),
        district.name,
        district.province,
        targets
            .iter()
            .map(|x| x.label().to_lowercase())
            .collect::<Vec<_>>()
            .join(" and "),
        figure_words(killed, ("death", "deaths")),
        figure_words(injured, ("injury", "injuries")),
    );

    let (lon, lat) = point_in(rng, geo, district);
    let _ = writeln!(
        t,
        "\n[location]\nname = {}\nlat = {lat}\nlon = {lon}\ngeo_precision = \"{}\"",
        q(&format!("{place}, {}", district.name)),
        if rng.chance(0.5) { "town" } else { "exact" }
    );
    for (actor, attribution) in &perps {
        let by = match attribution {
            Attribution::Claimed => format!(
                "{} itself, in a statement quoted by the synthetic sources",
                actor.short
            ),
            Attribution::Attributed => {
                "The synthetic district police, as quoted by the synthetic sources".to_string()
            }
            Attribution::Suspected => {
                "Synthetic security officials, speaking without being named".to_string()
            }
            _ => format!("{}, which denies it in the synthetic sources", actor.short),
        };
        let _ = writeln!(
            t,
            "\n[[perpetrators]]\nactor = {}\nattribution = \"{}\"\nby = {}",
            q(actor.slug),
            attribution.term(),
            q(&by)
        );
    }
    let last_day = NaiveDate::from_ymd_opt(FIRST_YEAR + YEARS - 1, 12, 31).unwrap_or(date);
    for k in 0..1 + rng.below(3) {
        let publisher = *rng.pick(PUBLISHERS);
        let sdate = (date + Duration::days(rng.below(3) as i64)).min(last_day);
        let _ = writeln!(
            t,
            "\n[[sources]]\npublisher = {}\ntitle = {}\ndate = {sdate}",
            q(publisher),
            q(&format!("{} reported in {}", kind.label(), district.name)),
        );
        if rng.chance(0.5) {
            let author: &&str = rng.pick(AUTHORS);
            let _ = writeln!(t, "author = {}", q(author));
        }
        if rng.chance(0.6) {
            let _ = writeln!(t, "url = \"https://example.org/synth/{id}/{}\"", k + 1);
        }
    }
    t
}

fn briefs(
    rng: &mut Rng,
    opts: &Options,
    districts: &[District],
    by_province_year: &BTreeMap<(String, i32), Vec<String>>,
) -> Vec<SynthFile> {
    let keys: Vec<&(String, i32)> = by_province_year.keys().collect();
    if keys.is_empty() {
        return Vec::new();
    }
    let count = (opts.incidents / 2000).clamp(3, 60);
    let mut out = Vec::new();
    for k in 0..count {
        let key = keys[(k * 7919 + rng.below(keys.len())) % keys.len()];
        let (province, year) = key;
        let ids = &by_province_year[key];
        let chosen: Vec<&String> = ids.iter().step_by((ids.len() / 6).max(1)).take(6).collect();
        let in_province: Vec<&District> = districts
            .iter()
            .filter(|d| &d.province == province)
            .collect();
        let mut regions = vec![province.clone()];
        for _ in 0..2 {
            if let Some(d) = in_province.get(rng.below(in_province.len().max(1))) {
                if !regions.contains(&d.name) {
                    regions.push(d.name.clone());
                }
            }
        }
        let province_id = in_province
            .first()
            .map(|d| d.province_id.clone())
            .unwrap_or_default();
        let a = rng.pick(ACTORS);
        let b = rng.pick(ACTORS);
        let actors: Vec<&str> = if a.slug == b.slug {
            vec![a.slug]
        } else {
            vec![a.slug, b.slug]
        };
        let slug = format!(
            "synth-brief-{:03}-{}-{year}",
            k + 1,
            crate::regions::slugify(province)
        );
        let mut t = String::from("+++\n");
        let _ = writeln!(
            t,
            "title = {}",
            q(&format!("Synthetic brief {}: {province} in {year}", k + 1))
        );
        let _ = writeln!(t, "date = {year}-12-31");
        let _ = writeln!(t, "authors = [\"sitrep synth\"]");
        let _ = writeln!(
            t,
            "summary = {}",
            q(&format!(
                "A synthetic overview of the synthetic incidents in {province} in {year}."
            ))
        );
        let _ = writeln!(
            t,
            "regions = [{}]",
            regions.iter().map(|r| q(r)).collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(
            t,
            "actors = [{}]",
            actors.iter().map(|r| q(r)).collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(
            t,
            "incidents = [{}]",
            chosen.iter().map(|r| q(r)).collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(
            t,
            "\n[[sources]]\npublisher = \"Benchmark Gazette\"\ntitle = {}\ndate = {year}-12-31\nurl = \"https://example.org/synth/briefs/{slug}\"",
            q(&format!("The year {year} in {province}"))
        );
        t.push_str("+++\n\n");
        let _ = writeln!(
            t,
            "This brief is synthetic: it was generated by `sitrep synth` (seed {}) for benchmarks and\n\
             describes no real events. It covers {} synthetic incidents in [{province}](/regions/{province_id}/)\n\
             in {year}.\n\n## Selected incidents\n",
            opts.seed,
            ids.len()
        );
        for id in &chosen {
            let _ = writeln!(t, "- [{id}](/incidents/{id}/)");
        }
        let _ = writeln!(t, "\n## Actors\n");
        for a in &actors {
            let _ = writeln!(t, "- [{a}](/actors/{a}/) is named in some of them.");
        }
        out.push(SynthFile {
            path: format!("content/briefs/{slug}.md"),
            text: t,
        });
    }
    out
}

fn region_notes(regions: &RegionTree) -> Vec<SynthFile> {
    regions
        .regions
        .iter()
        .filter(|r| r.level == Level::Province && r.country == regions.home_country)
        .map(|r| SynthFile {
            path: format!("content/regions/{}.md", r.id),
            text: format!(
                "+++\ntitle = {}\n\n[[sources]]\npublisher = \"Fictional Herald\"\ntitle = \"A synthetic note on {}\"\n+++\n\n\
                 A synthetic note on {} for benchmarks: the incidents recorded here are generated and\n\
                 describe no real events. The [map](/map/) and the [timeline](/timeline/) show them all.\n",
                q(&r.name),
                r.name,
                r.name
            ),
        })
        .collect()
}

/// Writes the files into `out`. Refuses a non-empty folder that an earlier `synth` did not
/// write unless `force`; in either case replaces only `out/content`, `out/sitrep.toml` and the
/// marker, and deletes nothing outside `out`.
pub fn write(files: &[SynthFile], out: &Path, force: bool) -> anyhow::Result<Report> {
    match std::fs::symlink_metadata(out) {
        Ok(meta) if !meta.is_dir() => bail!(
            "{} exists and is not a folder; choose another --out",
            out.display()
        ),
        Ok(_) => {
            let empty = std::fs::read_dir(out)
                .with_context(|| format!("reading {}", out.display()))?
                .next()
                .is_none();
            if !empty && !out.join(MARKER).is_file() && !force {
                bail!(
                    "refusing to write into {}: it is not empty and was not written by `sitrep synth` (no {MARKER} file); choose an empty or new folder, or pass --force",
                    out.display()
                );
            }
            let content = out.join("content");
            match std::fs::symlink_metadata(&content) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&content)
                    .with_context(|| format!("removing the previous {}", content.display()))?,
                Ok(_) => bail!(
                    "{} is not a folder (a link or a file); remove it yourself",
                    content.display()
                ),
                Err(_) => {}
            }
        }
        Err(_) => {
            std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?
        }
    }
    let mut dirs: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| Path::new(&f.path).parent().map(|p| out.join(p)))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    files.par_iter().try_for_each(|f| {
        let path = out.join(&f.path);
        std::fs::write(&path, &f.text).with_context(|| format!("writing {}", path.display()))
    })?;
    std::fs::write(
        out.join(MARKER),
        "Written by `sitrep synth`: a later run may replace content/ and sitrep.toml here.\n",
    )
    .context("writing the synth marker")?;
    Ok(Report {
        files: files.len(),
        bytes: files.iter().map(|f| f.text.len() as u64).sum(),
        incidents: files
            .iter()
            .filter(|f| f.path.starts_with("content/incidents/"))
            .count(),
    })
}
