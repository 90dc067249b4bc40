//! Inline SVG drawn at build time: per-year bar charts and locator maps (a region inside its
//! parent, with its incidents as dots). Readable with JavaScript off; no style attributes
//! (classes only, styled by the theme), so pages keep their strict CSP.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::OnceLock;

use geo::MultiPolygon;

use super::Site;
use crate::index::Stats;
use crate::regions::Level;

/// Tolerance for locator outlines (degrees): coarse, they are small pictures.
const LOCATOR_TOLERANCE_DEG: f64 = 0.05;
/// Locator dots closer than this (pixels) are drawn once.
const DOT_CELL: f64 = 4.0;
const LOCATOR_SIZE: f64 = 240.0;

use super::escape_html as escape;

/// A bar chart of incidents and killed per year, for `years` (ascending).
pub fn year_chart(id: &str, title: &str, years: &BTreeMap<i32, Stats>) -> String {
    if years.is_empty() {
        return String::new();
    }
    let first = *years.keys().next().unwrap_or(&0);
    let last = *years.keys().next_back().unwrap_or(&0);
    let span: Vec<i32> = (first..=last).collect();
    let max_incidents = years
        .values()
        .map(|s| s.incidents)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let max_killed = years.values().map(|s| s.killed).max().unwrap_or(1).max(1) as f64;
    let bar = 24.0;
    let gap = 10.0;
    let width = (span.len() as f64 * (bar + gap) + gap).max(220.0);
    let height = 150.0;
    let base = 118.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">"#,
        escape(title)
    );
    let desc: Vec<String> = years
        .iter()
        .map(|(y, s)| format!("{y}: {} incidents, {} killed", s.incidents, s.killed))
        .collect();
    out.push_str(&escape(&desc.join("; ")));
    out.push_str("</desc>");
    for (i, year) in span.iter().enumerate() {
        let x = gap + i as f64 * (bar + gap);
        let stats = years.get(year).cloned().unwrap_or_default();
        let h_inc = stats.incidents as f64 / max_incidents * 100.0;
        let h_kill = stats.killed as f64 / max_killed * 100.0;
        let _ = write!(
            out,
            r#"<rect class="chart__bar chart__bar--incidents" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h_inc:.1}"/><rect class="chart__bar chart__bar--killed" x="{:.1}" y="{:.1}" width="{:.1}" height="{h_kill:.1}"/>"#,
            base - h_inc,
            bar / 2.0,
            x + bar / 2.0,
            base - h_kill,
            bar / 2.0
        );
        if stats.incidents > 0 {
            let _ = write!(
                out,
                r#"<text class="chart__value" x="{:.1}" y="{:.1}">{}</text>"#,
                x + bar / 4.0,
                base - h_inc - 3.0,
                stats.incidents
            );
        }
        if span.len() <= 12 || i % 2 == 0 {
            let _ = write!(
                out,
                r#"<text class="chart__label" x="{:.1}" y="{:.1}">{}</text>"#,
                x + bar / 2.0,
                base + 16.0,
                year
            );
        }
    }
    let _ = write!(
        out,
        r#"<line class="chart__axis" x1="{gap}" y1="{base}" x2="{:.1}" y2="{base}"/><rect class="chart__bar--incidents" x="{gap}" y="138" width="10" height="10"/><text class="chart__legend" x="{:.1}" y="147">incidents</text><rect class="chart__bar--killed" x="{:.1}" y="138" width="10" height="10"/><text class="chart__legend" x="{:.1}" y="147">killed (relative scale)</text></svg>"#,
        width - gap,
        gap + 14.0,
        gap + 90.0,
        gap + 104.0
    );
    out
}

/// Simplified outlines of the home country's regions, made once, when the first locator map
/// is drawn (so the pages that need none start at once), and kept by `serve` between builds.
#[derive(Default)]
pub struct Locators {
    outlines: OnceLock<HashMap<usize, MultiPolygon<f64>>>,
}

impl Locators {
    fn outlines(&self, site: &Site) -> &HashMap<usize, MultiPolygon<f64>> {
        self.outlines.get_or_init(|| {
            let home = super::mapdata::home_borders(site);
            let simplified = home.borders.simplify(LOCATOR_TOLERANCE_DEG);
            home.regions.iter().copied().zip(simplified).collect()
        })
    }

    /// The region highlighted within its parent (a province within the country, a district
    /// within its province), with its incidents as dots. Empty if the geodata has no outline.
    pub fn svg(&self, site: &Site, region: usize) -> String {
        let outlines = self.outlines(site);
        let Some(own) = outlines.get(&region) else {
            return String::new();
        };
        let reg = &site.regions.regions[region];
        let context: Vec<usize> = match reg.level {
            Level::District => reg
                .parent
                .map(|p| site.regions.regions[p].children.clone())
                .unwrap_or_default(),
            _ => outlines
                .keys()
                .copied()
                .filter(|&r| site.regions.regions[r].level == Level::Province)
                .collect(),
        };
        let mut context: Vec<usize> = context
            .into_iter()
            .filter(|r| outlines.contains_key(r))
            .collect();
        context.sort_unstable();
        let frame: Vec<&MultiPolygon<f64>> = context
            .iter()
            .filter_map(|r| outlines.get(r))
            .chain([own])
            .collect();
        let Some(projection) = Projection::fit(&frame, LOCATOR_SIZE) else {
            return String::new();
        };
        let mut out = String::new();
        let title = format!(
            "Locator map: {} within {}",
            reg.name,
            reg.parent
                .map_or("the country".to_string(), |p| site.regions.regions[p]
                    .name
                    .clone())
        );
        let _ = write!(
            out,
            r#"<svg class="locator" viewBox="0 0 {:.0} {:.0}" width="{:.0}" height="{:.0}" role="img" aria-label="{}">"#,
            projection.width,
            projection.height,
            projection.width,
            projection.height,
            escape(&title)
        );
        for r in &context {
            if *r != region {
                if let Some(shape) = outlines.get(r) {
                    let _ = write!(
                        out,
                        r#"<path class="locator__context" d="{}"/>"#,
                        projection.path(shape)
                    );
                }
            }
        }
        let _ = write!(
            out,
            r#"<path class="locator__region" d="{}"/>"#,
            projection.path(own)
        );
        // One dot per `DOT_CELL` pixel cell: more would only be drawn over each other, and a
        // province of 50,000 incidents keeps a small page.
        let mut drawn = std::collections::BTreeSet::new();
        for &i in &site.index.region_incidents[region] {
            if let Some((lon, lat)) = site.atlas.incidents[i].position {
                let (x, y) = projection.point(lon, lat);
                let cell = ((x / DOT_CELL).floor() as i64, (y / DOT_CELL).floor() as i64);
                if !drawn.insert(cell) {
                    continue;
                }
                let _ = write!(
                    out,
                    r#"<circle class="locator__dot" cx="{x:.1}" cy="{y:.1}" r="3"/>"#
                );
            }
        }
        out.push_str("</svg>");
        out
    }
}

/// Appends a number to path data, separated by a space unless its minus sign separates it.
fn push_number(d: &mut String, n: i64) {
    if n >= 0 && d.ends_with(|c: char| c.is_ascii_digit()) {
        d.push(' ');
    }
    let _ = write!(d, "{n}");
}

/// Equirectangular projection scaled by cos(latitude) and fitted into a square.
struct Projection {
    west: f64,
    north: f64,
    scale: f64,
    kx: f64,
    width: f64,
    height: f64,
}

impl Projection {
    fn fit(shapes: &[&MultiPolygon<f64>], size: f64) -> Option<Projection> {
        use geo::BoundingRect;
        let rects: Vec<[f64; 4]> = shapes
            .iter()
            .filter_map(|s| s.bounding_rect())
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            .collect();
        let b = crate::regions::union_bbox(&rects)?;
        let kx = ((b[1] + b[3]) / 2.0).to_radians().cos().max(0.1);
        let w = (b[2] - b[0]) * kx;
        let h = b[3] - b[1];
        if w <= 0.0 || h <= 0.0 {
            return None;
        }
        let scale = size / w.max(h);
        Some(Projection {
            west: b[0],
            north: b[3],
            scale,
            kx,
            width: (w * scale).ceil(),
            height: (h * scale).ceil(),
        })
    }

    fn point(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.west) * self.kx * self.scale,
            (self.north - lat) * self.scale,
        )
    }

    /// SVG path data in whole pixels, relative moves, consecutive duplicates dropped.
    fn path(&self, shape: &MultiPolygon<f64>) -> String {
        let mut d = String::new();
        for polygon in &shape.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                let mut last: Option<(i64, i64)> = None;
                let mut segments = 0;
                for c in &ring.0 {
                    let (x, y) = self.point(c.x, c.y);
                    let p = (x.round() as i64, y.round() as i64);
                    match last {
                        None => {
                            let _ = write!(d, "M{} {}", p.0, p.1);
                        }
                        Some(l) if l == p => continue,
                        Some(l) => {
                            if segments == 0 {
                                d.push('l');
                            }
                            push_number(&mut d, p.0 - l.0);
                            push_number(&mut d, p.1 - l.1);
                            segments += 1;
                        }
                    }
                    last = Some(p);
                }
                d.push('Z');
            }
        }
        d
    }
}
