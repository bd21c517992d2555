// The installable app in the browser, with the server really stopped: the manifest parses
// (Chromium's own parser, through CDP) with its 192/512/maskable icons served at their sizes;
// the service worker registers and controls the page, and Chromium finds the app installable;
// then the server process is killed and the demo commune's notice board still opens from the
// phone's cache under the "offline, saved copy" banner, an unknown page shows the offline
// page, and a feedback report written while offline is kept as a draft with its photo (text
// in localStorage, the photo in IndexedDB; across a reload, with the browser offline too) and
// is sent with "Gửi ngay", photo included, once a server is running again on the same data.
// Last, "Điền vào mẫu" puts a kept photo back into the form's file input, deleting a draft
// deletes its photo, and a photo over the upload limit is not kept while the text is.
//
// This test runs its own server (target/release/xaso, or XASO_BIN) on its own port and data
// directory, so that stopping it leaves the shared server of e2e/run.sh alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, registerCitizen, artifact, pngBytes, COMMUNE_CODE, MOBILE,
} from './helpers.mjs';
import { ownServer } from './own-server.mjs';

const C = COMMUNE_CODE;
// The public notice board of the demo commune, and a page nobody has opened.
const BOARD = `/c/${C}/notices`;
const UNKNOWN = `/c/${C}/no-such-page`;
const FORM = `/c/${C}/feedback/new`;
const PAGES_CACHE = 'xaso-pages-1';
const BANNER = 'Bạn đang ngoại tuyến, đang xem bản đã lưu trên máy lúc';
// The photo of the broken street light: a real 8×8 PNG (the server decodes what it keeps).
const PHOTO = { name: 'den-duong-hong.png', mimeType: 'image/png', buffer: pngBytes(8, 8, [250, 200, 40]) };
// The server's default upload limit, which a draft's files may not exceed in all.
const UPLOAD_LIMIT = 10 * 1024 * 1024;

// The draft box's IndexedDB, read in the page: every record as { id, files: [{ field, name,
// type, size }] }.
function keptFiles(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('xaso-drafts', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('files');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const out = [];
      const cur = db.transaction('files').objectStore('files').openCursor();
      cur.onerror = () => reject(cur.error);
      cur.onsuccess = () => {
        const c = cur.result;
        if (!c) {
          db.close();
          resolve(out);
          return;
        }
        out.push({
          id: c.key,
          files: c.value.files.map((f) => ({ field: f.field, name: f.name, type: f.type, size: f.bytes.byteLength })),
        });
        c.continue();
      };
    };
  }));
}

let own;
let browser;

before(async () => {
  own = await ownServer('xaso-pwa-');
  await own.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await own?.close();
});

test('installable app: manifest, service worker, notice board offline, offline page, draft box', async (t) => {
  const base = own.base;
  // Through newContext, so a CSP violation in the app shell or the worker's pages fails too.
  const context = await newContext(browser, MOBILE, { baseURL: base, serviceWorkers: 'allow' });
  const page = await context.newPage();
  let broken = '';
  const step = (name, fn) => t.test(name, { skip: broken ? `step "${broken}" failed` : false }, async () => {
    try {
      await fn();
    } catch (e) {
      broken = name.split('.')[0];
      await page.screenshot({ path: artifact(`pwa-failed-${broken}.png`), fullPage: true }).catch(() => {});
      throw e;
    }
  });
  let boardTitle = '';
  const draftText = `Đèn đường trước nhà văn hóa thôn bị hỏng từ tối qua, đường rất tối (viết khi mất mạng ${Date.now()}).`;

  try {
    await step('1. the manifest is linked, parses without errors, and its icons load at their sizes', async () => {
      await page.goto(`/c/${C}`);
      assert.equal(await page.locator('link[rel="manifest"]').getAttribute('href'), '/manifest.webmanifest');
      assert.ok(await page.locator('link[rel="apple-touch-icon"]').count(), 'apple-touch-icon linked');
      assert.ok(await page.locator('meta[name="theme-color"]').getAttribute('content'));
      const m = await page.evaluate(async () => {
        const r = await fetch('/manifest.webmanifest');
        return { status: r.status, type: r.headers.get('content-type'), json: await r.json() };
      });
      assert.equal(m.status, 200);
      assert.equal(m.type, 'application/manifest+json');
      assert.equal(m.json.name, 'Xã Số');
      assert.ok(m.json.short_name);
      assert.equal(m.json.start_url, '/');
      assert.equal(m.json.display, 'standalone');
      assert.equal(m.json.theme_color, '#0b6e4f');
      assert.equal(m.json.background_color, '#f6f7f9');
      const sizes = [];
      for (const icon of m.json.icons) {
        const got = await page.evaluate(async (src) => {
          const r = await fetch(src);
          const img = new Image();
          img.src = src;
          await img.decode();
          return { status: r.status, type: r.headers.get('content-type'), w: img.naturalWidth, h: img.naturalHeight };
        }, icon.src);
        assert.equal(got.status, 200, icon.src);
        assert.equal(got.type, 'image/png', icon.src);
        assert.equal(`${got.w}x${got.h}`, icon.sizes, icon.src);
        sizes.push(`${icon.sizes} ${icon.purpose}`);
      }
      for (const want of ['192x192 any', '512x512 any', '512x512 maskable']) {
        assert.ok(sizes.includes(want), `${want} among ${sizes.join(', ')}`);
      }
      // Chromium's own reading of the manifest, as Android Chrome does before offering to install.
      const cdp = await context.newCDPSession(page);
      const parsed = await cdp.send('Page.getAppManifest');
      assert.ok(parsed.url.endsWith('/manifest.webmanifest'), parsed.url);
      assert.deepEqual(parsed.errors, [], 'manifest parse errors');
      await cdp.detach();
    });

    await step('2. the service worker registers, controls the page, and is served fresh from the root', async () => {
      const sw = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        const r = await fetch('/sw.js', { cache: 'no-store' });
        return { scope: reg.scope, script: reg.active.scriptURL, cc: r.headers.get('cache-control'), type: r.headers.get('content-type') };
      });
      assert.equal(sw.scope, `${base}/`);
      assert.equal(sw.script, `${base}/sw.js`);
      assert.equal(sw.cc, 'no-cache');
      assert.match(sw.type, /javascript/);
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 10_000 });
      // The shell is precached under a versioned name.
      const names = await page.evaluate(() => caches.keys());
      assert.ok(names.some((n) => /^xaso-shell-[0-9a-f]{16}$/.test(n)), names.join(', '));
      // Chromium's installability check (what makes Android Chrome offer "Install app"): the
      // only objection allowed is that test contexts are incognito, a property of the harness.
      await page.reload();
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      await cdp.detach();
      const objections = installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito');
      assert.deepEqual(objections, [], 'installability errors');
    });

    await step('3. a citizen signs up and opens the notice board and the feedback form online', async () => {
      await registerCitizen(page);
      const res = await page.goto(BOARD);
      assert.equal(res.status(), 200, `${BOARD} answers`);
      boardTitle = (await page.locator('main h1').first().textContent()).trim();
      assert.ok(boardTitle);
      assert.equal(await page.locator('[data-offline-banner]').isVisible(), false, 'no banner online');
      await page.goto(FORM);
      await page.locator('form[data-draft="feedback"]').waitFor();
      const kept = await page.evaluate(async ([name, urls]) => {
        const cache = await caches.open(name);
        const out = [];
        for (const u of urls) out.push(!!(await cache.match(u, { ignoreVary: true })));
        return out;
      }, [PAGES_CACHE, [BOARD, FORM]]);
      assert.deepEqual(kept, [true, true], 'board and form saved for offline use');
    });

    await step('4. with the server stopped, the notice board opens from the cache with the offline banner', async () => {
      await own.stop();
      const res = await page.goto(BOARD);
      assert.equal(res.status(), 200);
      assert.equal((await page.locator('main h1').first().textContent()).trim(), boardTitle);
      const banner = page.locator('[data-offline-banner]');
      await banner.waitFor({ state: 'visible' });
      assert.match(await banner.textContent(), new RegExp(BANNER));
      assert.match(await banner.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
      await page.screenshot({ path: artifact('pwa-board-offline.png'), fullPage: true });
    });

    await step('5. a page never opened shows the offline page, listing what was saved', async () => {
      await page.goto(UNKNOWN);
      assert.equal((await page.locator('main h1').textContent()).trim(), 'Bạn đang ngoại tuyến');
      await page.getByRole('button', { name: 'Thử lại' }).waitFor();
      const saved = page.locator('#saved-pages a');
      await saved.first().waitFor();
      const hrefs = await saved.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.includes(BOARD), hrefs.join(', '));
      await page.screenshot({ path: artifact('pwa-offline-page.png'), fullPage: true });
    });

    await step('6. feedback written while the server is down is kept as a draft, also across a reload offline', async () => {
      await page.goto(FORM);
      await page.locator('[data-offline-banner]').waitFor({ state: 'visible' });
      await page.getByLabel('Nội dung *').fill(draftText);
      await page.getByLabel('Địa chỉ, mô tả nơi xảy ra').fill('Nhà văn hóa thôn');
      await page.locator('input#photos[type=file]').setInputFiles(PHOTO);
      await page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click();
      const box = page.locator('#drafts');
      await box.waitFor({ state: 'visible' });
      await box.getByText('Chưa gửi được vì mất kết nối mạng. Nội dung cùng ảnh và tệp đính kèm đã được lưu').waitFor();
      assert.match(await box.textContent(), /Ảnh và tệp đính kèm bạn đã chọn cũng được giữ trong bản nháp/);
      assert.equal(await box.locator('[data-draft-list] li').count(), 1);
      const li = box.locator('[data-draft-list] li');
      assert.match(await li.textContent(), /Đèn đường trước nhà văn hóa/);
      assert.equal((await li.locator('[data-draft-files]').textContent()).trim(), '1 ảnh/tệp đính kèm được giữ cùng bản nháp.');
      // The text in localStorage, the photo (field, name, type, every byte) in IndexedDB under the same id.
      const drafts = await page.evaluate(() => JSON.parse(localStorage.getItem('xaso.drafts.v1') || '[]'));
      assert.equal(drafts.length, 1);
      assert.equal(drafts[0].kept, 1);
      assert.deepEqual(await keptFiles(page), [
        { id: drafts[0].id, files: [{ field: 'photos', name: PHOTO.name, type: 'image/png', size: PHOTO.buffer.length }] },
      ]);

      // The browser goes offline as well (navigator.onLine false): the draft is still there.
      await context.setOffline(true);
      await page.reload();
      await box.waitFor({ state: 'visible' });
      assert.equal(await box.locator('[data-draft-list] li').count(), 1, 'kept across a reload');
      assert.match(await box.locator('[data-draft-status]').textContent(), /Bạn đang ngoại tuyến/);
      assert.match(await li.locator('[data-draft-files]').textContent(), /^1 ảnh\/tệp đính kèm được giữ/, 'the photo too');
      // Sending while offline keeps it too.
      await box.getByRole('button', { name: 'Gửi ngay' }).click();
      await box.getByText('Chưa gửi được: vẫn chưa có mạng').waitFor();
      assert.equal(await box.locator('[data-draft-list] li').count(), 1);
      assert.equal((await keptFiles(page)).length, 1, 'the photo is still kept');
      await page.screenshot({ path: artifact('pwa-draft-offline.png'), fullPage: true });
    });

    await step('7. back online with the server running again, "Gửi ngay" sends the draft', async () => {
      await own.start();
      await context.setOffline(false);
      const box = page.locator('#drafts');
      await box.getByText('Đã có mạng trở lại').waitFor();
      const [post] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === FORM && r.request().method() === 'POST'),
        box.getByRole('button', { name: 'Gửi ngay' }).click(),
      ]);
      assert.ok(post.status() < 400, `sending the draft answered ${post.status()}`);
      // A multipart post (Chromium does not hand its body to the test when it carries files:
      // the photo on the report below is the proof that it was in it).
      assert.match(post.request().headers()['content-type'], /^multipart\/form-data; boundary=/);
      await page.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/feedback/PA`), { timeout: 10_000 });
      await page.waitForLoadState('load');
      await page.getByText(draftText, { exact: true }).waitFor();
      assert.equal(await page.locator('[data-offline-banner]').isVisible(), false);
      // The report shows the photo, served by the server at its 8×8 size.
      const report = new URL(page.url()).pathname.replace(/\/$/, '');
      const img = page.locator(`main img[src^="${report}/photos/"]`);
      assert.equal(await img.count(), 1, 'one photo on the report');
      await img.scrollIntoViewIfNeeded(); // loading="lazy"
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
      assert.deepEqual(await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]), [8, 8]);
      const drafts = await page.evaluate(() => JSON.parse(localStorage.getItem('xaso.drafts.v1') || '[]'));
      assert.equal(drafts.length, 0, 'the sent draft is gone');
      assert.deepEqual(await keptFiles(page), [], 'and its photo too');
      await page.screenshot({ path: artifact('pwa-draft-sent.png'), fullPage: true });
    });

    await step('8. offline drafts with photos: too large is not kept, delete drops the photo, restore refills the file input', async () => {
      await page.goto(FORM);
      const form = page.locator('form[data-draft="feedback"]');
      await form.waitFor();
      const box = page.locator('#drafts');
      const items = box.locator('[data-draft-list] li');
      const text = page.getByLabel('Nội dung *');
      const photos = page.locator('input#photos[type=file]');
      const sendForm = page.getByRole('button', { name: 'Gửi phản ánh', exact: true });
      await context.setOffline(true);
      await box.getByText('Bạn đang ngoại tuyến').waitFor();

      // Over the upload limit: the text is kept, the photo is not, and the draft says so.
      await text.fill(`Cây đổ chắn ngang đường liên thôn, ảnh chụp quá lớn ${Date.now()}.`);
      await photos.setInputFiles({ name: 'anh-qua-lon.png', mimeType: 'image/png', buffer: Buffer.alloc(UPLOAD_LIMIT + 1) });
      await sendForm.click();
      await box.getByText('riêng ảnh và tệp đính kèm thì không giữ được').waitFor();
      assert.equal(await items.count(), 1);
      assert.match(await items.textContent(), /Cây đổ chắn ngang đường liên thôn/);
      assert.equal((await items.locator('[data-draft-files]').textContent()).trim(),
        'Ảnh hoặc tệp đính kèm của bản nháp này không lưu được: hãy chọn lại khi gửi.');
      assert.deepEqual(await keptFiles(page), [], 'nothing over the limit in IndexedDB');
      await items.getByRole('button', { name: 'Xóa bản nháp' }).click();
      assert.equal(await items.count(), 0);

      // A kept photo goes with its draft when the draft is deleted.
      await text.fill('Bản nháp sẽ bị xóa cùng ảnh của nó.');
      await photos.setInputFiles(PHOTO);
      await sendForm.click();
      await items.locator('[data-draft-files="1"]').waitFor();
      assert.equal((await keptFiles(page)).length, 1);
      await items.getByRole('button', { name: 'Xóa bản nháp' }).click();
      assert.equal(await items.count(), 0);
      await page.waitForFunction(() => new Promise((resolve) => {
        const open = indexedDB.open('xaso-drafts', 1);
        open.onsuccess = () => {
          const req = open.result.transaction('files').objectStore('files').count();
          req.onsuccess = () => {
            open.result.close();
            resolve(req.result === 0);
          };
        };
      }));

      // "Điền vào mẫu" puts the text and the photo back into an emptied form.
      const restoreText = `Rác thải đổ trộm cạnh cầu thôn, điền lại từ bản nháp ${Date.now()}.`;
      const address = page.getByLabel('Địa chỉ, mô tả nơi xảy ra');
      await text.fill(restoreText);
      await address.fill('Cầu thôn Minh Hòa'); // a report needs a place
      await photos.setInputFiles(PHOTO);
      await sendForm.click();
      await items.locator('[data-draft-files="1"]').waitFor();
      await text.fill('');
      await address.fill('');
      await photos.setInputFiles([]);
      assert.equal(await photos.evaluate((el) => el.files.length), 0);
      await items.getByRole('button', { name: 'Điền vào mẫu' }).click();
      await box.getByText('Đã điền bản nháp vào mẫu, cả ảnh và tệp đính kèm.').waitFor();
      assert.equal(await text.inputValue(), restoreText);
      assert.equal(await address.inputValue(), 'Cầu thôn Minh Hòa');
      assert.deepEqual(
        await photos.evaluate((el) => [el.files.length, el.files[0].name, el.files[0].type, el.files[0].size]),
        [1, PHOTO.name, 'image/png', PHOTO.buffer.length],
      );
      assert.equal(await items.count(), 0, 'the restored draft leaves the box');
      assert.deepEqual(await keptFiles(page), [], 'with its photo');
      await page.screenshot({ path: artifact('pwa-draft-restored.png'), fullPage: true });

      // Back online, the refilled form posts the photo like a freshly chosen one.
      await context.setOffline(false);
      await sendForm.click();
      await page.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/feedback/PA`), { timeout: 10_000 });
      await page.getByText(restoreText, { exact: true }).waitFor();
      const report = new URL(page.url()).pathname.replace(/\/$/, '');
      assert.equal(await page.locator(`main img[src^="${report}/photos/"]`).count(), 1, 'the restored photo was sent');
    });
  } finally {
    await context.close();
  }
});
