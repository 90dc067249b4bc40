//! Render stage, map points: the incidents that have a position, split by year into compact
//! files (`data/map/points/<year>.json`), their index (`data/map/points/index.json`) and the
//! precomputed clusters of the map's overview (`data/map/clusters/<zoom>.json`), so that the
//! map's first view needs no point file at all on a large atlas (docs/site-layout.md).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use serde_json::{json, Value};

use super::data::round;
use super::{OutputFile, Site};
use crate::validate::vocab::DatePrecision;

/// Point files of all years together up to this size are loaded with the map (`eager`); above
/// it the map starts from the overview clusters and loads a year's points when a filter or a
/// close zoom needs them. About 900 incidents.
pub const EAGER_BYTES: usize = 160_000;

/// The cluster grid (in screen pixels) and zoom range of the map script (map-parts.js).
pub const CELL_PX: f64 = 44.0;
pub const MIN_ZOOM: u32 = 3;
pub const MAX_ZOOM: u32 = 12;

/// Overview cluster files are written from `MIN_ZOOM` up while they stay this small; closer
/// zooms use the points (or the closest overview written).
pub const CLUSTER_FILE_MAX_BYTES: usize = 48_000;

/// The columns of a point row, in order (docs/site-layout.md).
pub const FIELDS: &[&str] = &[
    "id",
    "lon",
    "lat",
    "date",
    "date_last",
    "precision",
    "type",
    "region",
    "actors",
    "killed",
    "killed_max",
    "injured",
    "injured_max",
    "title",
    "date_label",
    "place",
    "attribution",
];

pub fn year_path(year: i32) -> String {
    format!("data/map/points/{year}.json")
}

pub fn cluster_path(zoom: u32) -> String {
    format!("{}{zoom}.json", super::CLUSTERS_DIR)
}

/// The map's point files: the index, the year files (only `years` when given), and the
/// overview clusters.
pub fn files(site: &Site, years: Option<&BTreeSet<i32>>) -> anyhow::Result<Vec<OutputFile>> {
    let mut by_year: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, incident) in site.atlas.incidents.iter().enumerate() {
        if incident.position.is_some() {
            by_year.entry(incident.date.year()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    let mut entries = Vec::new();
    let mut total_bytes = 0;
    for (&year, items) in &by_year {
        let bytes = serde_json::to_vec(&year_file(site, year, items))?;
        let incidents = &site.atlas.incidents;
        let first = items.iter().map(|&i| incidents[i].date).min();
        let last = items
            .iter()
            .map(|&i| super::views::date_last(&incidents[i]))
            .max();
        entries.push(json!({
            "year": year,
            "count": items.len(),
            "bytes": bytes.len(),
            "first": first.map(|d| d.to_string()),
            "last": last.map(|d| d.to_string()),
        }));
        total_bytes += bytes.len();
        if years.is_none_or(|y| y.contains(&year)) {
            out.push(OutputFile {
                path: year_path(year),
                bytes,
            });
        }
    }
    let positioned: Vec<usize> = by_year.values().flatten().copied().collect();
    let mut zooms = Vec::new();
    for zoom in MIN_ZOOM..=MAX_ZOOM {
        let bytes = serde_json::to_vec(&clusters(site, &positioned, zoom))?;
        if bytes.len() > CLUSTER_FILE_MAX_BYTES && !zooms.is_empty() {
            break;
        }
        zooms.push(zoom);
        out.push(OutputFile {
            path: cluster_path(zoom),
            bytes,
        });
    }
    let index = json!({
        "total": positioned.len(),
        "bytes": total_bytes,
        "eager": total_bytes <= EAGER_BYTES,
        "years": entries,
        "fields": FIELDS,
        "overview": {"cell": CELL_PX, "zooms": zooms},
    });
    out.push(OutputFile {
        path: "data/map/points/index.json".into(),
        bytes: serde_json::to_vec(&index)?,
    });
    Ok(out)
}

/// Distinct values in first-seen order, for the dictionaries of a year file.
#[derive(Default)]
struct Dict {
    values: Vec<Value>,
    seen: BTreeMap<String, usize>,
}

impl Dict {
    fn index(&mut self, key: &str, value: impl FnOnce() -> Value) -> usize {
        if let Some(&i) = self.seen.get(key) {
            return i;
        }
        self.values.push(value());
        self.seen.insert(key.to_string(), self.values.len() - 1);
        self.values.len() - 1
    }
}

/// One year's points: dictionaries of the repeated values, then one array per incident.
fn year_file(site: &Site, year: i32, items: &[usize]) -> Value {
    let mut types = Dict::default();
    let mut regions = Dict::default();
    let mut actors = Dict::default();
    let mut places = Dict::default();
    let mut attributions = Dict::default();
    let rows: Vec<Value> = items
        .iter()
        .filter_map(|&i| {
            let incident = &site.atlas.incidents[i];
            let (lon, lat) = incident.position?;
            let date_last = super::views::date_last(incident);
            let kind = incident.kind;
            let region_id = &site.regions.regions[incident.region].id;
            let place = site.place(incident);
            let attribution = site.attribution_label(incident);
            let precision = match incident.date_precision {
                DatePrecision::Day => 0,
                DatePrecision::Month => 1,
                DatePrecision::Year => 2,
            };
            let row =
                json!([
                    incident.id,
                    round(lon),
                    round(lat),
                    incident.date.to_string(),
                    (date_last != incident.date).then(|| date_last.to_string()),
                    precision,
                    types.index(kind.term(), || json!([kind.term(), kind.label()])),
                    regions.index(region_id, || json!(region_id)),
                    incident
                        .perpetrators
                        .iter()
                        .map(|p| actors
                            .index(&p.actor, || json!([p.actor, site.actor_label(&p.actor)])))
                        .collect::<Vec<_>>(),
                    incident.killed.map(|f| f.min),
                    incident.killed.map(|f| f.max),
                    incident.injured.map(|f| f.min),
                    incident.injured.map(|f| f.max),
                    incident.title,
                    site.date_label(incident),
                    places.index(&place, || json!(place)),
                    attributions.index(&attribution, || json!(attribution)),
                ]);
            Some(row)
        })
        .collect();
    json!({
        "year": year,
        "dict": {
            "type": types.values,
            "region": regions.values,
            "actor": actors.values,
            "place": places.values,
            "attribution": attributions.values,
        },
        "rows": rows,
    })
}

/// Web Mercator pixel coordinates at `zoom` (as Leaflet's `map.project`).
fn project(lon: f64, lat: f64, zoom: u32) -> (f64, f64) {
    let scale = 256.0 * f64::from(1u32 << zoom);
    let lat = lat.clamp(-85.051_128_779_8, 85.051_128_779_8).to_radians();
    let x = scale * (0.5 + lon / 360.0);
    let y = scale
        * (0.5
            - (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() / (2.0 * std::f64::consts::PI));
    (x, y)
}

/// The incidents grouped by `CELL_PX` cells of the pixel grid at `zoom`, in the order of their
/// first incident: `[lon, lat, count, killed, first year, last year]` (the mean position, the
/// sum of the lower bounds of the killed), and for a lone incident also its id and title.
fn clusters(site: &Site, items: &[usize], zoom: u32) -> Value {
    struct Cell {
        lon: f64,
        lat: f64,
        members: Vec<usize>,
    }
    let mut cells: Vec<Cell> = Vec::new();
    let mut by_key: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for &i in items {
        let Some((lon, lat)) = site.atlas.incidents[i].position else {
            continue;
        };
        let (lon, lat) = (round(lon), round(lat));
        let (x, y) = project(lon, lat, zoom);
        let key = ((x / CELL_PX).floor() as i64, (y / CELL_PX).floor() as i64);
        let c = *by_key.entry(key).or_insert_with(|| {
            cells.push(Cell {
                lon: 0.0,
                lat: 0.0,
                members: Vec::new(),
            });
            cells.len() - 1
        });
        let cell = &mut cells[c];
        cell.lon += lon;
        cell.lat += lat;
        cell.members.push(i);
    }
    let list: Vec<Value> = cells
        .iter()
        .map(|cell| {
            let n = cell.members.len();
            let incidents = &site.atlas.incidents;
            let killed: u64 = cell
                .members
                .iter()
                .filter_map(|&i| incidents[i].killed.map(|f| f.min))
                .sum();
            let years = cell.members.iter().map(|&i| incidents[i].date.year());
            let first = years.clone().min().unwrap_or_default();
            let last = years.max().unwrap_or_default();
            let mut entry = vec![
                json!((cell.lon / n as f64 * 1e4).round() / 1e4),
                json!((cell.lat / n as f64 * 1e4).round() / 1e4),
                json!(n),
                json!(killed),
                json!(first),
                json!(last),
            ];
            if let [only] = cell.members[..] {
                entry.push(json!(incidents[only].id));
                entry.push(json!(incidents[only].title));
            }
            Value::Array(entry)
        })
        .collect();
    json!({"zoom": zoom, "cell": CELL_PX, "clusters": list})
}

#[cfg(test)]
mod tests {
    use super::project;

    #[test]
    fn projection_matches_web_mercator() {
        // Leaflet: map.project([0, 0], 0) = (128, 128); ([85.0511, 180], 1) ≈ (512, 0).
        let (x, y) = project(0.0, 0.0, 0);
        assert!((x - 128.0).abs() < 1e-9 && (y - 128.0).abs() < 1e-9);
        let (x, y) = project(180.0, 85.051_128_779_8, 1);
        assert!((x - 512.0).abs() < 1e-6 && y.abs() < 1e-6);
        // Peshawar at zoom 6: L.CRS.EPSG3857.latLngToPoint([34.0151, 71.5249], 6).
        let (x, y) = project(71.5249, 34.0151, 6);
        assert!((x - 11447.18).abs() < 0.01, "{x}");
        assert!((y - 6544.06).abs() < 0.01, "{y}");
    }
}
