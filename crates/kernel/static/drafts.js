// Xã Số draft box: a form marked `data-draft` (feedback, dossier) that cannot reach the
// server (the phone is offline, or the post fails on the network) is kept on this phone as a
// draft instead of being lost; the page's "drafts" box lists them, fills the form again, or
// sends one ("send now") once the network is back, with a fresh CSRF token read from the
// form page exactly as the browser would post it.
//
// The text of a draft lives in localStorage (`xaso.drafts.v1`, as it always has, so drafts
// saved by older releases still load). The photos and files chosen in the form live in
// IndexedDB (database `xaso-drafts`, store `files`, one record per draft id), because
// localStorage holds strings only and a few megabytes at most. Files are a bonus on top of
// the text: the text is written first, and if the files cannot be kept (too large for the
// server, no IndexedDB, private mode, storage full) the draft is still kept, marked "files
// not kept", as before. Every word shown comes from the box's data-t-* attributes, rendered
// by the server in the reader's language (templates/drafts_box.html).
(function () {
  'use strict';
  var box = document.getElementById('drafts');
  var form = document.querySelector('form[data-draft]');
  if (!box || !form || box.hasAttribute('data-ready')) return;
  box.setAttribute('data-ready', '');

  var KEY = 'xaso.drafts.v1';
  var DB_NAME = 'xaso-drafts';
  var DB_STORE = 'files';
  // The server's default limit on one upload (config max_upload_bytes); a form may state its
  // own in data-max-upload-bytes. A draft never keeps more than that in all: whatever the
  // server would refuse anyway is not worth the phone's storage.
  var DEFAULT_LIMIT = 10 * 1024 * 1024;
  // Some browsers (older Safari, some WebViews) leave an IndexedDB request unanswered for
  // ever: past this, the files count as not kept rather than leaving the person waiting.
  var IDB_TIMEOUT_MS = 8000;
  // Drafts belong to the signed-in person's id (`u42`; '' when signed out), so two people
  // sharing a phone never see each other's drafts, even with the same name. At sign-out the
  // person is offered to clear theirs (pwa.js).
  var owner = box.getAttribute('data-owner') || '';
  var path = location.pathname;
  var list = box.querySelector('[data-draft-list]');
  var status = box.querySelector('[data-draft-status]');
  // One thing at a time from the box: a second "send now" while the first is on its way
  // would file the same report twice.
  var busy = false;
  // Drafts whose files this page is still writing (tidy() must not judge them meanwhile).
  var saving = {};

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

  // Drafts of older releases were keyed by the person's name: they become this person's once.
  function adoptByName() {
    var name = box.getAttribute('data-owner-name') || '';
    if (!owner || !name) return;
    var all = load();
    var changed = false;
    all.forEach(function (d) {
      if (d.owner === name) {
        d.owner = owner;
        changed = true;
      }
    });
    if (changed) store(all);
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

  // Changes one stored draft; false if it is gone (deleted or sent in the meantime).
  function update(id, change) {
    var all = load();
    var found = false;
    all.forEach(function (d) {
      if (d.id !== id) return;
      found = true;
      for (var k in change) if (Object.prototype.hasOwnProperty.call(change, k)) d[k] = change[k];
    });
    if (found) store(all);
    return found;
  }

  // ---- files in IndexedDB ----

  function timed(promise) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        reject(new Error('idb-timeout'));
      }, IDB_TIMEOUT_MS);
      promise.then(
        function (v) {
          clearTimeout(timer);
          resolve(v);
        },
        function (e) {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  var dbOpen = null;
  function db() {
    if (!dbOpen) {
      dbOpen = timed(
        new Promise(function (resolve, reject) {
          // Throws in some private modes, is missing in others: both mean "no files".
          var req = window.indexedDB && window.indexedDB.open(DB_NAME, 1);
          if (!req) throw new Error('no-idb');
          req.onupgradeneeded = function () {
            // Out-of-line keys: the record's key is the draft id of the localStorage entry.
            req.result.createObjectStore(DB_STORE);
          };
          req.onsuccess = function () {
            var conn = req.result;
            // A later release upgrading the database in another tab must not wait on us.
            conn.onversionchange = function () {
              conn.close();
              dbOpen = null;
            };
            resolve(conn);
          };
          req.onerror = function () {
            reject(req.error || new Error('idb'));
          };
          req.onblocked = function () {
            reject(new Error('idb-blocked'));
          };
        }),
      );
      // A failure is not remembered: the next action tries again.
      dbOpen.catch(function () {
        dbOpen = null;
      });
    }
    return dbOpen;
  }

  // Runs fn(objectStore) in one transaction and resolves with the result of the request fn
  // returns, once the transaction has committed: only then are the bytes really stored.
  // Rejects on any error, including the abort a full disk (QuotaExceededError) causes.
  function tx(mode, fn) {
    return db().then(function (conn) {
      return timed(
        new Promise(function (resolve, reject) {
          var tr = conn.transaction(DB_STORE, mode);
          var req = fn(tr.objectStore(DB_STORE));
          tr.oncomplete = function () {
            resolve(req ? req.result : undefined);
          };
          tr.onerror = tr.onabort = function () {
            reject(tr.error || new Error('idb'));
          };
        }),
      );
    });
  }

  // The files chosen in the form now, with the name of the field each came from.
  function chosenFiles(f) {
    var out = [];
    Array.prototype.forEach.call(f.elements, function (el) {
      if ((el.type || '').toLowerCase() !== 'file' || !el.name || el.disabled || !el.files) return;
      Array.prototype.forEach.call(el.files, function (file) {
        out.push({ field: el.name, file: file });
      });
    });
    return out;
  }

  function limit() {
    var n = parseInt(form.getAttribute('data-max-upload-bytes') || '', 10);
    return n > 0 ? n : DEFAULT_LIMIT;
  }

  // The bytes themselves are stored, not the File: a photo just taken with the camera may be
  // a temporary file the phone removes later, and older Safari and WebViews refuse to store
  // a Blob in IndexedDB at all, while an ArrayBuffer is stored everywhere.
  function readBytes(file) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () {
        resolve(r.result);
      };
      r.onerror = function () {
        reject(r.error || new Error('read'));
      };
      r.readAsArrayBuffer(file);
    });
  }

  // Keeps a draft's files; resolves with how many were kept, rejects if they were not (too
  // large, or no storage), leaving nothing half-stored behind.
  function keepFiles(id, chosen) {
    var total = 0;
    chosen.forEach(function (c) {
      total += c.file.size;
    });
    if (total > limit()) return Promise.reject(new Error('too-large'));
    return Promise.all(
      chosen.map(function (c) {
        return readBytes(c.file).then(function (bytes) {
          return {
            field: c.field,
            name: c.file.name,
            type: c.file.type,
            lastModified: c.file.lastModified || Date.now(),
            bytes: bytes,
          };
        });
      }),
    )
      .then(function (files) {
        return tx('readwrite', function (s) {
          s.put({ files: files }, id);
        });
      })
      .then(
        function () {
          return chosen.length;
        },
        function (e) {
          // After a timeout the write may still land later: queued behind it, this removes it.
          dropFiles(id);
          throw e;
        },
      );
  }

  // Removes a draft's files; never fails (nothing is left to do if it cannot).
  function dropFiles(id) {
    return tx('readwrite', function (s) {
      s.delete(id);
    }).catch(function () {});
  }

  // A draft's files back as File objects (a Blob with its name where File cannot be built).
  function storedFiles(id) {
    return tx('readonly', function (s) {
      return s.get(id);
    }).then(function (rec) {
      return (rec && rec.files ? rec.files : []).map(function (f) {
        var file;
        try {
          file = new File([f.bytes], f.name, { type: f.type, lastModified: f.lastModified });
        } catch (e) {
          file = new Blob([f.bytes], { type: f.type });
        }
        return { field: f.field, name: f.name, file: file };
      });
    });
  }

  // A draft's files when it kept some, refusing (Error 'files') when they cannot all be read
  // back: sending or filling in the text alone would lose the photo without a word.
  function filesOf(d) {
    if (!d.kept) return Promise.resolve([]);
    return storedFiles(d.id).then(
      function (files) {
        if (files.length !== d.kept) throw new Error('files');
        return files;
      },
      function () {
        throw new Error('files');
      },
    );
  }

  // Forgets a draft: its text, and its files if it had any.
  function discard(d) {
    remove(d.id);
    return d.hadFiles ? dropFiles(d.id) : Promise.resolve();
  }

  // Housekeeping once per page: files whose draft is gone (sent or deleted by a page closed
  // before the files went too), and drafts whose page was closed before it learnt whether
  // their files were kept (`kept` unset; drafts of older releases too, which kept none).
  function tidy() {
    var found = {};
    var unknown = [];
    tx('readwrite', function (s) {
      // Read when the transaction starts: a draft is in localStorage before its files are
      // written, so every record of a live draft is known here.
      var ids = {};
      load().forEach(function (d) {
        ids[d.id] = true;
      });
      if (s.openKeyCursor) {
        var cur = s.openKeyCursor();
        cur.onsuccess = function () {
          var c = cur.result;
          if (!c) return;
          if (!ids[c.key]) s.delete(c.key);
          c.continue();
        };
      }
      unknown = mine().filter(function (d) {
        return d.hadFiles && d.kept === undefined && !saving[d.id];
      });
      unknown.forEach(function (d) {
        var r = s.get(d.id);
        r.onsuccess = function () {
          found[d.id] = r.result && r.result.files ? r.result.files.length : 0;
        };
      });
    })
      .catch(function () {
        // No IndexedDB here (or it failed): none of those drafts can have kept files.
        found = {};
        unknown = mine().filter(function (d) {
          return d.hadFiles && d.kept === undefined && !saving[d.id];
        });
      })
      .then(function () {
        if (!unknown.length) return;
        unknown.forEach(function (d) {
          update(d.id, { kept: found[d.id] || 0 });
        });
        render();
      });
  }

  // ---- drafts ----

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

  // The text part, stored at once. `kept` (how many files are in IndexedDB) stays unset
  // until the files are stored or given up.
  function save(hadFiles) {
    var d = {
      id: Date.now().toString(36) + Math.random().toString(36).slice(2, 8),
      path: path,
      owner: owner,
      kind: form.getAttribute('data-draft'),
      savedAt: new Date().toISOString(),
      fields: fieldsOf(form),
      hadFiles: hadFiles,
    };
    if (!hadFiles) d.kept = 0;
    // What the form names the draft by (`data-draft-label`: the household a survey sheet is
    // about), as the person saw it: a choice's words, not its value.
    // An option may name itself shorter (`data-label`: a household's code, not its head's
    // name, since the box outlives the session on a shared phone).
    var named = form.querySelector('[data-draft-label]');
    if (named) {
      var opt = named.tagName === 'SELECT' ? named.selectedOptions[0] : null;
      var label = opt ? opt.getAttribute('data-label') || opt.textContent : named.value;
      if (label && label.trim()) d.label = label.trim();
    }
    var all = load();
    all.push(d);
    store(all);
    return d;
  }

  // The longest text the person wrote, to recognise the draft by.
  function summary(d) {
    if (d.label) return d.label;
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
      // While the files are still being written (`kept` unset) the draft says nothing of them.
      if (d.kept > 0 || (d.hadFiles && d.kept === 0)) {
        var note = document.createElement('p');
        note.className = 'muted';
        note.setAttribute('data-draft-files', d.kept > 0 ? String(d.kept) : '0');
        note.textContent = d.kept > 0 ? t('files-kept').replace('{n}', String(d.kept)) : t('files-dropped');
        li.appendChild(note);
      }
      var row = document.createElement('div');
      row.className = 'draft-row';
      // Until its files are written (or known lost) the draft cannot go nor be filled in:
      // either would take the text without the photo.
      var pending = !!saving[d.id] || (d.hadFiles && d.kept === undefined);
      var sendButton = button(t('send'), 'button', function () { send(d); });
      var restoreButton = button(t('restore'), 'button ghost', function () { restore(d); });
      sendButton.disabled = pending;
      restoreButton.disabled = pending;
      row.appendChild(sendButton);
      row.appendChild(restoreButton);
      row.appendChild(button(t('delete'), 'link danger', function () {
        if (busy) return;
        discard(d);
        render();
      }));
      li.appendChild(row);
      list.appendChild(li);
    });
    box.hidden = ds.length === 0 && !status.textContent;
  }

  // Puts files back into the form's file inputs; true if every one found its place.
  // Setting input.files needs a FileList, which only DataTransfer can make (not in older
  // browsers: the person then chooses them again).
  function putFiles(files) {
    var byField = {};
    files.forEach(function (x) {
      (byField[x.field] = byField[x.field] || []).push(x.file);
    });
    var ok = true;
    Object.keys(byField).forEach(function (name) {
      var input = null;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!input && el.name === name && (el.type || '').toLowerCase() === 'file') input = el;
      });
      if (!input) {
        ok = false;
        return;
      }
      try {
        var dt = new DataTransfer();
        byField[name].forEach(function (file) {
          dt.items.add(file);
        });
        input.files = dt.files;
        if (!input.files || input.files.length !== byField[name].length) ok = false;
        input.dispatchEvent(new Event('change', { bubbles: true }));
      } catch (e) {
        ok = false;
      }
    });
    return ok;
  }

  function restore(d) {
    if (busy) return;
    busy = true;
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
    // The files read back are in memory now, so the draft can go as a whole once they are in
    // the form. When they cannot be put back, the draft stays (a photo taken with the camera
    // may exist nowhere else) and the message asks to choose them again or send the draft.
    filesOf(d)
      .then(putFiles, function () {
        return false;
      })
      .then(function (allBack) {
        var keep = d.kept > 0 && !allBack;
        return (keep ? Promise.resolve() : discard(d)).then(function () {
          busy = false;
          render();
          var msg = !d.hadFiles ? t('restored') : d.kept > 0 && allBack ? t('restored-files') : t('restored-choose-again');
          say(msg, 'ok');
          form.scrollIntoView({ block: 'start' });
        });
      });
  }

  function bodyFor(f, fields, files) {
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
    // Files travel only in a multipart post; a form that no longer takes any gets the text.
    if (multipart) {
      files.forEach(function (x) {
        body.append(x.field, x.file, x.name);
      });
    }
    return body;
  }

  // Sends a draft: the form page again for a fresh token and address, then the post.
  function send(d) {
    if (busy) return;
    busy = true;
    say(t('sending'), '');
    fetch(path, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        return res.text().then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('form[data-draft]');
          if (!res.ok || !fresh) throw new Error('form');
          return filesOf(d).then(function (files) {
            return fetch(fresh.getAttribute('action'), {
              method: 'POST',
              body: bodyFor(fresh, d.fields, files),
              credentials: 'same-origin',
            });
          });
        });
      })
      .then(function (res) {
        if (res.ok) {
          say(t('sent'), 'ok');
          // Read to the end, and the files gone, before leaving (leaving would abort both).
          return Promise.all([res.text(), discard(d)]).then(function () {
            location.assign(res.url);
          });
        }
        busy = false;
        say(t('refused'), 'alert');
      })
      .catch(function (e) {
        busy = false;
        var m = e && e.message;
        say(m === 'form' ? t('refused') : m === 'files' ? t('files-unreadable') : t('still-offline'), 'alert');
      });
  }

  function keepAsDraft() {
    var chosen = chosenFiles(form);
    // The text first, at once: whatever becomes of the files, it is kept.
    var d = save(chosen.length > 0);
    var done = function (msg) {
      render();
      say(msg, 'alert');
      box.scrollIntoView({ block: 'start' });
    };
    if (!chosen.length) {
      done(t('saved'));
      return;
    }
    saving[d.id] = true;
    render();
    keepFiles(d.id, chosen).then(
      function (n) {
        delete saving[d.id];
        // Deleted from the box while the files were being written: they go too.
        if (!update(d.id, { kept: n })) dropFiles(d.id);
        done(t('saved-files'));
      },
      function () {
        delete saving[d.id];
        update(d.id, { kept: 0 });
        done(t('saved-files-dropped'));
      },
    );
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

  // A date field that says "today" (`data-today`, the server's day when the page was made)
  // means the phone's today: a sheet kept for offline use is filled in on later days too.
  Array.prototype.forEach.call(form.querySelectorAll('input[type=date][data-today]'), function (el) {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    var local = now.getFullYear() + '-' + pad(now.getMonth() + 1) + '-' + pad(now.getDate());
    if (local > el.getAttribute('data-today')) {
      if (el.value === el.getAttribute('data-today')) el.value = local;
      el.max = local;
    }
  });

  adoptByName();
  render();
  if (!navigator.onLine) say(t('offline'), '');
  else if (mine().length) say(t('pending'), '');
  tidy();
})();
