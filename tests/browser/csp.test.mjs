// The Content-Security-Policy bar: every built page declares a strict policy (default-src
// 'self', no 'unsafe-inline' or 'unsafe-eval') and has nothing the policy would block — no
// inline script or style element, no style or event-handler attribute, no javascript: URL, no
// script, stylesheet or image from another host. The runtime side (no violation reported while
// pages run) is asserted by every browser test through harness.mjs; the last test here shows
// that detector reports a real violation.
//
//   SITREP_TEST_SITE=/path/to/output node --test tests/browser/

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PREFIX, REPO_ROOT, newPage, openBrowser, siteMount, startServer } from './harness.mjs';

/** Every file below `dir` whose name ends with `ext`. */
function files(dir, ext) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/**
 * The start tags of an HTML document: [{name, attrs: Map}]. Skips comments and the raw text
 * of script/style elements; quoted attribute values may hold any character.
 */
function startTags(html) {
  const tags = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    const m = /^<([a-zA-Z][\w:-]*)/.exec(html.slice(lt, lt + 64));
    if (!m) {
      i = lt + 1;
      continue;
    }
    const name = m[1].toLowerCase();
    const attrs = new Map();
    let j = lt + m[0].length;
    const attr = /\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?|\s*\/?/y;
    while (j < html.length && html[j] !== '>') {
      attr.lastIndex = j;
      const a = attr.exec(html);
      if (!a || attr.lastIndex === j) {
        j += 1;
        continue;
      }
      if (a[1]) attrs.set(a[1].toLowerCase(), a[2] ?? a[3] ?? a[4] ?? '');
      j = attr.lastIndex;
    }
    tags.push({ name, attrs });
    i = j + 1;
    if (name === 'script' || name === 'style') {
      const close = html.toLowerCase().indexOf(`</${name}`, i);
      tags[tags.length - 1].body = html.slice(i, close < 0 ? html.length : close);
      i = close < 0 ? html.length : close;
    }
  }
  return tags;
}

let mount;
let pages;

before(() => {
  mount = siteMount();
  pages = files(mount.dir, '.html');
});

describe('Content-Security-Policy', () => {
  test('the tag scanner finds what the checks look for', () => {
    const tags = startTags('<p title="a>b" style=x>t</p><!-- <script> --><script>alert(1)</script><a href=\'javascript:x\' onclick="y">');
    assert.deepEqual(tags.map((t) => t.name), ['p', 'script', 'a']);
    assert.equal(tags[0].attrs.get('title'), 'a>b');
    assert.ok(tags[0].attrs.has('style'));
    assert.equal(tags[1].body, 'alert(1)');
    assert.ok(tags[2].attrs.has('onclick'));
  });

  test('every page declares a strict policy', () => {
    assert.ok(pages.length > 10, `${pages.length} pages`);
    for (const file of pages) {
      const metas = startTags(readFileSync(file, 'utf8'))
        .filter((t) => t.name === 'meta' && (t.attrs.get('http-equiv') || '').toLowerCase() === 'content-security-policy');
      assert.equal(metas.length, 1, `${relative(mount.dir, file)}: one CSP meta tag`);
      const policy = metas[0].attrs.get('content');
      const directives = Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
      assert.deepEqual(directives['default-src'], ["'self'"], `${file}: default-src 'self'`);
      for (const key of ['script-src', 'style-src', 'connect-src']) {
        assert.deepEqual(directives[key], ["'self'"], `${relative(mount.dir, file)}: ${key} 'self'`);
      }
      assert.deepEqual(directives['object-src'], ["'none'"]);
      assert.ok(!/unsafe-(inline|eval|hashes)/.test(policy), `${file}: no unsafe-* source`);
    }
  });

  test('no page has inline scripts, inline styles, handlers or javascript: URLs', () => {
    const problems = [];
    for (const file of pages) {
      const where = relative(mount.dir, file);
      for (const tag of startTags(readFileSync(file, 'utf8'))) {
        if (tag.name === 'script' && (!tag.attrs.has('src') || tag.body.trim() !== '')) problems.push(`${where}: inline <script>`);
        if (tag.name === 'style') problems.push(`${where}: <style> element`);
        for (const [name, value] of tag.attrs) {
          if (name === 'style') problems.push(`${where}: style attribute on <${tag.name}>`);
          if (name.startsWith('on')) problems.push(`${where}: ${name} attribute on <${tag.name}>`);
          if (/^\s*javascript:/i.test(value)) problems.push(`${where}: javascript: URL in ${name}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('scripts, stylesheets and images come from the site itself', () => {
    const problems = [];
    for (const file of pages) {
      for (const tag of startTags(readFileSync(file, 'utf8'))) {
        const url = tag.name === 'script' || tag.name === 'img' ? tag.attrs.get('src')
          : tag.name === 'link' && /stylesheet|icon|preload|modulepreload/.test(tag.attrs.get('rel') || '') ? tag.attrs.get('href') : null;
        if (url && !url.startsWith(PREFIX)) problems.push(`${relative(mount.dir, file)}: <${tag.name}> loads ${url}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the theme scripts use no eval, Function constructor, innerHTML or document.write', () => {
    const dir = join(REPO_ROOT, 'themes', 'default', 'static', 'js');
    for (const file of files(dir, '.js')) {
      const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const banned of [/\beval\s*\(/, /new\s+Function\s*\(/, /\.innerHTML\b/, /\.outerHTML\s*=/, /document\.write/, /setAttribute\(\s*['"]style['"]/]) {
        assert.ok(!banned.test(source), `${relative(REPO_ROOT, file)} uses ${banned}`);
      }
    }
  });
});

describe('CSP violation detector', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer({ mount });
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('reports an inline style the policy blocks (so a clean run means something)', async () => {
    const { page, context, log } = await newPage(browser);
    try {
      await page.goto(server.url(PREFIX));
      await page.evaluate(() => {
        const s = document.createElement('style');
        s.textContent = 'body { color: red }';
        document.head.appendChild(s);
      });
      await page.waitForFunction(() => true);
      await new Promise((ok) => setTimeout(ok, 200));
      assert.ok(log.csp.some((v) => /style-src/.test(v.directive)), `reported: ${JSON.stringify(log.csp)}`);
    } finally {
      await context.close();
    }
  });
});
