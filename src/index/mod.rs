//! Index stage: everything derived once from the linked atlas — per-region and per-actor
//! incident lists and figures, back-references, and the timeline's year/month buckets.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use serde::Serialize;

use crate::atlas::{Atlas, Incident};
use crate::regions::RegionTree;
use crate::validate::vocab::DatePrecision;

/// Counts and casualty totals (lower and upper bounds of reported figures).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub incidents: u64,
    pub killed: u64,
    pub killed_max: u64,
    pub injured: u64,
    pub injured_max: u64,
    /// How many incidents report a killed / injured figure at all.
    pub killed_reported: u64,
    pub injured_reported: u64,
}

impl Stats {
    pub fn add(&mut self, incident: &Incident) {
        self.incidents += 1;
        if let Some(k) = incident.killed {
            self.killed_reported += 1;
            self.killed += k.min;
            self.killed_max += k.max;
        }
        if let Some(i) = incident.injured {
            self.injured_reported += 1;
            self.injured += i.min;
            self.injured_max += i.max;
        }
    }
}

/// A month of the timeline; `month` is 0 for incidents dated only to the year.
#[derive(Debug, Clone, Serialize)]
pub struct MonthBucket {
    pub month: u32,
    pub incidents: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearBucket {
    pub year: i32,
    pub months: Vec<MonthBucket>,
    pub stats: Stats,
}

pub struct SiteIndex {
    pub by_id: HashMap<String, usize>,
    pub totals: Stats,
    /// Per region (including its sub-regions): incident indices, chronological.
    pub region_incidents: Vec<Vec<usize>>,
    pub region_stats: Vec<Stats>,
    /// Per region: figures by year.
    pub region_years: Vec<BTreeMap<i32, Stats>>,
    pub region_briefs: Vec<Vec<usize>>,
    pub actor_incidents: BTreeMap<String, Vec<usize>>,
    pub actor_briefs: BTreeMap<String, Vec<usize>>,
    pub actor_children: BTreeMap<String, Vec<String>>,
    pub incident_briefs: Vec<Vec<usize>>,
    /// Related incidents both ways, sorted.
    pub related: Vec<Vec<usize>>,
    pub timeline: Vec<YearBucket>,
}

pub fn build(atlas: &Atlas, regions: &RegionTree) -> SiteIndex {
    let n_regions = regions.regions.len();
    let by_id: HashMap<String, usize> = atlas
        .incidents
        .iter()
        .enumerate()
        .map(|(i, inc)| (inc.id.clone(), i))
        .collect();
    let mut totals = Stats::default();
    let mut region_incidents = vec![Vec::new(); n_regions];
    let mut region_stats = vec![Stats::default(); n_regions];
    let mut region_years = vec![BTreeMap::new(); n_regions];
    let mut actor_incidents: BTreeMap<String, Vec<usize>> = atlas
        .actors
        .iter()
        .map(|a| (a.slug.clone(), Vec::new()))
        .collect();
    let mut related = vec![Vec::new(); atlas.incidents.len()];
    for (i, incident) in atlas.incidents.iter().enumerate() {
        totals.add(incident);
        for r in regions.lineage(incident.region) {
            region_incidents[r].push(i);
            region_stats[r].add(incident);
            region_years[r]
                .entry(incident.date.year())
                .or_insert_with(Stats::default)
                .add(incident);
        }
        for p in &incident.perpetrators {
            let list = actor_incidents.entry(p.actor.clone()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
        for r in &incident.related {
            if let Some(&j) = by_id.get(r) {
                related[i].push(j);
                related[j].push(i);
            }
        }
    }
    for list in &mut related {
        list.sort_unstable();
        list.dedup();
    }
    let mut region_briefs = vec![Vec::new(); n_regions];
    let mut actor_briefs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut incident_briefs = vec![Vec::new(); atlas.incidents.len()];
    for (b, brief) in atlas.briefs.iter().enumerate() {
        for &r in &brief.regions {
            region_briefs[r].push(b);
        }
        for a in &brief.actors {
            actor_briefs.entry(a.clone()).or_default().push(b);
        }
        for id in &brief.incidents {
            if let Some(&i) = by_id.get(id) {
                incident_briefs[i].push(b);
            }
        }
    }
    let mut actor_children: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &atlas.actors {
        if let Some(p) = &a.parent {
            actor_children
                .entry(p.clone())
                .or_default()
                .push(a.slug.clone());
        }
    }
    SiteIndex {
        timeline: timeline(atlas, &(0..atlas.incidents.len()).collect::<Vec<_>>()),
        by_id,
        totals,
        region_incidents,
        region_stats,
        region_years,
        region_briefs,
        actor_incidents,
        actor_briefs,
        actor_children,
        incident_briefs,
        related,
    }
}

/// Groups incident indices (chronological) into years and months, oldest first.
pub fn timeline(atlas: &Atlas, incidents: &[usize]) -> Vec<YearBucket> {
    let mut years: BTreeMap<i32, BTreeMap<u32, Vec<usize>>> = BTreeMap::new();
    let mut stats: BTreeMap<i32, Stats> = BTreeMap::new();
    for &i in incidents {
        let incident = &atlas.incidents[i];
        let month = match incident.date_precision {
            DatePrecision::Year => 0,
            _ => incident.date.month(),
        };
        years
            .entry(incident.date.year())
            .or_default()
            .entry(month)
            .or_default()
            .push(i);
        stats.entry(incident.date.year()).or_default().add(incident);
    }
    years
        .into_iter()
        .map(|(year, months)| YearBucket {
            year,
            stats: stats.remove(&year).unwrap_or_default(),
            months: months
                .into_iter()
                .map(|(month, incidents)| MonthBucket { month, incidents })
                .collect(),
        })
        .collect()
}
