// Browser-test harness for the built sitrep site.
//
// - siteRoot(): the directory to test. SITREP_TEST_SITE if set; otherwise the site is built
//   with `cargo run --release -q -- build --output <tmp> --base-url http://localhost/sitrep/`.
// - startServer(): an in-process static file server on 127.0.0.1 (free port) that serves the
//   site under the /sitrep/ prefix, so the sub-path is exercised.
// - openBrowser() / newPage(): headless Debian Chromium through playwright-core; every request,
//   console error and page error is recorded, with assertions for "no request to another host"
//   and "no console errors".
//
// Layout of SITREP_TEST_SITE: either the output directory itself (index.html, map/, data/ …
// at its top: served under /sitrep/), or a directory that holds a `sitrep/` folder with the
// site in it (served from the server root, so /sitrep/ is that folder).

import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const PREFIX = '/sitrep/';
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CHROMIUM = process.env.SITREP_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

// The pages' Content-Security-Policy, also sent as a header so map.js is always tested under it.
export const CSP = "default-src 'self'";

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.geojson': 'application/geo+json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json; charset=utf-8',
  '.pdf': 'application/pdf',
};

let builtSite = null;

/** The directory that holds the built site (see the header comment). */
export function siteRoot() {
  if (process.env.SITREP_TEST_SITE) return resolve(process.env.SITREP_TEST_SITE);
  if (builtSite) return builtSite;
  const out = mkdtempSync(join(tmpdir(), 'sitrep-site-'));
  const result = spawnSync('cargo', ['run', '--release', '-q', '--', 'build', '--output', out,
    '--base-url', 'http://localhost/sitrep/'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`sitrep build failed with exit code ${result.status}`);
  builtSite = out;
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  return out;
}

/** How URLs map onto the directory: { dir, prefix } — requests under `prefix` read from `dir`. */
export function siteMount(root = siteRoot()) {
  const looksLikeSite = (d) => existsSync(join(d, 'index.html')) || existsSync(join(d, 'map')) || existsSync(join(d, 'data'));
  if (!looksLikeSite(root) && looksLikeSite(join(root, 'sitrep'))) {
    return { dir: join(root, 'sitrep'), prefix: PREFIX };
  }
  return { dir: root, prefix: PREFIX };
}

/** Read a file of the built site by its URL path (e.g. "/sitrep/data/map/districts.geojson"). */
export function readSiteFile(urlPath, mount = siteMount()) {
  assert.ok(urlPath.startsWith(mount.prefix), `${urlPath} is not under ${mount.prefix}`);
  return readFileSync(join(mount.dir, decodeURIComponent(urlPath.slice(mount.prefix.length))));
}

export function readSiteJson(urlPath, mount) {
  return JSON.parse(readSiteFile(urlPath, mount).toString('utf8'));
}

export function resolveFile(dir, rel) {
  // rel is the decoded path below the prefix, without a leading slash.
  const target = normalize(join(dir, rel));
  if (target !== dir && !target.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return { status: 403 };
  let st;
  try {
    st = statSync(target);
  } catch {
    return { status: 404 };
  }
  if (st.isDirectory()) {
    if (rel !== '' && !rel.endsWith('/')) return { status: 301, location: true };
    const index = join(target, 'index.html');
    if (existsSync(index)) return { status: 200, file: index };
    return { status: 404 };
  }
  if (st.isFile()) return { status: 200, file: target };
  return { status: 404 };
}

// Text types a static host sends gzip-compressed when the browser accepts it (as GitHub Pages,
// Netlify or nginx with gzip_static do), so transfer sizes measured in tests are realistic.
const COMPRESSIBLE = /^(text\/|application\/(json|geo\+json|xml|atom\+xml|manifest\+json)|image\/svg)/;
const gzipCache = new Map();

function gzipped(file) {
  const { mtimeMs, size } = statSync(file);
  const key = `${file}:${mtimeMs}:${size}`;
  if (!gzipCache.has(key)) gzipCache.set(key, gzipSync(readFileSync(file), { level: 6 }));
  return gzipCache.get(key);
}

/**
 * Start the static server. Returns { origin, url(path), close(), requests } where `requests`
 * lists every request path the server saw ({ method, path, status }). Text files are sent
 * gzip-compressed to clients that accept it (`gzip: false` turns that off).
 */
export async function startServer({ mount = siteMount(), csp = CSP, gzip = true } = {}) {
  const dir = resolve(mount.dir);
  const prefix = mount.prefix;
  const requests = [];
  const server = createServer((req, res) => {
    const send = (status, headers = {}, body = '') => {
      requests.push({ method: req.method, path: req.url, status });
      res.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    } catch {
      return send(400);
    }
    if (pathname.includes('\0')) return send(400);
    if (pathname === prefix.slice(0, -1)) return send(301, { Location: prefix });
    const notFound = () => {
      const page = join(dir, '404.html');
      if (existsSync(page)) {
        return send(404, { 'Content-Type': MIME['.html'], 'Content-Security-Policy': csp }, readFileSync(page));
      }
      return send(404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not found\n');
    };
    if (!pathname.startsWith(prefix)) return notFound();
    const found = resolveFile(dir, pathname.slice(prefix.length));
    if (found.status === 301) return send(301, { Location: `${pathname}/` });
    if (found.status !== 200) return found.status === 404 ? notFound() : send(found.status);
    const type = MIME[extname(found.file).toLowerCase()] || 'application/octet-stream';
    const headers = {
      'Content-Type': type,
      'Content-Length': statSync(found.file).size,
      'X-Content-Type-Options': 'nosniff',
    };
    if (type.startsWith('text/html') && csp) headers['Content-Security-Policy'] = csp;
    requests.push({ method: req.method, path: req.url, status: 200 });
    const compress = gzip && COMPRESSIBLE.test(type) && /\bgzip\b/.test(req.headers['accept-encoding'] || '');
    if (compress) {
      const body = gzipped(found.file);
      res.writeHead(200, {
        'Cache-Control': 'no-store', ...headers, 'Content-Length': body.length, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding',
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    res.writeHead(200, { 'Cache-Control': 'no-store', ...headers });
    if (req.method === 'HEAD') return res.end();
    createReadStream(found.file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    host: `127.0.0.1:${port}`,
    prefix,
    dir,
    requests,
    url: (path = '') => new URL(path.startsWith('/') ? path : prefix + path, origin).href,
    close: () => new Promise((ok) => {
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}

/** Launch Debian's Chromium headless (Playwright makes its own fresh profile). */
export async function openBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set SITREP_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A new page in a new context that records what it does:
 *   log.requests   every request URL the page made
 *   log.failed     requests that failed ({ url, error })
 *   log.responses  { url, status } of every response
 *   log.console    console errors (text + location)
 *   log.pageErrors uncaught exceptions
 *   log.csp        Content-Security-Policy violations the page reported
 *                  (securitypolicyviolation events: directive, blocked URI, source line)
 */
export async function newPage(browser, { viewport = { width: 1280, height: 800 }, ...options } = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  const log = { requests: [], failed: [], responses: [], console: [], pageErrors: [], csp: [] };
  // Every CSP violation is reported to the test through a binding (bindings and init scripts
  // are injected by the DevTools protocol, so the page's CSP does not apply to them).
  await page.exposeBinding('__sitrepCspViolation', (_source, violation) => { log.csp.push(violation); });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__sitrepCspViolation({
        directive: e.violatedDirective, blocked: e.blockedURI, source: `${e.sourceFile}:${e.lineNumber}`,
        sample: e.sample,
      });
    });
  });
  page.on('request', (req) => log.requests.push(req.url()));
  page.on('requestfailed', (req) => log.failed.push({ url: req.url(), error: req.failure()?.errorText }));
  page.on('response', (res) => {
    if (!isRootFavicon(res.url())) log.responses.push({ url: res.url(), status: res.status() });
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      if (isRootFavicon(loc?.url)) return;
      log.console.push(`${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => log.pageErrors.push(String(err && err.stack ? err.stack : err)));
  return { page, context, log };
}

// Chromium asks for /favicon.ico at the host root by itself; a site under a sub-path does not own
// that URL (pages can name their own icon with <link rel="icon" href="{base}…">).
function isRootFavicon(url) {
  try {
    return new URL(url).pathname === '/favicon.ico';
  } catch {
    return false;
  }
}

/** Every request the page made went to the test server (data: and blob: URLs have no host). */
export function assertNoForeignRequests(log, server) {
  const foreign = log.requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank') return false;
    try {
      const url = new URL(u);
      return url.host !== server.host;
    } catch {
      return true;
    }
  });
  assert.deepEqual(foreign, [], `requests to hosts other than ${server.host}`);
}

/** No console errors, no uncaught exceptions, no failed requests, no 4xx/5xx responses. */
export function assertNoConsoleErrors(log) {
  assert.deepEqual(log.pageErrors, [], 'uncaught page errors');
  assert.deepEqual(log.console, [], 'console errors');
}

/** No Content-Security-Policy violation was reported. */
export function assertNoCspViolations(log) {
  assert.deepEqual(log.csp, [], 'Content-Security-Policy violations');
}

export function assertNoFailedRequests(log) {
  assert.deepEqual(log.failed, [], 'failed requests');
  const bad = log.responses.filter((r) => r.status >= 400);
  assert.deepEqual(bad, [], 'responses with an error status');
}

/** Wait until every map element on the page has data-state="ready" (or fail on "error"). */
export async function waitForMap(page, selector = '#map', timeout = 20000) {
  await page.waitForSelector(`${selector}[data-state="ready"], ${selector}[data-state="error"]`, { timeout });
  const state = await page.getAttribute(selector, 'data-state');
  if (state !== 'ready') {
    const message = await page.textContent(`${selector} .map-error`).catch(() => null);
    throw new Error(`map did not become ready: data-state=${state}${message ? ` (${message})` : ''}`);
  }
}

/** Run axe-core (WCAG 2.x A/AA rules) on the page; returns the violations. */
export async function runAxe(page, { exclude = [] } = {}) {
  const source = readFileSync(join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // Injected through the DevTools protocol, so the page's CSP does not block it.
  await page.evaluate(source);
  return page.evaluate(async (excluded) => {
    const context = excluded.length ? { exclude: excluded.map((s) => [s]) } : document;
    const result = await window.axe.run(context, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  }, exclude);
}

/**
 * Every map point of the built site, read from data/map/points/index.json and the year files
 * (independently of the map script), as a GeoJSON-like collection: Point features whose
 * properties are id, title, url, date, date_last, date_label, date_precision, type, type_label,
 * region, actors, killed, killed_max, injured, injured_max, killed_label, injured_label, place,
 * attribution_label.
 */
export function readPoints(mount = siteMount()) {
  const index = readSiteJson(`${PREFIX}data/map/points/index.json`, mount);
  const col = Object.fromEntries(index.fields.map((name, i) => [name, i]));
  const label = (lo, hi) => (lo === null ? 'not reported' : lo === hi || hi === null ? String(lo) : `${lo}\u2013${hi}`);
  const features = [];
  for (const { year } of index.years) {
    const file = readSiteJson(`${PREFIX}data/map/points/${year}.json`, mount);
    for (const row of file.rows) {
      const v = (name) => row[col[name]];
      const [type, typeLabel] = file.dict.type[v('type')];
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [v('lon'), v('lat')] },
        properties: {
          id: v('id'),
          title: v('title'),
          url: `${PREFIX}incidents/${v('id')}/`,
          date: v('date'),
          date_last: v('date_last') || v('date'),
          date_label: v('date_label'),
          date_precision: ['day', 'month', 'year'][v('precision')],
          year,
          type,
          type_label: typeLabel,
          region: file.dict.region[v('region')],
          actors: v('actors').map((a) => file.dict.actor[a][0]),
          killed: v('killed'),
          killed_max: v('killed_max'),
          injured: v('injured'),
          injured_max: v('injured_max'),
          killed_label: label(v('killed'), v('killed_max')),
          injured_label: label(v('injured'), v('injured_max')),
          place: file.dict.place[v('place')],
          attribution_label: file.dict.attribution[v('attribution')],
        },
      });
    }
  }
  return { type: 'FeatureCollection', features, index };
}

/** Count geometries of a FeatureCollection that would be drawn (non-null geometry). */
export function featuresWithGeometry(collection) {
  return collection.features.filter((f) => f && f.geometry && f.geometry.coordinates);
}
