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
 *
 * Data (docs/site-layout.md): the district, province and context outlines (GeoJSON, with the
 * figures of every incident), the point index data/map/points/index.json, and then either
 * every year's point file at once (index.eager: a small atlas) or, on a large atlas, only the
 * precomputed overview clusters of the current zoom (data/map/clusters/<zoom>.json). The point
 * files of a year (data/map/points/<year>.json) are loaded when a filter needs them — all
 * years for a type, actor or place filter, only the years overlapping a date range — so the
 * first view never needs every point.
 *
 * The full map (data-view="full") works with the filter form of the page (form[data-filters],
 * static/js/filters.js): the districts are shaded by the chosen metric over the incidents that
 * pass the filters (recomputed here from the points), the points are filtered too, and the
 * state lives in the URL query. The figures table (table[data-region-table]) follows.
 *
 * Points are clustered on a pixel grid per zoom level (map-parts.js, deterministic; the
 * overview files use the same grid); selecting a cluster zooms in until it splits, or lists its
 * incidents when they share a place (an overview group offers its years instead).
 *
 * When everything is drawn the element gets data-state="ready", data-mode ("points" or
 * "overview"), data-years (the years whose points are loaded), data-districts, data-points
 * (incidents shown), data-markers (single points drawn), data-clusters, data-metric and
 * data-classes; while point files load, data-loading; when loading fails, data-state="error"
 * and a visible `.map-error`.
 */
(function () {
  'use strict';

  var P = window.SitrepMapParts;
  if (!P) {
    console.error('sitrep map: static/js/map-parts.js is not loaded');
    return;
  }
  var DEFAULT_ATTRIBUTION = 'Boundaries: geoBoundaries (CC BY 4.0 / public domain)';
  var ACTOR_COLOURS = 7; // actors with their own colour; the rest are "other"
  var METRICS = P.METRICS;
  var el = P.el;
  var escapeHtml = P.escapeHtml;
  var safeUrl = P.safeUrl;
  var num = P.num;
  var plural = P.plural;
  var range = P.range;
  var token = P.token;
  var parseBounds = P.parseBounds;
  var fetchCollection = P.fetchCollection;
  var fetchJson = P.fetchJson;
  var hasGeometry = P.hasGeometry;
  var isPoint = P.isPoint;
  var zeroFigures = P.zeroFigures;
  var aggregate = P.aggregate;
  var figuresOf = P.figuresOf;
  var computeClasses = P.computeClasses;
  var classIndex = P.classIndex;
  var radius = P.radius;
  var clusterPoints = P.clusterPoints;
  var splitZoom = P.splitZoom;
  var districtTooltip = P.districtTooltip;
  var districtLabel = P.districtLabel;
  var incidentPopup = P.incidentPopup;
  var listPopup = P.listPopup;
  var showError = P.showError;
  var onActivate = P.onActivate;
  var focusFirstLink = P.focusFirstLink;

  /* ---------- the map ---------- */

  function MapView(container, map, data, base) {
    this.container = container;
    this.map = map;
    this.base = base;
    this.view = container.getAttribute('data-view') || 'full';
    this.regionId = container.getAttribute('data-region') || '';
    this.keyboard = this.view === 'full';
    this.state = { metric: 'incidents', color: 'type' };
    this.index = data.index;
    this.yearPoints = {}; // year → decoded points, once loaded
    this.loading = {}; // year → promise
    this.overviews = {}; // zoom → decoded overview groups
    this.points = [];
    this.shown = [];
    this.mode = 'points';
    this.actorRank = [];
    this.drawBase(data);
  }

  /** Years of the index whose points overlap the state's date range. */
  MapView.prototype.yearsFor = function (state) {
    var F = window.SitrepFilters;
    return this.index.years.filter(function (y) {
      return !F || F.overlaps(String(y.first || ''), String(y.last || ''), state);
    }).map(function (y) { return y.year; });
  };

  /** Every point of the index needed up front (small atlas), or only for an active filter. */
  MapView.prototype.needsPoints = function (state) {
    var F = window.SitrepFilters;
    return !!this.index.eager || !!(F && F.active(state));
  };

  /** Load the point files of `years` not loaded yet; resolves when all are in. */
  MapView.prototype.loadYears = function (years) {
    var self = this;
    return Promise.all(years.map(function (year) {
      if (self.yearPoints[year]) return self.yearPoints[year];
      if (!self.loading[year]) {
        self.loading[year] = fetchJson(self.base + 'data/map/points/' + year + '.json').then(function (data) {
          self.yearPoints[year] = P.decodeYear(data, self.index.fields, self.base);
          return self.yearPoints[year];
        });
      }
      return self.loading[year];
    })).then(function () {
      // Every loaded point, in year order (so clustering does not depend on loading order).
      self.points = [];
      var loaded = [];
      self.index.years.forEach(function (y) {
        if (self.yearPoints[y.year]) {
          self.points = self.points.concat(self.yearPoints[y.year]);
          loaded.push(y.year);
        }
      });
      self.actorRank = self.rankActors();
      self.container.setAttribute('data-years', loaded.join(' '));
    });
  };

  /** The overview zoom file for `zoom`: the closest written at or below it. */
  MapView.prototype.overviewZoom = function (zoom) {
    var zooms = this.index.overview.zooms;
    var best = zooms[0];
    zooms.forEach(function (z) { if (z <= Math.floor(zoom)) best = z; });
    return best;
  };

  MapView.prototype.loadOverview = function (zoom) {
    var self = this;
    var z = this.overviewZoom(zoom);
    if (this.overviews[z]) return Promise.resolve(this.overviews[z]);
    return fetchJson(this.base + 'data/map/clusters/' + z + '.json').then(function (data) {
      self.overviews[z] = P.decodeOverview(data, self.base);
      return self.overviews[z];
    });
  };

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
  /**
   * Bring the view to `state`: load what it needs first (point files of the years it covers,
   * or the overview of the current zoom), then apply it. Resolves when drawn; a newer call
   * supersedes an older one still loading.
   */
  MapView.prototype.show = function (state) {
    var self = this;
    var seq = (this.seq || 0) + 1;
    this.seq = seq;
    var wanted = Object.assign({ metric: 'incidents', color: 'type' }, state);
    var points = this.needsPoints(wanted);
    var years = this.index.eager ? this.index.years.map(function (y) { return y.year; }) : this.yearsFor(wanted);
    var missing = points && years.some(function (y) { return !self.yearPoints[y]; });
    if (missing) {
      this.container.setAttribute('data-loading', 'true');
      if (this.binding) {
        var F = window.SitrepFilters;
        this.binding.status('Loading the incidents of ' + (years.length === 1 ? years[0] : years[0] + '\u2013' + years[years.length - 1]) + '\u2026' +
          (F && F.active(wanted) ? '' : ''));
      }
    }
    var done = function () {
      if (seq !== self.seq) return;
      self.container.removeAttribute('data-loading');
      self.mode = points ? 'points' : 'overview';
      self.container.setAttribute('data-mode', self.mode);
      self.update(wanted);
    };
    if (points ? !missing : !!this.overviews[this.overviewZoom(this.map.getZoom())]) {
      // Everything is here: apply now, in the same task as the change that asked for it.
      done();
      return Promise.resolve();
    }
    var pending = points ? this.loadYears(years) : this.loadOverview(this.map.getZoom());
    return pending.then(done, function (error) {
      if (seq === self.seq) showError(self.container, error);
    });
  };

  /** Apply a state whose data is loaded: filter, recompute the figures and classes, restyle, redraw. */
  MapView.prototype.apply = function (state) {
    var F = window.SitrepFilters;
    this.state = Object.assign({ metric: 'incidents', color: 'type' }, state);
    var s = this.state;
    var overview = this.mode === 'overview';
    this.filtered = !overview && !!(F && F.active(s));
    this.shown = overview ? [] : this.filtered ? this.points.filter(function (pt) { return F.matches(pt, s); }) : this.points;
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
    if (overview) this.drawOverview(); else this.drawPoints();
    P.updateLegend(this);
    this.container.setAttribute('data-points', String(overview ? this.index.total : this.shown.length));
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
      node.setAttribute('data-incidents', group.members.map(function (m) { return m.props.id; }).join(' '));
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

  /** Draw the precomputed groups of the overview for the current zoom (no point file loaded). */
  MapView.prototype.drawOverview = function () {
    var self = this;
    var map = this.map;
    var layer = this.pointLayer;
    var zoom = map.getZoom();
    var z = this.overviewZoom(zoom);
    var groups = this.overviews[z];
    layer.clearLayers();
    if (!groups) return;
    var deepest = this.index.overview.zooms[this.index.overview.zooms.length - 1];
    var known = {};
    this.index.years.forEach(function (y) { known[y.year] = true; });
    var singles = 0;
    var clusters = 0;
    groups.forEach(function (g) {
      var yearUrl = function (y) {
        if (!known[y]) return null;
        var view = [Math.max(Math.floor(zoom), deepest), g.latlng.lat.toFixed(4), g.latlng.lng.toFixed(4)].join('/');
        return self.base + 'map/?from=' + y + '-01-01&to=' + y + '-12-31&view=' + view;
      };
      var marker;
      if (g.count === 1) {
        singles += 1;
        marker = L.circleMarker(g.latlng, {
          pane: 'incidents',
          className: 'incident incident--overview',
          radius: radius({ killed: g.killed }),
          weight: 1.5,
          fillOpacity: 0.85
        });
        marker.bindPopup(P.overviewPopup(g, yearUrl), { className: 'map-popup', maxWidth: 300, autoPanPadding: [16, 16] });
        if (g.title) marker.bindTooltip(el('span', 'map-tooltip__name', g.title), { className: 'map-tooltip-wrap', direction: 'top' });
        marker.on('add', function () {
          var path = marker.getElement();
          if (!path) return;
          if (g.id) path.setAttribute('data-incident', g.id);
          if (!self.keyboard) return;
          path.setAttribute('tabindex', '0');
          path.setAttribute('role', 'button');
          path.setAttribute('aria-label', (g.title || 'Incident') + ', ' + g.first + ': details');
          onActivate(path, function () {
            marker.openPopup();
            focusFirstLink(marker.getPopup());
          });
        });
      } else {
        clusters += 1;
        var n = g.count;
        var size = n < 10 ? 30 : n < 100 ? 38 : n < 1000 ? 46 : 54;
        marker = L.marker(g.latlng, {
          pane: 'clusters',
          keyboard: self.keyboard,
          icon: L.divIcon({
            className: 'cluster cluster--' + (n < 10 ? 's' : n < 100 ? 'm' : 'l'),
            html: el('span', 'cluster__count', n < 10000 ? n : Math.round(n / 1000) + 'k'),
            iconSize: [size, size]
          })
        });
        var label = plural(n, 'incident', 'incidents') + ', ' + g.killed + ' killed';
        var zoomIn = function () { return Math.floor(map.getZoom()) < deepest; };
        marker.on('add', function () {
          var node = marker.getElement();
          if (!node) return;
          node.setAttribute('aria-label', label + ': ' + (zoomIn() ? 'zoom in' : 'years'));
          node.setAttribute('data-cluster', String(n));
          node.setAttribute('data-overview', String(z));
          if (!self.keyboard) node.setAttribute('aria-hidden', 'true');
        });
        marker.bindTooltip(el('span', 'map-tooltip__name', label), { className: 'map-tooltip-wrap', direction: 'top' });
        marker.on('click', function () {
          if (zoomIn()) {
            map.setView(g.latlng, Math.min(map.getMaxZoom(), Math.floor(map.getZoom()) + 2), { animate: !self.reduceMotion });
            return;
          }
          marker.unbindPopup();
          marker.bindPopup(P.overviewPopup(g, yearUrl), { className: 'map-popup', maxWidth: 300, autoPanPadding: [16, 16] });
          marker.openPopup();
          focusFirstLink(marker.getPopup());
        });
      }
      layer.addLayer(marker);
    });
    this.container.setAttribute('data-markers', String(singles));
    this.container.setAttribute('data-clusters', String(clusters));
  };

  /** After a zoom: regroup the points, or draw the overview of the new zoom (loading it first). */
  MapView.prototype.redraw = function () {
    var self = this;
    if (this.mode !== 'overview') {
      this.drawPoints();
      return;
    }
    var seq = this.seq;
    this.loadOverview(this.map.getZoom()).then(function () {
      if (seq === self.seq && self.mode === 'overview') self.drawOverview();
    }).catch(function (error) { showError(self.container, error); });
  };

  MapView.prototype.update = function (state) {
    var F = window.SitrepFilters;
    this.apply(state);
    P.updateTable(this);
    if (!this.binding) return;
    F.updateLinks(this.form, this.state);
    var all = this.index.total;
    this.binding.status(this.filtered
      ? this.shown.length + ' of ' + all + ' incidents on the map match: ' + F.describe(this.state, this.form) + '.'
      : this.mode === 'overview'
        ? 'All ' + all + ' incidents on the map are shown, grouped by place; choose a year or another filter to see them one by one.'
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
        self.show(state);
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
      self.show(state);
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
    container.sitrepMap = view;
    view.reduceMotion = !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
    var full = view.view === 'full' && !!window.SitrepFilters;
    var startOpen = view.view === 'full' && container.clientWidth >= 560 && container.clientHeight >= 520;
    P.addLegend(view, startOpen);
    var state = full ? view.connectFilters() : { metric: 'incidents', color: 'type' };
    view.state = Object.assign({}, state);
    // A small atlas loads every point with the map (a region filter may need them to fit).
    var first = view.index.eager ? view.loadYears(view.index.years.map(function (y) { return y.year; })) : Promise.resolve();
    return first.then(function () {
      view.fitInitial(full ? state.view : null);
      view.addLayers();
      return view.show(state);
    }).then(function () {
      map.on('zoomend', function () { view.redraw(); });
      if (full) view.trackView();
      container.setAttribute('data-districts', String(view.districtFeatures.length));
      if (container.getAttribute('data-state') !== 'error') container.setAttribute('data-state', 'ready');
      return view;
    });
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
      P.fetchPointIndex(base)
    ]).then(function (results) {
      var data = { context: results[0], provinces: results[1], districts: results[2], index: results[3] };
      return draw(container, map, data, base);
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
