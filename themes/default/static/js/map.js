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
 *   data-tile-url             optional tile URL template; without it there is no tile layer
 *   data-tile-attribution     attribution text for the tiles
 *   data-attribution          attribution text for the boundaries
 * and the script loads `${base}data/map/{context,provinces,districts,incidents}.geojson`.
 *
 * When everything is drawn the element gets data-state="ready", data-districts="<n>" and
 * data-points="<n>"; when loading fails, data-state="error" and a visible `.map-error`.
 */
(function () {
  'use strict';

  var DEFAULT_ATTRIBUTION = 'Boundaries: geoBoundaries (CC BY 4.0 / public domain)';
  var LAYERS = ['context', 'provinces', 'districts', 'incidents'];
  var MAX_CLASSES = 5; // including the "0 incidents" class
  var TYPE_ORDER = ['suicide-bombing', 'bombing', 'armed-assault', 'targeted-killing', 'ambush',
    'clash', 'kidnapping', 'other'];

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
    }).then(function (data) {
      if (!data || !Array.isArray(data.features)) throw new Error(url + ': not a GeoJSON FeatureCollection');
      return data;
    });
  }

  function hasGeometry(feature) {
    return feature && feature.geometry && feature.geometry.coordinates;
  }

  /* ---------- choropleth classes ---------- */

  /**
   * Classes for the number of incidents per district: class 0 is "0 incidents", the others
   * split the non-zero values at quantiles (at most MAX_CLASSES - 1 classes, no empty or
   * duplicate class). Returns [{min, max, step}], contiguous integer ranges; `step` (0…4) is
   * the colour of the class (.district--c<step>, .legend-swatch--c<step>): with fewer than four
   * non-zero classes the colours are spread over the whole ramp.
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
    uppers.forEach(function (upper, i) {
      classes.push({ min: lower, max: upper, step: Math.round(((i + 1) * steps) / uppers.length) });
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

  /** Marker radius: area proportional to the (lower-bound) number killed, at least 5 px. */
  function radius(killed) {
    return Math.max(5, Math.min(36, 3 * Math.sqrt(Math.max(0, num(killed)))));
  }

  /* ---------- DOM content ---------- */

  function districtTooltip(p) {
    var box = el('div', 'map-tooltip');
    box.appendChild(el('strong', 'map-tooltip__name', p.name || p.id || ''));
    if (p.province) box.appendChild(el('span', 'map-tooltip__sub', p.province));
    var n = num(p.incidents);
    box.appendChild(el('span', 'map-tooltip__figures', plural(n, 'incident', 'incidents')));
    if (n > 0) {
      box.appendChild(el('span', 'map-tooltip__figures',
        range(p.killed, p.killed_max) + ' killed \u00b7 ' + range(p.injured, p.injured_max) + ' injured'));
    }
    return box;
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

    var meta = [p.date_label || p.date, p.place].filter(Boolean).join(' \u00b7 ');
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

  function legendControl(classes, types, startOpen) {
    var control = L.control({ position: 'bottomright' });
    control.onAdd = function () {
      var box = el('details', 'map-legend');
      if (startOpen) box.open = true;
      box.appendChild(el('summary', 'map-legend__summary', 'Legend'));

      box.appendChild(el('p', 'map-legend__title', 'Incidents per district'));
      var list = el('ul', 'map-legend__list');
      classes.forEach(function (c) {
        var item = el('li', 'map-legend__item');
        var swatch = el('span', 'legend-swatch legend-swatch--c' + c.step);
        swatch.setAttribute('aria-hidden', 'true');
        item.appendChild(swatch);
        item.appendChild(el('span', 'map-legend__label', classLabel(c)));
        list.appendChild(item);
      });
      box.appendChild(list);

      if (types.length) {
        box.appendChild(el('p', 'map-legend__title', 'Incidents by type'));
        var typeList = el('ul', 'map-legend__list');
        types.forEach(function (t) {
          var item = el('li', 'map-legend__item');
          var dot = el('span', 'legend-dot legend-dot--' + token(t.type));
          dot.setAttribute('aria-hidden', 'true');
          item.appendChild(dot);
          item.appendChild(el('span', 'map-legend__label', t.label));
          typeList.appendChild(item);
        });
        box.appendChild(typeList);
        box.appendChild(el('p', 'map-legend__note', 'Circle area shows the number killed.'));
      }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    return control;
  }

  function tagPaths(group, idOf, attribute) {
    group.eachLayer(function (layer) {
      var path = layer.getElement && layer.getElement();
      var id = idOf(layer);
      if (path && id !== undefined && id !== null) path.setAttribute(attribute, String(id));
    });
  }

  function showError(container, error) {
    console.error('sitrep map:', error);
    container.setAttribute('data-state', 'error');
    if (container.querySelector('.map-error')) return;
    var message = el('p', 'map-error', 'The map could not be loaded. The incident list and region pages have the same information.');
    message.setAttribute('role', 'alert');
    container.appendChild(message);
  }

  /* ---------- the map ---------- */

  function draw(container, map, data, base) {
    var view = container.getAttribute('data-view') || 'full';
    var regionId = container.getAttribute('data-region') || '';
    // Context features have no id: a region abroad is recognised by its page URL.
    var regionUrl = regionId ? base + 'regions/' + regionId + '/' : null;

    map.createPane('context').style.zIndex = 350;
    map.createPane('districts').style.zIndex = 400;
    map.createPane('provinces').style.zIndex = 420;
    map.createPane('incidents').style.zIndex = 450;

    // Context: neighbouring countries and their provinces, muted.
    var context = L.geoJSON(data.context, {
      pane: 'context',
      filter: hasGeometry,
      style: function (feature) {
        var kind = token(feature.properties && feature.properties.kind);
        var p = feature.properties || {};
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

    // Districts: choropleth of incidents.
    var districtFeatures = data.districts.features.filter(hasGeometry);
    var classes = computeClasses(districtFeatures.map(function (f) { return num(f.properties && f.properties.incidents); }));
    var districtCount = 0;
    var highlighted = [];
    var districts = L.geoJSON({ type: 'FeatureCollection', features: districtFeatures }, {
      pane: 'districts',
      style: function (feature) {
        var p = feature.properties || {};
        var cls = 'district district--c' + classes[classIndex(classes, num(p.incidents))].step;
        if (regionId && p.id === regionId) cls += ' district--current';
        return { className: cls, weight: 0.6, fillOpacity: 1 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        districtCount += 1;
        if (regionId && p.id === regionId) highlighted.push(layer);
        layer.bindTooltip(districtTooltip(p), { sticky: true, className: 'map-tooltip-wrap' });
        var url = safeUrl(p.url);
        if (url) {
          layer.on('click', function () { window.location.assign(url); });
        }
      }
    });

    // Provinces: thicker outlines on top, not filled, not interactive.
    var provinces = L.geoJSON(data.provinces, {
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

    // Incidents: circles sized by killed, coloured by type; big ones first so small stay on top.
    var points = data.incidents.features.filter(function (f) {
      var g = f && f.geometry;
      return g && g.type === 'Point' && Array.isArray(g.coordinates) &&
        isFinite(g.coordinates[0]) && isFinite(g.coordinates[1]);
    }).sort(function (a, b) { return num(b.properties && b.properties.killed) - num(a.properties && a.properties.killed); });
    var typesSeen = {};
    var incidentLayer = L.featureGroup();
    points.forEach(function (f) {
      var p = f.properties || {};
      var type = token(p.type);
      if (!typesSeen[type]) typesSeen[type] = p.type_label || p.type || 'Other';
      var marker = L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
        pane: 'incidents',
        className: 'incident incident--' + type,
        radius: radius(p.killed),
        weight: 1.5,
        fillOpacity: 0.85
      });
      marker.bindPopup(incidentPopup(p), { className: 'map-popup', maxWidth: 300, autoPanPadding: [16, 16] });
      marker.bindTooltip(el('span', 'map-tooltip__name', p.title || p.id || ''), { className: 'map-tooltip-wrap', direction: 'top' });
      marker.sitrepId = p.id;
      incidentLayer.addLayer(marker);
    });

    // View first (without animation), then the layers, bottom to top.
    var pakistan = districts.getLayers().length ? districts.getBounds() : provinces.getBounds();
    var bounds = parseBounds(container.getAttribute('data-bounds'));
    if (view === 'region' && bounds) {
      map.fitBounds(bounds, { padding: [12, 12], animate: false });
    } else if (pakistan && pakistan.isValid()) {
      // (more room at the bottom, where the attribution is)
      map.fitBounds(pakistan, { paddingTopLeft: [8, 8], paddingBottomRight: [8, 24], animate: false });
    } else if (bounds) {
      map.fitBounds(bounds, { animate: false });
    } else {
      map.setView([30.2, 69.3], 5, { animate: false });
    }
    context.addTo(map);
    districts.addTo(map);
    provinces.addTo(map);
    incidentLayer.addTo(map);

    // Identify the drawn paths (for tests and for CSS hooks).
    tagPaths(districts, function (layer) { return layer.feature && layer.feature.properties && layer.feature.properties.id; }, 'data-region');
    tagPaths(provinces, function (layer) { return layer.feature && layer.feature.properties && layer.feature.properties.id; }, 'data-region');
    tagPaths(incidentLayer, function (layer) { return layer.sitrepId; }, 'data-incident');

    var types = TYPE_ORDER.concat(Object.keys(typesSeen).filter(function (t) { return TYPE_ORDER.indexOf(t) < 0; }))
      .filter(function (t) { return typesSeen[t]; })
      .map(function (t) { return { type: t, label: typesSeen[t] }; });
    // Open the legend where it fits beside the map (the full map on a large screen).
    var startOpen = view === 'full' && container.clientWidth >= 560 && container.clientHeight >= 520;
    legendControl(classes, types, startOpen).addTo(map);

    highlighted.forEach(function (layer) { layer.bringToFront(); });

    container.setAttribute('data-districts', String(districtCount));
    container.setAttribute('data-points', String(points.length));
    container.setAttribute('data-classes', String(classes.length));
    container.setAttribute('data-state', 'ready');
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
    Promise.all(LAYERS.map(function (name) {
      return fetchJson(base + 'data/map/' + name + '.geojson');
    })).then(function (results) {
      var data = {};
      LAYERS.forEach(function (name, i) { data[name] = results[i]; });
      draw(container, map, data, base);
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
