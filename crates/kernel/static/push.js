/* Xã Số: the Web Push opt-in button (templates/push_button.html).
 *
 * Uses the service worker the site registers at /sw.js (which imports /static/sw-push.js to
 * show the notifications); this script only waits for it, subscribes with the server's VAPID
 * key and sends the subscription to /api/v1/push/subscriptions. States: on, off, blocked by
 * the browser. Hidden where the browser has no Push API. Safe to run more than once (htmx
 * re-runs scripts on boosted navigation): everything is inside this function and each
 * section is set up only once.
 */
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    return; // The sections stay hidden.
  }

  function keyBytes(b64url) {
    var b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function api(section, method, body) {
    return fetch('/api/v1/push/subscriptions', {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': section.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (!res.ok && res.status !== 404) throw new Error('HTTP ' + res.status);
      return res;
    });
  }

  function serverKey() {
    return fetch('/api/v1/push/key', { credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (j) { return keyBytes(j.public_key); });
  }

  function sameKey(sub, key) {
    var have = sub.options && sub.options.applicationServerKey;
    if (!have) return true; // Browsers that do not say: assume it is ours.
    var a = new Uint8Array(have);
    if (a.length !== key.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== key[i]) return false;
    return true;
  }

  function setUp(section) {
    if (section.dataset.pushReady) return;
    section.dataset.pushReady = '1';
    var status = section.querySelector('[data-push-status]');
    var button = section.querySelector('[data-push-toggle]');
    var text = section.dataset;
    var reg = null;
    var on = false;

    function show(state) {
      on = state === 'on';
      status.textContent = {
        on: text.textOn, off: text.textOff, blocked: text.textBlocked,
        failed: text.textFailed, working: text.textWorking
      }[state];
      button.textContent = on ? text.textDisable : text.textEnable;
      button.disabled = state === 'blocked' || state === 'working';
      button.hidden = state === 'blocked';
      section.dataset.pushState = state;
    }

    function refresh() {
      if (Notification.permission === 'denied') return Promise.resolve(show('blocked'));
      return reg.pushManager.getSubscription().then(function (sub) {
        if (!sub) return show('off');
        // Tell the server again: it may have dropped the device, or another person may
        // have signed in on this browser since.
        return api(section, 'POST', sub.toJSON()).then(function () { show('on'); });
      });
    }

    function enable() {
      show('working');
      return serverKey().then(function (key) {
        return reg.pushManager.getSubscription().then(function (old) {
          // A subscription made for another server key cannot be reused.
          if (old && !sameKey(old, key)) return old.unsubscribe().then(function () { return null; });
          return old;
        }).then(function (old) {
          return old || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      }).then(function (sub) {
        return api(section, 'POST', sub.toJSON());
      }).then(function () { show('on'); });
    }

    function disable() {
      show('working');
      return reg.pushManager.getSubscription().then(function (sub) {
        if (!sub) return;
        return api(section, 'DELETE', { endpoint: sub.endpoint }).then(function () {
          return sub.unsubscribe();
        });
      }).then(function () { show('off'); });
    }

    button.addEventListener('click', function () {
      var was = on;
      (was ? disable() : enable()).catch(function () {
        if (Notification.permission === 'denied') show('blocked');
        else { show(was ? 'on' : 'off'); status.textContent = text.textFailed; }
      });
    });

    navigator.serviceWorker.ready.then(function (r) {
      reg = r;
      section.hidden = false;
      return refresh();
    }).catch(function () {
      show('off');
      status.textContent = text.textFailed;
    });
  }

  var sections = document.querySelectorAll('[data-push]');
  for (var i = 0; i < sections.length; i++) setUp(sections[i]);
})();
