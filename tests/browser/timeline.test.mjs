// The timeline: /timeline/ (years and the latest incidents) and one page per year
// (/timeline/<year>/, paged when long), complete as plain HTML and filtered in place by
// static/js/timeline.js with the map's filters and URL query, which follow the reader from
// page to page. Expected values come from the data attributes the build wrote and from the
// map's point files, read independently of the page's scripts.
//
//   SITREP_TEST_SITE=/path/to/output node --test tests/browser/

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PREFIX, assertNoConsoleErrors, assertNoCspViolations, assertNoFailedRequests, assertNoForeignRequests,
  newPage, openBrowser, readPoints, runAxe, siteMount, startServer,
} from './harness.mjs';

const TIMELINE = `${PREFIX}timeline/`;

let server;
let browser;
let incidents;
let years; // [{year, count}] from the point index, oldest first
let busiest; // the year with the most incidents

before(async () => {
  const mount = siteMount();
  server = await startServer({ mount });
  browser = await openBrowser();
  const points = readPoints(mount);
  incidents = points.features.map((f) => f.properties);
  years = points.index.years.map((y) => ({ year: y.year, count: y.count }));
  busiest = [...years].sort((a, b) => b.count - a.count || b.year - a.year)[0].year;
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

async function open(path, options = {}) {
  const opened = await newPage(browser, options);
  const response = await opened.page.goto(server.url(path));
  assert.equal(response.status(), 200);
  if (options.javaScriptEnabled !== false) await opened.page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
  return opened;
}

const yearPage = (year, query = '') => `${TIMELINE}${year}/${query}`;

describe('timeline index', () => {
  test('every year with its figures and page, and the latest incidents, newest first', async () => {
    const { page, context, log } = await open(TIMELINE);
    try {
      const rows = await page.$$eval('[data-timeline-years] tbody tr', (trs) => trs.map((tr) => ({
        year: Number(tr.querySelector('th a').textContent),
        href: tr.querySelector('th a').getAttribute('href'),
        count: Number(tr.querySelector('td').textContent),
      })));
      const withPoints = new Map(years.map((y) => [y.year, y.count]));
      for (const row of rows) {
        assert.equal(row.href, `${TIMELINE}${row.year}/`);
        if (withPoints.has(row.year)) assert.ok(row.count >= withPoints.get(row.year), `${row.year}: ${row.count} incidents`);
      }
      assert.deepEqual(rows.map((r) => r.year).filter((y) => withPoints.has(y)), years.map((y) => y.year));
      const latest = (await items(page)).map((i) => i.date);
      assert.ok(latest.length > 0);
      assert.deepEqual(latest, [...latest].sort().reverse(), 'newest first');
      assert.deepEqual(await runAxe(page), [], 'axe on the index');
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a date range hides the years outside it; year links carry the filters', async () => {
    const { year } = years[years.length - 1];
    const { page, context, log } = await open(`${TIMELINE}?from=${year}-01-01&type=bombing`);
    try {
      const rows = await page.$$eval('[data-timeline-years] tbody tr', (trs) => trs.map((tr) => ({
        year: Number(tr.querySelector('th a').textContent), hidden: tr.hidden, href: tr.querySelector('th a').getAttribute('href'),
      })));
      for (const row of rows) {
        assert.equal(row.hidden, row.year < year, `${row.year} hidden: ${row.hidden}`);
        const url = new URL(row.href, server.url(''));
        assert.equal(url.searchParams.get('from'), `${year}-01-01`);
        assert.equal(url.searchParams.get('type'), 'bombing');
      }
      clean(log);
    } finally {
      await context.close();
    }
  });
});

describe('timeline year pages', () => {
  test('without JavaScript: the year by month, jump links to every year, inert filters', async () => {
    const { page, context } = await open(yearPage(busiest, '?type=bombing'), { javaScriptEnabled: false });
    try {
      const list = await items(page);
      const want = incidents.filter((p) => p.date.startsWith(String(busiest))).map((p) => p.url).sort();
      assert.ok(list.length >= want.length && list.length > 0);
      for (const url of want) assert.ok(list.some((i) => i.url === url), `${url} listed on ${busiest}`);
      assert.equal(list.filter((i) => i.shown).length, list.length, 'nothing is hidden');
      assert.deepEqual(list.map((i) => i.date), [...list.map((i) => i.date)].sort(), 'oldest first');
      // The build's data attributes agree with the map data.
      for (const item of list) {
        const p = incidents.find((x) => x.url === item.url);
        if (!p) continue; // incidents without a position are not in the map data
        assert.deepEqual([item.date, item.dateLast, item.type, item.region, item.actors],
          [p.date, p.date_last, p.type, p.region, p.actors], item.url);
      }
      const jumps = await page.$$eval('nav.timeline__years a', (as) => as.map((a) => a.getAttribute('href')));
      for (const { year } of years) assert.ok(jumps.includes(`${TIMELINE}${year}/`), `jump link to ${year}`);
      assert.equal(await page.getAttribute(`nav.timeline__years a[href="${TIMELINE}${busiest}/"]`, 'aria-current'), 'page');
      assert.ok(await page.locator('.timeline__month').count() > 0, 'month headings');
      const months = await page.$$eval('nav.timeline__months a', (as) => as.map((a) => a.getAttribute('href')));
      for (const href of months.filter((h) => h.startsWith('#'))) {
        assert.equal(await page.locator(`[id="${href.slice(1)}"]`).count(), 1, `${href} has a target`);
      }
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
    const { page, context, log } = await open(yearPage(busiest));
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
      // The map link and every link to another year carry the filter.
      const href = await page.getAttribute('[data-filter-link]', 'href');
      assert.equal(new URL(href, server.url('')).searchParams.get('type'), type);
      const yearLinks = await page.$$eval('nav.timeline__years a', (as) => as.map((a) => a.getAttribute('href')));
      for (const link of yearLinks) assert.equal(new URL(link, server.url('')).searchParams.get('type'), type, link);
      assert.deepEqual(await runAxe(page), [], 'axe with a filter active');
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('the filters follow the reader to another year', async () => {
    const other = years.find((y) => y.year !== busiest).year;
    const type = incidents.find((p) => p.date.startsWith(String(other))).type;
    const { page, context, log } = await open(yearPage(busiest, `?type=${type}`));
    try {
      await Promise.all([
        page.waitForURL((url) => url.pathname === `${TIMELINE}${other}/`),
        page.click(`nav.timeline__years a[href^="${TIMELINE}${other}/"]`),
      ]);
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      assert.equal(new URL(page.url()).searchParams.get('type'), type);
      assert.equal(await page.inputValue('#f-type'), type);
      const list = await items(page);
      assert.deepEqual(shownUrls(list), list.filter((i) => i.type === type).map((i) => i.url).sort());
      assert.ok(shownUrls(list).length > 0);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('a date range in another year: the notice links to that year, which shows it', async () => {
    const target = years.find((y) => y.year !== busiest).year;
    const { page, context, log } = await open(yearPage(busiest));
    try {
      await page.selectOption('#f-year', String(target));
      assert.equal(await page.inputValue('#f-from'), `${target}-01-01`);
      assert.equal(await page.inputValue('#f-to'), `${target}-12-31`);
      const q = new URL(page.url()).searchParams;
      assert.deepEqual([q.get('from'), q.get('to')], [`${target}-01-01`, `${target}-12-31`]);
      assert.equal(shownUrls(await items(page)).length, 0);
      assert.equal(await page.isVisible('[data-filter-empty]'), true);
      // Years outside the range are hidden from the jump links (the current one stays).
      const shownYears = await page.$$eval('nav.timeline__years li:not([hidden]) a', (as) => as.map((a) => a.textContent.trim()));
      assert.deepEqual(shownYears.sort(), [String(busiest), String(target)].sort());
      const link = page.locator('[data-filter-elsewhere] a', { hasText: String(target) });
      assert.equal(await link.count(), 1, 'the notice links to the year');
      await Promise.all([page.waitForURL((url) => url.pathname === `${TIMELINE}${target}/`), link.click()]);
      await page.waitForSelector('.timeline[data-state="ready"]', { state: 'attached' });
      assert.equal(await page.inputValue('#f-year'), String(target));
      const there = await items(page);
      assert.ok(there.length > 0);
      assert.deepEqual(shownUrls(there), there.map((i) => i.url).sort(), `every incident of ${target} is shown`);
      clean(log);
    } finally {
      await context.close();
    }
  });

  test('the URL restores actor and date filters; Back restores the previous state', async () => {
    const counts = new Map();
    for (const p of incidents.filter((x) => x.date.startsWith(String(busiest)))) {
      for (const a of p.actors) counts.set(a, (counts.get(a) || 0) + 1);
    }
    const actor = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const { page, context, log } = await open(yearPage(busiest, `?actor=${actor}`));
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
    const { page, context, log } = await open(yearPage(busiest, '?from=1900-01-01&to=1900-12-31'));
    try {
      assert.equal(shownUrls(await items(page)).length, 0);
      assert.equal(await page.isVisible('[data-filter-empty]'), true);
      assert.equal(await page.locator('[data-filter-elsewhere] a').count(), 0, 'no year holds 1900');
      clean(log);
    } finally {
      await context.close();
    }
  });
});
