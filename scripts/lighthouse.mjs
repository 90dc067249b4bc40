#!/usr/bin/env node
// Lighthouse figures for the shipped atlas: performance, accessibility, best practices and SEO
// of the home page, /map/, /timeline/, one district page and one incident page, for the mobile
// (Lighthouse's default) and desktop presets.
//
//   node scripts/lighthouse.mjs [--site DIR] [--runs 3] [--preset mobile|desktop|both]
//                               [--out docs/lighthouse.md | --no-write] [--reports DIR]
//                               [--district /regions/…/] [--incident /incidents/…/]
//                               [--only home,map,timeline,district,incident]
//
// Without --site it builds the atlas (target/release/sitrep, `cargo build --release` first if
// missing) into a temporary folder with a base URL of http://127.0.0.1:PORT/sitrep/, the address
// it then serves it at. With --site it serves that folder under the base path its home page's
// canonical link names (e.g. /sitrep/).
//
// The server (below) serves the site the way GitHub Pages serves a project site: under a
// sub-path, with the browser tests' MIME types and path resolution (tests/browser/harness.mjs),
// gzip for text types when the browser accepts it, `Cache-Control: max-age=600`, no
// Content-Security-Policy header (the pages carry theirs in a <meta> element), the site's
// 404.html for what is missing. One exception to the sub-path: the site's robots.txt is also
// served at the host root, where crawlers (and Lighthouse's robots-txt audit) look for it, as
// when the atlas is published at a domain's root; otherwise that audit would not apply.
//
// Every page is audited --runs times (default 3) in a fresh headless Debian Chromium that can
// reach no host but 127.0.0.1; the median score of each category is reported. The table goes to
// stdout and, unless --no-write, between the markers of docs/lighthouse.md together with the
// machine, date and command. Exit code 1 when a median misses a threshold (performance ≥ 95,
// accessibility 100, best practices 100, SEO ≥ 95), 2 on a failure to build, serve or run.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { extname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { CHROMIUM, CHROMIUM_ARGS, MIME, REPO_ROOT, resolveFile } from '../tests/browser/harness.mjs';

const THRESHOLDS = { performance: 95, accessibility: 100, 'best-practices': 100, seo: 95 };
const CATEGORIES = Object.keys(THRESHOLDS);
const CATEGORY_NAMES = { performance: 'Performance', accessibility: 'Accessibility', 'best-practices': 'Best practices', seo: 'SEO' };
const MARK_BEGIN = '<!-- lighthouse:begin (written by scripts/lighthouse.mjs) -->';
const MARK_END = '<!-- lighthouse:end -->';

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error('usage: node scripts/lighthouse.mjs [--site DIR] [--runs N] [--preset mobile|desktop|both] [--out FILE | --no-write] [--reports DIR] [--district PATH] [--incident PATH] [--only NAME,…]');
  console.error('(docs/lighthouse.md describes each flag)');
  process.exit(message ? 2 : 0);
}

let args;
try {
  args = parseArgs({
    options: {
      site: { type: 'string' },
      runs: { type: 'string', default: '3' },
      preset: { type: 'string', default: 'both' },
      out: { type: 'string', default: 'docs/lighthouse.md' },
      'no-write': { type: 'boolean', default: false },
      reports: { type: 'string' },
      district: { type: 'string' },
      incident: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (args.help) usage();
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 15) usage(`--runs must be an integer from 1 to 15, not "${args.runs}"`);
const presets = { mobile: ['mobile'], desktop: ['desktop'], both: ['mobile', 'desktop'] }[args.preset];
if (!presets) usage(`--preset must be mobile, desktop or both, not "${args.preset}"`);
if (!existsSync(CHROMIUM)) {
  console.error(`error: ${CHROMIUM} not found: apt-get install -y chromium (or set SITREP_CHROMIUM)`);
  process.exit(2);
}

// Types GitHub Pages sends gzip-compressed (to a browser that accepts gzip).
const COMPRESSIBLE = /^(text\/|application\/(json|geo\+json|xml|atom\+xml|manifest\+json)|image\/svg\+xml)/;
// GitHub Pages' cache header, the same for every file.
const CACHE_CONTROL = 'max-age=600';

/**
 * Serves `dir` under `prefix` on 127.0.0.1 (a free port). The folder can be given later with
 * setDir(), so the site can be built for the port the server got.
 */
async function startPagesServer(prefix) {
  let dir = null;
  const gzipped = new Map();
  const server = createServer((req, res) => {
    const send = (status, headers, body) => {
      res.writeHead(status, { 'Cache-Control': CACHE_CONTROL, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const sendFile = (status, file, extra = {}) => {
      const type = MIME[extname(file).toLowerCase()] || 'application/octet-stream';
      const headers = { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff', ...extra };
      let body = readFileSync(file);
      if (COMPRESSIBLE.test(type)) {
        headers.Vary = 'Accept-Encoding';
        if (/\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
          if (!gzipped.has(file)) gzipped.set(file, gzipSync(body));
          body = gzipped.get(file);
          headers['Content-Encoding'] = 'gzip';
        }
      }
      send(status, { ...headers, 'Content-Length': body.length }, body);
    };
    const notFound = () => (existsSync(join(dir, '404.html'))
      ? sendFile(404, join(dir, '404.html'))
      : send(404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not found\n'));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' }, '');
    if (!dir) return send(503, {}, '');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    } catch {
      return send(400, {}, '');
    }
    if (pathname.includes('\0')) return send(400, {}, '');
    if (pathname === '/robots.txt' && existsSync(join(dir, 'robots.txt'))) return sendFile(200, join(dir, 'robots.txt'));
    if (pathname === prefix.slice(0, -1)) return send(301, { Location: prefix }, '');
    if (!pathname.startsWith(prefix)) return notFound();
    const found = resolveFile(dir, pathname.slice(prefix.length));
    if (found.status === 301) return send(301, { Location: `${pathname}/` }, '');
    if (found.status === 404) return notFound();
    if (found.status !== 200) return send(found.status, {}, '');
    return sendFile(200, found.file);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    setDir: (d) => { dir = resolve(d); },
    url: (path) => `${origin}${prefix}${path}`,
    close: () => new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** Builds the atlas into a temporary folder for base URL `baseUrl`; returns the folder. */
function buildSite(baseUrl) {
  const bin = join(REPO_ROOT, 'target', 'release', 'sitrep');
  if (!existsSync(bin)) {
    const cargo = spawnSync('cargo', ['build', '--release', '--locked'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (cargo.status !== 0) throw new Error('cargo build --release failed');
  }
  const out = mkdtempSync(join(os.tmpdir(), 'sitrep-lighthouse-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const build = spawnSync(bin, ['--quiet', 'build', '--output', out, '--base-url', baseUrl], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`sitrep build failed with exit code ${build.status}`);
  return out;
}

/** The base path of an already-built site, from the canonical link of its home page. */
function basePathOf(dir) {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) throw new Error(`${index} not found: --site must be a built site`);
  // Attributes in any order, quoted or not (the script must work on any built site).
  const attr = (tag, name) => {
    const m = new RegExp(`\\s${name}=(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
    return m && (m[1] ?? m[2] ?? m[3]);
  };
  const links = readFileSync(index, 'utf8').match(/<link\b[^>]*>/gi) || [];
  const canonical = links.find((tag) => (attr(tag, 'rel') || '').toLowerCase() === 'canonical');
  const href = canonical && attr(canonical, 'href');
  if (!href) throw new Error(`${index} has no <link rel="canonical">: cannot tell the base path`);
  const path = new URL(href.replace(/&amp;/g, '&')).pathname;
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * The pages to audit, as paths below the base path. The district page is the district with
 * the most incidents and the incident page the latest incident, so both are the fullest of
 * their kind; --district and --incident name others.
 */
function pickPages(dir, prefix) {
  const pages = [
    { name: 'home', path: '' },
    { name: 'map', path: 'map/' },
    { name: 'timeline', path: 'timeline/' },
  ];
  const below = (p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p.replace(/^\//, ''));
  let district = args.district && below(args.district);
  if (!district) {
    const geo = JSON.parse(readFileSync(join(dir, 'data', 'map', 'districts.geojson'), 'utf8'));
    const best = geo.features
      .map((f) => f.properties)
      .filter((p) => p.incidents > 0 && p.url)
      .sort((a, b) => b.incidents - a.incidents || a.id.localeCompare(b.id))[0];
    if (!best) throw new Error('no district with incidents in data/map/districts.geojson');
    district = below(best.url);
  }
  let incident = args.incident && below(args.incident);
  if (!incident) {
    const all = JSON.parse(readFileSync(join(dir, 'data', 'incidents.json'), 'utf8'));
    const list = Array.isArray(all) ? all : all.incidents;
    const latest = [...list].sort((a, b) => String(b.date).localeCompare(String(a.date)) || String(a.id).localeCompare(String(b.id)))[0];
    if (!latest) throw new Error('no incident in data/incidents.json');
    incident = `incidents/${latest.id}/`;
  }
  pages.push({ name: 'district', path: district }, { name: 'incident', path: incident });
  for (const p of pages) {
    const file = join(dir, p.path, 'index.html');
    if (!existsSync(file)) throw new Error(`${p.name} page ${p.path}: ${file} not found`);
  }
  if (!args.only) return pages;
  const names = args.only.split(',');
  const unknown = names.filter((n) => !pages.some((p) => p.name === n));
  if (unknown.length) usage(`--only: unknown page ${unknown.join(', ')} (home, map, timeline, district, incident)`);
  return pages.filter((p) => names.includes(p.name));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Audits of a category that lost points in a report: [{ id, title, score, display }]. */
function lostPoints(lhr, category) {
  return lhr.categories[category].auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id])
    .filter((a) => a.score !== null && a.score < 1)
    .map((a) => ({ id: a.id, title: a.title, score: a.score, display: a.displayValue || '' }));
}

function chromiumVersion() {
  try {
    return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  let dir;
  let prefix;
  let server;
  if (args.site) {
    dir = resolve(args.site);
    prefix = basePathOf(dir);
    server = await startPagesServer(prefix);
  } else {
    prefix = '/sitrep/';
    server = await startPagesServer(prefix);
    console.error(`Building the atlas for ${server.origin}${prefix} …`);
    dir = buildSite(`${server.origin}${prefix}`);
  }
  server.setDir(dir);
  const pages = pickPages(dir, prefix);
  if (args.reports) mkdirSync(args.reports, { recursive: true });

  const lhVersion = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'lighthouse', 'package.json'), 'utf8')).version;
  const results = []; // { preset, page, path, runs: [{cat: score}], median: {cat: score}, lost: {cat: [..]} }
  // The browser tests' flags (headless, no sandbox, no GPU, no host but 127.0.0.1 …) plus
  // --disable-dev-shm-usage: not needed where /dev/shm is large, but a container's default
  // 64 MB /dev/shm can crash Chromium's renderer mid-audit. Plain --headless is the new headless
  // mode in current Chromium; Lighthouse needs nothing else.
  const chromeFlags = [...CHROMIUM_ARGS, '--disable-dev-shm-usage'];
  try {
    for (const preset of presets) {
      for (const page of pages) {
        const url = server.url(page.path);
        const entry = { preset, page: page.name, path: prefix + page.path, runs: [], lost: {} };
        for (let run = 1; run <= runs; run += 1) {
          // A fresh browser (and profile) per run: no cache or state carried between runs.
          const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags, logLevel: 'silent' });
          let result;
          try {
            result = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES },
              preset === 'desktop' ? desktopConfig : undefined);
          } finally {
            await chrome.kill();
          }
          const lhr = result?.lhr;
          if (!lhr) throw new Error(`Lighthouse returned no result for ${url}`);
          if (lhr.runtimeError) throw new Error(`Lighthouse failed on ${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
          const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c].score ?? 0) * 100)]));
          entry.runs.push(scores);
          for (const c of CATEGORIES) {
            for (const a of lostPoints(lhr, c)) {
              const key = `${c}:${a.id}`;
              const seen = entry.lost[key];
              entry.lost[key] = { category: c, ...(seen && seen.score <= a.score ? seen : a), runs: (seen?.runs || 0) + 1 };
            }
          }
          if (args.reports) {
            writeFileSync(join(args.reports, `${preset}-${page.name}-${run}.json`), result.report);
          }
          console.error(`  ${preset.padEnd(7)} ${page.name.padEnd(8)} run ${run}/${runs}: ${CATEGORIES.map((c) => `${c} ${scores[c]}`).join(', ')}`);
        }
        entry.median = Object.fromEntries(CATEGORIES.map((c) => [c, median(entry.runs.map((r) => r[c]))]));
        results.push(entry);
      }
    }
  } finally {
    await server.close();
  }

  // The table, with the audits that lost points (in how many runs).
  const header = `| preset | page | path | ${CATEGORIES.map((c) => CATEGORY_NAMES[c]).join(' | ')} |`;
  const rule = `|---|---|---|${CATEGORIES.map(() => '---:').join('|')}|`;
  const misses = [];
  const rows = results.map((r) => {
    const cells = CATEGORIES.map((c) => {
      const ok = r.median[c] >= THRESHOLDS[c];
      if (!ok) misses.push(`${r.preset} ${r.page}: ${CATEGORY_NAMES[c]} ${r.median[c]} < ${THRESHOLDS[c]}`);
      // The range of the runs, where they differ.
      const all = r.runs.map((run) => run[c]);
      const lo = Math.min(...all);
      const hi = Math.max(...all);
      const range = lo === hi ? '' : ` (${lo}–${hi})`;
      return ok ? `${r.median[c]}${range}` : `**${r.median[c]}** ✗${range}`;
    });
    return `| ${r.preset} | ${r.page} | \`${r.path}\` | ${cells.join(' | ')} |`;
  });
  const table = [header, rule, ...rows].join('\n');
  const lostLines = [];
  for (const r of results) {
    for (const l of Object.values(r.lost)) {
      lostLines.push(`- ${r.preset} ${r.page}, ${CATEGORY_NAMES[l.category]}: \`${l.id}\` (${l.title}) worst score ${Math.round(l.score * 100) / 100}${l.display ? ` (${l.display})` : ''}, in ${l.runs} of ${runs} runs`);
    }
  }
  console.log(table);
  console.log('');
  console.log(lostLines.length ? `Audits that lost points:\n${lostLines.join('\n')}` : 'No audit lost points in any run.');
  console.log('');
  console.log(misses.length ? `Thresholds missed:\n${misses.map((m) => `- ${m}`).join('\n')}` : 'Every page meets the thresholds (performance ≥ 95, accessibility 100, best practices 100, SEO ≥ 95).');

  if (!args['no-write']) {
    const cpus = os.cpus();
    const command = ['node', relative(REPO_ROOT, process.argv[1]), ...process.argv.slice(2)].join(' ');
    const block = [
      MARK_BEGIN,
      `Measured ${new Date().toISOString().slice(0, 10)} with \`${command}\`: Lighthouse ${lhVersion}, ${chromiumVersion()}, Node ${process.version}, on ${os.type()} ${os.release()} with ${cpus.length} × ${cpus[0]?.model?.trim() || 'unknown CPU'} and ${Math.round(os.totalmem() / 2 ** 30)} GiB of memory (load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} at the end). Median of ${runs} run${runs === 1 ? '' : 's'} per page and preset; where the runs differ, their range follows in brackets.`,
      '',
      table,
      '',
      lostLines.length ? `Audits that lost points in at least one run:\n\n${lostLines.join('\n')}` : 'No audit lost points in any run.',
      MARK_END,
    ].join('\n');
    const out = resolve(REPO_ROOT, args.out);
    let doc = existsSync(out) ? readFileSync(out, 'utf8') : `# Lighthouse\n\n${MARK_BEGIN}\n${MARK_END}\n`;
    const begin = doc.indexOf(MARK_BEGIN);
    const end = doc.indexOf(MARK_END);
    if (begin < 0 || end < begin) throw new Error(`${out} has no "${MARK_BEGIN}" … "${MARK_END}" block to replace`);
    doc = doc.slice(0, begin) + block + doc.slice(end + MARK_END.length);
    writeFileSync(out, doc);
    console.error(`Wrote ${relative(REPO_ROOT, out)}`);
  }
  return misses.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`error: ${err.message}`);
  process.exit(2);
});
