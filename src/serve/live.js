// sitrep serve: live reload and the error overlay. Injected by `sitrep serve` only, never
// part of a built site. External script (the pages' CSP forbids inline code); the overlay is
// built with DOM APIs and textContent, so diagnostics can never inject markup.
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script ? script.src.replace(/__sitrep\/live\.js(\?.*)?$/, '') : '/';
  var overlayId = 'sitrep-live-overlay';

  var style = document.createElement('link');
  style.rel = 'stylesheet';
  style.href = base + '__sitrep/live.css';
  document.head.appendChild(style);

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function removeOverlay() {
    var old = document.getElementById(overlayId);
    if (old) old.remove();
  }

  function showOverlay(report) {
    removeOverlay();
    var errors = report.diagnostics.filter(function (d) { return d.severity === 'error'; });
    if (errors.length === 0) return;
    var overlay = element('section', 'sitrep-overlay');
    overlay.id = overlayId;
    overlay.setAttribute('role', 'alert');
    overlay.setAttribute('aria-label', 'Build errors');
    var header = element('header', 'sitrep-overlay__header');
    header.appendChild(element('h2', 'sitrep-overlay__title',
      errors.length + (errors.length === 1 ? ' error' : ' errors') +
      (document.documentElement.hasAttribute('data-sitrep-unbuilt')
        ? ': nothing could be built yet.'
        : ': showing the last good build.') +
      ' Fix the file and save; this page reloads by itself.'));
    var close = element('button', 'sitrep-overlay__close', 'Hide');
    close.type = 'button';
    close.addEventListener('click', removeOverlay);
    header.appendChild(close);
    overlay.appendChild(header);
    var list = element('ol', 'sitrep-overlay__list');
    errors.forEach(function (d) {
      var item = element('li', 'sitrep-overlay__item');
      var where = d.file + (d.line ? ':' + d.line + ':' + d.column : '');
      item.appendChild(element('p', 'sitrep-overlay__where', where));
      item.appendChild(element('p', 'sitrep-overlay__message', 'error[' + d.kind + ']: ' + d.message));
      if (d.snippet) item.appendChild(element('pre', 'sitrep-overlay__snippet', d.snippet));
      if (d.hint) item.appendChild(element('p', 'sitrep-overlay__hint', 'hint: ' + d.hint));
      list.appendChild(item);
    });
    overlay.appendChild(list);
    document.body.appendChild(overlay);
  }

  function refreshOverlay() {
    fetch(base + '__sitrep/diagnostics.json', { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(showOverlay)
      .catch(function () { /* the server is restarting; the event stream reconnects */ });
  }

  function restyle() {
    var stamp = Date.now();
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
      if (link === style) return;
      var url = new URL(link.href);
      url.searchParams.set('sitrep-live', String(stamp));
      link.href = url.toString();
    });
  }

  var events = new EventSource(base + '__sitrep/events');
  events.addEventListener('reload', function () { window.location.reload(); });
  events.addEventListener('css', restyle);
  events.addEventListener('diagnostics', refreshOverlay);
  // `hello` arrives once the stream is subscribed (on every reconnect too): the overlay is
  // fetched then, so a build that ended while the page was connecting is never missed.
  events.addEventListener('hello', refreshOverlay);
})();
