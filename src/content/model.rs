//! The content model as written in files: incident, actor, brief, region-note and alias
//! records. Fields that later checks point at are `Spanned` so errors carry positions.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::value::Datetime;
use toml::Spanned;

/// `content/incidents/<year>/<id>.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncident {
    /// Optional; when given it must equal the file name.
    pub id: Option<Spanned<String>>,
    pub title: Spanned<String>,
    pub date: Spanned<Datetime>,
    pub date_precision: Option<Spanned<String>>,
    pub date_end: Option<Spanned<Datetime>>,
    pub country: Spanned<String>,
    pub province: Option<Spanned<String>>,
    pub district: Option<Spanned<String>>,
    pub location: Option<Spanned<RawLocation>>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub targets: Vec<Spanned<String>>,
    #[serde(default)]
    pub perpetrators: Vec<Spanned<RawPerpetrator>>,
    pub killed: Option<Spanned<RawFigure>>,
    pub injured: Option<Spanned<RawFigure>>,
    pub casualties_note: Option<Spanned<String>>,
    pub summary: Spanned<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<RawSource>>,
    #[serde(default)]
    pub related: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    pub updated: Option<Spanned<Datetime>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocation {
    pub name: Option<String>,
    pub lat: Spanned<f64>,
    pub lon: Spanned<f64>,
    pub geo_precision: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerpetrator {
    pub actor: Spanned<String>,
    pub attribution: Spanned<String>,
    pub by: Option<Spanned<String>>,
}

/// A casualty figure as reported: one number, or a range when sources differ.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum RawFigure {
    Exact(i64),
    Range(RawRange),
}

/// `{ min = …, max = … }`: nothing else, so that a mistyped key is not silently dropped.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawRange {
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub publisher: Spanned<String>,
    pub title: Spanned<String>,
    pub date: Option<Spanned<Datetime>>,
    pub author: Option<String>,
    pub url: Option<Spanned<String>>,
    pub via: Option<String>,
    pub note: Option<String>,
}

/// `content/actors/<slug>.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActor {
    pub name: Spanned<String>,
    pub short_name: Option<String>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub parent: Option<Spanned<String>>,
    #[serde(default)]
    pub designations: Vec<RawDesignation>,
    #[serde(default)]
    pub sources: Vec<Spanned<RawSource>>,
    pub description: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDesignation {
    pub name: String,
    pub by: String,
    pub since: Option<Spanned<Datetime>>,
}

/// Records that come from Markdown files with TOML front matter.
pub trait MarkdownRecord: serde::de::DeserializeOwned {
    fn set_body(&mut self, body: String);
    fn from_body(body: String) -> Self;
}

/// `content/briefs/<slug>.md`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBrief {
    pub title: Spanned<String>,
    pub date: Spanned<Datetime>,
    #[serde(default)]
    pub authors: Vec<String>,
    pub summary: Option<Spanned<String>>,
    #[serde(default)]
    pub regions: Vec<Spanned<String>>,
    #[serde(default)]
    pub actors: Vec<Spanned<String>>,
    #[serde(default)]
    pub incidents: Vec<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<RawSource>>,
    pub updated: Option<Spanned<Datetime>>,
    #[serde(skip)]
    pub body: String,
}

impl MarkdownRecord for RawBrief {
    fn set_body(&mut self, body: String) {
        self.body = body;
    }
    fn from_body(_body: String) -> Self {
        unreachable!("briefs require front matter")
    }
}

/// `content/regions/<slug path>.md`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegionNote {
    pub title: Option<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<RawSource>>,
    #[serde(skip)]
    pub body: String,
}

impl MarkdownRecord for RawRegionNote {
    fn set_body(&mut self, body: String) {
        self.body = body;
    }
    fn from_body(body: String) -> Self {
        RawRegionNote {
            body,
            ..Default::default()
        }
    }
}

/// `content/regions/aliases.toml`: other spellings → geodata names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAliases {
    #[serde(default)]
    pub districts: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub provinces: BTreeMap<String, Spanned<String>>,
}
