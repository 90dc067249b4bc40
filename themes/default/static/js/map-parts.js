/*
 * sitrep map parts — the pieces of the map (static/js/map.js) that need no map state of their
 * own: safe DOM and URL helpers, data loading, district figures, choropleth classes, the
 * deterministic grid clustering, tooltip/popup content, and the legend and figures table of a
 * map view. Loaded before map.js; exposes window.SitrepMapParts. Vanilla ES2019; everything
 * is built with createElement/textContent (the data is untrusted text), nothing inline (CSP).
 */
(function () {
  'use strict';

  var MAX_CLASSES = 5; // including the "0" class
  var CELL_PX = 44; // cluster grid cell, in screen pixels
  var TYPE_ORDER = ['suicide-bombing', 'bombing', 'armed-assault', 'targeted-killing', 'ambush',
    'clash', 'kidnapping', 'other'];
  var METRICS = {
    incidents: { legend: 'Incidents per district' },
    killed: { legend: 'People killed per district' },
    injured: { legend: 'People injured per district' }
  };

  /* ---------- small helpers ---------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function escapeHtml(text) {
    // Leaflet's attribution control writes its strings with innerHTML: escape ours.
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  /** A safe href from untrusted data: same-site paths and http(s) URLs only. */
  function safeUrl(url) {
    if (typeof url !== 'string' || url === '') return null;
    try {
      var parsed = new URL(url, window.location.href);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
      return url;
    } catch (e) {
      return null;
    }
  }

  function num(value) {
    var n = Number(value);
    return isFinite(n) ? n : 0;
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  /** "84" or "84–101" from a lower and upper bound. */
  function range(lo, hi) {
    if (lo === null || lo === undefined) return 'unknown';
    if (hi === null || hi === undefined || num(hi) === num(lo)) return String(lo);
    return lo + '\u2013' + hi;
  }

  /** Safe CSS class suffix from a vocabulary value. */
  function token(value) {
    return String(value || 'other').toLowerCase().replace(/[^a-z0-9-]/g, '');
  }

  function parseBounds(text) {
    if (!text) return null;
    try {
      var b = JSON.parse(text);
      if (Array.isArray(b) && b.length === 2 && b.every(function (p) {
        return Array.isArray(p) && p.length === 2 && p.every(function (v) { return typeof v === 'number' && isFinite(v); });
      })) {
        return L.latLngBounds(b);
      }
    } catch (e) { /* fall through */ }
    return null;
  }

  function fetchJson(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
      return response.json();
    });
  }

  function fetchCollection(url) {
    return fetchJson(url).then(function (data) {
      if (!data || !Array.isArray(data.features)) throw new Error(url + ': not a GeoJSON FeatureCollection');
      return data;
    });
  }

  /**
   * The index of the point files (data/map/points/index.json, docs/site-layout.md):
   * {total, bytes, eager, years: [{year, count, bytes, first, last}], fields, overview: {cell, zooms}}.
   */
  function fetchPointIndex(base) {
    var url = base + 'data/map/points/index.json';
    return fetchJson(url).then(function (index) {
      if (!index || !Array.isArray(index.years) || !Array.isArray(index.fields) || !index.overview ||
        !Array.isArray(index.overview.zooms)) {
        throw new Error(url + ': not a point index');
      }
      index.years = index.years.filter(function (y) { return y && /^-?\d{1,4}$/.test(String(y.year)); });
      return index;
    });
  }

  /** "84", "84–101", or "not reported" (as the site's pages say). */
  function figureLabel(lo, hi) {
    if (lo === null || lo === undefined) return 'not reported';
    return range(lo, hi);
  }

  var PRECISIONS = ['day', 'month', 'year'];

  /**
   * The points of one year file ({year, dict: {type, region, actor, place, attribution}, rows})
   * as the map uses them: {props (what popups and the legend read), latlng, date, date_last,
   * type, actors, region}. `fields` names the row columns (from the index).
   */
  function decodeYear(data, fields, base) {
    if (!data || !Array.isArray(data.rows) || !data.dict) throw new Error('not a point file');
    var col = {};
    fields.forEach(function (name, i) { col[name] = i; });
    var dict = data.dict;
    var pick = function (list, i) { return Array.isArray(list) && i !== null && i !== undefined ? list[i] : undefined; };
    var out = [];
    data.rows.forEach(function (row) {
      if (!Array.isArray(row)) return;
      var lon = Number(row[col.lon]);
      var lat = Number(row[col.lat]);
      if (!isFinite(lon) || !isFinite(lat)) return;
      var id = String(row[col.id] || '');
      var type = pick(dict.type, row[col.type]) || ['other', 'Other'];
      var actors = (Array.isArray(row[col.actors]) ? row[col.actors] : []).map(function (a) {
        var entry = pick(dict.actor, a);
        return Array.isArray(entry) ? String(entry[0]) : '';
      }).filter(Boolean);
      var date = String(row[col.date] || '');
      var dateLast = row[col.date_last] ? String(row[col.date_last]) : date;
      var region = String(pick(dict.region, row[col.region]) || '');
      var props = {
        id: id,
        title: String(row[col.title] || id),
        url: base + 'incidents/' + encodeURIComponent(id) + '/',
        date: date,
        date_last: dateLast,
        date_label: String(row[col.date_label] || date),
        date_precision: PRECISIONS[row[col.precision]] || 'day',
        type: String(type[0]),
        type_label: String(type[1] || type[0]),
        killed: row[col.killed],
        killed_max: row[col.killed_max],
        injured: row[col.injured],
        injured_max: row[col.injured_max],
        killed_label: figureLabel(row[col.killed], row[col.killed_max]),
        injured_label: figureLabel(row[col.injured], row[col.injured_max]),
        place: String(pick(dict.place, row[col.place]) || ''),
        region: region,
        actors: actors,
        attribution_label: String(pick(dict.attribution, row[col.attribution]) || '')
      };
      out.push({
        props: props,
        latlng: L.latLng(lat, lon),
        date: date,
        date_last: dateLast,
        type: props.type,
        actors: actors,
        region: region
      });
    });
    return out;
  }

  /** A precomputed overview file ({zoom, cell, clusters: [[lon, lat, n, killed, y0, y1, id?, title?]]}). */
  function decodeOverview(data, base) {
    if (!data || !Array.isArray(data.clusters)) throw new Error('not an overview file');
    return data.clusters.filter(function (c) {
      return Array.isArray(c) && isFinite(c[0]) && isFinite(c[1]) && num(c[2]) > 0;
    }).map(function (c) {
      var entry = {
        latlng: L.latLng(Number(c[1]), Number(c[0])),
        count: num(c[2]),
        killed: num(c[3]),
        first: num(c[4]),
        last: num(c[5])
      };
      if (entry.count === 1 && c[6]) {
        entry.id = String(c[6]);
        entry.title = String(c[7] || c[6]);
        entry.url = base + 'incidents/' + encodeURIComponent(entry.id) + '/';
      }
      return entry;
    });
  }

  function hasGeometry(feature) {
    return feature && feature.geometry && feature.geometry.coordinates;
  }

  function isPoint(f) {
    var g = f && f.geometry;
    return !!(g && g.type === 'Point' && Array.isArray(g.coordinates) &&
      isFinite(g.coordinates[0]) && isFinite(g.coordinates[1]));
  }

  /* ---------- figures ---------- */

  function zeroFigures() {
    return { incidents: 0, killed: 0, killed_max: 0, injured: 0, injured_max: 0 };
  }

  function addFigures(total, p) {
    total.incidents += 1;
    total.killed += num(p.killed);
    total.killed_max += num(p.killed_max !== null && p.killed_max !== undefined ? p.killed_max : p.killed);
    total.injured += num(p.injured);
    total.injured_max += num(p.injured_max !== null && p.injured_max !== undefined ? p.injured_max : p.injured);
  }

  /** Figures of `features` summed into every region id of `ids` that holds them. */
  function aggregate(features, ids) {
    var out = {};
    ids.forEach(function (id) { out[id] = zeroFigures(); });
    features.forEach(function (f) {
      var p = f.properties || {};
      var parts = String(p.region || '').split('/');
      for (var i = 1; i <= parts.length; i++) {
        var id = parts.slice(0, i).join('/');
        if (out[id]) addFigures(out[id], p);
      }
    });
    return out;
  }

  function figuresOf(p) {
    return {
      incidents: num(p.incidents), killed: num(p.killed), killed_max: num(p.killed_max),
      injured: num(p.injured), injured_max: num(p.injured_max)
    };
  }

  /* ---------- choropleth classes ---------- */

  /**
   * Classes for the values per district: class 0 is "0", the others split the non-zero values
   * at quantiles (at most MAX_CLASSES - 1 classes, no empty or duplicate class). Returns
   * [{min, max, step}], contiguous integer ranges; `step` (0…4) is the colour of the class
   * (.district--c<step>, .legend-swatch--c<step>): with fewer than four non-zero classes the
   * colours are spread over the whole ramp.
   */
  function computeClasses(values) {
    var nonzero = values.filter(function (v) { return v > 0; }).sort(function (a, b) { return a - b; });
    var classes = [{ min: 0, max: 0, step: 0 }];
    if (nonzero.length === 0) return classes;
    var distinct = nonzero.filter(function (v, i) { return i === 0 || v !== nonzero[i - 1]; });
    var k = Math.min(MAX_CLASSES - 1, distinct.length);
    var uppers = [];
    for (var i = 1; i <= k; i++) {
      var upper = nonzero[Math.ceil((i * nonzero.length) / k) - 1];
      if (uppers.length === 0 || upper > uppers[uppers.length - 1]) uppers.push(upper);
    }
    var lower = 1;
    var steps = MAX_CLASSES - 1;
    uppers.forEach(function (upper, j) {
      classes.push({ min: lower, max: upper, step: Math.round(((j + 1) * steps) / uppers.length) });
      lower = upper + 1;
    });
    return classes;
  }

  function classIndex(classes, value) {
    for (var i = 0; i < classes.length; i++) {
      if (value <= classes[i].max) return i;
    }
    return classes.length - 1;
  }

  function classLabel(c) {
    return c.min === c.max ? String(c.min) : c.min + '\u2013' + c.max;
  }

  /** Marker radius: area grows with the people killed and injured (lower bounds), 5–30 px. */
  function radius(p) {
    var casualties = Math.max(0, num(p.killed) + num(p.injured));
    return Math.max(5, Math.min(30, 2.4 * Math.sqrt(casualties)));
  }

  /* ---------- clustering (deterministic pixel grid per zoom) ---------- */

  /**
   * Groups points that fall into one CELL_PX × CELL_PX cell of the map's pixel grid at `zoom`
   * (absolute pixel coordinates, so the groups depend only on positions and zoom, never on
   * panning). Returns [{members, latlng}] in the order of the points.
   */
  function clusterPoints(map, points, zoom) {
    var cells = {};
    var groups = [];
    points.forEach(function (pt) {
      var px = map.project(pt.latlng, zoom);
      var key = Math.floor(px.x / CELL_PX) + ':' + Math.floor(px.y / CELL_PX);
      var group = cells[key];
      if (!group) {
        group = { members: [] };
        cells[key] = group;
        groups.push(group);
      }
      group.members.push(pt);
    });
    groups.forEach(function (g) {
      var lat = 0;
      var lng = 0;
      g.members.forEach(function (m) { lat += m.latlng.lat; lng += m.latlng.lng; });
      g.latlng = L.latLng(lat / g.members.length, lng / g.members.length);
    });
    return groups;
  }

  /** The first zoom above `zoom` at which the members fall into more than one cell, or null. */
  function splitZoom(map, members, zoom) {
    for (var z = Math.floor(zoom) + 1; z <= map.getMaxZoom(); z++) {
      if (clusterPoints(map, members, z).length > 1) return z;
    }
    return null;
  }

  /* ---------- DOM content ---------- */

  function figureLine(f) {
    return range(f.killed, f.killed_max) + ' killed \u00b7 ' + range(f.injured, f.injured_max) + ' injured';
  }

  function districtTooltip(p, f, filtered) {
    var box = el('div', 'map-tooltip');
    box.appendChild(el('strong', 'map-tooltip__name', p.name || p.id || ''));
    if (p.province) box.appendChild(el('span', 'map-tooltip__sub', p.province));
    box.appendChild(el('span', 'map-tooltip__figures', plural(f.incidents, 'incident', 'incidents') + (filtered ? ' (filtered)' : '')));
    if (f.incidents > 0) box.appendChild(el('span', 'map-tooltip__figures', figureLine(f)));
    return box;
  }

  function districtLabel(p, f) {
    var text = (p.name || p.id || '') + (p.province ? ', ' + p.province : '') + ': ' +
      plural(f.incidents, 'incident', 'incidents');
    if (f.incidents > 0) text += ', ' + figureLine(f).replace(' \u00b7 ', ', ');
    return text;
  }

  function precisionNote(p) {
    if (p.date_precision === 'month') return 'day not reported';
    if (p.date_precision === 'year') return 'month and day not reported';
    return '';
  }

  function incidentPopup(p) {
    var box = el('div', 'popup');
    var url = safeUrl(p.url);
    var heading = el('h3', 'popup__title');
    if (url) {
      var link = el('a', null, p.title || p.id || 'Incident');
      link.href = url;
      heading.appendChild(link);
    } else {
      heading.textContent = p.title || p.id || 'Incident';
    }
    box.appendChild(heading);

    var date = p.date_label || p.date;
    var note = precisionNote(p);
    var meta = [note ? date + ' (' + note + ')' : date, p.place].filter(Boolean).join(' \u00b7 ');
    if (meta) box.appendChild(el('p', 'popup__meta', meta));

    var figures = el('dl', 'popup__figures');
    [['Killed', p.killed_label || range(p.killed, p.killed_max)],
      ['Injured', p.injured_label || range(p.injured, p.injured_max)]].forEach(function (pair) {
      var item = el('div', 'popup__figure');
      item.appendChild(el('dt', null, pair[0]));
      item.appendChild(el('dd', null, pair[1]));
      figures.appendChild(item);
    });
    box.appendChild(figures);

    if (p.type_label) box.appendChild(el('p', 'popup__type', p.type_label));
    if (p.attribution_label) box.appendChild(el('p', 'popup__attribution', p.attribution_label));
    if (url) {
      var more = el('p', 'popup__more');
      var moreLink = el('a', null, 'Incident page');
      moreLink.href = url;
      more.appendChild(moreLink);
      box.appendChild(more);
    }
    return box;
  }

  /** The popup of a cluster whose incidents share a place: one entry per incident. */
  function listPopup(members) {
    var box = el('div', 'popup popup--list');
    box.appendChild(el('h3', 'popup__title', plural(members.length, 'incident', 'incidents') + ' at this place'));
    var list = el('ul', 'popup__list');
    members.slice().sort(function (a, b) {
      return String(a.props.date).localeCompare(String(b.props.date));
    }).forEach(function (m) {
      var p = m.props;
      var item = el('li', 'popup__item');
      var url = safeUrl(p.url);
      var title = el(url ? 'a' : 'span', 'popup__item-title', p.title || p.id || 'Incident');
      if (url) title.href = url;
      item.appendChild(title);
      var note = precisionNote(p);
      item.appendChild(el('span', 'popup__item-meta', [(p.date_label || p.date) + (note ? ' (' + note + ')' : ''),
        'killed ' + (p.killed_label || range(p.killed, p.killed_max)),
        'injured ' + (p.injured_label || range(p.injured, p.injured_max))].join(' \u00b7 ')));
      if (p.attribution_label) item.appendChild(el('span', 'popup__item-meta', p.attribution_label));
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  /**
   * The popup of an overview group (no point files loaded): a lone incident's title and link,
   * or the number of incidents, their years and links that show one year's incidents one by one
   * (`yearUrl(year)`).
   */
  function overviewPopup(entry, yearUrl) {
    var box = el('div', 'popup popup--overview');
    var years = entry.first === entry.last ? String(entry.first) : entry.first + '\u2013' + entry.last;
    if (entry.count === 1 && entry.url) {
      var heading = el('h3', 'popup__title');
      var link = el('a', null, entry.title);
      link.href = entry.url;
      heading.appendChild(link);
      box.appendChild(heading);
      box.appendChild(el('p', 'popup__meta', years + ' \u00b7 ' + plural(entry.killed, 'person', 'people') + ' killed (lower bound)'));
      var more = el('p', 'popup__more');
      var moreLink = el('a', null, 'Incident page');
      moreLink.href = entry.url;
      more.appendChild(moreLink);
      box.appendChild(more);
      return box;
    }
    box.appendChild(el('h3', 'popup__title', plural(entry.count, 'incident', 'incidents') + ' around here'));
    box.appendChild(el('p', 'popup__meta', years + ' \u00b7 ' + entry.killed + ' killed (lower bound)'));
    box.appendChild(el('p', 'popup__meta', 'See them one by one for a year:'));
    var list = el('ul', 'popup__years');
    for (var y = entry.first; y <= entry.last; y++) {
      var url = yearUrl(y);
      if (!url) continue;
      var item = el('li', 'popup__year');
      var a = el('a', null, String(y));
      a.href = url;
      item.appendChild(a);
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  function showError(container, error) {
    console.error('sitrep map:', error);
    container.setAttribute('data-state', 'error');
    if (container.querySelector('.map-error')) return;
    var message = el('p', 'map-error', 'The map could not be loaded. The incident list and region pages have the same information.');
    message.setAttribute('role', 'alert');
    container.appendChild(message);
  }

  function onActivate(node, handler) {
    node.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        event.stopPropagation();
        handler(event);
      }
    });
  }

  function focusFirstLink(popup) {
    var node = popup && popup.getElement && popup.getElement();
    var link = node && node.querySelector('.leaflet-popup-content a');
    if (link) link.focus();
  }

  /* ---------- legend and figures table of a map view ---------- */

  function updateLegend(view) {
    var box = view.legendBox;
    if (!box) return;
    while (box.childNodes.length > 1) box.removeChild(box.lastChild);
    var s = view.state;
    var F = window.SitrepFilters;
    var metric = METRICS[s.metric] ? s.metric : 'incidents';
    box.appendChild(el('p', 'map-legend__title', METRICS[metric].legend));
    box.appendChild(el('p', 'map-legend__note', view.filtered && F
      ? 'Filtered: ' + F.describe(s, view.form) + '.'
      : 'All incidents' + (metric === 'incidents' ? '.' : ', lower bound of reported figures.')));
    var list = el('ul', 'map-legend__list');
    view.classes.forEach(function (c) {
      var item = el('li', 'map-legend__item');
      var swatch = el('span', 'legend-swatch legend-swatch--c' + c.step);
      swatch.setAttribute('aria-hidden', 'true');
      item.appendChild(swatch);
      item.appendChild(el('span', 'map-legend__label', classLabel(c)));
      list.appendChild(item);
    });
    box.appendChild(list);

    if (view.mode === 'overview') {
      box.appendChild(el('p', 'map-legend__note', 'Numbered circles group nearby incidents. Choose a year or another filter to see them one by one.'));
      return;
    }
    var entries = pointEntries(view);
    if (entries.length) {
      box.appendChild(el('p', 'map-legend__title', s.color === 'actor' ? 'Points by first actor named' : 'Points by type'));
      var dots = el('ul', 'map-legend__list');
      entries.forEach(function (t) {
        var item = el('li', 'map-legend__item');
        var dot = el('span', 'legend-dot legend-dot--' + t.cls);
        dot.setAttribute('aria-hidden', 'true');
        item.appendChild(dot);
        item.appendChild(el('span', 'map-legend__label', t.label));
        dots.appendChild(item);
      });
      box.appendChild(dots);
      box.appendChild(el('p', 'map-legend__note', 'Circle area: people killed and injured. Numbered circles group nearby incidents.'));
    }
  }

  /** Legend entries for the colours of the shown points. */
  function pointEntries(view) {
    var self = view;
    var seen = {}
    var out = [];
    if (view.state.color === 'actor') {
      view.shown.forEach(function (pt) { seen[self.colourClass(pt).replace('incident--', '')] = true; });
      view.actorRank.forEach(function (slug, i) {
        if (seen['a' + i]) out.push({ cls: 'a' + i, label: actorName(view, slug) });
      });
      if (seen['a-other']) out.push({ cls: 'a-other', label: 'Other actors' });
      if (seen['a-none']) out.push({ cls: 'a-none', label: 'No attribution reported' });
      return out;
    }
    var labels = {}
    view.shown.forEach(function (pt) {
      var t = token(pt.type);
      if (!labels[t]) labels[t] = pt.props.type_label || pt.type || 'Other';
    });
    TYPE_ORDER.concat(Object.keys(labels).filter(function (t) { return TYPE_ORDER.indexOf(t) < 0; }))
      .forEach(function (t) { if (labels[t]) out.push({ cls: t, label: labels[t] }); });
    return out;
  }

  function actorName(view, slug) {
    var select = view.form && view.form.elements.actor;
    if (select && select.options) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === slug) return select.options[i].textContent.replace(/\s*\(\d+\)$/, '');
      }
    }
    return slug;
  }

  function addLegend(view, startOpen) {
    var self = view;
    var control = L.control({ position: 'bottomright' });
    control.onAdd = function () {
      var box = el('details', 'map-legend');
      if (startOpen) box.open = true;
      box.appendChild(el('summary', 'map-legend__summary', 'Legend'));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      self.legendBox = box;
      return box;
    };
    control.addTo(view.map);
  }

  /** The figures table under the full map follows the filters. */
  function updateTable(view) {
    var table = document.querySelector('table[data-region-table]');
    if (!table) return;
    var figures = view.figures;
    var filtered = view.filtered;
    Array.prototype.forEach.call(table.querySelectorAll('tr[data-region]'), function (row) {
      var f = figures[row.getAttribute('data-region')] || zeroFigures();
      var cells = {
        incidents: String(f.incidents),
        killed: range(f.killed, f.killed_max),
        injured: range(f.injured, f.injured_max)
      }
      Array.prototype.forEach.call(row.querySelectorAll('[data-col]'), function (cell) {
        var text = cells[cell.getAttribute('data-col')];
        if (text !== undefined && cell.textContent !== text) cell.textContent = text;
      });
      if (!row.classList.contains('data-table__group')) row.hidden = filtered && f.incidents === 0;
    });
    var status = document.querySelector('[data-table-status]');
    var F = window.SitrepFilters;
    if (status) {
      if (!status.hasAttribute('data-all')) status.setAttribute('data-all', status.textContent);
      status.textContent = filtered && F
        ? 'Incidents matching the filters (' + F.describe(view.state, view.form) + '). Killed and injured are the lower and upper bounds of reported figures.'
        : status.getAttribute('data-all');
    }
  }

  /** Apply a state and bring the table, the form's links and its status line along. */
  window.SitrepMapParts = {
    METRICS: METRICS,
    el: el,
    escapeHtml: escapeHtml,
    safeUrl: safeUrl,
    num: num,
    plural: plural,
    range: range,
    token: token,
    parseBounds: parseBounds,
    fetchJson: fetchJson,
    fetchCollection: fetchCollection,
    fetchPointIndex: fetchPointIndex,
    decodeYear: decodeYear,
    decodeOverview: decodeOverview,
    figureLabel: figureLabel,
    hasGeometry: hasGeometry,
    isPoint: isPoint,
    zeroFigures: zeroFigures,
    addFigures: addFigures,
    aggregate: aggregate,
    figuresOf: figuresOf,
    computeClasses: computeClasses,
    classIndex: classIndex,
    classLabel: classLabel,
    radius: radius,
    clusterPoints: clusterPoints,
    splitZoom: splitZoom,
    figureLine: figureLine,
    districtTooltip: districtTooltip,
    districtLabel: districtLabel,
    precisionNote: precisionNote,
    incidentPopup: incidentPopup,
    listPopup: listPopup,
    overviewPopup: overviewPopup,
    showError: showError,
    onActivate: onActivate,
    focusFirstLink: focusFirstLink,
    updateLegend: updateLegend,
    pointEntries: pointEntries,
    actorName: actorName,
    addLegend: addLegend,
    updateTable: updateTable
  };
}());
