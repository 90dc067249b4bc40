// Takes docs/screenshot.png (the README's picture): builds the atlas (or uses SITREP_TEST_SITE),
// serves it on 127.0.0.1 under /sitrep/ and photographs the home page in headless Chromium.
//
//   node scripts/screenshot.mjs [PAGE]      PAGE: a path under the site, default "" (home)
import { join } from 'node:path';
import { REPO_ROOT, openBrowser, startServer } from '../tests/browser/harness.mjs';

const page = process.argv[2] || '';
const server = await startServer();
const browser = await openBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const tab = await context.newPage();
  await tab.goto(server.url(page), { waitUntil: 'networkidle' });
  await tab.waitForSelector('#map .leaflet-interactive', { timeout: 15000 }).catch(() => {});
  const out = join(REPO_ROOT, 'docs', 'screenshot.png');
  await tab.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
