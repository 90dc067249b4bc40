//! Render stage, data downloads: every incident as CSV, JSON and GeoJSON, for readers and
//! researchers.

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

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
    // Each incident is made into its download record once, in parallel, and that record is
    // written once as JSON and once as a CSV line; the JSON and GeoJSON files are made of
    // those bytes.
    let chunks: Vec<Chunk> = site
        .atlas
        .incidents
        .par_chunks(CHUNK)
        .with_max_len(1)
        .map(|incidents| Chunk::of(site, incidents))
        .collect::<serde_json::Result<_>>()?;
    // Each file is written piece by piece, never whole in memory: at 100k incidents the JSON
    // alone is 130 MB.
    let header = format!("{}\r\n", CSV_COLUMNS.join(","));
    let csv = chunks.iter().map(|c| c.csv.as_bytes());
    sink.put_pieces(
        "data/incidents.csv",
        &mut std::iter::once(header.as_bytes()).chain(csv),
    )?;
    let (head, tail) = json_ends(site)?;
    sink.put_pieces("data/incidents.json", &mut json(&head, &chunks, &tail))?;
    sink.put_pieces("data/incidents.geojson", &mut geojson(&chunks))?;
    Ok(())
}

/// Incidents per unit of parallel work in the downloads.
const CHUNK: usize = 512;

/// A run of incidents as the downloads give them: each one's record as compact JSON, one after
/// the other in `json` (each ending where `json_ends` says); the start of each one's GeoJSON
/// feature, up to its properties, likewise in `features`; and their CSV lines.
struct Chunk {
    json: Vec<u8>,
    json_ends: Vec<usize>,
    features: Vec<u8>,
    feature_ends: Vec<usize>,
    csv: String,
}

impl Chunk {
    fn of(site: &Site, incidents: &[std::sync::Arc<Incident>]) -> serde_json::Result<Chunk> {
        let mut chunk = Chunk {
            json: Vec::with_capacity(incidents.len() * 1024),
            json_ends: Vec::with_capacity(incidents.len()),
            features: Vec::with_capacity(incidents.len() * 80),
            feature_ends: Vec::with_capacity(incidents.len()),
            csv: String::with_capacity(incidents.len() * 256),
        };
        for incident in incidents {
            let record = record(site, incident);
            serde_json::to_writer(&mut chunk.json, &record)?;
            chunk.json_ends.push(chunk.json.len());
            let geometry = incident.position.map(|(lon, lat)| Point {
                coordinates: [round(lon), round(lat)],
                kind: "Point",
            });
            chunk.features.extend_from_slice(b"{\"geometry\":");
            serde_json::to_writer(&mut chunk.features, &geometry)?;
            chunk.features.extend_from_slice(b",\"properties\":");
            chunk.feature_ends.push(chunk.features.len());
            chunk.csv.push_str(&csv_row(incident, &record));
        }
        Ok(chunk)
    }

    /// Each record's JSON.
    fn records(&self) -> impl Iterator<Item = &[u8]> + Clone {
        pieces(&self.json, &self.json_ends)
    }

    /// Each record's GeoJSON feature, in three pieces: its start, the record, its end.
    fn features(&self) -> impl Iterator<Item = [&[u8]; 3]> + Clone {
        pieces(&self.features, &self.feature_ends)
            .zip(self.records())
            .map(|(start, record)| [start, record, b",\"type\":\"Feature\"}"])
    }
}

/// A GeoJSON point, its fields in alphabetical order as the downloads have always had them.
#[derive(Serialize)]
struct Point {
    coordinates: [f64; 2],
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The pieces of `bytes` that end at `ends`.
fn pieces<'a>(bytes: &'a [u8], ends: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + Clone {
    std::iter::once(0)
        .chain(ends.iter().copied())
        .zip(ends)
        .map(move |(start, &end)| &bytes[start..end])
}

/// What comes before and after the records in the JSON download:
/// `{"attribution":…,"incidents":[` and `],"license":…,"title":…}`, the fields in alphabetical
/// order. Compact like the GeoJSON (at 100k incidents 130 MB, against 190 MB pretty-printed;
/// `jq .` indents it).
fn json_ends(site: &Site) -> serde_json::Result<(String, String)> {
    let data = &site.config.site.data;
    let head = format!(
        "{{\"attribution\":{},\"incidents\":[",
        serde_json::to_string(&data.attribution)?
    );
    let tail = format!(
        "],\"license\":{},\"title\":{}}}",
        serde_json::to_string(&data.license)?,
        serde_json::to_string(&site.config.site.title)?
    );
    Ok((head, tail))
}

/// The JSON download in pieces.
fn json<'a>(head: &'a str, chunks: &'a [Chunk], tail: &'a str) -> impl Iterator<Item = &'a [u8]> {
    let records = chunks.iter().flat_map(Chunk::records).map(|r| [r]);
    joined(head, records, tail)
}

/// The GeoJSON download in pieces:
/// `{"features":[{"geometry":…,"properties":{…},"type":"Feature"},…],"type":"FeatureCollection"}`.
fn geojson(chunks: &[Chunk]) -> impl Iterator<Item = &[u8]> {
    let features = chunks.iter().flat_map(Chunk::features);
    joined(
        "{\"features\":[",
        features,
        "],\"type\":\"FeatureCollection\"}",
    )
}

/// `head`, the `items` (each in pieces) with commas between them, and `tail`.
fn joined<'a, const N: usize>(
    head: &'a str,
    items: impl Iterator<Item = [&'a [u8]; N]>,
    tail: &'a str,
) -> impl Iterator<Item = &'a [u8]> {
    let items = items.enumerate().flat_map(|(n, pieces)| {
        let comma: &[u8] = if n > 0 { b"," } else { b"" };
        std::iter::once(comma).chain(pieces)
    });
    std::iter::once(head.as_bytes())
        .chain(items)
        .chain(std::iter::once(tail.as_bytes()))
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
    use super::{csv_cell, geojson, Chunk};

    #[test]
    fn geojson_features_wrap_the_json_records() {
        // Two chunks: one record with a point and one without, then one more.
        let chunk = |records: &[(&str, Option<[f64; 2]>)]| {
            let mut c = Chunk {
                json: Vec::new(),
                json_ends: Vec::new(),
                features: Vec::new(),
                feature_ends: Vec::new(),
                csv: String::new(),
            };
            for (record, point) in records {
                c.json.extend_from_slice(record.as_bytes());
                c.json_ends.push(c.json.len());
                let geometry = match point {
                    Some([lon, lat]) => {
                        format!(r#"{{"coordinates":[{lon},{lat}],"type":"Point"}}"#)
                    }
                    None => "null".to_string(),
                };
                c.features.extend_from_slice(
                    format!(r#"{{"geometry":{geometry},"properties":"#).as_bytes(),
                );
                c.feature_ends.push(c.features.len());
            }
            c
        };
        let chunks = [
            chunk(&[
                (r#"{"id":"a"}"#, Some([70.5, 33.25])),
                (r#"{"id":"b"}"#, None),
            ]),
            chunk(&[(r#"{"id":"c"}"#, Some([1.5, -2.5]))]),
        ];
        let bytes: Vec<u8> = geojson(&chunks).flatten().copied().collect();
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"id": "a"},
                 "geometry": {"type": "Point", "coordinates": [70.5, 33.25]}},
                {"type": "Feature", "properties": {"id": "b"}, "geometry": null},
                {"type": "Feature", "properties": {"id": "c"},
                 "geometry": {"type": "Point", "coordinates": [1.5, -2.5]}},
            ]})
        );
        let empty: Vec<u8> = geojson(&[]).flatten().copied().collect();
        assert_eq!(empty, br#"{"features":[],"type":"FeatureCollection"}"#);
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-5"), "-5");
    }
}
