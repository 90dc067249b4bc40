//! Render stage, filter choices: what the map and timeline filter forms offer (incident types,
//! actors, provinces and countries, the date range), each with its number of incidents. The
//! forms are plain HTML; `static/js/filters.js` reads and writes them (docs/site-layout.md).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::Site;
use crate::regions::Level;

/// The template variable `filters`: `home` (heading of the home provinces), `types`, `actors`, `provinces`, `abroad` (lists of
/// `{value, label, count}`), `unattributed` (count of incidents naming no actor), and
/// `date_min` / `date_max` (ISO dates bounding every incident's span), `years` (those with
/// incidents, for the year shortcut), and `show_counts`. Made once per build.
pub fn choices(site: &Site) -> tera::Value {
    site.shared
        .filters
        .get_or_init(|| super::to_value(&make_choices(site)))
        .clone()
}

fn make_choices(site: &Site) -> Value {
    let incidents = &site.atlas.incidents;
    let mut types: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for incident in incidents {
        types
            .entry(incident.kind.term())
            .or_insert((incident.kind.label(), 0))
            .1 += 1;
    }
    let mut types: Vec<Value> = types
        .into_iter()
        .map(|(value, (label, count))| choice(value, label, count))
        .collect();
    types.sort_by(|a, b| a["label"].as_str().cmp(&b["label"].as_str()));

    let mut actors: Vec<Value> = site
        .index
        .actor_incidents
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(slug, list)| choice(slug, &site.actor_label(slug), list.len()))
        .collect();
    actors.sort_by_key(|a| a["label"].as_str().unwrap_or_default().to_lowercase());
    let unattributed = incidents
        .iter()
        .filter(|i| i.perpetrators.is_empty())
        .count();

    let regions = &site.regions.regions;
    let home = site.regions.country(&site.regions.home_country);
    let provinces: Vec<Value> = home
        .map(|h| {
            regions[h]
                .children
                .iter()
                .map(|&p| region_choice(site, p))
                .collect()
        })
        .unwrap_or_default();
    let abroad: Vec<Value> = (0..regions.len())
        .filter(|&r| {
            regions[r].level == Level::Country
                && Some(r) != home
                && site.index.region_stats[r].incidents > 0
        })
        .map(|r| region_choice(site, r))
        .collect();

    let date_min = incidents.iter().map(|i| i.date).min();
    let date_max = incidents.iter().map(|i| super::views::date_last(i)).max();
    json!({
        "home": home.map(|h| format!("Provinces of {}", regions[h].name)),
        "types": types,
        "actors": actors,
        "unattributed": unattributed,
        "provinces": provinces,
        "abroad": abroad,
        "date_min": date_min.map(|d| d.to_string()),
        "date_max": date_max.map(|d| d.to_string()),
        "years": site.index.timeline.iter().map(|y| y.year).collect::<Vec<_>>(),
        "show_counts": true,
    })
}

/// `choices` without the counts (`show_counts` false; `unattributed` 1 when some incident
/// names no actor, else 0), for pages that must not change whenever a count does: the
/// timeline's year pages.
pub fn choices_without_counts(site: &Site) -> tera::Value {
    site.shared
        .filters_without_counts
        .get_or_init(|| super::to_value(&without_counts(make_choices(site))))
        .clone()
}

fn without_counts(mut value: Value) -> Value {
    for list in ["types", "actors", "provinces", "abroad"] {
        if let Some(items) = value[list].as_array_mut() {
            for item in items {
                item["count"] = Value::Null;
            }
        }
    }
    let some = value["unattributed"].as_u64().unwrap_or(0) > 0;
    value["unattributed"] = json!(u64::from(some));
    value["show_counts"] = json!(false);
    value
}

fn choice(value: &str, label: &str, count: usize) -> Value {
    json!({"value": value, "label": label, "count": count})
}

fn region_choice(site: &Site, r: usize) -> Value {
    let region = &site.regions.regions[r];
    let count = site.index.region_stats[r].incidents;
    json!({"value": region.id, "label": region.name, "count": count})
}
