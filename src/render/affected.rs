//! Render stage, partial (for `serve`): after some incidents changed, finds the outputs whose
//! content depends on them and renders just those. The dependencies mirror what `pages`,
//! `lists` and `views` put into each page; a test in `serve` checks the result equals a full
//! render.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use super::lists::{self, ListKey};
use rayon::prelude::*;

use super::{
    data, feeds, mapdata, pages, paging, render_page, Locators, OutputFile, Page, Sink, Site,
};

/// A page of the site, by what it shows. Indices refer to the site the plan was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKey {
    Home,
    Map,
    Timeline,
    RegionsIndex,
    ActorsIndex,
    BriefsIndex,
    About,
    NotFound,
    Incident(usize),
    Brief(usize),
    /// Page `n` (from 1) of a paged list: a timeline year, the incidents index, a region or
    /// an actor.
    List(ListKey, usize),
}

/// What to re-render after incidents changed, split so the pages of the changed incidents
/// themselves can be served before the larger lists, downloads and map data.
#[derive(Debug, Default)]
pub struct AffectedPlan {
    /// The changed incidents' own pages and those that show them in full (related, briefs).
    pub first: Vec<PageKey>,
    /// Every other page that lists them: home, indexes, timeline pages, actors, regions.
    pub then: Vec<PageKey>,
    /// Output paths that no longer exist.
    pub removed: Vec<String>,
    /// Years whose map point files must be rewritten (see `render_data`).
    pub point_years: BTreeSet<i32>,
}

/// Plans the re-render after the incidents `changed` (ids edited, added or removed) between
/// the `old` and `new` site: their pages and those of related incidents, the briefs that
/// show them, home, the indexes and the timeline index, and of every paged list that holds
/// them (their timeline years, the incidents index, their regions and actors, before and
/// after) the pages that change — see `list_pages`. Data downloads, map data and feeds
/// follow (`render_data`). Changes to anything but incidents need a full `render`.
pub fn plan_affected(old: &Site, new: &Site, changed: &BTreeSet<String>) -> AffectedPlan {
    let mut incidents = BTreeSet::new();
    let mut briefs = BTreeSet::new();
    let mut actors = BTreeSet::new();
    let mut regions = BTreeSet::new();
    let mut years = BTreeSet::new();
    for site in [old, new] {
        for id in changed {
            let Some(&i) = site.index.by_id.get(id) else {
                continue;
            };
            let incident = &site.atlas.incidents[i];
            incidents.insert(id.clone());
            years.insert(incident.date.year());
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
            PageKey::ActorsIndex,
        ],
        point_years: years.clone(),
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

    // The paged lists, as (key in the old site, key in the new site).
    let mut list_keys: Vec<(Option<ListKey>, Option<ListKey>)> = Vec::new();
    let old_years: BTreeSet<i32> = old.index.timeline.iter().map(|y| y.year).collect();
    let new_years: BTreeSet<i32> = new.index.timeline.iter().map(|y| y.year).collect();
    let timeline_shared_changed =
        old_years != new_years || year_page_shared(old) != year_page_shared(new);
    let timeline_years: BTreeSet<i32> = if timeline_shared_changed {
        old_years.union(&new_years).copied().collect()
    } else {
        years
    };
    for &year in &timeline_years {
        let key = ListKey::TimelineYear(year);
        list_keys.push((
            old_years.contains(&year).then_some(key),
            new_years.contains(&year).then_some(key),
        ));
    }
    list_keys.push((Some(ListKey::Incidents), Some(ListKey::Incidents)));
    for slug in &actors {
        let find = |site: &Site| {
            site.atlas
                .actors
                .iter()
                .position(|a| &a.slug == slug)
                .map(ListKey::Actor)
        };
        list_keys.push((find(old), find(new)));
    }
    for id in &regions {
        let find = |site: &Site| {
            site.regions
                .get(id)
                .filter(|&r| pages::has_page(site, r))
                .map(ListKey::Region)
        };
        list_keys.push((find(old), find(new)));
    }
    for &year in &plan.point_years {
        let has_points = |site: &Site| {
            site.atlas
                .incidents
                .iter()
                .any(|i| i.position.is_some() && i.date.year() == year)
        };
        if has_points(old) && !has_points(new) {
            plan.removed.push(super::points::year_path(year));
        }
    }
    for (old_key, new_key) in list_keys {
        let everything =
            matches!(new_key, Some(ListKey::TimelineYear(_))) && timeline_shared_changed;
        list_pages(old, new, old_key, new_key, changed, everything, &mut plan);
    }
    plan
}

/// What every page of every timeline year shows besides its own incidents: the filter form's
/// choices. When it changes, all year pages are rendered again.
fn year_page_shared(site: &Site) -> tera::Value {
    super::filters::choices_without_counts(site)
}

/// Adds the pages of one list that change to `plan`: with the same incidents in the same
/// order and no changed date, the pages that hold the changed incidents, the first page
/// (figures) and the pages where their years start (year figures); otherwise every page,
/// and the pages that no longer exist are removed.
fn list_pages(
    old: &Site,
    new: &Site,
    old_key: Option<ListKey>,
    new_key: Option<ListKey>,
    changed: &BTreeSet<String>,
    everything: bool,
    plan: &mut AffectedPlan,
) {
    let ids = |site: &Site, key: Option<ListKey>| -> Vec<usize> {
        key.map(|k| lists::items(site, k)).unwrap_or_default()
    };
    let old_items = ids(old, old_key);
    let new_items = ids(new, new_key);
    let old_pages = old_key.map_or(0, |k| {
        paging::page_count(old_items.len(), lists::per_page(old, k))
    });
    let Some(key) = new_key else {
        if let Some(k) = old_key {
            let dir = lists::dir(old, k);
            plan.removed
                .extend((1..=old_pages).map(|n| paging::page_file(&dir, n)));
        }
        return;
    };
    let per_page = lists::per_page(new, key);
    let new_pages = paging::page_count(new_items.len(), per_page);
    let same_order = old_key.is_some()
        && old_items.len() == new_items.len()
        && old_items
            .iter()
            .zip(&new_items)
            .all(|(&a, &b)| old.atlas.incidents[a].id == new.atlas.incidents[b].id);
    let dates_kept = changed.iter().all(|id| {
        let date = |site: &Site| {
            site.index.by_id.get(id).map(|&i| {
                let incident = &site.atlas.incidents[i];
                (
                    incident.date,
                    super::views::date_last(incident),
                    lists::month_key(site, i),
                )
            })
        };
        date(old) == date(new)
    });
    let mut wanted: BTreeSet<usize> = BTreeSet::new();
    if everything || !same_order || !dates_kept {
        wanted.extend(1..=new_pages);
    } else {
        wanted.insert(1);
        let mut year_start: BTreeMap<i32, usize> = BTreeMap::new();
        for (pos, &i) in new_items.iter().enumerate() {
            year_start
                .entry(new.atlas.incidents[i].date.year())
                .or_insert(pos);
        }
        for (pos, &i) in new_items.iter().enumerate() {
            let incident = &new.atlas.incidents[i];
            if changed.contains(&incident.id) {
                wanted.insert(paging::page_of(pos, per_page));
                if let Some(&start) = year_start.get(&incident.date.year()) {
                    wanted.insert(paging::page_of(start, per_page));
                }
            }
        }
    }
    plan.then
        .extend(wanted.into_iter().map(|n| PageKey::List(key, n)));
    if let Some(k) = old_key {
        let dir = lists::dir(old, k);
        plan.removed
            .extend((new_pages + 1..=old_pages).map(|n| paging::page_file(&dir, n)));
    }
}

/// The output path of a page.
pub fn page_path(site: &Site, key: PageKey) -> String {
    match key {
        PageKey::Home => "index.html".into(),
        PageKey::Map => "map/index.html".into(),
        PageKey::Timeline => "timeline/index.html".into(),
        PageKey::RegionsIndex => "regions/index.html".into(),
        PageKey::ActorsIndex => "actors/index.html".into(),
        PageKey::BriefsIndex => "briefs/index.html".into(),
        PageKey::About => "about/index.html".into(),
        PageKey::NotFound => "404.html".into(),
        PageKey::Incident(i) => format!("incidents/{}/index.html", site.atlas.incidents[i].id),
        PageKey::Brief(b) => format!("briefs/{}/index.html", site.atlas.briefs[b].slug),
        PageKey::List(list, n) => paging::page_file(&lists::dir(site, list), n),
    }
}

/// Renders the pages `keys` of `site`, in parallel; each page's variables are made just
/// before it is rendered and dropped after, so memory holds one page per thread.
pub fn render_keys(
    site: &Site,
    locators: &Locators,
    keys: &[PageKey],
) -> anyhow::Result<Vec<OutputFile>> {
    let lists = list_items(site, keys);
    keys.par_iter()
        .with_max_len(PAGES_PER_TASK)
        .map(|&key| render_key(site, locators, &lists, key))
        .collect()
}

/// `render_keys`, handing each page to `sink` as soon as it is rendered.
pub fn render_keys_into(
    site: &Site,
    locators: &Locators,
    keys: &[PageKey],
    sink: &dyn Sink,
) -> anyhow::Result<()> {
    let lists = list_items(site, keys);
    // Pieces of a few pages, so that the last of them do not end on one thread while the
    // other waits (see `FILES_PER_TASK`; at 10k incidents that was a tenth of a second).
    keys.par_iter()
        .with_max_len(PAGES_PER_TASK)
        .try_for_each(|&key| sink.put(render_key(site, locators, &lists, key)?))
}

/// The most pages one rendering task takes on at once.
const PAGES_PER_TASK: usize = 16;

/// The items of every paged list among `keys`.
fn list_items(site: &Site, keys: &[PageKey]) -> BTreeMap<ListKey, Vec<usize>> {
    let mut lists: BTreeMap<ListKey, Vec<usize>> = BTreeMap::new();
    for key in keys {
        if let PageKey::List(list, _) = key {
            lists
                .entry(*list)
                .or_insert_with(|| lists::items(site, *list));
        }
    }
    lists
}

/// Makes one page's variables and renders it.
fn render_key(
    site: &Site,
    locators: &Locators,
    lists: &BTreeMap<ListKey, Vec<usize>>,
    key: PageKey,
) -> anyhow::Result<OutputFile> {
    let page: Page = match key {
        PageKey::Home => pages::home(site),
        PageKey::Map => pages::map(site),
        PageKey::Timeline => pages::timeline(site),
        PageKey::RegionsIndex => pages::regions_index(site),
        PageKey::ActorsIndex => pages::actors_index(site),
        PageKey::BriefsIndex => pages::briefs_index(site),
        PageKey::About => pages::about(site),
        PageKey::NotFound => pages::not_found(site),
        PageKey::Incident(i) => pages::incident(site, i),
        PageKey::Brief(b) => pages::brief(site, &site.atlas.briefs[b]),
        PageKey::List(list, n) => {
            let items = lists.get(&list).map(Vec::as_slice).unwrap_or_default();
            pages::list_page(site, list, items, n, locators)
        }
    };
    render_page(site.templates, page)
}

/// Data downloads, map data and feeds; `all_paths` are every output path of the site.
/// `point_years`: the years whose map point files changed (`None`: all of them).
pub fn render_data(
    site: &Site,
    all_paths: &BTreeSet<String>,
    point_years: Option<&BTreeSet<i32>>,
) -> anyhow::Result<Vec<OutputFile>> {
    let (downloads, (map, feeds)) = rayon::join(
        || data::downloads(site),
        || {
            rayon::join(
                || mapdata::layers(site, point_years),
                || feeds::all(site, all_paths),
            )
        },
    );
    let mut files = downloads?;
    files.extend(map?);
    files.extend(feeds);
    Ok(files)
}
