//! Data downloads: every incident as CSV, JSON and GeoJSON, for readers and researchers.

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::{OutputFile, Site};
use crate::atlas::Incident;

pub fn downloads(site: &Site) -> anyhow::Result<Vec<OutputFile>> {
    // Each record is made once (in parallel) and the three files are written from it at the
    // same time. The documents borrow the records rather than copying them into a `Value`;
    // fields are declared in the order `json!` sorted them, so the bytes are the same.
    let records: Vec<Value> = site
        .atlas
        .incidents
        .par_iter()
        .map(|i| record(site, i))
        .collect();
    #[derive(Serialize)]
    struct Doc<'a> {
        attribution: &'a str,
        incidents: &'a [Value],
        license: &'a str,
        title: &'a str,
    }
    #[derive(Serialize)]
    struct Feature<'a> {
        geometry: Option<Value>,
        properties: &'a Value,
        #[serde(rename = "type")]
        kind: &'static str,
    }
    #[derive(Serialize)]
    struct Collection<'a> {
        features: Vec<Feature<'a>>,
        #[serde(rename = "type")]
        kind: &'static str,
    }
    let ((csv_text, json_bytes), geojson_bytes) = rayon::join(
        || {
            rayon::join(
                || csv(site, &records),
                || {
                    serde_json::to_vec_pretty(&Doc {
                        attribution: &site.config.site.data.attribution,
                        incidents: &records,
                        license: &site.config.site.data.license,
                        title: &site.config.site.title,
                    })
                },
            )
        },
        || {
            let features = site
                .atlas
                .incidents
                .iter()
                .zip(&records)
                .map(|(incident, record)| Feature {
                    geometry: incident.position.map(|(lon, lat)| json!({"type": "Point", "coordinates": [round(lon), round(lat)]})),
                    properties: record,
                    kind: "Feature",
                })
                .collect();
            serde_json::to_vec(&Collection {
                features,
                kind: "FeatureCollection",
            })
        },
    );
    Ok(vec![
        OutputFile {
            path: "data/incidents.csv".into(),
            bytes: csv_text.into_bytes(),
        },
        OutputFile {
            path: "data/incidents.json".into(),
            bytes: json_bytes?,
        },
        OutputFile {
            path: "data/incidents.geojson".into(),
            bytes: geojson_bytes?,
        },
    ])
}

/// Coordinates to 5 decimals (about a metre).
pub fn round(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn record(site: &Site, i: &Incident) -> Value {
    let province = site
        .regions
        .at_level(i.region, crate::regions::Level::Province)
        .map(|r| site.regions.regions[r].name.clone());
    let district = site
        .regions
        .at_level(i.region, crate::regions::Level::District)
        .map(|r| site.regions.regions[r].name.clone());
    json!({
        "id": i.id,
        "url": site.config.absolute_url(&format!("incidents/{}/", i.id)),
        "title": i.title,
        "date": i.date.to_string(),
        "date_precision": i.date_precision.term(),
        "date_end": i.date_end.map(|d| d.to_string()),
        "country": i.country,
        "province": province,
        "district": district,
        "place_name": i.place_name,
        "lat": i.position.map(|p| round(p.1)),
        "lon": i.position.map(|p| round(p.0)),
        "geo_precision": i.geo_precision.term(),
        "type": i.kind.term(),
        "targets": i.targets.iter().map(|t| t.term()).collect::<Vec<_>>(),
        "killed_min": i.killed.map(|f| f.min),
        "killed_max": i.killed.map(|f| f.max),
        "injured_min": i.injured.map(|f| f.min),
        "injured_max": i.injured.map(|f| f.max),
        "casualties_note": i.casualties_note,
        "perpetrators": i.perpetrators,
        "sources": i.sources,
        "summary": super::markdown::to_text(&i.summary),
        "related": i.related,
        "tags": i.tags,
    })
}

const CSV_COLUMNS: &[&str] = &[
    "id",
    "title",
    "date",
    "date_precision",
    "date_end",
    "country",
    "province",
    "district",
    "lat",
    "lon",
    "geo_precision",
    "type",
    "targets",
    "killed_min",
    "killed_max",
    "injured_min",
    "injured_max",
    "perpetrators",
    "sources",
    "url",
];

fn csv(site: &Site, records: &[Value]) -> String {
    let rows: Vec<String> = site
        .atlas
        .incidents
        .par_iter()
        .zip(records.par_iter())
        .map(|(i, r)| csv_row(i, r))
        .collect();
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    out.reserve(rows.iter().map(|r| r.len()).sum());
    for row in rows {
        out.push_str(&row);
    }
    out
}

/// One CSV line (with its CRLF) from an incident and its download record.
fn csv_row(i: &Incident, r: &Value) -> String {
    let perpetrators = i
        .perpetrators
        .iter()
        .map(|p| format!("{} ({})", p.actor, p.attribution.term()))
        .collect::<Vec<_>>()
        .join("; ");
    let sources = i
        .sources
        .iter()
        .map(|s| match s.date {
            Some(d) => format!("{}, {d}", s.publisher),
            None => s.publisher.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let cells: Vec<String> = CSV_COLUMNS
        .iter()
        .map(|c| match *c {
            "targets" => i
                .targets
                .iter()
                .map(|t| t.term())
                .collect::<Vec<_>>()
                .join("; "),
            "perpetrators" => perpetrators.clone(),
            "sources" => sources.clone(),
            _ => match &r[*c] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        })
        .map(|cell| csv_cell(&cell))
        .collect();
    let mut line = cells.join(",");
    line.push_str("\r\n");
    line
}

/// RFC 4180 quoting; cells that a spreadsheet would run as a formula get a leading `'`.
fn csv_cell(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
    {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-5"), "-5");
    }
}
