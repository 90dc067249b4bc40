//! Checks actors, briefs, region notes and aliases, and resolves their references.

use std::collections::{BTreeMap, BTreeSet};

use super::vocab::ActorKind;
use super::{date_of, is_placeholder, is_slug, placeholder, sources, suggest, term_hint, Context};
use crate::atlas::{Actor, Brief, Designation, RegionNote};
use crate::content::{FileKind, RawContent};
use crate::diagnostic::Diagnostic;
use crate::regions::{Level, RegionTree};

/// Registers the spellings in `content/regions/aliases.toml`.
pub fn apply_aliases(raw: &RawContent, regions: &mut RegionTree, diags: &mut Vec<Diagnostic>) {
    let Some(aliases) = &raw.aliases else { return };
    let home = regions.home_country.clone();
    for (level, table) in [
        (Level::District, &aliases.value.districts),
        (Level::Province, &aliases.value.provinces),
    ] {
        // In the order of the file, so that of two conflicting lines the later is reported.
        let mut lines: Vec<(&String, &toml::Spanned<String>)> = table.iter().collect();
        lines.sort_by_key(|(_, target)| target.span().start);
        for (alias, target) in lines {
            match regions.find(&home, level, target.get_ref()) {
                // A spelling that already names another region (its own name, or an earlier
                // alias in another case) would silently move that region's incidents.
                Some(region) => match regions.find(&home, level, alias) {
                    Some(taken) if taken != region => diags.push(
                        aliases
                            .error_on(
                                target,
                                "alias-conflict",
                                format!(
                                    "alias '{alias}' is already a name of the {} {}",
                                    level.label().to_lowercase(),
                                    regions.regions[taken].name
                                ),
                            )
                            .with_hint("an alias must be a spelling no other region has (names are compared without case); remove this line"),
                    ),
                    _ => regions.add_alias(alias, region),
                },
                None => {
                    let names = regions.names(&home, level);
                    diags.push(
                        aliases
                            .error_on(
                                target,
                                "unknown-region",
                                format!(
                                    "alias '{alias}' points to unknown {} '{}'",
                                    level.label().to_lowercase(),
                                    target.get_ref()
                                ),
                            )
                            .with_hint(term_hint(target.get_ref(), names.iter().copied())),
                    );
                }
            }
        }
    }
}

pub fn actors(raw: &RawContent, diags: &mut Vec<Diagnostic>) -> Vec<Actor> {
    // Files that failed to parse still exist: naming them as parent is not a second error.
    let slugs: BTreeSet<&str> = raw
        .actors
        .iter()
        .map(|a| a.slug.as_str())
        .chain(
            raw.unparsed
                .iter()
                .filter(|(kind, _)| *kind == FileKind::Actor)
                .map(|(_, slug)| slug.as_str()),
        )
        .collect();
    let parents: BTreeMap<&str, &str> = raw
        .actors
        .iter()
        .filter_map(|l| Some((l.slug.as_str(), l.value.parent.as_ref()?.get_ref().as_str())))
        .collect();
    let mut out = Vec::new();
    for loaded in &raw.actors {
        let a = &loaded.value;
        let before = diags.len();
        if !is_slug(&loaded.slug) {
            diags.push(
                Diagnostic::error(
                    &loaded.source.path,
                    "invalid-slug",
                    format!("file name `{}` is not a valid actor slug", loaded.slug),
                )
                .with_hint("use lower-case letters, digits and hyphens, e.g. ttp.toml"),
            );
        }
        let kind = ActorKind::parse(a.kind.get_ref());
        if let Some(d) = placeholder(loaded, &a.kind, "kind") {
            diags.push(d.with_hint(format!(
                "replace it with one of: {}",
                ActorKind::terms().collect::<Vec<_>>().join(", ")
            )));
        } else if kind.is_none() {
            diags.push(
                loaded
                    .error_on(
                        &a.kind,
                        "unknown-term",
                        format!("unknown actor kind '{}'", a.kind.get_ref()),
                    )
                    .with_hint(term_hint(a.kind.get_ref(), ActorKind::terms())),
            );
        }
        if let Some(d) = placeholder(loaded, &a.name, "name") {
            diags.push(d);
        } else if a.name.get_ref().trim().is_empty() {
            diags.push(
                loaded
                    .error_on(&a.name, "empty-field", "`name` is empty")
                    .with_hint("give the conventional name"),
            );
        }
        if let Some(parent) = &a.parent {
            if parent.get_ref() == &loaded.slug {
                diags.push(
                    loaded
                        .error_on(
                            parent,
                            "self-reference",
                            "an actor cannot be its own parent",
                        )
                        .with_hint(
                            "name the group it split from or belongs to, or remove `parent`",
                        ),
                );
            } else if let Some(path) = parent_loop(&loaded.slug, &parents) {
                diags.push(
                    loaded
                        .error_on(
                            parent,
                            "parent-loop",
                            format!("the parents make a loop: {}", path.join(" → ")),
                        )
                        .with_hint("an actor cannot descend from itself; remove `parent` from one of these actors"),
                );
            } else if !slugs.contains(parent.get_ref().as_str()) {
                let hint = suggest(parent.get_ref(), slugs.iter().copied())
                    .map_or("use the slug of another actor".to_string(), |s| {
                        format!("did you mean '{s}'?")
                    });
                diags.push(
                    loaded
                        .error_on(
                            parent,
                            "unknown-actor",
                            format!("unknown parent actor '{}'", parent.get_ref()),
                        )
                        .with_hint(hint),
                );
            }
        }
        let mut designations = Vec::new();
        for d in &a.designations {
            let since = d
                .since
                .as_ref()
                .and_then(|s| date_of(loaded, s, "since").map_err(|e| diags.push(e)).ok());
            designations.push(Designation {
                name: d.name.clone(),
                by: d.by.clone(),
                since,
            });
        }
        let sources = sources(loaded, &a.sources, None, chrono::NaiveDate::MAX, diags);
        if let Some(d) = &a.description {
            diags.extend(placeholder(loaded, d, "description"));
            diags.extend(super::links::raw_html_warnings(loaded, d));
        }
        if diags[before..].iter().any(Diagnostic::is_error) {
            continue;
        }
        if let Some(kind) = kind {
            out.push(Actor {
                slug: loaded.slug.clone(),
                source_path: loaded.source.path.clone(),
                name: a.name.get_ref().trim().to_string(),
                short_name: a.short_name.clone(),
                kind,
                aliases: a.aliases.clone(),
                parent: a.parent.as_ref().map(|p| p.get_ref().clone()),
                designations,
                sources,
                description: a
                    .description
                    .as_ref()
                    .map(|d| d.get_ref().trim().to_string())
                    .unwrap_or_default(),
            });
        }
    }
    out.sort_by(|a, b| a.slug.cmp(&b.slug));
    out
}

/// The items of `list` but those at `left_out`.
fn without(list: &[toml::Spanned<String>], left_out: &BTreeSet<usize>) -> Vec<String> {
    list.iter()
        .enumerate()
        .filter(|(i, _)| !left_out.contains(i))
        .map(|(_, item)| item.get_ref().clone())
        .collect()
}

/// The chain of parents from `slug` back to itself, if following them leads there.
fn parent_loop<'a>(slug: &'a str, parents: &BTreeMap<&'a str, &'a str>) -> Option<Vec<&'a str>> {
    let mut path = vec![slug];
    let mut at = slug;
    // A chain longer than the number of actors has entered a loop not through `slug`.
    for _ in 0..parents.len() {
        at = parents.get(at)?;
        path.push(at);
        if at == slug {
            return Some(path);
        }
    }
    None
}

pub fn briefs(
    raw: &RawContent,
    ctx: &mut Context,
    (actors, actor_names): (&BTreeSet<&str>, &super::ActorNames),
    incidents: &BTreeMap<&str, usize>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Brief> {
    let mut out = Vec::new();
    for loaded in &raw.briefs {
        let b = &loaded.value;
        let before = diags.len();
        if !is_slug(&loaded.slug) {
            diags.push(
                Diagnostic::error(
                    &loaded.source.path,
                    "invalid-slug",
                    format!("file name `{}` is not a valid brief slug", loaded.slug),
                )
                .with_hint("use lower-case letters, digits and hyphens"),
            );
        }
        if let Some(d) = placeholder(loaded, &b.title, "title") {
            diags.push(d);
        } else if b.title.get_ref().trim().is_empty() {
            diags.push(
                loaded
                    .error_on(&b.title, "empty-field", "`title` is empty")
                    .with_hint("give the brief a title"),
            );
        }
        let date = date_of(loaded, &b.date, "date")
            .map_err(|d| diags.push(d))
            .ok();
        if let Some(d) = date {
            if d > ctx.today {
                diags.push(
                    loaded
                        .error_on(&b.date, "future-date", format!("date {d} is in the future"))
                        .with_hint("use the date the brief is published"),
                );
            }
        }
        if let Some(d) = b
            .summary
            .as_ref()
            .and_then(|s| placeholder(loaded, s, "summary"))
        {
            diags.push(d);
        }
        let updated = b.updated.as_ref().and_then(|u| {
            date_of(loaded, u, "updated")
                .map_err(|d| diags.push(d))
                .ok()
        });
        let home = ctx.regions.home_country.clone();
        let mut regions = Vec::new();
        let repeated_regions = super::repeats(loaded, "regions", &b.regions, diags);
        let repeated_actors = super::repeats(loaded, "actors", &b.actors, diags);
        let repeated_incidents = super::repeats(loaded, "incidents", &b.incidents, diags);
        for (_, r) in b
            .regions
            .iter()
            .enumerate()
            .filter(|(i, _)| !repeated_regions.contains(i))
        {
            let name = r.get_ref();
            let found = ctx
                .regions
                .get(name)
                .or_else(|| ctx.regions.find(&home, Level::Province, name))
                .or_else(|| ctx.regions.find(&home, Level::District, name))
                .or_else(|| {
                    ctx.regions
                        .regions
                        .iter()
                        .position(|reg| reg.name.eq_ignore_ascii_case(name))
                });
            match found {
                // Two spellings of one region count once.
                Some(i) if regions.contains(&i) => {}
                Some(i) => regions.push(i),
                None => {
                    let names: Vec<&str> = ctx
                        .regions
                        .regions
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect();
                    diags.push(
                        loaded
                            .error_on(r, "unknown-region", format!("unknown region '{name}'"))
                            .with_hint(term_hint(name, names.iter().copied())),
                    );
                }
            }
        }
        for a in &b.actors {
            if !actors.contains(a.get_ref().as_str()) {
                let hint = actor_names.hint(a.get_ref());
                diags.push(
                    loaded
                        .error_on(
                            a,
                            "unknown-actor",
                            format!("unknown actor '{}'", a.get_ref()),
                        )
                        .with_hint(hint),
                );
            }
        }
        for i in &b.incidents {
            if !incidents.contains_key(i.get_ref().as_str()) {
                let hint = suggest(i.get_ref(), incidents.keys().copied()).map_or(
                    "use an incident id (file name without .toml)".to_string(),
                    |s| format!("did you mean '{s}'?"),
                );
                diags.push(
                    loaded
                        .error_on(
                            i,
                            "unknown-incident",
                            format!("unknown incident '{}'", i.get_ref()),
                        )
                        .with_hint(hint),
                );
            }
        }
        if b.sources.is_empty() {
            diags.push(
                loaded
                    .warning_on(&b.title, "no-sources", "this brief cites no source")
                    .with_hint("add [[sources]] tables to the front matter"),
            );
        }
        let sources = sources(loaded, &b.sources, None, ctx.today, diags);
        let body_start = loaded.source.text.len() - b.body.len();
        diags.extend(body_placeholders(loaded, &b.body, body_start));
        diags.extend(super::links::raw_html_in_text(
            loaded,
            &b.body,
            loaded.source.text.len() - b.body.len(),
        ));
        let Some(date) = date else { continue };
        if diags[before..].iter().any(Diagnostic::is_error) {
            continue;
        }
        out.push(Brief {
            slug: loaded.slug.clone(),
            source_path: loaded.source.path.clone(),
            title: b.title.get_ref().trim().to_string(),
            date,
            updated,
            authors: b.authors.clone(),
            summary: b
                .summary
                .as_ref()
                .map(|s| s.get_ref().trim().to_string())
                .unwrap_or_default(),
            regions,
            actors: without(&b.actors, &repeated_actors),
            incidents: without(&b.incidents, &repeated_incidents),
            sources,
            body: b.body.clone(),
        });
    }
    out.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.slug.cmp(&b.slug)));
    out
}

/// `placeholder` errors for Markdown body lines that still start with `TODO`.
fn body_placeholders<T>(
    loaded: &crate::content::Loaded<T>,
    body: &str,
    offset: usize,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut pos = offset;
    for line in body.split_inclusive('\n') {
        if is_placeholder(line) {
            let start = pos + (line.len() - line.trim_start().len());
            out.push(
                Diagnostic::error(
                    &loaded.source.path,
                    "placeholder",
                    "the body still holds the placeholder of `sitrep new`",
                )
                .at_span(&loaded.source.text, start..pos + line.trim_end().len())
                .with_hint("replace the TODO lines with the text of the brief"),
            );
        }
        pos += line.len();
    }
    out
}

pub fn region_notes(
    raw: &RawContent,
    regions: &RegionTree,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RegionNote> {
    let mut out = Vec::new();
    for loaded in &raw.region_notes {
        let Some(region) = regions.get(&loaded.slug) else {
            let ids: Vec<&str> = regions.regions.iter().map(|r| r.id.as_str()).collect();
            diags.push(
                Diagnostic::error(&loaded.source.path, "unknown-region", format!("no region has the path '{}'", loaded.slug))
                    .with_hint(format!("{} Region notes are named after the region's URL path, e.g. content/regions/balochistan/quetta.md", term_hint(&loaded.slug, ids.iter().copied()))),
            );
            continue;
        };
        let before = diags.len();
        let sources = sources(
            loaded,
            &loaded.value.sources,
            None,
            chrono::NaiveDate::MAX,
            diags,
        );
        diags.extend(super::links::raw_html_in_text(
            loaded,
            &loaded.value.body,
            loaded.source.text.len() - loaded.value.body.len(),
        ));
        if diags[before..].iter().any(Diagnostic::is_error) {
            continue;
        }
        out.push(RegionNote {
            region,
            source_path: loaded.source.path.clone(),
            title: loaded.value.title.clone(),
            sources,
            body: loaded.value.body.clone(),
        });
    }
    out
}
