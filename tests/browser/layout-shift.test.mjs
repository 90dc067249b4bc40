// No layout shift while the pages with a map load: the map's box is sized by the stylesheet
// before Leaflet runs, and the map's bottom corner (attribution, legend) appears whole once the
// data is drawn. Lighthouse's Cumulative Layout Shift (scripts/lighthouse.mjs) measures the
// same thing; this is the cheap check of it, at Lighthouse's desktop and mobile screen sizes.
//
//   SITREP_TEST_SITE=/path/to/output node --test tests/browser/layout-shift.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, openBrowser, startServer, waitForMap } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Lighthouse 12's screen sizes: desktop preset and the default (mobile, Moto G Power).
const SCREENS = [
  { name: 'desktop', viewport: { width: 1350, height: 940 } },
  { name: 'mobile', viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1.75 },
];

/** Records every layout-shift entry of the page from its start in window.__sitrepShifts. */
async function recordShifts(page) {
  // An init script is injected through the DevTools protocol, so the page's CSP does not block it.
  await page.addInitScript(() => {
    window.__sitrepShifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__sitrepShifts.push({
          value: e.value,
          hadRecentInput: e.hadRecentInput,
          moved: e.sources.map((s) => (s.node && s.node.nodeType === 1
            ? `${s.node.tagName.toLowerCase()}.${[...s.node.classList].join('.')}` : String(s.node && s.node.nodeName))),
        });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

// The shift this guards against (the legend added above the attribution in the map's bottom
// corner) measured 0.039 on desktop; a status line wrapping in the map's side panel moves the
// text below it by 0.0003, which is allowed.
const LIMIT = 0.005;

describe('no layout shift on pages with a map', () => {
  for (const screen of SCREENS) {
    for (const path of ['', 'map/', 'regions/khyber-pakhtunkhwa/peshawar/']) {
      test(`${screen.name} /${path}`, async () => {
        const { name: _name, ...options } = screen;
        const { page, context } = await newPage(browser, options);
        try {
          await recordShifts(page);
          await page.goto(server.url(path), { waitUntil: 'load' });
          await waitForMap(page);
          // Two frames after "ready", so whatever the map drew last has been laid out and painted.
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
          const shifts = (await page.evaluate(() => window.__sitrepShifts)).filter((s) => !s.hadRecentInput);
          const total = shifts.reduce((sum, s) => sum + s.value, 0);
          assert.ok(total < LIMIT, `layout shift ${total.toFixed(4)}: ${JSON.stringify(shifts)}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
