/* Xã Số: Web Push in the service worker. The site's /sw.js loads it with
 *   importScripts('/static/sw-push.js');
 * The server sends {title, body, url, priority, tag} (kernel notify/webpush.rs), encrypted
 * for this browser; the browser has decrypted it by the time `push` fires.
 */
(function () {
  'use strict';

  self.addEventListener('push', function (event) {
    var data = {};
    if (event.data) {
      try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
    }
    var emergency = data.priority === 'emergency';
    var options = {
      body: data.body || '',
      // The outbox id: a retried message replaces its first copy instead of showing twice.
      tag: data.tag || undefined,
      data: { url: data.url || '/inbox' },
      lang: 'vi',
      // An emergency stays on screen until the person acts on it, and buzzes.
      requireInteraction: emergency,
      renotify: emergency && !!data.tag,
      vibrate: emergency ? [300, 100, 300, 100, 300] : undefined
    };
    event.waitUntil(self.registration.showNotification(data.title || 'Xã Số', options));
  });

  self.addEventListener('notificationclick', function (event) {
    event.notification.close();
    var wanted = (event.notification.data && event.notification.data.url) || '/inbox';
    var url = new URL(wanted, self.location.origin);
    // Only ever open this site's own pages.
    if (url.origin !== self.location.origin) url = new URL('/inbox', self.location.origin);
    event.waitUntil(
      self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
        for (var i = 0; i < list.length; i++) {
          if (list[i].url === url.href && 'focus' in list[i]) return list[i].focus();
        }
        return self.clients.openWindow ? self.clients.openWindow(url.href) : undefined;
      })
    );
  });
})();
