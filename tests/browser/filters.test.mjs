// The full map's filters (static/js/filters.js + map.js) against the built site: what is drawn,
// shaded and listed follows the filters; the URL holds the state and restores it; keyboard use.
// Expected values come from the site's own data files through an independent reading of the
// filter rules (docs/site-layout.md), never from the page under test.
//
//   SITREP_TEST_SITE=/path/to/output node --test tests/browser/

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PREFIX, assertNoConsoleErrors, assertNoCspViolations, assertNoFailedRequests, assertNoForeignRequests,
  newPage, openBrowser, readPoints, readSiteJson, runAxe, siteMount, startServer, waitForMap,
} from './harness.mjs';

const MAP = `${PREFIX}map/`;

let server;
let browser;
let incidents; // features with a point
let districts;

before(async () => {
  const mount = siteMount();
  server = await startServer({ mount });
  browser = await openBrowser();
  incidents = readPoints(mount).features
    .filter((f) => f.geometry && f.geometry.type === 'Point');
  districts = readSiteJson(`${PREFIX}data/map/districts.geojson`, mount).features;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The filter rules, read independently of filters.js. */
function keep(p, f) {
  if (f.from && (p.date_last || p.date) < f.from) return false;
  if (f.to && p.date > f.to) return false;
  if (f.type && p.type !== f.type) return false;
  if (f.actor === 'none' && p.actors.length > 0) return false;
  if (f.actor && f.actor !== 'none' && !p.actors.includes(f.actor)) return false;
  if (f.region && p.region !== f.region && !p.region.startsWith(`${f.region}/`)) return false;
  return true;
}

function expectedIds(f) {
  return incidents.filter((x) => keep(x.properties, f)).map((x) => x.properties.id).sort();
}

function inside(region, id) {
  return region === id || region.startsWith(`${id}/`);
}

function rangeText(lo, hi) {
  return lo === hi ? String(lo) : `${lo}\u2013${hi}`;
}

/** Figures of the incidents passing `f` inside region `id`, as the table prints them. */
function expectedRow(f, id) {
  let n = 0; let k = 0; let kMax = 0; let i = 0; let iMax = 0;
  for (const x of incidents) {
    const p = x.properties;
    if (!keep(p, f) || !inside(p.region, id)) continue;
    n += 1;
    k += p.killed ?? 0; kMax += p.killed_max ?? p.killed ?? 0;
    i += p.injured ?? 0; iMax += p.injured_max ?? p.injured ?? 0;
  }
  return { incidents: String(n), killed: rangeText(k, kMax), injured: rangeText(i, iMax) };
}

/** The incident ids the map shows: single markers plus the members of clusters. */
async function shownIds(page) {
  return page.evaluate(() => {
    const ids = [...document.querySelectorAll('#map path.incident[data-incident]')].map((e) => e.getAttribute('data-incident'));
    for (const c of document.querySelectorAll('#map [data-cluster]')) ids.push(...c.getAttribute('data-incidents').split(' '));
    return ids.sort();
  });
}

async function tableRows(page) {
  return page.$$eval('table[data-region-table] tr[data-region]', (rows) => rows.map((r) => ({
    id: r.getAttribute('data-region'),
    hidden: r.hidden,
    group: r.classList.contains('data-table__group'),
    incidents: r.querySelector('[data-col="incidents"]').textContent.trim(),
    killed: r.querySelector('[data-col="killed"]').textContent.trim(),
    injured: r.querySelector('[data-col="injured"]').textContent.trim(),
  })));
}

/** The legend's classes and every district's colour class agree with `values` (id → number). */
async function assertShading(page, values) {
  const legend = await page.$$eval('#map .map-legend .legend-swatch', (els) => els.map((e) => {
    const [, step] = e.className.match(/legend-swatch--c(\d)/) || [];
    const [lo, hi = lo] = e.parentElement.textContent.trim().split('\u2013').map(Number);
    return { step, lo, hi };
  }));
  assert.ok(legend.length >= 1 && legend.length <= 5, `legend classes: ${JSON.stringify(legend)}`);
  assert.equal(legend[0].lo, 0);
  const max = Math.max(0, ...Object.values(values));
  assert.equal(legend[legend.length - 1].hi, max, 'the last class ends at the maximum');
  const drawn = await page.$$eval('#map path.district', (els) => els.map((e) => ({
    id: e.getAttribute('data-region'), step: (e.getAttribute('class').match(/district--c(\d)/) || [])[1],
  })));
  for (const d of drawn) {
    const v = values[d.id] ?? 0;
    const cls = legend.find((c) => v >= c.lo && v <= c.hi);
    assert.ok(cls, `${d.id}: ${v} falls in a legend class`);
    assert.equal(d.step, cls.step, `${d.id}: colour class of ${v}`);
  }
}

function districtValues(f, metric) {
  const out = {};
  for (const d of districts) {
    out[d.properties.id] = incidents.filter((x) => keep(x.properties, f) && inside(x.properties.region, d.properties.id))
      .reduce((sum, x) => sum + (metric === 'incidents' ? 1 : (x.properties[metric] ?? 0)), 0);
  }
  return out;
}

async function openMap(query = '', options = {}) {
  const opened = await newPage(browser, options);
  const response = await opened.page.goto(server.url(`${MAP}${query}`));
  assert.equal(response.status(), 200);
  await waitForMap(opened.page);
  return opened;
}

function query(page) {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

function clean(log) {
  assertNoConsoleErrors(log);
  assertNoCspViolations(log);
  assertNoFailedRequests(log);
  assertNoForeignRequests(log, server);
}

/** The most frequent value of a property among the incidents (ties: alphabetical). */
function mostCommon(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) || 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

describe('map filters', () => {
  test('a type filter changes the points, the shading, the table and the URL', async () => {
    const { page, context, log } = await openMap();
    try {
      const type = mostCommon(incidents.map((x) => x.properties.type));
      const f = { type };
      await page.selectOption('#f-type', type);
      assert.deepEqual(await shownIds(page), expectedIds(f));
      assert.equal(await page.getAttribute('#map', 'data-points'), String(expectedIds(f).length));
      assert.ok(expectedIds(f).length < incidents.length, 'the filter removes some incidents');
      await assertShading(page, districtValues(f, 'incidents'));
      for (const row of await tableRows(page)) {
        const want = expectedRow(f, row.id);
        assert.deepEqual({ incidents: row.incidents, killed: row.killed, injured: row.injured }, want, `table row ${row.id}`);
        if (!row.group) assert.equal(row.hidden, want.incidents === '0', `row ${row.id} hidden when empty`);
      }
      assert.equal(query(page).type, type);
      const status = await page.textContent('[data-filter-status]');
      assert.match(status, new RegExp(`^${expectedIds(f).length} of ${incidents.length} incidents`));
      // Every drawn single marker has the type's colour class.
      const classes = await page.$$eval('#map path.incident', (els) => els.map((e) => e.getAttribute('class')));
      for (const c of classes) assert.ok(c.includes(`incident--${type}`), c);
      // Clearing the filters restores everything.
      await page.click('[data-filter-reset]');
      assert.deepEqual(await shownIds(page), expectedIds({}));
      assert.equal(query(page).type, undefined);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('the metric switch shades the districts by killed or injured; the legend states the classes', async () => {
    const { page, context, log } = await openMap();
    try {
      await assertShading(page, districtValues({}, 'incidents'));
      await page.check('input[name="metric"][value="killed"]');
      assert.equal(await page.getAttribute('#map', 'data-metric'), 'killed');
      assert.equal(query(page).metric, 'killed');
      assert.match(await page.textContent('#map .map-legend'), /killed per district/i);
      await assertShading(page, districtValues({}, 'killed'));
      await page.check('input[name="metric"][value="injured"]');
      await assertShading(page, districtValues({}, 'injured'));
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('recomputed from the points, the figures equal the build-time figures', async () => {
    // A date range holding every incident makes the map aggregate the points itself; the
    // numbers must then equal those Rust computed for districts.geojson and the table.
    const { page, context, log } = await openMap();
    try {
      const before = await tableRows(page);
      const min = await page.getAttribute('#f-from', 'min');
      await page.fill('#f-from', min);
      await page.dispatchEvent('#f-from', 'change');
      assert.equal(query(page).from, min);
      assert.equal(await page.getAttribute('#map', 'data-points'), String(incidents.length));
      const after = await tableRows(page);
      assert.deepEqual(after.map(({ id, incidents: n, killed, injured }) => ({ id, n, killed, injured })),
        before.map(({ id, incidents: n, killed, injured }) => ({ id, n, killed, injured })));
      const built = Object.fromEntries(districts.map((d) => [d.properties.id, d.properties.incidents || 0]));
      await assertShading(page, built);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a date range keeps the incidents whose span overlaps it', async () => {
    // Take an incident known only to the month or year: a range inside its span keeps it.
    const vague = incidents.find((x) => x.properties.date_last > x.properties.date);
    assert.ok(vague, 'the site has an incident with an imprecise date');
    const p = vague.properties;
    const { page, context, log } = await openMap();
    try {
      const day = p.date_last; // the last day of its span, after its nominal date
      await page.fill('#f-from', day);
      await page.dispatchEvent('#f-from', 'change');
      await page.fill('#f-to', day);
      await page.dispatchEvent('#f-to', 'change');
      const f = { from: day, to: day };
      const shown = await shownIds(page);
      assert.ok(shown.includes(p.id), `${p.id} (${p.date}…${p.date_last}) is kept for ${day}`);
      assert.deepEqual(shown, expectedIds(f));
      assert.deepEqual({ from: query(page).from, to: query(page).to }, f);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('actor filters, including incidents with no attribution', async () => {
    const { page, context, log } = await openMap();
    try {
      const actor = mostCommon(incidents.flatMap((x) => x.properties.actors));
      await page.selectOption('#f-actor', actor);
      assert.deepEqual(await shownIds(page), expectedIds({ actor }));
      if (await page.locator('#f-actor option[value="none"]').count()) {
        await page.selectOption('#f-actor', 'none');
        assert.deepEqual(await shownIds(page), expectedIds({ actor: 'none' }));
        assert.ok(expectedIds({ actor: 'none' }).length > 0);
      }
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a province filter shows its incidents and zooms to it', async () => {
    const { page, context, log } = await openMap();
    try {
      const provinces = await page.$$eval('#f-region optgroup:first-of-type option', (os) => os.map((o) => o.value));
      const region = provinces.find((id) => expectedIds({ region: id }).length > 0);
      assert.ok(region, 'a province with incidents');
      const zoomBefore = await page.evaluate(() => document.querySelector('#map').sitrepMap.map.getZoom());
      await page.selectOption('#f-region', region);
      assert.deepEqual(await shownIds(page), expectedIds({ region }));
      await page.waitForFunction((z) => document.querySelector('#map').sitrepMap.map.getZoom() > z, zoomBefore, { timeout: 5000 });
      await page.waitForFunction(() => /view=/.test(window.location.search));
      // Districts of other provinces have nothing to show.
      const rows = await tableRows(page);
      for (const row of rows.filter((r) => !r.group && !inside(r.id, region))) assert.ok(row.hidden, `${row.id} hidden`);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('the URL restores filters, metric, colours and view; Back restores the previous state', async () => {
    const type = mostCommon(incidents.map((x) => x.properties.type));
    const q = `?type=${type}&metric=killed&color=actor&view=7/33.6/71.5`;
    const { page, context, log } = await openMap(q);
    try {
      assert.equal(await page.inputValue('#f-type'), type);
      assert.equal(await page.isChecked('input[name="metric"][value="killed"]'), true);
      assert.equal(await page.inputValue('#f-color'), 'actor');
      assert.deepEqual(await shownIds(page), expectedIds({ type }));
      const view = await page.evaluate(() => {
        const m = document.querySelector('#map').sitrepMap.map;
        return { zoom: m.getZoom(), lat: m.getCenter().lat, lng: m.getCenter().lng };
      });
      assert.equal(view.zoom, 7);
      assert.ok(Math.abs(view.lat - 33.6) < 0.01 && Math.abs(view.lng - 71.5) < 0.01, JSON.stringify(view));
      const classes = await page.$$eval('#map path.incident', (els) => els.map((e) => e.getAttribute('class')));
      for (const c of classes) assert.match(c, /incident--a(\d|-other|-none)\b/);
      if (classes.length) assert.match(await page.textContent('#map .map-legend'), /Points by first actor named/);
      // The same URL in a new page gives the same map.
      const { page: again, context: ctx2 } = await openMap(q);
      try {
        assert.deepEqual(await shownIds(again), await shownIds(page));
        assert.equal(await again.getAttribute('#map', 'data-metric'), 'killed');
      } finally {
        await ctx2.close();
      }
      // A new filter is a new history entry; Back goes back to the first state.
      const actor = mostCommon(incidents.flatMap((x) => x.properties.actors));
      await page.selectOption('#f-actor', actor);
      assert.equal(query(page).actor, actor);
      assert.deepEqual(await shownIds(page), expectedIds({ type, actor }));
      await page.goBack();
      await page.waitForFunction(() => !new URL(window.location.href).searchParams.has('actor'));
      assert.equal(await page.inputValue('#f-actor'), '');
      assert.deepEqual(await shownIds(page), expectedIds({ type }));
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('invalid URL values are dropped, not trusted', async () => {
    const { page, context, log } = await openMap('?type=%3Cscript%3E&metric=bogus&from=yesterday&region=no-such-place&view=x');
    try {
      assert.equal(await page.getAttribute('#map', 'data-points'), String(incidents.length));
      assert.equal(await page.getAttribute('#map', 'data-metric'), 'incidents');
      assert.deepEqual(query(page), {});
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('the timeline link carries the filters; the timeline lists the same incidents', async () => {
    const { page, context, log } = await openMap();
    try {
      const type = mostCommon(incidents.map((x) => x.properties.type));
      await page.selectOption('#f-type', type);
      const href = await page.getAttribute('[data-filter-link]', 'href');
      assert.equal(new URL(href, server.url('')).searchParams.get('type'), type);
      await Promise.all([page.waitForURL(/\/timeline\//), page.click('[data-filter-link]')]);
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      assert.equal(await page.inputValue('#f-type'), type);
      const listed = await page.$$eval('.timeline .incident-list__item:not([hidden]) .incident-list__title',
        (els) => els.map((a) => a.getAttribute('href')));
      const want = incidents.filter((x) => keep(x.properties, { type })).map((x) => x.properties.url);
      assert.deepEqual(listed.sort(), want.sort());
      clean(log);
    } finally {
      await context.close();
    }
  });
});

describe('map points', () => {
  test('incidents sharing one place are reachable through a list popup', async () => {
    const byPlace = new Map();
    for (const x of incidents) {
      const key = x.geometry.coordinates.join(',');
      byPlace.set(key, [...(byPlace.get(key) || []), x.properties]);
    }
    const shared = [...byPlace.entries()].find(([, list]) => list.length > 1);
    assert.ok(shared, 'the site has incidents at one place');
    const [lng, lat] = shared[0].split(',').map(Number);
    const { page, context, log } = await openMap(`?view=12/${lat}/${lng}`);
    try {
      const ids = shared[1].map((p) => p.id).sort();
      const clusters = await page.$$eval('#map [data-cluster]', (els) => els.map((e) => e.getAttribute('data-incidents')));
      const match = clusters.find((c) => c.split(' ').sort().join(' ') === ids.join(' '));
      assert.ok(match, `one cluster holds ${ids.join(', ')}: ${JSON.stringify(clusters)}`);
      await page.click(`#map [data-incidents="${match}"]`);
      const popup = page.locator('.leaflet-popup .popup--list');
      await popup.waitFor({ state: 'visible', timeout: 5000 });
      const links = await popup.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links.sort(), shared[1].map((p) => p.url).sort());
      // Keyboard focus moved into the list.
      assert.ok(await page.evaluate(() => !!document.activeElement.closest('.leaflet-popup')));
      await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1');
      assert.deepEqual(await runAxe(page), [], 'axe with the list popup open');
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('clusters depend on positions and zoom only, and a cluster click zooms in until it splits', async () => {
    const { page, context, log } = await openMap();
    try {
      const groups = () => page.$$eval('#map [data-cluster]', (els) => els.map((e) => e.getAttribute('data-incidents')).sort());
      const first = await groups();
      await page.evaluate(() => document.querySelector('#map').sitrepMap.map.panBy([137, -61], { animate: false }));
      await page.waitForTimeout(100);
      assert.deepEqual(await groups(), first, 'panning keeps the clusters');
      // A cluster of incidents at different places splits when clicked.
      const places = new Map(incidents.map((x) => [x.properties.id, x.geometry.coordinates.join(',')]));
      const splittable = first.find((ids) => new Set(ids.split(' ').map((id) => places.get(id))).size > 1);
      if (splittable) {
        const zoom = await page.evaluate(() => document.querySelector('#map').sitrepMap.map.getZoom());
        await page.locator(`#map [data-incidents="${splittable}"]`).evaluate((node) => node.click());
        await page.waitForFunction((z) => document.querySelector('#map').sitrepMap.map.getZoom() > z, zoom, { timeout: 5000 });
        await page.waitForFunction((ids) => !document.querySelector(`#map [data-incidents="${ids}"]`), splittable, { timeout: 5000 });
      }
      clean(log);
    } finally {
      await context.close();
    }
  });
});

describe('keyboard', () => {
  test('filters, districts, points and clusters work from the keyboard', async () => {
    const { page, context, log } = await openMap();
    try {
      // The filter controls are reachable with Tab and change the map.
      await page.focus('#f-type');
      const type = mostCommon(incidents.map((x) => x.properties.type));
      const options = await page.$$eval('#f-type option', (os) => os.map((o) => o.value));
      for (let i = 0; i < options.indexOf(type); i += 1) await page.keyboard.press('ArrowDown');
      assert.equal(await page.inputValue('#f-type'), type);
      assert.deepEqual(await shownIds(page), expectedIds({ type }));
      await page.click('[data-filter-reset]');

      // Tab from the last filter control reaches the map, then its districts and points.
      const reachable = await page.evaluate(() => [...document.querySelectorAll('#map [tabindex="0"]')]
        .map((e) => e.getAttribute('data-region') || e.getAttribute('data-incident') || e.getAttribute('data-cluster') || e.id));
      assert.ok(reachable.filter(Boolean).length >= districts.length, 'every district is focusable');

      // A focused district shows its name and figures, and Enter opens its page.
      const target = [...districts].sort((a, b) => (b.properties.incidents || 0) - (a.properties.incidents || 0))[0].properties;
      await page.focus(`#map path.district[data-region="${target.id}"]`);
      const tooltip = page.locator('.leaflet-tooltip .map-tooltip');
      await tooltip.waitFor({ state: 'visible', timeout: 5000 });
      const text = await tooltip.textContent();
      assert.ok(text.includes(target.name) && text.includes(`${target.incidents} incident`), text);
      const label = await page.getAttribute(`#map path.district[data-region="${target.id}"]`, 'aria-label');
      assert.ok(label.startsWith(target.name) && label.includes(`${target.incidents} incident`), label);

      // A focused point opens its popup with Enter; focus moves to the popup's link.
      const marker = page.locator('#map path.incident[data-incident]').first();
      if (await marker.count()) {
        const id = await marker.getAttribute('data-incident');
        await marker.focus();
        await page.keyboard.press('Enter');
        await page.locator('.leaflet-popup').waitFor({ state: 'visible', timeout: 5000 });
        const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
        assert.equal(href, incidents.find((x) => x.properties.id === id).properties.url);
        await page.keyboard.press('Escape');
      }

      // A cluster is a button with a name.
      const cluster = page.locator('#map [data-cluster]').first();
      if (await cluster.count()) {
        assert.equal(await cluster.getAttribute('role'), 'button');
        assert.match(await cluster.getAttribute('aria-label'), /^\d+ incidents, \d+ killed: (zoom in|list)$/);
      }

      await page.focus(`#map path.district[data-region="${target.id}"]`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest()),
        page.keyboard.press('Enter'),
      ]);
      assert.equal(new URL(response.url()).pathname, target.url);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('on a 375 px screen the filters fold away and still work', async () => {
    const { page, context, log } = await openMap('', { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    try {
      assert.equal(await page.isVisible('#f-type'), false, 'folded');
      await page.click('.filters__summary');
      assert.equal(await page.isVisible('#f-type'), true);
      const type = mostCommon(incidents.map((x) => x.properties.type));
      await page.selectOption('#f-type', type);
      assert.deepEqual(await shownIds(page), expectedIds({ type }));
      assert.deepEqual(await runAxe(page), [], 'axe with the filters open');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
      clean(log);
    } finally {
      await context.close();
    }
  });
});
