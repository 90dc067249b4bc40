//! Routes: every HTML page of the site, its output path, template and variables.

use chrono::Datelike;
use serde_json::json;
use tera::Value;

use super::lists::{self, ListKey};
use super::PageKey;
use super::{Page, Site};
use crate::regions::Level;
use crate::validate::vocab::DatePrecision;

/// How many incidents and briefs the home page lists.
const HOME_LATEST: usize = 8;

/// Every page of the site.
pub fn all(site: &Site) -> Vec<PageKey> {
    let mut pages = vec![
        PageKey::Home,
        PageKey::Map,
        PageKey::Timeline,
        PageKey::RegionsIndex,
        PageKey::BriefsIndex,
        PageKey::ActorsIndex,
        PageKey::About,
        PageKey::NotFound,
    ];
    let mut lists: Vec<ListKey> = site
        .index
        .timeline
        .iter()
        .map(|y| ListKey::TimelineYear(y.year))
        .collect();
    lists.push(ListKey::Incidents);
    lists.extend((0..site.atlas.actors.len()).map(ListKey::Actor));
    lists.extend(
        (0..site.regions.regions.len())
            .filter(|&r| has_page(site, r))
            .map(ListKey::Region),
    );
    for key in lists {
        let len = list_len(site, key);
        pages.extend(
            (1..=super::paging::page_count(len, lists::per_page(site, key)))
                .map(|n| PageKey::List(key, n)),
        );
    }
    pages.extend((0..site.atlas.incidents.len()).map(PageKey::Incident));
    pages.extend((0..site.atlas.briefs.len()).map(PageKey::Brief));
    pages
}

/// How many incidents the list `key` holds.
pub fn list_len(site: &Site, key: ListKey) -> usize {
    match key {
        ListKey::TimelineYear(year) => site
            .index
            .timeline
            .iter()
            .find(|y| y.year == year)
            .map_or(0, |y| y.months.iter().map(|m| m.incidents.len()).sum()),
        ListKey::Incidents => site.atlas.incidents.len(),
        ListKey::Region(r) => site.index.region_incidents[r].len(),
        ListKey::Actor(a) => site
            .index
            .actor_incidents
            .get(&site.atlas.actors[a].slug)
            .map_or(0, Vec::len),
    }
}

/// Page `n` of the list `key`, whose incidents (in display order) are `items`.
pub fn list_page(
    site: &Site,
    key: ListKey,
    items: &[usize],
    n: usize,
    locators: &super::svg::Locators,
) -> Page {
    match key {
        ListKey::TimelineYear(year) => timeline_year(site, year, items, n),
        ListKey::Incidents => incidents_index(site, items, n),
        ListKey::Region(r) => region(site, r, items, n, locators),
        ListKey::Actor(a) => actor(site, a, items, n),
    }
}

/// The incidents of page `n` of a list, the incident shown before them (on the previous
/// page), and the page's `pager` variable.
struct ListSlice<'a> {
    items: &'a [usize],
    before: Option<usize>,
    pager: serde_json::Value,
    total: usize,
}

fn slice<'a>(
    site: &Site,
    key: ListKey,
    items: &'a [usize],
    n: usize,
    label: &str,
    spans: bool,
) -> ListSlice<'a> {
    let pages = lists::pages(site, key, items.len());
    let range = pages
        .get(n.saturating_sub(1))
        .map(|(_, r)| r.clone())
        .unwrap_or(0..0);
    let facts = spans.then(|| site.list_facts(key, items));
    let before = range.start.checked_sub(1).map(|b| items[b]);
    ListSlice {
        items: &items[range],
        before,
        pager: super::paging::pager(
            site,
            &lists::dir(site, key),
            n,
            pages.len(),
            label,
            facts.as_ref().map(|f| f.spans.as_slice()),
        ),
        total: pages.len(),
    }
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
    let mut context = super::Vars::default();
    let cfg = &site.config;
    let url_path = path.strip_suffix("index.html").unwrap_or(path);
    let site_vars = site.shared.site_vars.get_or_init(|| site_vars(site));
    context.put("site", site_vars.clone());
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
    context.put("canonical", Value::from(cfg.absolute_url(url_path)));
    context.put("pager", Value::none());
    Page {
        path: path.to_string(),
        template,
        context,
    }
}

/// The `site` variable of every page.
fn site_vars(site: &Site) -> Value {
    let cfg = &site.config;
    object! {
        "title": cfg.site.title.as_str(),
        "description": cfg.site.description.as_str(),
        "base": cfg.base_path.as_str(),
        "base_url": cfg.base_url.as_str(),
        "language": cfg.site.language.as_str(),
        "data_license": cfg.site.data.license.as_str(),
        "data_license_url": cfg.site.data.license_url.clone(),
        "data_attribution": cfg.site.data.attribution.clone(),
        "boundary_attribution": boundary_attribution(site),
        "tile_url": cfg.site.map.tile_url.clone(),
        "tile_attribution": cfg.site.map.tile_attribution.clone(),
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

fn map_element(site: &Site, view: &str, region: Option<usize>) -> serde_json::Value {
    let bbox = match region {
        Some(r) => site.regions.regions[r]
            .bbox
            .filter(|b| b[2] - b[0] <= MAX_FITTED_WIDTH)
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

/// The widest outline (in degrees of longitude) a region's map is fitted to. A wider one —
/// Russia's, which crosses the antimeridian, so that its box is the whole world — would show
/// the region as a sliver: the map is fitted to the region's incidents instead.
const MAX_FITTED_WIDTH: f64 = 90.0;

/// For regions without an outline (countries the geodata lacks) or too wide a one: the box
/// around their incidents, padded by a degree.
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
    p.context.put("totals", site.stats_view(&site.index.totals));
    p.context.put("latest", Value::from(latest));
    p.context.put(
        "briefs",
        Value::from(
            site.atlas
                .briefs
                .iter()
                .take(HOME_LATEST)
                .map(|b| site.brief_card(b))
                .collect::<Vec<_>>(),
        ),
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
    p.context.put("provinces", Value::from(province_rows(site)));
    p.context.put("filters", super::filters::choices(site));
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
            let districts: Vec<Value> = site.regions.regions[p]
                .children
                .iter()
                .map(|&d| site.region_link(d))
                .collect();
            site.region_link_with(p, "districts", districts)
        })
        .collect()
}

/// How many of the latest incidents the timeline index lists.
const TIMELINE_LATEST: usize = 20;

/// `/timeline/`: the years with their figures, each leading to its page, and the latest
/// incidents.
pub(super) fn timeline(site: &Site) -> Page {
    let mut p = page(
        site,
        "timeline/index.html",
        "timeline.html",
        "Timeline",
        "timeline",
        "Every incident in chronological order, year by year",
    );
    p.context
        .put("years", Value::from(timeline_years(site, None)));
    let latest: Vec<Value> = (0..site.atlas.incidents.len())
        .rev()
        .take(TIMELINE_LATEST)
        .map(|i| site.incident_card(i))
        .collect();
    p.context.put("latest", Value::from(latest));
    p.context.put("filters", super::filters::choices(site));
    p
}

/// The years of the timeline: `year`, `url` (its first page), `stats`, `first` / `last` (the
/// calendar year, ISO dates, for the date filter), `pages`, and `current` when it is
/// `current`.
fn timeline_years(site: &Site, current: Option<i32>) -> Vec<Value> {
    site.index
        .timeline
        .iter()
        .map(|y| {
            let count = y.stats.incidents as usize;
            let (first, last) = lists::calendar_span(y.year, None);
            let key = ListKey::TimelineYear(y.year);
            object! {
                "year": y.year,
                "url": site.config.url(&lists::dir(site, key)),
                "stats": site.stats_view(&y.stats),
                "first": first,
                "last": last,
                "pages": super::paging::page_count(count, lists::per_page(site, key)),
                "current": current == Some(y.year),
            }
        })
        .collect()
}

/// Page `n` of a timeline year: its incidents by month, oldest first.
fn timeline_year(site: &Site, year: i32, items: &[usize], n: usize) -> Page {
    let key = ListKey::TimelineYear(year);
    let dir = lists::dir(site, key);
    let bucket = site.index.timeline.iter().find(|y| y.year == year);
    let stats = bucket.map(|b| b.stats.clone()).unwrap_or_default();
    let label = format!("Pages of {year}");
    let part = slice(site, key, items, n, &label, true);
    let title = if part.total > 1 {
        format!("Timeline {year}, page {n} of {}", part.total)
    } else {
        format!("Timeline {year}")
    };
    let mut p = page(
        site,
        &super::paging::page_file(&dir, n),
        "timeline_year.html",
        &title,
        "timeline",
        &format!("Incidents of {year}, by month"),
    );
    let per_page = lists::per_page(site, key);
    // Where each month starts: a link to its page (here: just the anchor).
    let facts = site.list_facts(key, items);
    let mut months: Vec<serde_json::Value> = Vec::new();
    for &(month, pos, count) in &facts.month_runs {
        let (first, last) = lists::calendar_span(year, Some(month));
        let url = anchor_url(
            site,
            &dir,
            n,
            pos,
            per_page,
            &lists::month_anchor(year, month),
        );
        months.push(json!({
            "label": if month == 0 { "Month not reported".to_string() } else {
                chrono::NaiveDate::from_ymd_opt(year, month, 1).map(|d| d.format("%B").to_string()).unwrap_or_default()
            },
            "url": url,
            "count": count,
            "first": first,
            "last": last,
        }));
    }
    let year_stats = |_: i32| stats.clone();
    p.context.put(
        "year",
        object! {"year": year, "stats": site.stats_view(&stats)},
    );
    p.context
        .put("years", Value::from(timeline_years(site, Some(year))));
    p.context.insert("months", &months);
    p.context.put(
        "timeline",
        Value::from(lists::grouped(site, part.items, part.before, &year_stats)),
    );
    p.context.insert("pager", &part.pager);
    p.context
        .put("filters", super::filters::choices_without_counts(site));
    p
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
    p.context.put("provinces", Value::from(province_rows(site)));
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
            let provinces: Vec<Value> = reg
                .children
                .iter()
                .filter(|&&c| has_page(site, c))
                .map(|&c| site.region_link(c))
                .collect();
            site.region_link_with(r, "provinces", provinces)
        })
        .collect();
    p.context.put("abroad", Value::from(abroad));
    if let Some(home) = site.regions.country(&site.regions.home_country) {
        p.context.put("home", site.region_link(home));
    }
    p
}

/// Page `n` of a region: the first holds the figures, map, note, years, sub-regions and
/// briefs; every page holds a part of its incidents (`items`, newest first).
fn region(
    site: &Site,
    r: usize,
    items: &[usize],
    n: usize,
    locators: &super::svg::Locators,
) -> Page {
    let reg = &site.regions.regions[r];
    let key = ListKey::Region(r);
    let dir = lists::dir(site, key);
    let mut title = format!("{} ({})", reg.name, reg.level.label().to_lowercase());
    let part = slice(
        site,
        key,
        items,
        n,
        &format!("Pages of the incidents in {}", reg.name),
        false,
    );
    if n > 1 {
        title = format!("{title}, incidents page {n} of {}", part.total);
    }
    let mut p = page(
        site,
        &super::paging::page_file(&dir, n),
        "region.html",
        &title,
        "regions",
        &format!("Incidents in {}", site.regions.place_label(r)),
    );
    p.context.insert(
        "region",
        &json!({
            "name": reg.name,
            "id": reg.id,
            "url": site.region_url(r),
            "level": reg.level.label(),
            "country": reg.country,
            "place": site.regions.place_label(r),
            "parent": reg.parent.map_or_else(String::new, |p| site.regions.regions[p].name.clone()),
        }),
    );
    p.context.put("lineage", Value::from(site.lineage(r)));
    p.context
        .put("stats", site.stats_view(&site.index.region_stats[r]));
    let region_years = &site.index.region_years[r];
    let year_stats = |y: i32| region_years.get(&y).cloned().unwrap_or_default();
    p.context.put(
        "timeline",
        Value::from(lists::grouped(site, part.items, part.before, &year_stats)),
    );
    p.context
        .insert("jump", &jump_to_years(site, key, items, n));
    p.context.insert("pager", &part.pager);
    p.context.insert("first_page", &(n == 1));
    if n > 1 {
        return p;
    }
    let years: Vec<Value> = region_years
        .iter()
        .map(|(year, s)| {
            let mut v = site.stats_map(s);
            v.insert("year", Value::from(*year));
            Value::from(v)
        })
        .collect();
    p.context.put("years", Value::from(years));
    p.context.put(
        "children",
        Value::from(
            reg.children
                .iter()
                .filter(|&&c| has_page(site, c))
                .map(|&c| site.region_link(c))
                .collect::<Vec<_>>(),
        ),
    );
    p.context.put(
        "briefs",
        Value::from(
            site.index.region_briefs[r]
                .iter()
                .map(|&b| site.brief_card(&site.atlas.briefs[b]))
                .collect::<Vec<_>>(),
        ),
    );
    let note = site
        .atlas
        .region_notes
        .iter()
        .find(|n| n.region == r)
        .map(|n| {
            object! {
                "title": n.title.clone(),
                "html": super::markdown::to_html(&n.body, &site.config.base_path),
                "sources": site.sources(&n.sources),
            }
        });
    p.context.put("note", Value::from(note));
    p.context
        .insert("map", &map_element(site, "region", Some(r)));
    p.context.insert("locator_svg", &locators.svg(site, r));
    let chart_title = format!("Incidents and killed per year in {}", reg.name);
    p.context.insert(
        "chart_svg",
        &super::svg::year_chart("chart-years", &chart_title, region_years),
    );
    p
}

/// A link from page `n` of the list at `dir` to `anchor` beside the item at `pos`: just the
/// anchor when that item is on page `n`, else the URL of its page with the anchor.
fn anchor_url(
    site: &Site,
    dir: &str,
    n: usize,
    pos: usize,
    per_page: usize,
    anchor: &str,
) -> String {
    let on = super::paging::page_of(pos, per_page);
    if on == n {
        format!("#{anchor}")
    } else {
        format!(
            "{}#{anchor}",
            site.config.url(&super::paging::page_dir(dir, on))
        )
    }
}

/// Jump-to-year links of a list grouped by year: the anchor of each year's first heading, on
/// this page (`#y2024`) or on the page where it starts.
fn jump_to_years(site: &Site, key: ListKey, items: &[usize], n: usize) -> Vec<serde_json::Value> {
    let dir = lists::dir(site, key);
    let per_page = lists::per_page(site, key);
    let mut out = Vec::new();
    for &(year, pos) in &site.list_facts(key, items).year_starts {
        let url = anchor_url(site, &dir, n, pos, per_page, &lists::year_anchor(year));
        out.push(json!({"label": year, "url": url}));
    }
    if out.len() > 1 {
        out
    } else {
        Vec::new()
    }
}

/// Page `n` of `/incidents/`: a table of every incident, newest first.
fn incidents_index(site: &Site, items: &[usize], n: usize) -> Page {
    let key = ListKey::Incidents;
    let part = slice(site, key, items, n, "Pages of the incident table", false);
    let title = if part.total > 1 {
        format!("Incidents, page {n} of {}", part.total)
    } else {
        "Incidents".to_string()
    };
    let mut p = page(
        site,
        &super::paging::page_file(&lists::dir(site, key), n),
        "incidents.html",
        &title,
        "incidents",
        "All incidents in a table",
    );
    let rows: Vec<Value> = part.items.iter().map(|&i| site.incident_card(i)).collect();
    p.context.put("incidents", Value::from(rows));
    p.context.insert("total", &items.len());
    p.context.insert("pager", &part.pager);
    p
}

pub(super) fn incident(site: &Site, i: usize) -> Page {
    let incident = &site.atlas.incidents[i];
    let (summary_html, description) =
        super::markdown::to_html_and_text_prefix(&incident.summary, &site.config.base_path, 200);
    let mut p = page(
        site,
        &format!("incidents/{}/index.html", incident.id),
        "incident.html",
        &incident.title,
        "incidents",
        &description,
    );
    p.context
        .put("incident", site.incident_full(i, summary_html));
    p
}

pub(super) fn briefs_index(site: &Site) -> Page {
    let mut p = page(
        site,
        "briefs/index.html",
        "briefs.html",
        "Briefs",
        "briefs",
        "Analytical briefs",
    );
    p.context.put(
        "briefs",
        Value::from(
            site.atlas
                .briefs
                .iter()
                .map(|b| site.brief_card(b))
                .collect::<Vec<_>>(),
        ),
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
    let regions: Vec<Value> = brief.regions.iter().map(|&r| site.region_link(r)).collect();
    let actors: Vec<Value> = brief
        .actors
        .iter()
        .map(|a| object! {"name": site.actor_label(a), "url": site.actor_url(a)})
        .collect();
    let incidents: Vec<Value> = brief
        .incidents
        .iter()
        .filter_map(|id| site.index.by_id.get(id))
        .map(|&i| site.incident_card(i))
        .collect();
    let mut card = site.brief_map(brief);
    card.extend(map! {
        "html": super::markdown::to_html(&brief.body, &site.config.base_path),
        "updated": brief.updated.map(|d| DatePrecision::Day.format(d)),
        "sources": site.sources(&brief.sources),
        "regions": regions,
        "actors": actors,
        "incidents": incidents,
    });
    p.context.put("brief", Value::from(card));
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
    let rows: Vec<serde_json::Value> = site.atlas.actors.iter().map(|a| json!({
        "name": a.display_name(),
        "url": site.actor_url(&a.slug),
        "kind": a.kind.label(),
        "aliases": a.aliases.iter().cloned().chain(a.designations.iter().map(|d| d.name.clone())).collect::<Vec<_>>(),
        "incidents": site.index.actor_incidents.get(&a.slug).map_or(0, Vec::len),
    })).collect();
    p.context.insert("actors", &rows);
    p
}

/// Page `n` of an actor: its profile (first page) and a part of the incidents naming it
/// (`items`, newest first).
fn actor(site: &Site, a: usize, items: &[usize], n: usize) -> Page {
    let actor = &site.atlas.actors[a];
    let first_page = n == 1;
    // The profile (first page only) and the meta description from one reading.
    let (description_html, description) = if first_page {
        super::markdown::to_html_and_text_prefix(&actor.description, &site.config.base_path, 200)
    } else {
        (
            String::new(),
            super::markdown::text_prefix(&actor.description, 200),
        )
    };
    let key = ListKey::Actor(a);
    let part = slice(
        site,
        key,
        items,
        n,
        &format!("Pages of the incidents naming {}", actor.label()),
        false,
    );
    let mut title = actor.display_name();
    if n > 1 {
        title = format!("{title}, incidents page {n} of {}", part.total);
    }
    let mut p = page(
        site,
        &super::paging::page_file(&format!("actors/{}/", actor.slug), n),
        "actor.html",
        &title,
        "actors",
        &description,
    );
    let stats = site.list_facts(key, items).stats.clone();
    // Each card also says how the incident ties it to the actor (`status`, `status_label`).
    let cards: Vec<Value> = part
        .items
        .iter()
        .map(|&i| {
            let status = site.atlas.incidents[i]
                .perpetrators
                .iter()
                .find(|p| p.actor == actor.slug)
                .map(|p| p.attribution);
            let mut card = site.card_map(i);
            card.extend(map! {
                "status": status.map(|s| s.term()),
                "status_label": status.map(|s| s.label()),
            });
            Value::from(card)
        })
        .collect();
    let designations: Vec<Value> = actor
        .designations
        .iter()
        .map(|d| {
            object! {
                "name": d.name.as_str(),
                "by": d.by.clone(),
                "since": d.since.map(|s| DatePrecision::Month.format(s)),
            }
        })
        .collect();
    let link =
        |slug: &String| object! {"name": site.actor_label(slug), "url": site.actor_url(slug)};
    let children: Vec<Value> = site
        .index
        .actor_children
        .get(&actor.slug)
        .map(|c| c.iter().map(link).collect())
        .unwrap_or_default();
    let briefs: Vec<Value> = match site.index.actor_briefs.get(&actor.slug) {
        Some(briefs) if first_page => briefs
            .iter()
            .map(|&b| site.brief_card(&site.atlas.briefs[b]))
            .collect(),
        _ => Vec::new(),
    };
    p.context.insert("pager", &part.pager);
    p.context.insert("first_page", &first_page);
    p.context.put(
        "actor",
        object! {
            "name": actor.name.as_str(),
            "url": site.actor_url(&actor.slug),
            "display_name": actor.display_name(),
            "short_name": actor.short_name.clone(),
            "kind": actor.kind.label(),
            "aliases": actor.aliases.clone(),
            "designations": designations,
            "parent": actor.parent.as_ref().map(link),
            "children": children,
            "description_html": description_html,
            "sources": if first_page { site.sources(&actor.sources) } else { Vec::new() },
            "stats": site.stats_view(&stats),
            "incidents": cards,
            "briefs": briefs,
        },
    );
    p
}

pub(super) fn about(site: &Site) -> Page {
    let mut p = page(
        site,
        "about/index.html",
        "about.html",
        "About this atlas",
        "about",
        "Method, sources, neutrality rules and licences",
    );
    let layers: Vec<serde_json::Value> = site
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

pub(super) fn not_found(site: &Site) -> Page {
    page(site, "404.html", "404.html", "Page not found", "", "")
}
