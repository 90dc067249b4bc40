//! Integration tests of `sitrep build` on the fixture site: pages, figures, links, base path,
//! determinism and atomic failure.

mod common;

use common::{fixture_site, read_tree, sitrep, text};

fn build(root: &std::path::Path, out: &std::path::Path, base: &str) -> std::process::Output {
    sitrep(
        root,
        &[
            "build",
            "--output",
            out.to_str().expect("utf8 path"),
            "--base-url",
            base,
        ],
    )
}

#[test]
fn builds_every_page_with_right_figures() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    let result = build(site.path(), &out, "https://example.org/atlas/");
    assert!(result.status.success(), "{}", text(&result));
    for page in [
        "index.html",
        "map/index.html",
        "timeline/index.html",
        "regions/index.html",
        "regions/northland/index.html",
        "regions/northland/alpha/index.html",
        "regions/northland/beta/index.html",
        "regions/southland/gamma/index.html",
        "regions/afghanistan/index.html",
        "incidents/index.html",
        "incidents/2023-05-10-alpha-market/index.html",
        "briefs/overview/index.html",
        "actors/group-a/index.html",
        "actors/group-a-faction/index.html",
        "about/index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "robots.txt",
        "data/incidents.csv",
        "data/incidents.json",
        "data/incidents.geojson",
        "data/map/districts.geojson",
        "data/map/provinces.geojson",
        "data/map/context.geojson",
        "data/map/points/index.json",
        "data/map/points/2023.json",
        "data/map/points/2024.json",
        "data/map/clusters/3.json",
        "timeline/2023/index.html",
        "timeline/2024/index.html",
        "vendor/leaflet/leaflet.js",
        "static/js/map.js",
        "static/css/site.css",
    ] {
        assert!(out.join(page).is_file(), "missing {page}");
    }
    let home = std::fs::read_to_string(out.join("index.html")).expect("home");
    // 4 incidents; killed 10–12 + 5 + 3 + 20 = 38–40; injured 30.
    assert!(home.contains(">4<"), "incident count on home");
    assert!(home.contains("38–40"), "killed range on home");
    let northland =
        std::fs::read_to_string(out.join("regions/northland/index.html")).expect("province");
    assert!(
        northland.contains("15–17"),
        "Northland killed: 10–12 (Alpha) + 5 (Beta, via alias)"
    );
    assert!(
        northland.contains("Northland is the northern synthetic province"),
        "region note shown"
    );
    let incident =
        std::fs::read_to_string(out.join("incidents/2024-03-01-beta-police-post/index.html"))
            .expect("incident");
    assert!(
        incident.contains("March 2024"),
        "month precision shown as month"
    );
    assert!(
        incident.contains("badge--disputed"),
        "attribution status shown"
    );
    let gamma = std::fs::read_to_string(out.join("incidents/2024-07-04-gamma-clash/index.html"))
        .expect("gamma");
    assert!(!gamma.contains("<script>alert"), "raw script stripped");
    let districts: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("data/map/districts.geojson")).expect("districts"),
    )
    .expect("json");
    let features = districts["features"].as_array().expect("features");
    assert_eq!(features.len(), 3);
    let alpha = features
        .iter()
        .find(|f| f["properties"]["name"] == "Alpha")
        .expect("Alpha");
    assert_eq!(alpha["properties"]["incidents"], 1);
    assert_eq!(alpha["properties"]["province"], "Northland");
    let csv = std::fs::read_to_string(out.join("data/incidents.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 5, "header + 4 incidents");
    let atom = std::fs::read_to_string(out.join("atom.xml")).expect("atom");
    assert!(atom.contains("https://example.org/atlas/incidents/2024-08-01-abroad/"));
}

#[test]
fn every_internal_link_resolves_under_the_base_path() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    let result = build(site.path(), &out, "https://example.org/sub/path/");
    assert!(result.status.success(), "{}", text(&result));
    let mut checked = 0;
    for (path, bytes) in read_tree(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).expect("utf8 html");
        for link in common::links(&html) {
            if link.starts_with("https://")
                || link.starts_with("http://")
                || link.starts_with('#')
                || link.starts_with("mailto:")
            {
                continue;
            }
            let site_path = link
                .strip_prefix("/sub/path/")
                .unwrap_or_else(|| panic!("{path}: link {link} does not start with the base path"));
            let site_path = site_path.split(['#', '?']).next().unwrap_or("");
            let target = if site_path.is_empty() || site_path.ends_with('/') {
                out.join(site_path).join("index.html")
            } else {
                out.join(site_path)
            };
            assert!(target.is_file(), "{path}: link {link} leads nowhere");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} links checked");
}

#[test]
fn output_is_byte_identical_across_builds() {
    let site = fixture_site("minimal");
    let a = site.path().join("a");
    let b = site.path().join("b");
    assert!(build(site.path(), &a, "https://example.org/")
        .status
        .success());
    assert!(build(site.path(), &b, "https://example.org/")
        .status
        .success());
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    assert_eq!(ta.len(), tb.len());
    for ((pa, ba), (pb, bb)) in ta.iter().zip(&tb) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{pa} differs between builds");
    }
}

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    assert!(build(site.path(), &out, "https://example.org/")
        .status
        .success());
    let before = read_tree(&out);
    let incident = site
        .path()
        .join("content/incidents/2024/2024-07-04-gamma-clash.toml");
    let broken = std::fs::read_to_string(&incident)
        .expect("read")
        .replace("killed = 3", "killed = -3");
    std::fs::write(&incident, broken).expect("write");
    let result = build(site.path(), &out, "https://example.org/");
    assert_eq!(result.status.code(), Some(1), "{}", text(&result));
    let message = text(&result);
    assert!(
        message.contains("content/incidents/2024/2024-07-04-gamma-clash.toml:"),
        "{message}"
    );
    assert!(message.contains("negative-figure"), "{message}");
    assert_eq!(
        read_tree(&out),
        before,
        "output changed after a failed build"
    );
    let siblings: Vec<_> = std::fs::read_dir(site.path())
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(
        !siblings
            .iter()
            .any(|n| n.to_string_lossy().starts_with(".sitrep")),
        "staging left behind: {siblings:?}"
    );
}

#[test]
fn refuses_to_replace_a_folder_it_did_not_make() {
    let site = fixture_site("minimal");
    let out = site.path().join("notes");
    std::fs::create_dir_all(out.join("sub")).expect("mkdir");
    std::fs::write(out.join("sub/precious.txt"), "keep").expect("write");
    let before = read_tree(&out);
    let result = build(site.path(), &out, "https://example.org/");
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(text(&result).contains("not made by sitrep"));
    assert_eq!(read_tree(&out), before);
}

#[test]
fn checksum_mismatch_is_an_error() {
    let site = fixture_site("minimal");
    let config_path = site.path().join("sitrep.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let config = config.replace(
        "7bb4d5f5e0739d40beee0c2f7885744ee94f399e9789fde66711e3b3b501c705",
        &"0".repeat(64),
    );
    std::fs::write(&config_path, config).expect("write");
    let result = build(
        site.path(),
        &site.path().join("public"),
        "https://example.org/",
    );
    assert_eq!(result.status.code(), Some(2));
    let message = text(&result);
    assert!(
        message.contains("sha256") || message.contains("checksum"),
        "{message}"
    );
    assert!(!site.path().join("public").exists());
}

/// The file of the fixture's own warning (raw HTML in a summary).
const FIXTURE_WARNING_FILE: &str = "content/incidents/2024/2024-07-04-gamma-clash.toml";

/// A context layer with a self-intersecting feature: `check` reports it as a warning on the
/// layer file, `build` prints it, and `accept_invalid` in the
/// layer's declaration quiets it.
#[test]
fn an_invalid_boundary_is_a_warning_on_its_file_until_accepted() {
    let site = fixture_site("minimal");
    // The fixture's mirror, with a bow tie added to the context layer.
    let mirror = site.path().join("mirror");
    common::copy_dir(&common::repo_root().join("tests/fixtures/geo"), &mirror);
    let context = mirror.join("context.geojson");
    let mut layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&context).expect("fixture")).expect("json");
    layer["features"]
        .as_array_mut()
        .expect("features")
        .push(serde_json::json!({
            "type": "Feature",
            "properties": {"shapeName": "Bowland", "shapeGroup": "BOW"},
            "geometry": {"type": "Polygon", "coordinates":
                [[[10.0, 10.0], [14.0, 10.0], [14.0, 14.0], [10.0, 14.0], [12.0, 9.0], [10.0, 10.0]]]}
        }));
    let bytes = serde_json::to_vec(&layer).expect("json");
    std::fs::write(&context, &bytes).expect("write");
    let config_path = site.path().join("sitrep.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let config = config
        .replace(
            "66008c52b47dfd0562bb3a41f8974abfb48c5d5ee167f7451a90a6bd9110f27e",
            &sitrep::geo::sha256_hex(&bytes),
        )
        .lines()
        .map(|line| match line.starts_with("mirror = ") {
            true => format!("mirror = {:?}", mirror.display().to_string()),
            false => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config_path, &config).expect("write");

    let (code, doc) = common::check_json(site.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    let found: Vec<_> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["file"].as_str() != Some(FIXTURE_WARNING_FILE))
        .map(|d| {
            (
                d["file"].as_str(),
                d["kind"].as_str(),
                d["severity"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            Some("geodata/context.geojson"),
            Some("invalid-boundary"),
            Some("warning")
        )],
        "{doc}"
    );
    let message = doc["diagnostics"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("feature #1 'Bowland'"), "{message}");
    // It counts as a warning (the fixture has one of its own).
    assert_eq!(doc["warnings"], serde_json::json!(2), "{doc}");
    let out = site.path().join("public");
    let result = build(site.path(), &out, "https://example.org/");
    assert!(result.status.success(), "{}", text(&result));
    assert!(
        text(&result).contains("geodata/context.geojson: warning[invalid-boundary]"),
        "{}",
        text(&result)
    );

    let accepted: String = config.replace(
        "iso_property = \"shapeGroup\"",
        "iso_property = \"shapeGroup\"\naccept_invalid = [\"Bowland\"]",
    );
    std::fs::write(&config_path, &accepted).expect("write");
    let (code, doc) = common::check_json(site.path(), &[]);
    assert_eq!(
        (code, &doc["warnings"]),
        (0, &serde_json::json!(1)),
        "{doc}"
    );
    let result = build(site.path(), &out, "https://example.org/");
    assert!(
        result.status.success() && !text(&result).contains("geodata/"),
        "{}",
        text(&result)
    );

    // A name there that the layer lacks is told at its place in sitrep.toml.
    let stale = accepted.replace("[\"Bowland\"]", "[\"Bowland\", \"Nowhere\"]");
    std::fs::write(&config_path, &stale).expect("write");
    let (_, doc) = common::check_json(site.path(), &[]);
    let line = stale
        .lines()
        .position(|l| l.contains("Nowhere"))
        .expect("written")
        + 1;
    let told: Vec<_> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["kind"] == "accept-invalid-unused")
        .map(|d| (d["file"].clone(), d["line"].clone(), d["column"].clone()))
        .collect();
    assert_eq!(
        told,
        [(
            serde_json::json!("sitrep.toml"),
            serde_json::json!(line),
            serde_json::json!(31)
        )],
        "{doc}"
    );
}

#[test]
fn the_shipped_atlas_builds_and_checks_clean() {
    let root = common::repo_root();
    if !root.join("../shared/geodata").is_dir()
        && std::env::var_os("SITREP_GEODATA_MIRROR").is_none()
    {
        eprintln!("skipped: no geodata mirror (../shared/geodata)");
        return;
    }
    let out = tempfile::tempdir().expect("tmp");
    let public = out.path().join("public");
    let result = common::sitrep_today(
        &root,
        &[
            "build",
            "--output",
            public.to_str().expect("utf8"),
            "--base-url",
            "https://example.org/atlas/",
        ],
    );
    assert!(result.status.success(), "{}", text(&result));
    let check = common::sitrep_today(&root, &["check", "--deny-warnings"]);
    assert!(check.status.success(), "{}", text(&check));
    // Every province and district of the geodata has a page.
    let districts: serde_json::Value = serde_json::from_slice(
        &std::fs::read(public.join("data/map/districts.geojson")).expect("districts"),
    )
    .expect("json");
    let features = districts["features"].as_array().expect("features");
    assert_eq!(features.len(), 126);
    for f in features {
        let url = f["properties"]["url"].as_str().expect("url");
        let rel = url.strip_prefix("/atlas/").expect("base path");
        assert!(
            public.join(rel).join("index.html").is_file(),
            "no page for {url}"
        );
        assert!(
            f["properties"]["province"].is_string(),
            "district without province: {}",
            f["properties"]["name"]
        );
    }
    // Every country's page fits its map to something the size of a country: Russia's outline
    // crosses the antimeridian (its box is the whole world), so its page fits its incidents.
    for country in ["afghanistan", "india", "russia", "punjab"] {
        let page = std::fs::read_to_string(public.join("regions").join(country).join("index.html"))
            .expect("country page");
        let bounds = page
            .split("data-bounds=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the map has bounds");
        let corners: Vec<Vec<f64>> = serde_json::from_str(bounds).expect("bounds are JSON");
        let width = corners[1][1] - corners[0][1];
        assert!(
            width > 0.0 && width < 90.0,
            "{country}: the map is fitted to {width}° of longitude ({bounds})"
        );
    }
    let peshawar =
        std::fs::read_to_string(public.join("regions/khyber-pakhtunkhwa/peshawar/index.html"))
            .expect("peshawar");
    assert!(
        peshawar.contains("Police Lines") || peshawar.contains("mosque"),
        "Peshawar page lists its incidents"
    );
}

/// Each incident's list entry is rendered once per build with the theme's own
/// `incident_item` component and handed to the lists as `item_html`: a theme that changes the
/// component changes every list, and the site is byte for byte what the lists would make by
/// calling the component themselves.
#[test]
fn lists_show_the_themes_incident_item_once_rendered() {
    let site = fixture_site("minimal");
    let theme = site.path().join("themes/custom");
    common::copy_tree(&common::repo_root().join("themes/default"), &theme);
    let components = theme.join("templates/components.html");
    let text_before = std::fs::read_to_string(&components).expect("read components");
    let marked = text_before.replacen(
        r#"<span class="incident-list__when">"#,
        r#"<span class="incident-list__when" data-custom="{{ i.id }}">"#,
        1,
    );
    assert_ne!(marked, text_before, "the component's markup changed");
    std::fs::write(&components, &marked).expect("write components");
    common::set_theme(site.path(), "./themes/custom");
    let memo = site.path().join("memo");
    let result = build(site.path(), &memo, "https://example.org/");
    assert!(result.status.success(), "{}", text(&result));

    let mut lists = 0;
    for (path, bytes) in read_tree(&memo) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(&bytes);
        let items = html.matches("incident-list__item").count();
        assert_eq!(html.matches("data-custom=").count(), items, "{path}");
        lists += usize::from(items > 0);
    }
    assert!(lists >= 5, "only {lists} pages list incidents");

    // The same theme with the lists calling the component for every entry.
    for entry in walkdir::WalkDir::new(theme.join("templates")) {
        let path = entry.expect("walk theme").into_path();
        if path.extension().is_some_and(|e| e == "html") {
            let listed = std::fs::read_to_string(&path).expect("read template");
            std::fs::write(&path, listed.replace("i.item_html", "i.no_such_field"))
                .expect("write template");
        }
    }
    let called = site.path().join("called");
    let result = build(site.path(), &called, "https://example.org/");
    assert!(result.status.success(), "{}", text(&result));
    let pages = |dir: &std::path::Path| {
        read_tree(dir)
            .into_iter()
            .filter(|(p, _)| p.ends_with(".html"))
            .collect::<Vec<_>>()
    };
    assert_eq!(pages(&memo), pages(&called));
}

#[test]
fn downloads_hold_every_incident_once_in_each_format() {
    let site = fixture_site("minimal");
    let out = site.path().join("public");
    let result = build(site.path(), &out, "https://example.org/atlas/");
    assert!(result.status.success(), "{}", text(&result));
    let read_json = |path: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join(path)).expect(path)).expect(path)
    };
    let json = read_json("data/incidents.json");
    let incidents = json["incidents"].as_array().expect("incidents");
    let ids: Vec<&str> = incidents.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "2023-05-10-alpha-market",
            "2024-03-01-beta-police-post",
            "2024-07-04-gamma-clash",
            "2024-08-01-abroad"
        ]
    );
    assert!(json["license"].is_string() && json["title"].is_string());
    assert!(json["attribution"].is_string());
    let geojson = read_json("data/incidents.geojson");
    assert_eq!(geojson["type"], "FeatureCollection");
    let features = geojson["features"].as_array().expect("features");
    assert_eq!(features.len(), incidents.len());
    for (feature, incident) in features.iter().zip(incidents) {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(
            &feature["properties"], incident,
            "same record in both files"
        );
        match (incident["lon"].as_f64(), incident["lat"].as_f64()) {
            (Some(lon), Some(lat)) => {
                assert_eq!(feature["geometry"]["type"], "Point");
                assert_eq!(
                    feature["geometry"]["coordinates"],
                    serde_json::json!([lon, lat])
                );
            }
            _ => assert!(feature["geometry"].is_null(), "{feature}"),
        }
    }
    let csv = std::fs::read_to_string(out.join("data/incidents.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 5, "header + 4 incidents");
    let atom = std::fs::read_to_string(out.join("atom.xml")).expect("atom");
    assert!(atom.contains("https://example.org/atlas/incidents/2024-08-01-abroad/"));
}

#[test]
fn a_template_error_is_a_positioned_diagnostic_in_every_check_format() {
    let site = fixture_site("minimal");
    let theme = site.path().join("theme");
    common::copy_dir(&common::repo_root().join("themes/default"), &theme);
    common::set_theme(site.path(), "./theme");
    let base = theme.join("templates/base.html");
    let text_before = std::fs::read_to_string(&base).expect("read");
    let broken = text_before.replacen("<main", "{{ nosuch.var.x }}<main", 1);
    assert_ne!(broken, text_before);
    let line = broken[..broken.find("{{ nosuch").expect("inserted")]
        .matches('\n')
        .count()
        + 1;
    std::fs::write(&base, broken).expect("write");
    let json = sitrep(site.path(), &["check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2), "{}", text(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["file"], "theme/templates/base.html", "{doc:#}");
    assert_eq!(d["line"], line, "{doc:#}");
    assert_eq!(d["column"], 4, "{doc:#}");
    assert_eq!(d["kind"], "template-error", "{doc:#}");
    assert!(
        d["message"].as_str().unwrap_or("").contains("nosuch"),
        "{doc:#}"
    );
    let github = sitrep(site.path(), &["check", "--format", "github"]);
    assert!(
        String::from_utf8_lossy(&github.stdout).starts_with(&format!(
            "::error file=theme/templates/base.html,line={line},col=4,title=template-error::"
        )),
        "{}",
        text(&github)
    );
}

#[test]
fn the_sites_static_folder_is_copied_to_the_root_as_it_is() {
    let site = fixture_site("minimal");
    let files = site.path().join("static");
    std::fs::create_dir_all(files.join(".well-known")).expect("mkdir");
    std::fs::write(files.join("CNAME"), "atlas.example.org\n").expect("write");
    std::fs::write(files.join(".nojekyll"), "").expect("write");
    std::fs::write(files.join(".well-known/security.txt"), "Contact: x\n").expect("write");
    let out = site.path().join("public");
    let result = build(site.path(), &out, "https://atlas.example.org/");
    assert!(result.status.success(), "{}", text(&result));
    assert_eq!(
        std::fs::read_to_string(out.join("CNAME")).expect("copied"),
        "atlas.example.org\n"
    );
    assert!(out.join(".nojekyll").is_file());
    assert!(out.join(".well-known/security.txt").is_file());
    // Rebuilt in place: a folder of the static files that starts with a dot is the site's.
    std::fs::write(files.join(".well-known/security.txt"), "Contact: y\n").expect("write");
    std::fs::create_dir_all(files.join(".well-known/pgp")).expect("mkdir");
    std::fs::write(files.join(".well-known/pgp/key.txt"), "k\n").expect("write");
    let result = build(site.path(), &out, "https://atlas.example.org/");
    assert!(result.status.success(), "{}", text(&result));
    assert_eq!(
        std::fs::read_to_string(out.join(".well-known/security.txt")).expect("copied"),
        "Contact: y\n"
    );
    assert!(out.join(".well-known/pgp/key.txt").is_file());
    // A name the site makes itself is refused, with the way out.
    std::fs::write(files.join("robots.txt"), "User-agent: *\n").expect("write");
    let result = build(site.path(), &out, "https://atlas.example.org/");
    assert_eq!(result.status.code(), Some(2), "{}", text(&result));
    assert!(
        text(&result).contains("two outputs would be written to robots.txt"),
        "{}",
        text(&result)
    );
}
