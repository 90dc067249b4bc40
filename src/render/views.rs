//! View models: the template values for incidents, regions, actors and briefs. All text is
//! plain; templates escape it. Markdown becomes sanitized HTML here.

use std::collections::HashMap;
use std::sync::OnceLock;

use tera::Value;

use super::Site;
use super::{to_value, Fields};
use crate::atlas::{Brief, Incident, Perpetrator, Source};
use crate::index::Stats;
use crate::regions::Level;
use crate::validate::vocab::{Attribution, DatePrecision};

/// Values that many pages of one build show, each made once, on first use.
pub struct Shared {
    /// Each incident's card (`incident_card`) with its list entry (`item_html`): it appears
    /// on its regions' pages, its actors', its year's, the index and its own page.
    cards: Vec<OnceLock<Value>>,
    /// The filter forms' choices, with and without counts (`filters`): every timeline page
    /// shows them, and making them reads every incident.
    pub(super) filters: OnceLock<Value>,
    pub(super) filters_without_counts: OnceLock<Value>,
    /// What each paged list's pages show of the whole list.
    pub(super) lists: super::lists::FactsMemo,
    /// Every page's `site` variable.
    pub(super) site_vars: OnceLock<Value>,
    /// The home country's outlines cut into shared borders (map layers and locator maps).
    pub(super) home_borders: OnceLock<super::mapdata::HomeBorders>,
    /// Each region's page address and place label, as every card in it shows them.
    regions: Vec<OnceLock<RegionText>>,
    /// Each actor's label, page address and attribution entries (by slug).
    actors: OnceLock<HashMap<String, ActorText>>,
}

struct RegionText {
    url: String,
    place: String,
}

struct ActorText {
    label: String,
    url: String,
    /// The card's entry for each attribution status, in `Attribution::ALL` order.
    attributions: Vec<Value>,
}

/// An attribution entry: `status` (claimed, attributed, …), its label, and the actor's name
/// and page.
fn attribution_fields(status: Attribution, actor: &ActorText) -> Fields {
    map! {
        "status": status.term(),
        "status_label": status.label(),
        "actor": actor.label.as_str(),
        "actor_url": actor.url.as_str(),
    }
}

impl Shared {
    pub fn new(incidents: usize, regions: usize) -> Shared {
        Shared {
            cards: (0..incidents).map(|_| OnceLock::new()).collect(),
            regions: (0..regions).map(|_| OnceLock::new()).collect(),
            actors: OnceLock::new(),
            filters: OnceLock::new(),
            filters_without_counts: OnceLock::new(),
            lists: Default::default(),
            site_vars: OnceLock::new(),
            home_borders: OnceLock::new(),
        }
    }
}

impl Site<'_> {
    pub fn incident_url(&self, id: &str) -> String {
        self.config.url(&format!("incidents/{id}/"))
    }

    pub fn region_url(&self, region: usize) -> String {
        self.region_text(region).url.clone()
    }

    fn region_text(&self, region: usize) -> &RegionText {
        self.shared.regions[region].get_or_init(|| {
            let r = &self.regions.regions[region];
            RegionText {
                url: self.config.url(&r.page_path(&self.regions.home_country)),
                place: self.regions.place_label(region),
            }
        })
    }

    fn actor_text(&self, slug: &str) -> Option<&ActorText> {
        let actors = self.shared.actors.get_or_init(|| {
            self.atlas
                .actors
                .iter()
                .map(|a| {
                    let mut text = ActorText {
                        label: a.label().to_string(),
                        url: self.actor_url(&a.slug),
                        attributions: Vec::new(),
                    };
                    text.attributions = Attribution::ALL
                        .iter()
                        .map(|&status| Value::from(attribution_fields(status, &text)))
                        .collect();
                    (a.slug.clone(), text)
                })
                .collect()
        });
        actors.get(slug)
    }

    pub fn actor_url(&self, slug: &str) -> String {
        self.config.url(&format!("actors/{slug}/"))
    }

    pub fn brief_url(&self, slug: &str) -> String {
        self.config.url(&format!("briefs/{slug}/"))
    }

    pub fn actor_label(&self, slug: &str) -> String {
        self.actor_text(slug)
            .map_or_else(|| slug.to_string(), |a| a.label.clone())
    }

    /// "Claimed by Jamaat-ul-Ahrar; disputed: TTP" — or "No attribution reported".
    pub fn attribution_label(&self, incident: &Incident) -> String {
        if incident.perpetrators.is_empty() {
            return "No attribution reported".to_string();
        }
        incident
            .perpetrators
            .iter()
            .map(|p| {
                let name = self
                    .actor_text(&p.actor)
                    .map_or(p.actor.as_str(), |a| a.label.as_str());
                match p.attribution {
                    Attribution::Claimed => format!("Claimed by {name}"),
                    Attribution::Attributed => format!("Attributed to {name}"),
                    Attribution::Suspected => format!("{name} suspected"),
                    Attribution::Disputed => format!("Disputed: {name}"),
                    Attribution::Unknown => format!("Unknown ({name} named)"),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn date_label(&self, incident: &Incident) -> String {
        let start = incident.date_precision.format(incident.date);
        match incident.date_end {
            Some(end) if end != incident.date => {
                format!("{start} – {}", incident.date_precision.format(end))
            }
            _ => start,
        }
    }

    /// The short form used in lists and on the map, with `item_html`: the incident's entry
    /// in lists, rendered by the theme's `incident_item` component once per build (left out
    /// when the theme has none or it fails here; the list templates then call the component
    /// themselves, which reports the error on the page). Made once per build: each incident
    /// is listed four to six times (its regions, actors, year, the index); keeping them all
    /// costs 10–35 MB at 100k and saves 3–4 % of the build.
    pub fn incident_card(&self, i: usize) -> Value {
        match self.shared.cards.get(i) {
            Some(memo) => memo.get_or_init(|| to_value(&self.card(i))).clone(),
            None => to_value(&self.card(i)),
        }
    }

    /// The card's fields, to which the incident page adds its own.
    pub(super) fn card_map(&self, i: usize) -> Fields {
        Fields::of(self.incident_card(i))
    }

    /// The card with `item_html`, made anew (`incident_card` keeps it).
    fn card(&self, i: usize) -> Card<'_> {
        let mut card = self.card_fields(i);
        card.item_html = self.list_entry(to_value(&card));
        card
    }

    fn list_entry(&self, card: Value) -> Option<Value> {
        if !self.templates.contains_template(super::ITEM_TEMPLATE) {
            return None;
        }
        let mut context = tera::Context::new();
        context.insert_value("i", card);
        let html = self.templates.render(super::ITEM_TEMPLATE, &context).ok()?;
        let html = String::from_utf8(super::compact::compact(&html)).ok()?;
        Some(Value::safe_string(&html))
    }

    fn card_fields(&self, i: usize) -> Card<'_> {
        let incident = &self.atlas.incidents[i];
        Card {
            actors: incident
                .perpetrators
                .iter()
                .map(|p| p.actor.as_str())
                .collect(),
            attribution_label: self.attribution_label(incident),
            attributions: incident
                .perpetrators
                .iter()
                .map(|p| self.attribution(p))
                .collect(),
            date: incident.date.to_string(),
            date_label: self.date_label(incident),
            date_last: date_last(incident).to_string(),
            date_precision: incident.date_precision.term(),
            id: incident.id.as_str(),
            injured_is_range: incident.injured.is_some_and(|f| f.min != f.max),
            injured_label: incident
                .injured
                .map_or("not reported".to_string(), |f| f.label()),
            item_html: None,
            killed_is_range: incident.killed.is_some_and(|f| f.min != f.max),
            killed_label: incident
                .killed
                .map_or("not reported".to_string(), |f| f.label()),
            place: self.place(incident),
            region: self.regions.regions[incident.region].id.as_str(),
            region_url: self.region_url(incident.region),
            title: incident.title.as_str(),
            url: self.incident_url(&incident.id),
            kind: incident.kind.term(),
            kind_label: incident.kind.label(),
        }
    }

    /// An actor an incident names and how: `status` (claimed, attributed, …), its label,
    /// and the actor's name and page.
    fn attribution(&self, p: &Perpetrator) -> Value {
        let status = Attribution::ALL.iter().position(|&a| a == p.attribution);
        let made = self.actor_text(&p.actor).zip(status);
        match made.and_then(|(actor, n)| actor.attributions.get(n)) {
            Some(entry) => entry.clone(),
            None => Value::from(self.attribution_map(p)),
        }
    }

    fn attribution_map(&self, p: &Perpetrator) -> Fields {
        match self.actor_text(&p.actor) {
            Some(actor) => attribution_fields(p.attribution, actor),
            // Not a known actor (a record `check` rejects): its slug stands in.
            None => attribution_fields(
                p.attribution,
                &ActorText {
                    label: p.actor.clone(),
                    url: self.actor_url(&p.actor),
                    attributions: Vec::new(),
                },
            ),
        }
    }

    pub fn place(&self, incident: &Incident) -> String {
        let region = &self.region_text(incident.region).place;
        match &incident.place_name {
            Some(name) if !region.contains(name.as_str()) => format!("{name} ({region})"),
            _ => region.clone(),
        }
    }

    /// Everything the incident page shows; `summary_html` is its summary, rendered.
    pub fn incident_full(&self, i: usize, summary_html: String) -> Value {
        let incident = &self.atlas.incidents[i];
        let mut card = self.card_map(i);
        // The card's `attributions`, each with who made the claim or attribution (`by`).
        let perpetrators: Vec<Value> = incident
            .perpetrators
            .iter()
            .map(|p| {
                let mut entry = self.attribution_map(p);
                entry.insert("by", Value::from(p.by.as_deref()));
                Value::from(entry)
            })
            .collect();
        let related: Vec<Value> = self.index.related[i]
            .iter()
            .map(|&j| self.incident_card(j))
            .collect();
        let briefs: Vec<Value> = self.index.incident_briefs[i]
            .iter()
            .map(|&b| self.brief_card(&self.atlas.briefs[b]))
            .collect();
        let targets: Vec<&str> = incident.targets.iter().map(|t| t.label()).collect();
        card.extend(map! {
            "summary_html": summary_html,
            "casualties_note": incident.casualties_note.clone(),
            "targets": targets,
            "tags": incident.tags.clone(),
            "geo_precision": incident.geo_precision.label(),
            "position": incident.position.map(|(lon, lat)| object! {"lat": lat, "lon": lon}),
            "perpetrators": perpetrators,
            "sources": self.sources(&incident.sources),
            "lineage": self.lineage(incident.region),
            "related": related,
            "briefs": briefs,
            "updated": incident.updated.map(|d| d.to_string()),
            "source_path": incident.source_path.as_str(),
        });
        Value::from(card)
    }

    pub fn sources(&self, sources: &[Source]) -> Vec<Value> {
        sources
            .iter()
            .map(|s| {
                object! {
                    "publisher": s.publisher.as_str(),
                    "title": s.title.as_str(),
                    "date": s.date.map(|d| DatePrecision::Day.format(d)),
                    "author": s.author.clone(),
                    "url": s.url.clone(),
                    "via": s.via.clone(),
                    "note": s.note.clone(),
                }
            })
            .collect()
    }

    /// Breadcrumb links from the regions index down to the region (names and URLs only, so
    /// a page's breadcrumbs do not change when another page's figures do).
    pub fn lineage(&self, region: usize) -> Vec<Value> {
        let mut lineage = self.regions.lineage(region);
        lineage.reverse();
        lineage
            .into_iter()
            .filter(|&r| {
                let reg = &self.regions.regions[r];
                !(reg.level == Level::Country && reg.country == self.regions.home_country)
            })
            .map(|r| {
                let reg = &self.regions.regions[r];
                object! {
                    "id": reg.id.as_str(),
                    "name": reg.name.as_str(),
                    "url": self.region_url(r),
                    "level": reg.level.label(),
                }
            })
            .collect()
    }

    pub fn region_link(&self, r: usize) -> Value {
        Value::from(self.region_map(r))
    }

    /// `region_link` with one more field (its sub-regions' links).
    pub fn region_link_with(&self, r: usize, key: &'static str, links: Vec<Value>) -> Value {
        let mut map = self.region_map(r);
        map.insert(key, Value::from(links));
        Value::from(map)
    }

    fn region_map(&self, r: usize) -> Fields {
        let reg = &self.regions.regions[r];
        map! {
            "id": reg.id.as_str(),
            "name": reg.name.as_str(),
            "url": self.region_url(r),
            "level": reg.level.label(),
            "stats": to_value(&self.index.region_stats[r]),
        }
    }

    pub fn brief_card(&self, brief: &Brief) -> Value {
        Value::from(self.brief_map(brief))
    }

    /// The brief card's fields, to which the brief's page adds its own.
    pub(super) fn brief_map(&self, brief: &Brief) -> Fields {
        map! {
            "slug": brief.slug.as_str(),
            "title": brief.title.as_str(),
            "url": self.brief_url(&brief.slug),
            "date": brief.date.to_string(),
            "date_label": DatePrecision::Day.format(brief.date),
            "summary": brief.summary.as_str(),
            "authors": brief.authors.clone(),
        }
    }

    pub fn stats_view(&self, stats: &Stats) -> Value {
        Value::from(self.stats_map(stats))
    }

    pub(super) fn stats_map(&self, stats: &Stats) -> Fields {
        let range = |reported: u64, min: u64, max: u64| match (reported, min == max) {
            (0, _) => "not reported".to_string(),
            (_, true) => min.to_string(),
            (_, false) => format!("{min}–{max}"),
        };
        map! {
            "incidents": stats.incidents,
            "killed": range(stats.killed_reported, stats.killed, stats.killed_max),
            "injured": range(stats.injured_reported, stats.injured, stats.injured_max),
        }
    }
}

/// An incident's card: its short form in lists, on the map and on the pages that link it.
/// Its fields are in alphabetical order, as the template values have always listed them.
#[derive(serde::Serialize)]
struct Card<'a> {
    actors: Vec<&'a str>,
    attribution_label: String,
    attributions: Vec<Value>,
    date: String,
    date_label: String,
    date_last: String,
    date_precision: &'static str,
    id: &'a str,
    injured_is_range: bool,
    injured_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_html: Option<Value>,
    killed_is_range: bool,
    killed_label: String,
    place: String,
    region: &'a str,
    region_url: String,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "type_label")]
    kind_label: &'static str,
    url: String,
}

/// The last day an incident may have happened on: its end date (or its date), widened to the
/// end of the month or year when only the month or year is reported. Filters by date range
/// keep an incident whose span `date..=date_last` overlaps the range.
pub fn date_last(incident: &Incident) -> chrono::NaiveDate {
    last_day(incident.date, incident.date_end, incident.date_precision)
}

fn last_day(
    date: chrono::NaiveDate,
    date_end: Option<chrono::NaiveDate>,
    precision: crate::validate::vocab::DatePrecision,
) -> chrono::NaiveDate {
    use crate::validate::vocab::DatePrecision;
    use chrono::Datelike;
    let end = date_end.unwrap_or(date).max(date);
    let last_of_month = |year: i32, month: u32| {
        let (y, m) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        chrono::NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(end)
    };
    match precision {
        DatePrecision::Day => end,
        DatePrecision::Month => last_of_month(end.year(), end.month()),
        DatePrecision::Year => last_of_month(end.year(), 12),
    }
}

#[cfg(test)]
mod tests {
    use super::last_day;
    use crate::validate::vocab::DatePrecision;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn last_day_widens_to_the_reported_precision() {
        assert_eq!(
            last_day(d(2024, 3, 5), None, DatePrecision::Day),
            d(2024, 3, 5)
        );
        assert_eq!(
            last_day(d(2024, 2, 1), None, DatePrecision::Month),
            d(2024, 2, 29)
        );
        assert_eq!(
            last_day(d(2023, 12, 1), None, DatePrecision::Month),
            d(2023, 12, 31)
        );
        assert_eq!(
            last_day(d(2024, 1, 1), None, DatePrecision::Year),
            d(2024, 12, 31)
        );
        assert_eq!(
            last_day(d(2024, 3, 5), Some(d(2024, 3, 9)), DatePrecision::Day),
            d(2024, 3, 9)
        );
        assert_eq!(
            last_day(d(2024, 3, 1), Some(d(2024, 5, 1)), DatePrecision::Month),
            d(2024, 5, 31)
        );
        // An end before the start is ignored.
        assert_eq!(
            last_day(d(2024, 3, 5), Some(d(2024, 3, 1)), DatePrecision::Day),
            d(2024, 3, 5)
        );
    }
}
