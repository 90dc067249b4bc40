//! Render stage, partial (for `serve`): after some incidents changed, finds the outputs whose
//! content depends on them and renders just those. The dependencies mirror what `pages` and
//! `views` put into each page; a test in `serve` checks the result equals a full render.

use std::collections::BTreeSet;

use super::{data, feeds, mapdata, pages, render_pages, Locators, OutputFile, Page, Site};

/// A page of the site, by what it shows. Indices refer to the site the plan was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKey {
    Home,
    Map,
    Timeline,
    RegionsIndex,
    IncidentsIndex,
    ActorsIndex,
    Incident(usize),
    Brief(usize),
    Actor(usize),
    Region(usize),
}

/// What to re-render after incidents changed, split so the pages of the changed incidents
/// themselves can be served before the larger lists, downloads and map data.
#[derive(Debug, Default)]
pub struct AffectedPlan {
    /// The changed incidents' own pages and those that show them in full (related, briefs).
    pub first: Vec<PageKey>,
    /// Every other page that lists them: home, indexes, timeline, actors, regions.
    pub then: Vec<PageKey>,
    /// Output paths that no longer exist.
    pub removed: Vec<String>,
}

/// Plans the re-render after the incidents `changed` (ids edited, added or removed) between
/// the `old` and `new` site: their pages and those of related incidents, the briefs and
/// actors that list them, the regions that hold them (before and after), home, the indexes
/// and the timeline. Data downloads, map data and feeds always follow (`render_data`).
/// Changes to anything but incidents need a full `render`.
pub fn plan_affected(old: &Site, new: &Site, changed: &BTreeSet<String>) -> AffectedPlan {
    let mut incidents = BTreeSet::new();
    let mut briefs = BTreeSet::new();
    let mut actors = BTreeSet::new();
    let mut regions = BTreeSet::new();
    for site in [old, new] {
        for id in changed {
            let Some(&i) = site.index.by_id.get(id) else {
                continue;
            };
            let incident = &site.atlas.incidents[i];
            incidents.insert(id.clone());
            for &j in &site.index.related[i] {
                incidents.insert(site.atlas.incidents[j].id.clone());
            }
            for &b in &site.index.incident_briefs[i] {
                briefs.insert(site.atlas.briefs[b].slug.clone());
            }
            for p in &incident.perpetrators {
                actors.insert(p.actor.clone());
            }
            for r in site.regions.lineage(incident.region) {
                regions.insert(site.regions.regions[r].id.clone());
            }
        }
    }
    let mut plan = AffectedPlan {
        then: vec![
            PageKey::Home,
            PageKey::Map,
            PageKey::Timeline,
            PageKey::RegionsIndex,
            PageKey::IncidentsIndex,
            PageKey::ActorsIndex,
        ],
        ..AffectedPlan::default()
    };
    for id in &incidents {
        match new.index.by_id.get(id) {
            Some(&i) => plan.first.push(PageKey::Incident(i)),
            None => plan.removed.push(format!("incidents/{id}/index.html")),
        }
    }
    for (b, brief) in new.atlas.briefs.iter().enumerate() {
        if briefs.contains(&brief.slug) {
            plan.first.push(PageKey::Brief(b));
        }
    }
    for (a, actor) in new.atlas.actors.iter().enumerate() {
        if actors.contains(&actor.slug) {
            plan.then.push(PageKey::Actor(a));
        }
    }
    for id in &regions {
        let old_page = old.regions.get(id).filter(|&r| pages::has_page(old, r));
        match new.regions.get(id) {
            Some(r) if pages::has_page(new, r) => plan.then.push(PageKey::Region(r)),
            _ => {
                if let Some(r) = old_page {
                    plan.removed.push(region_path(old, r));
                }
            }
        }
    }
    plan
}

fn region_path(site: &Site, r: usize) -> String {
    let region = &site.regions.regions[r];
    format!("{}index.html", region.page_path(&site.regions.home_country))
}

/// The output path of a page.
pub fn page_path(site: &Site, key: PageKey) -> String {
    match key {
        PageKey::Home => "index.html".into(),
        PageKey::Map => "map/index.html".into(),
        PageKey::Timeline => "timeline/index.html".into(),
        PageKey::RegionsIndex => "regions/index.html".into(),
        PageKey::IncidentsIndex => "incidents/index.html".into(),
        PageKey::ActorsIndex => "actors/index.html".into(),
        PageKey::Incident(i) => format!("incidents/{}/index.html", site.atlas.incidents[i].id),
        PageKey::Brief(b) => format!("briefs/{}/index.html", site.atlas.briefs[b].slug),
        PageKey::Actor(a) => format!("actors/{}/index.html", site.atlas.actors[a].slug),
        PageKey::Region(r) => region_path(site, r),
    }
}

/// Renders the pages `keys` of `site`.
pub fn render_keys(
    site: &Site,
    tera: &tera::Tera,
    locators: &Locators,
    keys: &[PageKey],
) -> anyhow::Result<Vec<OutputFile>> {
    let list: Vec<Page> = keys
        .iter()
        .map(|&key| match key {
            PageKey::Home => pages::home(site),
            PageKey::Map => pages::map(site),
            PageKey::Timeline => pages::timeline(site),
            PageKey::RegionsIndex => pages::regions_index(site),
            PageKey::IncidentsIndex => pages::incidents_index(site),
            PageKey::ActorsIndex => pages::actors_index(site),
            PageKey::Incident(i) => pages::incident(site, i),
            PageKey::Brief(b) => pages::brief(site, &site.atlas.briefs[b]),
            PageKey::Actor(a) => pages::actor(site, &site.atlas.actors[a]),
            PageKey::Region(r) => pages::region(site, r, locators),
        })
        .collect();
    render_pages(tera, &list)
}

/// Data downloads, map data and feeds; `all_paths` are every output path of the site.
pub fn render_data(site: &Site, all_paths: &BTreeSet<String>) -> anyhow::Result<Vec<OutputFile>> {
    let mut files = data::downloads(site)?;
    files.extend(mapdata::layers(site)?);
    files.extend(feeds::all(site, all_paths));
    Ok(files)
}
