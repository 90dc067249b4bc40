#!/usr/bin/env python3
"""Writes a Hugo site equivalent to a sitrep site, for scripts/bench-scale.sh.

usage: scripts/hugo-site.py SITREP_SITE HUGO_SITE

Reads the incidents and actors of SITREP_SITE (e.g. one written by `sitrep synth`) and writes
a minimal Hugo site with the same pages: one page per incident (title, date, place, type,
targets, figures, perpetrators, summary as Markdown, sources), region and actor listing pages
through taxonomies (one page per district, province and actor listing its incidents, plus the
index of each taxonomy), one timeline page listing every incident by year, and a home page.
Feeds and the sitemap are limited to what sitrep makes (one site feed, one sitemap).
HUGO_SITE must not exist or be a folder this script wrote (it is replaced).
"""

import json
import os
import shutil
import sys
import tomllib

MARKER = ".hugo-bench-site"

CONFIG = """\
baseURL = "https://example.org/synth/"
languageCode = "en"
title = "Synthetic atlas (Hugo)"
disableKinds = []
enableRobotsTXT = true

[taxonomies]
region = "regions"
actor = "actors"
type = "types"

[outputs]
home = ["HTML", "RSS"]
section = ["HTML"]
page = ["HTML"]
taxonomy = ["HTML"]
term = ["HTML"]

[markup.goldmark.renderer]
unsafe = false
"""

BASEOF = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "style.css" | relURL }}">
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav><a href="{{ "timeline/" | relURL }}">Timeline</a> <a href="{{ "regions/" | relURL }}">Regions</a>
<a href="{{ "actors/" | relURL }}">Actors</a> <a href="{{ "incidents/" | relURL }}">Incidents</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>Synthetic data, for benchmarks.</footer>
</body>
</html>
"""

SINGLE = """\
{{ define "main" }}
<article class="incident">
<h1>{{ .Title }}</h1>
<dl>
<dt>Date</dt><dd><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Params.date_label }}</time></dd>
<dt>Place</dt><dd>{{ with .Params.place }}{{ . }}, {{ end }}{{ range $i, $r := .GetTerms "regions" }}{{ if $i }}, {{ end }}<a href="{{ $r.RelPermalink }}">{{ $r.LinkTitle }}</a>{{ end }}</dd>
<dt>Type</dt><dd>{{ range .GetTerms "types" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</dd>
<dt>Targets</dt><dd>{{ delimit .Params.targets ", " }}</dd>
<dt>Killed</dt><dd>{{ .Params.killed | default "unknown" }}</dd>
<dt>Injured</dt><dd>{{ .Params.injured | default "unknown" }}</dd>
{{ with .Params.location }}<dt>Location</dt><dd>{{ .lat }}, {{ .lon }} ({{ .geo_precision }})</dd>{{ end }}
</dl>
{{ with .Params.perpetrators }}<h2>Perpetrators</h2><ul>
{{ range . }}<li><a href="{{ printf "actors/%s/" .actor | relURL }}">{{ .actor }}</a>: {{ .attribution }}{{ with .by }} ({{ . }}){{ end }}</li>{{ end }}
</ul>{{ end }}
<h2>Summary</h2>
{{ .Content }}
{{ with .Params.casualties_note }}<p class="note">{{ . }}</p>{{ end }}
<h2>Sources</h2><ol>
{{ range .Params.sources }}<li>{{ with .url }}<a href="{{ . }}" rel="nofollow">{{ end }}{{ .title }}{{ with .url }}</a>{{ end }}, {{ .publisher }}{{ with .date }}, {{ . }}{{ end }}{{ with .author }} ({{ . }}){{ end }}</li>{{ end }}
</ol>
{{ with .Params.related }}<h2>Related</h2><ul>{{ range . }}<li><a href="{{ printf "incidents/%s/" . | relURL }}">{{ . }}</a></li>{{ end }}</ul>{{ end }}
</article>
{{ end }}
"""

ROW = """<tr><td><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Params.date_label }}</time></td><td><a href="{{ .RelPermalink }}">{{ .Title }}</a></td><td>{{ .Params.place_label }}</td><td>{{ .Params.killed | default "–" }}</td><td>{{ .Params.injured | default "–" }}</td></tr>"""

LIST = (
    """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
<table><thead><tr><th>Date</th><th>Incident</th><th>Place</th><th>Killed</th><th>Injured</th></tr></thead><tbody>
{{ range .Pages.ByDate.Reverse }}"""
    + ROW
    + """{{ end }}
</tbody></table>
{{ end }}
"""
)

TERMS = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
"""

TIMELINE = (
    """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ range (where site.RegularPages "Section" "incidents").GroupByDate "2006" }}
<section><h2>{{ .Key }}</h2><table><tbody>
{{ range .Pages }}"""
    + ROW
    + """{{ end }}
</tbody></table></section>
{{ end }}
{{ end }}
"""
)

HOME = """\
{{ define "main" }}
<h1>{{ site.Title }}</h1>
{{ $incidents := where site.RegularPages "Section" "incidents" }}
<p>{{ len $incidents }} incidents.</p>
<h2>Latest</h2><ul>
{{ range first 8 $incidents.ByDate.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul>
{{ end }}
"""

STYLE = "body{font-family:sans-serif;max-width:60rem;margin:auto}table{border-collapse:collapse}td{padding:0 .5rem}\n"


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"cannot write {v!r} as TOML")


def figure(f):
    if f is None:
        return None
    if isinstance(f, dict):
        return f"{f['min']}–{f['max']}"
    return str(f)


def date_label(d, precision):
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return f"{months[d.month - 1]} {d.year}"
    return f"{d.day} {months[d.month - 1]} {d.year}"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    if os.path.exists(dst):
        if not os.path.isfile(os.path.join(dst, MARKER)):
            sys.exit(f"refusing to replace {dst}: it was not written by {sys.argv[0]}")
        shutil.rmtree(dst)
    os.makedirs(dst)
    write(os.path.join(dst, MARKER), "Written by scripts/hugo-site.py; replaced on every run.\n")
    write(os.path.join(dst, "config.toml"), CONFIG)
    layouts = os.path.join(dst, "layouts")
    write(os.path.join(layouts, "_default/baseof.html"), BASEOF)
    write(os.path.join(layouts, "_default/single.html"), SINGLE)
    write(os.path.join(layouts, "_default/list.html"), LIST)
    write(os.path.join(layouts, "_default/terms.html"), TERMS)
    write(os.path.join(layouts, "_default/taxonomy.html"), TERMS)
    write(os.path.join(layouts, "_default/term.html"), LIST)
    write(os.path.join(layouts, "timeline/list.html"), TIMELINE)
    write(os.path.join(layouts, "index.html"), HOME)
    write(os.path.join(dst, "static/style.css"), STYLE)
    content = os.path.join(dst, "content")
    write(os.path.join(content, "timeline/_index.md"), "+++\ntitle = \"Timeline\"\n+++\n")
    write(os.path.join(content, "incidents/_index.md"), "+++\ntitle = \"Incidents\"\n+++\n")

    actors = {}
    actors_dir = os.path.join(src, "content/actors")
    for name in sorted(os.listdir(actors_dir)):
        if name.endswith(".toml"):
            with open(os.path.join(actors_dir, name), "rb") as f:
                actors[name[:-5]] = tomllib.load(f)
    for slug, actor in actors.items():
        write(os.path.join(content, "actors", slug, "_index.md"),
              f"+++\ntitle = {toml_str(actor['name'])}\n+++\n\n{actor.get('description', '')}\n")

    count = 0
    incidents_dir = os.path.join(src, "content/incidents")
    for year in sorted(os.listdir(incidents_dir)):
        year_dir = os.path.join(incidents_dir, year)
        for name in sorted(os.listdir(year_dir)):
            if not name.endswith(".toml"):
                continue
            with open(os.path.join(year_dir, name), "rb") as f:
                inc = tomllib.load(f)
            slug = name[:-5]
            regions = [r for r in (inc.get("district"), inc.get("province")) if r]
            perps = inc.get("perpetrators", [])
            place = (inc.get("location") or {}).get("name", "")
            fm = {
                "title": inc["title"],
                "date": inc["date"],
                "slug": slug,
                "url": f"/incidents/{slug}/",
                "date_label": date_label(inc["date"], inc.get("date_precision", "day")),
                "place": place,
                "place_label": ", ".join(regions),
                "regions": regions,
                "actors": sorted({p["actor"] for p in perps}),
                "types": [inc["type"]],
                "targets": inc.get("targets", []),
                "tags": inc.get("tags", []),
                "related": inc.get("related", []),
            }
            for key in ("killed", "injured"):
                if inc.get(key) is not None:
                    fm[key] = figure(inc[key])
            if inc.get("casualties_note"):
                fm["casualties_note"] = inc["casualties_note"]
            lines = ["+++"] + [f"{k} = {toml_value(v)}" for k, v in fm.items()]
            if "location" in inc:
                lines.append("[location]")
                lines += [f"{k} = {toml_value(v)}" for k, v in inc["location"].items()]
            for p in perps:
                lines.append("[[perpetrators]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in p.items()]
            for s in inc.get("sources", []):
                lines.append("[[sources]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in s.items()]
            lines.append("+++")
            write(os.path.join(content, "incidents", f"{slug}.md"),
                  "\n".join(lines) + "\n\n" + inc["summary"].strip() + "\n")
            count += 1
    print(f"wrote a Hugo site with {count} incidents and {len(actors)} actors to {dst}")


if __name__ == "__main__":
    main()
