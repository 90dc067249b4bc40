// The Leaflet map (themes/default/static/js/map.js) against the built site.
//
//   SITREP_TEST_SITE=/path/to/output npm run test:browser
//
// Without SITREP_TEST_SITE the site is built with cargo first (see harness.mjs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PREFIX, assertNoConsoleErrors, assertNoCspViolations, assertNoFailedRequests, assertNoForeignRequests, featuresWithGeometry,
  newPage, openBrowser, readPoints, readSiteJson, runAxe, siteMount, startServer, waitForMap,
} from './harness.mjs';

const MAP_DATA = `${PREFIX}data/map/`;

let server;
let browser;
let mount;
let districts;
let provinces;
let incidents;

before(async () => {
  mount = siteMount();
  server = await startServer({ mount });
  browser = await openBrowser();
  districts = readSiteJson(`${MAP_DATA}districts.geojson`, mount);
  provinces = readSiteJson(`${MAP_DATA}provinces.geojson`, mount);
  incidents = readPoints(mount);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function drawnPoints() {
  return incidents.features.filter((f) => f && f.geometry && f.geometry.type === 'Point'
    && Array.isArray(f.geometry.coordinates) && f.geometry.coordinates.every(Number.isFinite));
}

/** Centre of an element if it is the topmost element there (so a real click reaches it). */
/** Resolves once the map pane has not moved for five animation frames (a keyboard pan or a
 * zoom animates: a point located mid-animation is somewhere else by the time it is clicked). */
async function mapAtRest(page) {
  await page.waitForFunction(() => new Promise((resolve) => {
    const pane = document.querySelector('#map .leaflet-map-pane');
    let last = pane.style.transform;
    let still = 0;
    const step = () => {
      const now = pane.style.transform;
      still = now === last ? still + 1 : 0;
      last = now;
      if (still >= 5) resolve(true);
      else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }), null, { timeout: 5000 });
}

async function clickablePoint(page, selector) {
  await mapAtRest(page);
  return page.evaluate((sel) => {
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      if (r.width === 0 || x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) continue;
      if (document.elementFromPoint(x, y) === el) {
        return { x, y, id: el.getAttribute('data-incident') || el.getAttribute('data-region') };
      }
    }
    return null;
  }, selector);
}

describe('full map (/map/)', () => {
  let page;
  let context;
  let log;

  before(async () => {
    ({ page, context, log } = await newPage(browser));
    const response = await page.goto(server.url(`${PREFIX}map/`));
    assert.equal(response.status(), 200);
    await waitForMap(page);
  });

  after(async () => context?.close());

  test('the map element follows the contract', async () => {
    const attrs = await page.$eval('#map', (el) => ({
      base: el.dataset.base, view: el.dataset.view, classes: el.className,
    }));
    assert.equal(attrs.base, PREFIX, 'data-base is the base path');
    assert.equal(attrs.view, 'full');
    assert.match(attrs.classes, /\bmap--full\b/);
    // The outlines, the point index and (a small atlas) every year's points were fetched
    // from the base path.
    for (const name of ['context', 'provinces', 'districts']) {
      assert.ok(log.requests.includes(server.url(`${MAP_DATA}${name}.geojson`)), `${name}.geojson was loaded`);
    }
    assert.ok(log.requests.includes(server.url(`${MAP_DATA}points/index.json`)), 'the point index was loaded');
    assert.equal(incidents.index.eager, true, 'the shipped atlas is small enough to load every point');
    for (const { year } of incidents.index.years) {
      assert.ok(log.requests.includes(server.url(`${MAP_DATA}points/${year}.json`)), `points of ${year} were loaded`);
    }
    assert.equal(await page.getAttribute('#map', 'data-mode'), 'points');
  });

  test('every district has a drawn path', async () => {
    const expected = featuresWithGeometry(districts).length;
    assert.ok(expected > 0, 'districts.geojson has features');
    assert.equal(await page.locator('#map path.district').count(), expected);
    assert.equal(await page.getAttribute('#map', 'data-districts'), String(expected));
    const ids = await page.$$eval('#map path.district', (els) => els.map((e) => e.getAttribute('data-region')));
    assert.deepEqual(ids.sort(), featuresWithGeometry(districts).map((f) => f.properties.id).sort());
  });

  test('provinces are drawn as outlines', async () => {
    assert.equal(await page.locator('#map path.province').count(), featuresWithGeometry(provinces).length);
    const fill = await page.$eval('#map path.province', (el) => getComputedStyle(el).fill);
    assert.equal(fill, 'none');
  });

  test('every incident with a position is drawn, alone or in a numbered cluster', async () => {
    const expected = drawnPoints().length;
    const singles = await page.locator('#map path.incident').count();
    const clustered = await page.$$eval('#map [data-cluster]', (els) => els.map((e) => Number(e.getAttribute('data-cluster'))));
    assert.ok(clustered.every((n) => n >= 2), `clusters hold two or more incidents: ${clustered}`);
    assert.equal(singles + clustered.reduce((a, b) => a + b, 0), expected);
    assert.equal(await page.getAttribute('#map', 'data-points'), String(expected));
    assert.equal(await page.getAttribute('#map', 'data-markers'), String(singles));
    assert.equal(await page.getAttribute('#map', 'data-clusters'), String(clustered.length));
    // Each single marker is an incident of the data, once.
    const ids = await page.$$eval('#map path.incident', (els) => els.map((e) => e.getAttribute('data-incident')));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(incidents.features.some((f) => f.properties.id === id), `${id} is in incidents.geojson`);
  });

  test('the districts fill the map view (Pakistan is fitted)', async () => {
    const fit = await page.evaluate(() => {
      const box = document.querySelector('#map').getBoundingClientRect();
      let [l, t, r, b] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const p of document.querySelectorAll('#map path.district')) {
        const q = p.getBoundingClientRect();
        l = Math.min(l, q.left); t = Math.min(t, q.top); r = Math.max(r, q.right); b = Math.max(b, q.bottom);
      }
      return { box: [box.left, box.top, box.right, box.bottom], drawn: [l, t, r, b] };
    });
    const [bl, bt, br, bb] = fit.box;
    const [l, t, r, b] = fit.drawn;
    assert.ok(l >= bl - 2 && t >= bt - 2 && r <= br + 2 && b <= bb + 2, `districts inside the map: ${JSON.stringify(fit)}`);
    assert.ok((r - l) / (br - bl) > 0.5 || (b - t) / (bb - bt) > 0.8, `districts fill the map: ${JSON.stringify(fit)}`);
  });

  test('the legend lists at most 5 classes starting at 0', async () => {
    const labels = await page.$$eval('#map .map-legend .legend-swatch', (els) => els.map((e) => e.parentElement.textContent.trim()));
    assert.ok(labels.length >= 1 && labels.length <= 5, `legend classes: ${labels}`);
    assert.equal(labels[0], '0');
    const max = Math.max(...districts.features.map((f) => f.properties.incidents || 0));
    if (max > 0) assert.match(labels[labels.length - 1], new RegExp(`(^|\\D)${max}$`), 'the last class ends at the maximum');
    // Every district has one of the legend's colour classes, and the classes match the figures.
    const legend = await page.$$eval('#map .map-legend .legend-swatch', (els) => els.map((e) => {
      const [, step] = e.className.match(/legend-swatch--c(\d)/) || [];
      const [lo, hi = lo] = e.parentElement.textContent.trim().split('\u2013').map(Number);
      return { step, lo, hi };
    }));
    const drawn = await page.$$eval('#map path.district', (els) => els.map((e) => ({
      id: e.getAttribute('data-region'), step: (e.getAttribute('class').match(/district--c(\d)/) || [])[1],
    })));
    for (const d of drawn) {
      const n = districts.features.find((f) => f.properties.id === d.id).properties.incidents || 0;
      const cls = legend.find((c) => n >= c.lo && n <= c.hi);
      assert.ok(cls, `${d.id}: ${n} incidents fall in a legend class`);
      assert.equal(d.step, cls.step, `${d.id}: colour class of ${n} incidents`);
    }
  });

  test('attribution without the Leaflet prefix, and no tile layer', async () => {
    const text = await page.textContent('#map .leaflet-control-attribution');
    const wanted = await page.getAttribute('#map', 'data-attribution');
    assert.ok(text.includes(wanted || 'geoBoundaries'), `attribution: ${text}`);
    assert.ok(!/Leaflet/.test(text), 'no Leaflet prefix');
    if (!(await page.getAttribute('#map', 'data-tile-url'))) {
      assert.equal(await page.locator('#map .leaflet-tile').count(), 0);
    }
  });

  test('hovering a district shows its name and figures', async () => {
    const target = await clickablePoint(page, '#map path.district');
    assert.ok(target, 'a district path is reachable by the pointer');
    await page.mouse.move(target.x, target.y);
    const tooltip = page.locator('.leaflet-tooltip .map-tooltip');
    await tooltip.waitFor({ state: 'visible', timeout: 5000 });
    const feature = districts.features.find((f) => f.properties.id === target.id);
    const text = await tooltip.textContent();
    assert.ok(text.includes(feature.properties.name), `tooltip "${text}" names ${feature.properties.name}`);
    assert.match(text, new RegExp(`${feature.properties.incidents} incidents?`));
    await page.mouse.move(1, 1);
  });

  test('the map pans with the keyboard', async () => {
    const transform = () => page.$eval('#map .leaflet-map-pane', (el) => el.style.transform);
    await page.keyboard.press('Escape');
    await page.focus('#map');
    const before = await transform();
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((t) => document.querySelector('#map .leaflet-map-pane').style.transform !== t, before, { timeout: 3000 });
    assert.notEqual(await transform(), before);
  });

  test('clicking a point opens its popup; the link leads to the incident page', async () => {
    const target = await clickablePoint(page, '#map path.incident');
    assert.ok(target, 'an incident marker is reachable by the pointer');
    const feature = incidents.features.find((f) => f.properties.id === target.id);
    assert.ok(feature, `marker ${target.id} is an incident of incidents.geojson`);
    const p = feature.properties;

    await page.mouse.click(target.x, target.y);
    const popup = page.locator('.leaflet-popup');
    await popup.waitFor({ state: 'visible', timeout: 5000 });

    // Content is text (untrusted data is never parsed as HTML).
    assert.equal((await popup.locator('.popup__title').textContent()).trim(), p.title);
    const popupText = await popup.textContent();
    for (const key of ['date_label', 'place', 'killed_label', 'injured_label', 'attribution_label']) {
      if (p[key]) assert.ok(popupText.includes(p[key]), `popup shows ${key} "${p[key]}"`);
    }
    const titleHref = await popup.locator('.popup__title a').getAttribute('href');
    assert.equal(titleHref, p.url);
    const more = popup.getByRole('link', { name: 'Incident page' });
    assert.equal(await more.getAttribute('href'), p.url);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    // With the popup open, the map passes axe (contrast, names, roles).
    await page.mouse.move(1, 1);
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1');
    assert.deepEqual(await runAxe(page), [], 'axe violations with the popup open');

    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().isNavigationRequest() && r.url() === server.url(p.url)),
      more.click(),
    ]);
    assert.equal(response.status(), 200, `${p.url} answers 200`);
    await page.waitForLoadState('load');
    assert.equal(new URL(page.url()).pathname, p.url);
    const title = await page.title();
    assert.ok(title.includes(p.title), `page title "${title}" contains "${p.title}"`);
  });

  test('no console errors, no CSP violation and no request to another host', () => {
    assertNoConsoleErrors(log);
    assertNoCspViolations(log);
    assertNoFailedRequests(log);
    assertNoForeignRequests(log, server);
  });
});

describe('other map views', () => {
  test('a district click goes to the region page', async () => {
    const { page, context, log } = await newPage(browser);
    try {
      await page.goto(server.url(`${PREFIX}map/`));
      await waitForMap(page);
      const target = await clickablePoint(page, '#map path.district');
      const feature = districts.features.find((f) => f.properties.id === target.id);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest() && r.url() === server.url(feature.properties.url)),
        page.mouse.click(target.x, target.y),
      ]);
      assert.equal(response.status(), 200, `${feature.properties.url} answers 200`);
      assertNoConsoleErrors(log);
      assertNoForeignRequests(log, server);
    } finally {
      await context.close();
    }
  });

  test('home page preview: Pakistan fitted, no scroll-wheel zoom', async () => {
    const { page, context, log } = await newPage(browser);
    try {
      assert.equal((await page.goto(server.url(PREFIX))).status(), 200);
      const sel = '.map[data-view="preview"]';
      assert.equal(await page.locator(sel).count(), 1, 'the home page has a preview map');
      await waitForMap(page, sel);
      assert.equal(await page.locator(`${sel} path.district`).count(), featuresWithGeometry(districts).length);
      const before = await page.$eval(`${sel} path.district`, (el) => el.getAttribute('d'));
      const box = await page.locator(sel).boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -600);
      await page.waitForTimeout(600);
      const afterWheel = await page.$eval(`${sel} path.district`, (el) => el.getAttribute('d'));
      assert.equal(afterWheel, before, 'scroll wheel does not zoom the preview');
      assertNoConsoleErrors(log);
      assertNoForeignRequests(log, server);
    } finally {
      await context.close();
    }
  });

  test('a district page highlights its district', async () => {
    const feature = [...districts.features].sort((a, b) => (b.properties.incidents || 0) - (a.properties.incidents || 0))[0];
    const { page, context, log } = await newPage(browser);
    try {
      assert.equal((await page.goto(server.url(feature.properties.url))).status(), 200);
      const sel = '.map[data-view="region"]';
      await waitForMap(page, sel);
      assert.equal(await page.getAttribute(sel, 'data-region'), feature.properties.id);
      const current = page.locator(`${sel} path.district--current`);
      assert.equal(await current.count(), 1);
      assert.equal(await current.getAttribute('data-region'), feature.properties.id);
      // The highlighted district is in view.
      const [m, d] = await Promise.all([page.locator(sel).boundingBox(), current.boundingBox()]);
      assert.ok(d.x + d.width > m.x && d.x < m.x + m.width && d.y + d.height > m.y && d.y < m.y + m.height, 'district in view');
      assertNoConsoleErrors(log);
      assertNoForeignRequests(log, server);
    } finally {
      await context.close();
    }
  });

  test('a province page highlights its province', async () => {
    const feature = provinces.features[0];
    const { page, context, log } = await newPage(browser);
    try {
      assert.equal((await page.goto(server.url(feature.properties.url))).status(), 200);
      const sel = '.map[data-view="region"]';
      await waitForMap(page, sel);
      assert.equal(await page.locator(`${sel} path.province--current`).count(), 1);
      assertNoConsoleErrors(log);
      assertNoForeignRequests(log, server);
    } finally {
      await context.close();
    }
  });

  test('narrow screen (375 px): map ready, legend collapsed, no horizontal scroll', async () => {
    const { page, context, log } = await newPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    try {
      await page.goto(server.url(`${PREFIX}map/`));
      await waitForMap(page);
      assert.equal(await page.$eval('#map .map-legend', (el) => el.open), false, 'legend starts collapsed');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
      const mapBox = await page.locator('#map').boundingBox();
      assert.ok(mapBox.height >= 300, `map height ${mapBox.height}`);
      assertNoConsoleErrors(log);
    } finally {
      await context.close();
    }
  });

  test('a data file that fails to load gives a visible error', async () => {
    const { page, context, log } = await newPage(browser);
    try {
      await page.route('**/data/map/districts.geojson', (route) => route.fulfill({ status: 500, body: 'boom' }));
      await page.goto(server.url(`${PREFIX}map/`));
      await page.waitForSelector('#map[data-state="error"]', { timeout: 20000 });
      assert.ok(await page.locator('#map .map-error').isVisible());
      assert.ok(log.console.some((m) => m.includes('sitrep map')), 'the error is logged');
      assert.deepEqual(log.pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
