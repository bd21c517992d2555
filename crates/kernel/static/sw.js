// Xã Số service worker: keeps the app shell and the pages people need without a network
// (the commune's notice board and notices, its home page, the feedback and dossier forms)
// and answers every other page with the offline page while the network is down.
//
// Served at /sw.js (scope "/") by web::pwa, which puts a digest of the app shell in
// VERSION: a new release is a new worker, which fills a new shell cache and drops the old.
// No text for people lives here: the banner and the offline page come from the server's
// templates, in the reader's language.
'use strict';

// Web Push handlers, when the push module is installed; the rest works without them.
try {
  importScripts('/static/sw-push.js');
} catch (e) {
  // 404 or a syntax error in the push script: offline support must not depend on it.
}

const VERSION = '__XASO_SW_VERSION__';
const SHELL = 'xaso-shell-' + VERSION;
// Saved pages outlive releases (people want yesterday's notices after an update too);
// the number changes only if saved pages become unreadable by newer releases.
const PAGES = 'xaso-pages-1';
const OFFLINE_URL = '/offline';
const PRECACHE = [
  OFFLINE_URL,
  '/manifest.webmanifest',
  '/static/app.css',
  '/static/htmx.min.js',
  '/static/pwa.js',
  '/static/drafts.js',
  '/static/favicon.svg',
  '/static/icons.svg',
  '/static/icons/icon-192.png',
  '/static/icons/icon-512.png',
  '/static/icons/maskable-512.png',
];
// Pages kept for reading offline, saved on every successful visit.
const KEEP = [
  /^\/c\/[0-9A-Za-z_-]+\/?$/, // commune home
  /^\/c\/[0-9A-Za-z_-]+\/notices\/?$/, // public notice board
  /^\/c\/[0-9A-Za-z_-]+\/notices\/[^/]+\/?$/, // one notice
  /^\/c\/[0-9A-Za-z_-]+\/feedback\/new\/?$/, // feedback form (draft box)
  /^\/c\/[0-9A-Za-z_-]+\/services\/\d+\/?$/, // a procedure and its dossier form (draft box)
  /^\/c\/[0-9A-Za-z_-]+\/office\/surveys\/\d+\/fill\/?$/, // a survey sheet, filled in the field (draft box)
];
// The latest pages only: the oldest go first beyond this many.
const MAX_PAGES = 60;
// Pages from the cache are matched on their address alone (the Vary of compression does
// not matter for a copy kept for offline reading).
const MATCH = { ignoreVary: true };

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      // `reload`: straight from the server, not from the browser's HTTP cache of an old release.
      .then((cache) => cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((n) => (n.startsWith('xaso-shell-') && n !== SHELL) || (n.startsWith('xaso-pages-') && n !== PAGES))
            .map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function keepable(url) {
  return url.origin === self.location.origin && KEEP.some((re) => re.test(url.pathname));
}

// A page request: a browser navigation, or htmx's boosted link following (same answer).
function isPage(request) {
  return request.method === 'GET' && (request.mode === 'navigate' || request.headers.get('HX-Request') === 'true');
}

async function savePage(request, response) {
  const cache = await caches.open(PAGES);
  await cache.put(new Request(request.url), response);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) await cache.delete(old);
}

// A saved copy shown offline: the page's own banner (rendered hidden by the server in the
// reader's language) is revealed, with when the copy was saved.
async function offlineCopy(saved) {
  let html = await saved.text();
  const when = saved.headers.get('date');
  const lang = (html.match(/<html lang="([a-z]{2})"/) || [])[1] || 'vi';
  let stamp = '';
  if (when) {
    const d = new Date(when);
    if (!Number.isNaN(d.getTime())) {
      const text = d.toLocaleString(lang === 'en' ? 'en-GB' : 'vi-VN', {
        timeZone: 'Asia/Ho_Chi_Minh',
        dateStyle: 'short',
        timeStyle: 'short',
      });
      stamp = `<time datetime="${d.toISOString()}">${text}</time>`;
    }
  }
  html = html.replace('data-offline-banner hidden', 'data-offline-banner').replace('<time data-saved></time>', stamp);
  const headers = new Headers(saved.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  headers.set('x-xaso-offline', '1');
  return new Response(html, { status: 200, statusText: 'OK', headers });
}

async function offlinePage() {
  const shell = await caches.open(SHELL);
  const page = await shell.match(OFFLINE_URL, MATCH);
  return page || new Response('', { status: 503, statusText: 'Offline' });
}

async function page(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    const html = (response.headers.get('content-type') || '').startsWith('text/html');
    // Not a redirect's target (signed out, the form's address would hold the login page).
    if (response.status === 200 && !response.redirected && html && keepable(url)) {
      await savePage(request, response.clone());
    }
    return response;
  } catch (e) {
    if (keepable(url)) {
      const cache = await caches.open(PAGES);
      // The exact address, else the same page without its query (a board's search or page).
      const saved =
        (await cache.match(request.url, MATCH)) || (await cache.match(request.url, { ignoreVary: true, ignoreSearch: true }));
      if (saved) return offlineCopy(saved);
    }
    return offlinePage();
  }
}

// Static files: from the cache at once, refreshed in the background for next time.
async function asset(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, MATCH);
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => undefined);
  return cached || (await fresh) || new Response('', { status: 503, statusText: 'Offline' });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === '/logout') {
    // Signing out leaves nothing of the person's pages on a shared phone.
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (isPage(request)) {
    event.respondWith(page(request));
  } else if (request.method === 'GET' && (url.pathname.startsWith('/static/') || url.pathname === '/manifest.webmanifest')) {
    event.respondWith(asset(request));
  }
});

// The page that registered the worker was loaded before it existed: save it now if it is
// one to keep (pwa.js asks once the worker controls the page).
self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type !== 'keep' || typeof data.url !== 'string') return;
  const url = new URL(data.url, self.location.origin);
  if (!keepable(url)) return;
  event.waitUntil(
    fetch(url.href, { credentials: 'same-origin' })
      .then((response) => {
        const html = (response.headers.get('content-type') || '').startsWith('text/html');
        if (response.status === 200 && !response.redirected && html) return savePage(new Request(url.href), response);
        return undefined;
      })
      .catch(() => undefined),
  );
});
