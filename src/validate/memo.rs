//! Validate/link for `serve`: remembers each incident's check so a rebuild re-checks only the
//! incidents whose file changed, whose references appeared or vanished, or that had
//! diagnostics (their hints may name other records).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;

use super::{incident, Lookup};
use crate::atlas::Incident;
use crate::content::{Loaded, RawContent, RawIncident, SourceText};
use crate::diagnostic::Diagnostic;

struct Entry {
    source: Arc<SourceText>,
    incident: Option<Arc<Incident>>,
}

/// Incident checks kept between runs of `link_with`.
#[derive(Default)]
pub struct LinkMemo {
    entries: HashMap<String, Entry>,
    today: Option<NaiveDate>,
    /// Actor slugs and incident ids of the last run, sorted.
    names: Vec<String>,
    /// Actor slugs and incident ids that appeared or vanished since the last run.
    changed_names: BTreeSet<String>,
    /// Ids of the incidents checked (not reused) in the last run.
    pub rechecked: Vec<String>,
}

impl LinkMemo {
    pub(super) fn prepare(
        &mut self,
        raw: &RawContent,
        today: NaiveDate,
        actors: &BTreeSet<&str>,
        incidents: &BTreeMap<&str, usize>,
    ) {
        if self.today != Some(today) {
            self.entries.clear();
            self.today = Some(today);
        }
        // Both inputs are sorted; compare without allocating in the usual case (no file added,
        // removed or renamed).
        let mut names: Vec<&str> = actors
            .iter()
            .copied()
            .chain(incidents.keys().copied())
            .collect();
        names.sort_unstable();
        names.dedup();
        self.changed_names.clear();
        if !names
            .iter()
            .copied()
            .eq(self.names.iter().map(String::as_str))
        {
            let new: BTreeSet<&str> = names.iter().copied().collect();
            let old: BTreeSet<&str> = self.names.iter().map(String::as_str).collect();
            self.changed_names = new
                .symmetric_difference(&old)
                .map(|s| s.to_string())
                .collect();
            self.names = names.iter().map(|s| s.to_string()).collect();
            let present: BTreeSet<&str> = raw.incidents.iter().map(|l| l.slug.as_str()).collect();
            self.entries
                .retain(|slug, _| present.contains(slug.as_str()));
        }
        self.rechecked.clear();
    }

    pub(super) fn check(
        &mut self,
        loaded: &Loaded<RawIncident>,
        ctx: &Lookup,
        actors: &BTreeSet<&str>,
        incidents: &BTreeMap<&str, usize>,
    ) -> (Option<Arc<Incident>>, Vec<Diagnostic>) {
        if let Some(entry) = self.entries.get(&loaded.slug) {
            if Arc::ptr_eq(&entry.source, &loaded.source) && !self.refers_to_changed(loaded) {
                return (entry.incident.clone(), Vec::new());
            }
        }
        let (incident, diagnostics) = incident::check(loaded, ctx, actors, incidents);
        let incident = incident.map(Arc::new);
        self.rechecked.push(loaded.slug.clone());
        if diagnostics.is_empty() {
            let entry = Entry {
                source: loaded.source.clone(),
                incident: incident.clone(),
            };
            self.entries.insert(loaded.slug.clone(), entry);
        } else {
            self.entries.remove(&loaded.slug);
        }
        (incident, diagnostics)
    }

    fn refers_to_changed(&self, loaded: &Loaded<RawIncident>) -> bool {
        if self.changed_names.is_empty() {
            return false;
        }
        let raw = &loaded.value;
        raw.perpetrators
            .iter()
            .map(|p| p.get_ref().actor.get_ref())
            .chain(raw.related.iter().map(|r| r.get_ref()))
            .any(|name| self.changed_names.contains(name))
    }
}
