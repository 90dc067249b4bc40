//! Map layers for Leaflet: simplified district, province and context outlines with their
//! figures (GeoJSON), the incident points split by year in compact arrays, and the
//! precomputed clusters of the overview, under `data/map/` (see docs/site-layout.md).

use geo::MultiPolygon;
use serde_json::{json, Value};

use super::{OutputFile, Site};
use crate::geo::{
    feature_collection, feature_collections, simplify_shapes, LayerRole, SharedBorders,
};
use crate::regions::Level;

/// Simplification tolerance in degrees (about 500 m: under a pixel up to Leaflet zoom 8, i.e.
/// at country and province views) and output precision in decimals
/// (0.001°, about 100 m; more where rounding would break the topology). Measured with
/// `cargo run --release --example geo_bench`; see docs/geo.md.
const TOLERANCE_DEG: f64 = 0.005;
const CONTEXT_TOLERANCE_DEG: f64 = 0.03;
const DIGITS: u32 = 3;

type Properties = Vec<(String, Value)>;
type Feature = (MultiPolygon<f64>, Properties);

/// Every map file; of the point files only those of `point_years` when given (the others are
/// unchanged, see `render::plan_affected`).
pub fn layers(
    site: &Site,
    point_years: Option<&std::collections::BTreeSet<i32>>,
) -> anyhow::Result<Vec<OutputFile>> {
    let regions = &site.regions.regions;
    let home = &site.regions.home_country;
    let home_borders = home_borders(site);
    let home_regions = &home_borders.regions;
    let simplified = home_borders.borders.simplify(TOLERANCE_DEG);
    let mut districts: Vec<Feature> = Vec::new();
    let mut provinces: Vec<Feature> = Vec::new();
    for (&r, geometry) in home_regions.iter().zip(simplified) {
        let region = &regions[r];
        let stats = &site.index.region_stats[r];
        let mut props = vec![
            ("id".to_string(), json!(region.id)),
            ("name".to_string(), json!(region.name)),
        ];
        if region.level == Level::District {
            let province = site
                .regions
                .at_level(r, Level::Province)
                .map(|p| regions[p].name.clone());
            props.push(("province".to_string(), json!(province)));
        }
        props.extend([
            ("url".to_string(), json!(site.region_url(r))),
            ("incidents".to_string(), json!(stats.incidents)),
            ("killed".to_string(), json!(stats.killed)),
            ("killed_max".to_string(), json!(stats.killed_max)),
            ("injured".to_string(), json!(stats.injured)),
            ("injured_max".to_string(), json!(stats.injured_max)),
        ]);
        match region.level {
            Level::District => districts.push((geometry, props)),
            _ => provinces.push((geometry, props)),
        }
    }
    // Context: every layer that is not the home country's, simplified harder.
    let mut context_src: Vec<(&MultiPolygon<f64>, Properties)> = Vec::new();
    for (li, layer) in site.layers.iter().enumerate() {
        let is_home = layer.spec.country.as_deref() == Some(home.as_str())
            && layer.spec.role != LayerRole::Context;
        if is_home {
            continue;
        }
        let kind = if layer.spec.role == LayerRole::Context {
            "country"
        } else {
            "province"
        };
        for (si, shape) in layer.shapes.iter().enumerate() {
            let region = regions.iter().position(|r| r.shape == Some((li, si)));
            let url = region
                .filter(|&r| super::pages::has_page(site, r))
                .map(|r| site.region_url(r));
            let mut props = vec![
                ("name".to_string(), json!(shape.name)),
                ("kind".to_string(), json!(kind)),
            ];
            if let Some(url) = url {
                props.push(("url".to_string(), json!(url)));
            }
            context_src.push((&shape.geometry, props));
        }
    }
    let context_shapes: Vec<&MultiPolygon<f64>> = context_src.iter().map(|(g, _)| *g).collect();
    let context: Vec<Feature> = simplify_shapes(&context_shapes, CONTEXT_TOLERANCE_DEG)
        .into_iter()
        .zip(context_src.into_iter().map(|(_, p)| p))
        .collect();

    // Rounded together, so shared vertices are written alike in both files.
    let mut home_layers = feature_collections(&[&districts, &provinces], DIGITS).into_iter();
    let mut files = vec![
        OutputFile {
            path: "data/map/districts.geojson".into(),
            bytes: home_layers.next().unwrap_or_default().into_bytes(),
        },
        OutputFile {
            path: "data/map/provinces.geojson".into(),
            bytes: home_layers.next().unwrap_or_default().into_bytes(),
        },
        OutputFile {
            path: "data/map/context.geojson".into(),
            bytes: feature_collection(&context, DIGITS).into_bytes(),
        },
    ];
    files.extend(super::points::files(site, point_years)?);
    Ok(files)
}

/// The home country's districts and provinces that have an outline, in region order, cut
/// into their shared borders once per build for the map layers and the locator maps.
pub(super) struct HomeBorders {
    pub regions: Vec<usize>,
    pub borders: SharedBorders,
}

/// The site's [`HomeBorders`], made on first use. Districts and provinces are simplified
/// together so that their borders stay shared.
pub(super) fn home_borders<'s>(site: &'s Site) -> &'s HomeBorders {
    site.shared.home_borders.get_or_init(|| {
        let regions = &site.regions.regions;
        let home = &site.regions.home_country;
        let with_outline: Vec<(usize, &MultiPolygon<f64>)> = (0..regions.len())
            .filter(|&r| regions[r].country == *home && regions[r].level != Level::Country)
            .filter_map(|r| {
                let (l, s) = regions[r].shape?;
                Some((r, &site.layers[l].shapes[s].geometry))
            })
            .collect();
        let shapes: Vec<&MultiPolygon<f64>> = with_outline.iter().map(|(_, g)| *g).collect();
        HomeBorders {
            regions: with_outline.iter().map(|(r, _)| *r).collect(),
            borders: SharedBorders::new(&shapes),
        }
    })
}
