// Every kind of page of the built site: accessibility (axe-core, WCAG 2.x A/AA, which includes
// colour contrast), no console errors, nothing loaded from another host, CSP-clean, and usable
// at 375 px width (no horizontal scrolling).
//
//   SITREP_TEST_SITE=/path/to/output npm run test:browser

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PREFIX, assertNoConsoleErrors, assertNoCspViolations, assertNoFailedRequests, assertNoForeignRequests, newPage, openBrowser,
  readPoints, readSiteJson, runAxe, siteMount, startServer, waitForMap,
} from './harness.mjs';

let server;
let browser;
let mount;

before(async () => {
  mount = siteMount();
  server = await startServer({ mount });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The pages to check: fixed sections plus one page of each kind taken from the map data. */
function pages() {
  const list = [
    ['home', PREFIX],
    ['map', `${PREFIX}map/`],
    ['timeline', `${PREFIX}timeline/`],
    ['regions', `${PREFIX}regions/`],
    ['incidents', `${PREFIX}incidents/`],
    ['briefs', `${PREFIX}briefs/`],
    ['actors', `${PREFIX}actors/`],
    ['about', `${PREFIX}about/`],
    ['404 page', `${PREFIX}404.html`],
  ];
  const incidents = readPoints(mount);
  const districts = readSiteJson(`${PREFIX}data/map/districts.geojson`, mount);
  const provinces = readSiteJson(`${PREFIX}data/map/provinces.geojson`, mount);
  if (incidents.features.length) list.push(['an incident', incidents.features[0].properties.url]);
  const years = [...incidents.index.years].sort((a, b) => b.count - a.count);
  if (years.length) list.push(['a timeline year', `${PREFIX}timeline/${years[0].year}/`]);
  const busiest = [...districts.features].sort((a, b) => (b.properties.incidents || 0) - (a.properties.incidents || 0))[0];
  if (busiest) list.push(['a district', busiest.properties.url]);
  if (provinces.features.length) list.push(['a province', provinces.features[0].properties.url]);
  return list;
}

/** The first link on `indexPath` to a page below it (a brief, an actor), if there is one. */
async function firstChildPage(page, indexPath) {
  await page.goto(server.url(indexPath));
  return page.evaluate((prefix) => {
    const link = [...document.querySelectorAll('main a[href]')]
      .map((a) => a.getAttribute('href'))
      .find((href) => href.startsWith(prefix) && href !== prefix && href.slice(prefix.length).replace(/\/$/, '').length > 0);
    return link || null;
  }, indexPath);
}

async function checkPage(path, viewport) {
  const { page, context, log } = await newPage(browser, { viewport });
  try {
    const response = await page.goto(server.url(path));
    assert.equal(response.status(), 200, `${path} answers 200`);
    assert.ok((await page.title()).trim().length > 0, 'the page has a title');
    assert.equal(await page.getAttribute('html', 'lang') !== null, true, '<html lang> is set');
    const maps = await page.locator('.map[data-view], #map').count();
    if (maps) {
      for (let i = 0; i < maps; i += 1) {
        await page.locator('.map[data-view], #map').nth(i).evaluate((el, n) => el.setAttribute('data-test-map', String(n)), i);
        await waitForMap(page, `[data-test-map="${i}"]`);
      }
    }
    const violations = await runAxe(page);
    assert.deepEqual(violations, [], `axe violations on ${path}:\n${JSON.stringify(violations, null, 2)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px at ${viewport.width}px`);
    const styled = await page.$$eval('[style]', (els) => els
      .filter((e) => !e.closest('.leaflet-container'))
      .map((e) => e.outerHTML.slice(0, 120)));
    assert.deepEqual(styled, [], 'no style attributes outside the map (the CSP forbids them)');
    assertNoConsoleErrors(log);
    assertNoCspViolations(log);
    assertNoFailedRequests(log);
    assertNoForeignRequests(log, server);
  } finally {
    await context.close();
  }
}

for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['375 px', { width: 375, height: 740 }]]) {
  describe(`pages (${label})`, () => {
    for (const [name, path] of pages()) {
      test(`${name}: ${path}`, () => checkPage(path, viewport));
    }

    for (const section of ['briefs', 'actors']) {
      test(`a page under /${section}/`, async (t) => {
        const { page, context } = await newPage(browser, { viewport });
        let path;
        try {
          path = await firstChildPage(page, `${PREFIX}${section}/`);
        } finally {
          await context.close();
        }
        if (!path) {
          t.skip(`no ${section} in this site`);
          return;
        }
        await checkPage(path, viewport);
      });
    }
  });
}
