//! Integration tests of paging on a fixture site grown to 60 incidents with tiny page sizes
//! (`[pagination] timeline = 4, lists = 5`): per-year timeline pages, paged incident, region
//! and actor lists, their navigation, and that every link and anchor resolves.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{fixture_site, read_tree, sitrep, text};

const PER_YEAR_PAGE: usize = 4;
const PER_LIST_PAGE: usize = 5;

/// Adds `n` incidents to the fixture (districts Alpha and Gamma, 2022–2024, some dated only to
/// the month or year) and small page sizes; returns the ids of the added incidents.
fn grow(root: &Path, n: usize) -> Vec<String> {
    let config_path = root.join("sitrep.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let config = config.replace(
        "[geodata]",
        &format!("[pagination]\ntimeline = {PER_YEAR_PAGE}\nlists = {PER_LIST_PAGE}\n\n[geodata]"),
    );
    std::fs::write(&config_path, config).expect("write config");
    let mut ids = Vec::new();
    for k in 0..n {
        let year = 2022 + (k % 3) as i32;
        let month = 1 + (k * 5) % 12;
        let day = 1 + (k * 7) % 27;
        let (date, precision) = match k % 9 {
            4 => (format!("{year}-01-01"), "year"),
            2 | 6 => (format!("{year}-{month:02}-01"), "month"),
            _ => (format!("{year}-{month:02}-{day:02}"), "day"),
        };
        let (district, lat, lon, province) = if k % 2 == 0 {
            ("Alpha", 33.0, 71.0, "")
        } else {
            ("Gamma", 31.0, 73.0, "province = \"Southland\"\n")
        };
        let id = format!("{date}-grown-{k:03}");
        let perpetrator = if k % 4 == 0 {
            String::new()
        } else {
            "\n[[perpetrators]]\nactor = \"group-a\"\nattribution = \"suspected\"\nby = \"Example Times\"\n".to_string()
        };
        let text = format!(
            "title = \"Grown incident {k}\"\ndate = {date}\ndate_precision = \"{precision}\"\ncountry = \"PAK\"\n{province}district = \"{district}\"\ntype = \"armed-assault\"\nkilled = {k}\nsummary = \"Number {k}.\"\n\n[location]\nlat = {lat}\nlon = {lon}\ngeo_precision = \"district\"\n{perpetrator}\n[[sources]]\npublisher = \"Example Times\"\ntitle = \"Report {k}\"\ndate = {year}-12-31\n"
        );
        let dir = root.join(format!("content/incidents/{year}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{id}.toml")), text).expect("write incident");
        ids.push(id);
    }
    ids
}

fn build(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let out = root.join("public");
    let result = sitrep(
        root,
        &[
            "build",
            "--output",
            out.to_str().expect("utf8"),
            "--base-url",
            "https://example.org/atlas/",
        ],
    );
    assert!(result.status.success(), "{}", text(&result));
    read_tree(&out).into_iter().collect()
}

fn html<'a>(tree: &'a BTreeMap<String, Vec<u8>>, path: &str) -> &'a str {
    let bytes = tree
        .get(path)
        .unwrap_or_else(|| panic!("{path} was not written"));
    std::str::from_utf8(bytes).expect("utf8")
}

/// The incident ids a page lists, in order (links to incident pages inside list items).
fn listed(page: &str) -> Vec<String> {
    page.split("class=\"incident-list__item\"")
        .skip(1)
        .chain(page.split("<tr><td><time").skip(1))
        .filter_map(|item| {
            let start = item.find("/atlas/incidents/")? + "/atlas/incidents/".len();
            let id = &item[start..];
            Some(id[..id.find('/')?].to_string())
        })
        .collect()
}

/// The pages of a paged list: `dir/index.html`, then `dir/page/2/index.html` …
fn pages_of(tree: &BTreeMap<String, Vec<u8>>, dir: &str) -> Vec<String> {
    let mut pages = vec![format!("{dir}index.html")];
    let mut n = 2;
    while tree.contains_key(&format!("{dir}page/{n}/index.html")) {
        pages.push(format!("{dir}page/{n}/index.html"));
        n += 1;
    }
    assert!(
        !tree.contains_key(&format!("{dir}page/1/index.html")),
        "page 1 is the list's own folder"
    );
    pages
}

/// Checks the pages of the list at `dir`: at most `per_page` incidents each, all of them
/// `want` in order, page navigation with rel prev/next; returns the number of pages.
fn check_list(
    tree: &BTreeMap<String, Vec<u8>>,
    dir: &str,
    want: &[String],
    per_page: usize,
) -> usize {
    let pages = pages_of(tree, dir);
    let mut seen = Vec::new();
    for (k, path) in pages.iter().enumerate() {
        let page = html(tree, path);
        let ids = listed(page);
        assert!(ids.len() <= per_page, "{path}: {} incidents", ids.len());
        assert!(!ids.is_empty(), "{path} lists nothing");
        seen.extend(ids);
        let n = k + 1;
        if pages.len() > 1 {
            assert!(
                page.contains(&format!("Page {n} of {}", pages.len())),
                "{path}: page status"
            );
            assert!(
                page.contains("aria-current=\"page\""),
                "{path}: current page marked"
            );
        }
        let prev = format!(
            "<link rel=\"prev\" href=\"/atlas/{}\">",
            page_dir(dir, n - 1)
        );
        let next = format!(
            "<link rel=\"next\" href=\"/atlas/{}\">",
            page_dir(dir, n + 1)
        );
        assert_eq!(page.contains(&prev), n > 1, "{path}: {prev}");
        assert_eq!(page.contains(&next), n < pages.len(), "{path}: {next}");
    }
    assert_eq!(seen, want, "{dir}: every incident once, in order");
    pages.len()
}

fn page_dir(dir: &str, n: usize) -> String {
    if n <= 1 {
        dir.to_string()
    } else {
        format!("{dir}page/{n}/")
    }
}

#[test]
fn long_lists_are_paged_and_every_page_is_reachable() {
    let site = fixture_site("minimal");
    let grown = grow(site.path(), 60);
    let tree = build(site.path());

    // Every incident, by year, from the files: (date, id) sorted is the atlas order.
    let mut all: Vec<(String, String)> = grown
        .iter()
        .map(|id| (id[..10].to_string(), id.clone()))
        .collect();
    for fixed in [
        "2023-05-10-alpha-market",
        "2024-03-01-beta-police-post",
        "2024-07-04-gamma-clash",
        "2024-08-01-abroad",
    ] {
        all.push((fixed[..10].to_string(), fixed.to_string()));
    }
    all.sort();
    let ids: Vec<String> = all.iter().map(|(_, id)| id.clone()).collect();

    // The timeline index: every year with a link to its page, and the latest incidents.
    let index = html(&tree, "timeline/index.html");
    for year in 2022..=2024 {
        assert!(
            index.contains(&format!("href=\"/atlas/timeline/{year}/\"")),
            "year {year} linked"
        );
    }
    let latest = listed(index);
    let newest: Vec<String> = ids.iter().rev().take(latest.len()).cloned().collect();
    assert_eq!(
        latest, newest,
        "the index lists the latest incidents, newest first"
    );

    // Each year's pages hold its incidents oldest first by month (year-only ones first).
    let month_of = |id: &str| -> (String, u8) {
        let file = std::fs::read_to_string(
            site.path()
                .join(format!("content/incidents/{}/{id}.toml", &id[..4])),
        )
        .unwrap_or_default();
        let month = if file.contains("date_precision = \"year\"") {
            0
        } else {
            id[5..7].parse().unwrap_or(0)
        };
        (id[..4].to_string(), month)
    };
    let mut paged_years = 0;
    for year in ["2022", "2023", "2024"] {
        let mut want: Vec<String> = ids
            .iter()
            .filter(|id| id.starts_with(year))
            .cloned()
            .collect();
        want.sort_by_key(|id| month_of(id).1); // stable: date order within a month
        let pages = check_list(&tree, &format!("timeline/{year}/"), &want, PER_YEAR_PAGE);
        assert_eq!(pages, want.len().div_ceil(PER_YEAR_PAGE));
        if pages > 1 {
            paged_years += 1;
            let second = html(&tree, &format!("timeline/{year}/page/2/index.html"));
            assert!(
                second.contains("(continued)"),
                "a heading continued from page 1"
            );
            assert!(
                second.contains("aria-label=\"Jump to year\""),
                "year navigation on every page"
            );
        }
    }
    assert_eq!(paged_years, 3);

    // The incidents index, newest first; a district and a province; an actor.
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert!(check_list(&tree, "incidents/", &newest_first, PER_LIST_PAGE) > 5);
    let region_order = |filter: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut list: Vec<(String, u8, usize, String)> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| filter(id))
            .map(|(i, id)| {
                let (year, month) = month_of(id);
                (year, month, i, id.clone())
            })
            .collect();
        list.sort();
        list.reverse();
        list.into_iter().map(|(_, _, _, id)| id).collect()
    };
    // Alpha holds the fixture's market bombing and the grown incidents of even number.
    let alpha = |id: &str| {
        id == "2023-05-10-alpha-market"
            || id
                .strip_prefix(&id[..11])
                .and_then(|rest| rest.strip_prefix("grown-"))
                .and_then(|k| k.parse::<usize>().ok())
                .is_some_and(|k| k % 2 == 0)
    };
    assert!(
        check_list(
            &tree,
            "regions/northland/alpha/",
            &region_order(&alpha),
            PER_LIST_PAGE
        ) > 2
    );
    let region_page = html(&tree, "regions/northland/alpha/page/2/index.html");
    assert!(
        region_page.contains("figures, map and notes"),
        "later pages lead back to the first"
    );
    assert!(
        !region_page.contains("class=\"figures\""),
        "figures only on the first page"
    );
    let actor: Vec<String> = newest_first
        .iter()
        .filter(|id| {
            let file = std::fs::read_to_string(
                site.path()
                    .join(format!("content/incidents/{}/{id}.toml", &id[..4])),
            )
            .unwrap_or_default();
            file.contains("actor = \"group-a\"")
        })
        .cloned()
        .collect();
    assert!(check_list(&tree, "actors/group-a/", &actor, PER_LIST_PAGE) > 2);

    // The sitemap lists every page, paged ones included.
    let sitemap = html(&tree, "sitemap.xml");
    for path in tree.keys().filter(|p| p.ends_with("index.html")) {
        let url = format!(
            "https://example.org/atlas/{}",
            path.trim_end_matches("index.html")
        );
        assert!(
            sitemap.contains(&format!("<loc>{url}</loc>")),
            "{url} in the sitemap"
        );
    }

    // Every internal link resolves, fragments included.
    let mut checked = 0;
    for (path, bytes) in &tree {
        if !path.ends_with(".html") {
            continue;
        }
        let page = std::str::from_utf8(bytes).expect("utf8");
        for link in common::links(page) {
            let (target, fragment) = match link.split_once('#') {
                Some((t, f)) => (t.to_string(), Some(f.to_string())),
                None => (link.clone(), None),
            };
            if target.starts_with("http") || target.starts_with("mailto:") {
                continue;
            }
            let file = if target.is_empty() {
                path.clone()
            } else {
                let rel = target
                    .strip_prefix("/atlas/")
                    .unwrap_or_else(|| panic!("{path}: {link} is not under the base path"));
                let rel = rel.split('?').next().unwrap_or("");
                if rel.is_empty() || rel.ends_with('/') {
                    format!("{rel}index.html")
                } else {
                    rel.to_string()
                }
            };
            let Some(bytes) = tree.get(&file) else {
                panic!("{path}: {link} leads nowhere");
            };
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let target_html = std::str::from_utf8(bytes).expect("utf8");
                assert!(
                    target_html.contains(&format!("id={fragment}>"))
                        || target_html.contains(&format!("id={fragment} "))
                        || target_html.contains(&format!("id=\"{fragment}\"")),
                    "{path}: {link}: no element with that id"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} links checked");
}

#[test]
fn pagination_must_be_positive() {
    let site = fixture_site("minimal");
    let config_path = site.path().join("sitrep.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    std::fs::write(
        &config_path,
        config.replace("[geodata]", "[pagination]\ntimeline = 0\n\n[geodata]"),
    )
    .expect("write");
    let result = sitrep(site.path(), &["check"]);
    assert_eq!(result.status.code(), Some(1), "{}", text(&result));
    let message = text(&result);
    assert!(message.contains("sitrep.toml:"), "{message}");
    assert!(
        message.contains("nonzero") || message.contains("zero"),
        "{message}"
    );
}
