// Xã Số draft box: a form marked `data-draft` (feedback, dossier) that cannot reach the
// server (the phone is offline, or the post fails on the network) is kept on this phone as a
// draft instead of being lost; the page's "drafts" box lists them, fills the form again, or
// sends one ("send now") once the network is back, with a fresh CSRF token read from the
// form page exactly as the browser would post it.
//
// Only text is kept (localStorage): photos and files cannot be stored reliably on every
// phone, and the box says so. Every word shown comes from the box's data-t-* attributes,
// rendered by the server in the reader's language (templates/drafts_box.html).
(function () {
  'use strict';
  var box = document.getElementById('drafts');
  var form = document.querySelector('form[data-draft]');
  if (!box || !form || box.hasAttribute('data-ready')) return;
  box.setAttribute('data-ready', '');

  var KEY = 'xaso.drafts.v1';
  var owner = box.getAttribute('data-owner') || '';
  var path = location.pathname;
  var list = box.querySelector('[data-draft-list]');
  var status = box.querySelector('[data-draft-status]');

  function t(key) {
    return box.getAttribute('data-t-' + key) || '';
  }

  function load() {
    try {
      var v = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(v) ? v : [];
    } catch (e) {
      return [];
    }
  }

  function store(all) {
    localStorage.setItem(KEY, JSON.stringify(all));
  }

  // This form's drafts of the signed-in person (a shared phone keeps people apart).
  function mine() {
    return load().filter(function (d) {
      return d.path === path && d.owner === owner;
    });
  }

  function remove(id) {
    store(
      load().filter(function (d) {
        return d.id !== id;
      }),
    );
  }

  // The fields a post would carry, without files, buttons and the CSRF token.
  function fieldsOf(f) {
    var out = [];
    Array.prototype.forEach.call(f.elements, function (el) {
      var type = (el.type || '').toLowerCase();
      if (!el.name || el.disabled || el.name === 'csrf') return;
      if (type === 'file' || type === 'submit' || type === 'button' || type === 'reset' || type === 'image') return;
      if ((type === 'checkbox' || type === 'radio') && !el.checked) return;
      if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) {
          out.push([el.name, o.value]);
        });
        return;
      }
      out.push([el.name, el.value]);
    });
    return out;
  }

  function hadFiles(f) {
    return Array.prototype.some.call(f.elements, function (el) {
      return el.type === 'file' && el.files && el.files.length > 0;
    });
  }

  function save() {
    var d = {
      id: Date.now().toString(36) + Math.random().toString(36).slice(2, 8),
      path: path,
      owner: owner,
      kind: form.getAttribute('data-draft'),
      savedAt: new Date().toISOString(),
      fields: fieldsOf(form),
      hadFiles: hadFiles(form),
    };
    var all = load();
    all.push(d);
    store(all);
    return d;
  }

  // The longest text the person wrote, to recognise the draft by.
  function summary(d) {
    var best = '';
    d.fields.forEach(function (kv) {
      if (kv[1].length > best.length && !/^[0-9.,\- ]*$/.test(kv[1])) best = kv[1];
    });
    return best.length > 90 ? best.slice(0, 90) + '…' : best;
  }

  function when(iso) {
    var lang = document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN';
    try {
      return new Date(iso).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
    } catch (e) {
      return iso;
    }
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = kind === 'ok' ? 'ok' : kind === 'alert' ? 'alert' : 'muted';
    if (text) box.hidden = false;
  }

  function button(label, cls, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = cls;
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  }

  function render() {
    var ds = mine();
    list.textContent = '';
    ds.forEach(function (d) {
      var li = document.createElement('li');
      li.setAttribute('data-draft-id', d.id);
      var p = document.createElement('p');
      var strong = document.createElement('strong');
      strong.textContent = t('saved-at') + ' ' + when(d.savedAt);
      p.appendChild(strong);
      var text = summary(d);
      if (text) p.appendChild(document.createTextNode(' · ' + text));
      li.appendChild(p);
      if (d.hadFiles) {
        var note = document.createElement('p');
        note.className = 'muted';
        note.textContent = t('files-dropped');
        li.appendChild(note);
      }
      var row = document.createElement('div');
      row.style.cssText = 'display:flex;flex-wrap:wrap;gap:8px;align-items:center';
      row.appendChild(button(t('send'), 'button', function () { send(d); }));
      row.appendChild(button(t('restore'), 'button ghost', function () { restore(d); }));
      row.appendChild(button(t('delete'), 'link danger', function () { remove(d.id); render(); }));
      li.appendChild(row);
      list.appendChild(li);
    });
    box.hidden = ds.length === 0 && !status.textContent;
  }

  function restore(d) {
    var byName = {};
    d.fields.forEach(function (kv) {
      (byName[kv[0]] = byName[kv[0]] || []).push(kv[1]);
    });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === 'csrf' || el.type === 'file' || el.type === 'hidden') return;
      var vals = byName[el.name] || [];
      if (el.type === 'checkbox' || el.type === 'radio') el.checked = vals.indexOf(el.value) >= 0;
      else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          o.selected = vals.indexOf(o.value) >= 0;
        });
      } else if (vals.length) el.value = vals[0];
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    remove(d.id);
    render();
    say(t('restored'), 'ok');
    form.scrollIntoView({ block: 'start' });
  }

  function bodyFor(f, fields) {
    var multipart = (f.getAttribute('enctype') || '').toLowerCase() === 'multipart/form-data';
    var body = multipart ? new FormData() : new URLSearchParams();
    var named = {};
    fields.forEach(function (kv) {
      named[kv[0]] = true;
    });
    // The fresh form's own hidden fields (the CSRF token) as the browser would send them.
    Array.prototype.forEach.call(f.querySelectorAll('input[type=hidden]'), function (el) {
      if (el.name && !named[el.name]) body.append(el.name, el.value);
    });
    fields.forEach(function (kv) {
      body.append(kv[0], kv[1]);
    });
    return body;
  }

  // Sends a draft: the form page again for a fresh token and address, then the post.
  function send(d) {
    say(t('sending'), '');
    fetch(path, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        return res.text().then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('form[data-draft]');
          if (!res.ok || !fresh) throw new Error('form');
          return fetch(fresh.getAttribute('action'), {
            method: 'POST',
            body: bodyFor(fresh, d.fields),
            credentials: 'same-origin',
          });
        });
      })
      .then(function (res) {
        if (res.ok) {
          remove(d.id);
          say(t('sent'), 'ok');
          return res.text().then(function () {
            location.assign(res.url);
          });
        } else {
          say(t('refused'), 'alert');
        }
      })
      .catch(function (e) {
        say(e && e.message === 'form' ? t('refused') : t('still-offline'), 'alert');
      });
  }

  function keepAsDraft() {
    save();
    render();
    say(t('saved'), 'alert');
    box.scrollIntoView({ block: 'start' });
  }

  form.addEventListener('submit', function (ev) {
    if (ev.defaultPrevented) return;
    ev.preventDefault();
    if (!navigator.onLine) {
      keepAsDraft();
      return;
    }
    var submit = ev.submitter || form.querySelector('button:not([type=button])');
    if (submit) submit.disabled = true;
    say(t('sending'), '');
    var multipart = (form.getAttribute('enctype') || '').toLowerCase() === 'multipart/form-data';
    var data = new FormData(form);
    fetch(form.action, {
      method: 'POST',
      body: multipart ? data : new URLSearchParams(data),
      credentials: 'same-origin',
    }).then(
      function (res) {
        if (res.ok && res.redirected) {
          // Read to the end first: leaving mid-download would abort the request.
          return res.text().then(function () {
            location.assign(res.url);
          });
        }
        // The server's answer (the form again with its message): show it as the browser would.
        return res.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      },
      function () {
        if (submit) submit.disabled = false;
        keepAsDraft();
      },
    );
  });

  window.addEventListener('online', function () {
    if (mine().length) say(t('online'), 'ok');
  });
  window.addEventListener('offline', function () {
    say(t('offline'), '');
  });

  render();
  if (!navigator.onLine) say(t('offline'), '');
  else if (mine().length) say(t('pending'), '');
})();
