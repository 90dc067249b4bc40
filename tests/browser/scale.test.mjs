// A large atlas: page sizes, paged lists, and the map loading its data on demand.
//
// The site is generated (tests/browser/gen-site.mjs: SITREP_SCALE_INCIDENTS incidents, default
// 6000, over 2020–2022 and the real districts) and built with the default page sizes; or
// SITREP_SCALE_SITE names a built output folder (e.g. of 100,000 incidents, see
// docs/site-layout.md) to check instead. Expected values come from the built files, read
// independently of the page scripts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PREFIX, REPO_ROOT, assertNoConsoleErrors, assertNoCspViolations, assertNoFailedRequests, assertNoForeignRequests,
  newPage, openBrowser, readPoints, runAxe, siteMount, startServer, waitForMap,
} from './harness.mjs';
import { generateSite } from './gen-site.mjs';

const MAX_PAGE_BYTES = 300 * 1024;
const MAX_FIRST_LOAD_BYTES = 500 * 1024;

let server;
let browser;
let mount;
let points;
let outDir;

function buildGenerated() {
  const work = mkdtempSync(join(tmpdir(), 'sitrep-scale-'));
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));
  const root = join(work, 'site');
  const out = join(work, 'public');
  generateSite({ out: root, incidents: Number(process.env.SITREP_SCALE_INCIDENTS || 6000), firstYear: 2020, years: 3 });
  const result = spawnSync('cargo', ['run', '--release', '-q', '--', '--root', root, 'build', '--output', out,
    '--base-url', 'http://localhost/sitrep/'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SITREP_LEAFLET_DIR: join(REPO_ROOT, 'node_modules', 'leaflet', 'dist') },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`sitrep build of the generated site failed (${result.status})`);
  return out;
}

before(async () => {
  outDir = process.env.SITREP_SCALE_SITE || buildGenerated();
  mount = siteMount(outDir);
  server = await startServer({ mount });
  browser = await openBrowser();
  points = readPoints(mount);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function clean(log) {
  assertNoConsoleErrors(log);
  assertNoCspViolations(log);
  assertNoFailedRequests(log);
  assertNoForeignRequests(log, server);
}

function* htmlFiles(dir, rel = '') {
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* htmlFiles(dir, path);
    else if (entry.name.endsWith('.html')) yield path;
  }
}

/** The filter rules, read independently of filters.js. */
function keep(p, f) {
  if (f.from && p.date_last < f.from) return false;
  if (f.to && p.date > f.to) return false;
  if (f.type && p.type !== f.type) return false;
  return true;
}

async function shownIds(page) {
  return page.evaluate(() => {
    const ids = [...document.querySelectorAll('#map path.incident[data-incident]')].map((e) => e.getAttribute('data-incident'));
    for (const c of document.querySelectorAll('#map [data-cluster][data-incidents]')) ids.push(...c.getAttribute('data-incidents').split(' '));
    return ids.sort();
  });
}

async function settled(page) {
  await page.waitForFunction(() => {
    const map = document.querySelector('#map');
    return map.getAttribute('data-state') === 'ready' && !map.hasAttribute('data-loading');
  });
}

describe('a large atlas', () => {
  test('the map data is split: no eager points, an overview, one file per year', () => {
    assert.equal(points.index.eager, false, `${points.index.total} points are too many to load up front`);
    assert.ok(points.index.years.length >= 3);
    assert.ok(points.index.overview.zooms.length >= 3, 'overview files for the country zooms');
    assert.equal(points.features.length, points.index.total);
  });

  test(`every HTML page is under ${MAX_PAGE_BYTES / 1024} KB`, () => {
    const sizes = [...htmlFiles(mount.dir)].map((path) => [path, statSync(join(mount.dir, path)).size]);
    const big = sizes.filter(([, size]) => size > MAX_PAGE_BYTES);
    assert.deepEqual(big, [], 'pages over the limit');
    const paged = sizes.filter(([path]) => /\/page\/\d+\/index\.html$/.test(path)).map(([path]) => path);
    for (const kind of ['timeline/', 'incidents/', 'regions/']) {
      assert.ok(paged.some((p) => p.startsWith(kind)), `some ${kind} lists are paged`);
    }
  });

  test(`the map's first load transfers under ${MAX_FIRST_LOAD_BYTES / 1024} KB and needs no point file`, async () => {
    const { page, context, log } = await newPage(browser);
    try {
      const sizes = [];
      page.on('requestfinished', async (request) => {
        const s = await request.sizes();
        sizes.push({ url: new URL(request.url()).pathname, bytes: s.responseBodySize + s.responseHeadersSize });
      });
      await page.goto(server.url(`${PREFIX}map/`));
      await waitForMap(page);
      await page.waitForLoadState('networkidle');
      const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
      const listing = sizes.map((s) => `${s.bytes}\t${s.url}`).join('\n');
      assert.ok(total < MAX_FIRST_LOAD_BYTES, `first load ${total} bytes:\n${listing}`);
      assert.deepEqual(sizes.filter((s) => /\/points\/\d+\.json$/.test(s.url)), [], 'no point file on first load');
      assert.equal(sizes.filter((s) => s.url.includes('/data/map/clusters/')).length, 1, 'one overview file');
      assert.equal(await page.getAttribute('#map', 'data-mode'), 'overview');
      assert.equal(await page.getAttribute('#map', 'data-points'), String(points.index.total));
      // The overview accounts for every incident.
      const counted = await page.$$eval('#map [data-cluster]', (els) => els.reduce((n, e) => n + Number(e.getAttribute('data-cluster')), 0));
      const singles = Number(await page.getAttribute('#map', 'data-markers'));
      assert.equal(counted + singles, points.index.total);
      assert.match(await page.textContent('[data-filter-status]'), /grouped by place/);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('choosing a year loads that year only and shows its incidents one by one', async () => {
    const { page, context, log } = await newPage(browser);
    try {
      await page.goto(server.url(`${PREFIX}map/`));
      await waitForMap(page);
      const year = points.index.years[1].year;
      await page.selectOption('#f-year', String(year));
      await settled(page);
      await page.waitForFunction(() => document.querySelector('#map').getAttribute('data-mode') === 'points');
      const loaded = log.requests.filter((u) => /\/points\/\d+\.json$/.test(u)).map((u) => u.split('/').pop());
      const f = { from: `${year}-01-01`, to: `${year}-12-31` };
      const wantYears = points.index.years.filter((y) => y.first <= f.to && y.last >= f.from).map((y) => `${y.year}.json`);
      assert.deepEqual(loaded.sort(), wantYears.sort());
      const want = points.features.filter((x) => keep(x.properties, f)).map((x) => x.properties.id).sort();
      assert.equal(await page.getAttribute('#map', 'data-points'), String(want.length));
      assert.deepEqual(await shownIds(page), want);
      assert.deepEqual(new URL(page.url()).searchParams.get('from'), f.from);
      // Clearing the filters goes back to the overview, without loading anything more.
      await page.click('[data-filter-reset]');
      await settled(page);
      assert.equal(await page.getAttribute('#map', 'data-mode'), 'overview');
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a type filter loads every year and matches the data', async () => {
    const type = points.features[0].properties.type;
    const { page, context, log } = await newPage(browser);
    try {
      await page.goto(server.url(`${PREFIX}map/?type=${type}`));
      await waitForMap(page);
      await settled(page);
      assert.equal(await page.getAttribute('#map', 'data-years'), points.index.years.map((y) => y.year).join(' '));
      const want = points.features.filter((x) => keep(x.properties, { type })).map((x) => x.properties.id).sort();
      assert.deepEqual(await shownIds(page), want);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('timeline year pages are paged; the filters and months lead across pages', async () => {
    const year = points.index.years[0].year;
    const type = points.features[0].properties.type;
    const { page, context, log } = await newPage(browser);
    try {
      await page.goto(server.url(`${PREFIX}timeline/${year}/?type=${type}`));
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      const total = Number((await page.textContent('.pager__status')).match(/of (\d+)/)[1]);
      assert.ok(total > 1, 'the year has several pages');
      const next = await page.getAttribute('link[rel="next"]', 'href');
      assert.equal(next, `${PREFIX}timeline/${year}/page/2/`);
      // Page links carry the query; following one keeps the filter.
      const nextLink = page.locator('nav.pager--top a[rel="next"]');
      assert.equal(new URL(await nextLink.getAttribute('href'), server.url('')).searchParams.get('type'), type);
      await Promise.all([page.waitForURL(/\/page\/2\//), nextLink.click()]);
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      assert.equal(await page.inputValue('#f-type'), type);
      const shownTypes = await page.$$eval('.timeline .incident-list__item:not([hidden])', (lis) => [...new Set(lis.map((li) => li.dataset.type))]);
      assert.deepEqual(shownTypes, [type]);
      assert.equal(await page.getAttribute('link[rel="prev"]', 'href'), `${PREFIX}timeline/${year}/`);
      // A month on a later page: its link leads to the page and the heading.
      const months = await page.$$eval('nav.timeline__months a', (as) => as.map((a) => a.getAttribute('href')));
      const far = months.find((h) => /\/page\/(\d+)\/.*#y\d{4}-\d\d$/.test(h) && !h.includes('/page/2/'));
      assert.ok(far, `a month on another page: ${months.join(' ')}`);
      await Promise.all([page.waitForURL((u) => u.pathname === new URL(far, server.url('')).pathname), page.click(`nav.timeline__months a[href="${far}"]`)]);
      const anchor = far.split('#')[1];
      assert.equal(await page.locator(`[id="${anchor}"]`).count(), 1);
      assert.equal(new URL(page.url()).searchParams.get('type'), type);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a date range on another page of the year: the notice links to that page', async () => {
    const year = points.index.years[0].year;
    const { page, context, log } = await newPage(browser);
    try {
      // Page 2: the incidents known only to the year (spanning December too) are on page 1.
      await page.goto(server.url(`${PREFIX}timeline/${year}/page/2/?from=${year}-12-20&to=${year}-12-31`));
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      assert.equal(await page.isVisible('[data-filter-empty]'), true);
      const links = page.locator('[data-filter-elsewhere] a', { hasText: /^page \d+$/ });
      assert.ok(await links.count() >= 1, 'the notice names the pages holding the range');
      await Promise.all([page.waitForURL(/\/page\/\d+\//), links.last().click()]);
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      const shown = await page.$$eval('.timeline .incident-list__item:not([hidden])', (lis) => lis.map((li) => li.dataset.date));
      assert.ok(shown.length > 0, 'the linked page shows incidents of the range');
      for (const d of shown) assert.ok(d >= `${year}-12-20` && d <= `${year}-12-31`, d);
      clean(log);
    } finally {
      await context.close();
    }
  });

  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['375 px', { width: 375, height: 740 }]]) {
    test(`paged pages pass axe and fit ${label}`, async () => {
      const year = points.index.years[0].year;
      const province = points.features[0].properties.region.split('/')[0];
      for (const path of [`timeline/${year}/page/2/`, 'incidents/page/2/', `regions/${province}/page/2/`, `regions/${province}/`]) {
        const { page, context, log } = await newPage(browser, { viewport });
        try {
          const response = await page.goto(server.url(`${PREFIX}${path}`));
          assert.equal(response.status(), 200, path);
          if (await page.locator('.map[data-view]').count()) await waitForMap(page, '.map[data-view]');
          assert.deepEqual(await runAxe(page), [], `axe on ${path}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
          clean(log);
        } finally {
          await context.close();
        }
      }
    });
  }
});
