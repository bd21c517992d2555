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

  // ---- sign-out on a shared phone: offer to clear the person's offline drafts ----

  // Must match drafts.js.
  var DRAFTS = 'xaso.drafts.v1';

  function allDrafts() {
    try {
      var v = JSON.parse(localStorage.getItem(DRAFTS) || '[]');
      return Array.isArray(v) ? v : [];
    } catch (e) {
      return [];
    }
  }

  // Forgets the person's drafts: their text at once, their files in IndexedDB (as drafts.js
  // keeps them) within a few seconds at most, so sign-out never hangs on a stuck database.
  function clearDrafts(owner) {
    var all = allDrafts();
    var gone = all.filter(function (d) { return d.owner === owner; });
    try {
      localStorage.setItem(DRAFTS, JSON.stringify(all.filter(function (d) { return d.owner !== owner; })));
    } catch (e) {}
    var withFiles = gone.filter(function (d) { return d.hadFiles; });
    if (!withFiles.length || !window.indexedDB) return Promise.resolve();
    var files = new Promise(function (resolve) {
      var req = window.indexedDB.open('xaso-drafts', 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore('files');
      };
      req.onsuccess = function () {
        try {
          var tr = req.result.transaction('files', 'readwrite');
          withFiles.forEach(function (d) { tr.objectStore('files').delete(d.id); });
          tr.oncomplete = tr.onerror = tr.onabort = function () { resolve(); };
        } catch (e) {
          resolve();
        }
      };
      req.onerror = req.onblocked = function () { resolve(); };
    });
    return Promise.race([files, new Promise(function (r) { setTimeout(r, 3000); })]);
  }

  // A dialog built from the form's data-t-* texts: resolves 'clear', 'keep' or 'stay'.
  function askAboutDrafts(form, n) {
    return new Promise(function (resolve) {
      var t = function (k) { return form.getAttribute('data-t-' + k) || ''; };
      var dlg = document.createElement('dialog');
      dlg.className = 'card';
      dlg.setAttribute('data-signout-drafts', String(n));
      var p = document.createElement('p');
      p.textContent = t('question').replace('{n}', String(n));
      dlg.appendChild(p);
      var row = document.createElement('div');
      row.className = 'draft-row';
      [['clear', 'button'], ['keep', 'button ghost'], ['stay', 'link']].forEach(function (b) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.className = b[1];
        btn.value = b[0];
        btn.textContent = t(b[0]);
        btn.addEventListener('click', function () { dlg.close(b[0]); });
        row.appendChild(btn);
      });
      dlg.appendChild(row);
      dlg.addEventListener('close', function () {
        var choice = dlg.returnValue || 'stay';
        dlg.remove();
        resolve(choice);
      });
      document.body.appendChild(dlg);
      if (dlg.showModal) dlg.showModal();
      else resolve(window.confirm(p.textContent) ? 'clear' : 'keep');
    });
  }

  // In the capture phase, before htmx's boost takes the form: with drafts of this person on
  // the phone, sign-out waits for their answer; then the form is posted as a plain form.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form || !form.matches || !form.matches('form[data-signout]')) return;
    var owner = form.getAttribute('data-signout');
    if (owner === 'u') return;
    var n = allDrafts().filter(function (d) { return d.owner === owner; }).length;
    if (!n && !('caches' in window)) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    (n ? askAboutDrafts(form, n) : Promise.resolve('keep')).then(function (choice) {
      if (choice === 'stay') return;
      Promise.all([choice === 'clear' ? clearDrafts(owner) : Promise.resolve(), forgetOfficePages()]).then(function () {
        form.submit();
      });
    });
  }, true);

  // The back office's pages kept for offline work (a survey sheet lists a village's
  // households) hold personal data: they leave the phone with the person who signed out.
  // A few seconds at most, as for the drafts: sign-out never hangs on a stuck cache.
  function forgetOfficePages() {
    if (!('caches' in window)) return Promise.resolve();
    var work = caches.open(PAGES).then(function (cache) {
      return cache.keys().then(function (keys) {
        return Promise.all(keys.filter(function (r) {
          return /^\/c\/[^/]+\/office\//.test(new URL(r.url).pathname);
        }).map(function (r) { return cache.delete(r); }));
      });
    }).catch(function () {});
    return Promise.race([work, new Promise(function (resolve) { setTimeout(resolve, 3000); })]);
  }

  function wire() {
    listSaved();
    brandColours();
    // A print button is only offered where a script can press Print (the page says how otherwise).
    document.querySelectorAll('[data-print]:not([data-wired])').forEach(function (b) {
      b.setAttribute('data-wired', '');
      b.hidden = false;
      b.addEventListener('click', function () {
        window.print();
      });
    });
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
