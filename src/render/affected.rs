//! Render stage, partial: after some incidents changed, re-renders only the outputs whose
//! content depends on them (for `serve`). The dependencies mirror what `pages` and `views` put
//! into each page; a test in `serve` checks the result equals a full render.

use std::collections::BTreeSet;

use super::{data, feeds, mapdata, pages, render_pages, OutputFile, Page, Site};

/// What a partial render produced: new or changed outputs, and outputs that no longer exist.
pub struct Rerendered {
    pub files: Vec<OutputFile>,
    pub removed: Vec<String>,
}

/// Re-renders what depends on the incidents `changed` (ids edited, added or removed) between
/// the `old` and `new` site: their pages and those of related incidents, the briefs and
/// actors that list them, the regions that hold them (before and after), the indexes, the
/// timeline, home, data downloads, map data and feeds. `all_paths` are the paths of the
/// old site's outputs. Changes to anything but incidents need a full `render`.
pub fn render_affected(
    old: &Site,
    new: &Site,
    tera: &tera::Tera,
    changed: &BTreeSet<String>,
    all_paths: &BTreeSet<String>,
) -> anyhow::Result<Rerendered> {
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

    let mut list: Vec<Page> = vec![
        pages::home(new),
        pages::map(new),
        pages::timeline(new),
        pages::regions_index(new),
        pages::incidents_index(new),
        pages::actors_index(new),
    ];
    let mut removed = Vec::new();
    for id in &incidents {
        match new.index.by_id.get(id) {
            Some(&i) => list.push(pages::incident(new, i)),
            None => removed.push(format!("incidents/{id}/index.html")),
        }
    }
    for brief in new.atlas.briefs.iter().filter(|b| briefs.contains(&b.slug)) {
        list.push(pages::brief(new, brief));
    }
    for actor in new.atlas.actors.iter().filter(|a| actors.contains(&a.slug)) {
        list.push(pages::actor(new, actor));
    }
    for id in &regions {
        let path = |site: &Site, r: usize| {
            let region = &site.regions.regions[r];
            format!("{}index.html", region.page_path(&site.regions.home_country))
        };
        match new.regions.get(id) {
            Some(r) if pages::has_page(new, r) => list.push(pages::region(new, r)),
            Some(r) => removed.push(path(new, r)),
            None => {
                if let Some(r) = old.regions.get(id) {
                    removed.push(path(old, r));
                }
            }
        }
    }
    let mut files = render_pages(tera, &list)?;
    files.extend(data::downloads(new)?);
    files.extend(mapdata::layers(new)?);
    removed.retain(|p| all_paths.contains(p));
    let mut paths = all_paths.clone();
    for p in &removed {
        paths.remove(p);
    }
    paths.extend(files.iter().map(|f| f.path.clone()));
    files.extend(feeds::all(new, &paths));
    Ok(Rerendered { files, removed })
}
