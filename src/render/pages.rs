//! Routes: every HTML page of the site, its output path, template and variables.

use chrono::Datelike;
use serde_json::{json, Value};

use super::{Page, Site};
use crate::regions::Level;

/// How many incidents and briefs the home page lists.
const HOME_LATEST: usize = 8;

pub fn all(site: &Site, locators: &super::svg::Locators) -> Vec<Page> {
    let mut pages = vec![
        home(site),
        map(site),
        timeline(site),
        regions_index(site),
        incidents_index(site),
        briefs_index(site),
        actors_index(site),
        about(site),
        not_found(site),
    ];
    pages.extend((0..site.atlas.incidents.len()).map(|i| incident(site, i)));
    pages.extend(site.atlas.briefs.iter().map(|b| brief(site, b)));
    pages.extend(site.atlas.actors.iter().map(|a| actor(site, a)));
    pages.extend(
        (0..site.regions.regions.len())
            .filter(|&r| has_page(site, r))
            .map(|r| region(site, r, locators)),
    );
    pages
}

/// Every province and district of the home country has a page; countries and provinces
/// abroad only when they hold incidents.
pub fn has_page(site: &Site, r: usize) -> bool {
    let region = &site.regions.regions[r];
    if region.country == site.regions.home_country {
        region.level != Level::Country
    } else {
        site.index.region_stats[r].incidents > 0
    }
}

/// Variables every page has.
fn page(
    site: &Site,
    path: &str,
    template: &'static str,
    title: &str,
    section: &str,
    description: &str,
) -> Page {
    let mut context = tera::Context::new();
    let cfg = &site.config;
    let url_path = path.strip_suffix("index.html").unwrap_or(path);
    context.insert(
        "site",
        &json!({
            "title": cfg.site.title,
            "description": cfg.site.description,
            "base": cfg.base_path,
            "base_url": cfg.base_url,
            "language": cfg.site.language,
            "data_license": cfg.site.data.license,
            "data_license_url": cfg.site.data.license_url,
            "data_attribution": cfg.site.data.attribution,
            "boundary_attribution": boundary_attribution(site),
            "tile_url": cfg.site.map.tile_url,
            "tile_attribution": cfg.site.map.tile_attribution,
        }),
    );
    context.insert("page_title", title);
    context.insert("section", section);
    context.insert(
        "description",
        if description.is_empty() {
            cfg.site.description.as_str()
        } else {
            description
        },
    );
    context.insert("canonical", &cfg.absolute_url(url_path));
    Page {
        path: path.to_string(),
        template,
        context,
    }
}

fn boundary_attribution(site: &Site) -> String {
    let mut seen: Vec<String> = Vec::new();
    for layer in site.layers {
        let text = format!("{} ({})", layer.spec.attribution, layer.spec.license);
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.join("; ")
}

fn map_element(site: &Site, view: &str, region: Option<usize>) -> Value {
    let bbox = match region {
        Some(r) => site.regions.regions[r]
            .bbox
            .or_else(|| incidents_bbox(site, r)),
        None => site
            .regions
            .country(&site.regions.home_country)
            .and_then(|c| site.regions.regions[c].bbox),
    };
    json!({
        "view": view,
        "region": region.map(|r| site.regions.regions[r].id.clone()).unwrap_or_default(),
        "bounds": bbox.map(|b| format!("[[{:.4},{:.4}],[{:.4},{:.4}]]", b[1], b[0], b[3], b[2])).unwrap_or_default(),
    })
}

/// For regions without an outline (countries the geodata lacks): the box around their
/// incidents, padded by a degree.
fn incidents_bbox(site: &Site, r: usize) -> Option<[f64; 4]> {
    let boxes: Vec<[f64; 4]> = site.index.region_incidents[r]
        .iter()
        .filter_map(|&i| site.atlas.incidents[i].position)
        .map(|(lon, lat)| [lon - 1.0, lat - 1.0, lon + 1.0, lat + 1.0])
        .collect();
    crate::regions::union_bbox(&boxes)
}

pub(super) fn home(site: &Site) -> Page {
    let mut p = page(
        site,
        "index.html",
        "home.html",
        &site.config.site.title,
        "home",
        "",
    );
    let latest: Vec<Value> = (0..site.atlas.incidents.len())
        .rev()
        .take(HOME_LATEST)
        .map(|i| site.incident_card(i))
        .collect();
    p.context
        .insert("totals", &site.stats_view(&site.index.totals));
    p.context.insert("latest", &latest);
    p.context.insert(
        "briefs",
        &site
            .atlas
            .briefs
            .iter()
            .take(HOME_LATEST)
            .map(|b| site.brief_card(b))
            .collect::<Vec<_>>(),
    );
    p.context.insert("map", &map_element(site, "preview", None));
    let mut years: std::collections::BTreeMap<i32, crate::index::Stats> =
        std::collections::BTreeMap::new();
    for y in &site.index.timeline {
        years.insert(y.year, y.stats.clone());
    }
    p.context.insert(
        "chart_svg",
        &super::svg::year_chart("chart-years", "Incidents and killed per year", &years),
    );
    p.context.insert("actor_count", &site.atlas.actors.len());
    let first_year = site.atlas.incidents.first().map(|i| i.date.year());
    let last_year = site.atlas.incidents.last().map(|i| i.date.year());
    p.context
        .insert("years", &json!({"first": first_year, "last": last_year}));
    p
}

pub(super) fn map(site: &Site) -> Page {
    let mut p = page(
        site,
        "map/index.html",
        "map.html",
        "Map",
        "map",
        "Map of incidents by district",
    );
    p.context.insert("map", &map_element(site, "full", None));
    p.context.insert("provinces", &province_rows(site));
    p.context.insert("filters", &super::filters::choices(site));
    p
}

/// Provinces of the home country with their districts, for the regions index and the map's
/// text alternative.
fn province_rows(site: &Site) -> Vec<Value> {
    let Some(home) = site.regions.country(&site.regions.home_country) else {
        return Vec::new();
    };
    site.regions.regions[home]
        .children
        .iter()
        .map(|&p| {
            let mut row = site.region_link(p);
            row["districts"] = site.regions.regions[p]
                .children
                .iter()
                .map(|&d| site.region_link(d))
                .collect();
            row
        })
        .collect()
}

pub(super) fn timeline(site: &Site) -> Page {
    let mut p = page(
        site,
        "timeline/index.html",
        "timeline.html",
        "Timeline",
        "timeline",
        "Every incident in chronological order",
    );
    p.context
        .insert("years", &timeline_view(site, &site.index.timeline));
    p.context.insert("filters", &super::filters::choices(site));
    p
}

pub fn timeline_view(site: &Site, buckets: &[crate::index::YearBucket]) -> Vec<Value> {
    buckets
        .iter()
        .map(|y| {
            json!({
                "year": y.year,
                "stats": site.stats_view(&y.stats),
                "months": y.months.iter().map(|m| json!({
                    "month": m.month,
                    "label": if m.month == 0 { format!("{} (month not reported)", y.year) } else {
                        chrono::NaiveDate::from_ymd_opt(y.year, m.month, 1).map(|d| d.format("%B %Y").to_string()).unwrap_or_default()
                    },
                    "anchor": format!("y{}-{:02}", y.year, m.month),
                    "incidents": m.incidents.iter().map(|&i| site.incident_card(i)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

pub(super) fn regions_index(site: &Site) -> Page {
    let mut p = page(
        site,
        "regions/index.html",
        "regions.html",
        "Regions",
        "regions",
        "Provinces and districts with their incidents",
    );
    p.context.insert("provinces", &province_rows(site));
    let abroad: Vec<Value> = site
        .regions
        .regions
        .iter()
        .enumerate()
        .filter(|(r, reg)| {
            reg.level == Level::Country
                && reg.country != site.regions.home_country
                && has_page(site, *r)
        })
        .map(|(r, reg)| {
            let mut row = site.region_link(r);
            row["provinces"] = reg
                .children
                .iter()
                .filter(|&&c| has_page(site, c))
                .map(|&c| site.region_link(c))
                .collect();
            row
        })
        .collect();
    p.context.insert("abroad", &abroad);
    if let Some(home) = site.regions.country(&site.regions.home_country) {
        p.context.insert("home", &site.region_link(home));
    }
    p
}

pub(super) fn region(site: &Site, r: usize, locators: &super::svg::Locators) -> Page {
    let reg = &site.regions.regions[r];
    let path = format!("{}index.html", reg.page_path(&site.regions.home_country));
    let title = format!("{} ({})", reg.name, reg.level.label().to_lowercase());
    let mut p = page(
        site,
        &path,
        "region.html",
        &title,
        "regions",
        &format!("Incidents in {}", site.regions.place_label(r)),
    );
    let stats = &site.index.region_stats[r];
    let years: Vec<Value> = site.index.region_years[r]
        .iter()
        .map(|(year, s)| {
            let mut v = site.stats_view(s);
            v["year"] = json!(year);
            v
        })
        .collect();
    let incidents = &site.index.region_incidents[r];
    p.context.insert(
        "region",
        &json!({
            "name": reg.name,
            "id": reg.id,
            "level": reg.level.label(),
            "country": reg.country,
            "place": site.regions.place_label(r),
            "parent": reg.parent.map_or_else(String::new, |p| site.regions.regions[p].name.clone()),
        }),
    );
    p.context.insert("stats", &site.stats_view(stats));
    p.context.insert("years", &years);
    p.context.insert("lineage", &site.lineage(r));
    p.context.insert(
        "children",
        &reg.children
            .iter()
            .filter(|&&c| has_page(site, c))
            .map(|&c| site.region_link(c))
            .collect::<Vec<_>>(),
    );
    p.context.insert(
        "timeline",
        &timeline_view(site, &crate::index::timeline(site.atlas, incidents)),
    );
    p.context.insert(
        "briefs",
        &site.index.region_briefs[r]
            .iter()
            .map(|&b| site.brief_card(&site.atlas.briefs[b]))
            .collect::<Vec<_>>(),
    );
    let note = site
        .atlas
        .region_notes
        .iter()
        .find(|n| n.region == r)
        .map(|n| {
            json!({
                "title": n.title,
                "html": super::markdown::to_html(&n.body, &site.config.base_path),
                "sources": site.sources(&n.sources),
            })
        });
    p.context.insert("note", &note);
    p.context
        .insert("map", &map_element(site, "region", Some(r)));
    p.context.insert("locator_svg", &locators.svg(site, r));
    let chart_title = format!("Incidents and killed per year in {}", reg.name);
    p.context.insert(
        "chart_svg",
        &super::svg::year_chart("chart-years", &chart_title, &site.index.region_years[r]),
    );
    p
}

pub(super) fn incidents_index(site: &Site) -> Page {
    let mut p = page(
        site,
        "incidents/index.html",
        "incidents.html",
        "Incidents",
        "incidents",
        "All incidents in a table",
    );
    let mut rows: Vec<Value> = (0..site.atlas.incidents.len())
        .map(|i| site.incident_card(i))
        .collect();
    rows.reverse();
    p.context.insert("incidents", &rows);
    p
}

pub(super) fn incident(site: &Site, i: usize) -> Page {
    let incident = &site.atlas.incidents[i];
    let description = super::markdown::to_text(&incident.summary);
    let description: String = description.chars().take(200).collect();
    let mut p = page(
        site,
        &format!("incidents/{}/index.html", incident.id),
        "incident.html",
        &incident.title,
        "incidents",
        &description,
    );
    p.context.insert("incident", &site.incident_full(i));
    p
}

fn briefs_index(site: &Site) -> Page {
    let mut p = page(
        site,
        "briefs/index.html",
        "briefs.html",
        "Briefs",
        "briefs",
        "Analytical briefs",
    );
    p.context.insert(
        "briefs",
        &site
            .atlas
            .briefs
            .iter()
            .map(|b| site.brief_card(b))
            .collect::<Vec<_>>(),
    );
    p
}

pub(super) fn brief(site: &Site, brief: &crate::atlas::Brief) -> Page {
    let mut p = page(
        site,
        &format!("briefs/{}/index.html", brief.slug),
        "brief.html",
        &brief.title,
        "briefs",
        &brief.summary,
    );
    let mut card = site.brief_card(brief);
    card["html"] = json!(super::markdown::to_html(
        &brief.body,
        &site.config.base_path
    ));
    card["updated"] = json!(brief.updated.map(|d| d.format("%-d %B %Y").to_string()));
    card["sources"] = json!(site.sources(&brief.sources));
    card["regions"] = brief.regions.iter().map(|&r| site.region_link(r)).collect();
    card["actors"] = brief
        .actors
        .iter()
        .map(|a| json!({"name": site.actor_label(a), "url": site.actor_url(a)}))
        .collect();
    card["incidents"] = brief
        .incidents
        .iter()
        .filter_map(|id| site.index.by_id.get(id))
        .map(|&i| site.incident_card(i))
        .collect();
    p.context.insert("brief", &card);
    p
}

pub(super) fn actors_index(site: &Site) -> Page {
    let mut p = page(
        site,
        "actors/index.html",
        "actors.html",
        "Actors",
        "actors",
        "Groups named in the incidents",
    );
    let rows: Vec<Value> = site.atlas.actors.iter().map(|a| json!({
        "name": a.display_name(),
        "url": site.actor_url(&a.slug),
        "kind": a.kind.label(),
        "aliases": a.aliases.iter().cloned().chain(a.designations.iter().map(|d| d.name.clone())).collect::<Vec<_>>(),
        "incidents": site.index.actor_incidents.get(&a.slug).map_or(0, Vec::len),
    })).collect();
    p.context.insert("actors", &rows);
    p
}

pub(super) fn actor(site: &Site, actor: &crate::atlas::Actor) -> Page {
    let description = super::markdown::to_text(&actor.description)
        .chars()
        .take(200)
        .collect::<String>();
    let mut p = page(
        site,
        &format!("actors/{}/index.html", actor.slug),
        "actor.html",
        &actor.display_name(),
        "actors",
        &description,
    );
    let incidents = site
        .index
        .actor_incidents
        .get(&actor.slug)
        .cloned()
        .unwrap_or_default();
    let mut stats = crate::index::Stats::default();
    for &i in &incidents {
        stats.add(&site.atlas.incidents[i]);
    }
    p.context.insert("actor", &json!({
        "name": actor.name,
        "display_name": actor.display_name(),
        "short_name": actor.short_name,
        "kind": actor.kind.label(),
        "aliases": actor.aliases,
        "designations": actor.designations.iter().map(|d| json!({"name": d.name, "by": d.by, "since": d.since.map(|s| s.format("%B %Y").to_string())})).collect::<Vec<_>>(),
        "parent": actor.parent.as_ref().map(|p| json!({"name": site.actor_label(p), "url": site.actor_url(p)})),
        "children": site.index.actor_children.get(&actor.slug).map(|c| c.iter().map(|s| json!({"name": site.actor_label(s), "url": site.actor_url(s)})).collect::<Vec<_>>()).unwrap_or_default(),
        "description_html": super::markdown::to_html(&actor.description, &site.config.base_path),
        "sources": site.sources(&actor.sources),
        "stats": site.stats_view(&stats),
        "incidents": incidents.iter().rev().map(|&i| {
            let mut card = site.incident_card(i);
            let status = site.atlas.incidents[i].perpetrators.iter().find(|p| p.actor == actor.slug).map(|p| p.attribution);
            card["status"] = json!(status.map(|s| s.term()));
            card["status_label"] = json!(status.map(|s| s.label()));
            card
        }).collect::<Vec<_>>(),
        "briefs": site.index.actor_briefs.get(&actor.slug).map(|b| b.iter().map(|&i| site.brief_card(&site.atlas.briefs[i])).collect::<Vec<_>>()).unwrap_or_default(),
    }));
    p
}

fn about(site: &Site) -> Page {
    let mut p = page(
        site,
        "about/index.html",
        "about.html",
        "About this atlas",
        "about",
        "Method, sources, neutrality rules and licences",
    );
    let layers: Vec<Value> = site
        .layers
        .iter()
        .map(|l| {
            json!({
                "name": l.spec.name,
                "file": l.spec.file,
                "url": l.spec.url,
                "license": l.spec.license,
                "attribution": l.spec.attribution,
                "features": l.shapes.len(),
            })
        })
        .collect();
    p.context.insert("layers", &layers);
    p
}

fn not_found(site: &Site) -> Page {
    page(site, "404.html", "404.html", "Page not found", "", "")
}
