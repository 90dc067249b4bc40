/*
 * sitrep timeline — filters the plain-HTML timeline pages in place (they are complete without
 * JavaScript): the index (/timeline/: years and the latest incidents) and the year pages
 * (/timeline/<year>/, paged as /timeline/<year>/page/<n>/). Each `li.incident-list__item`
 * carries data-date, data-date-last, data-type, data-region and data-actors (space-separated
 * slugs); the filters and their URL query are those of the map (static/js/filters.js), so
 * /timeline/2024/?type=bombing and /map/?type=bombing show the same incidents of 2024.
 *
 * Across pages: the filters apply to the incidents of the page shown; every link to another
 * timeline page (years, months, pages) carries the query, so the filters follow the reader.
 * Year and month links carry their calendar span (data-first / data-last): those outside the
 * date range are hidden, and when nothing on the page matches, the notice links to the years
 * and pages that overlap the range. Items that do not match get the `hidden` attribute; so do
 * month headings, year sections and same-page jump links left empty.
 */
(function () {
  'use strict';

  var F = window.SitrepFilters;

  function start() {
    var form = document.querySelector('form[data-filters]');
    var timeline = document.querySelector('.timeline');
    if (!F || !form || !timeline) return;

    var records = Array.prototype.map.call(timeline.querySelectorAll('.incident-list__item[data-date]'), function (li) {
      return {
        el: li,
        date: li.getAttribute('data-date') || '',
        date_last: li.getAttribute('data-date-last') || '',
        type: li.getAttribute('data-type') || '',
        region: li.getAttribute('data-region') || '',
        actors: (li.getAttribute('data-actors') || '').split(' ').filter(Boolean)
      };
    });
    var lists = Array.prototype.slice.call(timeline.querySelectorAll('ol.timeline__items'));
    var sections = Array.prototype.slice.call(timeline.querySelectorAll('.timeline__section'));
    var navLinks = Array.prototype.slice.call(document.querySelectorAll('nav.timeline__jump a[href], nav.pager a[href]'));
    var yearRows = Array.prototype.slice.call(document.querySelectorAll('[data-timeline-years] tr[data-first]'));
    var empty = document.querySelector('[data-filter-empty]');
    var elsewhere = empty && empty.querySelector('[data-filter-elsewhere]');
    navLinks.concat(yearRows.map(function (row) { return row.querySelector('a[href]'); }).filter(Boolean))
      .forEach(function (a) { a.setAttribute('data-href', a.getAttribute('href')); });

    function visible(node) {
      return !!node.querySelector('.incident-list__item:not([hidden])');
    }

    function withQuery(a, state) {
      var url = new URL(a.getAttribute('data-href'), window.location.href);
      url.search = F.write(state, F.FILTER_KEYS);
      a.setAttribute('href', url.pathname + url.search + url.hash);
    }

    function spanMatches(node, state) {
      var first = node.getAttribute('data-first');
      var last = node.getAttribute('data-last');
      return !first || !last || F.overlaps(first, last, state);
    }

    /** Links to other pages (years, pages of this year) that overlap the date range. */
    function others(state) {
      var seen = {};
      return navLinks.filter(function (a) {
        var href = a.getAttribute('href');
        if (href.charAt(0) === '#' || a.getAttribute('aria-current') === 'page') return false;
        if (!a.hasAttribute('data-first') || !spanMatches(a, state)) return false;
        var key = a.getAttribute('data-href');
        if (seen[key]) return false;
        seen[key] = true;
        return true;
      });
    }

    function showElsewhere(state, shown) {
      if (!elsewhere) return;
      while (elsewhere.firstChild) elsewhere.removeChild(elsewhere.firstChild);
      if (shown > 0 || !(state.from || state.to)) return;
      var links = others(state);
      if (!links.length) return;
      elsewhere.appendChild(document.createTextNode('Incidents in this date range are on: '));
      links.forEach(function (a, i) {
        if (i) elsewhere.appendChild(document.createTextNode(', '));
        var link = document.createElement('a');
        link.href = a.getAttribute('href');
        var pager = a.closest('nav.pager');
        link.textContent = pager ? 'page ' + a.textContent.replace(/^\D*/, '') : a.firstChild.textContent.trim();
        elsewhere.appendChild(link);
      });
      elsewhere.appendChild(document.createTextNode('.'));
    }

    function apply(state) {
      var shown = 0;
      records.forEach(function (r) {
        var keep = F.matches(r, state);
        if (r.el.hidden === keep) r.el.hidden = !keep;
        if (keep) shown += 1;
      });
      lists.forEach(function (ol) {
        var any = visible(ol);
        ol.hidden = !any;
        var heading = ol.previousElementSibling;
        if (heading && heading.classList.contains('timeline__month')) heading.hidden = !any;
      });
      sections.forEach(function (section) {
        section.hidden = !visible(section);
        var meta = section.querySelector('.timeline__year .meta');
        if (!meta) return;
        if (!meta.hasAttribute('data-all')) meta.setAttribute('data-all', meta.textContent);
        var count = section.querySelectorAll('.incident-list__item:not([hidden])').length;
        var all = section.querySelectorAll('.incident-list__item').length;
        meta.textContent = count === all ? meta.getAttribute('data-all') : count + ' of ' + all + ' incidents on this page shown';
      });
      navLinks.forEach(function (a) {
        var href = a.getAttribute('data-href');
        var item = a.parentElement;
        if (href.charAt(0) === '#') {
          var target = document.getElementById(href.slice(1));
          var section = target && target.closest('.timeline__section');
          var hide = !!((target && target.hidden) || (section && section.hidden));
          if (item) item.hidden = hide;
          return;
        }
        withQuery(a, state);
        if (item && !a.closest('nav.pager')) item.hidden = !spanMatches(a, state) && a.getAttribute('aria-current') !== 'page';
      });
      yearRows.forEach(function (row) {
        row.hidden = !spanMatches(row, state);
        var a = row.querySelector('a[data-href]');
        if (a) withQuery(a, state);
      });
      if (empty) empty.hidden = shown > 0;
      showElsewhere(state, shown);
      var words = F.describe(state, form);
      binding.status(F.active(state)
        ? shown + ' of ' + records.length + ' incidents on this page match: ' + words + '.'
        : 'All ' + records.length + ' incidents on this page are shown.');
      F.updateLinks(form, state);
      document.documentElement.setAttribute('data-timeline-shown', String(shown));
    }

    var binding = F.bindForm(form, F.read(window.location.search), function (state) {
      apply(state);
      F.toUrl(state, true);
    });
    apply(binding.state());
    F.toUrl(binding.state(), false);
    window.addEventListener('popstate', function () {
      binding.set(F.read(window.location.search));
      apply(binding.state());
    });
    timeline.setAttribute('data-state', 'ready');
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
