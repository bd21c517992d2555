// Xã Số installable app, page side: registers the service worker (/sw.js), asks it to save
// the page that was open before it took control, lists the saved pages on the offline page,
// makes its "try again" button reload, and colours the portal's commune tiles. No text for
// people lives here.
(function () {
  'use strict';
  // Must match PAGES in sw.js.
  var PAGES = 'xaso-pages-1';

  function secure() {
    var h = location.hostname;
    return location.protocol === 'https:' || h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
  }

  function register() {
    if (!('serviceWorker' in navigator) || !secure()) return;
    var hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function () {
        if (hadController) return;
        var ask = function () {
          if (navigator.serviceWorker.controller) {
            navigator.serviceWorker.controller.postMessage({ type: 'keep', url: location.href });
          }
        };
        if (navigator.serviceWorker.controller) ask();
        else navigator.serviceWorker.addEventListener('controllerchange', ask, { once: true });
      })
      .catch(function () {
        // No worker (private mode, old browser): the site works as before, online only.
      });
  }

  function savedTitle(response) {
    return response.text().then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      return doc.title || '';
    });
  }

  // The offline page: links to what this phone has kept, newest first.
  function listSaved() {
    var list = document.getElementById('saved-pages');
    if (!list || !('caches' in window)) return;
    caches
      .open(PAGES)
      .then(function (cache) {
        return cache.keys().then(function (keys) {
          keys = keys.slice().reverse();
          return Promise.all(
            keys.map(function (req) {
              return cache.match(req, { ignoreVary: true }).then(function (res) {
                return res ? savedTitle(res).then(function (t) { return { url: req.url, title: t }; }) : null;
              });
            }),
          );
        });
      })
      .then(function (pages) {
        pages = pages.filter(Boolean);
        if (!pages.length) return;
        list.textContent = '';
        pages.forEach(function (p) {
          var li = document.createElement('li');
          var a = document.createElement('a');
          var u = new URL(p.url);
          a.href = u.pathname + u.search;
          a.textContent = p.title || u.pathname;
          li.appendChild(a);
          list.appendChild(li);
        });
        var box = document.getElementById('saved-box');
        if (box) box.hidden = false;
      })
      .catch(function () {});
  }

  // Each commune's colour on the portal's tiles, set through the CSSOM: an inline style
  // attribute would need 'unsafe-inline' in the Content-Security-Policy.
  function brandColours() {
    document.querySelectorAll('[data-brand]').forEach(function (el) {
      var c = el.getAttribute('data-brand');
      if (/^#[0-9a-fA-F]{6}$/.test(c)) el.style.borderColor = c;
    });
  }

  function wire() {
    listSaved();
    brandColours();
    document.querySelectorAll('[data-reload]:not([data-wired])').forEach(function (b) {
      b.setAttribute('data-wired', '');
      b.addEventListener('click', function () {
        location.reload();
      });
    });
  }

  register();
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
  else wire();
  // htmx swaps in the offline page on a boosted link while offline.
  document.addEventListener('htmx:afterSettle', wire);
})();
