/*
 * sitrep map — draws the incident atlas map with Leaflet.
 *
 * Vanilla ES2019, no build step, no inline anything: safe under the pages'
 * Content-Security-Policy `default-src 'self'`. All colours and line styles come from CSS
 * classes in static/css/site.css; popups, tooltips and the legend are built with
 * document.createElement / textContent (the GeoJSON properties are untrusted text).
 *
 * Contract (docs/site-layout.md): every element `#map` or `.map[data-view]` carries
 *   data-base                 base path of the site, e.g. "/atlas/"
 *   data-view                 "full" | "preview" | "region"
 *   data-bounds               "[[south,west],[north,east]]" (used by "region")
 *   data-region               slug path of the highlighted district/province ("region")
 *   data-points               optional: "index" to load per-year point files listed in
 *                             data/map/incidents/index.json instead of incidents.geojson
 *   data-tile-url             optional tile URL template; without it there is no tile layer
 *   data-tile-attribution     attribution text for the tiles
 *   data-attribution          attribution text for the boundaries
 *
 * The full map (data-view="full") works with the filter form of the page (form[data-filters],
 * static/js/filters.js): the districts are shaded by the chosen metric over the incidents that
 * pass the filters (recomputed here from the points), the points are filtered too, and the
 * state lives in the URL query. The figures table (table[data-region-table]) follows.
 *
 * Points are clustered on a pixel grid per zoom level (MapClusters below, deterministic);
 * selecting a cluster zooms in until it splits, or lists its incidents when they share a place.
 *
 * When everything is drawn the element gets data-state="ready", data-districts, data-points
 * (incidents shown), data-markers (single points drawn), data-clusters, data-metric and
 * data-classes; when loading fails, data-state="error" and a visible `.map-error`.
 */
(function () {
  'use strict';

  var DEFAULT_ATTRIBUTION = 'Boundaries: geoBoundaries (CC BY 4.0 / public domain)';
  var MAX_CLASSES = 5; // including the "0" class
  var CELL_PX = 44; // cluster grid cell, in screen pixels
  var ACTOR_COLOURS = 7; // actors with their own colour; the rest are "other"
  var TYPE_ORDER = ['suicide-bombing', 'bombing', 'armed-assault', 'targeted-killing', 'ambush',
    'clash', 'kidnapping', 'other'];
  var METRICS = {
    incidents: { legend: 'Incidents per district', word: ['incident', 'incidents'] },
    killed: { legend: 'People killed per district', word: ['killed', 'killed'] },
    injured: { legend: 'People injured per district', word: ['injured', 'injured'] }
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
   * The incident points: `incidents.geojson`, or with data-points="index" every year file
   * listed in `incidents/index.json` ({years: [{year, url}]}; same-site URLs only).
   */
  function loadPoints(container, base) {
    if (container.getAttribute('data-points') !== 'index') {
      return fetchCollection(base + 'data/map/incidents.geojson');
    }
    return fetchJson(base + 'data/map/incidents/index.json').then(function (index) {
      var years = (index && Array.isArray(index.years)) ? index.years : [];
      return Promise.all(years.map(function (entry) {
        var url = new URL(String(entry.url || ''), window.location.href);
        if (url.origin !== window.location.origin) throw new Error('point file on another host: ' + url.href);
        return fetchCollection(url.pathname);
      }));
    }).then(function (collections) {
      return { type: 'FeatureCollection', features: [].concat.apply([], collections.map(function (c) { return c.features; })) };
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

  /* ---------- the map ---------- */

  function MapView(container, map, data, base) {
    this.container = container;
    this.map = map;
    this.base = base;
    this.view = container.getAttribute('data-view') || 'full';
    this.regionId = container.getAttribute('data-region') || '';
    this.keyboard = this.view === 'full';
    this.state = { metric: 'incidents', color: 'type' };
    this.points = data.incidents.features.filter(isPoint).map(function (f) {
      var p = f.properties || {};
      return {
        props: p,
        latlng: L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]),
        date: String(p.date || ''),
        date_last: String(p.date_last || p.date || ''),
        type: p.type,
        actors: Array.isArray(p.actors) ? p.actors : [],
        region: String(p.region || '')
      };
    });
    this.actorRank = this.rankActors();
    this.drawBase(data);
  }

  MapView.prototype.rankActors = function () {
    var counts = {};
    this.points.forEach(function (pt) {
      var first = pt.actors[0];
      if (first) counts[first] = (counts[first] || 0) + 1;
    });
    return Object.keys(counts).sort(function (a, b) {
      return counts[b] - counts[a] || (a < b ? -1 : a > b ? 1 : 0);
    }).slice(0, ACTOR_COLOURS);
  };

  MapView.prototype.drawBase = function (data) {
    var self = this;
    var map = this.map;
    var regionId = this.regionId;
    var regionUrl = regionId ? this.base + 'regions/' + regionId + '/' : null;
    map.createPane('context').style.zIndex = 350;
    map.createPane('districts').style.zIndex = 400;
    map.createPane('provinces').style.zIndex = 420;
    map.createPane('incidents').style.zIndex = 450;
    map.createPane('clusters').style.zIndex = 460;

    this.context = L.geoJSON(data.context, {
      pane: 'context',
      filter: hasGeometry,
      style: function (feature) {
        var p = feature.properties || {};
        var kind = token(p.kind);
        var cls = 'context context--' + kind;
        if (safeUrl(p.url)) cls += ' context--link';
        if (regionId && (p.id === regionId || p.url === regionUrl)) cls += ' context--current';
        return { className: cls, weight: kind === 'country' ? 1.2 : 0.6 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        if (p.name) layer.bindTooltip(el('span', 'map-tooltip__name', p.name), { sticky: true, className: 'map-tooltip-wrap' });
        var url = safeUrl(p.url);
        if (url) layer.on('click', function () { window.location.assign(url); });
      }
    });

    this.districtFeatures = data.districts.features.filter(hasGeometry);
    this.districtIds = this.districtFeatures.map(function (f) { return (f.properties || {}).id; }).filter(Boolean);
    this.provinceIds = data.provinces.features.map(function (f) { return (f.properties || {}).id; }).filter(Boolean);
    this.built = {};
    this.districtFeatures.forEach(function (f) { self.built[f.properties.id] = figuresOf(f.properties); });
    data.provinces.features.forEach(function (f) {
      if (f.properties && f.properties.id) self.built[f.properties.id] = figuresOf(f.properties);
    });
    this.figures = this.built;
    this.highlighted = [];
    this.districts = L.geoJSON({ type: 'FeatureCollection', features: this.districtFeatures }, {
      pane: 'districts',
      style: function (feature) {
        var p = feature.properties || {};
        var cls = 'district district--c0';
        if (regionId && p.id === regionId) cls += ' district--current';
        return { className: cls, weight: 0.6, fillOpacity: 1 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        if (regionId && p.id === regionId) self.highlighted.push(layer);
        layer.bindTooltip(function () {
          return districtTooltip(p, self.figures[p.id] || zeroFigures(), self.filtered);
        }, { sticky: true, className: 'map-tooltip-wrap' });
        var url = safeUrl(p.url);
        if (url) layer.on('click', function () { window.location.assign(url); });
      }
    });

    this.provinces = L.geoJSON(data.provinces, {
      pane: 'provinces',
      interactive: false,
      filter: hasGeometry,
      style: function (feature) {
        var p = feature.properties || {};
        var cls = 'province';
        if (regionId && p.id === regionId) cls += ' province--current';
        return { className: cls, weight: 1.6, fill: false, interactive: false };
      }
    });
    this.pointLayer = L.layerGroup();
  };

  /** The first view: the URL's, a filtered region's, the region page's, or the home country. */
  MapView.prototype.fitInitial = function (viewParam) {
    var map = this.map;
    if (viewParam) {
      var parts = viewParam.split('/').map(Number);
      map.setView([parts[1], parts[2]], parts[0], { animate: false });
      return;
    }
    var bounds = parseBounds(this.container.getAttribute('data-bounds'));
    if (this.view === 'region' && bounds) {
      map.fitBounds(bounds, { padding: [12, 12], animate: false });
      return;
    }
    if (this.state.region && this.fitRegion(this.state.region, false)) return;
    var home = this.districts.getLayers().length ? this.districts.getBounds() : this.provinces.getBounds();
    if (home && home.isValid()) {
      // (more room at the bottom, where the attribution is)
      map.fitBounds(home, { paddingTopLeft: [8, 8], paddingBottomRight: [8, 24], animate: false });
    } else if (bounds) {
      map.fitBounds(bounds, { animate: false });
    } else {
      map.setView([30.2, 69.3], 5, { animate: false });
    }
  };

  /** Fit the map to a province / country: its outlines, else its incidents. */
  MapView.prototype.fitRegion = function (id, animate) {
    var bounds = L.latLngBounds([]);
    var inside = function (other) { return other === id || String(other).indexOf(id + '/') === 0; };
    [this.provinces, this.districts].forEach(function (group) {
      group.eachLayer(function (layer) {
        var p = layer.feature && layer.feature.properties;
        if (p && inside(p.id)) bounds.extend(layer.getBounds());
      });
    });
    if (!bounds.isValid()) {
      this.points.forEach(function (pt) { if (inside(pt.region)) bounds.extend(pt.latlng); });
    }
    if (!bounds.isValid()) return false;
    this.map.fitBounds(bounds.pad(0.05), { maxZoom: 9, animate: !!animate });
    return true;
  };

  MapView.prototype.addLayers = function () {
    var map = this.map;
    this.context.addTo(map);
    this.districts.addTo(map);
    this.provinces.addTo(map);
    this.pointLayer.addTo(map);
    var tag = function (group) {
      group.eachLayer(function (layer) {
        var path = layer.getElement && layer.getElement();
        var p = layer.feature && layer.feature.properties;
        if (path && p && p.id) path.setAttribute('data-region', String(p.id));
      });
    };
    tag(this.districts);
    tag(this.provinces);
    if (this.keyboard) this.makeDistrictsFocusable();
    this.highlighted.forEach(function (layer) { layer.bringToFront(); });
  };

  /** Districts as links for the keyboard: focus shows the tooltip, Enter opens the page. */
  MapView.prototype.makeDistrictsFocusable = function () {
    this.districts.eachLayer(function (layer) {
      var path = layer.getElement && layer.getElement();
      var url = safeUrl(layer.feature && layer.feature.properties && layer.feature.properties.url);
      if (!path) return;
      path.setAttribute('tabindex', '0');
      path.setAttribute('role', url ? 'link' : 'img');
      path.addEventListener('focus', function () { layer.openTooltip(layer.getCenter()); });
      path.addEventListener('blur', function () { layer.closeTooltip(); });
      if (url) onActivate(path, function () { window.location.assign(url); });
    });
  };

  /** Apply a state: filter, recompute the figures and classes, restyle, redraw the points. */
  MapView.prototype.apply = function (state) {
    var F = window.SitrepFilters;
    this.state = Object.assign({ metric: 'incidents', color: 'type' }, state);
    var s = this.state;
    this.filtered = !!(F && F.active(s));
    this.shown = this.filtered ? this.points.filter(function (pt) { return F.matches(pt, s); }) : this.points;
    this.figures = this.filtered
      ? aggregate(this.shown.map(function (pt) { return { properties: pt.props }; }), this.districtIds.concat(this.provinceIds))
      : this.built;
    var metric = METRICS[s.metric] ? s.metric : 'incidents';
    var figures = this.figures;
    var classes = computeClasses(this.districtIds.map(function (id) { return (figures[id] || {})[metric] || 0; }));
    this.classes = classes;
    var regionId = this.regionId;
    var keyboard = this.keyboard;
    this.districts.eachLayer(function (layer) {
      var p = layer.feature.properties;
      var f = figures[p.id] || zeroFigures();
      var path = layer.getElement && layer.getElement();
      if (!path) return;
      var cls = path.getAttribute('class').replace(/\bdistrict--c\d\b/g, '').replace(/\s+/g, ' ').trim();
      path.setAttribute('class', cls + ' district--c' + classes[classIndex(classes, f[metric] || 0)].step);
      if (keyboard) path.setAttribute('aria-label', districtLabel(p, f));
      if (regionId && p.id === regionId) layer.bringToFront();
    });
    this.drawPoints();
    this.updateLegend();
    this.container.setAttribute('data-points', String(this.shown.length));
    this.container.setAttribute('data-metric', metric);
    this.container.setAttribute('data-classes', String(classes.length));
  };

  MapView.prototype.colourClass = function (pt) {
    if (this.state.color === 'actor') {
      var first = pt.actors[0];
      if (!first) return 'incident--a-none';
      var rank = this.actorRank.indexOf(first);
      return rank >= 0 ? 'incident--a' + rank : 'incident--a-other';
    }
    return 'incident--' + token(pt.type);
  };

  /** Draw the shown points for the current zoom: single circles and numbered clusters. */
  MapView.prototype.drawPoints = function () {
    var self = this;
    var map = this.map;
    var layer = this.pointLayer;
    var hadFocus = this.container.contains(document.activeElement) && document.activeElement !== this.container &&
      layer.getLayers().some(function (l) {
        var node = l.getElement && l.getElement();
        return node && node === document.activeElement;
      });
    layer.clearLayers();
    var zoom = map.getZoom();
    var groups = clusterPoints(map, this.shown, zoom);
    var singles = [];
    var clusters = [];
    groups.forEach(function (g) {
      if (g.members.length === 1) singles.push(g.members[0]); else clusters.push(g);
    });
    // Big circles first, so small ones stay on top and reachable.
    singles.sort(function (a, b) { return radius(b.props) - radius(a.props); });
    singles.forEach(function (pt) {
      var p = pt.props;
      var marker = L.circleMarker(pt.latlng, {
        pane: 'incidents',
        className: 'incident ' + self.colourClass(pt),
        radius: radius(p),
        weight: 1.5,
        fillOpacity: 0.85
      });
      marker.bindPopup(incidentPopup(p), { className: 'map-popup', maxWidth: 300, autoPanPadding: [16, 16] });
      marker.bindTooltip(el('span', 'map-tooltip__name', p.title || p.id || ''), { className: 'map-tooltip-wrap', direction: 'top' });
      marker.on('add', function () {
        var path = marker.getElement();
        if (!path) return;
        path.setAttribute('data-incident', String(p.id));
        if (!self.keyboard) return;
        path.setAttribute('tabindex', '0');
        path.setAttribute('role', 'button');
        path.setAttribute('aria-label', (p.title || p.id || 'Incident') + ', ' + (p.date_label || p.date || '') + ': details');
        path.addEventListener('focus', function () { marker.openTooltip(); });
        path.addEventListener('blur', function () { marker.closeTooltip(); });
        onActivate(path, function () {
          marker.openPopup();
          focusFirstLink(marker.getPopup());
        });
      });
      layer.addLayer(marker);
    });
    clusters.forEach(function (g) { layer.addLayer(self.clusterMarker(g)); });
    this.container.setAttribute('data-markers', String(singles.length));
    this.container.setAttribute('data-clusters', String(clusters.length));
    if (hadFocus) this.container.focus();
  };

  MapView.prototype.clusterMarker = function (group) {
    var self = this;
    var map = this.map;
    var n = group.members.length;
    var killed = 0;
    group.members.forEach(function (m) { killed += num(m.props.killed); });
    var size = n < 10 ? 30 : n < 100 ? 38 : 46;
    var count = el('span', 'cluster__count', n);
    var marker = L.marker(group.latlng, {
      pane: 'clusters',
      keyboard: this.keyboard,
      icon: L.divIcon({
        className: 'cluster cluster--' + (n < 10 ? 's' : n < 100 ? 'm' : 'l'),
        html: count,
        iconSize: [size, size]
      })
    });
    var label = plural(n, 'incident', 'incidents') + ', ' + killed + ' killed';
    marker.on('add', function () {
      var node = marker.getElement();
      if (!node) return;
      node.setAttribute('aria-label', label + ': ' + (splitZoom(map, group.members, map.getZoom()) ? 'zoom in' : 'list'));
      node.setAttribute('data-cluster', String(n));
      if (!self.keyboard) node.setAttribute('aria-hidden', 'true');
    });
    marker.bindTooltip(el('span', 'map-tooltip__name', label), { className: 'map-tooltip-wrap', direction: 'top' });
    marker.on('click', function () {
      var z = splitZoom(map, group.members, map.getZoom());
      if (z !== null) {
        var bounds = L.latLngBounds(group.members.map(function (m) { return m.latlng; }));
        map.setView(bounds.getCenter(), z, { animate: !self.reduceMotion });
        return;
      }
      marker.unbindPopup();
      marker.bindPopup(listPopup(group.members), { className: 'map-popup', maxWidth: 320, maxHeight: 280, autoPanPadding: [16, 16] });
      marker.openPopup();
      focusFirstLink(marker.getPopup());
    });
    return marker;
  };

  MapView.prototype.updateLegend = function () {
    var box = this.legendBox;
    if (!box) return;
    while (box.childNodes.length > 1) box.removeChild(box.lastChild);
    var s = this.state;
    var F = window.SitrepFilters;
    var metric = METRICS[s.metric] ? s.metric : 'incidents';
    box.appendChild(el('p', 'map-legend__title', METRICS[metric].legend));
    box.appendChild(el('p', 'map-legend__note', this.filtered && F
      ? 'Filtered: ' + F.describe(s, this.form) + '.'
      : 'All incidents' + (metric === 'incidents' ? '.' : ', lower bound of reported figures.')));
    var list = el('ul', 'map-legend__list');
    this.classes.forEach(function (c) {
      var item = el('li', 'map-legend__item');
      var swatch = el('span', 'legend-swatch legend-swatch--c' + c.step);
      swatch.setAttribute('aria-hidden', 'true');
      item.appendChild(swatch);
      item.appendChild(el('span', 'map-legend__label', classLabel(c)));
      list.appendChild(item);
    });
    box.appendChild(list);

    var entries = this.pointEntries();
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
  };

  /** Legend entries for the colours of the shown points. */
  MapView.prototype.pointEntries = function () {
    var self = this;
    var seen = {};
    var out = [];
    if (this.state.color === 'actor') {
      this.shown.forEach(function (pt) { seen[self.colourClass(pt).replace('incident--', '')] = true; });
      this.actorRank.forEach(function (slug, i) {
        if (seen['a' + i]) out.push({ cls: 'a' + i, label: self.actorName(slug) });
      });
      if (seen['a-other']) out.push({ cls: 'a-other', label: 'Other actors' });
      if (seen['a-none']) out.push({ cls: 'a-none', label: 'No attribution reported' });
      return out;
    }
    var labels = {};
    this.shown.forEach(function (pt) {
      var t = token(pt.type);
      if (!labels[t]) labels[t] = pt.props.type_label || pt.type || 'Other';
    });
    TYPE_ORDER.concat(Object.keys(labels).filter(function (t) { return TYPE_ORDER.indexOf(t) < 0; }))
      .forEach(function (t) { if (labels[t]) out.push({ cls: t, label: labels[t] }); });
    return out;
  };

  MapView.prototype.actorName = function (slug) {
    var select = this.form && this.form.elements.actor;
    if (select && select.options) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === slug) return select.options[i].textContent.replace(/\s*\(\d+\)$/, '');
      }
    }
    return slug;
  };

  MapView.prototype.addLegend = function (startOpen) {
    var self = this;
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
    control.addTo(this.map);
  };

  /** The figures table under the full map follows the filters. */
  MapView.prototype.updateTable = function () {
    var table = document.querySelector('table[data-region-table]');
    if (!table) return;
    var figures = this.figures;
    var filtered = this.filtered;
    Array.prototype.forEach.call(table.querySelectorAll('tr[data-region]'), function (row) {
      var f = figures[row.getAttribute('data-region')] || zeroFigures();
      var cells = {
        incidents: String(f.incidents),
        killed: range(f.killed, f.killed_max),
        injured: range(f.injured, f.injured_max)
      };
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
        ? 'Incidents matching the filters (' + F.describe(this.state, this.form) + '). Killed and injured are the lower and upper bounds of reported figures.'
        : status.getAttribute('data-all');
    }
  };

  /** Apply a state and bring the table, the form's links and its status line along. */
  MapView.prototype.update = function (state) {
    var F = window.SitrepFilters;
    this.apply(state);
    this.updateTable();
    if (!this.binding) return;
    F.updateLinks(this.form, this.state);
    var all = this.points.length;
    this.binding.status(this.filtered
      ? this.shown.length + ' of ' + all + ' incidents on the map match: ' + F.describe(this.state, this.form) + '.'
      : 'All ' + all + ' incidents on the map are shown.');
  };

  /**
   * Connect the page's filter form and the URL (full map only): returns the first state, read
   * from the URL and cleaned by the form.
   */
  MapView.prototype.connectFilters = function () {
    var self = this;
    var F = window.SitrepFilters;
    var form = document.querySelector('form[data-filters]');
    var initial = F.read(window.location.search);
    this.form = form;
    if (form) {
      this.binding = F.bindForm(form, initial, function (state) {
        var regionChanged = state.region !== self.state.region;
        state.view = self.state.view;
        self.update(state);
        F.toUrl(state, true);
        if (regionChanged && state.region) self.fitRegion(state.region, !self.reduceMotion);
      });
      initial = Object.assign(this.binding.state(), { view: initial.view });
    }
    F.toUrl(initial, false);
    window.addEventListener('popstate', function () {
      var state = F.read(window.location.search);
      if (self.binding) {
        self.binding.set(state);
        state = Object.assign(self.binding.state(), { view: state.view });
      }
      self.update(state);
      if (state.view) self.fitInitial(state.view);
    });
    return initial;
  };

  /** Keep the view (zoom/lat/lng) in the URL as the map moves. */
  MapView.prototype.trackView = function () {
    var self = this;
    var F = window.SitrepFilters;
    this.map.on('moveend', function () {
      var c = self.map.getCenter();
      var view = [+self.map.getZoom().toFixed(2), c.lat.toFixed(4), c.lng.toFixed(4)].join('/');
      if (view === self.state.view) return;
      self.state.view = view;
      F.toUrl(Object.assign({}, self.binding ? self.binding.state() : self.state, { view: view }), false);
    });
  };

  function draw(container, map, data, base) {
    var view = new MapView(container, map, data, base);
    view.reduceMotion = !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
    var full = view.view === 'full' && !!window.SitrepFilters;
    var startOpen = view.view === 'full' && container.clientWidth >= 560 && container.clientHeight >= 520;
    view.addLegend(startOpen);
    var state = full ? view.connectFilters() : { metric: 'incidents', color: 'type' };
    view.state = Object.assign({}, state);
    view.fitInitial(full ? state.view : null);
    view.addLayers();
    view.update(state);
    map.on('zoomend', function () { view.drawPoints(); });
    if (full) view.trackView();
    container.setAttribute('data-districts', String(view.districtFeatures.length));
    container.setAttribute('data-state', 'ready');
    return view;
  }

  function init(container) {
    if (container.getAttribute('data-state')) return; // already initialised
    container.setAttribute('data-state', 'loading');
    if (typeof window.L === 'undefined') {
      showError(container, new Error('Leaflet (vendor/leaflet/leaflet.js) is not loaded'));
      return;
    }
    var base = container.getAttribute('data-base') || '/';
    if (base.charAt(base.length - 1) !== '/') base += '/';
    var view = container.getAttribute('data-view') || 'full';
    var reduceMotion = !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);

    var map = L.map(container, {
      preferCanvas: false,
      zoomSnap: 0.25,
      zoomDelta: 0.5,
      minZoom: 3,
      maxZoom: 12,
      scrollWheelZoom: view !== 'preview',
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion
    });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(escapeHtml(container.getAttribute('data-attribution') || DEFAULT_ATTRIBUTION));

    var tileUrl = container.getAttribute('data-tile-url');
    if (tileUrl) {
      L.tileLayer(tileUrl, {
        attribution: escapeHtml(container.getAttribute('data-tile-attribution') || ''),
        maxZoom: 12
      }).addTo(map);
    }
    Promise.all([
      fetchCollection(base + 'data/map/context.geojson'),
      fetchCollection(base + 'data/map/provinces.geojson'),
      fetchCollection(base + 'data/map/districts.geojson'),
      loadPoints(container, base)
    ]).then(function (results) {
      var data = { context: results[0], provinces: results[1], districts: results[2], incidents: results[3] };
      container.sitrepMap = draw(container, map, data, base);
    }).catch(function (error) {
      showError(container, error);
    });
  }

  function start() {
    var seen = [];
    var nodes = [document.getElementById('map')].concat(Array.prototype.slice.call(document.querySelectorAll('.map[data-view]')));
    nodes.forEach(function (node) {
      if (node && seen.indexOf(node) < 0) {
        seen.push(node);
        init(node);
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
