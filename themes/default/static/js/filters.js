/*
 * sitrep filters — the incident filters shared by the map (map.js) and the timeline
 * (timeline.js): the state, its URL query, the test of one incident, and the plain-HTML form
 * (`form[data-filters]`, rendered by the `filter_form` macro) that edits it.
 *
 * URL query (the same on /map/ and /timeline/, so a filtered view can be shared, restored,
 * and carried from one page to the other):
 *   from, to   ISO dates (YYYY-MM-DD); an incident is kept when its span date..date_last
 *              overlaps the range (dates known only to the month or year are spans)
 *   type       incident type term            actor   actor slug, or "none" (no attribution)
 *   region     slug path of a province or country (matches it and everything inside it)
 *   metric     incidents | killed | injured  (map: what the districts are shaded by)
 *   color      type | actor                  (map: what the points are coloured by)
 *   view       zoom/lat/lng                  (map: the view)
 * Defaults (metric=incidents, color=type, no filter) are left out of the URL.
 *
 * The form may offer a "Year" shortcut (select[data-year-select], not a URL key): choosing a
 * year sets from/to to its first and last day; it shows the year while from/to are exactly one.
 *
 * Exposes window.SitrepFilters. Vanilla ES2019, no inline anything (strict CSP).
 */
(function () {
  'use strict';

  var FILTER_KEYS = ['from', 'to', 'type', 'actor', 'region'];
  var KEYS = FILTER_KEYS.concat(['metric', 'color', 'view']);
  var DEFAULTS = { metric: 'incidents', color: 'type' };
  var ALLOWED = { metric: ['incidents', 'killed', 'injured'], color: ['type', 'actor'] };
  var ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
  var SLUG = /^[a-z0-9][a-z0-9\-_/]*$/;
  var VIEW = /^\d{1,2}(\.\d+)?\/-?\d{1,2}(\.\d+)?\/-?\d{1,3}(\.\d+)?$/;

  function empty() {
    var state = {};
    KEYS.forEach(function (k) { state[k] = DEFAULTS[k] || ''; });
    return state;
  }

  function valid(key, value) {
    if (typeof value !== 'string' || value === '') return false;
    if (key === 'from' || key === 'to') return ISO_DATE.test(value);
    if (key === 'view') return VIEW.test(value);
    if (ALLOWED[key]) return ALLOWED[key].indexOf(value) >= 0;
    return SLUG.test(value) && value.length <= 200;
  }

  /** The state in a query string ("?type=bombing&…"); invalid values are dropped. */
  function read(search) {
    var params = new URLSearchParams(search || '');
    var state = empty();
    KEYS.forEach(function (k) {
      var v = params.get(k);
      if (v !== null && valid(k, v.trim())) state[k] = v.trim();
    });
    if (state.from && state.to && state.from > state.to) {
      var swap = state.from; state.from = state.to; state.to = swap;
    }
    return state;
  }

  /** The query string of a state ("" or "?…"), keys in a fixed order, defaults left out. */
  function write(state, keys) {
    var params = new URLSearchParams();
    (keys || KEYS).forEach(function (k) {
      var v = state[k];
      if (v && v !== DEFAULTS[k]) params.set(k, v);
    });
    var text = params.toString();
    return text ? '?' + text : '';
  }

  function active(state) {
    return FILTER_KEYS.some(function (k) { return !!state[k]; });
  }

  /** Does the span first..last (ISO dates) overlap the state's date range? */
  function overlaps(first, last, state) {
    if (state.from && last && last < state.from) return false;
    if (state.to && first && first > state.to) return false;
    return true;
  }

  /** The year whose whole span from..to is, or "". */
  function wholeYear(state) {
    var m = /^(\d{4})-01-01$/.exec(state.from || '');
    return m && state.to === m[1] + '-12-31' ? m[1] : '';
  }

  /**
   * Does an incident pass the filters? `item` has date, date_last (ISO strings), type,
   * actors (array of slugs) and region (slug path).
   */
  function matches(item, state) {
    if (state.from && (item.date_last || item.date) < state.from) return false;
    if (state.to && item.date > state.to) return false;
    if (state.type && item.type !== state.type) return false;
    if (state.actor) {
      var actors = item.actors || [];
      if (state.actor === 'none' ? actors.length > 0 : actors.indexOf(state.actor) < 0) return false;
    }
    if (state.region) {
      var region = item.region || '';
      if (region !== state.region && region.indexOf(state.region + '/') !== 0) return false;
    }
    return true;
  }

  /** "12 May 2024" from an ISO date, for status lines. */
  function formatDate(iso) {
    var parts = iso.split('-').map(Number);
    var months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
      'September', 'October', 'November', 'December'];
    return parts[2] + ' ' + months[parts[1] - 1] + ' ' + parts[0];
  }

  /** The text of a selected option without its count: "Bombing (5)" → "Bombing". */
  function optionLabel(form, name, value) {
    var select = form && form.elements[name];
    if (!select || !select.options) return value;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) return select.options[i].textContent.replace(/\s*\(\d+\)$/, '');
    }
    return value;
  }

  /** Words for the active filters: "Bombing; TTP; Khyber Pakhtunkhwa; from 1 May 2024". */
  function describe(state, form) {
    var words = [];
    if (state.type) words.push(optionLabel(form, 'type', state.type));
    if (state.actor) words.push(optionLabel(form, 'actor', state.actor));
    if (state.region) words.push(optionLabel(form, 'region', state.region));
    if (state.from && state.to) words.push(formatDate(state.from) + ' to ' + formatDate(state.to));
    else if (state.from) words.push('from ' + formatDate(state.from));
    else if (state.to) words.push('until ' + formatDate(state.to));
    return words.join('; ');
  }

  /**
   * Bind a filter form: show `state` in it, enable it, and call onChange(newState) whenever
   * the user changes it. Values the form does not offer are dropped from the state first.
   * Returns { set(state), status(text) }.
   */
  function bindForm(form, state, onChange) {
    var current = Object.assign({}, state);

    function field(name) {
      return form.elements[name];
    }

    function offers(name, value) {
      var control = field(name);
      if (!control) return false;
      if (control.options) {
        return Array.prototype.some.call(control.options, function (o) { return o.value === value; });
      }
      return true;
    }

    var yearSelect = form.querySelector('select[data-year-select]');

    function show(s) {
      if (yearSelect) yearSelect.value = wholeYear(s);
      KEYS.forEach(function (k) {
        var control = field(k);
        if (!control) return;
        if (typeof RadioNodeList !== 'undefined' && control instanceof RadioNodeList) {
          Array.prototype.forEach.call(control, function (radio) { radio.checked = radio.value === s[k]; });
        } else {
          control.value = s[k] || (control.options ? (DEFAULTS[k] || '') : '');
        }
      });
    }

    function collect() {
      var s = Object.assign({}, current);
      KEYS.forEach(function (k) {
        var control = field(k);
        if (!control) return;
        var v = control.value !== undefined ? control.value : '';
        s[k] = valid(k, v) ? v : (DEFAULTS[k] || '');
      });
      if (s.from && s.to && s.from > s.to) {
        // Keep the range meaningful: the field just changed wins, the other follows.
        if (document.activeElement === field('from')) s.to = s.from; else s.from = s.to;
        show(s);
      }
      if (yearSelect) yearSelect.value = wholeYear(s);
      return s;
    }

    KEYS.forEach(function (k) {
      if (current[k] && field(k) && !offers(k, current[k])) current[k] = DEFAULTS[k] || '';
    });
    show(current);

    form.addEventListener('submit', function (event) { event.preventDefault(); });
    if (yearSelect) {
      // Runs before the form's change listener (the event bubbles from the select to the form).
      yearSelect.addEventListener('change', function () {
        var y = yearSelect.value;
        if (!/^\d{4}$/.test(y)) {
          if (wholeYear(current)) {
            field('from').value = '';
            field('to').value = '';
          }
          return;
        }
        field('from').value = y + '-01-01';
        field('to').value = y + '-12-31';
      });
    }
    form.addEventListener('change', function () {
      current = collect();
      onChange(Object.assign({}, current));
    });
    var reset = form.querySelector('[data-filter-reset]');
    if (reset) {
      reset.addEventListener('click', function () {
        FILTER_KEYS.forEach(function (k) { current[k] = ''; });
        show(current);
        onChange(Object.assign({}, current));
      });
    }
    var controls = form.querySelector('[data-filter-controls]');
    if (controls) controls.disabled = false;
    form.setAttribute('data-state', 'ready');

    return {
      state: function () { return Object.assign({}, current); },
      set: function (s) {
        current = Object.assign({}, s);
        show(current);
      },
      status: function (text) {
        var node = form.querySelector('[data-filter-status]');
        if (node && node.textContent !== text) node.textContent = text;
      }
    };
  }

  /**
   * Point `a[data-filter-link]` inside `root` at their page with the filters of `state`. A link
   * with data-years (the timeline's years, "2014 2016 …") leads to the first of those years
   * that overlaps the date range, when there is one, rather than to the timeline's index.
   */
  function updateLinks(root, state) {
    Array.prototype.forEach.call(root.querySelectorAll('a[data-filter-link]'), function (a) {
      if (!a.hasAttribute('data-href')) a.setAttribute('data-href', a.getAttribute('href'));
      var url = new URL(a.getAttribute('data-href'), window.location.href);
      var years = (a.getAttribute('data-years') || '').split(' ').filter(function (y) { return /^\d{4}$/.test(y); });
      if (years.length && (state.from || state.to)) {
        var year = years.filter(function (y) { return overlaps(y + '-01-01', y + '-12-31', state); })[0];
        if (year) url.pathname = url.pathname.replace(/\/?$/, '/') + year + '/';
      }
      url.search = write(state, FILTER_KEYS.concat(['metric', 'color']));
      a.setAttribute('href', url.pathname + url.search + url.hash);
    });
  }

  /** Put the state into the address bar (replace: no new history entry). */
  function toUrl(state, push) {
    var url = window.location.pathname + write(state) + window.location.hash;
    if (url === window.location.pathname + window.location.search + window.location.hash) return;
    if (push) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }

  window.SitrepFilters = {
    FILTER_KEYS: FILTER_KEYS,
    KEYS: KEYS,
    read: read,
    write: write,
    active: active,
    overlaps: overlaps,
    wholeYear: wholeYear,
    matches: matches,
    describe: describe,
    formatDate: formatDate,
    bindForm: bindForm,
    updateLinks: updateLinks,
    toUrl: toUrl
  };
}());
