//! Render stage, paging: splits long incident lists into numbered pages (`<dir>/`,
//! `<dir>/page/2/` …) and builds the page navigation every paged template shows
//! (docs/site-layout.md, "Pages and paging").

use std::ops::Range;

use serde_json::{json, Value};

use super::Site;

/// Pagers with more pages than this show a window around the current page (first, last,
/// current ± `WINDOW`) with gaps, so a 400-page list does not print 400 links on every page.
const ALL_PAGES_UP_TO: usize = 12;
const WINDOW: usize = 2;

/// The item ranges of the pages of a list of `len` items, `per_page` each. An empty list has
/// one (empty) page, so the list's first page always exists.
pub fn chunks(len: usize, per_page: usize) -> Vec<Range<usize>> {
    let per_page = per_page.max(1);
    if len == 0 {
        return std::iter::once(0..0).collect();
    }
    (0..len.div_ceil(per_page))
        .map(|p| p * per_page..((p + 1) * per_page).min(len))
        .collect()
}

/// Number of pages of a list of `len` items.
pub fn page_count(len: usize, per_page: usize) -> usize {
    len.div_ceil(per_page.max(1)).max(1)
}

/// The page (1-based) that holds item `position`.
pub fn page_of(position: usize, per_page: usize) -> usize {
    position / per_page.max(1) + 1
}

/// Site-relative folder of page `n` of the list at `dir` (`dir` ends with `/`).
pub fn page_dir(dir: &str, n: usize) -> String {
    if n <= 1 {
        dir.to_string()
    } else {
        format!("{dir}page/{n}/")
    }
}

/// Output path of page `n` of the list at `dir`.
pub fn page_file(dir: &str, n: usize) -> String {
    format!("{}index.html", page_dir(dir, n))
}

/// The template variable `pager` of page `n` of `total` pages of the list at `dir`:
/// `current`, `total`, `prev` / `next` (URLs or null), `items` (`{n, url, current}` or
/// `{gap: true}`) and `label` (the navigation's accessible name). `spans` gives each page's
/// first and last date (ISO), written on its link for the timeline's date filter.
pub fn pager(
    site: &Site,
    dir: &str,
    n: usize,
    total: usize,
    label: &str,
    spans: Option<&[(String, String)]>,
) -> Value {
    let url = |k: usize| site.config.url(&page_dir(dir, k));
    let mut items = Vec::new();
    let mut last_shown = 0;
    for k in 1..=total {
        let shown = total <= ALL_PAGES_UP_TO
            || k <= 2
            || k + 1 >= total
            || (k + WINDOW >= n && k <= n + WINDOW);
        if !shown {
            continue;
        }
        if k > last_shown + 1 {
            items.push(json!({"gap": true}));
        }
        last_shown = k;
        let mut item = json!({"n": k, "url": url(k), "current": k == n});
        if let Some((first, last)) = spans.and_then(|s| s.get(k - 1)) {
            item["first"] = json!(first);
            item["last"] = json!(last);
        }
        items.push(item);
    }
    json!({
        "current": n,
        "total": total,
        "prev": (n > 1).then(|| url(n - 1)),
        "next": (n < total).then(|| url(n + 1)),
        "items": items,
        "label": label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_list_in_order() {
        assert_eq!(chunks(0, 3).len(), 1);
        assert!(chunks(0, 3)[0].is_empty());
        assert_eq!(chunks(3, 3).len(), 1);
        assert_eq!(chunks(3, 3)[0], 0..3);
        assert_eq!(chunks(7, 3), [0..3, 3..6, 6..7]);
        assert_eq!(page_count(0, 3), 1);
        assert_eq!(page_count(7, 3), 3);
        assert_eq!(page_of(0, 3), 1);
        assert_eq!(page_of(3, 3), 2);
        assert_eq!(page_of(6, 3), 3);
        assert_eq!(page_dir("timeline/2020/", 1), "timeline/2020/");
        assert_eq!(
            page_file("timeline/2020/", 3),
            "timeline/2020/page/3/index.html"
        );
    }
}
