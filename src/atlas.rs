//! The linked atlas: incidents, actors, briefs and region notes with every reference resolved
//! and every value checked. The validate stage builds it; index and render only read it.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::validate::vocab::{Attribution, DatePrecision, GeoPrecision, IncidentType, Target};

#[derive(Debug, Clone, Default)]
pub struct Atlas {
    /// Sorted by date, then id. Shared, so `serve` reuses unchanged incidents between builds.
    pub incidents: Vec<Arc<Incident>>,
    /// Sorted by slug.
    pub actors: Vec<Actor>,
    /// Sorted by date (newest first), then slug.
    pub briefs: Vec<Brief>,
    /// Region notes by region index.
    pub region_notes: Vec<RegionNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: String,
    pub source_path: String,
    pub title: String,
    pub date: NaiveDate,
    pub date_precision: DatePrecision,
    pub date_end: Option<NaiveDate>,
    pub country: String,
    /// Index of the smallest region that holds the incident.
    pub region: usize,
    /// (lon, lat) where it is drawn; `None` if neither the file nor the geodata gives a point.
    pub position: Option<(f64, f64)>,
    pub geo_precision: GeoPrecision,
    pub place_name: Option<String>,
    pub kind: IncidentType,
    pub targets: Vec<Target>,
    pub perpetrators: Vec<Perpetrator>,
    pub killed: Option<Figure>,
    pub injured: Option<Figure>,
    pub casualties_note: Option<String>,
    pub summary: String,
    pub sources: Vec<Source>,
    pub related: Vec<String>,
    pub tags: Vec<String>,
    pub updated: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Perpetrator {
    /// Actor slug.
    pub actor: String,
    pub attribution: Attribution,
    pub by: Option<String>,
}

/// A reported figure: `min == max` when sources agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub min: u64,
    pub max: u64,
}

impl Figure {
    /// "100" or "84–101".
    pub fn label(&self) -> String {
        if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}–{}", self.min, self.max)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub publisher: String,
    pub title: String,
    pub date: Option<NaiveDate>,
    pub author: Option<String>,
    pub url: Option<String>,
    pub via: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub slug: String,
    pub source_path: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: crate::validate::vocab::ActorKind,
    pub aliases: Vec<String>,
    pub parent: Option<String>,
    pub designations: Vec<Designation>,
    pub sources: Vec<Source>,
    pub description: String,
}

impl Actor {
    /// "Tehreek-e-Taliban Pakistan (TTP)"
    pub fn display_name(&self) -> String {
        match &self.short_name {
            Some(s) => format!("{} ({s})", self.name),
            None => self.name.clone(),
        }
    }

    /// The short name if there is one, else the name.
    pub fn label(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Designation {
    pub name: String,
    pub by: String,
    pub since: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    pub slug: String,
    pub source_path: String,
    pub title: String,
    pub date: NaiveDate,
    pub updated: Option<NaiveDate>,
    pub authors: Vec<String>,
    pub summary: String,
    /// Region indices.
    pub regions: Vec<usize>,
    pub actors: Vec<String>,
    pub incidents: Vec<String>,
    pub sources: Vec<Source>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionNote {
    pub region: usize,
    pub source_path: String,
    pub title: Option<String>,
    pub sources: Vec<Source>,
    pub body: String,
}
