// Test-only generator of a large synthetic atlas: N incident files over the real districts of
// Pakistan (points sampled inside the geoBoundaries ADM2 polygons of the geodata mirror), with
// the repository's theme, so the browser tests can check paging and the map's on-demand
// loading at size. Deterministic: the same options write the same files.
//
//   node tests/browser/gen-site.mjs --incidents 20000 --out /tmp/atlas [--first-year 2010 --years 15]
//   (then: sitrep --root /tmp/atlas build)

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './harness.mjs';

const TYPES = ['bombing', 'suicide-bombing', 'armed-assault', 'targeted-killing', 'ambush', 'clash', 'kidnapping', 'other'];
const ACTORS = [
  ['ttp', 'Tehrik-i-Taliban Pakistan', 'TTP'],
  ['bla', 'Balochistan Liberation Army', 'BLA'],
  ['blf', 'Balochistan Liberation Front', 'BLF'],
  ['iskp', 'Islamic State Khorasan Province', 'ISKP'],
  ['jamaat-ul-ahrar', 'Jamaat-ul-Ahrar', ''],
  ['lashkar-e-jhangvi', 'Lashkar-e-Jhangvi', 'LeJ'],
];
const STATUSES = ['claimed', 'attributed', 'suspected', 'disputed'];

/** mulberry32: a small seeded PRNG. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rings(geometry) {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

/** Even-odd point-in-polygon over every ring of every polygon. */
function inside(polygons, lon, lat) {
  let hit = false;
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) hit = !hit;
      }
    }
  }
  return hit;
}

function districts(mirror) {
  const layer = JSON.parse(readFileSync(join(mirror, 'pak-adm2.geojson'), 'utf8'));
  return layer.features.map((f) => {
    const polygons = rings(f.geometry);
    let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of polygons) for (const ring of p) for (const [x, y] of ring) {
      w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
    }
    return { name: f.properties.shapeName, polygons, bbox: [w, s, e, n] };
  }).filter((d) => d.polygons.length && d.name);
}

const round4 = (x) => Math.round(x * 1e4) / 1e4;

/** A point inside district `d` (rounded to 4 decimals), or null after many misses. */
function pointIn(d, rand) {
  const [w, s, e, n] = d.bbox;
  for (let k = 0; k < 200; k += 1) {
    const lon = round4(w + (e - w) * rand());
    const lat = round4(s + (n - s) * rand());
    if (inside(d.polygons, lon, lat)) return [lon, lat];
  }
  return null;
}

const q = (s) => JSON.stringify(String(s));
const pad = (n, w = 2) => String(n).padStart(w, '0');

/**
 * Write the site into `out`: sitrep.toml (theme and geodata of the repository, optional
 * [pagination]), content/actors and `incidents` incident files from `firstYear` over `years`
 * years, clustered around a few hundred "towns". Returns the list of { id, year }.
 */
export function generateSite({ out, incidents, firstYear = 2010, years = 15, pagination = null, seed = 7 }) {
  const mirror = resolve(process.env.SITREP_GEODATA_MIRROR || join(REPO_ROOT, '..', 'shared', 'geodata'));
  const rand = random(seed);
  const all = districts(mirror);
  const towns = [];
  while (towns.length < 300) {
    const d = all[Math.floor(rand() * all.length)];
    const p = pointIn(d, rand);
    if (p) towns.push({ d, p });
  }
  let config = readFileSync(join(REPO_ROOT, 'sitrep.toml'), 'utf8')
    .replace('theme = "default"', `theme = ${q(join(REPO_ROOT, 'themes', 'default'))}`)
    .replace('[geodata]\n', `[geodata]\nmirror = ${q(mirror)}\n`);
  if (pagination) {
    const lines = Object.entries(pagination).map(([k, v]) => `${k} = ${Number(v)}`).join('\n');
    config = config.replace('[geodata]\n', `[pagination]\n${lines}\n\n[geodata]\n`);
  }
  mkdirSync(join(out, 'content', 'actors'), { recursive: true });
  writeFileSync(join(out, 'sitrep.toml'), config);
  for (const [slug, name, short] of ACTORS) {
    writeFileSync(join(out, 'content', 'actors', `${slug}.toml`),
      `name = ${q(name)}\n${short ? `short_name = ${q(short)}\n` : ''}kind = "militant-group"\n\ndescription = "A synthetic actor for the browser tests."\n`);
  }
  const days = years * 365;
  const start = Date.UTC(firstYear, 0, 1);
  const written = [];
  for (let n = 0; n < incidents; n += 1) {
    const day = new Date(start + Math.floor(((n + 0.5) * days) / incidents) * 86400000);
    let [y, m, dd] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    let precision = 'day';
    if (n % 53 === 7) { precision = 'year'; m = 1; dd = 1; } else if (n % 17 === 3) { precision = 'month'; dd = 1; }
    const town = towns[Math.floor(towns.length * rand() ** 2)];
    let point = [round4(town.p[0] + (rand() - 0.5) * 0.06), round4(town.p[1] + (rand() - 0.5) * 0.06)];
    if (!inside(town.d.polygons, point[0], point[1])) point = town.p;
    const type = TYPES[Math.floor(rand() * TYPES.length)];
    const id = `${y}-${pad(m)}-${pad(dd)}-synthetic-${pad(n, 6)}`;
    const killed = Math.floor(rand() ** 3 * 40);
    const lines = [
      `title = ${q(`${type.replace(/-/g, ' ')} near ${town.d.name}, number ${n}`)}`,
      `date = ${y}-${pad(m)}-${pad(dd)}`,
      `date_precision = "${precision}"`,
      'country = "PAK"',
      `type = "${type}"`,
      'targets = ["civilians"]',
      n % 11 === 0 ? `killed = { min = ${killed}, max = ${killed + 4} }` : `killed = ${killed}`,
      n % 5 === 0 ? '' : `injured = ${Math.floor(rand() * 30)}`,
      `summary = "A synthetic incident for the browser tests, number ${n}."`,
      '',
      '[location]',
      `name = ${q(`${town.d.name} town`)}`,
      `lat = ${point[1]}`,
      `lon = ${point[0]}`,
      'geo_precision = "town"',
    ];
    if (n % 7 !== 0) {
      const actor = ACTORS[Math.floor(rand() ** 1.5 * ACTORS.length)][0];
      lines.push('', '[[perpetrators]]', `actor = "${actor}"`, `attribution = "${STATUSES[n % STATUSES.length]}"`, `by = "A statement reported by the Example Times"`);
    }
    lines.push('', '[[sources]]', 'publisher = "Example Times"', `title = "Report ${n}"`, `date = ${y}-${pad(m)}-${pad(dd)}`, '');
    const dir = join(out, 'content', 'incidents', String(y));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${id}.toml`), lines.join('\n'));
    written.push({ id, year: y });
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, v, i, a) => (i % 2 ? pairs : [...pairs, [a[i].replace(/^--/, ''), a[i + 1]]]), []));
  if (!args.out || !args.incidents) {
    console.error('usage: node tests/browser/gen-site.mjs --incidents N --out DIR [--first-year 2010 --years 15]');
    process.exit(2);
  }
  generateSite({
    out: resolve(args.out),
    incidents: Number(args.incidents),
    firstYear: Number(args['first-year'] || 2010),
    years: Number(args.years || 15),
  });
}
