//! Checks one incident file: id and folder, dates, vocabularies, figures, perpetrators,
//! sources, related incidents; then places it (see `place`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use super::vocab::{Attribution, DatePrecision, IncidentType, Target};
use super::{date_of, is_slug, place, placeholder, sources, suggest, term_hint, Lookup};
use crate::atlas::{Figure, Incident, Perpetrator};
use crate::content::{Loaded, RawContent, RawFigure, RawIncident};
use crate::diagnostic::Diagnostic;

/// Returns the checked incident, or `None` if it has errors.
pub fn check(
    loaded: &Loaded<RawIncident>,
    ctx: &Lookup,
    actors: &BTreeSet<&str>,
    incidents: &BTreeMap<&str, usize>,
) -> (Option<Incident>, Vec<Diagnostic>) {
    let raw = &loaded.value;
    let mut diags = Vec::new();
    let id = loaded.slug.clone();
    if !is_slug(&id) {
        diags.push(
            Diagnostic::error(&loaded.source.path, "invalid-id", format!("file name `{id}` is not a valid incident id"))
                .with_hint("name the file YYYY-MM-DD-short-slug.toml using lower-case letters, digits and hyphens"),
        );
    }
    if let Some(given) = &raw.id {
        if given.get_ref() != &id {
            diags.push(
                loaded
                    .error_on(
                        given,
                        "id-mismatch",
                        format!(
                            "`id` is '{}' but the file is named '{id}.toml'",
                            given.get_ref()
                        ),
                    )
                    .with_hint(format!(
                        "rename the file to {}.toml or remove the `id` line",
                        given.get_ref()
                    )),
            );
        }
    }
    let title = raw.title.get_ref().trim().to_string();
    if let Some(d) = placeholder(loaded, &raw.title, "title") {
        diags.push(d);
    } else if title.is_empty() {
        diags.push(
            loaded
                .error_on(&raw.title, "empty-field", "`title` is empty")
                .with_hint("give a short, neutral title"),
        );
    } else if title.chars().count() > 160 {
        diags.push(
            loaded
                .error_on(
                    &raw.title,
                    "title-too-long",
                    "`title` is longer than 160 characters",
                )
                .with_hint("shorten it; details go in `summary`"),
        );
    }

    // Dates.
    let date = date_of(loaded, &raw.date, "date")
        .map_err(|d| diags.push(d))
        .ok();
    let precision = match &raw.date_precision {
        None => Some(DatePrecision::Day),
        Some(p) => DatePrecision::parse(p.get_ref()).or_else(|| {
            diags.push(
                loaded
                    .error_on(
                        p,
                        "unknown-term",
                        format!("unknown date_precision '{}'", p.get_ref()),
                    )
                    .with_hint(term_hint(p.get_ref(), DatePrecision::terms())),
            );
            None
        }),
    };
    if let Some(date) = date {
        if date > ctx.today {
            diags.push(
                loaded
                    .error_on(
                        &raw.date,
                        "future-date",
                        format!("date {date} is in the future"),
                    )
                    .with_hint("check the year and month"),
            );
        }
        let year_folder = loaded.source.path.rsplit('/').nth(1).unwrap_or("");
        if year_folder != date.year().to_string() {
            diags.push(
                loaded
                    .error_on(
                        &raw.date,
                        "wrong-year-folder",
                        format!(
                        "the incident is dated {date} but its file is in the folder {year_folder}/"
                    ),
                    )
                    .with_hint(format!("move it to content/incidents/{}/", date.year())),
            );
        }
        if !id.starts_with(&date.format("%Y-%m-%d").to_string()) && is_slug(&id) {
            diags.push(
                loaded
                    .warning_on(
                        &raw.date,
                        "id-date-mismatch",
                        format!("the file name does not start with the date {date}"),
                    )
                    .with_hint(format!(
                        "name incident files {}-short-slug.toml",
                        date.format("%Y-%m-%d")
                    )),
            );
        }
        match precision {
            Some(DatePrecision::Month) if date.day() != 1 => diags.push(
                loaded
                    .warning_on(
                        &raw.date,
                        "precision-mismatch",
                        "date_precision is 'month' but the date is not the 1st",
                    )
                    .with_hint(format!(
                        "write {} or set date_precision = \"day\"",
                        date.with_day(1).unwrap_or(date)
                    )),
            ),
            Some(DatePrecision::Year) if date.ordinal() != 1 => diags.push(
                loaded
                    .warning_on(
                        &raw.date,
                        "precision-mismatch",
                        "date_precision is 'year' but the date is not January 1st",
                    )
                    .with_hint(format!(
                        "write {}-01-01 or give a finer date_precision",
                        date.year()
                    )),
            ),
            _ => {}
        }
    }
    let date_end = raw.date_end.as_ref().and_then(|end| {
        let end_date = date_of(loaded, end, "date_end")
            .map_err(|d| diags.push(d))
            .ok()?;
        if let Some(start) = date {
            if end_date < start {
                diags.push(
                    loaded
                        .error_on(
                            end,
                            "end-before-start",
                            format!("date_end {end_date} is before date {start}"),
                        )
                        .with_hint("swap them or fix the typo"),
                );
            }
        }
        if end_date > ctx.today {
            diags.push(
                loaded
                    .error_on(
                        end,
                        "future-date",
                        format!("date_end {end_date} is in the future"),
                    )
                    .with_hint("leave date_end out until the event is over"),
            );
        }
        Some(end_date)
    });
    let updated = raw.updated.as_ref().and_then(|u| {
        date_of(loaded, u, "updated")
            .map_err(|d| diags.push(d))
            .ok()
    });

    // Vocabularies.
    let kind = IncidentType::parse(raw.kind.get_ref()).or_else(|| {
        if let Some(d) = placeholder(loaded, &raw.kind, "type") {
            diags.push(d.with_hint(format!(
                "replace it with one of: {}",
                IncidentType::terms().collect::<Vec<_>>().join(", ")
            )));
            return None;
        }
        diags.push(
            loaded
                .error_on(
                    &raw.kind,
                    "unknown-term",
                    format!("unknown incident type '{}'", raw.kind.get_ref()),
                )
                .with_hint(term_hint(raw.kind.get_ref(), IncidentType::terms())),
        );
        None
    });
    let mut targets = Vec::new();
    for t in &raw.targets {
        match Target::parse(t.get_ref()) {
            Some(target) if !targets.contains(&target) => targets.push(target),
            Some(_) => diags.push(
                loaded
                    .warning_on(
                        t,
                        "duplicate-term",
                        format!("target '{}' is listed twice", t.get_ref()),
                    )
                    .with_hint("remove the repeat"),
            ),
            None => diags.push(
                loaded
                    .error_on(
                        t,
                        "unknown-term",
                        format!("unknown target '{}'", t.get_ref()),
                    )
                    .with_hint(term_hint(t.get_ref(), Target::terms())),
            ),
        }
    }

    // Figures.
    let killed = raw
        .killed
        .as_ref()
        .and_then(|f| figure(loaded, f, "killed", &mut diags));
    let injured = raw
        .injured
        .as_ref()
        .and_then(|f| figure(loaded, f, "injured", &mut diags));

    // Perpetrators.
    let mut perpetrators = Vec::new();
    for p in &raw.perpetrators {
        let p = p.get_ref();
        let actor = p.actor.get_ref();
        if let Some(d) = placeholder(loaded, &p.actor, "actor") {
            diags.push(d);
        } else if !actors.contains(actor.as_str()) {
            let hint = match suggest(actor, actors.iter().copied()) {
                Some(s) => format!("did you mean '{s}'? Actors are the file names under content/actors/"),
                None => format!("add content/actors/{actor}.toml (sitrep new actor) or use an existing actor slug"),
            };
            diags.push(
                loaded
                    .error_on(
                        &p.actor,
                        "unknown-actor",
                        format!("unknown actor '{actor}'"),
                    )
                    .with_hint(hint),
            );
        }
        let attribution = Attribution::parse(p.attribution.get_ref());
        if attribution.is_none() {
            diags.push(
                loaded
                    .error_on(
                        &p.attribution,
                        "unknown-term",
                        format!("unknown attribution '{}'", p.attribution.get_ref()),
                    )
                    .with_hint(term_hint(p.attribution.get_ref(), Attribution::terms())),
            );
        }
        if let Some(d) = p.by.as_ref().and_then(|b| placeholder(loaded, b, "by")) {
            diags.push(d);
        }
        let by =
            p.by.as_ref()
                .map(|b| b.get_ref().trim().to_string())
                .filter(|b| !b.is_empty());
        if by.is_none() && attribution.is_some_and(|a| a != Attribution::Unknown) {
            diags.push(
                loaded
                    .error_on(&p.attribution, "attribution-without-source", "this attribution does not say who makes it")
                    .with_hint("add `by = \"…\"`: who claims, attributes, suspects or disputes it, and the outlet that reports it"),
            );
        }
        if let Some(attribution) = attribution {
            perpetrators.push(Perpetrator {
                actor: actor.clone(),
                attribution,
                by,
            });
        }
    }

    // Sources and text.
    if raw.sources.is_empty() {
        diags.push(
            Diagnostic::error(&loaded.source.path, "no-sources", "this incident cites no source")
                .at(&loaded.source.text, loaded.source.text.len())
                .with_hint("add a [[sources]] table with publisher, title and date (and url only if the source gives one)"),
        );
    }
    let sources = sources(loaded, &raw.sources, date, ctx.today, &mut diags);
    let summary = raw.summary.get_ref().trim().to_string();
    if let Some(d) = placeholder(loaded, &raw.summary, "summary") {
        diags.push(d);
    } else if summary.is_empty() {
        diags.push(
            loaded
                .error_on(&raw.summary, "empty-field", "`summary` is empty")
                .with_hint("describe what happened in two to five sentences, in your own words"),
        );
    }
    diags.extend(super::links::raw_html_warnings(loaded, &raw.summary));
    if let Some(note) = &raw.casualties_note {
        diags.extend(placeholder(loaded, note, "casualties_note"));
    }
    let mut related = Vec::new();
    for r in &raw.related {
        let rid = r.get_ref();
        if rid == &id {
            diags.push(
                loaded
                    .warning_on(
                        r,
                        "self-reference",
                        "an incident cannot be related to itself",
                    )
                    .with_hint("remove it"),
            );
        } else if incidents.contains_key(rid.as_str()) {
            related.push(rid.clone());
        } else {
            let hint = match suggest(rid, incidents.keys().copied()) {
                Some(s) => format!("did you mean '{s}'?"),
                None => "use the id (file name without .toml) of an existing incident".into(),
            };
            diags.push(
                loaded
                    .error_on(r, "unknown-incident", format!("unknown incident '{rid}'"))
                    .with_hint(hint),
            );
        }
    }
    let mut tags = Vec::new();
    for t in &raw.tags {
        if is_slug(t.get_ref()) {
            tags.push(t.get_ref().clone());
        } else {
            diags.push(
                loaded
                    .error_on(
                        t,
                        "invalid-tag",
                        format!("tag '{}' is not a lower-case word", t.get_ref()),
                    )
                    .with_hint("use lower-case letters, digits and hyphens"),
            );
        }
    }
    let placement = place::place(loaded, ctx, &mut diags);

    let has_errors = diags.iter().any(Diagnostic::is_error);
    let incident = match (has_errors, date, precision, kind, placement) {
        (false, Some(date), Some(date_precision), Some(kind), Some(placement)) => Some(Incident {
            id,
            source_path: loaded.source.path.clone(),
            title,
            date,
            date_precision,
            date_end,
            country: placement.country,
            region: placement.region,
            position: placement.position,
            geo_precision: placement.geo_precision,
            place_name: placement.place_name,
            kind,
            targets,
            perpetrators,
            killed,
            injured,
            casualties_note: raw
                .casualties_note
                .as_ref()
                .map(|n| n.get_ref().trim().to_string()),
            summary,
            sources,
            related,
            tags,
            updated,
        }),
        _ => None,
    };
    (incident, diags)
}

fn figure(
    loaded: &Loaded<RawIncident>,
    field: &toml::Spanned<RawFigure>,
    name: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Figure> {
    let (min, max) = match *field.get_ref() {
        RawFigure::Exact(n) => (n, n),
        RawFigure::Range(range) => (range.min, range.max),
    };
    if min < 0 || max < 0 {
        diags.push(
            loaded
                .error_on(field, "negative-figure", format!("`{name}` is negative"))
                .with_hint("casualty figures are counts: 0 or more"),
        );
        return None;
    }
    if min > max {
        diags.push(
            loaded
                .error_on(
                    field,
                    "range-inverted",
                    format!("`{name}` has min {min} greater than max {max}"),
                )
                .with_hint("swap min and max"),
        );
        return None;
    }
    Some(Figure {
        min: min.unsigned_abs(),
        max: max.unsigned_abs(),
    })
}

/// Reports every incident file whose id (its file name) an earlier file already has, in
/// another year folder; returns their paths, so that they are left out of the atlas (two
/// pages cannot have one address) while the first keeps its page.
pub fn duplicate_ids<'a>(
    raw: &'a RawContent,
    diags: &mut Vec<Diagnostic>,
) -> std::collections::HashSet<&'a str> {
    let mut first_with: BTreeMap<&str, &str> = BTreeMap::new();
    let mut duplicates = std::collections::HashSet::new();
    for incident in &raw.incidents {
        if let Some(first) = first_with.insert(&incident.slug, &incident.source.path) {
            first_with.insert(&incident.slug, first);
            duplicates.insert(incident.source.path.as_str());
            diags.push(
                Diagnostic::error(
                    &incident.source.path,
                    "duplicate-id",
                    format!("the id '{}' is also used by {first}", incident.slug),
                )
                .with_hint("incident ids must be unique across all years; rename one of the files"),
            );
        }
    }
    duplicates
}

/// Warns about probable duplicates: same date, region and type.
pub fn check_duplicates(
    raw: &RawContent,
    incidents: &[std::sync::Arc<Incident>],
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<(chrono::NaiveDate, usize, IncidentType), &str> = BTreeMap::new();
    let mut sorted: Vec<&Incident> = incidents.iter().map(|i| &**i).collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    // By id, built once: a scan per duplicate was quadratic in a large atlas.
    let by_slug: std::collections::HashMap<&str, &crate::content::Loaded<RawIncident>> =
        raw.incidents.iter().map(|l| (l.slug.as_str(), l)).collect();
    for incident in sorted {
        let key = (incident.date, incident.region, incident.kind);
        if let Some(first) = seen.get(&key) {
            let loaded = by_slug.get(incident.id.as_str());
            let mut d = Diagnostic::warning(
                &incident.source_path,
                "probable-duplicate",
                format!(
                    "'{}' has the same date, place and type as '{first}'",
                    incident.id
                ),
            )
            .with_hint("if they are the same event, merge the files; if not, ignore this warning");
            if let Some(l) = loaded {
                d = d.at(&l.source.text, l.value.date.span().start);
            }
            diags.push(d);
        } else {
            seen.insert(key, &incident.id);
        }
    }
}
