//! `sitrep new` scaffolding: the file names and the commented text of new incident, brief and
//! actor files. Fields the command cannot know hold `TODO` placeholders that `check` rejects
//! until they are replaced, so a half-filled file never slips into the site.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use chrono::NaiveDate;

use crate::validate::vocab::{ActorKind, Attribution, GeoPrecision, IncidentType, Target};

/// Longest slug taken from a title (the date prefix comes on top).
const MAX_SLUG_CHARS: usize = 60;

/// A file name slug from free text: lower-case ASCII letters and digits joined by single
/// hyphens, Latin accents dropped, cut at a word boundary. Empty input gives an empty slug.
pub fn slug_of(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_string();
    if slug.len() > MAX_SLUG_CHARS {
        let cut = slug[..MAX_SLUG_CHARS].rfind('-').unwrap_or(MAX_SLUG_CHARS);
        slug.truncate(cut);
    }
    slug
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ş' => 's',
        'ž' => 'z',
        other => other,
    }
}

/// A TOML basic string holding `text`, escaped.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn terms(list: impl Iterator<Item = &'static str>) -> String {
    list.collect::<Vec<_>>().join(" | ")
}

/// Checks a title given on the command line or at a prompt.
pub fn check_title(title: &str) -> anyhow::Result<String> {
    let title = title.trim();
    if title.is_empty() {
        bail!("the title is empty; give a short, neutral title");
    }
    if title.contains(['\n', '\r']) {
        bail!("the title must be one line");
    }
    if title.chars().count() > 160 {
        bail!("the title is longer than 160 characters; details go in the summary");
    }
    if slug_of(title).is_empty() {
        bail!(
            "the title has no letters a–z or digits 0–9 to make the file name from: the site is in English, so write the title in English or in Latin transliteration (other scripts can go in the summary)"
        );
    }
    Ok(title.to_string())
}

/// Parses a YYYY-MM-DD date that is not after `today`.
pub fn check_date(text: &str, today: NaiveDate) -> anyhow::Result<NaiveDate> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").with_context(|| {
        format!(
            "`{}` is not a date; write YYYY-MM-DD, e.g. 2024-05-03",
            text.trim()
        )
    })?;
    if date > today {
        bail!("{date} is in the future (today is {today})");
    }
    Ok(date)
}

/// What `sitrep new incident` knows about the incident.
pub struct NewIncident {
    pub title: String,
    pub date: NaiveDate,
    /// A district name or alias; `None` for an incident abroad, whose file then asks for a
    /// `[location]`.
    pub district: Option<String>,
    /// A province abroad (in the home country it is derived from the district).
    pub province: Option<String>,
    pub country: String,
}

/// `content/incidents/<year>/<date>-<slug>.toml`, relative to the site root.
pub fn incident_path(incident: &NewIncident) -> String {
    format!(
        "content/incidents/{}/{}-{}.toml",
        incident.date.format("%Y"),
        incident.date.format("%Y-%m-%d"),
        slug_of(&incident.title)
    )
}

/// The commented text of a new incident file.
pub fn incident_text(incident: &NewIncident) -> String {
    let date = incident.date.format("%Y-%m-%d");
    let district = match &incident.district {
        Some(d) => format!(
            "{:<30} # a district name or alias; the province is derived from it",
            format!("district = {}", toml_string(d))
        ),
        None => match &incident.province {
            Some(p) => format!(
                "{:<30} # the country's province, as the boundary layers name it",
                format!("province = {}", toml_string(p))
            ),
            None => "# province = \"\"                # where the boundary layers hold the country's provinces".to_string(),
        },
    };
    // Abroad there is no district to place it: the location is required.
    let location = match incident.district {
        Some(_) => "# [location]                   # optional when `district` is given
# name = \"\"                    # a label for the place
# lat = 0.0                    # WGS84 decimal degrees
# lon = 0.0"
            .to_string(),
        None => "[location]                     # required: there is no district abroad
# name = \"\"                    # a label for the place, e.g. the town
lat = 0.0                      # TODO: WGS84 decimal degrees, read off a map of the place
lon = 0.0                      # TODO"
            .to_string(),
    };
    let precision = match incident.district {
        Some(_) => "# geo_precision = \"town\"",
        None => "geo_precision = \"town\"  ",
    };
    format!(
        r#"# A new incident, made by `sitrep new incident`. Replace every TODO, delete the commented
# lines you do not need, then run `sitrep check`. CONTRIBUTING.md explains every field, the
# vocabularies and the sourcing and neutrality rules.
title = {title}
date = {date}              # YYYY-MM-DD, not in the future
# date_precision = "day"       # day | month (then write the 1st) | year (then January 1st)
# date_end = {date}        # for events that span days; not before `date`
{country:<30} # ISO 3166-1 alpha-3
{district}
type = "TODO"                  # {types}
# targets = ["civilians"]      # {targets}
# killed = 0                   # as reported: a number, or {{ min = 3, max = 5 }} when sources differ
# injured = 0
# casualties_note = ""         # what the sources disagree on
# tags = []                    # free lower-case words
# related = []                 # ids of related incidents
summary = """
TODO: what happened, in your own words: who was targeted, who claimed it or was blamed, and
what the sources disagree on. Markdown.
"""

# Tables come last: every key after a [table] line belongs to that table.

{location}
{precision}       # {geo}

# [[perpetrators]]             # zero or more; claims are recorded as claims
# actor = ""                   # a file name (without .toml) under content/actors/
# attribution = "claimed"      # {attributions}
# by = ""                      # who says so, and the outlet that reports it

[[sources]]                    # at least one; repeat the block for more
publisher = "TODO"             # the outlet, e.g. "Dawn"
title = "TODO"                 # the article or report title
# date = {date}            # publication date (leave out only if the source is undated)
# author = ""
# url = "https://"             # ONLY if the source gives one; never guess or construct one
"#,
        title = toml_string(&incident.title),
        country = format!("country = {}", toml_string(&incident.country)),
        types = terms(IncidentType::terms()),
        targets = terms(Target::terms()),
        geo = terms(GeoPrecision::terms()),
        attributions = terms(Attribution::terms()),
    )
}

/// `content/briefs/<slug>.md`.
pub fn brief_path(title: &str) -> String {
    format!("content/briefs/{}.md", slug_of(title))
}

/// The commented text of a new brief.
pub fn brief_text(title: &str, date: NaiveDate) -> String {
    format!(
        r#"+++
# A new brief, made by `sitrep new brief`. Replace every TODO, then run `sitrep check`.
title = {title}
date = {date}                  # publication date
# authors = []
summary = "TODO: one or two plain-text sentences shown in lists."
# regions = []                   # province or district names
# actors = []                    # actor slugs (file names under content/actors/)
# incidents = []                 # incident ids

[[sources]]                      # repeat the block for more
publisher = "TODO"
title = "TODO"
# date = {date}
# url = "https://"               # only if the source gives one
+++

TODO: the brief, in Markdown and in your own words. Link to other pages with site-relative
paths such as [the map](/map/); `sitrep check` reports links that lead nowhere.
"#,
        title = toml_string(title),
        date = date.format("%Y-%m-%d"),
    )
}

/// `content/actors/<slug>.toml`, named after the short name when there is one.
pub fn actor_path(name: &str, short_name: Option<&str>) -> String {
    let basis = short_name
        .filter(|s| !slug_of(s).is_empty())
        .unwrap_or(name);
    format!("content/actors/{}.toml", slug_of(basis))
}

/// The commented text of a new actor.
pub fn actor_text(name: &str, short_name: Option<&str>) -> String {
    let short = match short_name {
        Some(s) => format!("short_name = {}", toml_string(s)),
        None => "# short_name = \"\"".to_string(),
    };
    format!(
        r#"# A new actor, made by `sitrep new actor`. Replace every TODO, then run `sitrep check`.
name = {name}                      # the conventional name most readers know
{short}
kind = "TODO"                      # {kinds}
# aliases = []                     # other names in common use
# parent = ""                      # for factions: the parent actor's file name
description = """
TODO: who they are, in your own words. Markdown.
"""

# [[designations]]                 # official designations, recorded as aliases
# name = ""
# by = ""
# since = 2024-01-01

[[sources]]
publisher = "TODO"
title = "TODO"
"#,
        name = toml_string(name),
        kinds = terms(ActorKind::terms()),
    )
}

/// Writes a new file under `root`, creating folders; refuses to overwrite anything.
pub fn create(root: &Path, relative: &str, text: &str) -> anyhow::Result<PathBuf> {
    let path = root.join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "{relative} already exists; sitrep new never overwrites a file. Edit it, or choose a title (or name) that makes another file name"
        ),
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles() {
        assert_eq!(
            slug_of("Suicide bombing at the Police Lines mosque"),
            "suicide-bombing-at-the-police-lines-mosque"
        );
        assert_eq!(
            slug_of("  Attack — on “Café” Zoë's  "),
            "attack-on-cafe-zoe-s"
        );
        assert_eq!(slug_of("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug_of("ضلع"), "");
        let long = slug_of(&"word ".repeat(40));
        assert!(
            long.len() <= MAX_SLUG_CHARS && !long.ends_with('-'),
            "{long}"
        );
    }

    #[test]
    fn titles_and_dates_are_checked() {
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert!(check_title("  ").is_err());
        assert!(check_title("a\nb").is_err());
        assert!(check_title("!!!").is_err());
        assert_eq!(check_title(" Clash ").unwrap(), "Clash");
        assert!(check_date("2024-02-30", today).is_err());
        assert!(check_date("2025-01-02", today).is_err());
        assert_eq!(
            check_date("2024-02-29", today).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn generated_files_are_valid_toml_with_escaped_values() {
        let incident = NewIncident {
            title: "A \"quoted\" title \\ with backslash".into(),
            date: NaiveDate::from_ymd_opt(2024, 5, 3).unwrap(),
            district: Some("Dera \"Ismail\" Khan".into()),
            province: None,
            country: "PAK".into(),
        };
        let text = incident_text(&incident);
        let value: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(value["title"].as_str(), Some(incident.title.as_str()));
        assert_eq!(value["district"].as_str(), Some("Dera \"Ismail\" Khan"));
        assert_eq!(
            incident_path(&incident),
            "content/incidents/2024/2024-05-03-a-quoted-title-with-backslash.toml"
        );
        let actor: toml::Table = toml::from_str(&actor_text("Group \"X\"", Some("GX"))).unwrap();
        assert_eq!(actor["short_name"].as_str(), Some("GX"));
        assert_eq!(actor_path("Group X", Some("GX")), "content/actors/gx.toml");
        assert_eq!(actor_path("Group X", None), "content/actors/group-x.toml");
        let brief = brief_text("Title", NaiveDate::from_ymd_opt(2024, 5, 3).unwrap());
        let (start, end, _) = crate::content::split_front_matter(&brief).unwrap();
        let fm: toml::Table = toml::from_str(&brief[start..end]).unwrap();
        assert_eq!(fm["title"].as_str(), Some("Title"));
    }

    #[test]
    fn create_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = create(dir.path(), "content/actors/x.toml", "one").unwrap();
        assert!(create(dir.path(), "content/actors/x.toml", "two").is_err());
        assert_eq!(std::fs::read_to_string(path).unwrap(), "one");
    }
}
