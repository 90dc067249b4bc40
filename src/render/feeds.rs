//! Publishing files: sitemap.xml, the Atom feed of incidents and briefs, robots.txt.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{OutputFile, Site};

/// Entries in the Atom feed.
const FEED_ENTRIES: usize = 50;

/// `paths`: every output path of the site (pages are the `index.html` ones).
pub fn all(site: &Site, paths: &BTreeSet<String>) -> Vec<OutputFile> {
    vec![sitemap(site, paths), atom(site), robots(site)]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn sitemap(site: &Site, paths: &BTreeSet<String>) -> OutputFile {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut paths: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| p.ends_with("index.html"))
        .collect();
    paths.sort_unstable();
    for path in paths {
        let url = site
            .config
            .absolute_url(path.trim_end_matches("index.html"));
        out.push_str(&format!("  <url><loc>{}</loc></url>\n", xml_escape(&url)));
    }
    out.push_str("</urlset>\n");
    OutputFile {
        path: "sitemap.xml".into(),
        bytes: out.into_bytes(),
    }
}

fn atom(site: &Site) -> OutputFile {
    struct Entry {
        date: NaiveDate,
        title: String,
        url: String,
        summary: String,
    }
    let mut entries: Vec<Entry> = site
        .atlas
        .incidents
        .iter()
        .map(|i| Entry {
            date: i.updated.unwrap_or(i.date),
            title: format!("{} ({})", i.title, site.date_label(i)),
            url: site.config.absolute_url(&format!("incidents/{}/", i.id)),
            summary: super::markdown::to_text(&i.summary),
        })
        .chain(site.atlas.briefs.iter().map(|b| Entry {
            date: b.updated.unwrap_or(b.date),
            title: format!("Brief: {}", b.title),
            url: site.config.absolute_url(&format!("briefs/{}/", b.slug)),
            summary: b.summary.clone(),
        }))
        .collect();
    entries.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.url.cmp(&b.url)));
    entries.truncate(FEED_ENTRIES);
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
