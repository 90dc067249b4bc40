//! Data downloads: every incident as CSV, JSON and GeoJSON, for readers and researchers.

use rayon::prelude::*;
use serde_json::{json, Value};

use super::{OutputFile, Site};
use crate::atlas::Incident;

pub fn downloads(site: &Site) -> anyhow::Result<Vec<OutputFile>> {
    // Each record once, in parallel; then the three files side by side.
    let records: Vec<Value> = site
        .atlas
        .incidents
        .par_iter()
        .map(|i| record(site, i))
        .collect();
    let json_doc = || -> anyhow::Result<Vec<u8>> {
        let doc = json!({
            "title": site.config.site.title,
            "license": site.config.site.data.license,
            "attribution": site.config.site.data.attribution,
            "incidents": &records,
        });
        Ok(serde_json::to_vec_pretty(&doc)?)
    };
    let geojson = || -> anyhow::Result<Vec<u8>> {
        let features: Vec<Value> = site
            .atlas
            .incidents
            .iter()
            .zip(&records)
            .map(|(incident, record)| {
                json!({
                    "type": "Feature",
                    "geometry": incident.position.map(|(lon, lat)| json!({"type": "Point", "coordinates": [round(lon), round(lat)]})),
                    "properties": record,
                })
            })
            .collect();
        Ok(serde_json::to_vec(
            &json!({"type": "FeatureCollection", "features": features}),
        )?)
    };
    let (csv_bytes, (json_bytes, geojson_bytes)) = rayon::join(
        || csv(site, &records).into_bytes(),
        || rayon::join(json_doc, geojson),
    );
    Ok(vec![
        OutputFile {
            path: "data/incidents.csv".into(),
            bytes: csv_bytes,
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
        .zip(records)
        .map(|(i, r)| {
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
            let mut row = cells.join(",");
            row.push_str("\r\n");
            row
        })
        .collect();
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    out.extend(rows);
    out
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
