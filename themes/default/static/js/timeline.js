/*
 * sitrep timeline — filters the plain-HTML timeline in place (the page is complete without
 * JavaScript). Each `li.incident-list__item` carries data-date, data-date-last, data-type,
 * data-region and data-actors (space-separated slugs); the filters and their URL query are
 * those of the map (static/js/filters.js), so /timeline/?type=bombing and
 * /map/?type=bombing show the same incidents, and the links between the two carry the query.
 *
 * Items that do not match get the `hidden` attribute; so do month headings, year sections and
 * jump-to-year links left empty. Links to other year pages keep the query.
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
    var jump = document.querySelector('.timeline__jump');
    var empty = document.querySelector('[data-filter-empty]');

    function visible(node) {
      return !!node.querySelector('.incident-list__item:not([hidden])');
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
        meta.textContent = count === all ? meta.getAttribute('data-all') : count + ' of ' + all + ' incidents shown';
      });
      if (jump) {
        Array.prototype.forEach.call(jump.querySelectorAll('a[href]'), function (a) {
          var href = a.getAttribute('href');
          if (href.charAt(0) === '#') {
            var target = document.getElementById(href.slice(1));
            var section = target && target.closest('.timeline__section');
            if (section && a.parentElement) a.parentElement.hidden = section.hidden;
          } else {
            var url = new URL(href, window.location.href);
            url.search = F.write(state, F.FILTER_KEYS);
            a.setAttribute('href', url.pathname + url.search + url.hash);
          }
        });
      }
      if (empty) empty.hidden = shown > 0;
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
