//! Places an incident: resolves its country, province and district names (with aliases and
//! suggestions), checks its coordinates, and finds the region that holds it.

use super::vocab::{country_name, GeoPrecision, COUNTRIES};
use super::{placeholder, term_hint, Lookup};
use crate::content::{Loaded, RawIncident};
use crate::diagnostic::Diagnostic;
use crate::regions::{Level, RegionTree};
use toml::Spanned;

/// Points this far outside their declared district are still accepted (border tolerance).
pub const BORDER_TOLERANCE_KM: f64 = 1.0;

/// Points this far outside their country's outline are still accepted: the outlines of
/// countries other than the home one are simplified (geoBoundaries CGAZ) and coarse.
pub const COUNTRY_TOLERANCE_KM: f64 = 10.0;

pub struct Placement {
    pub country: String,
    pub region: usize,
    pub position: Option<(f64, f64)>,
    pub geo_precision: GeoPrecision,
    pub place_name: Option<String>,
}

/// The ISO code an incident gives for its country, as `place` reads it.
fn country_code(raw: &RawIncident) -> String {
    raw.country.get_ref().trim().to_uppercase()
}

/// Whether `iso` names a country: a known code, or one the boundary layers hold.
fn is_known_country(iso: &str, regions: &RegionTree) -> bool {
    country_name(iso).is_some() || regions.country(iso).is_some()
}

/// Adds to the tree every country the incidents name with a known code that it lacks, in
/// the order the incidents come (so region numbers do not depend on how checks are
/// scheduled).
pub fn add_countries(raw: &crate::content::RawContent, regions: &mut RegionTree) {
    for loaded in &raw.incidents {
        let iso = country_code(&loaded.value);
        if is_known_country(&iso, regions) {
            regions.ensure_country(&iso);
        }
    }
}

pub fn place(
    loaded: &Loaded<RawIncident>,
    ctx: &Lookup,
    diags: &mut Vec<Diagnostic>,
) -> Option<Placement> {
    let raw = &loaded.value;
    let iso = country_code(raw);
    if !is_known_country(&iso, ctx.regions) {
        diags.push(
            loaded
                .error_on(
                    &raw.country,
                    "unknown-country",
                    format!("unknown country code '{}'", raw.country.get_ref()),
                )
                .with_hint(format!(
                    "use an ISO 3166-1 alpha-3 code; {}",
                    term_hint(raw.country.get_ref(), COUNTRIES.iter().map(|(c, _)| *c))
                )),
        );
        return None;
    }
    // `add_countries` added every country with a known code.
    let country = ctx.regions.country(&iso)?;
    let home = iso == ctx.regions.home_country;

    // Coordinates.
    let mut point = None;
    let mut geo_precision = None;
    let mut place_name = None;
    if let Some(loc) = &raw.location {
        let loc = loc.get_ref();
        let (lat, lon) = (*loc.lat.get_ref(), *loc.lon.get_ref());
        place_name = loc.name.clone().filter(|n| !n.trim().is_empty());
        geo_precision = match &loc.geo_precision {
            None => Some(GeoPrecision::Exact),
            Some(p) => GeoPrecision::parse(p.get_ref()).or_else(|| {
                diags.push(
                    loaded
                        .error_on(
                            p,
                            "unknown-term",
                            format!("unknown geo_precision '{}'", p.get_ref()),
                        )
                        .with_hint(term_hint(p.get_ref(), GeoPrecision::terms())),
                );
                None
            }),
        };
        let lat_ok = lat.is_finite() && (-90.0..=90.0).contains(&lat);
        let lon_ok = lon.is_finite() && (-180.0..=180.0).contains(&lon);
        if !lat_ok {
            diags.push(
                loaded
                    .error_on(
                        &loc.lat,
                        "coordinate-out-of-range",
                        format!("latitude {lat} is outside −90…90"),
                    )
                    .with_hint(
                        "latitude is the north–south coordinate; Pakistan lies between 23 and 37",
                    ),
            );
        }
        if !lon_ok {
            diags.push(
                loaded
                    .error_on(
                        &loc.lon,
                        "coordinate-out-of-range",
                        format!("longitude {lon} is outside −180…180"),
                    )
                    .with_hint(
                        "longitude is the east–west coordinate; Pakistan lies between 60 and 78",
                    ),
            );
        }
        if lat == 0.0 && lon == 0.0 {
            // "Null island", in the Gulf of Guinea: the placeholder of `sitrep new`, or a
            // missing value a spreadsheet filled with zeros.
            diags.push(
                loaded
                    .error_on(
                        &loc.lat,
                        "placeholder",
                        "`lat` and `lon` are both 0, the placeholder of `sitrep new` (a point in the Atlantic)",
                    )
                    .with_hint("give the place's latitude and longitude in decimal degrees (WGS84), read off a map"),
            );
        } else if lat_ok && lon_ok {
            // In no district as written, in one swapped.
            let swapped_into = (home
                && ctx.regions.locate_district(ctx.layers, lon, lat).is_none())
            .then(|| ctx.regions.locate_district(ctx.layers, lat, lon))
            .flatten();
            match swapped_into {
                Some(district) => diags.push(swapped(
                    loaded,
                    &loc.lat,
                    (lat, lon),
                    &ctx.regions.regions[district].name,
                )),
                None => point = Some((lon, lat)),
            }
        }
    }

    // Named regions.
    let province = raw.province.as_ref().and_then(|p| {
        if !ctx.regions.has_provinces(&iso) && !home {
            // No province layer for this country: the name is kept only as a label.
            return None;
        }
        let found = ctx.regions.find(&iso, Level::Province, p.get_ref());
        if let Some(d) = placeholder(loaded, p, "province") {
            diags.push(d.with_hint(
                "write the province's name, or remove the line (it is derived from the district)",
            ));
        } else if found.is_none() {
            let names = ctx.regions.names(&iso, Level::Province);
            diags.push(
                loaded
                    .error_on(
                        p,
                        "unknown-province",
                        format!(
                            "unknown province '{}' in {}",
                            p.get_ref(),
                            ctx.regions.regions[country].name
                        ),
                    )
                    .with_hint(term_hint(p.get_ref(), names.iter().copied())),
            );
        }
        found
    });
    let district = raw.district.as_ref().and_then(|d| {
        if !home {
            diags.push(
                loaded
                    .error_on(d, "district-abroad", format!("`district` is only for {} (the district layer); this incident is in {}", ctx.regions.regions[ctx.regions.country(&ctx.regions.home_country).unwrap_or(country)].name, ctx.regions.regions[country].name))
                    .with_hint("remove `district`; give `province` (where the geodata has provinces) and a [location]"),
            );
            return None;
        }
        let found = ctx.regions.find(&iso, Level::District, d.get_ref());
        if let Some(p) = placeholder(loaded, d, "district") {
            diags.push(p);
        } else if found.is_none() {
            let names = ctx.regions.names(&iso, Level::District);
            let hint = match ctx.regions.find(&iso, Level::Province, d.get_ref()) {
                Some(p) => format!(
                    "{} is a province, not a district: write province = \"{}\" and, if known, the district",
                    ctx.regions.regions[p].name, ctx.regions.regions[p].name
                ),
                None => format!(
                    "{} Other spellings can be added to content/regions/aliases.toml",
                    term_hint(d.get_ref(), names.iter().copied())
                ),
            };
            diags.push(
                loaded
                    .error_on(d, "unknown-district", format!("unknown district '{}'", d.get_ref()))
                    .with_hint(hint),
            );
        }
        found
    });
    if let (Some(d), Some(p), Some(pfield)) = (district, province, raw.province.as_ref()) {
        if ctx.regions.at_level(d, Level::Province) != Some(p) {
            let actual = ctx
                .regions
                .at_level(d, Level::Province)
                .map(|i| ctx.regions.regions[i].name.clone())
                .unwrap_or_default();
            diags.push(
                loaded
                    .error_on(pfield, "province-mismatch", format!("district {} is in {actual}, not in {}", ctx.regions.regions[d].name, ctx.regions.regions[p].name))
                    .with_hint(format!("write province = \"{actual}\" or leave `province` out (it is derived from the district)")),
            );
        }
    }

    // Where the point falls.
    let mut region = district.or(province);
    if let Some((lon, lat)) = point {
        if home {
            let located = ctx.regions.locate_district(ctx.layers, lon, lat);
            match (district, located) {
                (Some(d), Some(l)) if d != l => {
                    let distance = ctx
                        .regions
                        .distance_km(ctx.layers, d, lon, lat)
                        .unwrap_or(f64::INFINITY);
                    if distance > BORDER_TOLERANCE_KM {
                        let loc = raw.location.as_ref().map(|l| l.span()).unwrap_or(0..0);
                        diags.push(
                            loaded
                                .error_at(
                                    loc,
                                    "point-outside-district",
                                    format!(
                                        "the location falls in {} ({:.1} km outside {})",
                                        ctx.regions.regions[l].name,
                                        distance,
                                        ctx.regions.regions[d].name
                                    ),
                                )
                                .with_hint(format!(
                                    "check lat/lon, or write district = \"{}\"",
                                    ctx.regions.regions[l].name
                                )),
                        );
                    }
                }
                (None, Some(l)) => {
                    if let (Some(p), Some(pfield)) = (province, raw.province.as_ref()) {
                        if ctx.regions.at_level(l, Level::Province) != Some(p) {
                            diags.push(
                                loaded
                                    .error_on(
                                        pfield,
                                        "point-outside-province",
                                        format!(
                                            "the location falls in {}, outside {}",
                                            ctx.regions.place_label(l),
                                            ctx.regions.regions[p].name
                                        ),
                                    )
                                    .with_hint("check lat/lon or the province"),
                            );
                        }
                    }
                    region = Some(l);
                }
                (Some(d), None) => {
                    let distance = ctx
                        .regions
                        .distance_km(ctx.layers, d, lon, lat)
                        .unwrap_or(f64::INFINITY);
                    if distance > BORDER_TOLERANCE_KM {
                        let loc = raw.location.as_ref().map(|l| l.span()).unwrap_or(0..0);
                        diags.push(
                            loaded
                                .error_at(loc, "point-outside-district", format!("the location lies outside every district, {:.1} km from {}", distance, ctx.regions.regions[d].name))
                                .with_hint("check lat/lon (decimal degrees, WGS84)"),
                        );
                    }
                }
                (None, None) => {
                    let loc = raw.location.as_ref().map(|l| l.span()).unwrap_or(0..0);
                    diags.push(
                        loaded
                            .error_at(loc, "point-outside-country", format!("the location lies outside every district of {}", ctx.regions.regions[country].name))
                            .with_hint("check lat/lon, or the `country` code if the incident happened abroad"),
                    );
                }
                _ => {}
            }
        } else {
            region = place_abroad(loaded, ctx, (country, province), (lon, lat), diags).or(region);
        }
    }
    // A [location] that is there but wrong has its own error; "no place" would contradict it.
    if home && district.is_none() && raw.location.is_none() && raw.district.is_none() {
        diags.push(
            Diagnostic::error(&loaded.source.path, "no-place", "this incident has neither `district` nor [location]")
                .at(&loaded.source.text, loaded.value.country.span().start)
                .with_hint("add district = \"…\" (a district name) and, if known, a [location] with lat and lon"),
        );
    }
    if !home && point.is_none() && raw.location.is_none() {
        diags.push(
            loaded
                .warning_on(&raw.country, "no-location", "this incident abroad has no [location], so it is drawn at the centre of its region")
                .with_hint("add a [location] with lat, lon and geo_precision"),
        );
    }
    let region = region.unwrap_or(country);
    let precision = geo_precision.unwrap_or(match ctx.regions.regions[region].level {
        Level::District => GeoPrecision::District,
        Level::Province => GeoPrecision::Province,
        Level::Country => GeoPrecision::Country,
    });
    let position = point.or(ctx.regions.regions[region].label);
    Some(Placement {
        country: iso,
        region,
        position,
        geo_precision: precision,
        place_name,
    })
}

/// Checks the point of an incident abroad against its province (where the geodata has
/// provinces for its country) and its country's outline; returns the province the point is
/// in when none was named.
/// A `coordinates-swapped` error on `lat_field`: swapped, the point falls inside `place`.
fn swapped(
    loaded: &Loaded<RawIncident>,
    lat_field: &Spanned<f64>,
    (lat, lon): (f64, f64),
    place: &str,
) -> Diagnostic {
    loaded
        .error_on(
            lat_field,
            "coordinates-swapped",
            format!(
                "lat {lat} and lon {lon} look swapped: swapped, the point falls inside {place}"
            ),
        )
        .with_hint(format!("write lat = {lon} and lon = {lat}"))
}

fn place_abroad(
    loaded: &Loaded<RawIncident>,
    ctx: &Lookup,
    (country, province): (usize, Option<usize>),
    (lon, lat): (f64, f64),
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let raw = &loaded.value;
    let regions = ctx.regions;
    let iso = &regions.regions[country].country;
    let location = raw.location.as_ref().map(|l| l.span()).unwrap_or(0..0);
    let located = regions.locate_province(ctx.layers, iso, lon, lat);
    // Not where it says: how far from the country's outline (measured once; the same figure
    // tells a point outside the country below).
    let misplaced = located.is_none() || (province.is_some() && located != province);
    let distance = misplaced
        .then(|| regions.distance_km(ctx.layers, country, lon, lat))
        .flatten();
    if misplaced && distance.is_none_or(|d| d > COUNTRY_TOLERANCE_KM) {
        // Outside the country, but inside it with lat and lon swapped: say so.
        let swapped_inside = (-90.0..=90.0).contains(&lon)
            && regions
                .distance_km(ctx.layers, country, lat, lon)
                .is_some_and(|d| d <= COUNTRY_TOLERANCE_KM);
        if let Some(loc) = raw.location.as_ref().filter(|_| swapped_inside) {
            diags.push(swapped(
                loaded,
                &loc.get_ref().lat,
                (lat, lon),
                &regions.regions[country].name,
            ));
            return None;
        }
    }
    if let (Some(p), Some(pfield)) = (province, raw.province.as_ref()) {
        if located == Some(p) {
            return None;
        }
        let distance = regions
            .distance_km(ctx.layers, p, lon, lat)
            .unwrap_or(f64::INFINITY);
        if distance > BORDER_TOLERANCE_KM {
            let message = match located {
                Some(l) => format!(
                    "the location falls in {}, {distance:.1} km outside {}",
                    regions.place_label(l),
                    regions.regions[p].name
                ),
                None => format!(
                    "the location lies {distance:.1} km outside {}",
                    regions.regions[p].name
                ),
            };
            let hint = match located {
                Some(l) => format!(
                    "check lat/lon, or write province = \"{}\"",
                    regions.regions[l].name
                ),
                None => "check lat/lon (decimal degrees, WGS84) or the province".to_string(),
            };
            diags.push(
                loaded
                    .error_on(pfield, "point-outside-province", message)
                    .with_hint(hint),
            );
        }
        return None;
    }
    if located.is_some() {
        return located;
    }
    if let Some(distance) = distance.filter(|&d| d > COUNTRY_TOLERANCE_KM) {
        diags.push(
            loaded
                .error_at(
                    location,
                    "point-outside-country",
                    format!(
                        "the location lies {distance:.0} km outside {}",
                        regions.regions[country].name
                    ),
                )
                .with_hint("check lat/lon (decimal degrees, WGS84), or the `country` code"),
        );
    }
    None
}
