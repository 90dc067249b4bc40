// `sitrep serve` in a real browser: a page reloads by itself when its incident file changes,
// the error overlay appears (built from the diagnostics, under the pages' strict CSP) and goes
// when the file is fixed, and a stylesheet change restyles the page without reloading it.
//
//   npm run test:browser   (builds target/release/sitrep if SITREP_BIN is not set)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.SITREP_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];
const INCIDENT = 'content/incidents/2024/2024-03-01-beta-police-post.toml';
const WAIT = 20000;

let work;
let server;
let baseUrl;
let browser;
let serverLog = '';

function sitrepBinary() {
  if (process.env.SITREP_BIN) return process.env.SITREP_BIN;
  const built = spawnSync('cargo', ['build', '--release', '-q', '--bin', 'sitrep'], { cwd: REPO, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('cargo build failed');
  return join(REPO, 'target', 'release', 'sitrep');
}

/** A copy of the fixture site with its own theme copy and absolute paths in sitrep.toml. */
function siteCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-serve-'));
  cpSync(join(REPO, 'tests/fixtures/minimal'), join(dir, 'site'), { recursive: true });
  cpSync(join(REPO, 'themes/default'), join(dir, 'theme'), { recursive: true });
  const configPath = join(dir, 'site', 'sitrep.toml');
  const config = readFileSync(configPath, 'utf8')
    .replace('theme = "../../../themes/default"', `theme = ${JSON.stringify(join(dir, 'theme'))}`)
    .replace('mirror = "../geo"', `mirror = ${JSON.stringify(join(REPO, 'tests/fixtures/geo'))}`);
  writeFileSync(configPath, config);
  return dir;
}

async function until(condition, what) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > WAIT) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function edit(file, from, to) {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} lacks ${from}`);
  writeFileSync(file, text.replace(from, to));
}

before(async () => {
  work = siteCopy();
  server = spawn(sitrepBinary(), ['serve', '--port', '0', '--color', 'never', '--root', join(work, 'site')], {
    env: { ...process.env, SITREP_LEAFLET_DIR: join(REPO, 'node_modules/leaflet/dist'), SITREP_TODAY: '2025-01-01' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr.on('data', (chunk) => { serverLog += chunk; });
  const lines = createInterface({ input: server.stdout });
  baseUrl = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverLog}`)), 120000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolveUrl(line.replace('Serving at ', '').trim());
    });
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  if (work && existsSync(work)) rmSync(work, { recursive: true, force: true });
});

test('a page reloads by itself, shows the overlay for bad content, and restyles on CSS changes', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  let loads = 0;
  page.on('load', () => { loads += 1; });
  const listening = page.waitForRequest((r) => r.url().endsWith('__sitrep/events'));
  await page.goto(`${baseUrl}incidents/2024-03-01-beta-police-post/`);
  await listening;
  await page.waitForTimeout(300);
  assert.match(await page.textContent('h1'), /Attack on a police post in Beta/);
  assert.equal(loads, 1);

  // Live reload: no user action, the heading changes because the page reloaded.
  const incident = join(work, 'site', INCIDENT);
  edit(incident, 'Attack on a police post in Beta', 'Raid on the Beta police post');
  // The new heading can be parsed before the reloaded page's load event reaches us: wait for both.
  await page.waitForFunction(() => document.querySelector('h1')?.textContent.includes('Raid'), null, { timeout: WAIT });
  await until(() => loads >= 2, 'the reloaded page fires its load event');
  await page.waitForTimeout(300);

  // Bad content: the overlay lists the file, line and hint; the last good page stays.
  edit(incident, 'killed = 5', 'killed = = 5');
  const overlay = await page.waitForSelector('#sitrep-live-overlay', { timeout: WAIT });
  const text = await overlay.textContent();
  assert.ok(text.includes(`${INCIDENT}:8:`), text);
  assert.ok(text.includes('hint:'), text);
  assert.match(await page.textContent('h1'), /Raid on the Beta police post/);
  const position = await overlay.evaluate((el) => getComputedStyle(el).position);
  assert.equal(position, 'fixed', 'the overlay is styled by live.css despite the CSP');

  // Fixed: the page reloads and the overlay is gone.
  const loadsBeforeFix = loads;
  edit(incident, 'killed = = 5', 'killed = 7');
  await until(() => loads > loadsBeforeFix, 'the page reloads after the fix');
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  assert.equal(await page.$('#sitrep-live-overlay'), null, 'the overlay is cleared');

  // CSS only: restyled in place, no reload.
  await page.waitForTimeout(300);
  const before = loads;
  await page.evaluate(() => { window.sitrepKeep = 'still here'; });
  const css = join(work, 'theme', 'static', 'css', 'site.css');
  writeFileSync(css, `${readFileSync(css, 'utf8')}\nbody { outline: 3px solid rgb(1, 2, 3); }\n`);
  await page.waitForFunction(() => getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)', null, { timeout: WAIT });
  assert.equal(await page.evaluate(() => window.sitrepKeep), 'still here');
  assert.equal(loads, before, 'a stylesheet change must not reload the page');

  assert.deepEqual(problems, [], `console errors: ${problems.join('\n')}\nserve log:\n${serverLog}`);
  await page.close();
});
