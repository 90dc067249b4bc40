//! Validate/link stage: checks every raw record (vocabularies, dates, figures, sources, places)
//! and resolves references between incidents, actors, briefs and regions into the `Atlas`.

mod incident;
mod links;
mod memo;
mod place;
mod records;
pub mod vocab;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use toml::value::Datetime;
use toml::Spanned;

use crate::atlas::{Atlas, Incident, Source};
use crate::content::{FileKind, Loaded, RawContent, RawSource};
use crate::diagnostic::Diagnostic;
use crate::geo::Layer;
use crate::regions::RegionTree;

pub use links::{check_markdown_links, check_markdown_links_memo, MarkdownLinkMemo, MarkdownLinks};
pub use memo::LinkMemo;

/// What validation needs besides the content.
pub struct Context<'a> {
    pub regions: &'a mut RegionTree,
    pub layers: &'a [Layer],
    pub today: NaiveDate,
}

/// What checking one incident reads: `Context` without the right to add regions (every
/// country the incidents name is added before they are checked, so they can be checked in
/// parallel).
pub struct Lookup<'a> {
    pub regions: &'a RegionTree,
    pub layers: &'a [Layer],
    pub today: NaiveDate,
    pub actor_names: &'a ActorNames,
}

/// Every name each actor goes by (its slug, name, short name and aliases), so that an
/// unknown actor written by name is pointed to the right slug.
pub struct ActorNames(Vec<(String, String)>);

impl ActorNames {
    pub fn of(raw: &RawContent) -> ActorNames {
        let mut names = Vec::new();
        for loaded in &raw.actors {
            let a = &loaded.value;
            let slug = &loaded.slug;
            names.push((slug.clone(), slug.clone()));
            names.push((a.name.get_ref().clone(), slug.clone()));
            names.extend(a.short_name.iter().map(|n| (n.clone(), slug.clone())));
            names.extend(a.aliases.iter().map(|n| (n.clone(), slug.clone())));
        }
        ActorNames(names)
    }

    /// What to write instead of the unknown actor `word`.
    pub fn hint(&self, word: &str) -> String {
        let lower = word.trim().to_lowercase();
        if let Some((name, slug)) = self.0.iter().find(|(n, _)| n.to_lowercase() == lower) {
            return format!(
                "'{name}' is a name of the actor '{slug}': write \"{slug}\" (actors are named by their file name under content/actors/)"
            );
        }
        match suggest(word, self.0.iter().map(|(n, _)| n.as_str())) {
            Some(near) => {
                let slug = self.0.iter().find(|(n, _)| *n == near).map_or(near.as_str(), |(_, s)| s.as_str());
                if near == slug {
                    format!("did you mean '{slug}'? Actors are the file names under content/actors/")
                } else {
                    format!("did you mean '{slug}' ({near})? Actors are the file names under content/actors/")
                }
            }
            None => format!(
                "add content/actors/{}.toml (sitrep new actor --name \"{}\") or use an existing actor's file name",
                crate::regions::slugify(word),
                word.trim()
            ),
        }
    }
}

/// Checks and links all content. Records with errors are left out of the atlas; the
/// diagnostics say why.
pub fn link(raw: &RawContent, ctx: &mut Context) -> (Atlas, Vec<Diagnostic>) {
    link_with(raw, ctx, None)
}

/// `link`, reusing the incident checks in `memo` that are still valid (see `LinkMemo`).
/// `ctx.regions` must be the tree the memo's earlier runs linked into.
pub fn link_with(
    raw: &RawContent,
    ctx: &mut Context,
    mut memo: Option<&mut LinkMemo>,
) -> (Atlas, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    records::apply_aliases(raw, ctx.regions, &mut diagnostics);
    let duplicates = incident::duplicate_ids(raw, &mut diagnostics);
    let unique = |loaded: &&Loaded<crate::content::RawIncident>| {
        !duplicates.contains(loaded.source.path.as_str())
    };
    let actors = records::actors(raw, &mut diagnostics);
    let unparsed = |kind: FileKind| {
        raw.unparsed
            .iter()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, s)| s.as_str())
    };
    let actor_slugs: BTreeSet<&str> = raw
        .actors
        .iter()
        .map(|a| a.slug.as_str())
        .chain(unparsed(FileKind::Actor))
        .collect();
    let incident_ids: BTreeMap<&str, usize> = raw
        .incidents
        .iter()
        .map(|l| l.slug.as_str())
        .chain(unparsed(FileKind::Incident))
        .enumerate()
        .map(|(i, s)| (s, i))
        .collect();
    if let Some(memo) = memo.as_deref_mut() {
        memo.prepare(raw, ctx.today, &actor_slugs, &incident_ids);
    }
    place::add_countries(raw, ctx.regions);
    let actor_names = ActorNames::of(raw);
    let lookup = Lookup {
        regions: ctx.regions,
        layers: ctx.layers,
        today: ctx.today,
        actor_names: &actor_names,
    };
    let checked: Vec<(Option<Arc<Incident>>, Vec<Diagnostic>)> = match memo {
        Some(memo) => raw
            .incidents
            .iter()
            .filter(unique)
            .map(|loaded| memo.check(loaded, &lookup, &actor_slugs, &incident_ids))
            .collect(),
        None => raw
            .incidents
            .par_iter()
            .with_max_len(crate::FILES_PER_TASK)
            .filter(unique)
            .map(|loaded| {
                let (incident, diags) =
                    incident::check(loaded, &lookup, &actor_slugs, &incident_ids);
                (incident.map(Arc::new), diags)
            })
            .collect(),
    };
    let mut incidents = Vec::with_capacity(checked.len());
    for (incident, mut diags) in checked {
        diagnostics.append(&mut diags);
        incidents.extend(incident);
    }
    incident::check_duplicates(raw, &incidents, &mut diagnostics);
    incidents.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let briefs = records::briefs(
        raw,
        ctx,
        (&actor_slugs, &actor_names),
        &incident_ids,
        &mut diagnostics,
    );
    let region_notes = records::region_notes(raw, ctx.regions, &mut diagnostics);
    let atlas = Atlas {
        incidents,
        actors,
        briefs,
        region_notes,
    };
    (atlas, diagnostics)
}

/// What `sitrep new` writes into fields it cannot fill; `check` rejects it until replaced.
pub const PLACEHOLDER: &str = "TODO";

/// True for text that still starts with the placeholder.
pub fn is_placeholder(text: &str) -> bool {
    text.trim_start().starts_with(PLACEHOLDER)
}

/// A `placeholder` error when a text field still holds `TODO…`.
pub fn placeholder<T>(
    loaded: &Loaded<T>,
    field: &Spanned<String>,
    name: &str,
) -> Option<Diagnostic> {
    is_placeholder(field.get_ref()).then(|| {
        // Point at the TODO text itself (inside the quotes, or on the line after `"""`).
        let span = field.span();
        let text = &loaded.source.text;
        let start = (span.start + loaded.offset).min(text.len());
        let end = (span.end + loaded.offset).min(text.len());
        let todo = text
            .get(start..end)
            .and_then(|s| s.find(PLACEHOLDER))
            .map_or(span.start, |i| start - loaded.offset + i);
        let line_end = text[todo + loaded.offset..]
            .find(['\n', '"', '\''])
            .map_or(span.end, |i| todo + i);
        loaded
            .error_at(
                todo..line_end,
                "placeholder",
                format!("`{name}` still holds the placeholder of `sitrep new`"),
            )
            .with_hint(format!(
                "replace the {PLACEHOLDER} text with the real {name} (CONTRIBUTING.md has an example of every field)"
            ))
    })
}

/// The closest of `candidates` to `word` (case-insensitive), if close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = word.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.82)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c.to_string())
}

/// Warns (`duplicate-term`) about each item of the list `field` that repeats an earlier one
/// (ignoring case and surrounding space); returns the positions of the repeats, to leave out.
pub fn repeats<T>(
    loaded: &Loaded<T>,
    field: &str,
    list: &[Spanned<String>],
    diags: &mut Vec<Diagnostic>,
) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    if list.len() < 2 {
        return out;
    }
    let mut seen = BTreeSet::new();
    for (i, item) in list.iter().enumerate() {
        if !seen.insert(item.get_ref().trim().to_lowercase()) {
            out.insert(i);
            diags.push(
                loaded
                    .warning_on(
                        item,
                        "duplicate-term",
                        format!("'{}' is listed twice in `{field}`", item.get_ref()),
                    )
                    .with_hint("remove the repeat"),
            );
        }
    }
    out
}

/// "did you mean 'X'?" or the list of allowed terms.
pub fn term_hint<'a>(word: &str, terms: impl Iterator<Item = &'a str> + Clone) -> String {
    /// Longer lists (the districts) are cut to the nearest names.
    const LISTED: usize = 12;
    if let Some(s) = suggest(word, terms.clone()) {
        return format!("did you mean '{s}'?");
    }
    let mut all: Vec<&str> = terms.collect();
    if all.len() <= LISTED {
        return format!("use one of: {}.", all.join(", "));
    }
    let lower = word.to_lowercase();
    let score = |t: &str| strsim::jaro_winkler(&lower, &t.to_lowercase());
    all.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| a.cmp(b)));
    let total = all.len();
    all.truncate(LISTED / 2);
    format!(
        "no name is close; the nearest of the {total} are: {}.",
        all.join(", ")
    )
}

/// A TOML date field as a calendar date, or a diagnostic.
#[allow(clippy::result_large_err)] // one diagnostic per failed file, never in a hot loop
pub fn date_of<T>(
    loaded: &Loaded<T>,
    field: &Spanned<Datetime>,
    name: &str,
) -> Result<NaiveDate, Diagnostic> {
    let dt = field.get_ref();
    match (&dt.date, &dt.time, &dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(|| {
                    loaded
                        .error_on(
                            field,
                            "invalid-date",
                            format!("`{name}` {dt} is not a real calendar date"),
                        )
                        .with_hint("check the day and month (YYYY-MM-DD)")
                })
        }
        (Some(_), _, _) => Err(loaded
            .error_on(
                field,
                "invalid-date",
                format!("`{name}` has a time; give only the date"),
            )
            .with_hint("write it as YYYY-MM-DD")),
        _ => Err(loaded
            .error_on(field, "invalid-date", format!("`{name}` must be a date"))
            .with_hint("write it as YYYY-MM-DD, without quotes")),
    }
}

/// Checks and converts a list of sources. `reported` is the date of what they report.
pub fn sources<T>(
    loaded: &Loaded<T>,
    raw: &[Spanned<RawSource>],
    reported: Option<NaiveDate>,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Source> {
    let mut out = Vec::new();
    for s in raw {
        let source = s.get_ref();
        let publisher = source.publisher.get_ref().trim();
        let placeholders: Vec<Diagnostic> = [
            placeholder(loaded, &source.publisher, "publisher"),
            placeholder(loaded, &source.title, "title"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !placeholders.is_empty() {
            diagnostics.extend(placeholders);
        } else if publisher.is_empty() {
            diagnostics.push(
                loaded
                    .error_on(&source.publisher, "empty-field", "`publisher` is empty")
                    .with_hint("name the outlet, e.g. \"Dawn\""),
            );
        }
        if source.title.get_ref().trim().is_empty() {
            diagnostics.push(
                loaded
                    .error_on(&source.title, "empty-field", "`title` is empty")
                    .with_hint("give the article or report title"),
            );
        }
        let date = match &source.date {
            Some(d) => match date_of(loaded, d, "date") {
                Ok(date) => {
                    if let Some(r) = reported {
                        if date < r {
                            diagnostics.push(
                                loaded
                                    .error_on(d, "source-before-incident", format!("this source is dated {date}, before the incident it reports ({r})"))
                                    .with_hint("check both dates; a source cannot report an event before it happened"),
                            );
                        }
                    }
                    if date > today {
                        diagnostics.push(
                            loaded
                                .error_on(
                                    d,
                                    "future-date",
                                    format!("source date {date} is in the future"),
                                )
                                .with_hint("check the year"),
                        );
                    }
                    Some(date)
                }
                Err(e) => {
                    diagnostics.push(e);
                    None
                }
            },
            None => None,
        };
        let url = match &source.url {
            Some(u) if is_placeholder(u.get_ref()) => {
                diagnostics.extend(placeholder(loaded, u, "url"));
                None
            }
            Some(u) => match check_url(u.get_ref()) {
                Ok(()) => Some(u.get_ref().trim().to_string()),
                Err(why) => {
                    diagnostics.push(
                        loaded
                            .error_on(u, "invalid-url", format!("source url is not usable: {why}"))
                            .with_hint("give the full http(s) address the source itself gives, or leave `url` out; never guess one"),
                    );
                    None
                }
            },
            None => None,
        };
        out.push(Source {
            publisher: publisher.to_string(),
            title: source.title.get_ref().trim().to_string(),
            date,
            author: source.author.clone(),
            url,
            via: source.via.clone(),
            note: source.note.clone(),
        });
    }
    out
}

/// An absolute http(s) URL with a host and no spaces or quotes.
pub fn check_url(url: &str) -> Result<(), &'static str> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("it must start with http:// or https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || !host.contains('.') && !host.starts_with("localhost") {
        return Err("it has no host name");
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\' | '`'))
    {
        return Err("it contains spaces, quotes or angle brackets");
    }
    Ok(())
}

/// True for ids and slugs made of lower-case ASCII letters, digits and single hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let names = ["Peshawar", "Quetta", "Lahore"];
        assert_eq!(
            suggest("Peshwar", names.iter().copied()),
            Some("Peshawar".into())
        );
        assert_eq!(suggest("xyz", names.iter().copied()), None);
    }

    #[test]
    fn urls() {
        assert!(check_url("https://www.dawn.com/news/1").is_ok());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("ftp://x.org").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("https://a.org/x y").is_err());
    }

    #[test]
    fn slugs() {
        assert!(is_slug("2024-03-01-dera-ismail-khan"));
        assert!(!is_slug("../etc"));
        assert!(!is_slug("A"));
        assert!(!is_slug("a--b"));
    }
}
