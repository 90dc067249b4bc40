//! Publishing files: sitemap.xml, the Atom feed of incidents and briefs, robots.txt.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{OutputFile, Site};

/// Entries in the Atom feed.
const FEED_ENTRIES: usize = 50;

/// `paths`: every output path of the site (pages are the `index.html` ones).
pub fn all(site: &Site, paths: &BTreeSet<String>) -> Vec<OutputFile> {
    let mut files = sitemaps(site, paths, SITEMAP_MAX_URLS);
    files.push(atom(site));
    files.push(robots(site));
    files
}

/// Escapes text for XML, leaving out the characters XML 1.0 cannot hold even escaped (control
/// characters but tab and line breaks; `check` refuses them in content, this keeps the feed
/// well-formed whatever reaches it).
fn xml_escape(s: &str) -> String {
    let s: std::borrow::Cow<str> = if s.chars().any(is_not_xml) {
        s.chars()
            .filter(|&c| !is_not_xml(c))
            .collect::<String>()
            .into()
    } else {
        s.into()
    };
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn is_not_xml(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// The sitemap protocol's limit of URLs per sitemap file.
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// `sitemap.xml` listing every page; with more than `max_urls` pages, a sitemap index
/// pointing at `sitemap-1.xml`, `sitemap-2.xml` … of at most `max_urls` URLs each.
fn sitemaps(site: &Site, paths: &BTreeSet<String>, max_urls: usize) -> Vec<OutputFile> {
    let mut pages: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| p.ends_with("index.html"))
        .map(|p| p.trim_end_matches("index.html"))
        .collect();
    pages.sort_unstable();
    split_sitemaps(&pages, max_urls, &|p| site.config.absolute_url(p))
}

/// The sitemap files for the site-relative `pages`, `absolute` making their URLs.
fn split_sitemaps(
    pages: &[&str],
    max_urls: usize,
    absolute: &dyn Fn(&str) -> String,
) -> Vec<OutputFile> {
    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    const NS: &str = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";
    let urlset = |pages: &[&str]| {
        let mut out = format!("{XML}<urlset {NS}>\n");
        for path in pages {
            out.push_str(&format!(
                "  <url><loc>{}</loc></url>\n",
                xml_escape(&absolute(path))
            ));
        }
        out.push_str("</urlset>\n");
        out.into_bytes()
    };
    let max_urls = max_urls.max(1);
    if pages.len() <= max_urls {
        return vec![OutputFile {
            path: "sitemap.xml".into(),
            bytes: urlset(pages),
        }];
    }
    let mut files = Vec::new();
    let mut index = format!("{XML}<sitemapindex {NS}>\n");
    for (n, chunk) in pages.chunks(max_urls).enumerate() {
        let path = format!("{SITEMAP_PART_PREFIX}{}.xml", n + 1);
        index.push_str(&format!(
            "  <sitemap><loc>{}</loc></sitemap>\n",
            xml_escape(&absolute(&path))
        ));
        files.push(OutputFile {
            path,
            bytes: urlset(chunk),
        });
    }
    index.push_str("</sitemapindex>\n");
    files.push(OutputFile {
        path: "sitemap.xml".into(),
        bytes: index.into_bytes(),
    });
    files
}

/// The parts of a split sitemap are `sitemap-1.xml`, `sitemap-2.xml` …
pub const SITEMAP_PART_PREFIX: &str = "sitemap-";

fn atom(site: &Site) -> OutputFile {
    struct Entry {
        date: NaiveDate,
        title: String,
        url: String,
        summary: String,
    }
    // The newest entries, by date then address, chosen before any entry is written out.
    enum Item<'a> {
        Incident(&'a crate::atlas::Incident),
        Brief(&'a crate::atlas::Brief),
    }
    let mut items: Vec<(NaiveDate, String, Item)> = site
        .atlas
        .incidents
        .iter()
        .map(|i| {
            let date = i.updated.unwrap_or(i.date);
            (date, format!("incidents/{}/", i.id), Item::Incident(i))
        })
        .chain(site.atlas.briefs.iter().map(|b| {
            let date = b.updated.unwrap_or(b.date);
            (date, format!("briefs/{}/", b.slug), Item::Brief(b))
        }))
        .collect();
    let newest_first = |a: &(NaiveDate, String, Item), b: &(NaiveDate, String, Item)| {
        b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1))
    };
    if items.len() > FEED_ENTRIES {
        items.select_nth_unstable_by(FEED_ENTRIES - 1, newest_first);
        items.truncate(FEED_ENTRIES);
    }
    items.sort_by(newest_first);
    let entries: Vec<Entry> = items
        .into_iter()
        .map(|(date, path, item)| match item {
            Item::Incident(i) => Entry {
                date,
                title: format!("{} ({})", i.title, site.date_label(i)),
                url: site.config.absolute_url(&path),
                summary: super::markdown::to_text(&i.summary),
            },
            Item::Brief(b) => Entry {
                date,
                title: format!("Brief: {}", b.title),
                url: site.config.absolute_url(&path),
                summary: b.summary.clone(),
            },
        })
        .collect();
    let updated = entries
        .iter()
        .map(|e| e.date)
        .max()
        .unwrap_or(NaiveDate::MIN);
    let cfg = site.config;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "  <title>{}</title>\n",
        xml_escape(&cfg.site.title)
    ));
    out.push_str(&format!("  <id>{}</id>\n", xml_escape(&cfg.base_url)));
    out.push_str(&format!(
        "  <link href=\"{}\"/>\n",
        xml_escape(&cfg.base_url)
    ));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{}\"/>\n",
        xml_escape(&cfg.absolute_url("atom.xml"))
    ));
    out.push_str(&format!("  <updated>{updated}T00:00:00Z</updated>\n"));
    out.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml_escape(&cfg.site.title)
    ));
    for e in entries {
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <title>{}</title>\n", xml_escape(&e.title)));
        out.push_str(&format!("    <id>{}</id>\n", xml_escape(&e.url)));
        out.push_str(&format!("    <link href=\"{}\"/>\n", xml_escape(&e.url)));
        out.push_str(&format!("    <updated>{}T00:00:00Z</updated>\n", e.date));
        out.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml_escape(&e.summary)
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    OutputFile {
        path: "atom.xml".into(),
        bytes: out.into_bytes(),
    }
}

fn robots(site: &Site) -> OutputFile {
    let text = format!(
        "User-agent: *\nAllow: /\nSitemap: {}\n",
        site.config.absolute_url("sitemap.xml")
    );
    OutputFile {
        path: "robots.txt".into(),
        bytes: text.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escape_leaves_out_what_xml_cannot_hold() {
        assert_eq!(
            super::xml_escape("a\u{c}b\u{0}c\td <&>"),
            "abc\td &lt;&amp;&gt;"
        );
    }

    use super::split_sitemaps;

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).expect("utf8")
    }

    #[test]
    fn small_sites_have_one_sitemap() {
        let files = split_sitemaps(&["", "map/"], 2, &|p| format!("https://x.org/a/{p}"));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "sitemap.xml");
        let xml = text(&files[0].bytes);
        assert!(xml.contains("<urlset"));
        assert!(xml.contains("<loc>https://x.org/a/</loc>"));
        assert!(xml.contains("<loc>https://x.org/a/map/</loc>"));
    }

    #[test]
    fn large_sites_get_a_sitemap_index() {
        let pages = ["", "a/", "b/", "c/", "d/"];
        let files = split_sitemaps(&pages, 2, &|p| format!("https://x.org/{p}"));
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml",
                "sitemap.xml"
            ]
        );
        let index = text(&files[3].bytes);
        assert!(index.contains("<sitemapindex"));
        assert_eq!(index.matches("<sitemap>").count(), 3);
        assert!(index.contains("<loc>https://x.org/sitemap-3.xml</loc>"));
        // Every page once, at most two per part.
        let mut seen = Vec::new();
        for f in &files[..3] {
            let xml = text(&f.bytes);
            let n = xml.matches("<url>").count();
            assert!((1..=2).contains(&n), "{}: {n} URLs", f.path);
            seen.extend(
                xml.split("<loc>")
                    .skip(1)
                    .map(|s| s.split('<').next().unwrap_or("").to_string()),
            );
        }
        let want: Vec<String> = pages.iter().map(|p| format!("https://x.org/{p}")).collect();
        assert_eq!(seen, want);
    }
}
