//! Render stage, data downloads: every incident as CSV, JSON and GeoJSON, for readers and
//! researchers.

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::{Collect, OutputFile, Sink, Site};
use crate::atlas::{Incident, Perpetrator};

/// The three downloads, in memory (`serve`).
pub fn downloads(site: &Site) -> anyhow::Result<Vec<OutputFile>> {
    let files = Collect::default();
    downloads_into(site, &files)?;
    Ok(files.into_sorted())
}

/// The three downloads, each handed to `sink` as soon as it is made.
pub fn downloads_into(site: &Site, sink: &dyn Sink) -> anyhow::Result<()> {
    // Each record is made once (in parallel), borrowing from the atlas.
    let records: Vec<Record> = site
        .atlas
        .incidents
        .par_iter()
        .map(|i| record(site, i))
        .collect();
    #[derive(Serialize)]
    struct Doc<'a> {
        attribution: &'a str,
        incidents: &'a [Record<'a>],
        license: &'a str,
        title: &'a str,
    }
    #[derive(Serialize)]
    struct Feature<'a> {
        geometry: Option<Value>,
        properties: &'a Record<'a>,
        #[serde(rename = "type")]
        kind: &'static str,
    }
    #[derive(Serialize)]
    struct Collection<'a> {
        features: Vec<Feature<'a>>,
        #[serde(rename = "type")]
        kind: &'static str,
    }
    // One file at a time, each handed on before the next is made: at 100k incidents the
    // JSON alone is 190 MB.
    let put = |path: &str, bytes: Vec<u8>| {
        sink.put(OutputFile {
            path: path.into(),
            bytes,
        })
    };
    put("data/incidents.csv", csv(site, &records).into_bytes())?;
    let json = to_vec_exact(&Doc {
        attribution: &site.config.site.data.attribution,
        incidents: &records,
        license: &site.config.site.data.license,
        title: &site.config.site.title,
    })?;
    put("data/incidents.json", json)?;
    let features = site
        .atlas
        .incidents
        .iter()
        .zip(&records)
        .map(|(incident, record)| Feature {
            geometry: incident.position.map(
                |(lon, lat)| json!({"type": "Point", "coordinates": [round(lon), round(lat)]}),
            ),
            properties: record,
            kind: "Feature",
        })
        .collect();
    let geojson = to_vec_exact(&Collection {
        features,
        kind: "FeatureCollection",
    })?;
    put("data/incidents.geojson", geojson)
}

/// `value` as compact JSON in a buffer of exactly its size, counted first: a file of hundreds of
/// MB does not pass through the copies and spare room of a growing buffer. (Compact like the
/// GeoJSON: at 100k incidents the JSON is 130 MB, against 190 MB pretty-printed; `jq .` indents it.)
fn to_vec_exact(value: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut bytes = Vec::with_capacity(count.0);
    serde_json::to_writer(&mut bytes, value)?;
    Ok(bytes)
}

/// Coordinates to 5 decimals (about a metre).
pub fn round(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

/// One incident as the downloads give it, borrowing from the atlas. The fields are in
/// alphabetical order, as in the JSON objects the downloads have always had.
#[derive(Serialize)]
struct Record<'a> {
    casualties_note: &'a Option<String>,
    country: &'a str,
    date: String,
    date_end: Option<String>,
    date_precision: &'static str,
    district: Option<&'a str>,
    geo_precision: &'static str,
    id: &'a str,
    injured_max: Option<u64>,
    injured_min: Option<u64>,
    killed_max: Option<u64>,
    killed_min: Option<u64>,
    lat: Option<f64>,
    lon: Option<f64>,
    perpetrators: &'a [Perpetrator],
    place_name: &'a Option<String>,
    province: Option<&'a str>,
    related: &'a [String],
    sources: Vec<SourceRecord<'a>>,
    summary: String,
    tags: &'a [String],
    targets: Vec<&'static str>,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

/// A source in the downloads: its fields in alphabetical order (see `Record`).
#[derive(Serialize)]
struct SourceRecord<'a> {
    author: &'a Option<String>,
    date: &'a Option<chrono::NaiveDate>,
    note: &'a Option<String>,
    publisher: &'a str,
    title: &'a str,
    url: &'a Option<String>,
    via: &'a Option<String>,
}

fn record<'a>(site: &'a Site, i: &'a Incident) -> Record<'a> {
    let name = |level| {
        site.regions
            .at_level(i.region, level)
            .map(|r| site.regions.regions[r].name.as_str())
    };
    Record {
        casualties_note: &i.casualties_note,
        country: &i.country,
        date: i.date.to_string(),
        date_end: i.date_end.map(|d| d.to_string()),
        date_precision: i.date_precision.term(),
        district: name(crate::regions::Level::District),
        geo_precision: i.geo_precision.term(),
        id: &i.id,
        injured_max: i.injured.map(|f| f.max),
        injured_min: i.injured.map(|f| f.min),
        killed_max: i.killed.map(|f| f.max),
        killed_min: i.killed.map(|f| f.min),
        lat: i.position.map(|p| round(p.1)),
        lon: i.position.map(|p| round(p.0)),
        perpetrators: &i.perpetrators,
        place_name: &i.place_name,
        province: name(crate::regions::Level::Province),
        related: &i.related,
        sources: i
            .sources
            .iter()
            .map(|s| SourceRecord {
                author: &s.author,
                date: &s.date,
                note: &s.note,
                publisher: &s.publisher,
                title: &s.title,
                url: &s.url,
                via: &s.via,
            })
            .collect(),
        summary: super::markdown::to_text(&i.summary),
        tags: &i.tags,
        targets: i.targets.iter().map(|t| t.term()).collect(),
        title: &i.title,
        kind: i.kind.term(),
        url: site.config.absolute_url(&format!("incidents/{}/", i.id)),
    }
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

fn csv(site: &Site, records: &[Record]) -> String {
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

/// A number as JSON writes it (`34.5`, `3`), for a CSV cell; empty when there is none.
fn number(n: Option<impl Into<Value>>) -> String {
    match n.map(Into::into) {
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// One CSV line (with its CRLF) from an incident and its download record.
fn csv_row(i: &Incident, r: &Record) -> String {
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
    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
    let cells: Vec<String> = CSV_COLUMNS
        .iter()
        .map(|c| match *c {
            "id" => r.id.to_string(),
            "title" => r.title.to_string(),
            "date" => r.date.clone(),
            "date_precision" => r.date_precision.to_string(),
            "date_end" => text(r.date_end.as_deref()),
            "country" => r.country.to_string(),
            "province" => text(r.province),
            "district" => text(r.district),
            "lat" => number(r.lat),
            "lon" => number(r.lon),
            "geo_precision" => r.geo_precision.to_string(),
            "type" => r.kind.to_string(),
            "targets" => r.targets.join("; "),
            "killed_min" => number(r.killed_min),
            "killed_max" => number(r.killed_max),
            "injured_min" => number(r.injured_min),
            "injured_max" => number(r.injured_max),
            "perpetrators" => perpetrators.clone(),
            "sources" => sources.clone(),
            "url" => r.url.clone(),
            _ => String::new(),
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
