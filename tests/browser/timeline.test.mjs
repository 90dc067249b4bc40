// The timeline (/timeline/): complete as plain HTML, filtered in place by static/js/timeline.js
// with the map's filters and URL query. Expected values come from the data attributes the
// build wrote and from incidents.geojson, read independently of the page's scripts.
//
//   SITREP_TEST_SITE=/path/to/output node --test tests/browser/

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PREFIX, assertNoConsoleErrors, assertNoCspViolations, assertNoFailedRequests, assertNoForeignRequests,
  newPage, openBrowser, readSiteJson, runAxe, siteMount, startServer,
} from './harness.mjs';

const TIMELINE = `${PREFIX}timeline/`;

let server;
let browser;
let incidents;

before(async () => {
  const mount = siteMount();
  server = await startServer({ mount });
  browser = await openBrowser();
  incidents = readSiteJson(`${PREFIX}data/map/incidents.geojson`, mount).features.map((f) => f.properties);
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

/** Every item of the page with its data attributes and whether it is shown. */
async function items(page) {
  return page.$$eval('.timeline .incident-list__item', (lis) => lis.map((li) => ({
    url: li.querySelector('.incident-list__title').getAttribute('href'),
    date: li.dataset.date,
    dateLast: li.dataset.dateLast,
    type: li.dataset.type,
    region: li.dataset.region,
    actors: li.dataset.actors ? li.dataset.actors.split(' ') : [],
    shown: !li.hidden && li.offsetParent !== null,
  })));
}

function shownUrls(list) {
  return list.filter((i) => i.shown).map((i) => i.url).sort();
}

async function open(query = '', options = {}) {
  const opened = await newPage(browser, options);
  const response = await opened.page.goto(server.url(`${TIMELINE}${query}`));
  assert.equal(response.status(), 200);
  if (options.javaScriptEnabled !== false) await opened.page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
  return opened;
}

describe('timeline', () => {
  test('without JavaScript: every incident, year and month headings, jump links, inert filters', async () => {
    const { page, context } = await open('?type=bombing', { javaScriptEnabled: false });
    try {
      const list = await items(page);
      assert.ok(list.length > 0);
      assert.equal(list.filter((i) => i.shown).length, list.length, 'nothing is hidden');
      // The build's data attributes agree with the map data.
      for (const item of list) {
        const p = incidents.find((x) => x.url === item.url);
        if (!p) continue; // incidents without a position are not in the map data
        assert.deepEqual([item.date, item.dateLast, item.type, item.region, item.actors],
          [p.date, p.date_last, p.type, p.region, p.actors], item.url);
      }
      const years = await page.$$eval('.timeline__year', (hs) => hs.map((h) => h.id));
      const jumps = await page.$$eval('.timeline__jump a', (as) => as.map((a) => a.getAttribute('href')));
      if (years.length > 1) assert.deepEqual(jumps, years.map((id) => `#${id}`));
      assert.ok(await page.locator('.timeline__month').count() > 0, 'month headings');
      assert.equal(await page.isDisabled('#f-type'), true, 'the filters are inert without JavaScript');
      // Uncertainty is visible in the plain HTML.
      const vague = list.find((i) => i.dateLast > i.date);
      if (vague) {
        const note = await page.locator(`.incident-list__item:has(a[href="${vague.url}"]) .uncertain`).first().textContent();
        assert.match(note, /not reported/);
      }
    } finally {
      await context.close();
    }
  });

  test('a type filter hides other incidents, empty months and years, and is written to the URL', async () => {
    const { page, context, log } = await open();
    try {
      const all = await items(page);
      const counts = new Map();
      for (const i of all) counts.set(i.type, (counts.get(i.type) || 0) + 1);
      const type = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
      await page.selectOption('#f-type', type);
      const after = await items(page);
      assert.deepEqual(shownUrls(after), all.filter((i) => i.type === type).map((i) => i.url).sort());
      assert.equal(new URL(page.url()).searchParams.get('type'), type);
      // No visible month or year without a visible incident.
      const empty = await page.evaluate(() => [...document.querySelectorAll('.timeline__section:not([hidden])')]
        .filter((s) => !s.querySelector('.incident-list__item:not([hidden])')).length);
      assert.equal(empty, 0);
      const months = await page.evaluate(() => [...document.querySelectorAll('.timeline__month')]
        .filter((h) => !h.hidden && !h.nextElementSibling.querySelector('.incident-list__item:not([hidden])')).length);
      assert.equal(months, 0);
      const status = await page.textContent('[data-filter-status]');
      assert.match(status, new RegExp(`^${all.filter((i) => i.type === type).length} of ${all.length} incidents`));
      // The map link carries the filter.
      const href = await page.getAttribute('[data-filter-link]', 'href');
      assert.equal(new URL(href, server.url('')).searchParams.get('type'), type);
      assert.deepEqual(await runAxe(page), [], 'axe with a filter active');
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('the URL restores actor and date filters; Back restores the previous state', async () => {
    const all = incidents;
    const counts = new Map();
    for (const p of all) for (const a of p.actors) counts.set(a, (counts.get(a) || 0) + 1);
    const actor = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const { page, context, log } = await open(`?actor=${actor}`);
    try {
      assert.equal(await page.inputValue('#f-actor'), actor);
      const list = await items(page);
      assert.deepEqual(shownUrls(list), list.filter((i) => i.actors.includes(actor)).map((i) => i.url).sort());
      // A date range inside an imprecise incident's span keeps it.
      const vague = list.find((i) => i.dateLast > i.date && i.actors.includes(actor)) || list.find((i) => i.dateLast > i.date);
      if (vague) {
        await page.selectOption('#f-actor', '');
        await page.fill('#f-from', vague.dateLast);
        await page.dispatchEvent('#f-from', 'change');
        await page.fill('#f-to', vague.dateLast);
        await page.dispatchEvent('#f-to', 'change');
        const shown = shownUrls(await items(page));
        assert.ok(shown.includes(vague.url), `${vague.url} (${vague.date}…${vague.dateLast}) kept`);
        const want = list.filter((i) => i.dateLast >= vague.dateLast && i.date <= vague.dateLast).map((i) => i.url).sort();
        assert.deepEqual(shown, want);
        await page.goBack();
        await page.goBack();
        await page.goBack();
        await page.waitForFunction((a) => new URL(window.location.href).searchParams.get('actor') === a, actor);
        assert.deepEqual(shownUrls(await items(page)), list.filter((i) => i.actors.includes(actor)).map((i) => i.url).sort());
      }
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a filter matching nothing on the page says so', async () => {
    const { page, context, log } = await open('?from=1900-01-01&to=1900-12-31');
    try {
      assert.equal(shownUrls(await items(page)).length, 0);
      assert.equal(await page.isVisible('[data-filter-empty]'), true);
      clean(log);
    } finally {
      await context.close();
    }
  });
});
