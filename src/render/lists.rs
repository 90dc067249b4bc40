//! Render stage, lists: the paged incident lists of the site — a timeline year, the incidents
//! index, a region's and an actor's incidents — in the order they are shown and where their
//! pages go. `pages` renders them; `affected` uses the same definitions to find the pages an
//! edit changes.

use chrono::Datelike;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use tera::Value;

use super::paging;
use super::Site;
use crate::index::Stats;
use crate::validate::vocab::DatePrecision;

/// A paged list of incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListKey {
    /// One year of the timeline, oldest first, by month.
    TimelineYear(i32),
    /// Every incident, newest first.
    Incidents,
    /// The incidents of a region (and its sub-regions), newest first, by year and month.
    Region(usize),
    /// The incidents naming an actor (by index in `atlas.actors`), newest first.
    Actor(usize),
}

/// The month an incident is filed under: 0 when only its year is reported.
pub fn month_key(site: &Site, i: usize) -> u32 {
    let incident = &site.atlas.incidents[i];
    match incident.date_precision {
        DatePrecision::Year => 0,
        _ => incident.date.month(),
    }
}

/// The incidents of a list, in the order they are shown.
pub fn items(site: &Site, key: ListKey) -> Vec<usize> {
    match key {
        ListKey::TimelineYear(year) => site
            .index
            .timeline
            .iter()
            .find(|y| y.year == year)
            .map(|y| {
                y.months
                    .iter()
                    .flat_map(|m| m.incidents.iter().copied())
                    .collect()
            })
            .unwrap_or_default(),
        ListKey::Incidents => (0..site.atlas.incidents.len()).rev().collect(),
        ListKey::Region(r) => {
            let mut list = site.index.region_incidents[r].clone();
            list.sort_by_key(|&i| {
                let year = site.atlas.incidents[i].date.year();
                std::cmp::Reverse((year, month_key(site, i), i))
            });
            list
        }
        ListKey::Actor(a) => site
            .index
            .actor_incidents
            .get(&site.atlas.actors[a].slug)
            .map(|l| l.iter().rev().copied().collect())
            .unwrap_or_default(),
    }
}

/// The site-relative folder of the list's first page (ends with `/`).
pub fn dir(site: &Site, key: ListKey) -> String {
    match key {
        ListKey::TimelineYear(year) => format!("timeline/{year}/"),
        ListKey::Incidents => "incidents/".to_string(),
        ListKey::Region(r) => site.regions.regions[r].page_path(&site.regions.home_country),
        ListKey::Actor(a) => format!("actors/{}/", site.atlas.actors[a].slug),
    }
}

/// Incidents per page of the list.
pub fn per_page(site: &Site, key: ListKey) -> usize {
    let cfg = &site.config.site.pagination;
    match key {
        ListKey::TimelineYear(_) => cfg.timeline.get(),
        _ => cfg.lists.get(),
    }
}

/// The first day and the last day (of any incident's span) of some incidents, as ISO dates.
pub fn span(site: &Site, items: &[usize]) -> (String, String) {
    let incidents = &site.atlas.incidents;
    let first = items.iter().map(|&i| incidents[i].date).min();
    let last = items
        .iter()
        .map(|&i| super::views::date_last(&incidents[i]))
        .max();
    let iso = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    (iso(first), iso(last))
}

/// The first and last day of a calendar year, or of one of its months (month 0: the year),
/// as ISO dates. Year and month links carry them for the timeline's date filter, so they do
/// not change when an incident's date does.
pub fn calendar_span(year: i32, month: Option<u32>) -> (String, String) {
    let (from, to) = match month {
        Some(m) if (1..=12).contains(&m) => (m, m),
        _ => (1, 12),
    };
    let first = chrono::NaiveDate::from_ymd_opt(year, from, 1);
    let last = if to == 12 {
        chrono::NaiveDate::from_ymd_opt(year, 12, 31)
    } else {
        chrono::NaiveDate::from_ymd_opt(year, to + 1, 1).and_then(|d| d.pred_opt())
    };
    let iso = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    (iso(first), iso(last))
}

/// "March 2024", or "2024 (month not reported)" for month 0.
pub fn month_label(year: i32, month: u32) -> String {
    if month == 0 {
        format!("{year} (month not reported)")
    } else {
        chrono::NaiveDate::from_ymd_opt(year, month, 1)
            .map(|d| DatePrecision::Month.format(d))
            .unwrap_or_default()
    }
}

/// Anchor of a year's heading and of a month's heading.
pub fn year_anchor(year: i32) -> String {
    format!("y{year}")
}

pub fn month_anchor(year: i32, month: u32) -> String {
    format!("y{year}-{month:02}")
}

/// The template variable of the `timeline` component for a run of incidents already in display
/// order: consecutive incidents of one year and month are grouped under their headings.
/// `year_stats` gives the figures shown beside each year (of the whole list, not the page);
/// `before` is the incident shown just before the run (on the previous page), so headings
/// that continue from there say so.
pub fn grouped(
    site: &Site,
    items: &[usize],
    before: Option<usize>,
    year_stats: &dyn Fn(i32) -> Stats,
) -> Vec<YearGroup> {
    let key = |i: usize| (site.atlas.incidents[i].date.year(), month_key(site, i));
    let mut years: Vec<YearGroup> = Vec::new();
    let mut current: Option<(i32, u32)> = before.map(key);
    let mut first = true;
    for &i in items {
        let (year, month) = key(i);
        let new_year = current.map(|c| c.0) != Some(year) || first;
        let new_month = current != Some((year, month)) || first;
        if new_year {
            years.push(YearGroup {
                year,
                anchor: year_anchor(year),
                stats: site.stats_view(&year_stats(year)),
                continued: first && current.map(|c| c.0) == Some(year),
                months: Vec::new(),
            });
        }
        let Some(group) = years.last_mut() else {
            continue;
        };
        if new_month {
            group.months.push(MonthGroup {
                month,
                label: month_label(year, month),
                anchor: month_anchor(year, month),
                continued: first && current == Some((year, month)),
                incidents: Vec::new(),
            });
        }
        if let Some(m) = group.months.last_mut() {
            m.incidents.push(site.incident_card(i));
        }
        current = Some((year, month));
        first = false;
    }
    years
}

/// A year of a grouped list: `year`, `anchor`, `stats` (of the whole list), `continued`
/// (from the previous page) and its `months`.
pub struct YearGroup {
    year: i32,
    anchor: String,
    stats: Value,
    continued: bool,
    months: Vec<MonthGroup>,
}

/// A month of a grouped list (month 0: not reported), with its incidents' cards.
pub struct MonthGroup {
    month: u32,
    label: String,
    anchor: String,
    continued: bool,
    incidents: Vec<Value>,
}

impl From<YearGroup> for Value {
    fn from(group: YearGroup) -> Value {
        let months: Vec<Value> = group.months.into_iter().map(Value::from).collect();
        object! {
            "year": group.year,
            "anchor": group.anchor,
            "stats": group.stats,
            "continued": group.continued,
            "months": months,
        }
    }
}

impl From<MonthGroup> for Value {
    fn from(group: MonthGroup) -> Value {
        object! {
            "month": group.month,
            "label": group.label,
            "anchor": group.anchor,
            "continued": group.continued,
            "incidents": group.incidents,
        }
    }
}

/// What the pages of a list show of the whole list, worked out once per list and build:
/// each of its pages would otherwise read the whole list (quadratic in its length).
pub struct ListFacts {
    /// The first and last day of each page's incidents (ISO dates), by page.
    pub spans: Vec<(String, String)>,
    /// Each year's first position in the list, in list order.
    pub year_starts: Vec<(i32, usize)>,
    /// Each run of one month (`month_key`): month, first position, length, in list order.
    pub month_runs: Vec<(u32, usize, usize)>,
    /// The figures of the whole list.
    pub stats: Stats,
}

impl ListFacts {
    fn of(site: &Site, key: ListKey, items: &[usize]) -> ListFacts {
        let incidents = &site.atlas.incidents;
        let spans = pages(site, key, items.len())
            .into_iter()
            .map(|(_, range)| span(site, &items[range]))
            .collect();
        let mut year_starts: Vec<(i32, usize)> = Vec::new();
        let mut month_runs: Vec<(u32, usize, usize)> = Vec::new();
        let mut stats = Stats::default();
        for (pos, &i) in items.iter().enumerate() {
            let year = incidents[i].date.year();
            if year_starts.last().map(|y| y.0) != Some(year) {
                year_starts.push((year, pos));
            }
            let month = month_key(site, i);
            match month_runs.last_mut() {
                Some(run) if run.0 == month => run.2 += 1,
                _ => month_runs.push((month, pos, 1)),
            }
            stats.add(&incidents[i]);
        }
        ListFacts {
            spans,
            year_starts,
            month_runs,
            stats,
        }
    }
}

/// Per-build memo of `ListFacts`, by list.
#[derive(Default)]
pub struct FactsMemo(Mutex<BTreeMap<ListKey, Arc<ListFacts>>>);

impl Site<'_> {
    /// The facts of the list `key`, whose incidents (in display order) are `items`.
    pub fn list_facts(&self, key: ListKey, items: &[usize]) -> Arc<ListFacts> {
        let memo = &self.shared.lists.0;
        if let Some(facts) = memo
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return facts.clone();
        }
        let facts = Arc::new(ListFacts::of(self, key, items));
        memo.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert(facts)
            .clone()
    }
}

/// The pages of a list: `(page number, item range)`.
pub fn pages(site: &Site, key: ListKey, len: usize) -> Vec<(usize, std::ops::Range<usize>)> {
    paging::chunks(len, per_page(site, key))
        .into_iter()
        .enumerate()
        .map(|(p, range)| (p + 1, range))
        .collect()
}
